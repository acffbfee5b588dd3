"""A read-only, seekable file over bytes that live somewhere else (the vault's chunks of
a signed pack, a sealed stick's decrypted slices), so zipfile can read them in place."""

from __future__ import annotations

import io


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
