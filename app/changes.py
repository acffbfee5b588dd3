"""What the newest import of each pack changed, for the "What's new" view.

Guarantees:
- Recorded inside the import's own transaction (content_packs.importer calls `snapshot`
  before the old version is deleted and `record` once the new pages are in), so the
  record is exactly as true as the import: both commit, or neither.
- Pages are compared by path and by the SHA-256 of their bytes as the signed manifests
  list them (the old manifest as the vault kept it, the new one just verified): a page is
  "changed" only if its bytes differ, "added" or "removed" only if its path does.
- Only the newest import of a pack is kept; the record goes with the pack (a cascade)
  when the pack is replaced or removed. It lives inside the vault like everything else.
- Titles are page titles from the packs: untrusted text, to be shown as plain text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from app.strictjson import no_duplicate_keys
from app.vault import Vault

Snapshot = dict[str, tuple[str, str]]   # page path -> (sha256, title)
_strict = no_duplicate_keys(ValueError, "duplicate key")


@dataclass(frozen=True)
class PackChanges:
    pack_id: str
    version: int
    previous_version: int | None
    added: list[tuple[str, str]] = field(default_factory=list)     # (path, title), in reading order
    changed: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return self.previous_version is None


def _manifest_hashes(manifest: bytes) -> dict[str, str]:
    """path -> sha256 from a kept manifest (it verified on its import; {} if unreadable)."""
    try:
        doc = json.loads(bytes(manifest).decode("utf-8"), object_pairs_hook=_strict)
        return {str(f["path"]): str(f["sha256"]) for f in doc["files"]}
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
        return {}


def snapshot(conn: Any, pack_id: str) -> Snapshot:
    """Inside the import transaction, before the old version goes: its pages."""
    row = conn.execute("SELECT manifest FROM packs WHERE id = ?", (pack_id,)).fetchone()
    if row is None:
        return {}
    hashes = _manifest_hashes(row[0])
    pages = conn.execute("SELECT path, title FROM pages WHERE pack_id = ? ORDER BY seq", (pack_id,))
    return {path: (hashes.get(path, ""), title) for path, title in pages}


def record(conn: Any, pack_id: str, version: int, previous_version: int | None, before: Snapshot,
           new_hashes: dict[str, str]) -> None:
    """Inside the import transaction, once the new pages are stored: what changed."""
    pages = conn.execute("SELECT path, title FROM pages WHERE pack_id = ? ORDER BY seq", (pack_id,)).fetchall()
    added, changed = [], []
    if previous_version is not None:
        for path, title in pages:
            old = before.get(path)
            if old is None:
                added.append([path, title])
            elif not old[0] or old[0] != new_hashes.get(path):
                changed.append([path, title])
    now = {path for path, _ in pages}
    removed = [[path, title] for path, (_, title) in before.items() if path not in now]
    conn.execute(
        "INSERT OR REPLACE INTO pack_changes (pack_id, version, previous_version, added, changed, removed) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (pack_id, version, previous_version, json.dumps(added, ensure_ascii=False),
         json.dumps(changed, ensure_ascii=False), json.dumps(removed, ensure_ascii=False)),
    )


def _pairs(text: str) -> list[tuple[str, str]]:
    try:
        return [(str(p), str(t)) for p, t in json.loads(text)]
    except (ValueError, TypeError):
        return []


def get_changes(vault: Vault, pack_id: str) -> PackChanges | None:
    """What the newest import of `pack_id` changed (None if the pack is not there)."""
    with vault.lock:
        row = vault.conn.execute(
            "SELECT version, previous_version, added, changed, removed FROM pack_changes WHERE pack_id = ?",
            (pack_id,)).fetchone()
    if row is None:
        return None
    return PackChanges(pack_id, row[0], row[1], _pairs(row[2]), _pairs(row[3]), _pairs(row[4]))
