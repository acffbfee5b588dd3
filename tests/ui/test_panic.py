"""Panic: the shortcut works from every screen and dialog, one press wipes (no
confirmation unless the setting asks), and afterwards the home holds no Satchel file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from uihelp import open_page, satchel_files, start_endless_query, unlock, wait_idle

from ui.firstrun import FirstRunScreen
from ui.qt import QApplication, QDialog, QMessageBox, Qt
from ui.unlock import UnlockScreen

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def press_panic(qtbot: Any, widget: Any) -> None:
    qtbot.keyClick(widget, Qt.Key.Key_Delete, CTRL_SHIFT)


def open_dialogs() -> list[QDialog]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]


def test_panic_shortcut_with_a_page_and_a_dialog_open(unlocked: Any, home_path: Path, qtbot: Any) -> None:
    w = unlocked
    reader = open_page(qtbot, w, "org.test.ar", "pages/first.md")
    reader.note_toggle.click()
    reader.note.setPlainText("a private thought")
    settings = w.open_settings()
    qtbot.waitUntil(lambda: settings.isVisible())
    assert settings.isModal() or settings.windowModality() != Qt.WindowModality.NonModal
    settings.passphrase.click()  # a dialog on top of the dialog
    qtbot.waitUntil(lambda: len(open_dialogs()) == 2)
    top = [d for d in open_dialogs() if d is not settings][0]
    assert home_path.joinpath("key").exists()
    press_panic(qtbot, top.focusWidget() or top)
    # The key file is gone at once, before anything else happens.
    assert not home_path.joinpath("key").exists()
    assert w.wipes == 1
    assert open_dialogs() == []
    assert isinstance(w.screen, FirstRunScreen)
    assert w.session is None and w.view is None
    assert reader.note.toPlainText() == "" and reader.browser.toPlainText().strip() == ""
    wait_idle(qtbot, w)
    assert satchel_files(home_path) == []


def test_panic_button_from_the_unlock_screen(make_window: Any, home_path: Path, qtbot: Any) -> None:
    w = make_window(home_path)
    assert isinstance(w.screen, UnlockScreen)
    w.wipe_button.click()
    wait_idle(qtbot, w)
    assert satchel_files(home_path) == []
    assert isinstance(w.screen, FirstRunScreen)


def test_panic_over_a_message_box_and_while_unlocking(make_window: Any, home_path: Path, qtbot: Any) -> None:
    from ui.errors import show_error

    w = make_window(home_path)
    box = show_error(w, "A message")
    qtbot.waitUntil(box.isVisible)
    w.screen.field.setText("correct horse battery staple")
    w.screen.button.click()  # an unlock is under way on the worker
    press_panic(qtbot, box)
    assert not box.isVisible()
    wait_idle(qtbot, w)
    assert satchel_files(home_path) == []
    assert isinstance(w.screen, FirstRunScreen) and w.session is None


def test_panic_while_the_starter_library_is_imported(make_window: Any, empty_home: Path, qtbot: Any) -> None:
    w = make_window(empty_home)
    screen = w.screen
    screen.go(1)
    screen.pass1.setText("correct horse battery staple")
    screen.pass2.setText("correct horse battery staple")
    screen.pass_next.click()
    screen.duress_skip.click()
    qtbot.waitUntil(lambda: w.session is not None, timeout=20000)
    press_panic(qtbot, w)
    wait_idle(qtbot, w)
    assert satchel_files(empty_home) == []
    qtbot.wait(300)
    assert satchel_files(empty_home) == []


def test_confirmation_setting_asks_first_and_a_second_press_wipes(
    unlocked: Any, home_path: Path, qtbot: Any
) -> None:
    w = unlocked
    settings = w.open_settings()
    settings.panic_confirm.setChecked(True)
    settings.close()
    wait_idle(qtbot, w)
    assert w.panic_confirm
    w.wipe_button.click()
    box = w._confirm
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert home_path.joinpath("key").exists()
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: w._confirm is None)
    assert home_path.joinpath("key").exists() and w.session is not None
    press_panic(qtbot, w)
    box = w._confirm
    assert box is not None and box.isVisible()
    press_panic(qtbot, box)  # the shortcut again confirms
    assert not home_path.joinpath("key").exists()
    wait_idle(qtbot, w)
    assert satchel_files(home_path) == []


def test_after_a_wipe_satchel_can_close_instead(make_window: Any, home_path: Path, qtbot: Any) -> None:
    w = make_window(home_path)
    unlock(qtbot, w)
    settings = w.open_settings()
    i = settings.panic_after.findData("quit")
    settings.panic_after.setCurrentIndex(i)
    settings.panic_after.activated.emit(i)
    settings.close()
    wait_idle(qtbot, w)
    with qtbot.waitSignal(QApplication.instance().aboutToQuit, timeout=100, raising=False):
        press_panic(qtbot, w)
    assert not w.isVisible()
    wait_idle(qtbot, w)
    assert satchel_files(home_path) == []


def test_panic_while_a_long_query_runs_drops_the_key_at_once(make_window: Any, home_path: Path, qtbot: Any) -> None:
    from app.errors import VaultClosed

    w = make_window(home_path)
    unlock(qtbot, w)
    vault, _running, raised = start_endless_query(w)
    press_panic(qtbot, w)
    assert not home_path.joinpath("key").exists()
    assert all(b == 0 for b in vault._key)
    try:
        vault.conn  # noqa: B018
        closed = False
    except VaultClosed as exc:
        closed = str(exc) == "The vault was wiped."
    assert closed
    assert isinstance(w.screen, FirstRunScreen)
    assert vault.wait_closed(timeout=60)  # the query, left alone, would run for hours
    qtbot.waitUntil(lambda: bool(raised), timeout=10000)
    wait_idle(qtbot, w)
    assert satchel_files(home_path) == []
