"""The pieces of a panic that do not need the window's state: closing every dialog,
menu and pop-up at once, and the optional short confirmation.

The panic key itself is caught by ui/appfilter.py; the wipe and the end of the session
are in ui/window.py (`MainWindow.wipe_now`).
"""

from __future__ import annotations

from collections.abc import Callable

from ui.i18n import tr
from ui.qt import QApplication, QDialog, QMenu, QMessageBox, Qt, QWidget


def close_dialogs(keep: QWidget | None = None) -> None:
    """Close every pop-up, menu and dialog of the application (all windows but `keep`).

    Dialogs are never run with exec() in Satchel, so closing one returns to no code that
    could still use the vault; they are deleted too, with whatever they showed.
    """
    app = QApplication.instance()
    popup = app.activePopupWidget()
    while popup is not None:
        popup.close()
        nxt = app.activePopupWidget()
        popup = None if nxt is popup else nxt
    for w in app.topLevelWidgets():
        if w is keep or not w.isVisible():
            continue
        if isinstance(w, QDialog):
            w.done(QDialog.DialogCode.Rejected)
            w.close()
            w.deleteLater()
        elif isinstance(w, QMenu):
            w.close()


def ask_to_wipe(parent: QWidget, wipe: Callable[[], None], closed: Callable[[], None]) -> QMessageBox:
    """The short confirmation the setting asks for: Wipe is the default button, so Enter
    (or the panic key again) wipes; Cancel or Escape does nothing."""
    box = QMessageBox(parent)
    box.setWindowTitle(tr("Wipe"))
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(tr("Wipe everything now? This cannot be undone."))
    button = box.addButton(tr("Wipe"), QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(button)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    button.clicked.connect(wipe)
    box.finished.connect(lambda _result: closed())
    box.open()
    return box
