"""Downloads in progress, kept inside the encrypted vault so they resume after anything.

A pack being downloaded (or rebuilt from the members the vault already holds) is
written to the vault in rows of ROW_BYTES, one committed transaction per row: a lost
connection, a lock, a quit, a kill or a power cut loses at most the row in flight, and
the next sync continues from the last committed byte (HTTP Range). No byte of it ever
goes to a plain temporary file.

A download is keyed by repository and the file's SHA-256 from the signed index, so it
only ever continues the same file. Before the file is used it is hashed whole against
that SHA-256; then it is verified and imported like any pack, read straight from these
rows through a second, read-only vault connection (the import holds the main one).
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.seekable import PiecedReader
from app.vault import ReadConnection, Vault
from sync.repository import IndexEntry

ROW_BYTES = 1 << 20


@dataclass
class Download:
    id: int
    repository: str
    entry: IndexEntry
    done: int = 0                      # bytes committed
    _buffer: bytearray = field(default_factory=bytearray, repr=False)
    _seq: int = 0
    _digest: Any = None                # the running SHA-256, when every byte passed through this run

    @property
    def size(self) -> int:
        return self.entry.size

    @property
    def position(self) -> int:
        """The next byte to write (committed plus buffered)."""
        return self.done + len(self._buffer)


def open_download(vault: Vault, repository: str, entry: IndexEntry) -> Download:
    """The download of `entry` from `repository`: a new one, or the one to continue."""
    with vault.transaction() as conn:
        row = conn.execute("SELECT id FROM downloads WHERE repository = ? AND sha256 = ?",
                           (repository, entry.sha256)).fetchone()
        if row is None:
            cur = conn.execute(
                "INSERT INTO downloads (repository, sha256, size, pack_id, version, started_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (repository, entry.sha256, entry.size, entry.id, entry.version, int(time.time())))
            return Download(int(cur.lastrowid), repository, entry, _digest=hashlib.sha256())
        download_id = int(row[0])
        done, last = conn.execute(
            "SELECT coalesce(sum(length(data)), 0), coalesce(max(seq), -1) FROM download_chunks "
            "WHERE download_id = ?", (download_id,)).fetchone()
    d = Download(download_id, repository, entry, int(done), _seq=int(last) + 1)
    if d.done > entry.size:   # cannot happen with the caps below; start again if it did
        discard(vault, d)
        return open_download(vault, repository, entry)
    if d.done == 0:
        d._digest = hashlib.sha256()
    return d


def write(vault: Vault, d: Download, data: bytes) -> None:
    """Append bytes at `d.position`; full rows are committed as they fill."""
    if d.position + len(data) > d.size:
        raise ValueError("more bytes than the file's size")
    if d._digest is not None:
        d._digest.update(data)
    d._buffer += data
    while len(d._buffer) >= ROW_BYTES:
        _commit(vault, d, bytes(d._buffer[:ROW_BYTES]))
        del d._buffer[:ROW_BYTES]


def flush(vault: Vault, d: Download) -> None:
    """Commit what is buffered (after an interruption, and at the end)."""
    if d._buffer:
        _commit(vault, d, bytes(d._buffer))
        d._buffer.clear()


def _commit(vault: Vault, d: Download, row: bytes) -> None:
    with vault.transaction() as conn:
        conn.execute("INSERT INTO download_chunks (download_id, seq, data) VALUES (?, ?, ?)", (d.id, d._seq, row))
    d._seq += 1
    d.done += len(row)


def sha256(vault: Vault, d: Download) -> str:
    """The SHA-256 of the complete download (from the running hash when the whole file
    passed through this run, else by reading the rows back)."""
    if d._digest is not None:
        return str(d._digest.hexdigest())
    digest = hashlib.sha256()
    for row in _rows(vault, d):
        digest.update(row)
    return digest.hexdigest()


def _rows(vault: Vault, d: Download) -> Iterable[bytes]:
    with vault.lock:
        seqs = [r[0] for r in vault.conn.execute(
            "SELECT seq FROM download_chunks WHERE download_id = ? ORDER BY seq", (d.id,))]
    for seq in seqs:
        with vault.lock:
            row = vault.conn.execute("SELECT data FROM download_chunks WHERE download_id = ? AND seq = ?",
                                     (d.id, seq)).fetchone()
        yield bytes(row[0])


def discard(vault: Vault, d: Download) -> None:
    with vault.transaction() as conn:
        conn.execute("DELETE FROM downloads WHERE id = ?", (d.id,))
    d._buffer.clear()
    d.done, d._seq = 0, 0


def forget_stale(vault: Vault, keep: Iterable[tuple[str, str]] | None = None) -> int:
    """Drop downloads of packs the vault now holds at that version or newer (and, with
    `keep`, those of a repository that no longer lists them). Returns how many went."""
    keep_set = set(keep) if keep is not None else None
    with vault.lock:
        rows = vault.conn.execute(
            "SELECT d.id, d.repository, d.sha256 FROM downloads d LEFT JOIN packs p ON p.id = d.pack_id "
            "WHERE p.version >= d.version").fetchall()
    stale = [r[0] for r in rows]
    if keep_set is not None:
        with vault.lock:
            others = vault.conn.execute("SELECT id, repository, sha256 FROM downloads").fetchall()
        repos = {repo for repo, _ in keep_set}
        stale += [r[0] for r in others if r[1] in repos and (r[1], r[2]) not in keep_set]
    if stale:
        with vault.transaction() as conn:
            conn.executemany("DELETE FROM downloads WHERE id = ?", [(i,) for i in set(stale)])
    return len(set(stale))


def held_bytes(vault: Vault, repository: str, sha256_hex: str) -> int:
    with vault.lock:
        row = vault.conn.execute(
            "SELECT coalesce(sum(length(c.data)), 0) FROM downloads d JOIN download_chunks c "
            "ON c.download_id = d.id WHERE d.repository = ? AND d.sha256 = ?", (repository, sha256_hex)).fetchone()
    return int(row[0])


class DownloadReader(PiecedReader):
    """A seekable file over a complete download's rows, through a read-only connection."""

    def __init__(self, reader: ReadConnection, download_id: int) -> None:
        self._reader = reader
        self._id = download_id
        rows = reader.fetchall("SELECT seq, length(data) FROM download_chunks WHERE download_id = ? ORDER BY seq",
                               (download_id,))
        self._seqs = [int(r[0]) for r in rows]
        super().__init__(int(r[1]) for r in rows)

    def _load(self, index: int) -> bytes:
        row = self._reader.fetchone("SELECT data FROM download_chunks WHERE download_id = ? AND seq = ?",
                                    (self._id, self._seqs[index]))
        return bytes(row[0]) if row else b""


def open_reader(reader: ReadConnection, d: Download) -> io.BufferedReader:
    return io.BufferedReader(DownloadReader(reader, d.id), buffer_size=1 << 20)
