"""Where Satchel keeps its files, and which files are Satchel's.

Everything lives under one home folder, created with mode 0700: the key file and the
SQLCipher database with its journals (and whatever later features keep there). Their
names say nothing about what they hold. The home comes from `--home`, else
`SATCHEL_HOME`, else the platform's user data folder (platformdirs), so tests and
portable installs can point anywhere.

Guarantees:
- The home is Satchel's own: `ensure()` marks a folder it creates, or finds empty, with
  an empty MARKER file, and refuses to put a vault into a folder that already holds
  other files. The panic wipe removes everything under a marked home; under a folder
  without the marker (a mistyped `--home`) only the names Satchel uses.
- Before the first file is created in it, the home is marked no-copy-on-write where the
  file system supports it (btrfs), so that overwriting the key file replaces its blocks.
  `overwrite_in_place()` reports whether that holds here; the command line and the app
  tell the user when it does not (they do not refuse: a warned user decides).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from app.errors import DiskFull, HomeUnusable
from crypto import disk
from crypto.secure import TEMP_PREFIX, fsync_dir

KEY_NAME = "key"
DB_NAME = "data"
DB_SIDE_SUFFIXES = ("-wal", "-shm", "-journal")
ASIDE = ".aside"
MARKER = ".satchel-home"
# Folders that rooms above the core keep in the home, under neutral names; the panic
# wipe removes them as well. "cache": the data folder of the tor process Satchel starts
# (sync.tor): tor's directory cache and guard state, which would show Tor was used;
# "spool": the same for the tor that carries a trainer's share (sync.share).
AUX_DIRS = ("cache", "spool")


def default_home() -> Path:
    env = os.environ.get("SATCHEL_HOME")
    if env:
        return Path(env)
    import platformdirs  # only here: the desktop app's start does not wait for it otherwise

    return Path(platformdirs.user_data_dir("Satchel", appauthor=False, roaming=False))


class Home:
    """The home folder and the names of every file Satchel may write in it."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else default_home()

    @property
    def key_path(self) -> Path:
        return self.path / KEY_NAME

    @property
    def db_path(self) -> Path:
        return self.path / DB_NAME

    def db_side_paths(self) -> list[Path]:
        return [self.path / (DB_NAME + s) for s in DB_SIDE_SUFFIXES]

    def temp_paths(self) -> list[Path]:
        try:
            return [p for p in self.path.iterdir() if p.name.startswith(TEMP_PREFIX)]
        except OSError:
            return []

    def aside_paths(self) -> list[Path]:
        """Damaged vault files set aside by `set_aside` (key files first)."""
        try:
            found = [p for p in self.path.iterdir() if p.name.startswith((KEY_NAME + ASIDE, DB_NAME + ASIDE))]
        except OSError:
            return []
        return sorted(found, key=lambda p: (not p.name.startswith(KEY_NAME), p.name))

    def aux_dir(self, name: str) -> Path:
        """One of AUX_DIRS (created 0700 by its user, never by the core)."""
        if name not in AUX_DIRS:
            raise ValueError("not one of the home's folders")
        return self.path / name

    def aux_paths(self) -> list[Path]:
        return [self.path / name for name in AUX_DIRS]

    def owned_paths(self) -> list[Path]:
        """Every path Satchel may have written, key files first."""
        return [self.key_path, *self.temp_paths(), *self.aside_paths(), self.db_path, *self.db_side_paths()]

    def set_aside(self) -> list[str]:
        """Rename a damaged vault's files out of the way (nothing is deleted, so whatever
        might be recoverable stays), making room for a new vault. The panic wipe still
        destroys them. Returns the new names."""
        n = 1
        while any(p.name.startswith((f"{KEY_NAME}{ASIDE}{n}", f"{DB_NAME}{ASIDE}{n}")) for p in self.aside_paths()):
            n += 1
        moved = []
        for path in [self.key_path, self.db_path, *self.db_side_paths()]:
            if path.exists():
                base = KEY_NAME if path == self.key_path else DB_NAME
                target = self.path / f"{base}{ASIDE}{n}{path.name[len(base):]}"
                try:
                    os.rename(path, target)
                except OSError as exc:
                    raise os_error(exc, self.path) from None
                moved.append(target.name)
        return moved

    def has_vault(self) -> bool:
        return self.key_path.exists() or self.db_path.exists()

    @property
    def marker_path(self) -> Path:
        return self.path / MARKER

    def is_own(self) -> bool:
        """Whether the whole folder is Satchel's (the wipe may remove all of it)."""
        return self.marker_path.is_file() and not self.marker_path.is_symlink()

    def overwrite_in_place(self) -> disk.InPlace:
        """Whether overwriting the key file here replaces its old blocks on disk (False on
        a copy-on-write file system that Satchel could not switch off; None if unknown)."""
        return disk.in_place(self.path, [self.key_path])

    def check_usable(self) -> None:
        """Raise HomeUnusable unless the home is (or can become) a writable folder."""
        p = self.path
        try:
            st = p.stat()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise HomeUnusable(f"Satchel cannot use the folder {p}: {exc.strerror}.") from None
        if not stat.S_ISDIR(st.st_mode):
            raise HomeUnusable(f"Satchel's home {p} is a file, not a folder.")
        if not os.access(p, os.W_OK | os.X_OK):
            raise HomeUnusable(f"Satchel cannot write to the folder {p}.")

    def ensure(self) -> None:
        """Create the home folder (0700) if needed, after check_usable; mark it Satchel's
        and no-copy-on-write before anything is written in it."""
        self.check_usable()
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise os_error(exc, self.path) from None
        try:
            os.chmod(self.path, 0o700)
        except OSError:
            pass
        if self.is_own():
            disk.set_nocow(self.path)  # for the files still to come (a no-op elsewhere)
            return
        try:
            foreign = [p.name for p in self.path.iterdir()]
        except OSError as exc:
            raise os_error(exc, self.path) from None
        if foreign:
            raise HomeUnusable(
                f"Satchel keeps its files in a folder of its own, and {self.path} already holds other files."
            )
        disk.set_nocow(self.path)  # before the first file: new files inherit it
        try:
            fd = os.open(self.marker_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
        except FileExistsError:
            pass
        except OSError as exc:
            raise os_error(exc, self.path) from None
        fsync_dir(self.path)


def os_error(exc: OSError, path: Path) -> Exception:
    """Turn an OSError into the one-sentence error a user can act on."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull("The disk is full; nothing was changed.")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return HomeUnusable(f"Satchel cannot write to the folder {path}.")
    if exc.errno == errno.ENOTDIR:
        return HomeUnusable(f"Satchel's home {path} is not a folder.")
    return HomeUnusable(f"Satchel cannot use the folder {path}: {exc.strerror}.")
