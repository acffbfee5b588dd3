"""Auto-lock: after idle time, and when the machine suspends or the session locks.

- Idle: every keyboard, mouse, wheel or touch event anywhere in the app counts as
  activity (reported by the application-wide filter in ui/appfilter.py); a coarse timer
  compares the monotonic clock with the last activity, so no timer is restarted per event.
- Suspend: wherever the platform reports it (ui/platform_lock.py: logind and the screen
  saver over D-Bus on Linux, session and power messages on Windows), and everywhere by
  a clock check: if the wall clock or the boot clock advanced far more than the timer
  did, the machine slept (or the process was frozen), and Satchel locks.
"""

from __future__ import annotations

import time

from ui.qt import QObject, QTimer, Signal

DEFAULT_TIMEOUT_S = 300
SLEEP_GAP_S = 20.0


def _boot_clock() -> float:
    """A clock that keeps counting while suspended (Linux CLOCK_BOOTTIME), else wall time."""
    clock = getattr(time, "CLOCK_BOOTTIME", None)
    if clock is not None:
        try:
            return time.clock_gettime(clock)
        except OSError:
            pass
    return time.time()


class AutoLock(QObject):
    lock_requested = Signal(str)  # the reason: "idle", "suspend", "session"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timeout_s = float(DEFAULT_TIMEOUT_S)
        self._last = time.monotonic()
        self._active = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._clocks = (time.monotonic(), _boot_clock(), time.time())

    @property
    def active(self) -> bool:
        return self._active

    def start(self, timeout_s: float) -> None:
        self._active = True
        self.set_timeout(timeout_s)
        self.activity()
        self._clocks = (time.monotonic(), _boot_clock(), time.time())

    def set_timeout(self, timeout_s: float) -> None:
        self._timeout_s = max(float(timeout_s), 0.2)
        # Check often enough to lock within a quarter of the timeout, at most once a second.
        self._timer.start(int(min(1000.0, self._timeout_s * 250.0)))

    def stop(self) -> None:
        self._active = False
        self._timer.stop()

    def activity(self) -> None:
        self._last = time.monotonic()

    def idle_seconds(self) -> float:
        return time.monotonic() - self._last

    def platform_event(self, reason: str) -> None:
        """The platform said the session locked or the machine is going to sleep."""
        if self._active:
            self.lock_requested.emit(reason)

    def _tick(self) -> None:
        if not self._active:
            return
        mono, boot, wall = time.monotonic(), _boot_clock(), time.time()
        m0, b0, w0 = self._clocks
        self._clocks = (mono, boot, wall)
        slept = max(boot - b0, wall - w0) - (mono - m0)
        if slept > SLEEP_GAP_S:
            self.lock_requested.emit("suspend")
        elif mono - self._last >= self._timeout_s:
            self.lock_requested.emit("idle")
