"""What the library's "Add packs" menu and "Remove..." do: import pack files, a folder of
packs or starter packs, trust a trainer's key, remove a pack, and show "What's new".

Guarantees:
- Files are chosen with the app's own picker (ui/filepicker.py), which remembers nothing.
- Every import goes through ui/packs_dialog.py (the USB stick's listing and importer) and
  ends with "What's new" (ui/whatsnew.py), also when it was cancelled half-way.
- Removing asks first, saying what goes with the pack (progress, notes, ticks,
  bookmarks, with their numbers) and that an older copy cannot come back unnoticed;
  Cancel is the default button. The removal itself is app.remove on the worker, in one
  transaction; a busy library is said in one sentence and nothing changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ui.errors import show_error
from ui.i18n import N_, tr
from ui.qt import QAction, QApplication, QMenu, QMessageBox, QObject, Qt, QWidget, Signal
from ui.session import Session
from ui.widgets import clean, isolate

# Core sentences shown here, translated through the catalog (ui.errors.message_for).
_SENTENCES = (
    N_("The library is busy importing packs; remove the pack when the import has finished. Nothing was removed."),
    N_("There are no Satchel packs in this folder."),
    N_("This folder holds a sealed stick: open it with the USB stick button."),
)


def folder_source(path: Path) -> Any:
    """Worker: the packs in a folder the learner chose (either layout), or one sentence."""
    from sync.errors import NotARepository
    from sync.loose import find_loose
    from sync.sealed import sealed_candidates
    from sync.source import FolderSource, find_repository

    folder = find_repository(path)
    if folder is not None:
        return FolderSource(folder, path)
    loose = find_loose(path)
    if loose is not None:
        return loose
    if sealed_candidates(path):
        raise NotARepository("This folder holds a sealed stick: open it with the USB stick button.")
    raise NotARepository("There are no Satchel packs in this folder.")


class LibraryActions(QObject):
    open_requested = Signal(str, object)   # pack id, page path or None
    imported = Signal(object)              # the ids of the packs an import brought (a list)
    removed = Signal(str)                  # the id of a pack removed

    def __init__(self, session: Session, parent: QWidget) -> None:
        super().__init__(parent)
        self.session = session
        self.widget = parent
        self.dialog: Any = None        # the dialog on screen (for tests and for closing)
        self.whats_new: Any = None
        self.confirm: QMessageBox | None = None
        self.files_action = QAction(tr("Pack files..."), self)
        self.folder_action = QAction(tr("A folder of packs..."), self)
        self.starter_action = QAction(tr("Packs from the starter set..."), self)
        self.trust_action = QAction(tr("Trust a trainer's key..."), self)
        self.files_action.triggered.connect(self.import_files)
        self.folder_action.triggered.connect(self.import_folder)
        self.starter_action.triggered.connect(self.starter_set)
        self.trust_action.triggered.connect(self.trust_key)

    def menu(self, parent: QWidget) -> QMenu:
        menu = QMenu(parent)
        for action in (self.files_action, self.folder_action, self.starter_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.trust_action)
        return menu

    # -- importing -----------------------------------------------------------------

    def import_files(self) -> Any:
        from ui.filepicker import PACKS, pick

        def chosen(paths: list[Path]) -> None:
            from sync.loose import LooseSource

            self.import_from(lambda: LooseSource.from_files(paths), tr("Import pack files"))

        self.dialog = pick(self.widget, PACKS, chosen)
        return self.dialog

    def import_folder(self) -> Any:
        from ui.filepicker import FOLDER, pick

        self.dialog = pick(self.widget, FOLDER,
                           lambda paths: self.import_from(lambda: folder_source(paths[0]),
                                                          tr("Import a folder of packs")))
        return self.dialog

    def starter_set(self) -> Any:
        from content_packs.starter_set import starter_source

        return self.import_from(starter_source, tr("Add packs from the starter set"), only_new=True)

    def import_from(self, make_source: Any, title: str, only_new: bool = False) -> Any:
        from ui.packs_dialog import ImportPacksDialog

        dialog = ImportPacksDialog(self.session, make_source, title, self.widget, only_new)
        dialog.imported.connect(self.show_report)
        dialog.destroyed.connect(lambda *_: self._forget(dialog))
        dialog.open()
        self.dialog = dialog
        return dialog

    def _forget(self, dialog: Any) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def show_report(self, report: Any, note: str = "") -> None:
        """After any import: refresh what shows the library, then "What's new"."""
        from ui.whatsnew import show_whats_new

        results = list(report.imported)
        failures = [(o.file, tr(o.error or "")) for o in report.failed]
        self.imported.emit([r.pack_id for r in results])
        # Over the dialog it came from if that is still open (the USB dialog), else the window.
        parent = QApplication.activeModalWidget() or self.widget
        show_whats_new(parent, self.session, results, failures, note, shown=self._whats_new_shown)

    def _whats_new_shown(self, dialog: Any) -> None:
        self.whats_new = dialog
        dialog.open_requested.connect(self.open_requested)
        dialog.destroyed.connect(lambda *_: setattr(self, "whats_new", None) if self.whats_new is dialog else None)

    # -- trusting ------------------------------------------------------------------

    def trust_key(self) -> Any:
        from ui.filepicker import KEY, pick
        from ui.trust_dialog import trust_key_file

        def chosen(paths: list[Path]) -> None:
            trust_key_file(self.widget, self.session, paths[0],
                           shown=lambda d: setattr(self, "dialog", d))

        self.dialog = pick(self.widget, KEY, chosen)
        return self.dialog

    # -- removing ------------------------------------------------------------------

    def remove(self, pack_id: str) -> None:
        """Ask (with what goes), then remove `pack_id`."""
        from app.remove import removal_summary

        self.session.op(lambda c: removal_summary(c.vault, pack_id)).success(self._ask).run()

    def _ask(self, summary: Any) -> None:
        if summary is None:
            return
        box = QMessageBox(self.widget)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(tr("Remove a pack"))
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(tr("Remove “{title}” from your library?", title=isolate(clean(summary.title))))
        box.setInformativeText(tr(
            "Your progress, notes, ticks and bookmarks in it go too: {done} page(s) marked done, "
            "{answers} quiz answer(s), {notes} note(s) and {bookmarks} bookmark(s). Satchel keeps a note "
            "of version {version}, so an older copy of this pack cannot come back unnoticed; this version "
            "or a newer one can be imported again.",
            done=summary.completed, answers=summary.answers, notes=summary.notes,
            bookmarks=summary.bookmarks, version=summary.version))
        remove = box.addButton(tr("Remove"), QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        remove.clicked.connect(lambda: self._remove(summary.pack_id))
        box.finished.connect(lambda _r: setattr(self, "confirm", None))
        self.confirm = box
        box.open()

    def _remove(self, pack_id: str) -> None:
        from app.remove import remove_pack

        # Merging the search index takes about 0.2 s per 15,000 pages (bench/bench_library.py).
        self.session.write(lambda c: remove_pack(c.vault, pack_id)).with_progress(
            tr("Removing the pack...")).success(
            lambda s: self.removed.emit(s.pack_id)).failure(
            lambda exc: show_error(self.widget, exc)).run()
