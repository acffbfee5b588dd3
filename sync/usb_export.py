"""Writing or topping up a repository on a stick (a trainer's export).

Guarantees, in the order things happen:
1. The packs are the vault's original signed files, byte for byte (signatures intact).
2. Before anything on the stick is touched: unknown pack ids, files over the FAT32 limit
   (4 GiB - 1), a read-only stick and too little free space are each refused with one
   sentence, and the stick is left exactly as it was.
3. Leftover temporary files of an interrupted copy are removed; a file on the stick that
   is damaged (it fails verification) is removed and, if the vault has it, rewritten.
4. Each pack is written under a temporary name, flushed, fsynced, then renamed
   (sync.stickfs.write_atomic): a pulled stick never leaves a half-written file under a
   pack's name. A file already there with the same bytes is not copied again.
5. The index (signed with the trainer's key when one is given) is written the same way,
   and only then are superseded versions removed, so at every moment each file the
   index lists is on the stick.
The index lists only files Satchel hashed itself in this run; a pack on the stick signed
by a key this vault does not trust is left in place, unlisted.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from app.library import list_packs, media_providers, pack_bytes_reader
from app.trust import TrustStore, load_bundled_list, parse_trust_list
from app.vault import Vault
from content_packs.errors import PackRejected, UntrustedSigner
from content_packs.limits import SHA256_RE
from content_packs.verify import open_pack
from crypto.minisign import SecretKey
from sync.errors import (
    StickFull,
    StickReadOnly,
    StickRemoved,
    SyncError,
    TooLargeForStick,
    TransferCancelled,
    UnknownPack,
)
from sync.repository import (
    DEFAULT_FOLDER,
    FAT32_MAX_FILE,
    INDEX_NAME,
    INDEX_SIG_NAME,
    IndexEntry,
    is_pack_name,
    new_index,
    pack_file_name,
    sign_index,
)
from sync.source import FolderSource, find_repository
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
from sync.usb_import import NoFloors

log = logging.getLogger(__name__)

CHUNK = 1 << 20
Progress = Callable[[int, int], None]
Events = Callable[[str], None]


@dataclass(frozen=True)
class VaultPack:
    id: str
    version: int
    size: int
    sha256: str
    signer: str

    @property
    def file(self) -> str:
        return pack_file_name(self.sha256)

    def entry(self) -> IndexEntry:
        return IndexEntry(self.file, self.id, self.version, self.size, self.sha256, self.signer)


@dataclass(frozen=True)
class OnStick:
    name: str                      # as the stick spells it
    size: int
    sha256: str
    entry: IndexEntry | None       # None: damaged or untrusted (never listed)
    untrusted: bool = False


@dataclass
class ExportReport:
    folder: Path
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    stick_newer: list[str] = field(default_factory=list)
    removed: int = 0
    unlisted: int = 0
    bytes_written: int = 0
    signed_by: str | None = None


def _chunks(reader: object, cancel: threading.Event | None) -> Iterator[bytes]:
    while True:
        if cancel is not None and cancel.is_set():
            raise TransferCancelled("The copy was cancelled; nothing was changed on the stick.")
        data = reader.read(CHUNK)  # type: ignore[attr-defined]
        if not data:
            return
        yield data


def vault_packs(vault: Vault, pack_ids: Sequence[str] | None,
                cancel: threading.Event | None = None) -> list[VaultPack]:
    """The chosen packs with the SHA-256 of their original signed bytes.

    The vault recorded that hash when it stored the verified bytes; it is only used to
    name the file and to skip a copy already on the stick, and the copy is hashed again
    while it is written (a mismatch aborts it)."""
    infos = {p.id: p for p in list_packs(vault)}
    if pack_ids:
        for pid in pack_ids:
            if pid not in infos:
                raise UnknownPack(f"There is no pack {pid[:130]} in the library; nothing was written.")
        wanted = list(dict.fromkeys(pack_ids))
        # A pack that shows pictures another pack carries travels with that pack.
        chosen = [infos[p] for p in wanted + media_providers(vault, wanted)]
    else:
        chosen = list(infos.values())
    with vault.lock:
        recorded = {r[0]: (r[1], r[2]) for r in vault.conn.execute("SELECT id, size, sha256 FROM packs")}
    out = []
    for info in chosen:
        size, sha = recorded.get(info.id, (0, ""))
        if not (isinstance(sha, str) and SHA256_RE.fullmatch(sha)):
            digest, size = hashlib.sha256(), 0
            with pack_bytes_reader(vault, info.id) as reader:
                for data in _chunks(reader, cancel):
                    digest.update(data)
                    size += len(data)
            sha = digest.hexdigest()
        out.append(VaultPack(info.id, info.version, size, sha, info.signer))
    return out


def trust_list_bytes(vault: Vault, store: TrustStore) -> tuple[bytes, bytes] | None:
    """The vault's current trust list, signed by the publisher's roots, to carry along."""
    current = store.current_list()
    if current is None:
        return None
    with vault.lock:
        row = vault.conn.execute("SELECT document, signature FROM trust_list WHERE id = 1").fetchone()
    candidates = [(bytes(row[0]), str(row[1]).encode("utf-8"))] if row else []
    bundled = load_bundled_list()
    if bundled is not None:
        candidates.append(bundled)
    for doc, sig in candidates:
        try:
            if parse_trust_list(doc).version == current.version:
                return doc, sig
        except Exception:  # a damaged candidate is simply not carried
            continue
    return None


def _inspect(source: FolderSource, name: str, store: TrustStore, want: dict[str, VaultPack],
             cancel: threading.Event | None) -> OnStick:
    """Hash a pack file on the stick and, unless it is one of ours, verify its signature."""
    digest, size = hashlib.sha256(), 0
    with source.open(name) as f:
        for data in _chunks(f, cancel):
            digest.update(data)
            size += len(data)
        sha = digest.hexdigest()
        ours = want.get(sha)
        if ours is not None:
            return OnStick(name, size, sha, IndexEntry(name.lower(), ours.id, ours.version, size, sha, ours.signer))
        f.seek(0)
        try:
            with open_pack(f, NoFloors(store)) as pack:
                m = pack.manifest
                pack.verify_all()
        except UntrustedSigner:
            return OnStick(name, size, sha, None, untrusted=True)
        except PackRejected:
            return OnStick(name, size, sha, None)
    return OnStick(name, size, sha, IndexEntry(name.lower(), m.id, m.version, size, sha, m.signer))


def export_to_stick(vault: Vault, dest: Path, pack_ids: Sequence[str] | None = None,
                    key: SecretKey | None = None, progress: Progress | None = None,
                    cancel: threading.Event | None = None, store: TrustStore | None = None,
                    events: Events | None = None) -> ExportReport:
    """Write or top up the repository at `dest` (a stick's root or a repository folder)."""
    dest = Path(dest)
    if not dest.is_dir():
        raise SyncError(f"There is no folder at {dest}.")
    store = store or TrustStore(vault)
    presence = Presence(dest, dest)
    wanted = vault_packs(vault, pack_ids, cancel)
    by_sha = {w.sha256: w for w in wanted}
    try:
        folder = find_repository(dest) or dest / DEFAULT_FOLDER
        source = FolderSource(folder, dest)
        existing = [n for n in source.names() if is_pack_name(n)] if folder.is_dir() else []
        leftovers = list(source.leftovers)
        on_stick = [_inspect(source, n, store, by_sha, cancel) for n in existing]
    except OSError as exc:
        if not presence.alive():
            raise StickRemoved("The stick was removed or can no longer be read; nothing was written.") from None
        raise SyncError(f"Satchel cannot read the stick: {exc.strerror}; nothing was written.") from None
    report = ExportReport(folder, signed_by=key.public.key_id_hex if key else None)

    # -- the plan -----------------------------------------------------------------
    newest_on_stick: dict[str, int] = {}
    for s in on_stick:
        if s.entry is not None:
            newest_on_stick[s.entry.id] = max(newest_on_stick.get(s.entry.id, 0), s.entry.version)
    present = {s.sha256 for s in on_stick if s.entry is not None}
    to_write: list[VaultPack] = []
    for w in wanted:
        if w.sha256 in present:
            report.kept.append(w.id)
        elif newest_on_stick.get(w.id, 0) > w.version:
            report.stick_newer.append(w.id)
        else:
            to_write.append(w)
    written_ids = {w.id for w in to_write}
    keep = [s for s in on_stick if s.entry is not None and s.entry.id not in written_ids]
    superseded = [s for s in on_stick if s.entry is not None and s.entry.id in written_ids]
    damaged = [s for s in on_stick if s.entry is None and not s.untrusted]
    report.unlisted = sum(1 for s in on_stick if s.untrusted)

    # -- refusals before anything is touched ------------------------------------------
    if any(w.size > FAT32_MAX_FILE for w in to_write):
        raise TooLargeForStick("A pack is larger than a FAT32 stick allows (4 GiB per file); nothing was written.")
    if is_read_only(dest):
        raise StickReadOnly("The stick is read-only (write-protected); nothing was written.")
    if to_write:
        free = free_bytes(dest)
        unit = allocation_unit(dest)
        reclaim = sum(_size(folder / n) for n in leftovers)
        need = space_needed((w.size for w in to_write), unit, extra=64 * 1024 * (1 + len(wanted) // 100))
        if free is not None and free + reclaim < need:
            raise StickFull(f"The stick has {_mb(free)} free, but the copy needs {_mb(need)}; nothing was written.")
    if events:
        events("prepared")

    # -- writing ------------------------------------------------------------------------
    total = sum(w.size for w in to_write)
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    def state() -> str:
        return f"{len(report.written)} of {len(to_write)} pack(s) were written completely"

    index_entries = [s.entry for s in keep if s.entry is not None]
    try:
        if progress is not None:
            progress(0, total)
        folder.mkdir(exist_ok=True)
        for name in leftovers:
            remove_quietly(folder / name)
        for s in damaged:
            os.unlink(folder / s.name)
            report.removed += 1
        for w in to_write:
            with pack_bytes_reader(vault, w.id) as reader:
                sha = write_atomic(folder, w.file, prefetch(_chunks(reader, cancel)), w.size, step, cancel)
            if sha != w.sha256:
                remove_quietly(folder / w.file)
                raise SyncError("A pack changed in the library while it was being copied; export again.")
            report.written.append(w.id)
            report.bytes_written += w.size
            index_entries.append(w.entry())
            if events:
                events("file-done")
        trust = trust_list_bytes(vault, store)
        _write_index(folder, source, index_entries, trust, key)
        if events:
            events("index-done")
        listed = {e.file for e in index_entries}
        for s in superseded:
            if s.name.lower() not in listed:
                os.unlink(folder / s.name)
                report.removed += 1
    except TransferCancelled:
        _finish_after_cancel(folder, source, index_entries + [s.entry for s in superseded if s.entry],
                             trust_list_bytes(vault, store), key, presence)
        raise TransferCancelled(f"The copy was cancelled: {state()}, and the stick's index lists "
                                "exactly what is complete.") from None
    except OSError as exc:
        raise stick_error(exc, presence, state()) from None
    log.info("export finished")
    return report


def _finish_after_cancel(folder: Path, source: FolderSource, entries: list[IndexEntry],
                         trust: tuple[bytes, bytes] | None, key: SecretKey | None, presence: Presence) -> None:
    try:
        if folder.is_dir():
            _write_index(folder, source, entries, trust, key)
    except OSError:
        pass  # the next export writes it


def _write_index(folder: Path, source: FolderSource, entries: list[IndexEntry],
                 trust: tuple[bytes, bytes] | None, key: SecretKey | None) -> None:
    index = new_index(entries, trust)
    data = index.to_bytes()
    # A name spelled in another case (written by another computer) must not survive beside ours.
    for name in source.names() if folder.is_dir() else []:
        low = name.lower()
        if low in (INDEX_NAME, INDEX_SIG_NAME) and name != low:
            os.unlink(folder / name)
    if key is None:
        remove_quietly(folder / INDEX_SIG_NAME)
        write_atomic(folder, INDEX_NAME, [data], len(data))
        return
    sig = sign_index(data, key, index.created).encode("utf-8")
    write_atomic(folder, INDEX_NAME, [data], len(data))
    write_atomic(folder, INDEX_SIG_NAME, [sig], len(sig))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"
