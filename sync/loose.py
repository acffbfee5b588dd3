"""Pack files copied by hand: a folder of `.satchel` files (no index, not written by
`usb export`), or the files a learner picked in the app, read as a repository source.

A trainer who copies a folder of packs onto a stick with the file manager, as the trainer
guide says they may, gets a stick that `usb list`, `usb import` and the USB dialog read
like one written by `usb export`: each file is judged on its own signature.

Guarantees:
- Only entries whose name ends in `.satchel` (in any case: FAT32 and Windows fold case)
  are considered, in the folder itself and in its folders one level down (not hidden
  ones); everything else is ignored. Listing stops after MAX_ENTRIES directory entries
  per folder, MAX_FOLDERS folders and MAX_PACKS pack files, so a stick with millions of
  files cannot hang Satchel.
- Links are never followed and only regular files are opened (lstat, then O_NOFOLLOW and
  fstat on the open file). An entry named like a pack that is a folder, a link or a device
  is listed and refused with one sentence, never read.
- `open` and `size` accept only the names `names()` gave; a name is the entry's path
  relative to the folder, shown to the user (through clean()/plain()), never trusted.
- Nothing here parses a pack: every file goes through content_packs.verify like any other.
- Nothing here writes.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from content_packs.errors import PackRejected
from sync.errors import NotARepository, StickRemoved

SUFFIX = ".satchel"
MAX_ENTRIES = 200_000
MAX_FOLDERS = 256
MAX_PACKS = 10_000
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
GONE = "The stick was removed or can no longer be read."


def _is_pack_name(name: str) -> bool:
    return name.lower().endswith(SUFFIX) and len(name) > len(SUFFIX)


def _not_a_file(mode: int) -> PackRejected | None:
    """Why an entry named like a pack cannot be one (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return PackRejected("That is a folder, not a pack file.")
    if stat.S_ISLNK(mode):
        return PackRejected("This is a link, not a pack file; Satchel does not follow links.")
    return PackRejected("This is not a regular file, so it cannot be a pack.")


def _scan(folder: Path, prefix: str, found: dict[str, Path], subfolders: list[Path] | None) -> None:
    with os.scandir(folder) as it:
        for count, entry in enumerate(it):
            if count >= MAX_ENTRIES or len(found) >= MAX_PACKS:
                return
            name = entry.name
            if _is_pack_name(name):
                found[prefix + name] = Path(entry.path)
                continue
            if subfolders is None or name.startswith(".") or len(subfolders) >= MAX_FOLDERS:
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    subfolders.append(Path(entry.path))
            except OSError:
                continue


def scan(folder: Path) -> dict[str, Path]:
    """Name (relative path, '/'-separated) -> path of every pack-named entry at `folder`
    and one level down. Raises OSError if `folder` itself cannot be read."""
    found: dict[str, Path] = {}
    subfolders: list[Path] = []
    _scan(folder, "", found, subfolders)
    for sub in sorted(subfolders):
        if len(found) >= MAX_PACKS:
            break
        try:
            _scan(sub, sub.name + "/", found, None)
        except OSError:
            continue  # an unreadable folder on the stick: the others still count
    return found


class LooseSource:
    """RepoSource over hand-copied pack files. `loose` tells sync.repository.pack_names
    that every name it lists is a candidate pack (there is no index)."""

    loose = True

    def __init__(self, files: dict[str, Path], folder: Path | None = None, mount: Path | None = None) -> None:
        self._files = dict(files)
        self.folder = folder
        self.mount = mount
        self._was_mount = mount is not None and os.path.ismount(mount)
        self.leftovers: list[str] = []

    @classmethod
    def from_folder(cls, folder: Path, mount: Path | None = None) -> LooseSource:
        try:
            files = scan(Path(folder))
        except OSError as exc:
            if exc.errno in (errno.ENOTCONN, errno.ENODEV, errno.EIO):
                raise StickRemoved(GONE) from None
            raise NotARepository(f"Satchel cannot read the folder {folder}: {exc.strerror}.") from None
        return cls(files, Path(folder), mount)

    @classmethod
    def from_files(cls, paths: list[Path]) -> LooseSource:
        """The files a learner picked (names are their own names; a second file of the
        same name in another folder gets a number)."""
        files: dict[str, Path] = {}
        for p in paths[:MAX_PACKS]:
            name, n = p.name, 1
            while name in files:
                n += 1
                name = f"{p.name} ({n})"
            files[name] = Path(p)
        return cls(files)

    def names(self) -> list[str]:
        return sorted(self._files)

    def refresh(self) -> None:
        if self.folder is not None:
            self._files = LooseSource.from_folder(self.folder, self.mount)._files

    def _path(self, name: str) -> Path:
        path = self._files.get(name)
        if path is None:
            raise ValueError("not a listed pack file")
        return path

    def size(self, name: str) -> int:
        """The file's size; 0 for an entry that is not a regular file (`open` says why)."""
        st = os.stat(self._path(name), follow_symlinks=False)
        return st.st_size if stat.S_ISREG(st.st_mode) else 0

    def open(self, name: str) -> BinaryIO:
        path = self._path(name)
        problem = _not_a_file(os.stat(path, follow_symlinks=False).st_mode)
        if problem is not None:
            raise problem
        fd = os.open(path, _OPEN_FLAGS)
        try:
            problem = _not_a_file(os.fstat(fd).st_mode)  # swapped for something else since
            if problem is not None:
                raise problem
            return os.fdopen(fd, "rb", buffering=1 << 20)
        except BaseException:
            os.close(fd)
            raise

    def read_small(self, name: str, cap: int) -> bytes | None:
        try:
            with self.open(name) as f:
                data = f.read(cap + 1)
        except (OSError, PackRejected):
            return None
        return data if len(data) <= cap else None

    def alive(self) -> bool:
        """Is the stick (or the folder) still there?"""
        try:
            if self.folder is not None:
                os.stat(self.folder)
                with os.scandir(self.folder) as it:
                    next(it, None)
            else:
                parents = {p.parent for p in self._files.values()}
                if parents and not any(p.exists() for p in parents):
                    return False
        except OSError:
            return False
        return not (self._was_mount and self.mount is not None and not os.path.ismount(self.mount))


def find_loose(root: Path, mount: Path | None = None) -> LooseSource | None:
    """The pack files at `root` or one folder down, or None if there are none."""
    try:
        source = LooseSource.from_folder(Path(root), mount if mount is not None else Path(root))
    except NotARepository:
        return None
    return source if source.names() else None
