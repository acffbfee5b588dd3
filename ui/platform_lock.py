"""Signals from the platform that the session locks or the machine goes to sleep.

Best effort and silent: where a platform offers nothing (or the bus is absent, as in
tests), the clock check in ui/autolock.py still catches a suspend.

- Linux: logind's `PrepareForSleep(true)` and the session's `Lock` signal on the system
  bus; the freedesktop and GNOME screen savers' `ActiveChanged(true)` on the session bus.
- Windows: WM_WTSSESSION_CHANGE (lock) after WTSRegisterSessionNotification, and
  WM_POWERBROADCAST / PBT_APMSUSPEND.
Loaded only after an unlock, so start-up stays lean.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from ui.qt import QAbstractNativeEventFilter, QApplication, QObject, Slot

log = logging.getLogger(__name__)


def _logind_session_path() -> str | None:
    sid = os.environ.get("XDG_SESSION_ID")
    if not sid:
        return None
    # sd_bus_path_encode: every byte that is not [A-Za-z0-9], and a leading digit, as _xx.
    out = []
    for i, ch in enumerate(sid):
        if ch.isascii() and (ch.isalpha() or (ch.isdigit() and i > 0)):
            out.append(ch)
        else:
            out.extend(f"_{b:02x}" for b in ch.encode())
    return "/org/freedesktop/login1/session/" + "".join(out)


class _DBusWatcher(QObject):
    def __init__(self, notify: Callable[[str], None]) -> None:
        super().__init__()
        self._notify = notify
        from PySide6.QtDBus import QDBusConnection  # lazily: only Linux, only after unlock

        system, session = QDBusConnection.systemBus(), QDBusConnection.sessionBus()
        if system.isConnected():
            system.connect(  # type: ignore[call-overload]
                "org.freedesktop.login1",
                "/org/freedesktop/login1",
                "org.freedesktop.login1.Manager",
                "PrepareForSleep",
                self,
                "1prepare_for_sleep(bool)",
            )
            path = _logind_session_path()
            if path:
                system.connect(  # type: ignore[call-overload]
                    "org.freedesktop.login1",
                    path,
                    "org.freedesktop.login1.Session",
                    "Lock",
                    self,
                    "1session_lock()",
                )
        if session.isConnected():
            for service, path in (
                ("org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver"),
                ("org.freedesktop.ScreenSaver", "/ScreenSaver"),
                ("org.gnome.ScreenSaver", "/org/gnome/ScreenSaver"),
            ):
                # Any sender: GNOME and KDE emit these from names other than the interface's.
                session.connect(  # type: ignore[call-overload]
                    "", path, service, "ActiveChanged", self, "1screensaver(bool)"
                )

    @Slot(bool)
    def prepare_for_sleep(self, going: bool) -> None:
        if going:
            self._notify("suspend")

    @Slot()
    def session_lock(self) -> None:
        self._notify("session")

    @Slot(bool)
    def screensaver(self, active: bool) -> None:
        if active:
            self._notify("session")


class _WindowsFilter(QAbstractNativeEventFilter):
    WM_WTSSESSION_CHANGE = 0x02B1
    WTS_SESSION_LOCK = 0x7
    WM_POWERBROADCAST = 0x0218
    PBT_APMSUSPEND = 0x4

    def __init__(self, notify: Callable[[str], None], hwnd: int) -> None:
        super().__init__()
        import ctypes
        from ctypes import wintypes

        self._notify = notify
        self._msg_type = wintypes.MSG
        self._ctypes = ctypes
        wtsapi32 = ctypes.windll.wtsapi32  # type: ignore[attr-defined]
        wtsapi32.WTSRegisterSessionNotification(wintypes.HWND(hwnd), 0)

    def nativeEventFilter(self, event_type: Any, message: Any) -> Any:  # noqa: N802
        try:
            msg = self._msg_type.from_address(int(message))
            if msg.message == self.WM_WTSSESSION_CHANGE and msg.wParam == self.WTS_SESSION_LOCK:
                self._notify("session")
            elif msg.message == self.WM_POWERBROADCAST and msg.wParam == self.PBT_APMSUSPEND:
                self._notify("suspend")
        except Exception:  # never let a platform quirk break the event loop
            pass
        return False, 0


_watcher: Any = None


def watch(notify: Callable[[str], None], window_id: int | None = None) -> None:
    """Start reporting lock and suspend to `notify(reason)` (once per process)."""
    global _watcher
    if _watcher is not None:
        _watcher.notify_target = notify
        return
    try:
        if sys.platform.startswith("linux") and QApplication.platformName() not in ("offscreen", "minimal"):
            _watcher = _DBusWatcher(lambda reason: _forward(reason))
        elif sys.platform == "win32" and window_id is not None:
            _watcher = _WindowsFilter(lambda reason: _forward(reason), window_id)
            QApplication.instance().installNativeEventFilter(_watcher)
    except Exception as exc:  # no bus, no permission: the clock check remains
        log.info("platform lock signals unavailable (%s)", type(exc).__name__)
        _watcher = None
        return
    if _watcher is not None:
        _watcher.notify_target = notify


def _forward(reason: str) -> None:
    target = getattr(_watcher, "notify_target", None)
    if target is not None:
        target(reason)
