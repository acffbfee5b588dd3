"""Settings live inside the vault: language, auto-lock, panic behaviour, wipe after
failed unlocks, duress passphrase, passphrase change, text size and contrast."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import shiboken6
from uihelp import DURESS, PASSPHRASE, open_page, unlock, wait_idle

from ui import i18n, theme
from ui.passdialog import PassphraseDialog
from ui.qt import QApplication, QDialogButtonBox, QPalette, Qt
from ui.settings import SettingsDialog


def choose(combo: Any, value: Any) -> None:
    i = combo.findData(value)
    assert i >= 0, value
    combo.setCurrentIndex(i)
    combo.activated.emit(i)


def vault_setting(home: Path, key: str, passphrase: str = PASSPHRASE) -> Any:
    from app.vault import Vault

    with Vault.unlock(home, passphrase) as v:
        return v.get_setting(key)


def test_settings_are_stored_in_the_vault_and_nowhere_else(
    make_window: Any, home_path: Path, qtbot: Any, tmp_path: Path
) -> None:
    w = make_window(home_path)
    unlock(qtbot, w)
    d = w.open_settings()
    assert isinstance(d, SettingsDialog)
    choose(d.autolock, 600)
    choose(d.panic_after, "quit")
    d.panic_confirm.setChecked(True)
    choose(d.text_scale, 150)
    d.contrast.setChecked(True)
    assert w.autolock._timeout_s == 600 and w.panic_after == "quit" and w.panic_confirm
    assert theme.current() == (150, True)
    assert QApplication.palette().color(QPalette.ColorRole.Window).name() == "#000000"
    w.lock()
    wait_idle(qtbot, w)
    from app.vault import Vault

    with Vault.unlock(home_path, PASSPHRASE) as v:
        assert v.get_setting("ui.autolock_seconds") == 600
        assert v.get_setting("ui.panic_after") == "quit"
        assert v.get_setting("ui.panic_confirm") is True
        assert v.get_setting("ui.text_scale") == 150
        assert v.get_setting("ui.high_contrast") is True
    assert sorted(p.name for p in home_path.iterdir()) in (
        [".satchel-home", "data", "key"],
        [".satchel-home", "data", "data-shm", "data-wal", "key"],
    )


def test_language_change_applies_at_once_and_after_restart(
    make_window: Any, home_path: Path, qtbot: Any
) -> None:
    w = make_window(home_path)
    unlock(qtbot, w)
    open_page(qtbot, w, "org.test.course", "pages/intro.md")
    d = w.open_settings()
    choose(d.language, "fa")
    assert i18n.language() == "fa"
    assert QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert w.lock_button.text() == i18n.tr("Loc&k") != "Loc&k"
    # The session view was rebuilt in Persian, at the page one was reading.
    reader = w.view.reader
    qtbot.waitUntil(lambda: reader.path == "pages/intro.md", timeout=10000)
    assert w.view.settings_button.text() == i18n.tr("Se&ttings")
    # The old dialog is gone and a new one speaks Persian.
    assert not shiboken6.isValid(d) or not d.isVisible()
    fresh = [x for x in QApplication.topLevelWidgets() if isinstance(x, SettingsDialog) and x.isVisible()]
    assert len(fresh) == 1 and fresh[0].windowTitle() == i18n.tr("Settings") != "Settings"
    wait_idle(qtbot, w)
    w.lock()
    wait_idle(qtbot, w)
    assert vault_setting(home_path, "ui.language") == "fa"


def test_passphrase_change(make_window: Any, home_path: Path, qtbot: Any) -> None:
    w = make_window(home_path)
    unlock(qtbot, w)
    d = w.open_settings()
    d.passphrase.click()
    p = next(x for x in QApplication.topLevelWidgets() if isinstance(x, PassphraseDialog) and x.isVisible())
    ok = p.buttons.button(QDialogButtonBox.StandardButton.Ok)
    p.field1.setText("short")
    p.field2.setText("short")
    assert not ok.isEnabled()
    p.field1.setText("a brand new passphrase for me")
    p.field2.setText("a brand new passphrase for me")
    assert not ok.isEnabled()  # the current passphrase first
    p.current.setText(PASSPHRASE)
    assert ok.isEnabled()
    ok.click()
    wait_idle(qtbot, w)
    w.lock()
    wait_idle(qtbot, w)
    from app.errors import WrongPassphrase
    from app.vault import Vault

    with pytest.raises(WrongPassphrase):
        Vault.unlock(home_path, PASSPHRASE)
    unlock(qtbot, w, "a brand new passphrase for me")


def test_duress_and_failed_unlock_limit(make_window: Any, home_path: Path, qtbot: Any) -> None:
    w = make_window(home_path)
    unlock(qtbot, w)
    d = w.open_settings()
    assert d.duress_state.text() == "No duress passphrase is set."
    d.duress_set.click()
    p = next(x for x in QApplication.topLevelWidgets() if isinstance(x, PassphraseDialog) and x.isVisible())
    p.field1.setText(DURESS)
    p.field2.setText(DURESS)
    p.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: d.duress_state.text() == "A duress passphrase is set.", timeout=10000)
    choose(d.fail_limit, 3)
    wait_idle(qtbot, w)
    assert w.session.vault.fail_limit() == 3
    d.duress_clear.click()
    qtbot.waitUntil(lambda: d.duress_state.text() == "No duress passphrase is set.", timeout=10000)
    d.duress_set.click()
    p = next(x for x in QApplication.topLevelWidgets() if isinstance(x, PassphraseDialog) and x.isVisible())
    p.field1.setText(DURESS)
    p.field2.setText(DURESS)
    p.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: d.duress_state.text() == "A duress passphrase is set.", timeout=10000)
    w.lock()
    wait_idle(qtbot, w)
    # Three wrong passphrases in a row wipe the vault.
    for n in range(3):
        screen = w.screen
        qtbot.waitUntil(lambda s=screen: s.field.isEnabled(), timeout=10000)
        screen.field.setText(f"wrong {n}")
        screen.button.click()
        qtbot.waitUntil(lambda n=n: w.failures == n + 1, timeout=10000)
    wait_idle(qtbot, w)
    assert not home_path.joinpath("key").exists()


def test_text_at_200_percent_is_applied_to_every_screen(unlocked: Any, qtbot: Any) -> None:
    base = QApplication.font().pointSizeF()
    d = unlocked.open_settings()
    choose(d.text_scale, 200)
    assert QApplication.font().pointSizeF() == pytest.approx(base * 2)
    d.close()
    reader = open_page(qtbot, unlocked, "org.test.course", "pages/intro.md")
    assert reader.next_button.font().pointSizeF() == pytest.approx(base * 2)
    assert reader.browser.document().defaultFont().pointSizeF() == pytest.approx(base * 2)


def test_changes_queued_behind_slow_work_survive_a_lock(
    make_window: Any, home_path: Path, qtbot: Any
) -> None:
    import time

    w = make_window(home_path)
    unlock(qtbot, w)
    w.session.op(lambda _c: time.sleep(0.4)).run()  # the worker is busy...
    d = w.open_settings()
    choose(d.autolock, 900)  # ...so these wait in the queue
    reader_zoom = w.session.prefs.reader_zoom
    w.view.reader.zoom(+10)
    assert w.runner.worker.busy()
    w.lock()  # locking at once must not drop them
    wait_idle(qtbot, w)
    assert vault_setting(home_path, "ui.autolock_seconds") == 900
    assert vault_setting(home_path, "ui.reader_zoom") == reader_zoom + 10


def test_a_write_running_when_the_vault_locks_is_made_while_it_closes(
    make_window: Any, home_path: Path, qtbot: Any
) -> None:
    """Ctrl+L a moment after a change: the write the lock interrupts is made again by the
    closing thread, not lost (it was, whenever the lock landed inside it)."""
    import threading

    w = make_window(home_path)
    unlock(qtbot, w)
    started, go = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow_write(c: Any) -> None:
        calls.append(threading.current_thread().name)
        if len(calls) == 1:        # the worker's run: the lock lands in the middle of it
            started.set()
            go.wait(10)
        c.vault.set_setting("ui.panic_confirm", True)

    w.session.write(slow_write).run()
    assert started.wait(10)
    w.lock()
    go.set()
    wait_idle(qtbot, w)
    assert vault_setting(home_path, "ui.panic_confirm") is True
    assert calls == ["satchel-db", "satchel-close"]
