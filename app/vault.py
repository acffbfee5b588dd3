"""The encrypted vault: one SQLCipher database opened with a random data key, and a
small key file whose slots wrap that key under passphrase-derived keys.

Guarantees:
- Nothing the vault holds is readable without a passphrase and the key file; destroying
  the key file (app.wipe) makes the database undecryptable even with the passphrase.
- A wrong passphrase raises WrongPassphrase and changes nothing (except the failed-unlock
  counter when the user turned "wipe after N failed unlocks" on).
- Changing the passphrase rewrites only the key file, atomically; the database is never
  rewritten, and a crash leaves the old passphrase working.
- Unlocking with the duress passphrase wipes the vault and opens a new, empty one under
  that passphrase; the output, the files' names and sizes look like a fresh vault's.
- SQLCipher runs with memory security on, its log silent, temp data in memory, secure
  delete and foreign keys on; the schema is migrated on open (app.schema).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlcipher3

from app import wipe as wipe_mod
from app.errors import (
    DiskFull,
    EmptyPassphrase,
    NoVault,
    SatchelError,
    VaultClosed,
    VaultDamaged,
    VaultExists,
    WrongPassphrase,
)
from app.home import Home, os_error
from app.schema import MIGRATIONS, SCHEMA_VERSION
from crypto.kdf import DEFAULT_ITER_TIME_MS, calibrate
from crypto.keyslots import DATA_KEY_SIZE, ROLE_DURESS, ROLE_VAULT, KeyFile, KeyFileError
from crypto.secure import atomic_write, destroy_file

log = logging.getLogger(__name__)

PAGE_SIZE = 16384
_DURESS_SLOT_SETTING = "vault.duress_slot"
MAX_FAIL_LIMIT = 1000


def _check_passphrase(passphrase: str) -> None:
    if not passphrase:
        raise EmptyPassphrase("The passphrase cannot be empty.")


def _connect(db_path: Path, data_key: bytes | bytearray) -> sqlcipher3.Connection:
    """Open the database with the raw data key and Satchel's SQLCipher settings."""
    conn = sqlcipher3.connect(str(db_path), check_same_thread=False, isolation_level=None)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute("PRAGMA cipher_memory_security = ON")
        # PRAGMAs take no bound parameters; the key string is built only from hex digits.
        conn.execute(f"PRAGMA key = \"x'{bytes(data_key).hex()}'\"")
        conn.execute(f"PRAGMA cipher_page_size = {PAGE_SIZE}")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
    except sqlcipher3.DatabaseError as exc:
        conn.close()
        if "full" in str(exc).lower():
            raise DiskFull("The disk is full; nothing was changed.") from None
        raise VaultDamaged(
            "The vault's database is damaged or does not belong to this key file; nothing was changed."
        ) from None
    return conn


def _migrate(conn: sqlcipher3.Connection, target: int = SCHEMA_VERSION) -> None:
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
                for statement in _split_sql(step):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (no semicolons inside our literals)."""
    out: list[str] = []
    buf = ""
    for part in script.split(";"):
        buf += part
        if sqlite3.complete_statement(buf + ";"):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
        else:
            buf += ";"
    if buf.strip():
        out.append(buf.strip())
    return out


def _read_keyfile(home: Home) -> KeyFile:
    try:
        data = home.key_path.read_bytes()
    except FileNotFoundError:
        raise NoVault(f"There is no Satchel vault in {home.path}.") from None
    except IsADirectoryError:
        raise VaultDamaged("The vault's key file is damaged (it is a folder).") from None
    except OSError as exc:
        raise os_error(exc, home.path) from None
    try:
        return KeyFile.parse(data)
    except KeyFileError as exc:
        raise VaultDamaged(str(exc)) from None


def _write_keyfile(home: Home, keyfile: KeyFile) -> None:
    try:
        atomic_write(home.key_path, keyfile.to_bytes())
    except OSError as exc:
        raise os_error(exc, home.path) from None


class Vault:
    """An unlocked vault. Owns the one database connection (Anki's Collection idea)."""

    def __init__(self, home: Home, conn: sqlcipher3.Connection, data_key: bytes,
                 keyfile: KeyFile, slot: int) -> None:
        self.home = home
        self._conn: sqlcipher3.Connection | None = conn
        self._key = bytearray(data_key)
        self._keyfile = keyfile
        self._slot = slot
        self._lock = threading.RLock()
        self._closed_reason = ""
        wipe_mod.register_key_holder(self)

    # -- opening -------------------------------------------------------------------

    @classmethod
    def create(cls, home: Home | Path | str | None, passphrase: str,
               iter_time_ms: int | None = None) -> Vault:
        """Create an empty vault; refuses (changing nothing) if one is already there."""
        home = home if isinstance(home, Home) else Home(home)
        _check_passphrase(passphrase)
        home.check_usable()
        if home.has_vault():
            raise VaultExists(f"A vault already exists in {home.path}; nothing was changed.")
        params = calibrate(iter_time_ms if iter_time_ms is not None else DEFAULT_ITER_TIME_MS)
        keyfile = KeyFile.new(params)
        derived = keyfile.derive(passphrase)
        return cls._create_with(home, keyfile, derived)

    @classmethod
    def _create_with(cls, home: Home, keyfile: KeyFile, derived: bytes) -> Vault:
        home.ensure()
        data_key = secrets.token_bytes(DATA_KEY_SIZE)
        slot = keyfile.free_slot(set())
        keyfile.seal_slot(slot, derived, ROLE_VAULT, data_key)
        created: list[Path] = []
        try:
            created.append(home.db_path)
            # Create the file 0600 first: SQLite gives its journals the same mode.
            os.close(os.open(home.db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            conn = _connect(home.db_path, data_key)
            try:
                _migrate(conn)
            except BaseException:
                conn.close()
                raise
            created.append(home.key_path)
            _write_keyfile(home, keyfile)
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
        return cls(home, conn, data_key, keyfile, slot)

    @staticmethod
    def probe(home: Home | Path | str | None) -> None:
        """Check, without a passphrase, that a vault is there and its files look whole.

        Raises NoVault or VaultDamaged (one sentence each); reads only, writes nothing.
        """
        home = home if isinstance(home, Home) else Home(home)
        home.check_usable()
        _read_keyfile(home)
        if not home.db_path.exists():
            raise VaultDamaged("The vault's database is missing; nothing was changed.")

    @classmethod
    def unlock(cls, home: Home | Path | str | None, passphrase: str) -> Vault:
        """Open the vault with a passphrase (or, with the duress passphrase, replace it)."""
        home = home if isinstance(home, Home) else Home(home)
        _check_passphrase(passphrase)
        home.check_usable()
        keyfile = _read_keyfile(home)
        if not home.db_path.exists():
            raise VaultDamaged("The vault's database is missing; nothing was changed.")
        derived = keyfile.derive(passphrase)
        opened = keyfile.open_slot(derived)
        if opened is None:
            cls._count_failure(home, keyfile)
            raise WrongPassphrase("That passphrase does not open this vault.")
        slot, role, data_key = opened
        for stale in home.temp_paths():
            # A key file left half-written by a crash wraps the data key too: destroy it.
            destroy_file(stale)
        if role == ROLE_DURESS:
            # Same salt and costs as before, so no second derivation: the time taken and
            # the files left look like a normal unlock of a new vault.
            wipe_mod.panic_wipe(home.path)
            fresh = KeyFile.new(keyfile.params, salt=keyfile.salt)
            return cls._create_with(home, fresh, derived)
        conn = _connect(home.db_path, data_key)
        try:
            _migrate(conn)
        except sqlcipher3.Error:
            conn.close()
            raise VaultDamaged("The vault's database is damaged; nothing was changed.") from None
        except BaseException:
            conn.close()
            raise
        if keyfile.fail_count:
            keyfile.fail_count = 0
            _write_keyfile(home, keyfile)
        return cls(home, conn, data_key, keyfile, slot)

    @staticmethod
    def _count_failure(home: Home, keyfile: KeyFile) -> None:
        if not keyfile.fail_limit:
            return
        keyfile.fail_count = min(keyfile.fail_count + 1, 0xFFFF)
        if keyfile.fail_count >= keyfile.fail_limit:
            wipe_mod.panic_wipe(home.path)
            return
        with contextlib.suppress(SatchelError):
            _write_keyfile(home, keyfile)

    # -- the open vault ------------------------------------------------------------

    @property
    def conn(self) -> sqlcipher3.Connection:
        conn = self._conn
        if conn is None:
            raise VaultClosed(self._closed_reason or "The vault is locked.")
        return conn

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlcipher3.Connection]:
        """One write transaction: everything inside commits together or not at all."""
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                with contextlib.suppress(sqlcipher3.Error):
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @property
    def lock(self) -> threading.RLock:
        return self._lock

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

    # -- passphrases -----------------------------------------------------------------

    def change_passphrase(self, new_passphrase: str) -> None:
        """Re-wrap the data key under a new passphrase; only the key file changes."""
        _check_passphrase(new_passphrase)
        keyfile = _read_keyfile(self.home)
        derived = keyfile.derive(new_passphrase)
        hit = keyfile.open_slot(derived)
        if hit is not None and hit[1] == ROLE_DURESS:
            raise SatchelError("The new passphrase must differ from the duress passphrase.")
        duress = self.get_setting(_DURESS_SLOT_SETTING)
        exclude = {duress} if isinstance(duress, int) else set()
        slot = keyfile.free_slot(exclude)
        keyfile.seal_slot(slot, derived, ROLE_VAULT, bytes(self._key))
        if slot != self._slot and self._slot not in exclude:
            keyfile.clear_slot(self._slot)
        keyfile.refresh_padding()
        _write_keyfile(self.home, keyfile)
        self._keyfile, self._slot = keyfile, slot

    def set_duress(self, duress_passphrase: str) -> None:
        """Add (or replace) the duress passphrase."""
        _check_passphrase(duress_passphrase)
        keyfile = _read_keyfile(self.home)
        derived = keyfile.derive(duress_passphrase)
        hit = keyfile.open_slot(derived)
        if hit is not None and hit[1] == ROLE_VAULT:
            raise SatchelError("The duress passphrase must differ from the vault passphrase.")
        previous = self.get_setting(_DURESS_SLOT_SETTING)
        if isinstance(previous, int) and 0 <= previous < len(keyfile.slots) and previous != self._slot:
            slot = previous
        else:
            slot = keyfile.free_slot({self._slot})
        # Record the slot first: a crash before the key file is written leaves a note
        # pointing at random bytes, which clearing later overwrites harmlessly.
        self.set_setting(_DURESS_SLOT_SETTING, slot)
        keyfile.seal_slot(slot, derived, ROLE_DURESS, secrets.token_bytes(DATA_KEY_SIZE))
        keyfile.refresh_padding()
        _write_keyfile(self.home, keyfile)
        self._keyfile = keyfile

    def clear_duress(self) -> bool:
        """Remove the duress passphrase; False if none was set."""
        slot = self.get_setting(_DURESS_SLOT_SETTING)
        if not isinstance(slot, int) or slot == self._slot:
            return False
        keyfile = _read_keyfile(self.home)
        keyfile.clear_slot(slot)
        keyfile.refresh_padding()
        _write_keyfile(self.home, keyfile)
        self._keyfile = keyfile
        self.set_setting(_DURESS_SLOT_SETTING, None)
        return True

    def has_duress(self) -> bool:
        return isinstance(self.get_setting(_DURESS_SLOT_SETTING), int)

    def fail_limit(self) -> int:
        return _read_keyfile(self.home).fail_limit

    def set_fail_limit(self, limit: int) -> None:
        """Wipe after `limit` failed unlocks in a row (0 turns it off)."""
        if not 0 <= limit <= MAX_FAIL_LIMIT:
            raise SatchelError(f"The number of failed unlocks must be between 0 and {MAX_FAIL_LIMIT}.")
        keyfile = _read_keyfile(self.home)
        keyfile.fail_limit, keyfile.fail_count = limit, 0
        _write_keyfile(self.home, keyfile)
        self._keyfile = keyfile

    # -- closing -------------------------------------------------------------------

    def close(self) -> None:
        """Lock: close the connection and forget the data key."""
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                with contextlib.suppress(sqlcipher3.Error):
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                with contextlib.suppress(sqlcipher3.Error):
                    conn.close()
            self._zero_key()
            self._closed_reason = "The vault is locked."
        from app import textindex

        textindex.clear_caches()

    def drop_keys(self) -> None:
        """Called by the panic wipe from any thread: stop all work and forget the key."""
        conn, self._conn = self._conn, None
        self._closed_reason = "The vault was wiped."
        self._zero_key()
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.interrupt()
            # Close from here only if no other thread is inside a statement.
            if self._lock.acquire(timeout=0.05):
                try:
                    with contextlib.suppress(Exception):
                        conn.close()
                finally:
                    self._lock.release()

    def _zero_key(self) -> None:
        for i in range(len(self._key)):
            self._key[i] = 0

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _remove_quietly(home: Home, paths: list[Path]) -> None:
    for p in paths:
        for candidate in (p, *(Path(str(p) + s) for s in ("-wal", "-shm", "-journal"))):
            with contextlib.suppress(OSError):
                candidate.unlink()

