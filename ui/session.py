"""An unlocked session: the open vault, its settings, and the token its work runs under.

The window owns at most one Session. Every view gets it and runs vault work through
`session.op(fn)` (fn receives an OpContext whose `.vault` is this vault), and small
changes through `session.write(fn)`. Locking ends the token and locks the vault at once,
whatever the worker is doing (app.vault.Vault.lock_now): the key is zeroed before `end`
returns, a running statement is interrupted, the job's next vault call raises
VaultClosed, queued reads are dropped and results never reach a widget. Queued writes
and the final ones (a note being typed) are made while the connection closes, on a
thread of its own, never on the GUI thread. A write the lock interrupted mid-way (a
setting changed a moment before Ctrl+L) is made again there, before the queued ones:
every write is a "set to this value", so making it twice is harmless. A panic drops everything and waits for
nothing: the wipe has already destroyed the key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ui.clipboard import ClipboardGuard
from ui.ops import Op, OpContext, Runner, Token
from ui.prefs import Prefs


class Session:
    def __init__(self, runner: Runner, vault: Any, clipboard: ClipboardGuard) -> None:
        self.runner = runner
        self.vault = vault
        self.clipboard = clipboard
        self.token = Token("session")
        self.prefs = Prefs()

    @property
    def alive(self) -> bool:
        return self.token.alive

    def op(self, fn: Callable[[OpContext], Any]) -> Op:
        return self.runner.op(fn, token=self.token, vault=self.vault)

    def write(self, fn: Callable[[OpContext], Any]) -> Op:
        """An op that changes the vault: it runs even if the session locks before its turn."""
        return self.op(fn).write()

    def end(self, final_writes: list[Callable[[Any], None]] | None = None, panic: bool = False) -> None:
        """Lock now; then (not on panic) make the pending writes while the vault closes."""
        vault = self.vault
        self.token.end()
        queued = [] if panic else self.runner.worker.take_writes(self.token)
        running = self.runner.worker.drop(self.token, keep_writes=not panic)
        if panic:
            vault.lock_now(reason="The vault was wiped.", checkpoint=False)
            return
        writes = [_final(fn) for fn in queued] + list(final_writes or [])
        if running is not None and running.write and running.raw is not None:
            writes.insert(0, _again_unless_made(running.raw, running.succeeded))
        vault.lock_now(final_writes=writes)


def _again_unless_made(fn: Callable[[OpContext], Any], made: threading.Event) -> Callable[[Any], None]:
    """The write that was running when the lock came: the closing thread runs it once the
    job has let go of the connection, unless it had already been made by then."""
    final = _final(fn)

    def run(vault: Any) -> None:
        if not made.is_set():
            final(vault)

    return run


def _final(fn: Callable[[OpContext], Any]) -> Callable[[Any], None]:
    """A queued write op's function, made a final write (it gets the closing vault)."""

    def run(vault: Any) -> None:
        fn(OpContext(vault, threading.Event(), Token("closing"), lambda _d, _t: None))

    return run
