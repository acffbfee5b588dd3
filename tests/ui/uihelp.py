"""Helpers for the desktop app's tests (imported as `uihelp`)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

PASSPHRASE = "correct horse battery staple"
DURESS = "purple monkey dishwasher seven"


def wait_idle(qtbot: Any, window: Any, timeout: int = 20000) -> None:
    """Wait until the worker has nothing queued or running and results are delivered."""
    qtbot.waitUntil(lambda: not window.runner.worker.busy(), timeout=timeout)
    qtbot.wait(30)


def unlock(qtbot: Any, window: Any, passphrase: str = PASSPHRASE) -> None:
    from ui.unlock import UnlockScreen

    screen = window.screen
    assert isinstance(screen, UnlockScreen)
    screen.field.setText(passphrase)
    screen.button.click()
    qtbot.waitUntil(lambda: window.view is not None, timeout=20000)
    wait_idle(qtbot, window)


def open_page(qtbot: Any, window: Any, pack_id: str, path: str | None = None) -> Any:
    window.view.open(pack_id, path)
    reader = window.view.reader
    qtbot.waitUntil(
        lambda: (
            reader.data is not None and reader.pack_id == pack_id and (path is None or reader.path == path)
        ),
        timeout=20000,
    )
    wait_idle(qtbot, window)
    return reader


def satchel_files(path: Path) -> list[str]:
    if not path.exists():
        return []
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def plain(text: str) -> str:
    """Text without the bidi isolate marks the interface wraps pack text in."""
    return "".join(ch for ch in text if ch not in "\u2066\u2067\u2068\u2069")


ENDLESS = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000000) "
           "SELECT count(*) FROM c")


def start_endless_query(w: Any) -> tuple[Any, threading.Event, list[BaseException]]:
    """A statement on the vault thread that would run for hours (SQL never looks at
    Cancel); returns the vault, an event set once it runs, and what the job raised."""
    vault = w.session.vault
    running, raised = threading.Event(), []

    def job(ctx: Any) -> Any:
        try:
            with ctx.vault.lock:
                running.set()
                return ctx.vault.conn.execute(ENDLESS).fetchone()
        except BaseException as exc:
            raised.append(exc)
            raise

    w.session.op(job).run()
    assert running.wait(10)
    time.sleep(0.2)  # well inside the statement
    return vault, running, raised
