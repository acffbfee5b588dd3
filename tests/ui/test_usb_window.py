"""The main window's USB wiring: a button while unlocked, a stick noticed while the
library is open opens the dialog on it, and locking closes it and offers nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from uihelp import wait_idle

from ui.usb_dialog import UsbDialog


def test_usb_button_opens_the_dialog_only_while_unlocked(unlocked: Any, qtbot: Any) -> None:
    w = unlocked
    assert w.usb_button.isVisibleTo(w)
    w.usb_button.click()
    qtbot.waitUntil(lambda: isinstance(w._usb_dialog, UsbDialog) and w._usb_dialog.isVisible())
    w.lock()
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: w._usb_dialog is None or not w._usb_dialog.isVisible())
    assert not w.usb_button.isVisibleTo(w)
    assert w.open_usb() is None


def test_a_stick_noticed_while_unlocked_opens_the_dialog_on_it(unlocked: Any, qtbot: Any, tmp_path: Path) -> None:
    w = unlocked
    assert w.usb_watcher is not None  # the watcher runs from the first seconds
    stick = tmp_path / "STICK"
    stick.mkdir()
    w.usb_watcher.stickInserted.emit(str(stick))
    qtbot.waitUntil(lambda: isinstance(w._usb_dialog, UsbDialog) and w._usb_dialog.isVisible())
    w._usb_dialog.close()


def test_a_stick_noticed_while_locked_opens_nothing(make_window: Any, home_path: Path, qtbot: Any,
                                                    tmp_path: Path) -> None:
    w = make_window(home_path)
    w.usb_watcher.stickInserted.emit(str(tmp_path))
    qtbot.wait(100)
    assert w._usb_dialog is None
