"""`satchel repo publish`: write (or top up) an online repository, the stick format with
a version and an expiry, for a web server to serve as static files over an onion service.

Guarantees, in the order things happen:
1. Every pack given is verified whole (signature over its manifest with the key it
   carries, every member's size and hash) before anything is written; a damaged pack,
   or an older version than the folder already holds, stops the publication with one
   sentence and the folder as it was.
2. Packs already in the folder stay listed when their bytes still hash to what the old
   index said (a mirror of the folder is a copy of the folder); a given pack replaces
   the same id's older version.
3. Each file is written under a temporary name, flushed and renamed (sync.stickfs), so
   a web server never serves half a file under a final name; the index and its
   signature come last, and only then are superseded and unknown files removed.
4. The index carries a version that only goes up (the larger of the previous version
   plus one and the current Unix time, so a publisher who loses the folder still
   publishes a newer version) and an expiry; it is signed by the given key.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from app.trust import GivenKey, load_bundled_list
from content_packs.errors import PackRejected
from content_packs.signer import embedded_signer
from content_packs.verify import verify_pack_file
from crypto.minisign import SecretKey
from sync.errors import SyncError
from sync.repository import (
    INDEX_NAME,
    INDEX_SIG_NAME,
    MAX_INDEX_BYTES,
    Index,
    IndexEntry,
    is_pack_name,
    pack_file_name,
    parse_index,
    sign_index,
)
from sync.source import scan_folder
from sync.stickfs import remove_quietly, write_atomic

DEFAULT_EXPIRY_DAYS = 30
MAX_EXPIRY_DAYS = 3650
CHUNK = 1 << 20


@dataclass
class PublishReport:
    folder: Path
    version: int
    expires: int
    signer: str
    added: list[IndexEntry] = field(default_factory=list)
    kept: list[IndexEntry] = field(default_factory=list)
    removed: int = 0


def _hash(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _given(path: Path) -> IndexEntry:
    """Step 1 for one pack file: verified whole with the key it carries."""
    try:
        key = embedded_signer(path)
    except PackRejected as exc:
        raise SyncError(f"{path.name}: {exc}") from None
    if key is None:
        raise SyncError(f"{path.name}: the pack does not carry its signer's public key; rebuild it with "
                        "satchel pack build.")
    try:
        manifest = verify_pack_file(path, GivenKey(key))
    except PackRejected as exc:
        raise SyncError(f"{path.name}: {exc}") from None
    sha, size = _hash(path)
    return IndexEntry(pack_file_name(sha), manifest.id, manifest.version, size, sha, manifest.signer)


def _chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def _previous(folder: Path) -> Index | None:
    path = folder / INDEX_NAME
    try:
        if path.stat().st_size > MAX_INDEX_BYTES:
            return None
        return parse_index(path.read_bytes())
    except (OSError, SyncError):
        return None


def next_version(previous: int | None, now: int) -> int:
    """Rule 4: an index version that only goes up, even for a publisher (or a trainer's
    share) that lost the previous one: the larger of the previous plus one and now."""
    return max(now, (previous or 0) + 1)


def signed_index(entries: Sequence[IndexEntry], key: SecretKey, trust_list: tuple[bytes, bytes] | None,
                 version: int, expires: int, now: int) -> tuple[Index, bytes, bytes]:
    """An online repository's index and its signature (what `repo publish` writes and a
    trainer's share serves from memory): (index, index bytes, signature bytes)."""
    index = Index(now, tuple(entries), trust_list, version, expires)
    data = index.to_bytes()
    return index, data, sign_index(data, key, index.created).encode("utf-8")


def publish(folder: Path, packs: Sequence[Path], key: SecretKey, expires_days: int = DEFAULT_EXPIRY_DAYS,
            now: int | None = None) -> PublishReport:
    """Write or top up the repository in `folder` with `packs`, signed by `key`."""
    if not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise SyncError(f"The expiry must be 1 to {MAX_EXPIRY_DAYS} days.")
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise SyncError(f"{folder} is a file, not a folder.")
    by_id: dict[str, IndexEntry] = {}
    paths: dict[str, Path] = {}
    for p in packs:
        e = _given(Path(p))
        if e.id in by_id and by_id[e.id].sha256 != e.sha256:
            raise SyncError(f"Two of the packs given are {e.id}; give only the version to publish.")
        by_id[e.id], paths[e.sha256] = e, Path(p)
    previous = _previous(folder) if folder.is_dir() else None
    kept: list[IndexEntry] = []
    for old in previous.packs if previous is not None else ():
        new = by_id.get(old.id)
        if new is not None and new.version < old.version:
            raise SyncError(f"The folder already holds version {old.version} of {old.id}, newer than the "
                            f"version {new.version} given; nothing was written.")
        if new is not None:
            continue
        try:
            sha, size = _hash(folder / old.file)
        except OSError:
            continue
        if sha == old.sha256 and size == old.size:
            kept.append(old)
    now = int(time.time()) if now is None else now
    version = next_version(previous.version if previous is not None else None, now)
    expires = now + expires_days * 86400
    report = PublishReport(folder, version, expires, key.public.key_id_hex, kept=kept)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        for e in by_id.values():
            path = paths[e.sha256]
            if not (folder / e.file).is_file() or _hash(folder / e.file)[0] != e.sha256:
                sha = write_atomic(folder, e.file, _chunks(path), e.size)
                if sha != e.sha256:
                    raise SyncError(f"{path.name} changed while it was being published; publish again.")
            report.added.append(e)
        index, data, signature = signed_index(kept + report.added, key, load_bundled_list(), version, expires, now)
        write_atomic(folder, INDEX_NAME, [data], len(data))
        write_atomic(folder, INDEX_SIG_NAME, [signature], len(signature))
    except OSError as exc:
        raise SyncError(f"Satchel could not write to {folder}: {exc.strerror}.") from None
    listed = {e.file for e in index.packs}
    names, temps = scan_folder(folder)
    for name in names + temps:
        if (is_pack_name(name) and name not in listed) or name in temps:
            remove_quietly(folder / name)
            report.removed += 1
    return report
