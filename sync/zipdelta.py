"""Only what changed: the plan to rebuild a new version of a pack from the one the vault holds.

`satchel pack build` writes the same bytes for the same member (content_packs.build:
fixed member order, timestamps, permissions, compression level), so a member whose
content did not change between two versions has byte-identical local records in both
files, only at another offset. A new pack file is therefore rebuilt from:
- the byte ranges already fetched to plan it (the tail with the central directory, and
  the head with the manifest and its signature: "mem");
- the records of unchanged members, copied from the old version's kept signed bytes
  ("old");
- everything else, fetched with HTTP Range requests ("net"); neighbouring fetches are
  merged across small gaps, since a round trip over Tor costs more than a few KiB.

A member counts as unchanged only if the new signed manifest gives it the same path,
size and SHA-256 as the old one, and both central directories agree on its method,
flags, CRC, sizes and the length of its record. The rebuilt file must then hash to the
SHA-256 the signed index gives (sync.online checks that, and fetches the whole file if
not); nothing here is trusted beyond choosing where bytes come from.

Parsing is strict and bounded: one end-of-central-directory record, no ZIP64 (packs are
below 2 GiB and 65,535 members), no multi-disk archives, at most MAX_ENTRIES entries,
records that tile the file from byte 0 to the central directory without gaps. Anything
else raises Unusable, and the whole file is fetched instead.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from content_packs.limits import DEFAULT_LIMITS, MANIFEST_NAME, SIGNATURE_NAME
from content_packs.manifest import Manifest

TAIL_BYTES = 64 * 1024
MAX_DIRECTORY_BYTES = 8 * 1024**2
MAX_ENTRIES = DEFAULT_LIMITS.files + 4
MERGE_GAP = 32 * 1024
_EOCD = b"PK\x05\x06"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"


class Unusable(Exception):
    """The archive's layout does not allow a partial rebuild (fetch the whole file)."""


@dataclass(frozen=True)
class Member:
    name: str
    flags: int
    method: int
    crc: int
    csize: int
    usize: int
    offset: int
    end: int = 0           # where its record ends (the next record or the directory)

    def same_record(self, other: Member) -> bool:
        return (self.name, self.flags, self.method, self.crc, self.csize, self.usize, self.end - self.offset) == (
            other.name, other.flags, other.method, other.crc, other.csize, other.usize, other.end - other.offset)


@dataclass(frozen=True)
class Layout:
    size: int
    cd_offset: int
    members: tuple[Member, ...]     # by offset

    def member(self, name: str) -> Member | None:
        return next((m for m in self.members if m.name == name), None)


def find_directory(tail: bytes, tail_start: int, size: int) -> tuple[int, int, int]:
    """(offset, size, entries) of the central directory, from the file's last bytes."""
    if tail_start + len(tail) != size:
        raise Unusable("the tail must end at the end of the file")
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        raise Unusable("no end-of-central-directory record")
    disk, cd_disk, here, total, cd_size, cd_offset, comment = struct.unpack("<HHHHIIH", tail[at + 4: at + 22])
    if disk or cd_disk or here != total or at + 22 + comment != len(tail):
        raise Unusable("a multi-disk archive or a misplaced record")
    if total == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        raise Unusable("ZIP64")
    if total > MAX_ENTRIES or cd_size > MAX_DIRECTORY_BYTES or cd_offset + cd_size != tail_start + at:
        raise Unusable("a directory that does not end where its record starts")
    return cd_offset, cd_size, total


def parse_directory(directory: bytes, entries: int, cd_offset: int, size: int) -> Layout:
    """The members named by a central directory, with the byte range of each record."""
    members: list[Member] = []
    pos = 0
    names: set[str] = set()
    for _ in range(entries):
        if directory[pos: pos + 4] != _CENTRAL or len(directory) < pos + 46:
            raise Unusable("a damaged central directory")
        (flags, method, _time, _date, crc, csize, usize, n, m, k, disk, _ia, _ea, offset) = struct.unpack(
            "<HHHHIIIHHHHHII", directory[pos + 8: pos + 46])
        name_bytes = directory[pos + 46: pos + 46 + n]
        if disk or len(name_bytes) != n or csize == 0xFFFFFFFF or usize == 0xFFFFFFFF or offset == 0xFFFFFFFF:
            raise Unusable("ZIP64 or multi-disk entries")
        try:
            name = name_bytes.decode("utf-8" if flags & 0x800 else "cp437")
        except UnicodeDecodeError:
            raise Unusable("an unreadable name") from None
        if name in names:
            raise Unusable("a name listed twice")
        names.add(name)
        members.append(Member(name, flags, method, crc, csize, usize, offset))
        pos += 46 + n + m + k
    if pos != len(directory):
        raise Unusable("bytes after the last directory entry")
    members.sort(key=lambda e: e.offset)
    tiled: list[Member] = []
    for i, e in enumerate(members):
        end = members[i + 1].offset if i + 1 < len(members) else cd_offset
        if (i == 0 and e.offset != 0) or end - e.offset < 30 + e.csize:
            raise Unusable("records that do not tile the file")
        tiled.append(Member(e.name, e.flags, e.method, e.crc, e.csize, e.usize, e.offset, end))
    if not tiled or cd_offset > size:
        raise Unusable("an empty archive")
    return Layout(size, cd_offset, tuple(tiled))


def member_data(record: bytes, member: Member) -> bytes:
    """A member's stored (possibly compressed) bytes from its whole local record."""
    if record[:4] != _LOCAL or len(record) < 30:
        raise Unusable("a damaged local record")
    n, m = struct.unpack("<HH", record[26:30])
    start = 30 + n + m
    if record[30: 30 + n] != member.name.encode("utf-8" if member.flags & 0x800 else "cp437"):
        raise Unusable("a local record under another name")
    data = record[start: start + member.csize]
    if len(data) != member.csize:
        raise Unusable("a truncated local record")
    return data


@dataclass(frozen=True)
class Piece:
    """Bytes [start, end) of the new file, and where they come from."""

    start: int
    end: int
    kind: str          # "net", "old" or "mem"
    at: int = 0        # offset in the old file ("old") or in the fetched block ("mem")
    block: int = -1    # which fetched block ("mem")

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Plan:
    pieces: tuple[Piece, ...]
    blocks: tuple[bytes, ...]      # bytes already fetched, referenced by "mem" pieces

    @property
    def net_bytes(self) -> int:
        return sum(p.length for p in self.pieces if p.kind == "net")

    @property
    def old_bytes(self) -> int:
        return sum(p.length for p in self.pieces if p.kind == "old")


def _merge(pieces: Iterable[Piece]) -> list[Piece]:
    out: list[Piece] = []
    for p in pieces:
        if p.length <= 0:
            continue
        last = out[-1] if out else None
        if last is not None and last.end == p.start and last.kind == p.kind and (
                p.kind == "net" or (p.kind == "old" and last.at + last.length == p.at)
                or (p.kind == "mem" and last.block == p.block and last.at + last.length == p.at)):
            out[-1] = Piece(last.start, p.end, p.kind, last.at, last.block)
        else:
            out.append(p)
    return out


def _fetch_small_gaps(pieces: list[Piece], gap: int) -> list[Piece]:
    """Fetch short stretches between two fetches too: one request instead of two."""
    out = list(pieces)
    for i in range(len(out)):
        if out[i].kind == "net":
            j = i + 1
            while j < len(out) and out[j].kind != "net":
                j += 1
            if j < len(out) and out[j].start - out[i].end <= gap and all(p.kind == "old" for p in out[i + 1: j]):
                for k in range(i + 1, j):
                    out[k] = Piece(out[k].start, out[k].end, "net")
    return _merge(out)


def plan_rebuild(new: Layout, new_manifest: Manifest, old: Layout, old_manifest: Manifest,
                 fetched: list[tuple[int, bytes]], gap: int = MERGE_GAP) -> Plan:
    """Where each byte of the new file comes from. `fetched`: (offset, bytes) blocks of
    the new file already in hand (the tail and the head)."""
    old_files = {f.path: f for f in old_manifest.files}
    new_files = {f.path: f for f in new_manifest.files}
    blocks = tuple(data for _, data in fetched)
    spans = [(start, start + len(data), i) for i, (start, data) in enumerate(fetched)]

    def covered(start: int, end: int) -> Piece | None:
        for s, e, i in spans:
            if s <= start and end <= e:
                return Piece(start, end, "mem", start - s, i)
        return None

    pieces: list[Piece] = []
    for member in new.members:
        whole = covered(member.offset, member.end)
        if whole is not None:
            pieces.append(whole)
            continue
        before = old.member(member.name)
        same = (member.name not in (MANIFEST_NAME, SIGNATURE_NAME) and before is not None
                and member.name in new_files and new_files[member.name] == old_files.get(member.name)
                and member.same_record(before))
        if same and before is not None:
            pieces.append(Piece(member.offset, member.end, "old", before.offset))
        else:
            pieces.append(Piece(member.offset, member.end, "net"))
    tail = covered(new.cd_offset, new.size)
    pieces.append(tail if tail is not None else Piece(new.cd_offset, new.size, "net"))
    merged = _fetch_small_gaps(_merge(pieces), gap)
    pos = 0
    for p in merged:
        if p.start != pos:
            raise Unusable("the plan does not cover the file")
        pos = p.end
    if pos != new.size:
        raise Unusable("the plan does not cover the file")
    return Plan(tuple(merged), blocks)
