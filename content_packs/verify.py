"""The one pack verifier, used by `pack verify`, import, USB and Tor alike.

Order of checks (DESIGN.md, Pack file), each before the next may start:
1. the file's size against the cap; then the ZIP end records and central directory are
   checked by content_packs.zipcheck (entry count, directory size, one disk, stored or
   deflated members only, none encrypted) before zipfile parses the directory;
2. a carried trust list, if the caller asks for it, is read (capped) and handed over
   before the pack's own signature is looked at, from the same open archive;
3. the signature and manifest members exist once, within their caps; the signature is
   parsed (prehashed 'ED' only) and its key must be known to the trust policy;
4. the signature is verified over the raw manifest bytes (and a pack signed with the
   public sample key must have a pinned manifest, app.trust.check_sample_pin): only then
   is the manifest parsed (strictly, bounded);
5. the trusted comment must name the manifest's id and version; the key's revocation,
   expiry, scope, binding and the version floor are checked;
6. the archive's members must equal the manifest's file list exactly: no extra, missing,
   duplicate, absolute, '..', directory, link or encrypted entries;
7. members are then read one at a time with a cap at their declared size and a SHA-256
   check; nothing is ever extracted to disk.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from app.trust import Grant, OlderVersion, TrustError, TrustPolicy, check_sample_pin
from content_packs.errors import PackRejected, UntrustedSigner, VersionRefused
from content_packs.images import HEAD_BYTES
from content_packs.limits import (
    DEFAULT_LIMITS,
    MANIFEST_NAME,
    SIGNATURE_NAME,
    TRUST_NAME,
    TRUST_SIG_NAME,
    Limits,
    check_member_path,
)
from content_packs.manifest import FileEntry, Manifest, parse_manifest, parse_trusted_comment
from content_packs.zipcheck import check_directory
from crypto import minisign
from crypto.minisign import MinisignError

CHUNK = 1 << 20


def _damaged(what: str = "") -> PackRejected:
    return PackRejected(f"The pack is damaged or truncated{what}.")


@dataclass
class VerifiedPack:
    """A pack whose manifest verified; members are checked as they are read."""

    manifest: Manifest
    manifest_bytes: bytes
    signature_text: str
    grant: Grant
    signed_at: int
    size: int
    _archive: zipfile.ZipFile
    _file: BinaryIO
    _owns_file: bool
    limits: Limits = DEFAULT_LIMITS

    def _stored_offset(self, entry: FileEntry) -> int | None:
        """Where a stored (uncompressed) member's bytes start, from its local header; None
        if the member is compressed. Its bytes are then read straight from the file and
        checked by SHA-256, which also makes zipfile's CRC-32 pass unnecessary."""
        info = self._archive.getinfo(entry.path)
        if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
            return None
        return self._data_offset(info, entry.size)

    def _data_offset(self, info: zipfile.ZipInfo, size: int) -> int:
        with self._lock():
            self._file.seek(info.header_offset)
            header = self._file.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise _damaged()
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        start: int = info.header_offset + 30 + name_len + extra_len
        if start + size > self.size:
            raise _damaged()
        return start

    def read_page(self, entry: FileEntry) -> tuple[bytes, bytes | None]:
        """A member's checked bytes and, when it is deflated (as pack build writes pages),
        the raw DEFLATE stream they were inflated from, so that the caller can keep the
        page compressed exactly as signed; None when the member is stored, or its stream
        is larger than a sane encoder would make it."""
        try:
            info = self._archive.getinfo(entry.path)
        except KeyError:
            raise _damaged() from None
        bound = entry.size + entry.size // 8 + 1024  # zlib's worst case is far below this
        if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x1 or info.compress_size > bound:
            return self.read_member(entry), None
        try:
            start = self._data_offset(info, info.compress_size)
            with self._lock():
                self._file.seek(start)
                stream = self._file.read(info.compress_size)
        except OSError:
            raise _damaged() from None
        inflater = zlib.decompressobj(-15)
        try:
            data = inflater.decompress(stream, entry.size + 1)
        except zlib.error:
            raise _damaged() from None
        if len(stream) != info.compress_size or not inflater.eof or inflater.unused_data:
            raise _damaged()
        if len(data) != entry.size or hashlib.sha256(data).hexdigest() != entry.sha256:
            raise PackRejected("A file in the pack does not match its signature; the pack was refused.")
        return data, stream

    def _lock(self) -> contextlib.AbstractContextManager[object]:
        lock = getattr(self._archive, "_lock", None)
        return lock if lock is not None else contextlib.nullcontext()

    def _iter_stored(self, entry: FileEntry, start: int, chunk: int) -> Iterator[bytes]:
        digest = hashlib.sha256()
        pos, end = start, start + entry.size
        while pos < end:
            with self._lock():
                self._file.seek(pos)
                data = self._file.read(min(chunk, end - pos))
            if not data:
                raise _damaged()
            pos += len(data)
            digest.update(data)
            yield data
        if digest.hexdigest() != entry.sha256:
            raise PackRejected("A file in the pack does not match its signature; the pack was refused.")

    def iter_member(self, entry: FileEntry, chunk: int = CHUNK) -> Iterator[bytes]:
        """Yield a member's bytes; raise at the first byte past its declared size or on a bad hash."""
        try:
            start = self._stored_offset(entry)
        except (KeyError, OSError):
            raise _damaged() from None
        if start is not None:
            yield from self._iter_stored(entry, start, chunk)
            return
        digest = hashlib.sha256()
        total = 0
        try:
            with self._archive.open(entry.path) as member:
                while True:
                    want = min(chunk, entry.size - total + 1)
                    data = member.read(want)
                    if not data:
                        break
                    total += len(data)
                    if total > entry.size:
                        raise PackRejected(
                            "A file in the pack is larger than its signed size; the pack was refused."
                        )
                    digest.update(data)
                    yield data
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError):
            raise _damaged() from None
        except Exception as exc:  # zlib.error and friends from a doctored stream
            if isinstance(exc, PackRejected):
                raise
            raise _damaged() from None
        if total != entry.size or digest.hexdigest() != entry.sha256:
            raise PackRejected("A file in the pack does not match its signature; the pack was refused.")

    def read_member(self, entry: FileEntry) -> bytes:
        return b"".join(self.iter_member(entry))

    def verify_all(self) -> None:
        """Read and check every member (what `pack verify` and `usb check` do)."""
        for entry in self.manifest.files:
            for _ in self.iter_member(entry):
                pass

    def stored_range(self, entry: FileEntry) -> tuple[int, int] | None:
        """Where a stored (uncompressed) member's bytes lie in the pack file, or None if
        the member is compressed."""
        try:
            start = self._stored_offset(entry)
        except (KeyError, OSError):
            raise _damaged() from None
        return None if start is None else (start, start + entry.size)

    def raw_checker(self, entries: Iterable[FileEntry]) -> RawChecker:
        """A checker for the raw bytes as they are kept: the whole file's SHA-256, and
        the given stored members' hashes checked on those very bytes."""
        ranges = []
        for entry in entries:
            where = self.stored_range(entry)
            if where is None:
                raise ValueError("only stored members can be checked on the raw bytes")
            ranges.append(_Range(where[0], where[1], entry.sha256, hashlib.sha256(), entry.path))
        return RawChecker(ranges, self.size)

    def raw_chunks(self, chunk: int = CHUNK) -> Iterator[bytes]:
        """The whole pack file as signed, for keeping it in the vault unchanged.

        Safe to run while another thread reads members: both go through the archive's
        lock, and zipfile seeks to its own position before each of its reads.
        """
        pos = 0
        while pos < self.size:
            with self._lock():
                self._file.seek(pos)
                data = self._file.read(min(chunk, self.size - pos))
            if not data:
                raise _damaged()
            pos += len(data)
            yield data

    def close(self) -> None:
        self._archive.close()
        if self._owns_file:
            self._file.close()

    def __enter__(self) -> VerifiedPack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class _Range:
    start: int
    end: int
    sha256: str
    digest: Any
    path: str = ""
    head: bytes = b""   # the member's first HEAD_BYTES bytes, as kept (its type is judged on them)


class RawChecker:
    """Fed the pack file's bytes in order (the bytes being kept, not a second read of
    the file, which a hostile filesystem could answer differently), it computes the
    file's SHA-256 and checks the hashes of stored members as their bytes go by."""

    def __init__(self, ranges: list[_Range], size: int) -> None:
        self._size = size
        self._pending = collections.deque(sorted(ranges, key=lambda r: r.start))
        self._active: list[_Range] = []
        self._done: list[_Range] = []
        self._pos = 0
        self._whole = hashlib.sha256()

    def feed(self, chunk: bytes) -> None:
        start, end = self._pos, self._pos + len(chunk)
        self._whole.update(chunk)
        view = memoryview(chunk)
        while self._pending and self._pending[0].start < end:
            self._active.append(self._pending.popleft())
        still: list[_Range] = []
        for r in self._active:
            a, b = max(r.start, start), min(r.end, end)
            if a < b:
                r.digest.update(view[a - start : b - start])
                if len(r.head) < HEAD_BYTES:
                    r.head += bytes(view[a - start : min(b, a + HEAD_BYTES - len(r.head)) - start])
            (still if r.end > end else self._done).append(r)
        self._active = still
        self._pos = end

    def finish(self) -> str:
        """The whole file's SHA-256; raises if a member did not match or the bytes ended early."""
        self._done += self._active + list(self._pending)
        if self._pos != self._size or any(r.end > self._pos for r in self._done):
            raise _damaged()
        if any(r.digest.hexdigest() != r.sha256 for r in self._done):
            raise PackRejected("A file in the pack does not match its signature; the pack was refused.")
        return self._whole.hexdigest()

    def heads(self) -> dict[str, bytes]:
        """Each checked member's first bytes, by path (once `finish` has passed)."""
        return {r.path: r.head for r in self._done}


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, what: str) -> bytes:
    if info.file_size > cap:
        raise PackRejected(f"The pack's {what} is larger than Satchel accepts.")
    try:
        with archive.open(info) as member:
            data = member.read(cap + 1)
    except Exception:
        raise _damaged() from None
    if len(data) > cap:
        raise PackRejected(f"The pack's {what} is larger than Satchel accepts.")
    return data


def _is_link_or_dir(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return info.is_dir() or stat.S_ISLNK(mode) or (mode != 0 and stat.S_IFMT(mode) not in (0, stat.S_IFREG))


def read_raw(archive: zipfile.ZipFile, name: str, cap: int, what: str) -> bytes | None:
    """A root member's bytes, capped, with no parsing (None if absent)."""
    infos = [i for i in archive.infolist() if i.filename == name]
    if len(infos) > 1:
        raise PackRejected("The pack holds the same file twice; it was refused.")
    if not infos:
        return None
    return _read_capped(archive, infos[0], cap, what)


def open_archive(
    source: Path | BinaryIO, limits: Limits = DEFAULT_LIMITS
) -> tuple[zipfile.ZipFile, BinaryIO, bool, int]:
    """Open a pack file as a ZIP after checking its size (step 1)."""
    owns = isinstance(source, (str, Path))
    try:
        f: BinaryIO = open(source, "rb") if owns else source  # type: ignore[arg-type,assignment]  # noqa: SIM115
    except IsADirectoryError:
        raise PackRejected("That is a folder, not a pack file.") from None
    except OSError as exc:
        raise PackRejected(f"Satchel cannot read the pack file: {exc.strerror}.") from None
    try:
        size = f.seek(0, os.SEEK_END)
        f.seek(0)
        if size == 0:
            raise PackRejected("The pack file is empty.")
        if size > limits.pack_bytes:
            raise PackRejected("The pack is larger than Satchel accepts.")
        check_directory(f, size, limits)
        f.seek(0)
        try:
            archive = zipfile.ZipFile(f)
        except zipfile.BadZipFile:
            raise PackRejected(
                "This file is not a Satchel pack (it is not a ZIP archive, or it is truncated)."
            ) from None
        except Exception:   # NotImplementedError for an unknown ZIP version, and whatever else zipfile raises
            raise _damaged() from None
    except BaseException:
        if owns:
            f.close()
        raise
    return archive, f, owns, size


# Called with a carried trust list's document and signature (capped, unparsed) before the
# pack's own signature is checked, so that a newer list's revocations apply to this pack.
CarriedList = Callable[[bytes, bytes], None]


def open_pack(source: Path | BinaryIO, policy: TrustPolicy, limits: Limits = DEFAULT_LIMITS,
              carried: CarriedList | None = None) -> VerifiedPack:
    """Verify a pack's signature, manifest, trust and member list (steps 1-6)."""
    archive, f, owns, size = open_archive(source, limits)
    try:
        if carried is not None:
            _hand_over_trust_list(archive, limits, carried)
        return _verify_open(archive, f, owns, size, policy, limits)
    except BaseException:
        archive.close()
        if owns:
            f.close()
        raise


def _hand_over_trust_list(archive: zipfile.ZipFile, limits: Limits, carried: CarriedList) -> None:
    """Step 2. A missing, doubled or oversized carried list is no reason to refuse the pack
    here: the member checks of step 6 judge the pack on its own."""
    try:
        doc = read_raw(archive, TRUST_NAME, limits.trust_list_bytes, "trust list")
        sig = read_raw(archive, TRUST_SIG_NAME, limits.signature_bytes, "trust list signature")
    except PackRejected:
        return
    if doc is not None and sig is not None:
        carried(doc, sig)


def _verify_open(archive: zipfile.ZipFile, f: BinaryIO, owns: bool, size: int,
                 policy: TrustPolicy, limits: Limits) -> VerifiedPack:
    infos = archive.infolist()
    if len(infos) > limits.files + 2:
        raise PackRejected("The pack holds more files than Satchel accepts.")
    sig_bytes = read_raw(archive, SIGNATURE_NAME, limits.signature_bytes, "signature")
    manifest_bytes = read_raw(archive, MANIFEST_NAME, limits.manifest_bytes, "manifest")
    if sig_bytes is None or manifest_bytes is None:
        raise PackRejected("This file is not a Satchel pack (it has no signed manifest).")
    manifest, grant, signed_at = verify_manifest(manifest_bytes, sig_bytes, policy, limits)
    _check_members(infos, manifest, limits)
    return VerifiedPack(manifest, manifest_bytes, sig_bytes.decode("utf-8"), grant, signed_at, size,
                        archive, f, owns, limits)


def verify_manifest(manifest_bytes: bytes, sig_bytes: bytes, policy: TrustPolicy,
                    limits: Limits = DEFAULT_LIMITS) -> tuple[Manifest, Grant, int]:
    """Steps 2 to 4 on a manifest and its signature alone: the signature by a key the
    policy knows, verified over the raw bytes, then (only then) the strict parse, the
    trusted comment, the signer, trust and version floor. Used by the pack verifier and
    by an online update that reads a new manifest before fetching the members it names."""
    if len(manifest_bytes) > limits.manifest_bytes or len(sig_bytes) > limits.signature_bytes:
        raise PackRejected("The pack's manifest is larger than Satchel accepts.")
    try:
        sig = minisign.parse_signature(sig_bytes)
    except MinisignError as exc:
        raise PackRejected(str(exc)) from None
    key_id_hex = int.from_bytes(sig.key_id, "little").to_bytes(8, "big").hex().upper()
    grant = policy.grant_for(key_id_hex)
    if grant is None:
        raise UntrustedSigner(f"This pack was signed by a key you do not trust (key id {key_id_hex}).",
                              unknown_key=key_id_hex)
    try:
        minisign.verify(grant.key, manifest_bytes, sig)
    except MinisignError:
        raise PackRejected(
            "The pack's signature does not match its manifest; it may have been tampered with."
        ) from None
    try:
        check_sample_pin(grant, manifest_bytes)   # the sample key's secret is public
    except TrustError as exc:
        raise UntrustedSigner(str(exc)) from None
    # Only now, with the signature verified, is anything inside the pack parsed.
    manifest = parse_manifest(manifest_bytes, limits)
    comment_id, comment_version, signed_at = parse_trusted_comment(sig.trusted_comment)
    if comment_id != manifest.id or comment_version != manifest.version:
        raise PackRejected("The signature's trusted comment does not match the pack's id and version.")
    if manifest.signer != key_id_hex:
        raise PackRejected("The pack's manifest names a different signer than its signature.")
    try:
        policy.check(manifest.id, manifest.version, grant)
    except OlderVersion as exc:
        raise VersionRefused(str(exc)) from None
    except TrustError as exc:
        raise UntrustedSigner(str(exc)) from None
    return manifest, grant, signed_at


def _check_members(infos: list[zipfile.ZipInfo], manifest: Manifest, limits: Limits) -> None:
    expected = {e.path: e for e in manifest.files}
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        if name in seen:
            raise PackRejected("The pack holds the same file twice; it was refused.")
        seen.add(name)
        if name in (MANIFEST_NAME, SIGNATURE_NAME):
            if _is_link_or_dir(info) or info.flag_bits & 0x1:
                raise PackRejected("The pack's manifest entry is not a plain file.")
            continue
        if check_member_path(name, limits) is not None:
            raise PackRejected("The pack holds a file with an unsafe path; it was refused.")
        entry = expected.get(name)
        if entry is None:
            raise PackRejected("The pack holds a file its manifest does not list; it was refused.")
        if _is_link_or_dir(info):
            raise PackRejected("The pack holds a link or folder entry; it was refused.")
        if info.flag_bits & 0x1:
            raise PackRejected("The pack holds an encrypted entry; it was refused.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise PackRejected("The pack uses a compression method Satchel does not accept.")
        if info.file_size != entry.size:
            raise PackRejected("A file in the pack does not have its signed size; the pack was refused.")
    missing = set(expected) - seen
    if missing:
        raise PackRejected("A file listed in the pack's manifest is missing; the pack was refused.")


def verify_pack_file(source: Path | BinaryIO, policy: TrustPolicy, limits: Limits = DEFAULT_LIMITS) -> Manifest:
    """Verify everything in a pack without a vault; return its manifest."""
    with open_pack(source, policy, limits) as pack:
        pack.verify_all()
        return pack.manifest
