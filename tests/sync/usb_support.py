"""Helpers for the USB tests: real FAT32 sticks (mkfs.vfat + fusefat), vaults and packs.

`FatStick.pull()` kills the fusefat process, which makes every read and write on the
mount fail the way a pulled stick does; `remount()` plugs it back in (the image keeps
whatever reached it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from app.trust import TrustStore
from app.vault import Vault
from content_packs.build import build_pack
from support import FAST_MS, KeyPair, write_source

TOOLS = ("mkfs.vfat", "fusefat")
# fusefat depends on fuse or fuse3: Debian installs fusermount, a system with fuse3 fusermount3.
FUSERMOUNT = ("fusermount", "fusermount3")
LIVE: list[FatStick] = []


def _fusermount() -> str | None:
    return next((t for t in FUSERMOUNT if shutil.which(t)), None)


def need_tools() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if _fusermount() is None:
        missing.append("fusermount")
    if missing:
        pytest.fail(f"the FAT32 tests need {', '.join(missing)} (build/system-packages: dosfstools, fusefat; "
                    "make test installs them)")
    if not os.path.exists("/dev/fuse"):
        pytest.fail("the FAT32 tests need /dev/fuse")


def mounted(path: Path) -> bool:
    target = str(path)
    with open("/proc/self/mounts", encoding="utf-8") as f:
        return any(line.split()[1] == target for line in f if len(line.split()) > 1)


class FatStick:
    """One FAT32 image and its mount point."""

    def __init__(self, image: Path, path: Path) -> None:
        self.image = image
        self.path = path
        self.proc: subprocess.Popen[bytes] | None = None

    def mount(self, read_only: bool = False) -> FatStick:
        self.path.mkdir(parents=True, exist_ok=True)
        mode = "ro" if read_only else "rw+"
        self.proc = subprocess.Popen(["fusefat", "-f", "-o", mode, str(self.image), str(self.path)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not mounted(self.path):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("fusefat did not mount the image")
            time.sleep(0.01)
        if self not in LIVE:
            LIVE.append(self)
        return self

    def pull(self) -> None:
        """Pull the stick: the filesystem process dies mid-whatever."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def unmount(self) -> None:
        tool = _fusermount() or "fusermount"
        if mounted(self.path):
            subprocess.run([tool, "-u", str(self.path)], check=False, capture_output=True)
        if mounted(self.path):
            subprocess.run([tool, "-u", "-z", str(self.path)], check=False, capture_output=True)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        if self in LIVE:
            LIVE.remove(self)

    def remount(self, read_only: bool = False) -> FatStick:
        self.pull()
        self.unmount()
        return self.mount(read_only)


# -- vaults and packs ------------------------------------------------------------------

def new_vault(home: Path, *keys: KeyPair) -> Vault:
    v = Vault.create(home, "correct horse", iter_time_ms=FAST_MS)
    for k in keys:
        TrustStore(v).add_manual(k.public)
    return v


def make_pack(folder: Path, key: KeyPair, pack_id: str, version: int = 1, title: str = "A guide",
              media: int = 0, language: str = "en") -> Path:
    """A real signed pack; `media` bytes of incompressible data make it as big as wanted."""
    src = write_source(folder / f"src-{pack_id}-{version}", pack_id=pack_id, version=version, title=title,
                       language=language,
                       pages={"pages/intro.md": f"# {title}\n\nVersion {version} of {pack_id}.\n"
                              + ("\n[A clip](../media/clip.mp4)\n" if media else "")},
                       media={"media/clip.mp4": os.urandom(media)} if media else None)
    out = folder / f"{pack_id}-{version}.satchel"
    build_pack(src, key.secret, out)
    return out




# -- filling an image offline -----------------------------------------------------------
# Creating a file through fusefat costs tens of milliseconds and grows with the folder, so
# a stick "with thousands of unrelated files" is written straight into the image (empty
# files with 8.3 names, as a camera or an old computer leaves them) before mounting.

def _short_name(name: str) -> bytes:
    stem, _, ext = name.upper().partition(".")
    assert 1 <= len(stem) <= 8 and len(ext) <= 3, name
    return stem.ljust(8).encode("ascii") + ext.ljust(3).encode("ascii")


def _entry(name: str, attr: int, cluster: int = 0, short: bytes | None = None) -> bytes:
    raw = bytearray(32)
    raw[0:11] = short if short is not None else _short_name(name)
    raw[11] = attr
    raw[20:22] = (cluster >> 16).to_bytes(2, "little")
    raw[22:24] = (0x6000).to_bytes(2, "little")      # 12:00
    raw[24:26] = (0x5A21).to_bytes(2, "little")      # 2025-01-01
    raw[26:28] = (cluster & 0xFFFF).to_bytes(2, "little")
    return bytes(raw)


def populate_image(image: Path, root_files: list[str], folders: dict[str, list[str]]) -> None:
    """Write empty files (and folders of empty files) into a freshly formatted FAT32 image."""
    with open(image, "r+b") as f:
        boot = f.read(512)
        bps = int.from_bytes(boot[11:13], "little")
        spc = boot[13]
        reserved = int.from_bytes(boot[14:16], "little")
        nfats = boot[16]
        fat_size = int.from_bytes(boot[36:40], "little") * bps
        root_cluster = int.from_bytes(boot[44:48], "little")
        fsinfo = int.from_bytes(boot[48:50], "little") * bps
        csize = bps * spc
        fat_off = reserved * bps
        data_off = fat_off + nfats * fat_size
        f.seek(fat_off)
        fat = bytearray(f.read(fat_size))
        allocated = 0

        def alloc() -> int:
            nonlocal allocated
            for c in range(root_cluster + 1, fat_size // 4):
                if int.from_bytes(fat[4 * c:4 * c + 4], "little") & 0x0FFFFFFF == 0:
                    fat[4 * c:4 * c + 4] = (0x0FFFFFFF).to_bytes(4, "little")
                    allocated += 1
                    return c
            raise RuntimeError("image full")

        def write_dir(first: int, entries: list[bytes]) -> None:
            per = csize // 32
            data = b"".join(entries)
            chunks = [data[i:i + per * 32] for i in range(0, len(data), per * 32)] or [b""]
            cluster = first
            for n, chunk in enumerate(chunks):
                f.seek(data_off + (cluster - 2) * csize)
                f.write(chunk.ljust(csize, b"\0"))
                if n + 1 < len(chunks):
                    nxt = alloc()
                    fat[4 * cluster:4 * cluster + 4] = nxt.to_bytes(4, "little")
                    cluster = nxt

        root = [_entry(n, 0x20) for n in root_files]
        for folder, files in folders.items():
            c = alloc()
            root.append(_entry(folder, 0x10, c))
            write_dir(c, [_entry("", 0x10, c, b".          "), _entry("", 0x10, 0, b"..         ")]
                      + [_entry(n, 0x20) for n in files])
        write_dir(root_cluster, root)
        for i in range(nfats):
            f.seek(fat_off + i * fat_size)
            f.write(fat)
        f.seek(fsinfo + 488)
        free = int.from_bytes(f.read(4), "little")
        f.seek(fsinfo + 488)
        f.write((free - allocated).to_bytes(4, "little"))
