"""Help > Keyboard shortcuts: every shortcut of ui/shortcuts.py, grouped, with its keys.

A modeless window (keep it open while trying the keys); locking closes it like every
dialog. It shows only interface text, never content.
"""

from __future__ import annotations

from ui import shortcuts
from ui.i18n import tr
from ui.qt import QDialog, QDialogButtonBox, QFont, QHeaderView, Qt, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget
from ui.taborder import ReadingOrderTabs
from ui.widgets import FitOnShow, label


class ShortcutSheet(FitOnShow, ReadingOrderTabs, QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Keyboard shortcuts"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.table = QTreeWidget()
        self.table.setAccessibleName(tr("Keyboard shortcuts"))
        self.table.setColumnCount(2)
        self.table.setHeaderLabels([tr("Action"), tr("Keys")])
        self.table.setRootIsDecorated(False)
        self.table.setItemsExpandable(False)
        self.table.setUniformRowHeights(False)
        header = self.table.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for group, items in shortcuts.rows():
            top = QTreeWidgetItem([group, ""])
            font = QFont(top.font(0))
            font.setBold(True)
            top.setFont(0, font)
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.table.addTopLevelItem(top)
            for action, keys, literal in items:
                # Key names read left to right, even in Arabic; a sentence such as
                # "Alt + underlined letter" reads in its own language's direction.
                item = QTreeWidgetItem([action, f"\u2066{keys}\u2069" if literal else f"\u2068{keys}\u2069"])
                item.setData(1, Qt.ItemDataRole.AccessibleTextRole, keys)
                top.addChild(item)
        self.table.expandAll()
        self.note = label(
            tr(
                "Ctrl+L and Ctrl+Shift+Delete work everywhere, even while a dialog is open. "
                "The Wipe button is never reached with Tab, so a stray key cannot wipe."
            )
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(self.table, 1)
        box.addWidget(self.note)
        box.addWidget(buttons)
        self.resize(self.table.sizeHintForColumn(0) + self.table.sizeHintForColumn(1) + 120, 560)

    def open(self) -> None:
        self.setModal(False)
        self.show()
        self.table.setFocus()
