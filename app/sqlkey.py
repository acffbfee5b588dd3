"""Hand the data key to SQLCipher without ever making it a Python string.

`PRAGMA key = "x'...'"` would put the key's hex digits into a Python `str` (which cannot
be wiped, and which the sqlite module keeps in its statement cache) and into the
prepared statement's text. Instead, the key goes to SQLCipher's own C functions
`sqlite3_key_v2` / `sqlite3_rekey_v2`, called through ctypes on the very library the
`sqlcipher3` module is built from, with the `x'<64 hex digits>'` form (SQLCipher's raw
key, which skips its own PBKDF2) written into a bytearray that is wiped straight after.

Guarantees:
- No Python `str` or `bytes` object ever holds the key or its hex form here.
- The connection's C handle is taken from the Python object and checked before use: its
  main database's file name must be the file this module was asked to key. If the check
  fails (a sqlcipher3 build laid out differently), nothing is keyed and SqlKeyError is
  raised: Satchel never falls back to a string.
- SQLCipher runs with cipher_memory_security on (app.vault sets it before the key), so
  it wipes every buffer it frees, including its copies of the key.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import sqlcipher3

from crypto.secure import wipe

SQLITE_OK = 0
SQLITE_FULL = 13
_HEX = b"0123456789abcdef"


class SqlKeyError(Exception):
    """SQLCipher could not take the key (the code says why)."""

    def __init__(self, code: int) -> None:
        super().__init__(f"SQLCipher refused the key (code {code})")
        self.code = code


def _library() -> ctypes.CDLL:
    lib = ctypes.CDLL(sqlcipher3._sqlite3.__file__)
    for name in ("sqlite3_key_v2", "sqlite3_rekey_v2"):
        fn = getattr(lib, name)
        fn.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]
        fn.restype = ctypes.c_int
    lib.sqlite3_db_filename.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.sqlite3_db_filename.restype = ctypes.c_char_p
    return lib


_lib: ctypes.CDLL | None = None

# The sqlcipher3 Connection object starts with PyObject_HEAD, then `sqlite3 *db`.
_DB_OFFSET = ctypes.sizeof(ctypes.c_ssize_t) + ctypes.sizeof(ctypes.c_void_p)


def _handle(conn: sqlcipher3.Connection, path: Path) -> int:
    global _lib
    if _lib is None:
        _lib = _library()
    db = ctypes.c_void_p.from_address(id(conn) + _DB_OFFSET).value
    if not db:
        raise SqlKeyError(-1)
    name = _lib.sqlite3_db_filename(db, b"main")
    if not name or os.path.realpath(os.fsdecode(name)) != os.path.realpath(path):
        raise SqlKeyError(-1)
    return db


def _hex_key(key: bytearray) -> bytearray:
    """`x'<hex>'` in a fresh bytearray, digit by digit (no intermediate bytes object)."""
    out = bytearray(3 + 2 * len(key))
    out[0], out[1], out[-1] = ord("x"), ord("'"), ord("'")
    for i, b in enumerate(key):
        out[2 + 2 * i] = _HEX[b >> 4]
        out[3 + 2 * i] = _HEX[b & 15]
    return out


def _call(fn_name: str, conn: sqlcipher3.Connection, path: Path, key: bytearray) -> None:
    db = _handle(conn, path)
    assert _lib is not None
    text = _hex_key(key)
    try:
        buf = (ctypes.c_char * len(text)).from_buffer(text)
        rc = getattr(_lib, fn_name)(db, b"main", buf, len(text))
        del buf
    finally:
        wipe(text)
    if rc != SQLITE_OK:
        raise SqlKeyError(rc)


def apply_key(conn: sqlcipher3.Connection, path: Path, key: bytearray) -> None:
    """Key a freshly opened connection (before its first read)."""
    _call("sqlite3_key_v2", conn, path, key)


def rekey(conn: sqlcipher3.Connection, path: Path, key: bytearray) -> None:
    """Re-encrypt the whole database under `key`: one SQLite transaction, so a crash
    leaves every page under the old key or every page under the new one. Takes about a
    second per gigabyte; it cannot be interrupted. The ctypes call releases the GIL."""
    _call("sqlite3_rekey_v2", conn, path, key)
