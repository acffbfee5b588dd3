"""Sync over Tor: new and updated packs from every repository the vault follows.

The data path, one floor at a time (as the USB import's): connection (sync.tor) ->
index (sync.remote) -> plan (sync.planner) -> bytes into the vault (sync.fetch) ->
the one verifier and importer (content_packs) -> vault.

Guarantees:
- Nothing connects unless a caller asked: this module opens no connection by itself,
  and every connection goes through the TorConnection it is given.
- Each repository is reached on its own circuit (its own SOCKS credentials).
- Each pack is imported atomically, read from the vault's download rows after its
  whole-file hash matched the signed index; a tampered pack is refused, leaves nothing
  behind, and the others still go in.
- A failure of one repository (unreachable, refused index, HTTP errors) is reported
  and the next repository is tried; a failure of Tor itself, a lock, a wipe or Cancel
  stops the sync at once (what arrived stays in the vault for next time) and carries
  the report so far (`exc.report`).
- `SyncReport.ok` is true only when every repository was reached and every pack it
  wanted was verified and imported.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.errors import SatchelError, VaultClosed
from app.trust import TrustStore
from app.vault import Vault
from content_packs.bridges import BadBridge, Bridge, parse_bridges
from content_packs.errors import ImportCancelled, PackError
from content_packs.importer import import_pack
from sync import downloads
from sync.errors import NeedsOwnTor, SyncError, TorError, TransferCancelled
from sync.fetch import fetch_pack
from sync.follow import Followed, list_repositories, record_sync
from sync.http import Deadlines, OnionClient, Traffic
from sync.planner import Planned, plan_index
from sync.remote import fetch_index
from sync.tor import TorConnection

log = logging.getLogger(__name__)

INSTALLED, UPDATED, FAILED = "installed", "updated", "failed"


@dataclass(frozen=True)
class PackOutcome:
    repository: str
    id: str
    version: int
    size: int
    status: str
    error: str | None = None
    rebuilt: bool = False
    title: str | None = None
    error_kind: str | None = None     # the error's class name, for the dialog's translated sentence

    def to_json(self) -> dict[str, object]:
        return {"repository": self.repository, "id": self.id, "version": self.version, "size": self.size,
                "status": self.status, "error": self.error, "rebuilt": self.rebuilt, "title": self.title}


@dataclass
class RepoOutcome:
    url: str
    reached: bool = False
    error: str | None = None
    error_kind: str | None = None
    warning: str | None = None
    index_version: int | None = None
    planned: list[Planned] = field(default_factory=list)
    packs: list[PackOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.reached and self.error is None and all(p.status != FAILED for p in self.packs) and \
            len(self.packs) == sum(1 for p in self.planned if p.wanted)

    def to_json(self) -> dict[str, object]:
        return {"url": self.url, "reached": self.reached, "error": self.error, "warning": self.warning,
                "index_version": self.index_version, "offered": [p.to_json() for p in self.planned],
                "packs": [p.to_json() for p in self.packs]}


@dataclass
class SyncReport:
    repositories: list[RepoOutcome] = field(default_factory=list)
    traffic: Traffic = field(default_factory=Traffic)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.repositories)

    @property
    def imported(self) -> list[PackOutcome]:
        return [p for r in self.repositories for p in r.packs if p.status != FAILED]

    @property
    def failed(self) -> list[PackOutcome]:
        return [p for r in self.repositories for p in r.packs if p.status == FAILED]

    @property
    def nothing_new(self) -> bool:
        return all(r.reached and not any(p.wanted for p in r.planned) for r in self.repositories)


class Listener:
    """What a sync tells its caller as it goes (the dialog and the command line override
    what they show). Called on the syncing thread; must be quick."""

    def tor(self, percent: int, tag: str) -> None:
        """Bootstrap progress of the tor Satchel starts (sync.tor.open_connection's callback)."""

    def repository(self, url: str, state: str) -> None:
        """state: 'connecting', 'reached' or 'done'."""

    def planned(self, url: str, items: list[Planned], warning: str | None) -> None: ...

    def progress(self, url: str, item: Planned, done: int, total: int, phase: str) -> None:
        """phase: 'download' or 'import'."""

    def pack_done(self, outcome: PackOutcome) -> None: ...


def pack_bridges(vault: Vault) -> list[Bridge]:
    """Bridge lines carried by the packs in the vault (each pack verified when imported)."""
    with vault.lock:
        rows = vault.conn.execute("SELECT manifest FROM packs ORDER BY imported_at DESC").fetchall()
    lines: list[str] = []
    for (manifest,) in rows:
        try:
            doc = json.loads(bytes(manifest))
        except ValueError:
            continue
        tor = doc.get("tor") if isinstance(doc, dict) else None
        if isinstance(tor, dict) and isinstance(tor.get("bridges"), list):
            lines += [x for x in tor["bridges"] if isinstance(x, str)]
    try:
        return parse_bridges(lines[:32])
    except BadBridge:
        return []


def _stop(exc: SatchelError, report: SyncReport) -> SatchelError:
    exc.report = report  # type: ignore[attr-defined]
    return exc


def _sync_one(vault: Vault, tor: TorConnection, repo: Followed, store: TrustStore, outcome: RepoOutcome,
              report: SyncReport, listener: Listener, cancel: threading.Event | None, deadlines: Deadlines) -> None:
    url = str(repo.url)
    listener.repository(url, "connecting")
    with OnionClient(tor.socks, repo.url, deadlines, cancel, report.traffic) as client:
        tor.prepare(repo.url, repo.client_key)
        remote = fetch_index(client, vault, store, repo.signer)
        outcome.reached, outcome.warning, outcome.index_version = True, remote.warning, remote.version
        listener.repository(url, "reached")
        outcome.planned = plan_index(vault, store, url, remote.index)
        downloads.forget_stale(vault, [(url, p.entry.sha256) for p in outcome.planned if p.wanted])
        listener.planned(url, outcome.planned, outcome.warning)
        for item in outcome.planned:
            if not item.wanted:
                continue
            outcome.packs.append(_one_pack(vault, client, store, item, listener, cancel))
            listener.pack_done(outcome.packs[-1])


def _one_pack(vault: Vault, client: OnionClient, store: TrustStore, item: Planned, listener: Listener,
              cancel: threading.Event | None) -> PackOutcome:
    url, entry = str(client.url), item.entry
    try:
        fetched = fetch_pack(vault, client, store, item,
                             lambda d, t: listener.progress(url, item, d, t, "download"), cancel)
    except (TransferCancelled, VaultClosed, TorError):
        raise
    except SatchelError as exc:   # the transfer failed or the bytes were refused
        return PackOutcome(url, entry.id, entry.version, entry.size, FAILED, str(exc), error_kind=type(exc).__name__)
    try:
        with vault.reader() as connection, downloads.open_reader(connection, fetched.download) as f:
            result = import_pack(vault, f, lambda d, t: listener.progress(url, item, d, t, "import"), cancel, store)
    except ImportCancelled:
        raise TransferCancelled("The sync was cancelled; the pack being imported left no trace.") from None
    except VaultClosed:
        raise
    except PackError as exc:
        downloads.discard(vault, fetched.download)
        return PackOutcome(url, entry.id, entry.version, entry.size, FAILED, str(exc), error_kind=type(exc).__name__)
    downloads.discard(vault, fetched.download)
    log.info("a pack was imported over Tor")
    status = UPDATED if result.previous_version is not None else INSTALLED
    return PackOutcome(url, result.pack_id, result.version, entry.size, status, None, fetched.rebuilt, result.title)


def sync_all(vault: Vault, tor: TorConnection, repositories: Sequence[Followed] | None = None,
             listener: Listener | None = None, cancel: threading.Event | None = None,
             deadlines: Deadlines | None = None, store: TrustStore | None = None) -> SyncReport:
    """Sync every repository the vault follows (or the ones given), one after the other."""
    listener = listener or Listener()
    store = store or TrustStore(vault)
    deadlines = deadlines or Deadlines()
    repos = list(repositories) if repositories is not None else list_repositories(vault)
    report = SyncReport()
    downloads.forget_stale(vault)
    for repo in repos:
        outcome = RepoOutcome(str(repo.url))
        report.repositories.append(outcome)
        try:
            _sync_one(vault, tor, repo, store, outcome, report, listener, cancel, deadlines)
        except TransferCancelled as exc:
            raise _stop(TransferCancelled(
                f"The sync was cancelled: {len(report.imported)} pack(s) were imported; what arrived of the "
                "others is kept for next time." if str(exc).startswith("The download") else str(exc)),
                report) from None
        except (VaultClosed, TorError) as exc:
            if isinstance(exc, NeedsOwnTor):
                outcome.error, outcome.error_kind = str(exc), type(exc).__name__
                continue
            raise _stop(exc, report) from None
        except SyncError as exc:
            outcome.error, outcome.error_kind = str(exc), type(exc).__name__
        finally:
            listener.repository(outcome.url, "done")
        if outcome.reached:
            try:
                record_sync(vault, repo.url)
            except VaultClosed as exc:
                raise _stop(exc, report) from None
    return report
