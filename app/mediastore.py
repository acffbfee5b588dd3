"""Media kept once, by SHA-256, whatever pack brought it; and the kept pack rebuilt from it.

The vault keeps every imported pack's signed bytes unchanged, for re-sharing on a USB
stick. Since seven language editions can carry the same screenshots, the bytes of each
stored (uncompressed) media member go into `media_blobs`, keyed by the member's signed
SHA-256, once; the pack's `pack_chunks` row at that place names the blob instead of
holding the bytes. `KeptPackReader` reads the rows back in order, so the pack comes out
byte for byte as it was signed (its SHA-256 is kept in `packs.sha256`).

Guarantees:
* `Keeper` writes inside the importer's transaction, and the importer checks every byte
  it is fed (the file's hash and each member's) before committing: a blob is only ever
  committed with exactly the bytes its hash names, and a blob that is already in the
  vault is not written again.
* `read_media` returns a file's bytes only after checking their size and SHA-256 again,
  and never more than the caller's limit.
* `drop_unused_blobs` removes blobs no pack carries or shows any more.

No Qt; the only I/O is the vault's database.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from app.seekable import PiecedReader
from app.vault import ReadConnection, Vault

ROW_BYTES = 4 * 1024 * 1024  # rows of kept bytes and of blobs (a picture decrypts in a row or two)


@dataclass(frozen=True)
class Span:
    """A stored media member's data inside the pack file: bytes [start, end)."""

    start: int
    end: int
    sha256: str


@dataclass(frozen=True)
class Piece:
    data: bytes
    blob: str | None = None  # the member's hash when these bytes are (part of) a media member
    first: bool = False  # the first piece of that member
    size: int = 0  # the member's whole size (on the first piece)


def _disjoint(spans: list[Span]) -> list[Span]:
    """The spans in file order, leaving out any that overlaps one before it: a crafted
    archive can point two members at overlapping bytes, and a blob must hold exactly
    the bytes of one member (those bytes are then kept as ordinary rows)."""
    kept: list[Span] = []
    for span in sorted((s for s in spans if s.end > s.start), key=lambda s: (s.start, s.end)):
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept


def split(chunks: Iterable[bytes], spans: list[Span]) -> Iterator[Piece]:
    """Cut the pack's bytes, read in order, at the spans' edges."""
    pending = _disjoint(spans)
    pos = 0
    index = 0
    for chunk in chunks:
        view = memoryview(chunk)
        offset = 0
        while offset < len(chunk):
            here = pos + offset
            while index < len(pending) and pending[index].end <= here:
                index += 1
            span = pending[index] if index < len(pending) else None
            if span is None or here < span.start:
                stop = len(chunk) if span is None else min(len(chunk), span.start - pos)
                blob, first, size = None, False, 0
            else:
                stop = min(len(chunk), span.end - pos)
                blob, first, size = span.sha256, here == span.start, span.end - span.start
            # A whole chunk travels as it is: no copy of the bulk of a pack.
            data = chunk if offset == 0 and stop == len(chunk) else bytes(view[offset:stop])
            yield Piece(data, blob, first, size)
            offset = stop
        pos += len(chunk)


class Keeper:
    """Stores a pack's pieces inside an open transaction (see the module docstring)."""

    def __init__(self, conn: Any, pack_id: str) -> None:
        self.conn = conn
        self.pack_id = pack_id
        self.seq = 0
        self.raw: list[bytes] = []
        self.raw_size = 0
        self.blob: str | None = None
        self.writing = False
        self.blob_seq = 0
        self.blob_buf: list[bytes] = []
        self.blob_buf_size = 0
        self.written: set[str] = set()

    def add(self, piece: Piece) -> None:
        if piece.blob is None:
            self._end_blob()
            self.raw.append(piece.data)
            self.raw_size += len(piece.data)
            if self.raw_size >= ROW_BYTES:
                self._flush_raw()
            return
        if piece.first:
            self._end_blob()
            self._flush_raw()
            self.conn.execute("INSERT INTO pack_chunks (pack_id, seq, data, blob, blob_size) VALUES (?, ?, ?, ?, ?)",
                              (self.pack_id, self.seq, b"", piece.blob, piece.size))
            self.seq += 1
            self.blob = piece.blob
            self.writing = piece.blob not in self.written and not has_blob(self.conn, piece.blob)
            self.written.add(piece.blob)
            self.blob_seq = 0
        if self.writing:
            self.blob_buf.append(piece.data)
            self.blob_buf_size += len(piece.data)
            if self.blob_buf_size >= ROW_BYTES:
                self._flush_blob()

    def _flush_raw(self) -> None:
        if self.raw:
            data = self.raw[0] if len(self.raw) == 1 else b"".join(self.raw)
            self.conn.execute("INSERT INTO pack_chunks (pack_id, seq, data) VALUES (?, ?, ?)",
                              (self.pack_id, self.seq, data))
            self.seq += 1
            self.raw, self.raw_size = [], 0

    def _flush_blob(self) -> None:
        if self.blob_buf:
            data = self.blob_buf[0] if len(self.blob_buf) == 1 else b"".join(self.blob_buf)
            self.conn.execute("INSERT INTO media_blobs (sha256, seq, data) VALUES (?, ?, ?)",
                              (self.blob, self.blob_seq, data))
            self.blob_seq += 1
            self.blob_buf, self.blob_buf_size = [], 0

    def _end_blob(self) -> None:
        if self.blob is not None:
            if self.writing:
                self._flush_blob()
            self.blob, self.writing = None, False

    def finish(self) -> None:
        self._end_blob()
        self._flush_raw()


def has_blob(conn: Any, sha256: str) -> bool:
    return conn.execute("SELECT 1 FROM media_blobs WHERE sha256 = ? AND seq = 0", (sha256,)).fetchone() is not None


def drop_unused_blobs(conn: Any) -> None:
    """Inside a transaction: forget blobs that no pack carries or shows."""
    conn.execute("DELETE FROM media_blobs WHERE sha256 NOT IN (SELECT sha256 FROM media)")


class KeptPackReader(PiecedReader):
    """A seekable, read-only file over a pack's signed bytes as the vault keeps them:
    rows of bytes, and rows naming a media blob. With `source` (a Vault.reader()
    connection) it reads through that second connection instead of the vault's own, so
    a trainer's share can serve packs while the app keeps using the vault."""

    def __init__(self, vault: Vault, pack_id: str, source: ReadConnection | None = None) -> None:
        self._vault = vault
        self._source = source
        self._pieces: list[tuple[str, Any, int, int]] = []  # (table, key, seq, size)
        for seq, size, blob in self._fetchall(
                "SELECT seq, length(data), blob FROM pack_chunks WHERE pack_id = ? ORDER BY seq", (pack_id,)):
            if blob is None:
                self._pieces.append(("pack_chunks", pack_id, seq, size))
                continue
            parts = self._fetchall("SELECT seq, length(data) FROM media_blobs WHERE sha256 = ? ORDER BY seq", (blob,))
            self._pieces.extend(("media_blobs", blob, part, part_size) for part, part_size in parts)
        super().__init__(piece[3] for piece in self._pieces)

    def _fetchall(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        if self._source is not None:
            return self._source.fetchall(sql, params)
        with self._vault.lock:
            return list(self._vault.conn.execute(sql, params).fetchall())

    def _load(self, index: int) -> bytes:
        table, key, seq, _ = self._pieces[index]
        column = "pack_id" if table == "pack_chunks" else "sha256"
        # The table and column names are fixed strings, never input.
        sql, params = f"SELECT data FROM {table} WHERE {column} = ? AND seq = ?", (key, seq)
        if self._source is not None:
            row = self._source.fetchone(sql, params)
        else:
            with self._vault.lock:
                row = self._vault.conn.execute(sql, params).fetchone()
        return bytes(row[0]) if row else b""


def kept_pack_reader(vault: Vault, pack_id: str) -> io.BufferedReader:
    """The original signed pack, exactly as imported (for re-sharing on a USB stick)."""
    return io.BufferedReader(KeptPackReader(vault, pack_id), buffer_size=1 << 20)


def _read_blob(vault: Vault, sha256: str, size: int) -> bytes | None:
    with vault.lock:
        rows = vault.conn.execute(
            "SELECT data FROM media_blobs WHERE sha256 = ? ORDER BY seq", (sha256,)
        ).fetchall()
    if not rows:
        return None
    data = b"".join(bytes(r[0]) for r in rows)
    return data if len(data) == size and hashlib.sha256(data).hexdigest() == sha256 else None


def _read_member(vault: Vault, pack_id: str, path: str, size: int, sha256: str, limit: int) -> bytes | None:
    """A member read out of a kept pack (media kept before blobs existed, or deflated)."""
    try:
        with zipfile.ZipFile(kept_pack_reader(vault, pack_id)) as archive, archive.open(path) as member:
            data = member.read(limit + 1)
    except (KeyError, OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error):
        return None  # absent, or the kept bytes no longer read back as they were checked
    return data if len(data) == size and hashlib.sha256(data).hexdigest() == sha256 else None


@dataclass(frozen=True)
class MediaEntry:
    size: int
    sha256: str
    from_pack: str | None  # the pack that carries it, when this pack only shows it


def media_entry(vault: Vault, pack_id: str, path: str) -> MediaEntry | None:
    with vault.lock:
        row = vault.conn.execute(
            "SELECT size, sha256, from_pack FROM media WHERE pack_id = ? AND path = ?", (pack_id, path)
        ).fetchone()
    return MediaEntry(row[0], row[1], row[2]) if row else None


def read_media(vault: Vault, pack_id: str, path: str, limit: int) -> bytes | None:
    """A media file a pack shows (carried by it or by another pack), checked against its
    signed hash; None if absent, too big, or not in the vault (a shared picture whose
    pack is missing)."""
    entry = media_entry(vault, pack_id, path)
    if entry is None or entry.size > limit:
        return None
    data = _read_blob(vault, entry.sha256, entry.size)
    if data is not None:
        return data
    with vault.lock:
        carriers = vault.conn.execute(
            "SELECT pack_id, path FROM media WHERE sha256 = ? AND from_pack IS NULL ORDER BY pack_id != ?",
            (entry.sha256, pack_id),
        ).fetchall()
    for carrier, carrier_path in carriers:
        data = _read_member(vault, carrier, carrier_path, entry.size, entry.sha256, limit)
        if data is not None:
            return data
    return None


def media_available(vault: Vault, sha256: str) -> bool:
    """Whether the vault holds a file with this hash (as a blob or inside a kept pack)."""
    with vault.lock:
        return has_blob(vault.conn, sha256) or vault.conn.execute(
            "SELECT 1 FROM media WHERE sha256 = ? AND from_pack IS NULL LIMIT 1", (sha256,)
        ).fetchone() is not None
