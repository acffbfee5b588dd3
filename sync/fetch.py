"""Bringing one pack file from an online repository into the vault: resumed, and for an
update, only what changed.

Steps, each before the next:
1. The download continues where an earlier one stopped (sync.downloads): only the
   missing bytes are asked for, with a Range request.
2. For a new version of a pack the vault holds, the new file's central directory and its
   manifest are fetched (Range requests to the tail and the head); the manifest's
   signature is verified by the one verifier (content_packs.verify.verify_manifest)
   before it is parsed; then sync.zipdelta plans which bytes come from the old kept
   file, which from what was just fetched, and which from the network.
3. The bytes are written in order into the vault's download rows, whatever their
   source, so an interrupted rebuild resumes like any download.
4. The whole file must hash to the SHA-256 the signed index gives. If a rebuilt file
   does not, it is dropped and the whole file fetched once; a fetched file that does
   not is dropped and refused.
The caller then verifies and imports the file like any pack.
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from app.library import pack_bytes_reader
from app.trust import TrustStore
from app.vault import Vault
from content_packs.errors import PackRejected
from content_packs.limits import DEFAULT_LIMITS, MANIFEST_NAME, SIGNATURE_NAME
from content_packs.manifest import Manifest, parse_manifest
from content_packs.verify import verify_manifest
from sync import downloads
from sync.downloads import Download
from sync.errors import RangeIgnored, TransferCancelled
from sync.http import OnionClient
from sync.planner import UPDATE, Planned
from sync.zipdelta import (
    TAIL_BYTES,
    Layout,
    Piece,
    Plan,
    Unusable,
    find_directory,
    member_data,
    parse_directory,
    plan_rebuild,
)

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
COPY_BYTES = 1 << 20
DELTA_MIN_SIZE = 256 * 1024      # below this a whole fetch costs less than planning one
DELTA_MAX_SHARE = 0.6            # planning found more than this to fetch: fetch it whole


@dataclass
class Fetched:
    download: Download
    rebuilt: bool           # some bytes came from the old version in the vault


def _read_range(reader: object, start: int, end: int) -> bytes:
    reader.seek(start)  # type: ignore[attr-defined]
    data: bytes = reader.read(end - start)  # type: ignore[attr-defined]
    if len(data) != end - start:
        raise Unusable("the kept file is shorter than its directory says")
    return data


def _layout_from(read: Callable[[int, int], bytes], size: int) -> tuple[Layout, list[tuple[int, bytes]]]:
    """The archive's layout, reading its tail (and directory) with `read`; also returns
    the blocks read, so they need not be read again."""
    tail_start = max(0, size - TAIL_BYTES)
    tail = read(tail_start, size)
    cd_offset, cd_size, entries = find_directory(tail, tail_start, size)
    blocks = [(tail_start, tail)]
    if cd_offset < tail_start:
        extra = read(cd_offset, tail_start)
        blocks.insert(0, (cd_offset, extra))
        directory = extra + tail
        directory = directory[: cd_size]
    else:
        directory = tail[cd_offset - tail_start: cd_offset - tail_start + cd_size]
    return parse_directory(directory, entries, cd_offset, size), blocks


def _old_version(vault: Vault, pack_id: str) -> tuple[Layout, Manifest]:
    with vault.lock:
        row = vault.conn.execute("SELECT manifest FROM packs WHERE id = ?", (pack_id,)).fetchone()
    if row is None:
        raise Unusable("the vault no longer holds the pack")
    manifest = parse_manifest(bytes(row[0]))   # verified when it was imported
    with pack_bytes_reader(vault, pack_id) as reader:
        size = reader.seek(0, 2)
        layout, _ = _layout_from(lambda a, b: _read_range(reader, a, b), size)
    return layout, manifest


def plan_update(vault: Vault, client: OnionClient, store: TrustStore, planned: Planned) -> Plan:
    """Step 2: what to fetch to rebuild the new version (raises Unusable to fetch it whole,
    PackRejected if its manifest is forged or disagrees with the index)."""
    entry = planned.entry
    size = entry.size

    def fetch(start: int, end: int) -> bytes:
        with client.fetch(entry.file, start=start, end=end, size=size) as response:
            return response.read_all()

    old_layout, old_manifest = _old_version(vault, entry.id)
    layout, blocks = _layout_from(fetch, size)
    manifest_m, sig_m = layout.member(MANIFEST_NAME), layout.member(SIGNATURE_NAME)
    if manifest_m is None or sig_m is None:
        raise PackRejected("This file is not a Satchel pack (it has no signed manifest).")
    head_end = max(manifest_m.end, sig_m.end)
    if head_end > 2 * DEFAULT_LIMITS.manifest_bytes or manifest_m.csize > DEFAULT_LIMITS.manifest_bytes:
        raise Unusable("the manifest is not near the start")
    head = next((data for start, data in blocks if start == 0 and len(data) >= head_end), None)
    if head is None:
        head = fetch(0, head_end)
        blocks.append((0, head))
    sig_bytes = member_data(head[sig_m.offset: sig_m.end], sig_m)
    raw = member_data(head[manifest_m.offset: manifest_m.end], manifest_m)
    if manifest_m.method == 8:
        inflater = zlib.decompressobj(-15)
        try:
            manifest_bytes = inflater.decompress(raw, DEFAULT_LIMITS.manifest_bytes + 1)
        except zlib.error:
            raise PackRejected("The pack is damaged or truncated.") from None
        if len(manifest_bytes) > DEFAULT_LIMITS.manifest_bytes or not inflater.eof:
            raise PackRejected("The pack's manifest is larger than Satchel accepts.")
    elif manifest_m.method == 0:
        manifest_bytes = raw
    else:
        raise Unusable("a manifest compressed in another way")
    manifest, _grant, _ = verify_manifest(manifest_bytes, sig_bytes, store)
    if (manifest.id, manifest.version, manifest.signer) != (entry.id, entry.version, entry.signer):
        raise PackRejected("The pack on the repository is not the one its index describes; it was refused.")
    return plan_rebuild(layout, manifest, old_layout, old_manifest, blocks)


def _whole(size: int) -> Plan:
    return Plan((Piece(0, size, "net"),), ())


def _execute(vault: Vault, client: OnionClient, d: Download, plan: Plan, progress: Progress | None,
             cancel: threading.Event | None) -> None:
    """Step 3: write every byte from d.position on, each from its source, in order."""
    entry = d.entry
    old = pack_bytes_reader(vault, entry.id) if plan.old_bytes else None
    try:
        for piece in plan.pieces:
            if piece.end <= d.position:
                continue
            start = max(piece.start, d.position)   # resumed inside a piece: from where it stopped
            if cancel is not None and cancel.is_set():
                raise TransferCancelled("The download was cancelled; what arrived is kept for next time.")
            if piece.kind == "mem":
                block = plan.blocks[piece.block]
                offset = piece.at + (start - piece.start)
                downloads.write(vault, d, block[offset: offset + (piece.end - start)])
            elif piece.kind == "old":
                assert old is not None
                pos = piece.at + (start - piece.start)
                end = piece.at + piece.length
                while pos < end:
                    data = _read_range(old, pos, min(end, pos + COPY_BYTES))
                    downloads.write(vault, d, data)
                    pos += len(data)
                    if progress is not None:
                        progress(d.position, d.size)
            else:
                whole = start == 0 and piece.end == d.size
                with client.fetch(entry.file, start=0 if whole else start, end=None if whole else piece.end,
                                  size=d.size) as response:
                    for chunk in response.chunks():
                        downloads.write(vault, d, chunk)
                        if progress is not None:
                            progress(d.position, d.size)
            if progress is not None:
                progress(d.position, d.size)
    finally:
        if old is not None:
            old.close()


def fetch_pack(vault: Vault, client: OnionClient, store: TrustStore, planned: Planned,
               progress: Progress | None = None, cancel: threading.Event | None = None) -> Fetched:
    """Steps 1 to 4 for one wanted pack; the file is then complete in the vault."""
    entry = planned.entry
    d = downloads.open_download(vault, str(client.url), entry)
    plan = _whole(entry.size)
    if planned.state == UPDATE and entry.size >= DELTA_MIN_SIZE and d.done < entry.size:
        try:
            candidate = plan_update(vault, client, store, planned)
            if candidate.net_bytes <= DELTA_MAX_SHARE * entry.size:
                plan = candidate
        except Unusable:
            log.info("an update is fetched whole: its layout allows no partial rebuild")
    rebuilt = plan.old_bytes > 0
    try:
        try:
            _execute(vault, client, d, plan, progress, cancel)
        except RangeIgnored:
            downloads.discard(vault, d)
            d = downloads.open_download(vault, str(client.url), entry)
            plan, rebuilt = _whole(entry.size), False
            _execute(vault, client, d, plan, progress, cancel)
    except BaseException:
        _keep(vault, d)
        raise
    downloads.flush(vault, d)
    if d.done != entry.size or downloads.sha256(vault, d) != entry.sha256:
        downloads.discard(vault, d)
        if not rebuilt:
            raise PackRejected("The downloaded file does not match the repository's signed index; it was "
                               "discarded.")
        log.info("a rebuilt update did not match its index; fetching it whole")
        d = downloads.open_download(vault, str(client.url), entry)
        try:
            _execute(vault, client, d, _whole(entry.size), progress, cancel)
        except BaseException:
            _keep(vault, d)
            raise
        downloads.flush(vault, d)
        if downloads.sha256(vault, d) != entry.sha256:
            downloads.discard(vault, d)
            raise PackRejected("The downloaded file does not match the repository's signed index; it was "
                               "discarded.")
        rebuilt = False
    return Fetched(d, rebuilt)


def _keep(vault: Vault, d: Download) -> None:
    """After an interruption: commit what arrived, so the next sync continues from it
    (impossible when the vault was just locked or wiped: then only committed rows stay)."""
    try:
        downloads.flush(vault, d)
    except Exception:
        pass  # the vault is closed; its committed rows are what resumes
