"""Real training material, end to end: a source folder shaped like the lesson libraries
trainers bring in (front matter on every page, <br> and <img> in Markdown, 150
screenshots on one page, a checklist, two language editions sharing one set of
pictures, a link into another pack, an English paragraph in an Arabic page) is checked,
built, signed, imported, and read in the real reader, offscreen."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from support import FAST_MS, make_keypair, noise_png, write_source
from uihelp import PASSPHRASE, open_page, unlock, wait_idle

from ui.qt import QApplication, QPointF, QTextBlockFormat, QTextDocument, Qt, QUrl

EN = "org.example.lessons-en"
AR = "org.example.lessons-ar"
SHOTS = 150
ENGLISH_PARAGRAPH = "Open VeraCrypt and choose Create Volume, then follow the wizard."
ARABIC_PARAGRAPH = "افتح البرنامج واتبع الخطوات بالترتيب."


def _steps(alt: str) -> str:
    return "\n\n".join(f'{alt} {i}:<br>\n<img src="../media/shot{i:03d}.png" alt="{alt} {i}">'
                       if i % 2 else f"![{alt} {i}](../media/shot{i:03d}.png)" for i in range(SHOTS))


def write_collection(root: Path) -> tuple[Path, Path]:
    media = {f"media/shot{i:03d}.png": noise_png(24, 16, seed=i) for i in range(SHOTS)}
    en = write_source(root / "en", EN, title="Digital safety lessons", kind="course", pages={
        "pages/01-intro.md": "---\ntitle: Location tracking\nauthor: Training team\nduration: 30 min\n"
                             "level: beginner\nindex: 4\n---\n\nPhones report where they are.<br>Every few "
                             "minutes.<br><br>Even when <kbd>Airplane mode</kbd> is on.\n",
        "pages/02-disk.md": "---\nlayout: lesson\n---\n# Disk encryption\n\n" + _steps("Step") + "\n",
        "pages/03-checklist.md": "---\nduration: 5 min\n---\n# Before you travel\n\n- [ ] Back up your files\n"
                                 "- [ ] Encrypt the disk\n- [x] Charge the laptop\n",
        "pages/04-glossary.md": "---\ntags: [glossary]\n---\n# Glossary\n\n## Encryption\n\nScrambling data.\n",
    }, media=media, chapters=[("Lessons", ["pages/01-intro.md", "pages/02-disk.md", "pages/03-checklist.md",
                                           "pages/04-glossary.md"])])
    ar = write_source(root / "ar", AR, title="دروس السلامة الرقمية", language="ar", kind="course", pages={
        "pages/01-intro.md": "---\ntitle: تتبّع الموقع\nauthor: فريق التدريب\n---\n\nالهواتف تبلغ عن مكانها.<br>كل بضع دقائق.\n",
        "pages/02-disk.md": "---\nlevel: مبتدئ\n---\n# تشفير القرص\n\n" + ARABIC_PARAGRAPH + "\n\n"
                            + ENGLISH_PARAGRAPH + "\n\n- " + ENGLISH_PARAGRAPH + "\n- " + ARABIC_PARAGRAPH
                            + "\n\n| English | العربية |\n|---|---|\n| Volume | المجلد |\n\n"
                            + f"[المصطلحات](satchel:{EN}/pages/04-glossary.md#encryption)\n\n" + _steps("الخطوة")
                            + "\n",
    }, chapters=[("الدروس", ["pages/01-intro.md", "pages/02-disk.md"])])
    with open(ar / "pack.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[[uses]]\npack = "{EN}"\nsource = "../en"\nmedia = true\n')
    return en, ar


@pytest.fixture(scope="module")
def material_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from app.home import Home
    from app.trust import TrustStore
    from app.vault import Vault
    from content_packs.build import write_pack
    from content_packs.importer import import_pack
    from content_packs.source import check_source

    root = tmp_path_factory.mktemp("material")
    key = make_keypair(root / "keys", "trainer")
    en_src, ar_src = write_collection(root)
    packs = []
    for src in (en_src, ar_src):
        report = check_source(src)
        assert report.ok, report.errors
        out = root / f"{src.name}.satchel"
        assert report.source is not None
        write_pack(report.source, key.secret, out)
        packs.append(out)
    home = root / "home"
    with Vault.create(Home(home), PASSPHRASE, iter_time_ms=FAST_MS) as vault:
        vault.set_setting("ui.language", "en")
        store = TrustStore(vault)
        store.add_manual(key.public, "Trainer")
        for p in packs:
            import_pack(vault, p, store=store)
    return home


@pytest.fixture
def window(make_window: Any, material_home: Path, tmp_path: Path, qtbot: Any) -> Any:
    home = tmp_path / "home"
    shutil.copytree(material_home, home)
    w = make_window(home)
    unlock(qtbot, w)
    return w


def _blocks(doc: QTextDocument) -> list[Any]:
    out = []
    block = doc.begin()
    while block.isValid():
        out.append(block)
        block = block.next()
    return out


def test_titles_and_front_matter_are_shown(window: Any, qtbot: Any) -> None:
    reader = open_page(qtbot, window, EN, "pages/01-intro.md")
    outline = reader.outline.topLevelItem(0)
    assert [outline.child(i).text(0) for i in range(outline.childCount())] == [
        "Location tracking", "Disk encryption", "Before you travel", "Glossary"]
    assert reader.meta.isVisible()
    assert reader.meta.text() == ("By \u2068Training team\u2069 \u00b7 Time: \u206830 min\u2069 \u00b7 "
                                  "Level: \u2068beginner\u2069")
    text = reader.browser.toPlainText()
    assert "index" not in text and "title:" not in text and "---" not in text
    # <br> is a line break inside the paragraph, not a tag shown as text
    assert any(b.text().startswith("Phones report where they are.\u2028Every few minutes.\u2028\u2028Even")
               for b in _blocks(reader.browser.document()))
    assert "Airplane mode" in text and "<kbd>" not in text


def test_every_image_is_shown_from_the_vault(window: Any, qtbot: Any) -> None:
    for pack in (EN, AR):
        reader = open_page(qtbot, window, pack, "pages/02-disk.md")
        images = reader.data.images
        assert len(images) == SHOTS
        assert all(img is not None and img.width() == 24 for img in images.values()), pack
        kind = QTextDocument.ResourceType.ImageResource.value
        assert reader.browser.document().resource(kind, QUrl("satchel-media:media/shot149.png")).width() == 24
        assert not reader.notice.isVisible()


def test_mixed_direction_paragraphs_are_laid_out_by_their_own_direction(window: Any, qtbot: Any) -> None:
    reader = open_page(qtbot, window, AR, "pages/02-disk.md")
    blocks = {b.text(): b for b in _blocks(reader.browser.document())}
    rtl, ltr = Qt.LayoutDirection.RightToLeft, Qt.LayoutDirection.LeftToRight
    for text, want in ((ARABIC_PARAGRAPH, rtl), (ENGLISH_PARAGRAPH, ltr), ("English", ltr), ("العربية", rtl),
                       ("Volume", ltr), ("المجلد", rtl), ("تشفير القرص", rtl)):
        block = blocks[text]
        assert block.blockFormat().layoutDirection() == want, text
        assert block.textDirection() == want, text
    # The list items too (both are items of the same list).
    items = [b for b in _blocks(reader.browser.document()) if b.textList() is not None]
    assert [(b.text(), b.textDirection()) for b in items[:2]] == [(ENGLISH_PARAGRAPH, ltr), (ARABIC_PARAGRAPH, rtl)]
    # The English paragraph's full stop is at its right end: its last character is laid out furthest right.
    block = blocks[ENGLISH_PARAGRAPH]
    line = block.layout().lineAt(block.layout().lineCount() - 1)
    end_x = line.cursorToX(block.length() - 1)[0]
    start_x = block.layout().lineAt(0).cursorToX(0)[0]
    assert end_x > start_x


def test_checklist_items_are_ticked_and_kept(window: Any, qtbot: Any, make_window: Any) -> None:
    from app.progress import ticks

    reader = open_page(qtbot, window, EN, "pages/03-checklist.md")
    browser = reader.browser
    assert browser.checklist_state() == [False, False, True]  # as the page was written
    # A click on the first item's box ticks it.
    block = browser._checks[0]
    layout = browser.document().documentLayout()
    rect = layout.blockBoundingRect(block)
    hit = next(QPointF(x, rect.center().y()) for x in range(0, int(rect.right()))
               if layout.blockWithMarkerAt(QPointF(x, rect.center().y())).isValid())
    qtbot.mouseClick(browser.viewport(), Qt.MouseButton.LeftButton, pos=hit.toPoint())
    assert browser.checklist_state() == [True, False, True]
    # Space with the cursor in the third item unticks it.
    cursor = browser.textCursor()
    cursor.setPosition(browser._checks[2].position() + 2)
    browser.setTextCursor(cursor)
    browser.setFocus()
    qtbot.keyClick(browser, Qt.Key.Key_Space)
    assert browser.checklist_state() == [True, False, False]
    wait_idle(qtbot, window)
    items = reader.data.checklist
    kept = ticks(window.session.vault, EN, "pages/03-checklist.md")
    assert kept == {items[0].key: True, items[2].key: False}
    # Reopened from another page, the ticks are shown again.
    open_page(qtbot, window, EN, "pages/01-intro.md")
    reader = open_page(qtbot, window, EN, "pages/03-checklist.md")
    assert reader.browser.checklist_state() == [True, False, False]
    assert all(b.blockFormat().marker() != QTextBlockFormat.MarkerType.NoMarker for b in reader.browser._checks)


def test_a_link_into_another_pack_opens_its_page(window: Any, qtbot: Any) -> None:
    reader = open_page(qtbot, window, AR, "pages/02-disk.md")
    href = f"satchel-pack:{EN}/pages/04-glossary.md#encryption"
    assert f'href="{href}"' in reader.data.html
    reader.browser.anchorClicked.emit(QUrl(href))
    qtbot.waitUntil(lambda: reader.pack_id == EN and reader.path == "pages/04-glossary.md", timeout=20000)
    assert "Scrambling data." in reader.browser.toPlainText()


def test_without_the_carrying_pack_the_reader_names_it(window: Any, qtbot: Any) -> None:
    reader = open_page(qtbot, window, AR, "pages/02-disk.md")
    done: list[bool] = []
    window.session.write(lambda c: c.vault.conn.execute("DELETE FROM packs WHERE id = ?", (EN,))).success(
        lambda _r: done.append(True)).run()
    qtbot.waitUntil(lambda: bool(done), timeout=20000)
    window.session.write(lambda c: c.vault.conn.execute("DELETE FROM media_blobs")).success(
        lambda _r: done.append(True)).run()
    qtbot.waitUntil(lambda: len(done) == 2, timeout=20000)
    reader = open_page(qtbot, window, AR, "pages/01-intro.md")
    reader = open_page(qtbot, window, AR, "pages/02-disk.md")
    assert all(img is None for img in reader.data.images.values())
    assert reader.notice.isVisible()
    assert "Digital safety lessons" in reader.notice.text() and EN in reader.notice.text()
    reader.browser.anchorClicked.emit(QUrl(f"satchel-pack:{EN}/pages/04-glossary.md"))
    qtbot.waitUntil(lambda: "This link leads to the pack" in reader.notice.text(), timeout=20000)
    assert reader.pack_id == AR


def test_an_rtl_interface_lays_out_strings_that_start_with_a_latin_name_right_to_left(qapp: Any) -> None:
    from ui import i18n
    from ui.widgets import label

    i18n.set_language("ar")
    i18n._catalog["Satchel keeps your library encrypted."] = "Satchel يحفظ مكتبتك مشفّرة."
    text = i18n.tr("Satchel keeps your library encrypted.")
    assert text.startswith(i18n.RLM)
    assert i18n.tr("A+") == "A+"  # no right-to-left letters: left alone
    w = label(text)
    w.resize(500, 30)
    image = w.grab().toImage()
    dark = [x for x in range(image.width()) for y in range(image.height()) if image.pixelColor(x, y).lightness() < 100]
    assert dark and min(dark) > image.width() // 3  # drawn from the right
    i18n.set_language("en")
    assert i18n.tr("Satchel keeps your library encrypted.") == "Satchel keeps your library encrypted."
    QApplication.processEvents()
