"""A sealed stick: the whole repository as one encrypted file, opened with a passphrase
given to participants in person.

Layout (no magic bytes, no header that names anything; every byte looks random):

    salt (32 random bytes)
    chunk 0 .. chunk n-1    AES-256-GCM, 1 MiB of plaintext each (the last may be shorter),
                            nonce = 4 zero bytes || chunk number (8 bytes, big-endian),
                            associated data = salt || chunk number || 1 if last else 0

The key is Argon2id(passphrase NFC, salt, 64 MiB, 3 passes, 4 lanes). A fresh salt per
file makes the key unique, so counter nonces never repeat. Chunk numbers and the "last"
flag in the associated data make reordered, dropped or truncated chunks fail to decrypt.

The plaintext is a small container: 8 bytes (big-endian) giving the length of a JSON
directory `{"files": [{"name": ..., "size": ...}, ...]}`, the directory, then the files'
bytes in that order. The files are exactly a plain repository's (sync.repository), so a
sealed stick is read through the same RepoSource interface, and every pack inside is
still verified on its own. The file's name is random (`<8 hex>.dat`).
"""

from __future__ import annotations

import io
import json
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.seekable import RandomAccessReader
from crypto.kdf import KdfParams, derive
from sync.errors import SealedError
from sync.repository import INDEX_NAME, INDEX_SIG_NAME, MAX_PACKS, PACK_NAME_RE

SALT_LEN = 32
CHUNK = 1 << 20
TAG = 16
KDF = KdfParams(memory_kib=64 * 1024, iterations=3, lanes=4)
SEALED_NAME_RE = re.compile(r"^[0-9a-f]{8}\.dat\Z", re.IGNORECASE)
MAX_DIRECTORY = 4 * 1024 * 1024
_WRONG = "That passphrase does not open this file, or the file is not a sealed stick or is damaged."


def _nonce(i: int) -> bytes:
    return b"\0\0\0\0" + i.to_bytes(8, "big")


def _aad(salt: bytes, i: int, last: bool) -> bytes:
    return salt + i.to_bytes(8, "big") + (b"\1" if last else b"\0")


def sealed_size(plain_size: int) -> int:
    chunks = max(1, -(-plain_size // CHUNK))
    return SALT_LEN + plain_size + chunks * TAG


def container_header(files: list[tuple[str, int]]) -> bytes:
    directory = json.dumps({"files": [{"name": n, "size": s} for n, s in files]},
                           separators=(",", ":")).encode("ascii")
    return len(directory).to_bytes(8, "big") + directory


class SealedWriter:
    """Encrypts a plaintext stream of known total size into `f`, chunk by chunk."""

    def __init__(self, f: BinaryIO, passphrase: str, plain_size: int) -> None:
        self._f = f
        self._salt = os.urandom(SALT_LEN)
        self._aead = AESGCM(derive(passphrase, self._salt, KDF))
        self._chunks = max(1, -(-plain_size // CHUNK))
        self._size = plain_size
        self._buf = bytearray()
        self._index = 0
        self._seen = 0
        f.write(self._salt)

    def write(self, data: bytes) -> None:
        self._seen += len(data)
        if self._seen > self._size:
            raise ValueError("more plaintext than announced")
        self._buf += data
        while len(self._buf) >= CHUNK and self._index < self._chunks - 1:
            self._emit(bytes(self._buf[:CHUNK]))
            del self._buf[:CHUNK]

    def _emit(self, plain: bytes) -> None:
        last = self._index == self._chunks - 1
        self._f.write(self._aead.encrypt(_nonce(self._index), plain, _aad(self._salt, self._index, last)))
        self._index += 1

    def close(self) -> None:
        if self._seen != self._size:
            raise ValueError("less plaintext than announced")
        self._emit(bytes(self._buf))
        self._buf.clear()


class SealedReader:
    """Random access to the plaintext of a sealed file; every chunk is authenticated."""

    def __init__(self, path: Path, passphrase: str) -> None:
        self.path = Path(path)
        self._f = open(self.path, "rb", buffering=0)  # noqa: SIM115 (closed in close())
        try:
            size = os.fstat(self._f.fileno()).st_size
            self._salt = self._f.read(SALT_LEN)
            body = size - SALT_LEN
            if len(self._salt) != SALT_LEN or body < TAG:
                raise SealedError(_WRONG)
            self._n = -(-body // (CHUNK + TAG))
            last_len = body - (self._n - 1) * (CHUNK + TAG)
            if last_len < TAG:
                raise SealedError(_WRONG)
            self.plain_size = (self._n - 1) * CHUNK + last_len - TAG
            self._aead = AESGCM(derive(passphrase, self._salt, KDF))
            self._cache: OrderedDict[int, bytes] = OrderedDict()
            self._lock = threading.Lock()
            self._chunk(0)
        except BaseException:
            self._f.close()
            raise

    def _chunk(self, i: int) -> bytes:
        cached = self._cache.get(i)
        if cached is not None:
            self._cache.move_to_end(i)
            return cached
        offset = SALT_LEN + i * (CHUNK + TAG)
        length = min(CHUNK + TAG, SALT_LEN + self.plain_size + self._n * TAG - offset)
        data = os.pread(self._f.fileno(), length, offset) if hasattr(os, "pread") else self._seek_read(offset, length)
        if len(data) != length:
            raise OSError(5, "the sealed file was cut short")
        try:
            plain = self._aead.decrypt(_nonce(i), data, _aad(self._salt, i, i == self._n - 1))
        except InvalidTag:
            raise SealedError(_WRONG if i == 0 else "The sealed file is damaged.") from None
        self._cache[i] = plain
        if len(self._cache) > 4:
            self._cache.popitem(last=False)
        return plain

    def _seek_read(self, offset: int, length: int) -> bytes:
        self._f.seek(offset)
        return self._f.read(length)

    def read_at(self, pos: int, n: int) -> bytes:
        n = max(0, min(n, self.plain_size - pos))
        out = bytearray()
        with self._lock:
            while n > 0:
                i, off = divmod(pos, CHUNK)
                part = self._chunk(i)[off:off + n]
                if not part:
                    break
                out += part
                pos += len(part)
                n -= len(part)
        return bytes(out)

    def close(self) -> None:
        self._f.close()


class _Slice(RandomAccessReader):
    def __init__(self, reader: SealedReader, offset: int, size: int) -> None:
        super().__init__(size)
        self._r, self._off = reader, offset

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self._size - self._pos)
        if want <= 0:
            return 0
        data = self._r.read_at(self._off + self._pos, want)
        buffer[:len(data)] = data
        self._pos += len(data)
        return len(data)


def parse_directory(read_at: Callable[[int, int], bytes], plain_size: int) -> dict[str, tuple[int, int]]:
    """The container's directory, from decrypted bytes (`read_at(pos, n)`): each file's
    (offset, size). Strict and bounded; raises SealedError (with the one sentence that
    does not tell a wrong passphrase from a damaged file) for anything else."""
    length = int.from_bytes(read_at(0, 8), "big")
    if not 2 <= length <= MAX_DIRECTORY or 8 + length > plain_size:
        raise SealedError(_WRONG)
    try:
        doc = json.loads(read_at(8, length).decode("ascii"))
        entries = doc["files"]
        assert isinstance(entries, list) and len(entries) <= MAX_PACKS + 2
    except (ValueError, KeyError, TypeError, AssertionError, RecursionError):
        raise SealedError(_WRONG) from None
    files: dict[str, tuple[int, int]] = {}
    pos = 8 + length
    for e in entries:
        name, size = (e.get("name"), e.get("size")) if isinstance(e, dict) else (None, None)
        if not isinstance(name, str) or not (PACK_NAME_RE.fullmatch(name) or name in (INDEX_NAME, INDEX_SIG_NAME)) \
                or name in files or isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise SealedError(_WRONG)
        files[name] = (pos, size)
        pos += size
    if pos > plain_size:
        raise SealedError(_WRONG)
    return files


class SealedSource:
    """RepoSource over a sealed file (raises SealedError for a wrong passphrase)."""

    def __init__(self, path: Path, passphrase: str) -> None:
        self.path = Path(path)
        self.reader = SealedReader(self.path, passphrase)
        try:
            self._files = self._directory()
        except BaseException:
            self.reader.close()
            raise
        self.leftovers: list[str] = []

    def _directory(self) -> dict[str, tuple[int, int]]:
        return parse_directory(self.reader.read_at, self.reader.plain_size)

    def names(self) -> list[str]:
        return sorted(self._files)

    def size(self, name: str) -> int:
        return self._files[name][1]

    def open(self, name: str) -> BinaryIO:
        if name not in self._files:
            raise FileNotFoundError(2, "not in the sealed file")
        offset, size = self._files[name]
        return io.BufferedReader(_Slice(self.reader, offset, size), buffer_size=CHUNK)

    def read_small(self, name: str, cap: int) -> bytes | None:
        if name not in self._files or self._files[name][1] > cap:
            return None
        offset, size = self._files[name]
        return self.reader.read_at(offset, size)

    def alive(self) -> bool:
        try:
            os.stat(self.path)
        except OSError:
            return False
        return True

    def close(self) -> None:
        self.reader.close()


def sealed_candidates(root: Path, limit: int = 16) -> list[Path]:
    """Files at the stick's top level that may be sealed repositories (by name only)."""
    out: list[Path] = []
    try:
        with os.scandir(root) as it:
            for count, entry in enumerate(it):
                if count >= 200_000 or len(out) >= limit:
                    break
                if SEALED_NAME_RE.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                    out.append(Path(entry.path))
    except OSError:
        return []
    return sorted(out)


def open_sealed(candidates: list[Path], passphrase: str) -> SealedSource:
    """The first of `candidates` that `passphrase` opens (SealedError if none does)."""
    for candidate in candidates:
        try:
            return SealedSource(candidate, passphrase)
        except SealedError:
            continue
    raise SealedError("That passphrase opens no sealed file on this stick.")


def sealed_chunks(passphrase: str, parts: Iterable[bytes], plain_size: int) -> Iterator[bytes]:
    """The sealed file's bytes, produced as `parts` (exactly `plain_size` bytes) are consumed."""
    out: list[bytes] = []

    class _Sink:
        write = out.append

    writer = SealedWriter(_Sink(), passphrase, plain_size)  # type: ignore[arg-type]
    for part in parts:
        writer.write(part)
        while out:
            yield out.pop(0)
    writer.close()
    while out:
        yield out.pop(0)
