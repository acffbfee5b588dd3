"""Importing from the app, as a defender would: pack files or a folder of packs chosen in
the app's own picker, a list that says what each file is, Import with progress and
Cancel, then "What's new" (new packs; updated packs with the pages added, changed and
removed). A file that is not a pack is one sentence; an unknown signer can be trusted
after comparing the fingerprint."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from support import make_keypair, write_source
from uihelp import plain, wait_idle

from content_packs.build import build_pack
from ui.filepicker import QFileDialog
from ui.qt import QApplication, QLineEdit, QMessageBox

MiB = 1024 * 1024


def trainer_secret(test_packs: Any) -> Any:
    from crypto import minisign

    return minisign.secret_key_from_text((test_packs.paths[0].parent / "keys" / "trainer.key").read_text(), None)


def built(tmp_path: Path, secret: Any, pack_id: str, version: int = 1, title: str = "A guide",
          pages: dict[str, str] | None = None, media: int = 0, kind: str = "guide") -> Path:
    src = write_source(tmp_path / f"src-{pack_id}-{version}", pack_id, version=version, title=title, kind=kind,
                       pages=pages, media={"media/clip.mp4": os.urandom(media)} if media else None)
    out = tmp_path / f"{pack_id}-{version}.satchel"
    build_pack(src, secret, out)
    return out


def choose_in_picker(qtbot: Any, picker: QFileDialog, paths: list[Path]) -> None:
    """What a person does in the picker: go to the folder, pick the files, Open."""
    qtbot.waitUntil(picker.isVisible)
    assert picker.testOption(QFileDialog.Option.DontUseNativeDialog)
    picker.setDirectory(str(paths[0].parent))
    edit = picker.findChild(QLineEdit, "fileNameEdit")
    if picker.fileMode() == QFileDialog.FileMode.Directory:
        picker.selectFile(str(paths[0]))
    else:
        edit.setText(" ".join(f'"{p.name}"' for p in paths))
    picker.accept()


def import_dialog(qtbot: Any, actions: Any) -> Any:
    from ui.packs_dialog import ImportPacksDialog

    qtbot.waitUntil(lambda: isinstance(actions.dialog, ImportPacksDialog) and actions.dialog.op is None
                    and bool(actions.dialog.rows), timeout=20000)
    return actions.dialog


def rows(dialog: Any) -> list[tuple[str, str, str]]:
    t = dialog.table
    return [(t.item(r, 1).text(), plain(t.item(r, 2).text()), t.item(r, 5).text()) for r in range(t.rowCount())]


def whats_new(qtbot: Any, actions: Any) -> Any:
    qtbot.waitUntil(lambda: actions.whats_new is not None and actions.whats_new.isVisible(), timeout=30000)
    return actions.whats_new


def test_pack_files_from_the_picker_then_whats_new(unlocked: Any, qtbot: Any, tmp_path: Path,
                                                   test_packs: Any) -> None:
    w = unlocked
    actions = w.view.library.actions
    secret = trainer_secret(test_packs)
    first = built(tmp_path / "files", secret, "org.test.one", title="First new guide")
    second = built(tmp_path / "files", secret, "org.test.two", title="Second new guide", kind="course")
    picker = actions.import_files()
    choose_in_picker(qtbot, picker, [first, second])
    dialog = import_dialog(qtbot, actions)
    assert rows(dialog) == [("new", "First new guide", ""), ("new", "Second new guide", "")]
    assert dialog.import_button.isEnabled() and not dialog.trust_button.isEnabled()
    seen: list[int] = []
    dialog.progress.valueChanged.connect(seen.append)
    dialog.import_button.click()
    news = whats_new(qtbot, actions)
    assert max(seen) > 0
    lines = [plain(t) for t in news.texts()]
    assert lines[0] == "New in your library"
    assert "First new guide (English (en), version 1, 2 page(s))" in lines
    assert plain(news.summary.text()) == "2 new pack(s), 0 updated."
    wait_idle(qtbot, w)
    from app.library import get_pack

    assert get_pack(w.session.vault, "org.test.one") is not None
    # Activating a new pack opens it.
    item = next(news.tree.topLevelItem(0).child(i) for i in range(news.tree.topLevelItem(0).childCount())
                if "Second" in news.tree.topLevelItem(0).child(i).text(0))
    news.tree.setCurrentItem(item)
    news.open_button.click()
    qtbot.waitUntil(lambda: w.view.reader.pack_id == "org.test.two", timeout=10000)


def test_an_update_lists_the_pages_added_changed_and_removed(unlocked: Any, qtbot: Any, tmp_path: Path,
                                                             test_packs: Any) -> None:
    w = unlocked
    actions = w.view.library.actions
    v2 = built(tmp_path, trainer_secret(test_packs), "org.test.course", 2, "Safety course", kind="course",
               pages={"pages/intro.md": "# Introduction\n\nWelcome to the course.\n",     # unchanged
                      "pages/long.md": "# A shorter page\n\nNow short.\n",                  # changed
                      "pages/travel.md": "# Travelling safely\n\nNew advice.\n"})           # added
    # broken.md and check.quiz.md are gone in version 2.
    from sync.loose import LooseSource

    actions.import_from(lambda: LooseSource.from_files([v2]), "Import")
    dialog = import_dialog(qtbot, actions)
    assert rows(dialog) == [("update", "Safety course", "")]
    dialog.import_button.click()
    news = whats_new(qtbot, actions)
    lines = [plain(t) for t in news.texts()]
    assert lines[:2] == ["Updated", "Safety course: version 1 to 2"]
    assert lines[2:] == ["Added: Travelling safely", "Changed: A shorter page", "Removed: Broken page",
                         "Removed: Check yourself"]
    added = news.tree.topLevelItem(0).child(0).child(0)
    news.tree.setCurrentItem(added)
    news.tree.itemActivated.emit(added, 0)
    qtbot.waitUntil(lambda: w.view.reader.path == "pages/travel.md", timeout=10000)


def test_a_folder_with_files_that_are_not_packs(unlocked: Any, qtbot: Any, tmp_path: Path,
                                                 test_packs: Any) -> None:
    w = unlocked
    actions = w.view.library.actions
    folder = tmp_path / "From the workshop"
    folder.mkdir()
    shutil.copyfile(built(tmp_path, trainer_secret(test_packs), "org.test.three", title="Third"),
                    folder / "third.satchel")
    (folder / "x.satchel").mkdir()
    (folder / "empty.satchel").write_bytes(b"")
    (folder / "notes.satchel").write_text("not a pack")
    picker = actions.import_folder()
    choose_in_picker(qtbot, picker, [folder])
    dialog = import_dialog(qtbot, actions)
    assert sorted(rows(dialog)) == sorted([
        ("new", "Third", ""),
        ("not a pack", "empty.satchel", "The pack file is empty."),
        ("not a pack", "notes.satchel",
         "This file is not a Satchel pack (it is not a ZIP archive, or it is truncated)."),
        ("not a pack", "x.satchel", "That is a folder, not a pack file."),
    ])
    assert dialog.chosen_files() == ["third.satchel"]
    dialog.import_button.click()
    news = whats_new(qtbot, actions)
    assert [plain(t) for t in news.texts()] == ["New in your library", "Third (English (en), version 1, 2 page(s))"]


def test_cancel_stops_after_the_pack_in_flight(unlocked: Any, qtbot: Any, tmp_path: Path, test_packs: Any) -> None:
    w = unlocked
    actions = w.view.library.actions
    secret = trainer_secret(test_packs)
    files = [built(tmp_path, secret, f"org.test.big{i}", title=f"Big {i}", media=24 * MiB) for i in range(3)]
    from sync.loose import LooseSource

    actions.import_from(lambda: LooseSource.from_files(files), "Import")
    dialog = import_dialog(qtbot, actions)
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.cancel_button.isEnabled() and dialog.progress.value() > 0, timeout=20000)
    dialog.cancel_button.click()
    news = whats_new(qtbot, actions)
    wait_idle(qtbot, w)
    assert "The import was cancelled" in news.summary.text()
    imported = {r[0] for r in w.session.vault.conn.execute("SELECT id FROM packs WHERE id LIKE 'org.test.big%'")}
    assert len(imported) < 3
    assert sum(1 for t in news.texts() if t.startswith("\u2068Big")) == len(imported)
    # Nothing half-imported: every pack present is whole.
    for pid in imported:
        assert w.session.vault.conn.execute("SELECT count(*) FROM pages WHERE pack_id = ?", (pid,)).fetchone()[0] == 2


def test_trust_an_unknown_signer_after_comparing_the_fingerprint(unlocked: Any, qtbot: Any, tmp_path: Path) -> None:
    w = unlocked
    actions = w.view.library.actions
    stranger = make_keypair(tmp_path / "keys", "stranger")
    pack = built(tmp_path, stranger.secret, "org.stranger.guide", title="From a new trainer")
    from sync.loose import LooseSource

    actions.import_from(lambda: LooseSource.from_files([pack]), "Import")
    dialog = import_dialog(qtbot, actions)
    assert rows(dialog)[0][0] == "untrusted signer" and not dialog.import_button.isEnabled()
    assert dialog.trust_button.isEnabled()
    dialog.trust_button.click()
    qtbot.waitUntil(lambda: getattr(dialog, "trust_dialog", None) is not None, timeout=10000)
    trust = dialog.trust_dialog
    assert [g.text() for g in trust.group_labels] == stranger.public.fingerprint().split()
    assert len(trust.group_labels) == 12 and all(len(g.text()) == 5 for g in trust.group_labels)
    assert trust.group_labels[0].font().pointSizeF() >= 1.9 * trust.font().pointSizeF()
    assert not trust.trust_button.isEnabled() and trust.cancel_button.isDefault()
    trust.name.setText("Amira, workshop trainer")
    trust.match.setChecked(True)
    trust.trust_button.click()
    qtbot.waitUntil(lambda: rows(dialog) and rows(dialog)[0][0] == "new", timeout=20000)
    from app.trust import TrustStore

    grant = TrustStore(w.session.vault).grant_for(stranger.public.key_id_hex)
    assert grant is not None and (grant.source, grant.name) == ("manual", "Amira, workshop trainer")
    dialog.import_button.click()
    whats_new(qtbot, actions)


def test_trust_a_key_file_refuses_a_secret_key_and_other_files(unlocked: Any, qtbot: Any, tmp_path: Path) -> None:
    w = unlocked
    actions = w.view.library.actions
    from crypto import minisign

    secret = tmp_path / "keys" / "trainer.key"
    secret.parent.mkdir()
    secret.write_text(minisign.secret_key_to_text(minisign.generate_key(), "a passphrase"))
    other = tmp_path / "keys" / "photo.pub"
    other.write_bytes(b"\xff\xd8\xff\xe0 not a key")
    for path, sentence in ((secret, "This file is a secret key, not a public key"),
                           (other, "This file is not a public key")):
        before = w.session.vault.conn.execute("SELECT count(*) FROM trusted_keys").fetchone()
        choose_in_picker(qtbot, actions.trust_key(), [path])
        qtbot.waitUntil(lambda s=sentence: any(isinstance(x, QMessageBox) and x.isVisible() and s in x.text()
                                               for x in QApplication.topLevelWidgets()), timeout=10000)
        for x in QApplication.topLevelWidgets():
            if isinstance(x, QMessageBox) and x.isVisible():
                x.close()
        assert w.session.vault.conn.execute("SELECT count(*) FROM trusted_keys").fetchone() == before
    good = make_keypair(tmp_path / "keys", "good")
    choose_in_picker(qtbot, actions.trust_key(), [good.pub_path])
    from ui.trust_dialog import TrustKeyDialog

    qtbot.waitUntil(lambda: isinstance(actions.dialog, TrustKeyDialog), timeout=10000)
    trust = actions.dialog
    assert " ".join(g.text() for g in trust.group_labels) == good.public.fingerprint()
    trust.cancel_button.click()
    wait_idle(qtbot, w)
    assert w.session.vault.conn.execute("SELECT count(*) FROM trusted_keys WHERE key_id = ?",
                                        (good.public.key_id_hex,)).fetchone() == (0,)

