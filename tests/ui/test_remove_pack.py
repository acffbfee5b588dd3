"""Removing a pack in the app: a confirmation that says what goes with it (progress,
notes, ticks, bookmarks, and that an older copy cannot come back); a pack open in the
reader is closed; while another Satchel imports, removing is refused with one sentence;
and a pack removed by another Satchel while it is being read closes with a sentence."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from support import ROOT, write_source
from uihelp import PASSPHRASE, open_page, plain, wait_idle

from ui.library import COL_TITLE, PACK_ROLE
from ui.qt import QApplication, QMessageBox, Qt


def select_pack(lib: Any, pack_id: str) -> None:
    tree = lib.tree

    def find(item: Any) -> Any:
        if item.data(COL_TITLE, PACK_ROLE) == pack_id:
            return item
        for i in range(item.childCount()):
            hit = find(item.child(i))
            if hit is not None:
                return hit
        return None

    for i in range(tree.topLevelItemCount()):
        hit = find(tree.topLevelItem(i))
        if hit is not None:
            tree.setCurrentItem(hit)
            return
    raise AssertionError(f"{pack_id} is not shown")


def shown_ids(lib: Any) -> set[str]:
    out: set[str] = set()

    def walk(item: Any) -> None:
        if item.data(COL_TITLE, PACK_ROLE):
            out.add(item.data(COL_TITLE, PACK_ROLE))
        for i in range(item.childCount()):
            walk(item.child(i))

    for i in range(lib.tree.topLevelItemCount()):
        walk(lib.tree.topLevelItem(i))
    return out


def traces(vault: Any, pack_id: str) -> int:
    return sum(vault.conn.execute(f"SELECT count(*) FROM {t} WHERE pack_id = ?", (pack_id,)).fetchone()[0]
               for t in ("progress", "quiz_answers", "bookmarks", "notes", "reading_position", "pages"))


def confirm_box(qtbot: Any, actions: Any) -> QMessageBox:
    qtbot.waitUntil(lambda: actions.confirm is not None and actions.confirm.isVisible(), timeout=10000)
    return actions.confirm


def test_remove_asks_says_what_goes_and_closes_the_reader(unlocked: Any, qtbot: Any) -> None:
    w = unlocked
    lib, actions = w.view.library, w.view.library.actions
    reader = open_page(qtbot, w, "org.test.course", "pages/intro.md")
    reader.bookmark.click()
    reader.note_toggle.click()
    reader.note.setPlainText("a note still being typed")     # not saved yet when the pack goes
    w.view.show_library()
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: "org.test.course" in shown_ids(lib))
    select_pack(lib, "org.test.course")
    assert lib.remove_button.isEnabled()
    lib.remove_button.click()
    box = confirm_box(qtbot, actions)
    text = box.text() + " " + box.informativeText()
    assert "Safety course" in plain(text)
    assert "Your progress, notes, ticks and bookmarks in it go too" in text
    assert "1 note(s) and 1 bookmark(s)" in text
    assert "an older copy of this pack cannot come back unnoticed" in text
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)   # Enter does not remove
    box.button(QMessageBox.StandardButton.Cancel).click()
    wait_idle(qtbot, w)
    assert "org.test.course" in shown_ids(lib) and traces(w.session.vault, "org.test.course") > 0

    select_pack(lib, "org.test.course")
    w.activateWindow()
    lib.tree.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is lib.tree)
    qtbot.keyClick(lib.tree, Qt.Key.Key_Delete)                # the Delete key asks the same question
    box = confirm_box(qtbot, actions)
    remove = next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole)
    remove.click()
    qtbot.waitUntil(lambda: "org.test.course" not in shown_ids(lib), timeout=10000)
    wait_idle(qtbot, w)
    assert "was removed from your library" in lib.notice.text() and lib.notice.isVisible()
    assert reader.pack_id is None and reader.data is None and reader.note.toPlainText() == ""
    assert traces(w.session.vault, "org.test.course") == 0
    assert w.session.vault.conn.execute("SELECT count(*) FROM packs WHERE id = 'org.test.course'").fetchone() == (0,)


class OtherSatchelImport(threading.Thread):
    """Another Satchel process importing: its own connection to the vault, paused inside
    its write transaction until told to go on."""

    def __init__(self, home: Path, pack: Path) -> None:
        super().__init__(daemon=True)
        self.home, self.pack = home, pack
        self.inside, self.go = threading.Event(), threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        from app.vault import Vault
        from content_packs.importer import import_pack

        try:
            with Vault.unlock(self.home, PASSPHRASE) as v:
                def progress(_d: int, _t: int) -> None:
                    if v.conn.in_transaction and not self.inside.is_set():
                        self.inside.set()
                        self.go.wait(30)

                import_pack(v, self.pack, progress=progress)
        except BaseException as exc:  # handed to the test
            self.error = exc


def course_v2(tmp_path: Path, test_packs: Any) -> Path:
    """The test course again, version 2, signed by the same trainer."""
    from content_packs.build import build_pack
    from crypto import minisign

    key_file = test_packs.paths[0].parent / "keys" / "trainer.key"   # conftest's test_packs
    secret = minisign.secret_key_from_text(key_file.read_text(), None)
    src = write_source(tmp_path / "course2", "org.test.course", version=2, title="Safety course",
                       kind="course", pages={"pages/intro.md": "# Introduction, revised\n\nWelcome back.\n"},
                       chapters=[("Basics, revised", ["pages/intro.md"])])
    out = tmp_path / "course-2.satchel"
    build_pack(src, secret, out)
    return out


def test_removing_while_another_satchel_imports_is_refused(unlocked: Any, qtbot: Any, home_path: Path,
                                                            tmp_path: Path, test_packs: Any) -> None:
    w = unlocked
    lib, actions = w.view.library, w.view.library.actions
    qtbot.waitUntil(lambda: "org.test.course" in shown_ids(lib))
    other = OtherSatchelImport(home_path, course_v2(tmp_path, test_packs))
    other.start()
    assert other.inside.wait(30)
    try:
        select_pack(lib, "org.test.course")
        lib.remove_button.click()
        box = confirm_box(qtbot, actions)
        next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole).click()
        qtbot.waitUntil(lambda: any(isinstance(x, QMessageBox) and x.isVisible() and "busy importing" in x.text()
                                    for x in QApplication.topLevelWidgets()), timeout=15000)
        message = next(x for x in QApplication.topLevelWidgets()
                       if isinstance(x, QMessageBox) and x.isVisible() and "busy importing" in x.text())
        assert message.text() == ("The library is busy importing packs; remove the pack when the import "
                                  "has finished. Nothing was removed.")
        message.close()
    finally:
        other.go.set()
        other.join(30)
    assert other.error is None
    # The other import went through whole, and the app notices it by itself.
    qtbot.waitUntil(lambda: w.session.vault.conn.execute(
        "SELECT version FROM packs WHERE id = 'org.test.course'").fetchone() == (2,), timeout=10000)
    assert "org.test.course" in shown_ids(lib)


def test_a_pack_removed_by_another_satchel_while_read_closes_with_a_sentence(
        unlocked: Any, qtbot: Any, home_path: Path) -> None:
    w = unlocked
    reader = open_page(qtbot, w, "org.test.ar", "pages/first.md")
    proc = subprocess.run([sys.executable, "-m", "app.cli", "--home", str(home_path), "remove", "org.test.ar",
                           "--yes"], input=PASSPHRASE + "\n", capture_output=True, text=True, cwd=str(ROOT),
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    qtbot.waitUntil(lambda: reader.pack_id is None, timeout=10000)
    view = w.view
    assert view.stack.currentWidget() is view.library
    assert view.library.notice.text() == "The pack you were reading is no longer in your library."
    qtbot.waitUntil(lambda: "org.test.ar" not in shown_ids(view.library), timeout=10000)
    assert reader.browser.toPlainText() == ""
