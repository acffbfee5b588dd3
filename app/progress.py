"""A learner's own traces: pages visited and completed, quiz answers, bookmarks, notes,
checklist ticks and reading positions. All of it lives in the vault, keyed by (pack id,
page path) so it survives a pack's update to a newer version (app.schema steps 3 and 5);
a tick is keyed by its item's text too (app.checklist), so it stays with its item.

A trace is written only while its pack is in the library: a note or a reading position
still pending when the pack is removed (app.remove, perhaps by another Satchel process)
is dropped, never left behind for a pack that is gone."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from app.vault import Vault

MAX_NOTE_CHARS = 100_000


def _now() -> int:
    return int(time.time())


def _gone(conn: Any, pack_id: str) -> bool:
    """Inside a write transaction: is the pack no longer in the library?"""
    return conn.execute("SELECT 1 FROM packs WHERE id = ?", (pack_id,)).fetchone() is None


def mark_visited(vault: Vault, pack_id: str, path: str) -> None:
    with vault.transaction() as conn:
        if _gone(conn, pack_id):
            return
        conn.execute(
            "INSERT INTO progress (pack_id, page_path, visited_at) VALUES (?, ?, ?) "
            "ON CONFLICT(pack_id, page_path) DO UPDATE SET visited_at = excluded.visited_at",
            (pack_id, path, _now()),
        )


def set_completed(vault: Vault, pack_id: str, path: str, done: bool = True) -> None:
    with vault.transaction() as conn:
        if _gone(conn, pack_id):
            return
        conn.execute(
            "INSERT INTO progress (pack_id, page_path, visited_at, completed) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(pack_id, page_path) DO UPDATE SET completed = excluded.completed",
            (pack_id, path, _now(), int(done)),
        )


def is_completed(vault: Vault, pack_id: str, path: str) -> bool:
    with vault.lock:
        row = vault.conn.execute(
            "SELECT completed FROM progress WHERE pack_id = ? AND page_path = ?", (pack_id, path)
        ).fetchone()
    return bool(row and row[0])


def record_answer(vault: Vault, pack_id: str, path: str, question: int, answer: str, correct: bool) -> None:
    """Keep a question's first answer: once the right answer has been shown, a second
    answer would only copy it, so the score counts what the learner knew first."""
    with vault.transaction() as conn:
        if _gone(conn, pack_id):
            return
        conn.execute(
            "INSERT INTO quiz_answers (pack_id, page_path, question, answer, correct, answered_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(pack_id, page_path, question) DO NOTHING",
            (pack_id, path, question, answer, int(correct), _now()),
        )


def answers(vault: Vault, pack_id: str, path: str) -> dict[int, tuple[str, bool]]:
    with vault.lock:
        rows = vault.conn.execute(
            "SELECT question, answer, correct FROM quiz_answers WHERE pack_id = ? AND page_path = ?",
            (pack_id, path),
        ).fetchall()
    return {q: (a, bool(c)) for q, a, c in rows}


def set_bookmark(vault: Vault, pack_id: str, path: str, on: bool) -> None:
    with vault.transaction() as conn:
        if _gone(conn, pack_id):
            return
        if on:
            conn.execute(
                "INSERT OR IGNORE INTO bookmarks (pack_id, page_path, created_at) VALUES (?, ?, ?)",
                (pack_id, path, _now()),
            )
        else:
            conn.execute("DELETE FROM bookmarks WHERE pack_id = ? AND page_path = ?", (pack_id, path))


def is_bookmarked(vault: Vault, pack_id: str, path: str) -> bool:
    with vault.lock:
        return vault.conn.execute(
            "SELECT 1 FROM bookmarks WHERE pack_id = ? AND page_path = ?", (pack_id, path)
        ).fetchone() is not None


def bookmarks(vault: Vault) -> list[tuple[str, str, str]]:
    """(pack id, page path, page title), newest first; bookmarks on vanished pages are skipped."""
    with vault.lock:
        rows = vault.conn.execute(
            "SELECT b.pack_id, b.page_path, p.title FROM bookmarks b "
            "JOIN pages p ON p.pack_id = b.pack_id AND p.path = b.page_path "
            "ORDER BY b.created_at DESC, b.rowid DESC"
        ).fetchall()
    return [(a, b, c) for a, b, c in rows]


def get_note(vault: Vault, pack_id: str, path: str) -> str:
    with vault.lock:
        row = vault.conn.execute(
            "SELECT body FROM notes WHERE pack_id = ? AND page_path = ?", (pack_id, path)
        ).fetchone()
    return row[0] if row else ""


def set_note(vault: Vault, pack_id: str, path: str, text: str) -> None:
    text = text[:MAX_NOTE_CHARS]
    with vault.transaction() as conn:
        if _gone(conn, pack_id):
            return
        if text.strip():
            conn.execute(
                "INSERT INTO notes (pack_id, page_path, body, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(pack_id, page_path) DO UPDATE SET body = excluded.body, "
                "updated_at = excluded.updated_at",
                (pack_id, path, text, _now()),
            )
        else:
            conn.execute("DELETE FROM notes WHERE pack_id = ? AND page_path = ?", (pack_id, path))


def set_position(vault: Vault, pack_id: str, path: str, scroll: float) -> None:
    scroll = min(max(float(scroll), 0.0), 1.0)
    with vault.transaction() as conn:
        if _gone(conn, pack_id):
            return
        conn.execute(
            "INSERT INTO reading_position (pack_id, page_path, scroll, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(pack_id) DO UPDATE SET page_path = excluded.page_path, "
            "scroll = excluded.scroll, updated_at = excluded.updated_at",
            (pack_id, path, scroll, _now()),
        )


def get_position(vault: Vault, pack_id: str) -> tuple[str, float] | None:
    with vault.lock:
        row = vault.conn.execute(
            "SELECT r.page_path, r.scroll FROM reading_position r JOIN pages p "
            "ON p.pack_id = r.pack_id AND p.path = r.page_path WHERE r.pack_id = ?",
            (pack_id,),
        ).fetchone()
    return (row[0], row[1]) if row else None


def last_read(vault: Vault) -> tuple[str, str] | None:
    """Where the learner left off: the most recently read page that still exists."""
    with vault.lock:
        row = vault.conn.execute(
            "SELECT r.pack_id, r.page_path FROM reading_position r JOIN pages p "
            "ON p.pack_id = r.pack_id AND p.path = r.page_path "
            "ORDER BY r.updated_at DESC, r.rowid DESC LIMIT 1"
        ).fetchone()
    return (row[0], row[1]) if row else None


def course_progress(vault: Vault, pack_id: str) -> tuple[int, int]:
    """(pages completed, pages in the pack)."""
    with vault.lock:
        total = vault.conn.execute("SELECT count(*) FROM pages WHERE pack_id = ?", (pack_id,)).fetchone()[0]
        done = vault.conn.execute(
            "SELECT count(*) FROM progress g JOIN pages p ON p.pack_id = g.pack_id AND p.path = g.page_path "
            "WHERE g.pack_id = ? AND g.completed = 1",
            (pack_id,),
        ).fetchone()[0]
    return done, total


def forget_missing_pages(conn: object, pack_id: str) -> None:
    """Inside an import transaction: drop traces of pages the new version no longer has."""
    for table in ("progress", "quiz_answers", "bookmarks", "notes", "reading_position", "checklist_ticks"):
        conn.execute(  # type: ignore[attr-defined]
            f"DELETE FROM {table} WHERE pack_id = ? AND page_path NOT IN "
            "(SELECT path FROM pages WHERE pack_id = ?)",
            (pack_id, pack_id),
        )


def set_tick(vault: Vault, pack_id: str, path: str, item: str, ticked: bool) -> None:
    """Tick or untick a checklist item (`item` is its key from app.checklist)."""
    with vault.transaction() as conn:
        conn.execute(
            "INSERT INTO checklist_ticks (pack_id, page_path, item, ticked, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(pack_id, page_path, item) DO UPDATE SET ticked = excluded.ticked, "
            "updated_at = excluded.updated_at",
            (pack_id, path, item[:200], int(ticked), _now()),
        )


def ticks(vault: Vault, pack_id: str, path: str) -> dict[str, bool]:
    """The learner's ticks on a page, by item key (items never touched are absent)."""
    with vault.lock:
        rows = vault.conn.execute(
            "SELECT item, ticked FROM checklist_ticks WHERE pack_id = ? AND page_path = ?", (pack_id, path)
        ).fetchall()
    return {item: bool(ticked) for item, ticked in rows}


@dataclass(frozen=True)
class Annotation:
    """A page of one pack that the learner bookmarked or wrote a note on."""

    path: str
    title: str
    bookmarked: bool
    note: str


def annotated_pages(vault: Vault, pack_id: str) -> list[Annotation]:
    """The pages of `pack_id` with a bookmark or a note, in reading order."""
    with vault.lock:
        rows = vault.conn.execute(
            "SELECT p.path, p.title, b.page_path IS NOT NULL, n.body FROM pages p "
            "LEFT JOIN bookmarks b ON b.pack_id = p.pack_id AND b.page_path = p.path "
            "LEFT JOIN notes n ON n.pack_id = p.pack_id AND n.page_path = p.path "
            "WHERE p.pack_id = ? AND (b.page_path IS NOT NULL OR n.body IS NOT NULL) ORDER BY p.seq",
            (pack_id,),
        ).fetchall()
    return [Annotation(path, title, bool(marked), body or "") for path, title, marked, body in rows]
