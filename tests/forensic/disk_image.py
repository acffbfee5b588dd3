"""Tools of a forensic examiner, for the tests: real file systems on loop devices, and
searches of the raw image for what Satchel's key file ever held.

- `loop_fs` formats a file as ext4 or btrfs, mounts it with the kernel's own driver
  (`mount -o loop`, as root) and always unmounts it.
- `find_pieces` finds any 32-byte piece of any given key-file version anywhere in the
  image, at any alignment: every such piece contains a 16-byte chunk that starts at a
  multiple of 16 in the image, so the image is cut into 16-byte chunks (all-zero 4 KiB
  blocks skipped) and each is looked up among every 16-byte window of every version.
  Windows with fewer than 10 different byte values (header fields, zeros) are left out:
  they hold nothing secret and could match by chance.
- `carve_records` finds every key-file record in the image, at any 512-byte boundary,
  in the layouts Satchel has written (the current two-record file, and the single
  4 KiB file of the first versions, which an examiner would look for too), and
  `opens_with` tries a passphrase on each as an examiner who knows it would.
"""

from __future__ import annotations

import contextlib
import shutil
import struct
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.kdf import KdfParams, derive
from crypto.keyslots import RECORD_SIZE, KeyFileError, KeyRecord, is_record

TOOLS = {"ext4": "mkfs.ext4", "btrfs": "mkfs.btrfs"}
SIZES_MB = {"ext4": 64, "btrfs": 128}
ZERO_BLOCK = bytes(4096)


def mounted(path: Path) -> bool:
    with open("/proc/self/mounts", encoding="utf-8") as f:
        return any(line.split()[1] == str(path) for line in f if len(line.split()) > 1)


def missing_tools(kind: str) -> list[str]:
    return [t for t in (TOOLS[kind], "mount", "umount") if shutil.which(t) is None]


def unmount(mnt: Path) -> None:
    for _ in range(50):
        if not mounted(mnt):
            return
        if subprocess.run(["umount", str(mnt)], capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


@contextlib.contextmanager
def loop_fs(folder: Path, kind: str) -> Iterator[tuple[Path, Path]]:
    """(image file, mount point) of a fresh `kind` file system, unmounted afterwards."""
    image, mnt = folder / f"{kind}.img", folder / f"{kind}-mnt"
    mnt.mkdir()
    subprocess.run(["truncate", "-s", f"{SIZES_MB[kind]}M", str(image)], check=True)
    mkfs = [TOOLS[kind], "-q"] + (["-F"] if kind == "ext4" else []) + [str(image)]
    subprocess.run(mkfs, check=True, capture_output=True)
    subprocess.run(["mount", "-o", "loop", str(image), str(mnt)], check=True, capture_output=True)
    try:
        yield image, mnt
    finally:
        unmount(mnt)


# -- pieces of key-file versions -----------------------------------------------------------


def _windows(versions: list[bytes]) -> dict[bytes, tuple[int, int]]:
    found: dict[bytes, tuple[int, int]] = {}
    for n, v in enumerate(versions):
        for i in range(len(v) - 15):
            w = v[i:i + 16]
            if len(set(w)) >= 10:
                found.setdefault(w, (n, i))
    return found


@dataclass
class Piece:
    offset: int  # in the image
    version: int  # index into the versions given
    at: int  # offset inside that version


def find_pieces(image: bytes, versions: list[bytes]) -> list[Piece]:
    """Every place in `image` holding a piece of any of `versions` (see the module)."""
    windows = _windows(versions)
    hits: list[Piece] = []
    view = memoryview(image)
    for base in range(0, len(image), 4096):
        block = bytes(view[base:base + 4096])
        if block == ZERO_BLOCK[:len(block)]:
            continue
        for i in range(0, len(block) - 15, 16):
            w = block[i:i + 16]
            if w in windows:
                n, at = windows[w]
                hits.append(Piece(base + i, n, at))
    return hits


# -- key records -------------------------------------------------------------------------

_OLD_HEADER = struct.Struct("<BBBBIIHH32s")
_OLD_SLOT, _OLD_SLOTS, _OLD_HEADER_SIZE = 64, 8, 48


@dataclass
class Carved:
    offset: int
    layout: str  # "current" or "first"
    salt: bytes
    params: KdfParams
    slots: list[bytes]
    record: KeyRecord | None = None


def carve_records(image: bytes) -> list[Carved]:
    out: list[Carved] = []
    for off in range(0, len(image) - RECORD_SIZE + 1, 512):
        head = image[off:off + 4]
        if head[:2] == b"\x02\x01" and head[3] == 0:
            block = image[off:off + RECORD_SIZE]
            if is_record(block):
                try:
                    r = KeyRecord.parse(block)
                except KeyFileError:
                    continue
                out.append(Carved(off, "current", r.salt, r.params, r.slots, r))
        elif head[:2] == b"\x01\x01" and head[3] == 0:
            _v, _k, lanes, _r, memory, passes, _l, _c, salt = _OLD_HEADER.unpack_from(image, off)
            params = KdfParams(memory, passes, lanes)
            if params.is_sane():
                slots = [image[off + _OLD_HEADER_SIZE + i * _OLD_SLOT: off + _OLD_HEADER_SIZE + (i + 1) * _OLD_SLOT]
                         for i in range(_OLD_SLOTS)]
                out.append(Carved(off, "first", salt, params, slots))
    return out


def opens_with(carved: Carved, passphrase: str, cache: dict[tuple[bytes, KdfParams], bytearray]) -> bytes | None:
    """The data key this record gives to `passphrase`, or None."""
    derived = cache.get((carved.salt, carved.params))
    if derived is None:
        derived = cache[(carved.salt, carved.params)] = derive(passphrase, carved.salt, carved.params)
    if carved.record is not None:
        opened = carved.record.open_slot(derived)
        return bytes(opened.key) if opened is not None else None
    aead = AESGCM(bytes(derived))
    for index, slot in enumerate(carved.slots):
        aad = struct.pack("<BBBIIB", 1, 1, carved.params.lanes, carved.params.memory_kib,
                          carved.params.iterations, index) + carved.salt
        try:
            plain = aead.decrypt(slot[:12], slot[12:], aad)
        except InvalidTag:
            continue
        return plain[4:36]
    return None
