"""The encrypted vault: one SQLCipher database opened with a random data key, and a
small key file whose slots wrap that key under passphrase-derived keys.

Guarantees:
- Nothing the vault holds is readable without a passphrase and the key file; destroying
  the key file (app.wipe) makes the database undecryptable even with the passphrase.
- The key file is overwritten in place, never replaced (crypto.keystore): no earlier
  version of it is left in free disk space on a file system that overwrites in place.
- A wrong passphrase raises WrongPassphrase and changes nothing (except the failed-unlock
  counter when the user turned "wipe after N failed unlocks" on).
- Changing the passphrase re-encrypts the database under a new data key (app.passphrases),
  so the old passphrase opens nothing in the vault as it is afterwards, even with an old
  copy of the key file. A crash at any moment leaves a vault that opens with exactly one
  of the two passphrases: the first unlock after it finishes or undoes the change,
  whichever the database shows happened.
- Unlocking with the duress passphrase wipes the vault and opens a new, empty one under
  that passphrase; the output, the files' names and sizes look like a fresh vault's.
- Locking (`lock_now`, and the panic wipe through `drop_keys`) takes effect at once,
  from any thread, whatever the vault is doing: the key buffer is zeroed, every later use
  raises VaultClosed, the running statement is interrupted, and the connection (with
  SQLCipher's copy of the key) is closed as soon as no statement runs.
- The data key lives only in bytearrays that are wiped; it reaches SQLCipher without
  ever becoming a Python string (app.sqlkey).
- Work that serves from the vault to others (a trainer's share, sync.share) registers
  `when_locked`: its hook runs the moment the vault locks or is wiped, on the locking
  thread, right after the key is zeroed, so the share stops at once with it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import sqlcipher3

from app import keyfile, vaultdb
from app import wipe as wipe_mod
from app.errors import (
    EmptyPassphrase,
    SatchelError,
    VaultClosed,
    VaultDamaged,
    VaultExists,
    WrongPassphrase,
)
from app.home import KEY_NAME, MARKER, Home, os_error
from crypto.kdf import DEFAULT_ITER_TIME_MS, calibrate
from crypto.keyslots import ROLE_DURESS, ROLE_VAULT, KeyRecord, Opened, new_data_key
from crypto.secure import destroy_file, wipe

log = logging.getLogger(__name__)

PAGE_SIZE = vaultdb.PAGE_SIZE
MAX_FAIL_LIMIT = 1000
LOCKED = "The vault is locked."
WIPED = "The vault was wiped."

# Kept for callers of the earlier names (benchmarks, tests of old schemas).
_connect = vaultdb.connect
_migrate = vaultdb.migrate
_split_sql = vaultdb.split_sql


def check_passphrase(passphrase: str) -> None:
    if not passphrase:
        raise EmptyPassphrase("The passphrase cannot be empty.")


class _Stop(Exception):
    """Abandon a key-file update (nothing to write)."""


class GuardedConnection:
    """The connection as a transaction sees it: every statement first checks that the
    vault is still open, so a job that captured the connection stops at its next
    statement once the vault is locked."""

    def __init__(self, vault: Vault, conn: sqlcipher3.Connection) -> None:
        self._vault, self._conn = vault, conn

    def execute(self, sql: str, params: Any = ()) -> Any:
        self._vault._check(self._conn)
        return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Any]) -> Any:
        self._vault._check(self._conn)
        return self._conn.executemany(sql, rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class ReadConnection:
    """A second connection to the vault (Vault.reader), read-only. Each query and the
    closing are serialized by its own lock, so a wipe on another thread can close it
    without pulling a statement from under a reader; once closed it refuses to read."""

    def __init__(self, conn: sqlcipher3.Connection) -> None:
        conn.execute("PRAGMA query_only = ON")
        self._conn: sqlcipher3.Connection | None = conn
        self._closing = False
        self._lock = threading.Lock()

    def fetchone(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        with self._lock:
            if self._conn is None or self._closing:
                raise VaultClosed("The vault is locked.")
            try:
                return self._conn.execute(sql, params).fetchone()
            except sqlcipher3.Error:
                if self._closing:
                    raise VaultClosed("The vault is locked.") from None
                raise

    def fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            if self._conn is None or self._closing:
                raise VaultClosed("The vault is locked.")
            return list(self._conn.execute(sql, params).fetchall())

    def close(self, wait: float | None = None) -> None:
        conn = self._conn
        if conn is None:
            return
        self._closing = True   # from here on nothing more is read, whoever holds the lock
        with contextlib.suppress(Exception):
            conn.interrupt()
        if not self._lock.acquire(timeout=-1 if wait is None else wait):
            return  # a statement is still finishing; its owner closes the connection after it
        try:
            self._conn = None
            with contextlib.suppress(Exception):
                conn.close()
        finally:
            self._lock.release()


class Vault:
    """An unlocked vault. Owns the one database connection (Anki's Collection idea)."""

    def __init__(self, home: Home, conn: sqlcipher3.Connection, data_key: bytearray, slot: int) -> None:
        self.home = home
        self._conn: sqlcipher3.Connection | None = conn
        self._key = bytearray(data_key)
        self._slot = slot
        self._lock = threading.RLock()
        self._closed_reason = ""
        self._closing: tuple[int, sqlcipher3.Connection] | None = None
        self._closer: threading.Thread | None = None
        self._state = threading.Lock()  # guards every change of _conn
        self._readers: set[ReadConnection] = set()
        self._lock_hooks: list[Callable[[], None]] = []
        wipe_mod.register_key_holder(self)

    # -- opening -------------------------------------------------------------------

    @classmethod
    def create(cls, home: Home | Path | str | None, passphrase: str,
               iter_time_ms: int | None = None) -> Vault:
        """Create an empty vault; refuses (changing nothing) if one is already there."""
        home = home if isinstance(home, Home) else Home(home)
        check_passphrase(passphrase)
        home.check_usable()
        wait_for_closers()
        if home.has_vault():
            raise VaultExists(f"A vault already exists in {home.path}; nothing was changed.")
        params = calibrate(iter_time_ms if iter_time_ms is not None else DEFAULT_ITER_TIME_MS)
        record = KeyRecord.new(params)
        derived = record.derive(passphrase)
        try:
            return cls._create_with(home, record, derived)
        finally:
            wipe(derived)

    @classmethod
    def _create_with(cls, home: Home, record: KeyRecord, derived: bytearray) -> Vault:
        home.ensure()
        data_key = new_data_key()
        slot = record.free_slot(set())
        record.seal_slot(slot, derived, ROLE_VAULT, data_key)
        created: list[Path] = []
        try:
            created.append(home.db_path)
            # Create the file 0600 first: SQLite gives its journals the same mode.
            os.close(os.open(home.db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            conn = vaultdb.connect(home.db_path, data_key)
            try:
                vaultdb.migrate(conn)
            except BaseException:
                conn.close()
                raise
            created.append(home.key_path)
            keyfile.create(home, record)
            return cls(home, conn, data_key, slot)
        except OSError as exc:
            _remove_quietly(home, created)
            raise os_error(exc, home.path) from None
        except sqlcipher3.Error as exc:
            _remove_quietly(home, created)
            if "full" in str(exc).lower():
                raise os_error(OSError(28, "No space left on device"), home.path) from None
            raise SatchelError(f"Satchel could not create the vault in {home.path}.") from None
        except BaseException:
            _remove_quietly(home, created)
            raise
        finally:
            wipe(data_key)

    @staticmethod
    def probe(home: Home | Path | str | None) -> None:
        """Check, without a passphrase, that a vault is there and its files look whole.

        Raises NoVault or VaultDamaged (one sentence each); reads only, writes nothing.
        """
        home = home if isinstance(home, Home) else Home(home)
        home.check_usable()
        keyfile.read(home)
        if not home.db_path.exists():
            raise VaultDamaged("The vault's database is missing; nothing was changed.")

    @classmethod
    def unlock(cls, home: Home | Path | str | None, passphrase: str) -> Vault:
        """Open the vault with a passphrase (or, with the duress passphrase, replace it)."""
        home = home if isinstance(home, Home) else Home(home)
        check_passphrase(passphrase)
        home.check_usable()
        wait_for_closers()
        keyfile.read(home)  # NoVault or VaultDamaged before anything is written
        if not home.db_path.exists():
            raise VaultDamaged("The vault's database is missing; nothing was changed.")
        record = keyfile.read(home, settle=True).record  # a crash's leftover half goes first
        derived = record.derive(passphrase)
        opened: Opened | None = None
        try:
            opened = record.open_slot(derived)
            if opened is None:
                cls._count_failure(home)
                raise WrongPassphrase("That passphrase does not open this vault.")
            for stale in home.temp_paths():
                # A key file whose creation a crash cut short wraps a data key too.
                destroy_file(stale)
            if opened.role == ROLE_DURESS:
                # Same salt and costs as before, so no second derivation: the time taken and
                # the files left look like a normal unlock of a new vault.
                wipe_mod.panic_wipe(home.path)
                return cls._create_with(home, KeyRecord.new(record.params, salt=record.salt), derived)
            if record.rekeying and opened.index in (record.rekey_from, record.rekey_to):
                from app.passphrases import resolve_rekey

                conn = resolve_rekey(home, record, opened, derived)
            else:
                conn = vaultdb.connect(home.db_path, opened.key)
                if opened.previous is not None:
                    # Left by a re-key that an unlock with the old passphrase completed.
                    index, key = opened.index, opened.key
                    keyfile.update(home, lambda r: r.seal_slot(index, derived, ROLE_VAULT, key))
            try:
                vaultdb.migrate(conn)
            except sqlcipher3.Error:
                conn.close()
                raise VaultDamaged("The vault's database is damaged; nothing was changed.") from None
            except BaseException:
                conn.close()
                raise
            if record.fail_count:
                keyfile.update(home, _reset_count)
            return cls(home, conn, opened.key, opened.index)
        finally:
            wipe(derived)
            if opened is not None:
                opened.wipe()

    @staticmethod
    def _count_failure(home: Home) -> None:
        def count(r: KeyRecord) -> None:
            if not r.fail_limit:
                raise _Stop()
            r.fail_count = min(r.fail_count + 1, 0xFFFF)
            if r.fail_count >= r.fail_limit:
                raise _Wipe()

        try:
            keyfile.update(home, count)
        except _Stop:
            pass
        except _Wipe:
            wipe_mod.panic_wipe(home.path)
        except SatchelError:
            pass

    # -- the open vault ------------------------------------------------------------

    @property
    def conn(self) -> sqlcipher3.Connection:
        conn = self._conn
        if conn is not None:
            return conn
        closing = self._closing
        if closing is not None and closing[0] == threading.get_ident():
            return closing[1]  # the final writes, made while the vault closes
        raise VaultClosed(self._closed_reason or LOCKED)

    def _check(self, conn: sqlcipher3.Connection) -> None:
        if self.conn is not conn:
            raise VaultClosed(self._closed_reason or LOCKED)

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    @property
    def slot(self) -> int:
        return self._slot

    @contextlib.contextmanager
    def transaction(self) -> Iterator[GuardedConnection]:
        """One write transaction: everything inside commits together or not at all."""
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield GuardedConnection(self, conn)
                self._check(conn)
            except BaseException as exc:
                with contextlib.suppress(sqlcipher3.Error):
                    conn.execute("ROLLBACK")
                if self._conn is None and isinstance(exc, sqlcipher3.Error):
                    raise VaultClosed(self._closed_reason or LOCKED) from None
                raise
            conn.execute("COMMIT")

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    @contextlib.contextmanager
    def reader(self) -> Iterator[ReadConnection]:
        """A second, read-only connection to the same database, for a thread that must
        read committed rows while the main connection is inside a write transaction
        (an import reading the bytes of a download kept in the vault): WAL lets it read
        beside the writer. Closed on exit; a lock or a wipe closes it first."""
        with self._lock:
            _ = self.conn  # raises VaultClosed when locked or wiped
            reader = ReadConnection(_connect(self.home.db_path, self._key))
            self._readers.add(reader)
        try:
            yield reader
        finally:
            with self._lock:
                self._readers.discard(reader)
            reader.close()

    def when_locked(self, hook: Callable[[], None]) -> Callable[[], None]:
        """Run `hook` once, the moment this vault locks or is wiped (from any thread; it
        must be quick and must not use the vault). Returns a function that unregisters it.
        A vault already locked runs it at once."""
        with self._state:
            if self._conn is not None:
                self._lock_hooks.append(hook)
                return lambda: self._forget_hook(hook)
        hook()
        return lambda: None

    def _forget_hook(self, hook: Callable[[], None]) -> None:
        with self._state, contextlib.suppress(ValueError):
            self._lock_hooks.remove(hook)

    def _close_readers(self) -> None:
        for reader in list(self._readers):
            reader.close(wait=0.5)
        self._readers.clear()

    def get_setting(self, key: str, default: Any = None) -> Any:
        with self._lock:
            row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        if row is None:
            return default
        try:
            return json.loads(row[0])
        except ValueError:
            return default

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction() as conn:
            if value is None:
                conn.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                conn.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, json.dumps(value)),
                )

    # -- passphrases (app.passphrases does the work) ---------------------------------

    def check_passphrase(self, passphrase: str) -> bool:
        """Does `passphrase` open this vault's own key slot (not the duress one)?"""
        if not passphrase:
            return False
        record = keyfile.read(self.home).record
        derived = record.derive(passphrase)
        try:
            opened = record.open_slot(derived)
        finally:
            for i in range(len(derived)):
                derived[i] = 0
        if opened is None:
            return False
        ok = opened.index == self._slot and opened.role == ROLE_VAULT
        opened.wipe()
        return ok

    def change_passphrase(self, new_passphrase: str,
                          progress: Callable[[int, int], None] | None = None,
                          current: str | None = None) -> None:
        """A new passphrase and a new data key: the database is re-encrypted.

        With `current`, first check that it is the passphrase this vault was opened
        with (the desktop app asks for it: an unlocked laptop left alone must not be
        enough to change it); a wrong one changes nothing."""
        from app import passphrases

        if current is not None and not self.check_passphrase(current):
            raise WrongPassphrase("The current passphrase is not right; nothing was changed.")
        passphrases.change_passphrase(self, new_passphrase, progress)

    def set_duress(self, duress_passphrase: str) -> None:
        """Add (or replace) the duress passphrase."""
        from app import passphrases

        passphrases.set_duress(self, duress_passphrase)

    def clear_duress(self) -> bool:
        """Remove the duress passphrase; False if none was set."""
        from app import passphrases

        return passphrases.clear_duress(self)

    def has_duress(self) -> bool:
        from app import passphrases

        return isinstance(self.get_setting(passphrases.DURESS_SLOT_SETTING), int)

    def fail_limit(self) -> int:
        return keyfile.read(self.home).record.fail_limit

    def set_fail_limit(self, limit: int) -> None:
        """Wipe after `limit` failed unlocks in a row (0 turns it off)."""
        if not 0 <= limit <= MAX_FAIL_LIMIT:
            raise SatchelError(f"The number of failed unlocks must be between 0 and {MAX_FAIL_LIMIT}.")
        self.conn  # noqa: B018 - VaultClosed if locked meanwhile

        def set_limit(r: KeyRecord) -> None:
            r.fail_limit, r.fail_count = limit, 0

        keyfile.update(self.home, set_limit)

    def _holds(self, conn: sqlcipher3.Connection) -> bool:
        return self._conn is conn

    def _swap_conn(self, old: sqlcipher3.Connection, new: sqlcipher3.Connection) -> bool:
        """Replace the connection, unless the vault was locked meanwhile (False)."""
        with self._state:
            if self._conn is not old:
                return False
            self._conn = new
            return True

    def _adopt(self, key: bytearray, slot: int) -> None:
        """The database is now under `key` (after a re-key), unless locked meanwhile."""
        if self._conn is not None:
            self._key[:] = key
            self._slot = slot

    # -- closing -------------------------------------------------------------------

    def lock_now(self, final_writes: Iterable[Callable[[Vault], None]] = (), reason: str = LOCKED,
                 checkpoint: bool = True, background: bool = True) -> None:
        """Lock at once, from any thread (see the module's guarantees).

        `final_writes` (a note being typed) run just before the connection closes;
        `background` closes on a thread of its own instead of waiting here for a
        statement that another thread is running."""
        with self._state:
            conn, self._conn = self._conn, None
            self._closed_reason = reason
        for reader in list(self._readers):  # read-only connections stop reading at once
            reader.close(wait=0)
        self._zero_key()
        with self._state:
            hooks, self._lock_hooks = self._lock_hooks, []
        for hook in hooks:
            try:
                hook()
            except Exception as exc:  # a failing hook never keeps the vault open
                log.warning("a lock hook failed (%s)", type(exc).__name__)
        if conn is None:
            return
        with contextlib.suppress(Exception):
            conn.interrupt()
        writes = list(final_writes)

        def shut() -> None:
            # Interrupt again until the running job lets go: a statement it started just
            # after the first interrupt would otherwise run to its end.
            while not self._lock.acquire(timeout=0.01):
                with contextlib.suppress(Exception):
                    conn.interrupt()
            try:
                self._close_readers()
                self._closing = (threading.get_ident(), conn)
                for write in writes:
                    try:
                        write(self)
                    except Exception as exc:  # never keep the vault open for a failed write
                        log.warning("a final write failed (%s)", type(exc).__name__)
                if checkpoint:
                    with contextlib.suppress(sqlcipher3.Error):
                        vaultdb.checkpoint(conn)
            finally:
                self._closing = None
                with contextlib.suppress(Exception):
                    conn.close()
                self._lock.release()

        if background:
            self._closer = threading.Thread(target=shut, name="satchel-close", daemon=False)
            with _closers_lock:
                _closers[:] = [t for t in _closers if t.is_alive()] + [self._closer]
            self._closer.start()
        else:
            shut()
        from app import textindex

        textindex.clear_caches()

    def wait_closed(self, timeout: float | None = None) -> bool:
        """Wait for a background close to finish (tests, shutdown); True if it did."""
        closer = self._closer
        if closer is not None:
            closer.join(timeout)
            return not closer.is_alive()
        return True

    def close(self) -> None:
        """Lock from the thread that uses the vault: write back the log, close, forget the key."""
        self.lock_now(background=False)
        self.wait_closed()

    def drop_keys(self) -> None:
        """Called by the panic wipe from any thread: stop all work and forget the key."""
        self.lock_now(reason=WIPED, checkpoint=False)

    def _zero_key(self) -> None:
        wipe(self._key)

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_closers: list[threading.Thread] = []
_closers_lock = threading.Lock()


def wait_for_closers() -> None:
    """Let vaults that are closing in the background finish (their final writes and
    checkpoint) before this process opens a vault again."""
    with _closers_lock:
        pending = [t for t in _closers if t.is_alive() and t is not threading.current_thread()]
    for thread in pending:
        thread.join()


class _Wipe(Exception):
    """The failed-unlock limit is reached."""


def _reset_count(r: KeyRecord) -> None:
    r.fail_count = 0


def _remove_quietly(home: Home, paths: list[Path]) -> None:
    """Undo a vault creation that failed half-way (and the home's mark, if that is all
    that is left in it)."""
    for p in paths:
        if p.name == KEY_NAME:
            destroy_file(p)
            continue
        for candidate in (p, *(Path(str(p) + s) for s in ("-wal", "-shm", "-journal"))):
            with contextlib.suppress(OSError):
                candidate.unlink()
    with contextlib.suppress(OSError):
        if [p.name for p in home.path.iterdir()] == [MARKER]:
            home.marker_path.unlink()
