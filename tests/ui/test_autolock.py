"""Locking: after idle time, on suspend or session lock, by button and by shortcut.
Locking closes the vault, forgets the key and empties every widget that showed content."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import shiboken6
from uihelp import PASSPHRASE, open_page, unlock, wait_idle

from ui.qt import QApplication, QDialog, QPoint, Qt, QWidget
from ui.unlock import UnlockScreen


def set_autolock(home: Path, seconds: int) -> None:
    from app.vault import Vault

    with Vault.unlock(home, PASSPHRASE) as v:
        v.set_setting("ui.autolock_seconds", seconds)


def assert_locked(w: Any, vault: Any, reader: Any) -> None:
    assert isinstance(w.screen, UnlockScreen)
    assert w.session is None and w.view is None
    assert not vault.is_open
    assert not any(isinstance(d, QDialog) and d.isVisible() for d in QApplication.topLevelWidgets())
    # The reader was emptied, then deleted with the whole session view.
    if shiboken6.isValid(reader):
        assert reader.browser.toPlainText().strip() == "" and reader.outline.topLevelItemCount() == 0
    assert not any(type(x).__name__ == "ReaderView" for x in w.findChildren(QWidget))


def test_auto_lock_after_idle(make_window: Any, home_path: Path, qtbot: Any) -> None:
    set_autolock(home_path, 1)
    w = make_window(home_path)
    unlock(qtbot, w)
    assert w.autolock.active
    vault = w.session.vault
    reader = open_page(qtbot, w, "org.test.ar", "pages/first.md")
    w.open_settings()
    # Still open while the user was active just now; locked once the idle time passed.
    assert not isinstance(w.screen, UnlockScreen) and vault.is_open
    qtbot.waitUntil(lambda: isinstance(w.screen, UnlockScreen), timeout=5000)
    wait_idle(qtbot, w)
    assert_locked(w, vault, reader)
    # And it unlocks again normally.
    unlock(qtbot, w)


def test_activity_postpones_auto_lock(make_window: Any, home_path: Path, qtbot: Any) -> None:
    set_autolock(home_path, 1)
    w = make_window(home_path)
    unlock(qtbot, w)
    end = time.monotonic() + 2.0
    while time.monotonic() < end:
        qtbot.mouseMove(w.view.search_box, QPoint(5, 5))
        qtbot.keyClick(w.view.search_box, Qt.Key.Key_Shift)
        qtbot.wait(200)
    assert w.session is not None
    qtbot.waitUntil(lambda: w.session is None, timeout=4000)


def test_default_auto_lock_is_five_minutes(unlocked: Any) -> None:
    assert unlocked.session.prefs.autolock_s == 300
    assert unlocked.autolock._timeout_s == 300


def test_lock_on_suspend_and_on_session_lock(make_window: Any, home_path: Path, qtbot: Any) -> None:
    w = make_window(home_path)
    unlock(qtbot, w)
    mono, boot, wall = w.autolock._clocks
    w.autolock._clocks = (mono, boot - 120.0, wall - 120.0)  # two minutes passed while asleep
    qtbot.waitUntil(lambda: w.session is None, timeout=3000)
    unlock(qtbot, w)
    w.autolock.platform_event("session")
    assert w.session is None


def test_lock_button_and_shortcut(make_window: Any, home_path: Path, qtbot: Any) -> None:
    w = make_window(home_path)
    unlock(qtbot, w)
    vault = w.session.vault
    reader = open_page(qtbot, w, "org.test.course", "pages/intro.md")
    w.lock_button.click()
    wait_idle(qtbot, w)
    assert_locked(w, vault, reader)
    assert not w.lock_button.isVisible()
    unlock(qtbot, w)
    vault = w.session.vault
    w.activateWindow()
    qtbot.keyClick(w.view.search_box, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.session is None)
    wait_idle(qtbot, w)
    assert not vault.is_open
