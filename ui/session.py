"""An unlocked session: the open vault, its settings, and the token its work runs under.

The window owns at most one Session. Every view gets it and runs vault work through
`session.op(fn)` (fn receives an OpContext whose `.vault` is this vault), and changes
through `session.write(fn)`. Locking ends the token: queued reads are dropped, results
never reach a widget, queued writes and the final ones (a note being typed) still run,
then the vault is closed on the worker. A panic drops everything and waits for nothing:
the wipe has already destroyed the key.
"""

from __future__ import annotations

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
        """Drop this session's work; then (not on panic) write what is pending and close."""
        vault = self.vault
        self.token.end()
        running = self.runner.worker.drop(self.token, keep_writes=not panic)
        if running is not None and not running.write:
            # Abort a long statement so the close below need not wait for it.
            try:
                vault.conn.interrupt()
            except Exception:
                pass
        if panic:
            return
        writes = list(final_writes or [])

        def close(_ctx: OpContext) -> None:
            try:
                for write in writes:
                    try:
                        write(vault)
                    except Exception:
                        pass
            finally:
                vault.close()

        self.runner.op(close).run()
