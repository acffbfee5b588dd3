"""Importing packs chosen in the app: pack files, a folder of packs, or the bundled starter
set ("Add packs from the starter set...").

Guarantees:
- The same path as a USB stick, one floor down at a time: a source (sync.loose, the
  repository format, content_packs.starter_set) -> sync.usb_import's listing (every file
  judged on its own signature; text shown only from verified manifests, through clean())
  -> the importer, one transaction per pack. The work runs on the worker (ui/ops.py) with
  a progress bar and Cancel; Cancel or closing the dialog stops after the pack in
  flight, which leaves no trace.
- A file that is not a pack is listed by its name with one sentence; a pack from a key
  the library does not know offers "Trust this signer..." (ui/trust_dialog.py), then the
  list is read again.
- When the import ends (or is cancelled), `imported` carries the report, so the window
  can show "What's new" (ui/whatsnew.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ui.errors import message_for
from ui.i18n import N_, tr
from ui.qt import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QProgressBar,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.session import Session
from ui.widgets import clean, label, push

STATE_TEXT = {"new": N_("new"), "update": N_("update"), "have": N_("already have"),
              "older": N_("older than yours"), "untrusted": N_("untrusted signer"), "damaged": N_("not a pack")}
# Sentences of the verifier and of sync.loose that a listing shows most often.
REASONS = (
    N_("That is a folder, not a pack file."),
    N_("This is a link, not a pack file; Satchel does not follow links."),
    N_("This is not a regular file, so it cannot be a pack."),
    N_("The pack file is empty."),
    N_("This file is not a Satchel pack (it is not a ZIP archive, or it is truncated)."),
    N_("The pack holds more files than Satchel accepts."),
    N_("The pack is larger than Satchel accepts."),
    N_("This file is not a Satchel pack (it has no signed manifest)."),
    N_("These pack files have no index; each one is checked on its own signature."),
)
COL_CHECK, COL_STATE, COL_TITLE, COL_LANGUAGE, COL_VERSION, COL_DETAIL = range(6)


def _listing(vault: Any, make_source: Callable[[], Any]) -> tuple[Any, Any]:
    from sync.usb_import import list_stick

    source = make_source()
    return source, list_stick(vault, source)


class ImportPacksDialog(QDialog):
    imported = Signal(object, str)  # sync.usb_import.ImportReport, a sentence (cancel, errors) or ""

    def __init__(self, session: Session, make_source: Callable[[], Any], title: str,
                 parent: QWidget | None = None, only_new: bool = False) -> None:
        super().__init__(parent)
        self.session = session
        self.make_source = make_source
        self.only_new = only_new
        self.source: Any = None
        self.rows: list[Any] = []
        self.op: Any = None
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        self.status = label(tr("Looking at the packs..."))
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels([tr("Import"), tr("State"), tr("Title"), tr("Language"),
                                              tr("Version"), tr("Details")])
        self.table.setAccessibleName(tr("Packs"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        for c in (COL_CHECK, COL_STATE, COL_LANGUAGE, COL_VERSION):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_DETAIL, QHeaderView.ResizeMode.Stretch)
        self.table.currentCellChanged.connect(lambda *_: self._update_buttons())
        self.progress = QProgressBar()
        self.progress.setAccessibleName(tr("Progress"))
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.trust_button = push(tr("Trust this signer..."))
        self.import_button = push(tr("Import selected"), default=True)
        self.cancel_button = push(tr("Cancel"))
        self.close_button = push(tr("Close"))
        self.trust_button.clicked.connect(self.trust_signer)
        self.import_button.clicked.connect(self.import_selected)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.trust_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.import_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.cancel_button)
        col = QVBoxLayout(self)
        col.addWidget(self.status)
        col.addWidget(self.table, 1)
        col.addLayout(buttons)
        col.addLayout(bottom)
        self.resize(760, 460)
        self._busy(True, cancellable=False)
        self.refresh()

    # -- listing -------------------------------------------------------------------

    def refresh(self) -> None:
        make = self.make_source
        self._busy(True, cancellable=False)
        self.op = self.session.op(lambda c: _listing(c.vault, make)).success(self._listed).failure(
            self._failed).run()

    def _listed(self, value: tuple[Any, Any]) -> None:
        self.op = None
        self.source, listing = value
        rows = listing.packs
        if self.only_new:
            rows = [p for p in rows if p.importable]
        self.rows = rows
        self.table.setRowCount(0)
        from ui.library import language_name

        for row, p in enumerate(rows):
            self.table.insertRow(row)
            check = QTableWidgetItem()
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if p.importable:
                flags |= Qt.ItemFlag.ItemIsUserCheckable
            check.setFlags(flags)
            check.setCheckState(Qt.CheckState.Checked if p.importable else Qt.CheckState.Unchecked)
            self.table.setItem(row, COL_CHECK, check)
            detail = "" if p.state in ("new", "update") else tr(p.reason or "")
            if p.unknown_signer:
                detail = tr("Signed by key {key}, which you do not trust yet: choose “Trust this signer...” "
                            "to compare its fingerprint with the trainer's.", key=p.unknown_signer)
            cells = {COL_STATE: tr(STATE_TEXT.get(p.state, p.state)),
                     COL_TITLE: p.title if p.title is not None else p.file,
                     COL_LANGUAGE: language_name(p.language) if p.language else "",
                     COL_VERSION: str(p.version or ""), COL_DETAIL: detail}
            for c, text in cells.items():
                item = QTableWidgetItem(clean(text, 300))
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(row, c, item)
        new = sum(1 for p in rows if p.importable)
        if not rows:
            self.status.setText(tr("Every starter pack is already in your library.") if self.only_new
                                else tr("There are no Satchel packs here."))
        else:
            self.status.setText(tr("{new} new or updated pack(s), {total} in all.", new=new, total=len(rows)))
        first_untrusted = next((i for i, p in enumerate(rows) if p.unknown_signer), -1)
        if first_untrusted >= 0:
            self.table.selectRow(first_untrusted)
        self._busy(False)

    def _failed(self, exc: BaseException) -> None:
        self.op = None
        report = getattr(exc, "report", None)
        self._busy(False)
        self.status.setText(message_for(exc))
        if report is not None:  # cancelled, or the stick went: what did go in is in
            self.accept()
            self.imported.emit(report, message_for(exc))

    # -- state ---------------------------------------------------------------------

    def _busy(self, on: bool, cancellable: bool = False) -> None:
        self.import_button.setEnabled(not on)
        self.trust_button.setEnabled(False)
        self.cancel_button.setEnabled(on and cancellable)
        if on:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1)
            self.progress.setValue(self.progress.maximum() if self.rows else 0)
            self._update_buttons()

    def _update_buttons(self) -> None:
        if self.op is not None:
            return
        current = self.current()
        self.trust_button.setEnabled(bool(current is not None and current.unknown_signer))
        self.import_button.setEnabled(bool(self.chosen_files()))

    def current(self) -> Any:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def chosen_files(self) -> list[str]:
        out = []
        for row, p in enumerate(self.rows):
            item = self.table.item(row, COL_CHECK)
            if item is not None and p.importable and item.checkState() == Qt.CheckState.Checked:
                out.append(p.file)
        return out

    # -- actions -------------------------------------------------------------------

    def import_selected(self) -> None:
        files = self.chosen_files()
        if self.source is None or not files or self.op is not None:
            return
        from sync.usb_import import import_from_stick

        source = self.source
        self.status.setText(tr("Importing..."))
        self._busy(True, cancellable=True)
        self.op = self.session.op(
            lambda c: import_from_stick(c.vault, source, files, c.progress, c.cancel)).on_progress(
            self._progress).success(self._imported).failure(self._failed).run()

    def _progress(self, done: int, total: int) -> None:
        scale = max(1, total // 1_000_000) if total > 2**30 else 1
        self.progress.setRange(0, max(1, total // scale))
        self.progress.setValue(min(done, total) // scale)

    def _imported(self, report: Any) -> None:
        self.op = None
        self._busy(False)
        self.accept()   # first, so that "What's new" opens over the window, not over this dialog
        self.imported.emit(report, "")

    def cancel(self) -> None:
        if self.op is not None:
            self.op.cancel()
            self.status.setText(tr("Stopping after the pack being imported..."))

    def trust_signer(self) -> None:
        current, source = self.current(), self.source
        if current is None or not current.unknown_signer or source is None:
            return
        from ui.trust_dialog import trust_pack_signer

        name = current.file
        trust_pack_signer(self, self.session, lambda: source.open(name), trusted=lambda _k: self.refresh(),
                          shown=lambda d: setattr(self, "trust_dialog", d))

    def done(self, result: int) -> None:  # closing (also by a lock or panic) cancels the work
        if self.op is not None:
            self.op.cancel()
        super().done(result)
