"""The vault's key file on disk: room for two records, allocated once and overwritten in
place (same inode, same blocks, never renamed), so that no earlier version of the key
material is left behind in free disk space.

Layout: KEYFILE_SIZE = 2 x RECORD_SIZE bytes, half A then half B (crypto.keyslots).
At rest one half holds the current record and the other is blank.

An update, under the file's exclusive lock (flock), in this order:
 1. read both halves; the whole record with the higher sequence number is current;
 2. write the new record (sequence + 1) into the other half with pwrite, and flush it
    to the disk (fdatasync; F_FULLFSYNC on macOS);
 3. overwrite the old half with a fresh blank and flush again;
 4. check that the file still has a name: a wipe that could not wait for the lock may
    have unlinked it meanwhile, and then both halves are overwritten with random bytes
    (nothing may survive in the freed blocks) and KeyFileGone is raised.
A crash before step 2 ends leaves the old record whole (the half being written is
neither a record nor a blank); after step 2 both records are whole and the higher
sequence number wins. Either way exactly one state is current, and `settle()` (called
by every unlock) destroys the leftover half before anything else happens.

Creation writes the whole file (one record, one blank, the record in a random half) to a
temporary file in the same folder, flushes it and renames it into place: the file is
new, so no earlier version of it exists anywhere.

This module never decides what a record means; app.vault does.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from crypto.keyslots import (
    OLD_FORMAT_VERSION,
    OLD_KEYFILE_SIZE,
    RECORD_SIZE,
    KeyFileError,
    KeyRecord,
    OldKeyFile,
    blank,
    is_blank,
    is_record,
)
from crypto.secure import (
    TEMP_PREFIX,
    datasync,
    destroy_file,
    fsync_dir,
    lock_file,
    overwrite_in_place,
    pwrite_all,
)

KEYFILE_SIZE = 2 * RECORD_SIZE
_O_FLAGS = getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)


class KeyFileGone(Exception):
    """The key file was destroyed (a wipe) while this process was about to update it."""


@dataclass
class State:
    """What the key file holds: the current record, in which half, and whether the other
    half is already blank (False after a crash: it must be settled)."""

    record: KeyRecord
    half: int
    settled: bool


def interpret(data: bytes) -> State:
    """The current record in a key file's bytes; KeyFileError (or OldKeyFile) if none."""
    if len(data) == OLD_KEYFILE_SIZE and data[:1] == bytes([OLD_FORMAT_VERSION]):
        raise OldKeyFile(
            "The vault's key file is in an older format that this version of Satchel cannot read; "
            "nothing was changed."
        )
    if len(data) != KEYFILE_SIZE:
        raise KeyFileError("The vault's key file is damaged (wrong size).")
    found: list[tuple[KeyRecord, int]] = []
    for half in (0, 1):
        block = data[half * RECORD_SIZE:(half + 1) * RECORD_SIZE]
        if is_record(block):
            found.append((KeyRecord.parse(block), half))
    if not found:
        raise KeyFileError("The vault's key file is damaged.")
    if len(found) == 2 and found[0][0].sequence == found[1][0].sequence:
        raise KeyFileError("The vault's key file is damaged.")
    record, half = max(found, key=lambda f: f[0].sequence)
    other = data[(1 - half) * RECORD_SIZE:(2 - half) * RECORD_SIZE]
    return State(record, half, is_blank(other))


class KeyStore:
    """The key file at `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    # -- reading -----------------------------------------------------------------------

    def read(self) -> State:
        """Read without writing (a probe). FileNotFoundError if there is no key file."""
        fd = os.open(self.path, os.O_RDONLY | _O_FLAGS)
        try:
            return interpret(_read_all(fd))
        finally:
            os.close(fd)

    def settle(self) -> State:
        """Read, and destroy a half left over by a crash (a stale record or a torn write)."""
        state = self.read()
        if state.settled:
            return state
        with self._locked() as fd:
            state = interpret(_read_all(fd))
            if not state.settled:
                pwrite_all(fd, blank(), (1 - state.half) * RECORD_SIZE)
                datasync(fd)
                state.settled = True
            self._check_linked(fd)
        return state

    # -- writing -----------------------------------------------------------------------

    def update(self, change: Callable[[KeyRecord], None]) -> KeyRecord:
        """Apply `change` to a copy of the current record and store it in place.

        `change` may raise to abandon the update; nothing is written then."""
        with self._locked() as fd:
            state = interpret(_read_all(fd))
            new = state.record.copy()
            change(new)
            new.sequence = state.record.sequence + 1
            target = 1 - state.half
            pwrite_all(fd, new.to_block(), target * RECORD_SIZE)
            datasync(fd)
            pwrite_all(fd, blank(), state.half * RECORD_SIZE)
            datasync(fd)
            self._check_linked(fd)
        return new

    @staticmethod
    def create(path: Path, record: KeyRecord) -> None:
        """Write a new key file (refuses to replace one: the caller checked there is none)."""
        tmp = path.parent / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
        block = record.to_block()
        data = block + blank() if secrets.randbelow(2) == 0 else blank() + block
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_FLAGS, 0o600)
        try:
            pwrite_all(fd, data, 0)
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            destroy_file(tmp)
            raise
        os.close(fd)
        try:
            if path.exists():
                raise FileExistsError(path)
            os.rename(tmp, path)  # the same inode: a rename copies no bytes
        except BaseException:
            destroy_file(tmp)
            raise
        fsync_dir(path.parent)

    # -- helpers -----------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[int]:
        fd = os.open(self.path, os.O_RDWR | _O_FLAGS)
        try:
            lock_file(fd, None)
            if os.fstat(fd).st_nlink == 0:
                raise KeyFileGone()
            yield fd
        finally:
            os.close(fd)

    def _check_linked(self, fd: int) -> None:
        if os.fstat(fd).st_nlink == 0:
            overwrite_in_place(fd, KEYFILE_SIZE)
            raise KeyFileGone()


def _pread(fd: int, size: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # pragma: no cover - Windows
    return os.read(fd, size)


def _read_all(fd: int) -> bytes:
    data = b""
    while len(data) <= KEYFILE_SIZE:
        chunk = _pread(fd, KEYFILE_SIZE + 1 - len(data), len(data))
        if not chunk:
            break
        data += chunk
    return data
