"""Noticing changes another Satchel process made to the vault (`satchel import` or
`satchel remove` while the app is open), so the library, the reader and search show the
library as it is, not as it was when it was unlocked.

Guarantees:
- The check is `app.library.change_counter` (SQLite's PRAGMA data_version on the app's
  own connection): a number kept inside the database engine that changes only when
  another connection commits. Nothing is written, and no file outside the vault is read
  or watched.
- It is cheap (one pragma on the worker) and runs when Satchel's window becomes active
  and every INTERVAL_MS while the session lives; it belongs to the session, so a lock
  ends it. The app's own changes do not trigger it (they refresh what they touch).
"""

from __future__ import annotations

from typing import Any

from ui.qt import QApplication, QObject, Qt, QTimer, Signal
from ui.session import Session

INTERVAL_MS = 2000


class ChangeWatcher(QObject):
    changed = Signal()

    def __init__(self, session: Session, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.session = session
        self.counter: int | None = None
        self.checks = 0
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()
        app = QApplication.instance()
        if app is not None:
            app.applicationStateChanged.connect(self._state_changed)
        self.check()

    def _state_changed(self, state: Any) -> None:
        if state == Qt.ApplicationState.ApplicationActive:
            self.check()

    def check(self) -> None:
        if not self.session.alive:
            self.stop()
            return
        from app.library import change_counter

        self.session.op(lambda c: change_counter(c.vault)).latest("change-counter").success(self._seen).failure(
            lambda _exc: None).run()

    def _seen(self, value: int) -> None:
        self.checks += 1
        before, self.counter = self.counter, value
        if before is not None and value != before:
            self.changed.emit()

    def stop(self) -> None:
        self._timer.stop()
        app = QApplication.instance()
        if app is not None:
            try:
                app.applicationStateChanged.disconnect(self._state_changed)
            except (RuntimeError, TypeError):
                pass
