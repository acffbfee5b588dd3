"""Platform signals lock Satchel: a screen saver (or session lock) reported on D-Bus.
Runs against a private session bus started for the test."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from ui.platform_lock import _logind_session_path


@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if not shutil.which("dbus-daemon") or not shutil.which("dbus-send"):
        pytest.skip("dbus-daemon is not installed")
    proc = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    address = proc.stdout.readline().strip()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    try:
        yield address
    finally:
        proc.terminate()
        proc.wait(10)


def test_screen_saver_signal_locks(unlocked: Any, qtbot: Any, session_bus: str) -> None:
    from ui.platform_lock import _DBusWatcher

    watcher = _DBusWatcher(unlocked.autolock.platform_event)
    subprocess.run(
        [
            "dbus-send",
            "--session",
            "--type=signal",
            "/org/freedesktop/ScreenSaver",
            "org.freedesktop.ScreenSaver.ActiveChanged",
            "boolean:false",
        ],
        check=True,
    )
    qtbot.wait(200)
    assert unlocked.session is not None  # the screen saver ending locks nothing
    subprocess.run(
        [
            "dbus-send",
            "--session",
            "--type=signal",
            "/org/freedesktop/ScreenSaver",
            "org.freedesktop.ScreenSaver.ActiveChanged",
            "boolean:true",
        ],
        check=True,
    )
    qtbot.waitUntil(lambda: unlocked.session is None, timeout=5000)
    del watcher


def test_logind_session_path_is_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_SESSION_ID", "2")
    assert _logind_session_path() == "/org/freedesktop/login1/session/_32"
    monkeypatch.setenv("XDG_SESSION_ID", "c1")
    assert _logind_session_path() == "/org/freedesktop/login1/session/c1"
    monkeypatch.delenv("XDG_SESSION_ID")
    assert _logind_session_path() is None


def test_watching_without_a_bus_is_silent(unlocked: Any) -> None:
    from ui import platform_lock

    platform_lock.watch(unlocked.autolock.platform_event, int(unlocked.winId()))  # offscreen: no-op
    assert unlocked.session is not None
