"""What is on a stick, in the vault's eyes, and importing the chosen packs from it.

Guarantees:
- Every pack file is judged on its own signature (content_packs.verify) whatever the
  index says; the index only adds what is missing or stale (sync.usb_check).
- States: new, update, already have, older than yours, untrusted signer, damaged. Only
  text from a verified manifest is shown; an unverified pack is shown by its file name.
- Each chosen pack is verified and imported atomically (content_packs.importer); a
  tampered pack is reported and the others still go in.
- A pulled stick stops the import with StickRemoved: the packs already imported stay,
  the one in flight leaves no trace (its transaction rolls back). A cancel does the same
  with TransferCancelled. Both carry the report of what was done (`exc.report`).
- A newer, validly signed trust list carried by the index is adopted first (revocations
  travel by USB like content does); an invalid one is ignored.
- Nothing is written to the stick.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from app.errors import SatchelError, VaultClosed
from app.library import get_pack
from app.trust import Grant, OlderVersion, TrustError, TrustStore, check_grant
from app.vault import Vault
from content_packs.errors import ImportCancelled, PackRejected, UntrustedSigner
from content_packs.importer import ImportResult, import_pack
from content_packs.verify import open_pack
from sync.errors import StickRemoved, TransferCancelled
from sync.repository import IndexReport, RepoSource, pack_names, read_index

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

NEW, UPDATE, HAVE, OLDER, UNTRUSTED, DAMAGED = "new", "update", "have", "older", "untrusted", "damaged"
STATE_LABELS = {NEW: "new", UPDATE: "update", HAVE: "already have", OLDER: "older than yours",
                UNTRUSTED: "untrusted signer", DAMAGED: "damaged"}


class NoFloors:
    """The vault's trust (keys, scopes, revocation, expiry) without version floors:
    to learn what a pack is before judging its version against the library."""

    def __init__(self, store: TrustStore) -> None:
        self.store = store

    def grant_for(self, key_id_hex: str) -> Grant | None:
        return self.store.grant_for(key_id_hex)

    def check(self, pack_id: str, version: int, grant: Grant) -> None:
        check_grant(pack_id, grant, self.store.now(), self.store.current_list())


@dataclass(frozen=True)
class FoundPack:
    file: str
    size: int
    state: str
    pack_id: str | None = None
    version: int | None = None
    title: str | None = None
    language: str | None = None
    installed: int | None = None
    reason: str | None = None
    unknown_signer: str | None = None   # key id of a signer the vault does not know at all

    @property
    def importable(self) -> bool:
        return self.state in (NEW, UPDATE)

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]


@dataclass
class StickListing:
    packs: list[FoundPack]
    index: IndexReport
    trust_list_version: int | None = None


def adopt_trust_list(store: TrustStore, index: IndexReport) -> int | None:
    if index.index is None or index.index.trust_list is None:
        return None
    try:
        tl = store.adopt_list(*index.index.trust_list)
    except (TrustError, SatchelError):
        return None
    return tl.version if tl else None


def gone(source: RepoSource) -> StickRemoved:
    return StickRemoved("The stick was removed or can no longer be read.")


def judge(vault: Vault, store: TrustStore, source: RepoSource, name: str) -> FoundPack:
    """The state of one pack file (reads its manifest and member list, not every byte)."""
    try:
        size = source.size(name)
        with source.open(name) as f, open_pack(f, NoFloors(store)) as pack:
            m, grant = pack.manifest, pack.grant
    except UntrustedSigner as exc:
        return FoundPack(name, 0, UNTRUSTED, reason=str(exc), unknown_signer=exc.unknown_key)
    except PackRejected as exc:
        if not source.alive():
            raise gone(source) from None
        return FoundPack(name, 0, DAMAGED, reason=str(exc))
    except OSError:
        if not source.alive():
            raise gone(source) from None
        return FoundPack(name, 0, DAMAGED, reason="Satchel cannot read this file.")
    installed = get_pack(vault, m.id)
    have = installed.version if installed else None
    found = FoundPack(name, size, NEW, m.id, m.version, m.title, m.language, have)
    if have is not None and m.version <= have:
        # Judged against the library itself, not only the version floors: packs that raise
        # no floor (the pinned starter packs) are "already have" too.
        state = HAVE if have == m.version else OLDER
        return FoundPack(name, size, state, m.id, m.version, m.title, m.language, have,
                         f"This pack is version {m.version}, but version {have} is already in the library.")
    try:
        store.check(m.id, m.version, grant)
    except OlderVersion as exc:
        state = HAVE if have == m.version else OLDER
        return FoundPack(name, size, state, m.id, m.version, m.title, m.language, have, str(exc))
    except TrustError as exc:
        return FoundPack(name, size, UNTRUSTED, m.id, m.version, m.title, m.language, have, str(exc))
    if have is not None:
        return FoundPack(name, size, UPDATE, m.id, m.version, m.title, m.language, have)
    return found


def list_stick(vault: Vault, source: RepoSource, store: TrustStore | None = None) -> StickListing:
    """Every pack file on the stick with its state, and what the index is worth."""
    store = store or TrustStore(vault)
    names = source.names()
    index = read_index(source, store, names)
    tl_version = adopt_trust_list(store, index)
    packs = [judge(vault, store, source, n) for n in pack_names(source, names)]
    # Two versions of one pack on a stick (a top-up cut short): offer only the newest.
    best: dict[str, int] = {}
    for p in packs:
        if p.importable and p.pack_id is not None and p.version is not None:
            best[p.pack_id] = max(best.get(p.pack_id, 0), p.version)
    packs = [FoundPack(p.file, p.size, OLDER, p.pack_id, p.version, p.title, p.language, p.installed,
                       "A newer version of this pack is on the same stick.")
             if p.importable and p.pack_id is not None and (p.version or 0) < best[p.pack_id] else p
             for p in packs]
    packs.sort(key=lambda p: (p.state not in (NEW, UPDATE), p.pack_id or "~", p.version or 0, p.file))
    return StickListing(packs, index, tl_version)


@dataclass(frozen=True)
class Outcome:
    file: str
    result: ImportResult | None = None
    error: str | None = None


@dataclass
class ImportReport:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def imported(self) -> list[ImportResult]:
        return [o.result for o in self.outcomes if o.result is not None]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error is not None]


def import_from_stick(vault: Vault, source: RepoSource, files: list[str] | None = None,
                      progress: Progress | None = None, cancel: threading.Event | None = None,
                      store: TrustStore | None = None) -> ImportReport:
    """Import the chosen pack files (default: every new or updated pack), one transaction each."""
    store = store or TrustStore(vault)
    if files is None:
        files = [p.file for p in list_stick(vault, source, store).packs if p.importable]
    else:
        adopt_trust_list(store, read_index(source, store))
    sizes: dict[str, int] = {}
    for name in files:
        try:
            sizes[name] = max(1, source.size(name))
        except OSError:
            if not source.alive():
                raise gone(source) from None
            sizes[name] = 1
    total = sum(sizes.values())
    base = 0
    report = ImportReport()

    def stop(exc: SatchelError) -> SatchelError:
        exc.report = report  # type: ignore[attr-defined]
        return exc

    for name in files:
        weight = sizes[name]

        def sub(done: int, of: int, base: int = base, weight: int = weight) -> None:
            if progress is not None:
                progress(base + (weight * done // of if of else weight), total)

        try:
            f = source.open(name)
            try:
                result = import_pack(vault, f, sub, cancel, store)
            finally:
                with contextlib.suppress(OSError):  # a pulled stick fails the close too
                    f.close()
            report.outcomes.append(Outcome(name, result))
            log.info("a pack was imported from a stick")
        except ImportCancelled:
            raise stop(TransferCancelled(
                f"The import was cancelled: {len(report.imported)} pack(s) were imported, "
                "and the one in progress left no trace.")) from None
        except (OSError, SatchelError) as exc:
            if not source.alive():
                raise stop(StickRemoved(
                    f"The stick was removed during the import: {len(report.imported)} pack(s) were imported, "
                    "and the one in progress left no trace.")) from None
            if isinstance(exc, VaultClosed):
                raise
            sentence = str(exc) if isinstance(exc, SatchelError) else "Satchel cannot read this file on the stick."
            report.outcomes.append(Outcome(name, None, sentence))
        base += weight
        if progress is not None:
            progress(base, total)
    return report
