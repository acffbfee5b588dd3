"""One application-wide event filter: the panic key, the lock key and the idle clock.

Why a filter and not a QShortcut: an application shortcut does not fire while a modal
dialog shadows its widget, and the panic key must work from every screen, dialog,
message box, menu and progress dialog. The filter sees every key event first, so it
also wins over any widget or shortcut that would use the same keys.

The panic key is Ctrl+Shift+Delete (Cmd+Shift+Delete on macOS, where Delete is
Fn+Backspace). Why: it is pressed with one hand (the right hand on a full keyboard, the
Ctrl/Shift cluster and Delete sit together), it is not part of normal typing, it does
not collide with a system combination (Ctrl+Alt+Delete does), and "Delete" says what it
does (browsers use the same keys for "clear private data").

The lock key (Ctrl+L) is caught here for the same reason: locking closes every dialog,
so it must work while Settings or any other dialog is open. It is consumed only when
there is something to lock (the callback says so); otherwise it passes on.
"""

from __future__ import annotations

from collections.abc import Callable

from ui.qt import QEvent, QKeyEvent, QKeySequence, QObject, Qt

PANIC_KEY = Qt.Key.Key_Delete
PANIC_MODIFIERS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
PANIC_SEQUENCE = QKeySequence(Qt.Modifier.CTRL | Qt.Modifier.SHIFT | Qt.Key.Key_Delete)
LOCK_KEY = Qt.Key.Key_L
LOCK_MODIFIERS = Qt.KeyboardModifier.ControlModifier

_ACTIVITY = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TabletPress,
        QEvent.Type.InputMethod,
    }
)
_KEYS = frozenset({QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride})
_IGNORED_MODIFIERS = Qt.KeyboardModifier.KeypadModifier | Qt.KeyboardModifier.GroupSwitchModifier


def is_panic_key(event: QKeyEvent) -> bool:
    mods = event.modifiers() & ~_IGNORED_MODIFIERS
    return event.key() == PANIC_KEY and mods == PANIC_MODIFIERS


def is_lock_key(event: QKeyEvent) -> bool:
    mods = event.modifiers() & ~_IGNORED_MODIFIERS
    return event.key() == LOCK_KEY and mods == LOCK_MODIFIERS


class AppFilter(QObject):
    def __init__(
        self,
        on_panic: Callable[[], None],
        on_activity: Callable[[], None],
        parent: QObject | None = None,
        can_lock: Callable[[], bool] | None = None,
        on_lock: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._on_panic = on_panic
        self._on_activity = on_activity
        self._can_lock = can_lock
        self._on_lock = on_lock

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind in _ACTIVITY:
            self._on_activity()
        if kind in _KEYS and is_panic_key(event):
            event.accept()
            if kind == QEvent.Type.KeyPress and not event.isAutoRepeat():
                self._on_panic()
            return True
        if (
            kind in _KEYS
            and self._on_lock is not None
            and self._can_lock is not None
            and is_lock_key(event)
            and self._can_lock()
        ):
            event.accept()
            if kind == QEvent.Type.KeyPress and not event.isAutoRepeat():
                self._on_lock()
            return True
        return False
