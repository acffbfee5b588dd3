"""Finding USB sticks, and noticing them come and go while Satchel runs (no Qt here).

- Linux: /proc/self/mounts; a stick is a mount of a removable-media filesystem (vfat,
  exfat, NTFS, FUSE ones such as fuse.fusefat) or any mount under /media or /run/media,
  never the system's own mounts (/, /boot, /boot/efi, /efi...).
- Windows: drive letters (os.listdrives where it exists) whose type is "removable".
- macOS: the entries of /Volumes, except the start-up disk (a link to /).
Detection can miss a stick (an unusual mount point, a USB hard disk seen as fixed):
"Open folder..." always works for those.

`StickWatcher` polls in a daemon thread and calls back with what was inserted and
removed. Nothing here logs a path: a volume label could say what a stick holds.
"""

from __future__ import annotations

import logging
import os
import string
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

STICK_FSTYPES = frozenset({
    "vfat", "msdos", "fat", "exfat", "ntfs", "ntfs3", "fuseblk", "hfsplus", "udf",
    "fuse.fusefat", "fuse.exfat", "fuse.exfat-fuse", "fuse.fuse-exfat", "fuse.ntfs-3g", "fuse.ntfs",
})
REMOVABLE_PARENTS = ("/media/", "/run/media/")
SYSTEM_MOUNTS = ("/", "/boot", "/boot/efi", "/boot/firmware", "/efi", "/usr", "/var", "/home", "/tmp")  # noqa: S108
SYSTEM_PREFIXES = ("/proc", "/sys", "/dev", "/snap/", "/run/user/", "/var/lib/")
MOUNTS_FILE = Path("/proc/self/mounts")


@dataclass(frozen=True)
class Stick:
    path: Path
    fstype: str

    @property
    def label(self) -> str:
        return self.path.name or str(self.path)


def _unescape(field: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash as octal escapes."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 3 < len(field) and all(c in "01234567" for c in field[i + 1:i + 4]):
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def linux_sticks(mounts_text: str) -> list[Stick]:
    sticks: dict[str, Stick] = {}
    for line in mounts_text.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        where, fstype = _unescape(parts[1]), parts[2]
        if where in SYSTEM_MOUNTS or where.startswith(SYSTEM_PREFIXES):
            continue
        if fstype in STICK_FSTYPES or where.startswith(REMOVABLE_PARENTS):
            sticks[where] = Stick(Path(where), fstype)   # a later mount over the same place wins
    return sorted(sticks.values(), key=lambda s: str(s.path))


def windows_sticks(drives: list[str] | None = None,
                   drive_type: Callable[[str], int] | None = None) -> list[Stick]:
    """Removable drives (GetDriveTypeW == 2), skipping A: and B: (floppy drives seek)."""
    if drive_type is None:
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        kernel32.SetErrorMode(0x0001 | 0x8000)  # no "insert a disk" dialog for empty readers
        drive_type = kernel32.GetDriveTypeW
    if drives is None:
        lister = getattr(os, "listdrives", None)
        drives = lister() if lister else [f"{c}:\\" for c in string.ascii_uppercase if os.path.exists(f"{c}:\\")]
    out = []
    for d in drives:
        if d[:1].upper() in ("A", "B"):
            continue
        try:
            if drive_type(d) == 2:
                out.append(Stick(Path(d), "windows"))
        except OSError:
            continue
    return out


def mac_sticks(volumes: Path = Path("/Volumes")) -> list[Stick]:
    out = []
    try:
        with os.scandir(volumes) as it:
            for entry in it:
                if entry.name.startswith(".") or entry.is_symlink():
                    continue
                if entry.is_dir(follow_symlinks=False):
                    out.append(Stick(Path(entry.path), "macos"))
    except OSError:
        return []
    return sorted(out, key=lambda s: str(s.path))


def _readable(path: Path) -> bool:
    """A stick pulled without unmounting (a dead FUSE mount, an I/O error) is not offered."""
    try:
        with os.scandir(path) as it:
            next(it, None)
    except OSError:
        return False
    return True


def list_sticks() -> list[Stick]:
    """The sticks mounted now, on this platform."""
    try:
        if sys.platform.startswith("win"):
            return windows_sticks()
        if sys.platform == "darwin":
            return mac_sticks()
        mounts = linux_sticks(MOUNTS_FILE.read_text(encoding="utf-8", errors="replace"))
        return [s for s in mounts if _readable(s.path)]
    except OSError:
        return []


@dataclass(frozen=True)
class Probe:
    """What a stick seems to hold, from names alone (nothing is verified or decrypted)."""

    folder: Path | None
    sealed: tuple[Path, ...]
    loose: Path | None = None   # pack files copied by hand (sync.loose), when there is no repository

    @property
    def empty(self) -> bool:
        return self.folder is None and self.loose is None and not self.sealed


def probe(path: Path) -> Probe:
    """Where the repository is on a stick, and which files may be sealed repositories."""
    from sync.loose import find_loose
    from sync.sealed import sealed_candidates
    from sync.source import find_repository

    loose = None
    try:
        folder = find_repository(Path(path))
        if folder is None:
            found = find_loose(Path(path))
            loose = Path(path) if found is not None else None
    except Exception:  # a stick pulled while looking: nothing there
        folder = None
    sealed = () if folder is not None or loose is not None else tuple(sealed_candidates(Path(path)))
    return Probe(folder, sealed, loose)


Change = Callable[[list[Stick], list[Stick]], None]


class StickWatcher:
    """Polls `lister` every `interval` seconds and calls `on_change(inserted, removed)`.

    The first poll establishes what is already there (reported as inserted, so an app
    started with a stick in can offer it). Callbacks run on the watcher's thread.
    """

    def __init__(self, on_change: Change, interval: float = 1.0,
                 lister: Callable[[], list[Stick]] = list_sticks) -> None:
        self._on_change = on_change
        self._interval = interval
        self._lister = lister
        self._known: dict[Path, Stick] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> tuple[list[Stick], list[Stick]]:
        """One look; returns (inserted, removed) and calls back if anything changed."""
        try:
            now = {s.path: s for s in self._lister()}
        except Exception as exc:  # a failing probe must never stop the watcher
            log.warning("stick detection failed with %s", type(exc).__name__)
            return [], []
        inserted = [s for p, s in now.items() if p not in self._known]
        removed = [s for p, s in self._known.items() if p not in now]
        self._known = now
        if inserted or removed:
            try:
                self._on_change(inserted, removed)
            except Exception as exc:
                log.warning("a stick callback failed with %s", type(exc).__name__)
        return inserted, removed

    def current(self) -> list[Stick]:
        return list(self._known.values())

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="satchel-usb-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll()
            self._stop.wait(self._interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
