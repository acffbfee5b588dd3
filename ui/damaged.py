"""The screen for a library that cannot be opened: files missing or damaged.

It destroys nothing. It says what Satchel found, offers to try again (after restoring a
backup or plugging the drive back in), and offers a fresh start that keeps the damaged
files aside (where the panic wipe still finds them) when the core can set them aside.
"""

from __future__ import annotations

from ui.i18n import tr
from ui.qt import QHBoxLayout, QVBoxLayout, QWidget, Signal
from ui.widgets import heading, label, push


class DamagedScreen(QWidget):
    retry = Signal()
    start_over = Signal()

    def __init__(self, folder: str, can_start_over: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("damaged")
        self.message = label(
            tr(
                "Satchel found its files in {folder}, but some are missing or damaged, so the library "
                "cannot be opened. Nothing has been deleted. If you have a copy of the folder, put it "
                "back and try again.",
                folder=folder,
            ),
            selectable=True,
        )
        self.retry_button = push(tr("Try again"), default=True)
        self.retry_button.clicked.connect(self.retry.emit)
        self.start_button = push(tr("Start a new library"))
        self.start_button.clicked.connect(self.start_over.emit)
        self.start_button.setVisible(can_start_over)
        self.start_note = label(
            tr(
                "Starting a new library keeps the damaged files aside, in the same folder; "
                "a panic wipe still removes them."
            )
            if can_start_over
            else tr(
                "To start a new library, first move the damaged files out of that folder, or wipe them "
                "with the Wipe button."
            )
        )
        col = QVBoxLayout(self)
        col.setContentsMargins(24, 24, 24, 24)
        col.addWidget(heading(tr("The library cannot be opened")))
        col.addWidget(self.message)
        col.addWidget(self.start_note)
        col.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.start_button)
        row.addWidget(self.retry_button)
        col.addLayout(row)
        self.setFocusProxy(self.retry_button)
