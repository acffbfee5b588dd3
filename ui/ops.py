"""Work off the GUI thread, in the shape of Anki's QueryOp / CollectionOp.

    op(fn).success(cb).failure(cb).with_progress(label, cancellable=True).run()

Guarantees:
- All vault work runs on ONE worker thread, in order (one SQLCipher connection, one
  thread; a plain Python thread with a queue, so a token's queued jobs can be dropped and
  a running one interrupted); results and progress come back to the GUI thread through a
  queued signal. Nothing ever spins `processEvents`.
- Every op belongs to a Token (an unlocked session, a first-run attempt...). When the
  token ends (lock, panic) its queued ops are dropped, a running one is asked to cancel,
  and no callback of it ever runs; a result that arrives anyway is handed to its
  `discard` hook (to close a vault that was opened too late, for example).
- `write()`: a small change the learner made (a note, a bookmark, a setting). If the
  session locks before its turn, `take_writes` hands it over to be made while the vault
  closes (app.vault.Vault.lock_now's final writes), never later on the worker; a panic
  drops it. Long work (an import, a passphrase change) is never a `write()`: locking
  stops it.
- `latest(key)`: a newer op with the same key supersedes the older one (search as you type).
- Work that lasts over half a second shows a progress dialog, cancellable if asked.
- Unexpected exceptions are logged by type and place only, never with their message
  (it could hold content).
"""

from __future__ import annotations

import collections
import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ui.qt import QObject, QProgressDialog, Qt, QTimer, QWidget, Signal

log = logging.getLogger(__name__)

PROGRESS_DELAY_MS = 500


class Cancelled(Exception):
    """The op was cancelled or its token ended; nothing is reported."""


class Token:
    """Owner of a group of ops; ending it drops them all."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.alive = True

    def end(self) -> None:
        self.alive = False


@dataclass
class OpContext:
    """What a worker function receives: the session's vault (if any), progress, cancel."""

    vault: Any
    cancel: threading.Event
    token: Token
    _report: Callable[[int, int], None]

    def progress(self, done: int, total: int) -> None:
        self._report(done, total)

    def check(self) -> None:
        """Raise Cancelled if the op was cancelled or its owner went away."""
        if self.cancel.is_set() or not self.token.alive:
            raise Cancelled()


def log_unexpected(exc: BaseException, where: str) -> None:
    frames = traceback.extract_tb(exc.__traceback__)
    place = ", ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in frames[-4:])
    log.error("%s failed with %s at %s", where, type(exc).__name__, place)


@dataclass(eq=False)
class _Job:
    fn: Callable[[], None]
    token: Token
    discarded: bool = False
    cancel: threading.Event = field(default_factory=threading.Event)
    write: bool = False  # a learner's small change: made while the vault closes on lock
    raw: Callable[[OpContext], Any] | None = None  # the op's own function, for take_writes
    succeeded: threading.Event = field(default_factory=threading.Event)  # its function returned


class DbWorker:
    """One daemon thread running jobs in order; queued jobs can be dropped by token."""

    def __init__(self) -> None:
        self._queue: collections.deque[_Job] = collections.deque()
        self._cv = threading.Condition()
        self._current: _Job | None = None
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="satchel-db", daemon=True)
        self._thread.start()

    def submit(self, job: _Job, front: bool = False) -> None:
        with self._cv:
            if front:
                self._queue.appendleft(job)
            else:
                self._queue.append(job)
            self._cv.notify()

    def drop(self, token: Token, keep_writes: bool = False) -> _Job | None:
        """Forget queued jobs of `token` (but its writes if asked); return its running job."""
        with self._cv:
            for job in [j for j in self._queue if j.token is token and not (keep_writes and j.write)]:
                job.discarded = True
                job.cancel.set()
                self._queue.remove(job)
            current = self._current
        if current is not None and current.token is token:
            if not (keep_writes and current.write):
                current.cancel.set()
            return current
        return None

    def take_writes(self, token: Token) -> list[Callable[[OpContext], Any]]:
        """Remove `token`'s queued writes and return their functions (to run elsewhere)."""
        with self._cv:
            jobs = [j for j in self._queue if j.token is token and j.write and not j.discarded]
            for job in jobs:
                job.discarded = True
                self._queue.remove(job)
        return [j.raw for j in jobs if j.raw is not None]

    def busy(self) -> bool:
        with self._cv:
            return self._current is not None or bool(self._queue)

    def stop(self, timeout: float = 5.0) -> None:
        with self._cv:
            self._stopping = True
            self._cv.notify()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._queue and not self._stopping:
                    self._cv.wait()
                if not self._queue:
                    return
                job = self._current = self._queue.popleft()
            try:
                if not job.discarded and (job.token.alive or job.write):
                    job.fn()
            except BaseException as exc:  # a job never kills the worker
                log_unexpected(exc, "a background job")
            finally:
                with self._cv:
                    self._current = None


class _Relay(QObject):
    """Lives on the GUI thread; signals emitted from the worker arrive queued."""

    finished = Signal(object, object, object)  # op, ok, value
    progressed = Signal(object, int, int)


class Runner(QObject):
    """The app's op factory: one worker for vault work, results on the GUI thread."""

    failed = Signal(object)  # the default failure handler: the window shows the message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = DbWorker()
        self._relay = _Relay(self)
        self._relay.finished.connect(self._deliver)
        self._relay.progressed.connect(self._progress)
        self._latest: dict[str, Op] = {}
        self.system = Token("system")

    def op(self, fn: Callable[[OpContext], Any], token: Token | None = None, vault: Any = None) -> Op:
        return Op(self, fn, token or self.system, vault)

    def end(self, token: Token) -> None:
        """End a token: drop its queued ops and cancel its running one."""
        token.end()
        self.worker.drop(token)

    def shutdown(self) -> None:
        self.worker.stop()

    def _deliver(self, op: Op, ok: bool, value: Any) -> None:
        op._finish(ok, value)

    def _progress(self, op: Op, done: int, total: int) -> None:
        op._on_progress(done, total)


class Op:
    def __init__(self, runner: Runner, fn: Callable[[OpContext], Any], token: Token, vault: Any) -> None:
        self._runner = runner
        self._fn = fn
        self.token = token
        self._vault = vault
        self._success: Callable[[Any], None] | None = None
        self._failure: Callable[[BaseException], None] | None = None
        self._discard: Callable[[Any], None] | None = None
        self._progress_cb: Callable[[int, int], None] | None = None
        self._label: str | None = None
        self._cancellable = False
        self._key: str | None = None
        self._dialog: QProgressDialog | None = None
        self._timer: QTimer | None = None
        self.done = False
        self._job = _Job(self._work, token, raw=fn)

    # -- building ------------------------------------------------------------------

    def success(self, cb: Callable[[Any], None]) -> Op:
        self._success = cb
        return self

    def failure(self, cb: Callable[[BaseException], None]) -> Op:
        self._failure = cb
        return self

    def discard(self, cb: Callable[[Any], None]) -> Op:
        """Called on the worker with a result nobody will receive (its token ended)."""
        self._discard = cb
        return self

    def on_progress(self, cb: Callable[[int, int], None]) -> Op:
        self._progress_cb = cb
        return self

    def with_progress(self, label: str, cancellable: bool = False) -> Op:
        self._label, self._cancellable = label, cancellable
        return self

    def write(self) -> Op:
        """Mark as a write: it still runs if the session is locked before its turn."""
        self._job.write = True
        return self

    def latest(self, key: str) -> Op:
        self._key = key
        return self

    @property
    def cancel_event(self) -> threading.Event:
        return self._job.cancel

    def cancel(self) -> None:
        self._job.cancel.set()

    def run(self) -> Op:
        if self._key is not None:
            older = self._runner._latest.get(self._key)
            if older is not None and not older.done:
                older._job.discarded = True
                older.cancel()
            self._runner._latest[self._key] = self
        if self._label is not None:
            self._timer = QTimer(self._runner)
            self._timer.setSingleShot(True)
            self._timer.timeout.connect(self._show_progress)
            self._timer.start(PROGRESS_DELAY_MS)
        self._runner.worker.submit(self._job)
        return self

    # -- worker side ---------------------------------------------------------------

    def _work(self) -> None:
        token = self.token if self.token.alive or not self._job.write else Token("closing")
        ctx = OpContext(self._vault, self._job.cancel, token, self._report)
        try:
            value = self._fn(ctx)
            ok = True
            self._job.succeeded.set()
        except BaseException as exc:
            value, ok = exc, False
        if self._stale():
            if ok and self._discard is not None:
                try:
                    self._discard(value)
                except Exception as exc:
                    log_unexpected(exc, "discarding a result")
            return
        self._runner._relay.finished.emit(self, ok, value)

    def _report(self, done: int, total: int) -> None:
        if not self._stale():
            self._runner._relay.progressed.emit(self, int(done), int(total))

    def _stale(self) -> bool:
        return self._job.discarded or not self.token.alive

    # -- GUI side ------------------------------------------------------------------

    def _finish(self, ok: bool, value: Any) -> None:
        self.done = True
        self._close_progress()
        if self._key is not None and self._runner._latest.get(self._key) is self:
            del self._runner._latest[self._key]
        if self._stale():
            if ok and self._discard is not None:
                self._runner.op(lambda _ctx: self._discard(value)).run()  # type: ignore[misc]
            return
        if ok:
            if self._success is not None:
                self._success(value)
            return
        if isinstance(value, Cancelled):
            return
        if not isinstance(value, Exception):
            raise value
        if self._failure is not None:
            self._failure(value)
        else:
            self._runner.failed.emit(value)

    def _on_progress(self, done: int, total: int) -> None:
        if self.done or self._stale():
            return
        if self._progress_cb is not None:
            self._progress_cb(done, total)
        if self._dialog is not None:
            self._dialog.setMaximum(max(total, 0))
            self._dialog.setValue(min(done, total) if total > 0 else 0)
        self._last_progress = (done, total)

    def _show_progress(self) -> None:
        if self.done or self._stale():
            return
        from ui.i18n import tr
        from ui.qt import QApplication

        parent: QWidget | None = QApplication.activeWindow()
        dialog = QProgressDialog(self._label or "", tr("Cancel") if self._cancellable else "", 0, 0, parent)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setAccessibleName(self._label or "")
        if not self._cancellable:
            dialog.setCancelButton(None)
        dialog.canceled.connect(self.cancel)
        done, total = getattr(self, "_last_progress", (0, 0))
        dialog.setMaximum(max(total, 0))
        dialog.setValue(min(done, total) if total > 0 else 0)
        dialog.show()
        self._dialog = dialog

    def _close_progress(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._dialog is not None:
            self._dialog.canceled.disconnect(self.cancel)
            self._dialog.close()
            self._dialog.deleteLater()
            self._dialog = None
