"""Locking: after idle time, on suspend or session lock, by button and by shortcut.
Locking closes the vault, forgets the key and empties every widget that showed content."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest
import shiboken6
import sqlcipher3
from uihelp import PASSPHRASE, open_page, start_endless_query, unlock, wait_idle

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


def test_lock_drops_the_key_at_once_while_a_long_query_runs(make_window: Any, home_path: Path, qtbot: Any) -> None:
    from app.errors import VaultClosed

    w = make_window(home_path)
    unlock(qtbot, w)
    vault, _running, raised = start_endless_query(w)
    raw = vault.conn
    w.lock()
    # At once, before the event loop turns or the job returns:
    assert isinstance(w.screen, UnlockScreen) and w.session is None
    assert all(b == 0 for b in vault._key)
    with pytest.raises(VaultClosed):
        vault.conn  # noqa: B018
    # The statement is interrupted and the connection (with SQLCipher's copy of the key)
    # closed as soon as it returns; the job, left alone, would run for hours.
    assert vault.wait_closed(timeout=60)
    with pytest.raises(sqlcipher3.ProgrammingError):
        raw.execute("SELECT 1")
    qtbot.waitUntil(lambda: bool(raised), timeout=10000)
    assert isinstance(raised[0], sqlcipher3.OperationalError)  # "interrupted"
    wait_idle(qtbot, w)
    unlock(qtbot, w)  # the worker is free again


def test_lock_stops_a_large_import_at_once(make_window: Any, home_path: Path, qtbot: Any, tmp_path: Path) -> None:
    """A real import of a large pack: the lock lands in the middle, the key goes at once,
    the import's next statement fails and nothing of the pack stays."""
    from support import make_keypair, write_source

    from app.errors import VaultClosed
    from app.trust import TrustStore
    from content_packs.build import build_pack
    from content_packs.importer import import_pack

    key = make_keypair(tmp_path / "keys", "big")
    rng = random.Random(1)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(5000)]
    pages = {f"pages/p{i:05d}.md": f"# Page {i}\n\n" + " ".join(rng.choice(words) for _ in range(800))
             for i in range(3000)}  # about two seconds of importing and indexing
    src = write_source(tmp_path / "src", pack_id="org.test.big", pages=pages)
    pack = tmp_path / "big.satchel"
    build_pack(src, key.secret, pack)
    w = make_window(home_path)
    unlock(qtbot, w)
    vault = w.session.vault
    w.session.write(lambda c: TrustStore(c.vault).add_manual(key.public)).run()
    wait_idle(qtbot, w)
    locked_at: list[tuple[int, int]] = []
    right_after: dict[str, bool] = {}

    def lock_on_progress(done: int, total: int) -> None:
        if not locked_at and 0 < done < total:
            locked_at.append((done, total))
            w.lock()
            right_after["key zeroed"] = all(b == 0 for b in vault._key)
            try:
                vault.conn  # noqa: B018
                right_after["vault closed"] = False
            except VaultClosed:
                right_after["vault closed"] = True

    w.session.op(lambda c: import_pack(c.vault, pack, progress=c.progress)).on_progress(lock_on_progress).run()
    qtbot.waitUntil(lambda: bool(locked_at), timeout=30000)
    assert right_after == {"key zeroed": True, "vault closed": True}
    assert vault.wait_closed(timeout=60)
    wait_idle(qtbot, w)
    unlock(qtbot, w)
    from app.library import list_packs

    assert "org.test.big" not in {p.id for p in list_packs(w.session.vault)}
