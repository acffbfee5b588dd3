"""The reader: right-to-left pages, links, outside addresses (never opened), images from
the vault only (placeholders for missing or huge ones), broken pages, text size,
previous/next and the remembered reading position."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from uihelp import open_page, unlock, wait_idle

from ui.browser import ExternalLinkDialog, PageDocument, placeholder_image
from ui.qt import QApplication, Qt, QTextDocument, QUrl
from ui.unlock import UnlockScreen


def test_arabic_page_is_laid_out_right_to_left(unlocked: Any, qtbot: Any) -> None:
    reader = open_page(qtbot, unlocked, "org.test.ar", "pages/first.md")
    assert QApplication.layoutDirection() == Qt.LayoutDirection.LeftToRight  # the interface is English
    assert reader.browser.layoutDirection() == Qt.LayoutDirection.RightToLeft
    doc = reader.browser.document()
    assert doc.defaultTextOption().textDirection() == Qt.LayoutDirection.RightToLeft
    block = doc.firstBlock()
    assert "حقوق" in block.text()
    assert block.textDirection() == Qt.LayoutDirection.RightToLeft
    # An English page afterwards is left to right again.
    reader = open_page(qtbot, unlocked, "org.test.course", "pages/intro.md")
    assert reader.browser.layoutDirection() == Qt.LayoutDirection.LeftToRight
    assert reader.browser.document().firstBlock().textDirection() == Qt.LayoutDirection.LeftToRight


def test_images_come_from_the_vault_with_placeholders_for_missing_and_huge(unlocked: Any, qtbot: Any) -> None:
    reader = open_page(qtbot, unlocked, "org.test.ar", "pages/first.md")
    doc = reader.browser.document()
    assert isinstance(doc, PageDocument)
    kind = QTextDocument.ResourceType.ImageResource.value
    photo = doc.resource(kind, QUrl("satchel-media:media/photo.png"))
    assert photo.size().width() == 40 and photo.size().height() == 30
    placeholder = placeholder_image()
    assert doc.resource(kind, QUrl("satchel-media:media/missing.png")) == placeholder
    assert doc.resource(kind, QUrl("satchel-media:media/huge.png")) == placeholder
    assert reader.data.images["media/huge.png"] is None
    # Nothing but satchel-media images: any other image request gets the placeholder (never
    # nothing, which would let Qt read a local file of that name), other resources nothing.
    for url in ("https://example.org/a.png", "file:///etc/passwd", "/etc/passwd", "media/photo.png"):
        assert doc.loadResource(kind, QUrl(url)) == placeholder
    assert (
        doc.loadResource(
            QTextDocument.ResourceType.StyleSheetResource.value, QUrl("satchel-media:media/photo.png")
        )
        is None
    )
    assert reader.browser.loadResource(kind, QUrl("https://example.org/a.png")) == placeholder
    assert reader.browser.openLinks() is False and reader.browser.openExternalLinks() is False


def test_links_to_other_pages_work(unlocked: Any, qtbot: Any) -> None:
    reader = open_page(qtbot, unlocked, "org.test.ar", "pages/first.md")
    html = reader.data.html
    assert 'href="satchel-page:pages/second.md#part"' in html
    reader.browser.anchorClicked.emit(QUrl("satchel-page:pages/second.md#part"))
    qtbot.waitUntil(lambda: reader.path == "pages/second.md", timeout=10000)
    assert "الصفحة الثانية" in reader.browser.toPlainText()


def test_external_link_is_shown_never_opened_and_copy_is_taken_back_on_lock(
    unlocked: Any, qtbot: Any
) -> None:
    reader = open_page(qtbot, unlocked, "org.test.ar", "pages/first.md")
    href = next(
        part.split('"')[0]
        for part in reader.data.html.split('href="')[1:]
        if part.startswith("satchel-external:")
    )
    reader.browser.anchorClicked.emit(QUrl(href))
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, ExternalLinkDialog))
    assert dialog.isVisible()
    assert dialog.address.text() == "https://example.org/path?q=1&x=2"
    assert reader.path == "pages/first.md"  # nothing navigated
    dialog.copy_button.click()
    assert QApplication.clipboard().text() == "https://example.org/path?q=1&x=2"
    unlocked.lock()
    assert QApplication.clipboard().text() == ""
    assert not dialog.isVisible()
    assert isinstance(unlocked.screen, UnlockScreen)


def test_clipboard_from_another_application_is_left_alone(unlocked: Any, qtbot: Any) -> None:
    unlocked.clipboard._ours.clear()
    QApplication.clipboard().setText("someone else's text")
    unlocked.clipboard._ours.clear()  # as if it came while Satchel was not active
    unlocked.lock()
    assert QApplication.clipboard().text() == "someone else's text"


def test_broken_markdown_page_still_opens(unlocked: Any, qtbot: Any) -> None:
    reader = open_page(qtbot, unlocked, "org.test.course", "pages/broken.md")
    text = reader.browser.toPlainText()
    assert "Broken page" in text and "an unclosed fence" in text
    assert "<script>" not in reader.browser.toHtml().replace("&lt;script&gt;", "")
    assert "\u202e" not in reader.title.text()


def test_previous_next_and_font_size(unlocked: Any, qtbot: Any) -> None:
    reader = open_page(qtbot, unlocked, "org.test.course", "pages/intro.md")
    assert not reader.prev_button.isEnabled() and reader.next_button.isEnabled()
    reader.next_button.click()
    qtbot.waitUntil(lambda: reader.path == "pages/long.md", timeout=10000)
    assert reader.prev_button.isEnabled()
    wait_idle(qtbot, unlocked)
    size = reader.browser.document().defaultFont().pointSizeF()
    reader.larger.click()
    reader.larger.click()
    assert reader.browser.document().defaultFont().pointSizeF() > size
    assert unlocked.session.prefs.reader_zoom == 120
    reader.prev_button.click()
    qtbot.waitUntil(lambda: reader.path == "pages/intro.md", timeout=10000)
    assert reader.browser.document().defaultFont().pointSizeF() > size  # kept for every page
    wait_idle(qtbot, unlocked)
    from app.vault import Vault

    vault: Vault = unlocked.session.vault
    assert vault.get_setting("ui.reader_zoom") == 120


def test_reading_position_is_remembered_after_restart(make_window: Any, home_path: Path, qtbot: Any) -> None:
    w = make_window(home_path)
    unlock(qtbot, w)
    reader = open_page(qtbot, w, "org.test.course", "pages/long.md")
    bar = reader.browser.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(bar.maximum() // 2)
    w.lock()
    wait_idle(qtbot, w)
    w.close()
    w2 = make_window(home_path)
    unlock(qtbot, w2)
    lib = w2.view.library
    qtbot.waitUntil(lambda: lib.continue_button.isEnabled())
    assert "“\u2068A long page\u2069”" in lib.continue_label.text()
    lib.continue_button.click()
    reader2 = w2.view.reader
    qtbot.waitUntil(lambda: reader2.path == "pages/long.md", timeout=10000)
    bar2 = reader2.browser.verticalScrollBar()
    qtbot.waitUntil(
        lambda: bar2.maximum() > 0 and abs(bar2.value() / bar2.maximum() - 0.5) < 0.05, timeout=5000
    )
    # Opening the pack itself also goes back to that page.
    w2.view.show_library()
    reader2.pack_id = None
    w2.view.open("org.test.course")
    qtbot.waitUntil(lambda: reader2.path == "pages/long.md", timeout=10000)
