"""Help > About Satchel: the version, Satchel's licence, and every component with its
version and licence.

The Python components come from app.about (installed metadata at run time, so the list
follows requirements.lock); Qt's version from Qt itself; SQLCipher's from the library.
Only interface text and component names are shown: nothing from a vault.
"""

from __future__ import annotations

from app import about
from ui.i18n import tr
from ui.qt import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    Qt,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
    qVersion,
)
from ui.taborder import ReadingOrderTabs
from ui.widgets import FitOnShow, heading, label


def components() -> list[tuple[str, str, str]]:
    """(name, version, licence) of everything Satchel is built from, Satchel first."""
    import platform

    rows = [
        ("Satchel", about.version(), about.SATCHEL_LICENCE),
        ("Qt", qVersion(), "LGPL-3.0-only"),
        ("SQLCipher", about.sqlcipher_version(), "BSD-3-Clause (Zetetic)"),
        ("Python", platform.python_version(), "PSF-2.0"),
        ("Noto fonts", "", "OFL-1.1"),
    ]
    rows += [(c.name, c.version, c.licence) for c in about.python_components()]
    return rows


class AboutDialog(FitOnShow, ReadingOrderTabs, QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("About Satchel"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.title = heading(tr("Satchel {version}", version=about.version()))
        self.summary = label(
            tr(
                "An encrypted library for human rights defenders. Satchel is free software: you can "
                "share and change it under the GNU General Public License, version 3 or later "
                "(GPL-3.0-or-later). It comes with no warranty."
            )
        )
        self.parts_label = label(tr("Satchel is built with these components, each under its own licence:"))
        self.parts = QTreeWidget()
        self.parts.setAccessibleName(tr("Components and licences"))
        self.parts.setColumnCount(3)
        self.parts.setHeaderLabels([tr("Component"), tr("Version"), tr("Licence")])
        self.parts.setRootIsDecorated(False)
        header = self.parts.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for name, ver, licence in components():
            # Left to right whatever the interface: names, versions and SPDX identifiers.
            item = QTreeWidgetItem([f"\u2066{name}\u2069", f"\u2066{ver}\u2069", f"\u2066{licence}\u2069"])
            item.setData(0, Qt.ItemDataRole.AccessibleTextRole, name)
            self.parts.addTopLevelItem(item)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        for w in (self.title, self.summary, self.parts_label):
            box.addWidget(w)
        box.addWidget(self.parts, 1)
        box.addWidget(buttons)
        self.resize(680, 520)
