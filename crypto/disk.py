"""What the file system under a folder does with an overwrite: in place, or elsewhere.

Satchel destroys its key by overwriting the key file's blocks. That works where the file
system writes changed data over the old blocks (ext4, XFS, FAT...). A copy-on-write file
system (btrfs, ZFS, bcachefs, APFS) or a log-structured one (F2FS, NILFS) writes the new
bytes somewhere else and leaves the old ones in free space until reused, unless the file
is marked no-copy-on-write (btrfs's FS_NOCOW_FL, which new files inherit from their
folder).

Guarantees:
- `filesystem(path)` names the file system holding `path` on Linux (statfs's f_type,
  then /proc/self/mountinfo for overlay's upper layer); "unknown" elsewhere.
- `set_nocow(folder)` marks a folder no-copy-on-write where the file system supports
  it (btrfs); it must happen before any file is created in it.
- `in_place(path)` says whether an overwrite of files under `path` replaces the old
  blocks: True, False, or None when Satchel cannot tell. It never raises.
- An SSD's flash translation layer may keep old blocks whatever the file system does;
  nothing here can see or change that (docs/threat-model.md says so).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

FS_IOC_GETFLAGS = 0x80086601
FS_IOC_SETFLAGS = 0x40086602
FS_NOCOW_FL = 0x00800000

# statfs f_type magic numbers (linux/magic.h).
_MAGIC = {
    0xEF53: "ext4", 0x58465342: "xfs", 0x9123683E: "btrfs", 0x2FC12FC1: "zfs",
    0xCA451A4E: "bcachefs", 0x794C7630: "overlay", 0x01021994: "tmpfs", 0x858458F6: "ramfs",
    0xF2F52010: "f2fs", 0x3434: "nilfs2", 0x4D44: "vfat", 0x2011BAB0: "exfat",
    0x5346544E: "ntfs", 0x7366746E: "ntfs3", 0x3153464A: "jfs", 0x52654973: "reiserfs",
    0x482B: "hfsplus", 0x6969: "nfs", 0xFF534D42: "cifs", 0xFE534D42: "smb2",
    0x01021997: "9p", 0x65735546: "fuse", 0xF15F: "ecryptfs",
}
IN_PLACE = frozenset({"ext2", "ext3", "ext4", "xfs", "tmpfs", "ramfs", "vfat", "msdos", "exfat",
                      "ntfs", "ntfs3", "jfs", "reiserfs", "hfsplus"})
COPY_ON_WRITE = frozenset({"btrfs", "zfs", "bcachefs", "f2fs", "nilfs2", "apfs"})


@dataclass(frozen=True)
class InPlace:
    """Whether overwriting replaces old blocks under a folder, and on which file system."""

    honoured: bool | None
    filesystem: str


def _statfs_type(path: Path) -> int | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        buf = ctypes.create_string_buffer(256)  # struct statfs is 120 bytes on 64-bit Linux
        if libc.statfs(os.fsencode(path), buf) != 0:
            return None
        # f_type is the first member, a C long.
        fmt = "l" if ctypes.sizeof(ctypes.c_long) == 8 else "i"
        return int(struct.unpack_from(fmt, buf.raw)[0]) & 0xFFFFFFFF
    except (OSError, AttributeError, ValueError):
        return None


def _mountinfo_entry(path: Path) -> tuple[str, str] | None:
    """(fstype, super options) of the mount holding `path`, from /proc/self/mountinfo."""
    try:
        lines = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    target = os.path.realpath(path)
    best: tuple[int, str, str] | None = None
    for line in lines:
        left, sep, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if not sep or len(fields) < 5 or len(tail) < 2:
            continue
        point = _unescape(fields[4])
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= best[0]):
            best = (len(point), tail[0], tail[2] if len(tail) > 2 else "")
    return (best[1], best[2]) if best else None


def _unescape(field: str) -> str:
    """mountinfo writes a space as \\040 (and so on) in paths."""
    raw = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), field.encode("utf-8", "surrogateescape"))
    return raw.decode("utf-8", "surrogateescape")


def _existing(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def filesystem(path: Path) -> str:
    """The name of the file system that holds `path` (or would hold it), or "unknown"."""
    path = _existing(path)
    magic = _statfs_type(path)
    if magic is not None and magic in _MAGIC:
        return _MAGIC[magic]
    entry = _mountinfo_entry(path)
    return entry[0] if entry else "unknown"


def _flags(path: Path) -> int | None:
    if fcntl is None:  # pragma: no cover - Windows
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        buf = bytearray(8)
        fcntl.ioctl(fd, FS_IOC_GETFLAGS, buf, True)
        return int(struct.unpack_from("<I", buf)[0])
    except OSError:
        return None
    finally:
        os.close(fd)


def has_nocow(path: Path) -> bool:
    flags = _flags(path)
    return flags is not None and bool(flags & FS_NOCOW_FL)


def set_nocow(folder: Path) -> bool:
    """Mark `folder` no-copy-on-write (btrfs only; True if it now is)."""
    if fcntl is None or filesystem(folder) != "btrfs":
        return False
    flags = _flags(folder)
    if flags is None:
        return False
    if flags & FS_NOCOW_FL:
        return True
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        fcntl.ioctl(fd, FS_IOC_SETFLAGS, bytearray(struct.pack("<Q", flags | FS_NOCOW_FL)), True)
    except OSError:
        return False
    finally:
        os.close(fd)
    return has_nocow(folder)


def in_place(path: Path, files: list[Path] | None = None) -> InPlace:
    """Whether overwriting `files` (default: the folder itself) under `path` replaces
    their old blocks on disk."""
    try:
        fs = filesystem(path)
        if fs == "overlay":
            entry = _mountinfo_entry(_existing(path))
            upper = next((o[len("upperdir="):] for o in (entry[1] if entry else "").split(",")
                          if o.startswith("upperdir=")), "")
            inner = filesystem(Path(upper)) if upper else "unknown"
            # Files live in the upper layer; no-copy-on-write cannot be set through it.
            honoured = True if inner in IN_PLACE else (False if inner in COPY_ON_WRITE else None)
            return InPlace(honoured, f"overlay on {inner}")
        if fs in IN_PLACE:
            return InPlace(True, fs)
        if fs == "btrfs":
            targets = [p for p in (files or []) if p.exists()] or [_existing(path)]
            return InPlace(all(has_nocow(p) for p in targets), fs)
        if fs in COPY_ON_WRITE:
            return InPlace(False, fs)
        return InPlace(None, fs)
    except Exception:  # a report, never a failure
        return InPlace(None, "unknown")
