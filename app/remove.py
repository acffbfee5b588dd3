"""Removing one pack from the library, with everything the learner kept on it: the core
of `satchel remove PACK_ID` and of the app's "Remove...".

Guarantees:
- One write transaction: the pack's row (and with it, by cascade, its signed bytes,
  chapters, pages, media index and change record), its search rows, and every row of
  every other table that has a `pack_id` column (progress, quiz answers, ticks,
  bookmarks, notes, reading position, and whatever table a later feature adds) go
  together, or nothing goes.
- The pack's version floor stays (app.trust): an older copy of it cannot come back
  unnoticed later. The same version may be imported again (it is the pack the learner
  had), or a newer one.
- The search index is optimised in the same transaction, so the words of the removed
  pages leave the index's segments too; with SQLCipher's secure_delete on, the freed
  pages of the database are overwritten, and the write-ahead log is truncated after the
  commit. What this cannot reach (copies the disk itself keeps) is said in the user guide.
- Busy: while an import holds the vault, from this process or another Satchel, removing
  is refused with LibraryBusy (one sentence) after a short wait; nothing changes.
- Nothing is logged but the fact that a pack was removed.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import sqlcipher3

from app import mediastore
from app.errors import SatchelError
from app.vault import Vault

log = logging.getLogger(__name__)

BUSY_WAIT_S = 1.0
KEEP_TABLES = frozenset({"packs", "version_floors"})  # packs: deleted last, by id; floors: kept


class NoSuchPack(SatchelError):
    """The pack id is not in the library."""


class LibraryBusy(SatchelError):
    """Another import is writing the library; try again when it has finished."""


BUSY = "The library is busy importing packs; remove the pack when the import has finished. Nothing was removed."


@dataclass(frozen=True)
class RemovalSummary:
    """What removing a pack takes with it (for the confirmation and the report)."""

    pack_id: str
    title: str
    version: int
    pages: int
    completed: int
    answers: int
    notes: int
    bookmarks: int


def _count(conn: Any, table: str, pack_id: str, where: str = "") -> int:
    row = conn.execute(f"SELECT count(*) FROM {table} WHERE pack_id = ? {where}", (pack_id,)).fetchone()
    return int(row[0])


def _summary(conn: Any, pack_id: str) -> RemovalSummary | None:
    row = conn.execute("SELECT title, version FROM packs WHERE id = ?", (pack_id,)).fetchone()
    if row is None:
        return None
    return RemovalSummary(
        pack_id, row[0], row[1],
        pages=_count(conn, "pages", pack_id),
        completed=_count(conn, "progress", pack_id, "AND completed = 1"),
        answers=_count(conn, "quiz_answers", pack_id),
        notes=_count(conn, "notes", pack_id),
        bookmarks=_count(conn, "bookmarks", pack_id),
    )


def removal_summary(vault: Vault, pack_id: str) -> RemovalSummary | None:
    """What `remove_pack` would remove, or None if the pack is not in the library."""
    with vault.lock:
        return _summary(vault.conn, pack_id)


def pack_tables(conn: Any) -> list[str]:
    """Every table with a `pack_id` column, except the packs and the version floors."""
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE 'page_search%' ORDER BY name")]
    out = []
    for name in names:
        if name in KEEP_TABLES:
            continue
        columns = {r[1] for r in conn.execute(f"PRAGMA table_info({name})")}
        if "pack_id" in columns:
            out.append(name)
    return out


@contextlib.contextmanager
def _short_busy_wait(conn: Any) -> Any:
    """Wait at most BUSY_WAIT_S for another process's write to end (the default is 5 s)."""
    before = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_WAIT_S * 1000)}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(before)}")


def remove_pack(vault: Vault, pack_id: str) -> RemovalSummary:
    """Remove `pack_id` and the learner's traces on it in one transaction."""
    # An import in this process holds the vault's lock for its whole transaction.
    if not vault.lock.acquire(timeout=BUSY_WAIT_S):
        raise LibraryBusy(BUSY)
    try:
        conn = vault.conn
        with _short_busy_wait(conn):
            try:
                with vault.transaction() as tx:
                    summary = _summary(tx, pack_id)
                    if summary is None:
                        raise NoSuchPack(f"There is no pack {pack_id} in the library.")
                    tx.execute("DELETE FROM page_search WHERE rowid IN (SELECT id FROM pages WHERE pack_id = ?)",
                               (pack_id,))
                    for table in pack_tables(tx):
                        tx.execute(f"DELETE FROM {table} WHERE pack_id = ?", (pack_id,))
                    tx.execute("DELETE FROM packs WHERE id = ?", (pack_id,))
                    # Pictures kept once by hash go when no remaining pack carries or shows them.
                    mediastore.drop_unused_blobs(tx)
                    # Merge the index's segments so the removed pages' words leave them too.
                    tx.execute("INSERT INTO page_search (page_search) VALUES ('optimize')")
            except sqlcipher3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise LibraryBusy(BUSY) from None
                raise
        with contextlib.suppress(sqlcipher3.Error):
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        vault.lock.release()
    log.info("a pack was removed")
    return summary
