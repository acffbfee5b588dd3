"""Notes and bookmarks of one pack, in reading order: jump to any of them.

The list is read on the worker (app.progress.annotations) after the reader's unsaved
note is written, so what was just typed is there. Titles and notes are the learner's
and the pack's text: shown as plain text, cleaned, and bounded. The dialog holds them
only while open; locking closes and deletes it like every dialog.
"""

from __future__ import annotations

from typing import Any

from ui.i18n import tr
from ui.qt import QDialog, QDialogButtonBox, QHeaderView, Qt, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget, Signal
from ui.taborder import ReadingOrderTabs
from ui.widgets import FitOnShow, clean, isolate, label, push

PATH_ROLE = Qt.ItemDataRole.UserRole
NOTE_PREVIEW = 160


class NotesOverview(FitOnShow, ReadingOrderTabs, QDialog):
    open_requested = Signal(str, str)  # pack id, page path

    def __init__(self, session: Any, pack_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pack_id = pack_id
        self.setWindowTitle(tr("Notes and bookmarks in this pack"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.list = QTreeWidget()
        self.list.setAccessibleName(tr("Notes and bookmarks"))
        self.list.setColumnCount(3)
        self.list.setHeaderLabels([tr("Page"), tr("Bookmark"), tr("Note")])
        self.list.setRootIsDecorated(False)
        self.list.setWordWrap(True)
        header = self.list.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(0, 260)
        self.list.itemActivated.connect(self._activated)
        self.list.itemDoubleClicked.connect(self._activated)
        self.status = label(tr("Loading..."))
        self.open_button = push(tr("&Open page"))
        self.open_button.clicked.connect(lambda: self._activated(self.list.currentItem()))
        self.open_button.setEnabled(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(self.status)
        box.addWidget(self.list, 1)
        box.addWidget(buttons)
        self.resize(720, 420)
        from app.progress import annotated_pages

        session.op(lambda c: annotated_pages(c.vault, pack_id)).success(self._show).run()

    def _show(self, items: list[Any]) -> None:
        self.list.clear()
        for a in items:
            note = clean(a.note, NOTE_PREVIEW + 1)
            if len(note) > NOTE_PREVIEW:
                note = note[:NOTE_PREVIEW].rstrip() + "…"
            row = QTreeWidgetItem([isolate(clean(a.title)), tr("✓ Bookmarked") if a.bookmarked else "", note])
            row.setData(0, Qt.ItemDataRole.AccessibleTextRole, clean(a.title))
            row.setData(0, PATH_ROLE, a.path)
            self.list.addTopLevelItem(row)
        if items:
            self.status.setText(tr("Pages with a note or a bookmark: {count}", count=len(items)))
            self.list.setCurrentItem(self.list.topLevelItem(0))
            self.open_button.setEnabled(True)
            self.list.setFocus()
        else:
            self.status.setText(tr("No notes or bookmarks in this pack yet."))

    def _activated(self, item: QTreeWidgetItem | None, _col: int = 0) -> None:
        path = item.data(0, PATH_ROLE) if item is not None else None
        if path:
            self.open_requested.emit(self.pack_id, path)
            self.accept()
