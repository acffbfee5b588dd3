"""Writing a sealed stick: the repository as one encrypted file (sync.sealed).

The same refusals as a plain export come before anything is written (unknown ids, the
FAT32 limit on the one file, a read-only stick, too little space); the file is written
under a temporary name, fsynced, then renamed, so a pulled stick never leaves a sealed
file that looks whole. A sealed file already on the stick that opens with the same
passphrase is replaced under its own name; nothing else on the stick is touched except
leftover temporary files of an earlier interrupted copy.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from app.library import pack_bytes_reader
from app.trust import TrustStore
from app.vault import Vault
from crypto.minisign import SecretKey
from sync.errors import SealedError, StickFull, StickReadOnly, SyncError, TooLargeForStick, TransferCancelled
from sync.repository import FAT32_MAX_FILE, INDEX_NAME, INDEX_SIG_NAME, TEMP_NAME_RE, new_index, sign_index
from sync.sealed import SealedReader, container_header, sealed_candidates, sealed_chunks, sealed_size
from sync.source import scan_folder
from sync.stickfs import (
    Presence,
    allocation_unit,
    free_bytes,
    is_read_only,
    prefetch,
    remove_quietly,
    space_needed,
    stick_error,
    write_atomic,
)
from sync.usb_export import CHUNK, Events, ExportReport, Progress, trust_list_bytes, vault_packs

log = logging.getLogger(__name__)


def _existing_name(root: Path, passphrase: str) -> str | None:
    for path in sealed_candidates(root):
        try:
            SealedReader(path, passphrase).close()
            return path.name
        except (SealedError, OSError):
            continue
    return None


def export_sealed(vault: Vault, dest: Path, passphrase: str, pack_ids: Sequence[str] | None = None,
                  key: SecretKey | None = None, progress: Progress | None = None,
                  cancel: threading.Event | None = None, store: TrustStore | None = None,
                  events: Events | None = None) -> ExportReport:
    """Write the chosen packs as one sealed file at the top of `dest`."""
    dest = Path(dest)
    if not dest.is_dir():
        raise SyncError(f"There is no folder at {dest}.")
    if not passphrase:
        raise SealedError("A sealed stick needs a passphrase.")
    store = store or TrustStore(vault)
    presence = Presence(dest, dest)
    wanted = vault_packs(vault, pack_ids, cancel)
    index = new_index([w.entry() for w in wanted], trust_list_bytes(vault, store))
    index_bytes = index.to_bytes()
    members: list[tuple[str, int]] = [(INDEX_NAME, len(index_bytes))]
    sig = sign_index(index_bytes, key, index.created).encode("utf-8") if key else None
    if sig is not None:
        members.append((INDEX_SIG_NAME, len(sig)))
    members += [(w.file, w.size) for w in wanted]
    header = container_header(members)
    plain = len(header) + sum(size for _, size in members)
    total = sealed_size(plain)
    if total > FAT32_MAX_FILE:
        raise TooLargeForStick("The sealed file would be larger than a FAT32 stick allows (4 GiB); "
                               "choose fewer packs. Nothing was written.")
    if is_read_only(dest):
        raise StickReadOnly("The stick is read-only (write-protected); nothing was written.")
    try:
        _, leftovers = scan_folder(dest)
    except OSError:
        leftovers = []
    name = _existing_name(dest, passphrase) or f"{secrets.token_hex(4)}.dat"
    free = free_bytes(dest)
    need = space_needed([total], allocation_unit(dest))
    if free is not None and free < need:
        raise StickFull(f"The stick has {free / 1e6:.1f} MB free, but the sealed file needs "
                        f"{need / 1e6:.1f} MB; nothing was written.")
    if events:
        events("prepared")

    def parts() -> Iterator[bytes]:
        yield header
        yield index_bytes
        if sig is not None:
            yield sig
        for w in wanted:
            with pack_bytes_reader(vault, w.id) as reader:
                while data := reader.read(CHUNK):
                    yield data

    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    try:
        for leftover in leftovers:
            if TEMP_NAME_RE.fullmatch(leftover):
                remove_quietly(dest / leftover)
        write_atomic(dest, name, prefetch(sealed_chunks(passphrase, parts(), plain)), total, step, cancel)
    except TransferCancelled:
        raise TransferCancelled("The copy was cancelled; the stick holds no new sealed file.") from None
    except OSError as exc:
        raise stick_error(exc, presence, "the sealed file was not completed") from None
    log.info("sealed export finished")
    report = ExportReport(dest / name, written=[w.id for w in wanted], bytes_written=total,
                          signed_by=key.public.key_id_hex if key else None)
    if events:
        events("file-done")
    return report
