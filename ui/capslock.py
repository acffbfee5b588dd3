"""A Caps Lock warning for passphrase fields.

Qt has no portable way to ask whether Caps Lock is on. What Satchel does, by platform:
- X11 (Qt's "xcb" platform, XWayland included): asks the X server's keyboard extension
  (XKB) for the locked modifiers, through libX11 loaded with ctypes: XkbGetState on a
  connection of our own, opened and closed for each question (XkbStateRec.locked_mods &
  LockMask). It reads one byte of keyboard state and sends nothing else.
- Windows: GetKeyState(VK_CAPITAL) & 1 (user32).
- macOS: CGEventSourceFlagsState(combined session state) & kCGEventFlagMaskAlphaShift
  (ApplicationServices).
- Wayland without XWayland, the offscreen platform and anything else: no question to
  ask; the state is inferred from key events instead. A letter that arrives upper case
  without Shift (or lower case with Shift) means Caps Lock is on, the other way round
  means off, and pressing Caps Lock flips what is known. Until a letter is typed the
  state is unknown and no warning shows.
The platform's answer, when there is one, is used; key events fill in between.
Nothing typed is kept: only the case of the letter just typed is looked at.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
from typing import Any

from ui.i18n import tr
from ui.qt import QEvent, QGuiApplication, QKeyEvent, QObject, Qt, QWidget
from ui.widgets import ToneLabel

log = logging.getLogger(__name__)

XKB_USE_CORE_KBD = 0x0100
LOCK_MASK = 1 << 1


class _XkbState(ctypes.Structure):
    _fields_ = [
        ("group", ctypes.c_ubyte),
        ("locked_group", ctypes.c_ubyte),
        ("base_group", ctypes.c_ushort),
        ("latched_group", ctypes.c_ushort),
        ("mods", ctypes.c_ubyte),
        ("base_mods", ctypes.c_ubyte),
        ("latched_mods", ctypes.c_ubyte),
        ("locked_mods", ctypes.c_ubyte),
        ("compat_state", ctypes.c_ubyte),
        ("grab_mods", ctypes.c_ubyte),
        ("compat_grab_mods", ctypes.c_ubyte),
        ("lookup_mods", ctypes.c_ubyte),
        ("compat_lookup_mods", ctypes.c_ubyte),
        ("ptr_buttons", ctypes.c_ushort),
    ]


_x11: Any = None


def _libx11() -> Any:
    global _x11
    if _x11 is None:
        name = ctypes.util.find_library("X11")
        if not name:
            _x11 = False
            return None
        lib = ctypes.CDLL(name)
        lib.XOpenDisplay.argtypes = [ctypes.c_char_p]
        lib.XOpenDisplay.restype = ctypes.c_void_p
        lib.XCloseDisplay.argtypes = [ctypes.c_void_p]
        lib.XkbGetState.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.POINTER(_XkbState)]
        lib.XkbGetState.restype = ctypes.c_int
        _x11 = lib
    return _x11 or None


def x11_caps_lock(display: str | None = None) -> bool | None:
    """Caps Lock's state from the X server at `display` ($DISPLAY if None), or None."""
    lib = _libx11()
    if lib is None:
        return None
    dpy = lib.XOpenDisplay(display.encode() if display else None)
    if not dpy:
        return None
    try:
        state = _XkbState()
        if lib.XkbGetState(dpy, XKB_USE_CORE_KBD, ctypes.byref(state)) != 0:
            return None
        return bool(state.locked_mods & LOCK_MASK)
    finally:
        lib.XCloseDisplay(dpy)


def _windows_caps_lock() -> bool | None:
    try:
        return bool(ctypes.windll.user32.GetKeyState(0x14) & 1)  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return None


def _mac_caps_lock() -> bool | None:
    try:
        lib = ctypes.CDLL("/System/Library/Frameworks/ApplicationServices.framework/ApplicationServices")
        lib.CGEventSourceFlagsState.argtypes = [ctypes.c_int32]
        lib.CGEventSourceFlagsState.restype = ctypes.c_uint64
        return bool(lib.CGEventSourceFlagsState(0) & 0x00010000)  # combined state, AlphaShift
    except (AttributeError, OSError):
        return None


def query() -> bool | None:
    """Ask the platform whether Caps Lock is on; None where it cannot be asked."""
    platform = QGuiApplication.platformName()
    try:
        if platform == "xcb":
            return x11_caps_lock()
        if platform == "windows" or sys.platform == "win32":
            return _windows_caps_lock()
        if platform == "cocoa":
            return _mac_caps_lock()
    except Exception:  # a warning must never break typing a passphrase
        log.debug("Caps Lock query failed on this platform")
    return None


def infer(event: QKeyEvent, known: bool | None) -> bool | None:
    """What a key event says about Caps Lock, given what was known before it."""
    if event.key() == Qt.Key.Key_CapsLock:
        return None if known is None else not known
    text = event.text()
    if len(text) != 1 or text.upper() == text.lower():
        return known  # not a letter with a case (digits, Arabic, Chinese...)
    shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
    return text.isupper() != shift


class CapsLockWarning(ToneLabel):
    """"⚠ Caps Lock is on." under passphrase fields, shown while one of them has focus
    and Caps Lock is (known to be) on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.set_tone("warn")
        self.setAccessibleName(tr("Caps Lock warning"))
        self.caps: bool | None = None
        self._fields: list[QWidget] = []
        self.setVisible(False)

    def watch(self, *fields: QWidget) -> CapsLockWarning:
        for f in fields:
            f.installEventFilter(self)
            self._fields.append(f)
        return self

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind == QEvent.Type.FocusIn:
            asked = query()
            if asked is not None:
                self.caps = asked
            self._update()
        elif kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            asked = query() if event.key() != Qt.Key.Key_CapsLock else None
            self.caps = asked if asked is not None else infer(event, self.caps)
            self._update()
        elif kind == QEvent.Type.KeyRelease and isinstance(event, QKeyEvent):
            if event.key() == Qt.Key.Key_CapsLock:
                asked = query()  # the server has toggled the lock by now
                if asked is not None:
                    self.caps = asked
                    self._update()
        elif kind == QEvent.Type.FocusOut:
            self._update()
        return False

    def _update(self) -> None:
        focused = any(f.hasFocus() for f in self._fields)
        on = bool(self.caps) and focused
        self.setText(tr("⚠ Caps Lock is on.") if on else "")
        self.setVisible(on)
