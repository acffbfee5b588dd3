"""USB sticks in the desktop app: a watcher that notices sticks come and go, and one
dialog to import from, copy to and check a stick, with progress and Cancel.

Guarantees:
- The work runs in sync/ (the same functions as `satchel usb ...`) on a QThread; the
  GUI thread only shows results. One job at a time; Cancel asks it to stop, and closing
  the dialog (or a lock or panic closing it) cancels it without waiting.
- Text from a stick is shown only after its pack verified, through `clean()`, in plain
  table items; an unverified file is shown by its neutral name and the reason.
- No native or Qt file dialog is used: they keep recent folders in files outside the
  vault (GTK's recently-used list, QtProject.conf). `FolderPicker` browses folders with
  a QFileSystemModel instead, and remembers nothing.
- A sealed stick's passphrase is typed into a field in this dialog, read once and cleared.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ui.errors import message_for
from ui.i18n import N_, tr
from ui.qt import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDir,
    QFileSystemModel,
    QHBoxLayout,
    QHeaderView,
    QObject,
    QProgressBar,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QThread,
    QTreeView,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.widgets import PassphraseField, clean, label, push

CHECK_COL = 0
STATE_TEXT = {"new": N_("new"), "update": N_("update"), "have": N_("already have"),
              "older": N_("older than yours"), "untrusted": N_("untrusted signer"), "damaged": N_("damaged")}
INDEX_TEXT = {"trusted": N_("The index is signed by {signer}, a key you trust."),
              "untrusted": N_("The index is signed by key {signer}, which you do not trust."),
              "unsigned": N_("The index is not signed."),
              "forged": N_("The index's signature does not match it; it may have been tampered with."),
              "invalid": N_("The index is damaged or unreadable."),
              "missing": N_("The stick has no index."),
              "loose": N_("These pack files have no index; each one is checked on its own signature.")}
CHECK_TEXT = {"ok": N_("intact"), "damaged": N_("damaged"), "untrusted": N_("untrusted signer"),
              "missing": N_("missing"), "stale": N_("out of date"), "unlisted": N_("not in the index")}
_RUNNING: set[Any] = set()   # jobs outlive a closed dialog until their thread ends


class UsbWatcher(QObject):
    """Qt face of sync.usb.StickWatcher: signals arrive on the GUI thread (queued)."""

    stickInserted = Signal(str)  # noqa: N815 (Qt naming)
    stickRemoved = Signal(str)  # noqa: N815

    def __init__(self, interval: float = 1.0, parent: QObject | None = None,
                 lister: Callable[[], list[Any]] | None = None) -> None:
        super().__init__(parent)
        from sync.usb import StickWatcher, list_sticks

        self._watcher = StickWatcher(self._changed, interval, lister or list_sticks)

    def _changed(self, inserted: list[Any], removed: list[Any]) -> None:
        for s in removed:
            self.stickRemoved.emit(str(s.path))
        for s in inserted:
            self.stickInserted.emit(str(s.path))

    def sticks(self) -> list[str]:
        return [str(s.path) for s in self._watcher.current()]

    def start(self) -> None:
        self._watcher.start()

    def stop(self) -> None:
        self._watcher.stop()


class _Job(QThread):
    progressed = Signal(object, object)
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, fn: Callable[[Callable[[int, int], None], threading.Event], Any]) -> None:
        super().__init__()
        self.fn = fn
        self.cancel = threading.Event()
        self.finished.connect(self._forget)

    def _forget(self) -> None:
        self.wait()
        _RUNNING.discard(self)

    def run(self) -> None:
        try:
            value = self.fn(lambda d, t: self.progressed.emit(d, t), self.cancel)
        except Exception as exc:
            self.failed.emit(exc)
            return
        self.succeeded.emit(value)


class FolderPicker(QDialog):
    """Choose a folder without a file dialog (nothing is remembered anywhere)."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Folders"))
        self.model = QFileSystemModel(self)
        self.model.setFilter(QDir.Filter.AllDirs | QDir.Filter.NoDotAndDotDot | QDir.Filter.Drives)
        self.model.setRootPath("")
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        for col in (1, 2, 3):
            self.tree.hideColumn(col)
        self.tree.setAccessibleName(tr("Folders"))
        ok, cancel = push(tr("Open"), default=True), push(tr("Cancel"))
        ok.clicked.connect(self._accept)
        cancel.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(cancel)
        row.addWidget(ok)
        col = QVBoxLayout(self)
        col.addWidget(self.tree, 1)
        col.addLayout(row)
        self.resize(520, 420)

    def _accept(self) -> None:
        index = self.tree.currentIndex()
        if index.isValid():
            self.chosen.emit(self.model.filePath(index))
        self.accept()


class UsbDialog(QDialog):
    """Import from, copy to, and check a USB stick (or any folder)."""

    imported = Signal(object)   # the ImportReport of an import (whole, or cut short): for "What's new"

    def __init__(self, vault: Any, parent: QWidget | None = None, session: Any = None) -> None:
        super().__init__(parent)
        self.vault = vault
        self.session = session
        self.setWindowTitle(tr("USB stick"))
        self.job: _Job | None = None
        self.source: Any = None
        self.listing: Any = None
        self.vault_packs: list[Any] = []
        self.result: Any = None

        self.stick_box = QComboBox()
        self.stick_box.setAccessibleName(tr("Stick"))
        self.open_button = push(tr("Open folder..."))
        self.check_button = push(tr("Check stick"))
        top = QHBoxLayout()
        top.addWidget(label(tr("Stick"), wrap=False))
        top.addWidget(self.stick_box, 1)
        top.addWidget(self.open_button)
        top.addWidget(self.check_button)

        self.passphrase = PassphraseField(tr("Passphrase of the sealed stick"))
        self.passphrase.setPlaceholderText(tr("Passphrase of the sealed stick"))
        self.unseal_button = push(tr("Open sealed stick"))
        seal_row = QHBoxLayout()
        seal_row.addWidget(self.passphrase, 1)
        seal_row.addWidget(self.unseal_button)
        self.seal_widget = QWidget()
        self.seal_widget.setLayout(seal_row)
        self.seal_widget.setVisible(False)

        self.import_table = self._table([tr("Import"), tr("State"), tr("Pack"), tr("Version"),
                                         tr("Language"), tr("Title")])
        self.import_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.import_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.import_button = push(tr("Import selected"), default=True)
        self.trust_button = push(tr("Trust this signer..."))
        self.trust_button.setVisible(session is not None)
        self.trust_button.setEnabled(False)
        self.trust_button.clicked.connect(self.trust_signer)
        self.import_table.currentCellChanged.connect(lambda *_: self._update_trust())
        in_buttons = QHBoxLayout()
        in_buttons.addWidget(self.trust_button)
        in_buttons.addStretch(1)
        in_buttons.addWidget(self.import_button)
        page_in = QWidget()
        col_in = QVBoxLayout(page_in)
        col_in.addWidget(self.seal_widget)
        col_in.addWidget(self.import_table, 1)
        col_in.addLayout(in_buttons)

        self.export_table = self._table([tr("Copy"), tr("Pack"), tr("Version"), tr("Language"), tr("Title")])
        self.sealed_box = QCheckBox(tr("Sealed stick: one encrypted file, opened with a passphrase"))
        self.export_passphrase = PassphraseField(tr("New passphrase for the sealed stick"))
        self.export_passphrase.setPlaceholderText(tr("New passphrase for the sealed stick"))
        self.export_passphrase.setEnabled(False)
        self.sealed_box.toggled.connect(self.export_passphrase.setEnabled)
        self.export_button = push(tr("Copy to stick"))
        page_out = QWidget()
        col_out = QVBoxLayout(page_out)
        col_out.addWidget(self.export_table, 1)
        col_out.addWidget(self.sealed_box)
        col_out.addWidget(self.export_passphrase)
        col_out.addWidget(self.export_button, 0, Qt.AlignmentFlag.AlignRight)

        self.tabs = QTabWidget()
        self.tabs.addTab(page_in, tr("From the stick"))
        self.tabs.addTab(page_out, tr("To the stick"))

        self.status = label("", selectable=True)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(tr("Progress"))
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.cancel_button = push(tr("Cancel"))
        self.cancel_button.setEnabled(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.cancel_button)

        col = QVBoxLayout(self)
        col.addLayout(top)
        col.addWidget(self.tabs, 1)
        col.addWidget(self.status)
        col.addLayout(bottom)
        self.resize(760, 520)

        self.stick_box.currentIndexChanged.connect(lambda _i: self.load(self.current_path()))
        self.open_button.clicked.connect(self.choose_folder)
        self.check_button.clicked.connect(self.check)
        self.unseal_button.clicked.connect(lambda: self.load(self.current_path(), self.passphrase.take()))
        self.import_button.clicked.connect(self.import_selected)
        self.export_button.clicked.connect(self.export_selected)
        self.cancel_button.clicked.connect(self.cancel)
        self._buttons = [self.open_button, self.check_button, self.import_button, self.export_button,
                         self.unseal_button, self.stick_box]
        self._pending: Callable[[], None] | None = None
        self._keep_status: str | None = None   # a result to keep on screen after re-listing
        self._run(lambda p, c: _vault_list(self.vault), self._show_vault_packs, quiet=True)

    # -- sticks --------------------------------------------------------------------

    def attach_watcher(self, watcher: UsbWatcher) -> None:
        for path in watcher.sticks():
            self.add_stick(path, select=False)
        watcher.stickInserted.connect(self.add_stick)
        watcher.stickRemoved.connect(self.remove_stick)

    def current_path(self) -> Path | None:
        data = self.stick_box.currentData()
        return Path(data) if data else None

    def add_stick(self, path: str, select: bool = True) -> None:
        index = self.stick_box.findData(path)
        if index < 0:
            self.stick_box.addItem(clean(path), path)
            index = self.stick_box.count() - 1
        if select or self.stick_box.count() == 1:
            if self.stick_box.currentIndex() == index:
                self.load(Path(path))
            else:
                self.stick_box.setCurrentIndex(index)

    def remove_stick(self, path: str) -> None:
        index = self.stick_box.findData(path)
        if index >= 0:
            if index == self.stick_box.currentIndex() and self.job is not None:
                self.job.cancel.set()
            self.stick_box.removeItem(index)
        if self.stick_box.count() == 0:
            self.source = self.listing = None
            self.import_table.setRowCount(0)

    def choose_folder(self) -> None:
        picker = FolderPicker(self)
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.chosen.connect(self.add_stick)
        picker.open()

    # -- jobs ----------------------------------------------------------------------

    def _run(self, fn: Callable[..., Any], done: Callable[[Any], None], quiet: bool = False) -> bool:
        if self.job is not None:
            return False
        job = _Job(fn)
        job.progressed.connect(self._progress)
        job.succeeded.connect(lambda value: self._finished(job, done, value))
        job.failed.connect(lambda exc: self._finished(job, self._failed, exc))
        self.job = job
        _RUNNING.add(job)
        for w in self._buttons:
            w.setEnabled(False)
        self.cancel_button.setEnabled(not quiet)
        self.progress.setRange(0, 0)
        job.start()
        return True

    def _progress(self, done: int, total: int) -> None:
        if self.job is None:
            return
        scale = max(1, total // 1_000_000) if total > 2**30 else 1
        self.progress.setRange(0, max(1, total // scale))
        self.progress.setValue(min(done, total) // scale)

    def _finished(self, job: _Job, then: Callable[[Any], None], value: Any) -> None:
        if job is not self.job:
            return
        self.job = None
        for w in self._buttons:
            w.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)
            self.progress.setValue(1)
        then(value)
        pending, self._pending = self._pending, None
        if pending is not None and self.job is None:
            pending()

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(message_for(exc))
        report = getattr(exc, "report", None)
        if report is not None and report.imported:   # cancelled or pulled: what went in is in
            self.imported.emit(report)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel.set()

    def busy(self) -> bool:
        return self.job is not None

    def done(self, result: int) -> None:  # lock and panic close dialogs this way
        if self.job is not None:
            self.job.cancel.set()
            self.job = None
        if self.source is not None and hasattr(self.source, "close"):
            self.source.close()
        super().done(result)

    # -- listing and importing -------------------------------------------------------

    def load(self, path: Path | None, passphrase: str | None = None) -> None:
        if path is None:
            return
        from sync.loose import find_loose
        from sync.sealed import SealedSource, open_sealed, sealed_candidates
        from sync.source import FolderSource, find_repository
        from sync.usb_import import list_stick

        def work(progress: Any, cancel: threading.Event) -> Any:
            if path.is_file():
                if not passphrase:
                    return "sealed"
                return SealedSource(path, passphrase), None
            folder = find_repository(path)
            loose = find_loose(path) if folder is None else None
            if folder is not None:
                source: Any = FolderSource(folder, path)
            elif loose is not None:
                source = loose     # pack files copied by hand: each judged on its own signature
            else:
                candidates = sealed_candidates(path)
                if not candidates:
                    return "nothing"
                if not passphrase:
                    return "sealed"
                source = open_sealed(candidates, passphrase)
            return source, list_stick(self.vault, source)

        if self.job is not None:
            self._pending = lambda: self.load(path, passphrase)
            return
        self.status.setText(tr("Looking at the stick..."))
        self._run(lambda p, c: _then_list(work(p, c), self.vault), self._show_listing, quiet=True)

    def _show_listing(self, value: Any) -> None:
        keep, self._keep_status = self._keep_status, None
        self._fill_listing(value)
        if keep is not None:
            self.status.setText(keep)

    def _fill_listing(self, value: Any) -> None:
        self.seal_widget.setVisible(value == "sealed")
        self.import_table.setRowCount(0)
        if value == "sealed":
            self.status.setText(tr("This may be a sealed stick: type its passphrase to open it."))
            return
        if value == "nothing":
            self.source = self.listing = None
            self.status.setText(tr("There are no Satchel packs on this stick."))
            return
        self.source, self.listing = value
        rows = self.listing.packs
        for row, p in enumerate(rows):
            self.import_table.insertRow(row)
            check = QTableWidgetItem()
            flags = Qt.ItemFlag.ItemIsEnabled | (Qt.ItemFlag.ItemIsUserCheckable if p.importable else Qt.ItemFlag(0))
            check.setFlags(flags)
            check.setCheckState(Qt.CheckState.Checked if p.importable else Qt.CheckState.Unchecked)
            check.setData(Qt.ItemDataRole.UserRole, p.file)
            self.import_table.setItem(row, CHECK_COL, check)
            cells = [tr(STATE_TEXT[p.state]), p.pack_id or p.file, str(p.version or ""), p.language or "",
                     p.title if p.title is not None else (p.reason or "")]
            for c, text in enumerate(cells, start=1):
                item = QTableWidgetItem(clean(text, 300))
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.import_table.setItem(row, c, item)
        untrusted = next((r for r, p in enumerate(rows) if p.unknown_signer), -1)
        if untrusted >= 0:
            self.import_table.selectRow(untrusted)
        self._update_trust()
        new = sum(1 for p in rows if p.importable)
        self.status.setText(tr("{new} new or updated pack(s) on the stick, {total} in all. {index}",
                               new=new, total=len(rows), index=_index_text(self.listing.index)))


    def _update_trust(self) -> None:
        row = self.import_table.currentRow()
        rows = self.listing.packs if self.listing is not None else []
        self.trust_button.setEnabled(self.job is None and 0 <= row < len(rows) and bool(rows[row].unknown_signer))

    def trust_signer(self) -> None:
        """Offer the key that signed the chosen pack (ui/trust_dialog.py), then list again."""
        row, source = self.import_table.currentRow(), self.source
        rows = self.listing.packs if self.listing is not None else []
        if self.session is None or source is None or not 0 <= row < len(rows) or not rows[row].unknown_signer:
            return
        from ui.trust_dialog import trust_pack_signer

        name = rows[row].file
        trust_pack_signer(self, self.session, lambda: source.open(name),
                          trusted=lambda _k: self._refresh_listing(tr("The key is trusted now.")),
                          shown=lambda d: setattr(self, "trust_dialog", d))

    def chosen_files(self) -> list[str]:
        out = []
        for row in range(self.import_table.rowCount()):
            item = self.import_table.item(row, CHECK_COL)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        return out

    def import_selected(self) -> None:
        files = self.chosen_files()
        if self.source is None or not files:
            self.status.setText(tr("Choose the packs to import first."))
            return
        from sync.usb_import import import_from_stick

        source = self.source
        self.status.setText(tr("Importing..."))
        self._run(lambda p, c: import_from_stick(self.vault, source, files, p, c), self._imported)

    def _imported(self, report: Any) -> None:
        self.result = report
        self.imported.emit(report)
        lines = [tr("Imported {n} pack(s).", n=len(report.imported))]
        lines += [f"{o.file}: {tr(o.error)}" for o in report.failed]   # data, not a sentence
        self.status.setText("\n".join(lines))
        if not self.seal_widget.isVisible():
            self._refresh_listing("\n".join(lines))

    def _refresh_listing(self, keep: str) -> None:
        """List the stick again (states changed), keeping the result on screen."""
        source = self.source
        if source is None:
            return
        from sync.usb_import import list_stick

        self._keep_status = keep
        self._run(lambda p, c: (source, list_stick(self.vault, source)), self._show_listing, quiet=True)

    def check(self) -> None:
        if self.source is None:
            self.status.setText(tr("There are no Satchel packs on this stick."))
            return
        from app.trust import TrustStore
        from sync.usb_check import check_stick
        from sync.usb_import import NoFloors

        source = self.source
        source_refresh = getattr(source, "refresh", None)
        if source_refresh is not None:
            source_refresh()
        self.status.setText(tr("Checking every pack on the stick..."))
        self._run(lambda p, c: check_stick(source, NoFloors(TrustStore(self.vault)), p, c), self._checked)

    def _checked(self, report: Any) -> None:
        self.result = report
        if report.intact:
            self.status.setText(tr("Everything on the stick is intact ({n} pack(s)).", n=len(report.items)))
            return
        lines = [_index_text(report.index)] if report.index.failed else []
        lines += [f"{tr(CHECK_TEXT[i.status])}: {i.file} ({tr(i.sentence)})" for i in report.problems]
        if report.leftovers:
            lines.append(tr("{n} unfinished file(s) of an interrupted copy are on the stick.", n=report.leftovers))
        self.status.setText("\n".join(lines[:12]))

    # -- exporting -------------------------------------------------------------------

    def _show_vault_packs(self, packs: Any) -> None:
        self.vault_packs = list(packs)
        self.export_table.setRowCount(0)
        for row, p in enumerate(self.vault_packs):
            self.export_table.insertRow(row)
            check = QTableWidgetItem()
            check.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            check.setCheckState(Qt.CheckState.Unchecked)
            check.setData(Qt.ItemDataRole.UserRole, p.id)
            self.export_table.setItem(row, CHECK_COL, check)
            for c, text in enumerate([p.id, str(p.version), p.language, p.title], start=1):
                item = QTableWidgetItem(clean(text, 300))
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.export_table.setItem(row, c, item)

    def set_export_checked(self, pack_ids: list[str]) -> None:
        for row in range(self.export_table.rowCount()):
            item = self.export_table.item(row, CHECK_COL)
            on = item.data(Qt.ItemDataRole.UserRole) in pack_ids
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def export_selected(self) -> None:
        ids = [self.export_table.item(r, CHECK_COL).data(Qt.ItemDataRole.UserRole)
               for r in range(self.export_table.rowCount())
               if self.export_table.item(r, CHECK_COL).checkState() == Qt.CheckState.Checked]
        dest = self.current_path()
        if dest is None or not ids:
            self.status.setText(tr("Choose a stick and the packs to copy first."))
            return
        from sync.sealed_export import export_sealed
        from sync.usb_export import export_to_stick

        if self.sealed_box.isChecked():
            secret = self.export_passphrase.take()
            if not secret:
                self.status.setText(tr("Type a passphrase for the sealed stick."))
                return
            fn: Callable[..., Any] = functools.partial(export_sealed, self.vault, dest, secret, ids, None)
        else:
            fn = functools.partial(export_to_stick, self.vault, dest, ids, None)
        self.status.setText(tr("Copying to the stick..."))
        self._run(fn, self._exported)

    def _exported(self, report: Any) -> None:
        self.result = report
        self.status.setText(tr("Copied {n} pack(s) to the stick; {kept} were already there.",
                               n=len(report.written), kept=len(report.kept)))
        self._keep_status = self.status.text()
        self.load(self.current_path())

    @staticmethod
    def _table(headers: list[str]) -> QTableWidget:
        t = QTableWidget(0, len(headers))
        t.setHorizontalHeaderLabels(headers)
        t.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.verticalHeader().setVisible(False)
        t.horizontalHeader().setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
        return t


def _index_text(report: Any) -> str:
    return tr(INDEX_TEXT[report.status], signer=clean(report.signer or "", 120))


def _vault_list(vault: Any) -> Any:
    from app.library import list_packs

    return list_packs(vault)


def _then_list(value: Any, vault: Any) -> Any:
    """A sealed file opened directly still needs its listing."""
    if isinstance(value, tuple) and value[1] is None:
        from sync.usb_import import list_stick

        return value[0], list_stick(vault, value[0])
    return value
