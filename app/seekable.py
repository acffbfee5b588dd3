"""A read-only, seekable file over bytes that live somewhere else (the vault's chunks of
a signed pack, a sealed stick's decrypted slices), so zipfile can read them in place.

`PiecedReader` is the shape for bytes kept as a sequence of rows (a kept pack, a finished
download): it finds the row under the position by bisection and holds only the last row
read, so memory stays at one row whatever the file's size."""

from __future__ import annotations

import bisect
import io
from collections.abc import Iterable
from typing import Any


class RandomAccessReader(io.RawIOBase):
    """Subclasses set `self._size` and implement `readinto` from `self._pos`."""

    def __init__(self, size: int = 0) -> None:
        super().__init__()
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos


class PiecedReader(RandomAccessReader):
    """A file made of pieces of known sizes; subclasses implement `_load(index)`, which
    returns the bytes of piece `index` (b"" when the piece has gone)."""

    def __init__(self, sizes: Iterable[int]) -> None:
        super().__init__()
        self._starts: list[int] = []
        total = 0
        for size in sizes:
            self._starts.append(total)
            total += int(size)
        self._size = total
        self._cache: tuple[int, bytes] | None = None

    def _load(self, index: int) -> bytes:
        raise NotImplementedError

    def _piece(self, index: int) -> bytes:
        if self._cache is None or self._cache[0] != index:
            self._cache = (index, self._load(index))
        return self._cache[1]

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self._size:
            return 0
        index = bisect.bisect_right(self._starts, self._pos) - 1
        data = self._piece(index)
        offset = self._pos - self._starts[index]
        n = min(len(buffer), len(data) - offset)
        if n <= 0:
            return 0
        buffer[:n] = data[offset:offset + n]
        self._pos += n
        return n

    @property
    def size(self) -> int:
        return self._size
