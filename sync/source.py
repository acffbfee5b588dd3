"""A repository in a folder (on a stick, or anywhere "Open folder..." points), read safely.

Guarantees:
- Only names of the repository format are ever opened (`<16 hex>.bin`, the index and its
  signature); everything else on the stick is ignored, however many files there are.
  Listing stops after MAX_ENTRIES directory entries, so a stick with millions of files
  cannot hang Satchel.
- Links are never followed and only regular files are read (a hostile ext4 stick could
  hold a link to a file on this computer).
- Names are compared without regard to case: FAT32 and Windows fold case, so a stick
  written on another computer may show `ABCDEF0123456789.BIN`.
- `find_repository` looks at the stick's top level and one folder down, no deeper.
- Nothing here writes.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from sync.errors import NotARepository, StickRemoved
from sync.repository import (
    DEFAULT_FOLDER,
    INDEX_NAME,
    INDEX_SIG_NAME,
    MAX_PACKS,
    PACK_NAME_RE,
    TEMP_NAME_RE,
)

MAX_ENTRIES = 200_000
MAX_FOLDERS_PROBED = 256
GONE_ERRNOS = {errno.ENOTCONN, errno.ENOENT, errno.EIO, errno.ENODEV, errno.ENXIO, errno.ESHUTDOWN,
               getattr(errno, "ENOMEDIUM", -1), errno.ESTALE}
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


def _wanted(name: str) -> bool:
    low = name.lower()
    return bool(PACK_NAME_RE.fullmatch(name)) or low in (INDEX_NAME, INDEX_SIG_NAME)


def scan_folder(folder: Path) -> tuple[list[str], list[str]]:
    """(repository names, leftover temporary names) among a folder's regular files."""
    names: list[str] = []
    temps: list[str] = []
    packs = 0
    with os.scandir(folder) as it:
        for count, entry in enumerate(it):
            if count >= MAX_ENTRIES:
                break
            name = entry.name
            if not (_wanted(name) or TEMP_NAME_RE.fullmatch(name)):
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
            except OSError:
                continue
            if TEMP_NAME_RE.fullmatch(name):
                temps.append(name)
            elif PACK_NAME_RE.fullmatch(name):
                packs += 1
                if packs <= MAX_PACKS:
                    names.append(name)
            else:
                names.append(name)
    return sorted(names), sorted(temps)


class FolderSource:
    """RepoSource over a folder. `mount` (the stick's root) lets `alive()` notice a pull."""

    def __init__(self, folder: Path, mount: Path | None = None) -> None:
        self.folder = Path(folder)
        self.mount = mount
        self._was_mount = mount is not None and os.path.ismount(mount)
        self._names: list[str] | None = None
        self.leftovers: list[str] = []

    def names(self) -> list[str]:
        if self._names is None:
            try:
                self._names, self.leftovers = scan_folder(self.folder)
            except OSError as exc:
                raise self.error(exc) from None
        return list(self._names)

    def refresh(self) -> None:
        self._names = None

    def _path(self, name: str) -> Path:
        if "/" in name or "\\" in name or not _wanted(name):
            raise ValueError("not a repository file name")
        return self.folder / name

    def size(self, name: str) -> int:
        st = os.stat(self._path(name), follow_symlinks=False)
        if not stat.S_ISREG(st.st_mode):
            raise FileNotFoundError(errno.ENOENT, "not a regular file")
        return st.st_size

    def open(self, name: str) -> BinaryIO:
        fd = os.open(self._path(name), _OPEN_FLAGS)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise FileNotFoundError(errno.ENOENT, "not a regular file")
            return os.fdopen(fd, "rb", buffering=1 << 20)
        except BaseException:
            os.close(fd)
            raise

    def read_small(self, name: str, cap: int) -> bytes | None:
        try:
            with self.open(name) as f:
                data = f.read(cap + 1)
        except OSError as exc:
            if not self.alive():
                raise self.error(exc) from None
            return None
        return data if len(data) <= cap else None

    def alive(self) -> bool:
        """Is the stick still there? (A pulled FUSE stick answers ENOTCONN.)"""
        try:
            os.stat(self.folder)
            with os.scandir(self.folder) as it:
                next(it, None)
        except OSError:
            return False
        return not (self._was_mount and self.mount is not None and not os.path.ismount(self.mount))

    def error(self, exc: OSError) -> Exception:
        if not self.alive() or exc.errno in (errno.ENOTCONN, errno.ENODEV, errno.ESHUTDOWN):
            return StickRemoved("The stick was removed or can no longer be read.")
        return NotARepository(f"Satchel cannot read the folder {self.folder}: {exc.strerror}.")


def _has_index(folder: Path) -> bool:
    for name in (INDEX_NAME, INDEX_NAME.upper()):
        try:
            if stat.S_ISREG(os.stat(folder / name, follow_symlinks=False).st_mode):
                return True
        except OSError:
            pass
    return False


def _has_packs(folder: Path, limit: int = 2000) -> bool:
    try:
        with os.scandir(folder) as it:
            for count, entry in enumerate(it):
                if count >= limit:
                    return False
                if PACK_NAME_RE.fullmatch(entry.name):
                    return True
    except OSError:
        return False
    return False


def find_repository(root: Path) -> Path | None:
    """The repository folder at `root` or one level below it, or None.

    Order: `root` itself; the default folder (any case); any folder holding an index;
    then the default folder or `root` holding pack files without an index.
    """
    root = Path(root)
    if _has_index(root):
        return root
    folders: list[Path] = []
    default: Path | None = None
    try:
        with os.scandir(root) as it:
            for count, entry in enumerate(it):
                if count >= MAX_ENTRIES:
                    break
                try:
                    if not entry.is_dir(follow_symlinks=False):
                        continue
                except OSError:
                    continue
                if entry.name.lower() == DEFAULT_FOLDER.lower():
                    default = Path(entry.path)
                elif len(folders) < MAX_FOLDERS_PROBED and not entry.name.startswith("."):
                    folders.append(Path(entry.path))
    except NotADirectoryError:
        return None
    except OSError as exc:
        if exc.errno in GONE_ERRNOS:
            raise StickRemoved("The stick was removed or can no longer be read.") from None
        return None
    if default is not None and _has_index(default):
        return default
    for folder in sorted(folders):
        if _has_index(folder):
            return folder
    if default is not None and _has_packs(default):
        return default
    if _has_packs(root):
        return root
    return None


def open_folder(path: Path, mount: Path | None = None) -> FolderSource:
    """The repository at or just below `path` (what "Open folder..." and the CLI use)."""
    path = Path(path)
    if not path.exists():
        raise NotARepository(f"There is no folder at {path}.")
    folder = find_repository(path)
    if folder is None:
        raise NotARepository(f"There are no Satchel packs in {path}.")
    return FolderSource(folder, mount if mount is not None else path)
