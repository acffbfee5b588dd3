"""The one planner for an online repository: what its signed index offers this vault.

For each pack id the index lists (its newest version only), the state in the vault's
eyes, decided by the vault's own trust (app.trust: the signer's grant, scope, revocation,
expiry, and the version floor), exactly as the verifier will decide once the pack
arrives: new, update, already have, older than yours, untrusted signer. Only new and
updated packs are downloaded. The index is signed by a trusted key, so its claims are
good enough to plan with; they are never a reason to accept a pack (every pack is
verified on its own when it arrives).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.library import get_pack
from app.trust import OlderVersion, TrustError, TrustStore
from app.vault import Vault
from sync.downloads import held_bytes
from sync.repository import Index, IndexEntry

NEW, UPDATE, HAVE, OLDER, UNTRUSTED = "new", "update", "have", "older", "untrusted"


@dataclass(frozen=True)
class Planned:
    entry: IndexEntry
    state: str
    installed: int | None = None
    reason: str | None = None
    held: int = 0              # bytes of an interrupted download already in the vault

    @property
    def wanted(self) -> bool:
        return self.state in (NEW, UPDATE)

    def to_json(self) -> dict[str, object]:
        return {"id": self.entry.id, "version": self.entry.version, "size": self.entry.size,
                "state": self.state, "installed_version": self.installed, "held_bytes": self.held,
                "file": self.entry.file}


def plan_index(vault: Vault, store: TrustStore, repository: str, index: Index) -> list[Planned]:
    """Every pack id of the index with its state, the wanted ones first."""
    newest: dict[str, IndexEntry] = {}
    for e in index.packs:
        if e.id not in newest or e.version > newest[e.id].version:
            newest[e.id] = e
    out: list[Planned] = []
    for entry in newest.values():
        installed = get_pack(vault, entry.id)
        have = installed.version if installed is not None else None
        grant = store.grant_for(entry.signer)
        if grant is None:
            out.append(Planned(entry, UNTRUSTED, have, f"Signed by a key you do not trust ({entry.signer})."))
            continue
        try:
            store.check(entry.id, entry.version, grant)
        except OlderVersion as exc:
            out.append(Planned(entry, HAVE if have == entry.version else OLDER, have, str(exc)))
            continue
        except TrustError as exc:
            out.append(Planned(entry, UNTRUSTED, have, str(exc)))
            continue
        state = UPDATE if have is not None else NEW
        out.append(Planned(entry, state, have, None, held_bytes(vault, repository, entry.sha256)))
    out.sort(key=lambda p: (not p.wanted, p.entry.id))
    return out
