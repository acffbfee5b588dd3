"""A pack's ZIP end records and central directory, checked before zipfile reads them.

`zipfile.ZipFile` trusts the end-of-central-directory record: it reads the whole central
directory it points to into memory at once and builds a ZipInfo for every entry in it,
so a 519 MB file whose directory lists 10 million entries costs gigabytes and the better
part of a minute before any limit of Satchel's can look at it (and an USB stick with one
such file would do that on `satchel usb list`).

`check_directory` reads the very records zipfile will use (the same search for the end
record, the same ZIP64 record right before its locator) and then walks the central
directory entry by entry, so that zipfile is only ever handed a directory that:
- lists at most `limits.files + 2` entries (the manifest, its signature and the files),
  counted both in the end records and in the directory itself;
- is no larger than that many entries of bounded size (name, extra field, comment);
- lies where the end records say, right before them, on one disk (no prepended data, no
  spanning, no ZIP64 record that disagrees with its locator);
- uses only stored or deflated members, none of them encrypted (finding 9 of the
  hardening review: the manifest and signature must not be decompressed by another
  method before the signature is checked).

Memory is bounded by the limits, never by the file: at most 64 KiB + 98 bytes of tail,
then the central directory in chunks of at most 1 MiB.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from content_packs.errors import PackRejected
from content_packs.limits import Limits

EOCD_SIG = b"PK\x05\x06"
EOCD64_SIG = b"PK\x06\x06"
LOCATOR_SIG = b"PK\x06\x07"
CENTRAL_SIG = b"PK\x01\x02"
EOCD_LEN = 22
EOCD64_LEN = 56
LOCATOR_LEN = 20
CENTRAL_LEN = 46
MAX_COMMENT = 0xFFFF
# One central-directory entry: fixed part, a name (UTF-8, so up to four bytes for each of
# the path's characters), and room for the usual extra fields (ZIP64, Unix times and ids,
# NTFS times) and a short comment that other ZIP tools write.
MAX_EXTRA = 1024
MAX_ENTRY_COMMENT = 1024
MAX_EXTRACT_VERSION = 63   # ZIP 6.3, as zipfile reads it
ACCEPTED_METHODS = (0, 8)   # stored, deflated (docs/pack-format.md, section 3)
_READ = 1 << 20


@dataclass(frozen=True)
class Directory:
    """Where the central directory is and how many entries it holds (as checked)."""

    offset: int
    size: int
    entries: int


def _not_a_pack() -> PackRejected:
    return PackRejected("This file is not a Satchel pack (it is not a ZIP archive, or it is truncated).")


def _damaged() -> PackRejected:
    return PackRejected("The pack is damaged or truncated.")


def _too_many() -> PackRejected:
    return PackRejected("The pack holds more files than Satchel accepts.")


def max_entries(limits: Limits) -> int:
    return limits.files + 2


def max_directory_bytes(limits: Limits) -> int:
    return max_entries(limits) * (CENTRAL_LEN + 4 * limits.path_chars + MAX_EXTRA + MAX_ENTRY_COMMENT)


def _read_at(f: BinaryIO, pos: int, n: int) -> bytes:
    """Exactly n bytes at pos (a raw reader, such as a sealed stick's, may return fewer
    bytes per call)."""
    f.seek(pos)
    parts = []
    while n > 0:
        data = f.read(n)
        if not data:
            raise _damaged()
        parts.append(data)
        n -= len(data)
    return b"".join(parts)


def _end_record(f: BinaryIO, size: int) -> tuple[int, bytes]:
    """The end record zipfile would find: the last 22 bytes if they are one with no
    comment, else the last signature in the final 64 KiB + 22 bytes."""
    if size < EOCD_LEN:
        raise _not_a_pack()
    tail = _read_at(f, size - EOCD_LEN, EOCD_LEN)
    if tail[:4] == EOCD_SIG and tail[-2:] == b"\0\0":
        return size - EOCD_LEN, tail
    start = max(size - MAX_COMMENT - EOCD_LEN, 0)
    window = _read_at(f, start, size - start)
    found = window.rfind(EOCD_SIG)
    if found < 0 or len(window) - found < EOCD_LEN:
        raise _not_a_pack()
    return start + found, window[found:found + EOCD_LEN]


def check_directory(f: BinaryIO, size: int, limits: Limits) -> Directory:
    """Check the end records and walk the central directory; raise PackRejected with one
    sentence. Leaves the file position anywhere (zipfile seeks for itself)."""
    try:
        return _check(f, size, limits)
    except OSError:
        raise _damaged() from None
    except struct.error:
        raise _damaged() from None


def _check(f: BinaryIO, size: int, limits: Limits) -> Directory:
    eocd_pos, eocd = _end_record(f, size)
    (_sig, disk, cd_disk, on_disk, total, cd_size, cd_offset,
     _comment_len) = struct.unpack("<4s4H2LH", eocd)
    if disk != 0 or cd_disk != 0 or on_disk != total:
        raise _damaged()
    cd_end = eocd_pos
    if eocd_pos >= LOCATOR_LEN and _read_at(f, eocd_pos - LOCATOR_LEN, 4) == LOCATOR_SIG:
        # ZIP64: zipfile then takes every number from the record right before the locator.
        _lsig, l_disk, record_at, disks = struct.unpack("<4sLQL", _read_at(f, eocd_pos - LOCATOR_LEN, LOCATOR_LEN))
        record_pos = eocd_pos - LOCATOR_LEN - EOCD64_LEN
        if l_disk != 0 or disks > 1 or record_pos < 0 or record_at != record_pos:
            raise _damaged()
        record = _read_at(f, record_pos, EOCD64_LEN)
        (sig64, _rsize, _made, _needed, disk, cd_disk, on_disk, total, cd_size,
         cd_offset) = struct.unpack("<4sQ2H2L4Q", record)
        if sig64 != EOCD64_SIG or disk != 0 or cd_disk != 0 or on_disk != total:
            raise _damaged()
        cd_end = record_pos
    if total > max_entries(limits):
        raise _too_many()
    if cd_size > max_directory_bytes(limits):
        raise PackRejected("The pack's list of files is larger than Satchel accepts.")
    if cd_offset + cd_size != cd_end:   # nothing prepended, nothing between directory and end
        raise _damaged()
    entries = _walk(f, cd_offset, cd_size, limits)
    if entries != total:
        raise _damaged()
    return Directory(cd_offset, cd_size, entries)


def _walk(f: BinaryIO, offset: int, size: int, limits: Limits) -> int:
    """Count the central directory's entries as zipfile will parse them (it reads until
    `size` bytes are used up), checking each one's lengths and compression method."""
    max_name = 4 * limits.path_chars
    f.seek(offset)
    buf = b""
    at = 0            # where the next entry starts in buf
    pos = 0           # bytes of the directory consumed
    read = 0          # bytes of the directory read into buf so far
    count = 0

    def need(n: int) -> None:
        nonlocal buf, at, read
        if len(buf) - at >= n:
            return
        buf = buf[at:]
        at = 0
        while len(buf) < n:
            more = f.read(min(_READ, size - read))
            if not more:
                raise _damaged()
            read += len(more)
            buf += more

    while pos < size:
        if size - pos < CENTRAL_LEN:
            raise _damaged()
        need(CENTRAL_LEN)
        if buf[at:at + 4] != CENTRAL_SIG:
            raise _damaged()
        needed = buf[at + 6]   # the "version needed to extract" zipfile refuses above 6.3
        flags, method = struct.unpack_from("<HH", buf, at + 8)
        name_len, extra_len, comment_len = struct.unpack_from("<3H", buf, at + 28)
        count += 1
        if count > max_entries(limits):
            raise _too_many()
        if name_len > max_name or extra_len > MAX_EXTRA or comment_len > MAX_ENTRY_COMMENT:
            raise PackRejected("The pack holds a file with an unsafe path; it was refused.")
        if needed > MAX_EXTRACT_VERSION:
            raise _damaged()
        if flags & 0x1:
            raise PackRejected("The pack holds an encrypted entry; it was refused.")
        if method not in ACCEPTED_METHODS:
            raise PackRejected("The pack uses a compression method Satchel does not accept.")
        entry_len = CENTRAL_LEN + name_len + extra_len + comment_len
        if pos + entry_len > size:
            raise _damaged()
        need(entry_len)
        at += entry_len
        pos += entry_len
    return count
