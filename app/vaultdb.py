"""The vault's SQLCipher database: open it with a data key, migrate its schema, and
re-encrypt it under a new key.

Guarantees:
- The key reaches SQLCipher through app.sqlkey (never a Python string). SQLCipher runs
  with memory security on (set before the key, so every buffer it frees is wiped), its
  log silent, temp data in memory, secure delete and foreign keys on, WAL journal with
  full flushes, 16 KiB pages.
- `try_connect` tells a key that does not open the database (None) from a database that
  cannot be used at all (DiskFull / VaultDamaged); `connect` treats both as damage.
- `rekey` re-encrypts every page in one SQLite transaction and then copies the pages
  back over the old ones (a WAL checkpoint): a crash at any moment leaves a database
  that opens with exactly one of the two keys. SQLCipher's re-key always says it
  succeeded, so the result is read from the database itself, through a fresh
  connection. Progress comes from the growth of the write-ahead log, the only thing
  that moves while SQLCipher works.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import sqlcipher3

from app.errors import DiskFull, SatchelError, VaultDamaged
from app.schema import MIGRATIONS, SCHEMA_VERSION
from app.sqlkey import SqlKeyError, apply_key
from app.sqlkey import rekey as _sql_rekey
from crypto.secure import wipe

PAGE_SIZE = 16384
Progress = Callable[[int, int], None]

_DAMAGED = "The vault's database is damaged or does not belong to this key file; nothing was changed."


def _full(exc: BaseException) -> bool:
    return "full" in str(exc).lower()


def try_connect(db_path: Path, data_key: bytearray | bytes) -> sqlcipher3.Connection | None:
    """Open the database with a raw data key; None if that key does not open it."""
    key = bytearray(data_key)
    conn = sqlcipher3.connect(str(db_path), check_same_thread=False, isolation_level=None)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute("PRAGMA cipher_memory_security = ON")
        apply_key(conn, db_path, key)
        conn.execute(f"PRAGMA cipher_page_size = {PAGE_SIZE}")
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.DatabaseError as exc:
            if _full(exc):
                raise
            conn.close()
            return None
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
    except (sqlcipher3.DatabaseError, SqlKeyError) as exc:
        conn.close()
        if _full(exc):
            raise DiskFull("The disk is full; nothing was changed.") from None
        if isinstance(exc, SqlKeyError):
            raise SatchelError("Satchel could not hand the key to its database library.") from None
        raise VaultDamaged(_DAMAGED) from None
    finally:
        wipe(key)
    return conn


def connect(db_path: Path, data_key: bytearray | bytes) -> sqlcipher3.Connection:
    """Open the database with the raw data key and Satchel's SQLCipher settings."""
    conn = try_connect(db_path, data_key)
    if conn is None:
        raise VaultDamaged(_DAMAGED)
    return conn


def migrate(conn: sqlcipher3.Connection, target: int = SCHEMA_VERSION) -> None:
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > SCHEMA_VERSION:
        raise VaultDamaged("This vault was made by a newer Satchel; update Satchel to open it.")
    for version in range(current, target):
        conn.execute("BEGIN IMMEDIATE")
        try:
            step = MIGRATIONS[version]
            if callable(step):
                step(conn)  # a Python step (rebuilding the search index), same transaction
            else:
                for statement in split_sql(step):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def split_sql(script: str) -> list[str]:
    """Split a migration into statements (no semicolons inside our literals)."""
    out: list[str] = []
    buf = ""
    for part in script.split(";"):
        buf += part
        if sqlcipher3.complete_statement(buf + ";"):  # the parser that runs the schema
            if buf.strip():
                out.append(buf.strip())
            buf = ""
        else:
            buf += ";"
    if buf.strip():
        out.append(buf.strip())
    return out


def checkpoint(conn: sqlcipher3.Connection) -> None:
    """Copy the write-ahead log into the database and empty it."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def rekey(conn: sqlcipher3.Connection, db_path: Path, old_key: bytearray, new_key: bytearray,
          progress: Progress | None = None) -> tuple[sqlcipher3.Connection, bool]:
    """Re-encrypt the whole database under `new_key` (see the module's guarantees).

    `conn` is closed (SQLCipher's re-key reports success whatever happened, and leaves a
    connection whose re-key failed writing under one key and reading under the other).
    Returns a fresh connection and whether the database is now under the new key; what
    the database opens with is the only word trusted. Raises VaultDamaged if it opens
    with neither key."""
    checkpoint(conn)  # start from an empty log: its growth measures the work done
    wal = Path(str(db_path) + "-wal")
    total = max(os.path.getsize(db_path), 1)
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.1):
            try:
                grown = os.path.getsize(wal)
            except OSError:
                grown = 0
            if progress is not None:
                progress(min(grown, total), total)

    watcher = threading.Thread(target=watch, name="satchel-rekey-progress", daemon=True)
    watcher.start()
    try:
        _sql_rekey(conn, db_path, new_key)
    finally:
        done.set()
        watcher.join()
        conn.close()  # a failed re-key's transaction ends here, rolled back
    fresh = try_connect(db_path, new_key)
    if fresh is not None:
        checkpoint(fresh)  # the new pages now lie over the old ones in the database file
        if progress is not None:
            progress(total, total)
        return fresh, True
    fresh = try_connect(db_path, old_key)
    if fresh is None:
        raise VaultDamaged("The vault's database is damaged; nothing was changed.")
    try:
        checkpoint(fresh)  # gives back the space the abandoned log took
    except sqlcipher3.Error:
        pass
    return fresh, False


def free_space(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize
