"""An online repository's index, fetched over Tor and judged (the repository reader).

Online, the index decides what Satchel downloads, so it is held to more than a stick's
(python-tuf's trusted_metadata_set is the model; each rule before the next):
1. index.json and index.json.minisig are fetched with caps (8 MiB, 4 KiB);
2. they are judged by the same code as a stick's index (sync.repository.read_index):
   the signature is verified over the exact bytes before anything is parsed, and it
   must be by a key this vault trusts, not revoked and not expired;
   a repository followed from a trainer's share line also needs the index signed by
   exactly the key that line named;
3. the index must carry a version and an expiry (what `satchel repo publish` writes);
4. its version must not be lower than the highest one seen from this repository
   (IndexRefused: an old index replayed); the floor then rises to it, at once;
5. an expired index is still used, with a warning: the repository may be frozen or
   blocked (TUF's freeze attack), and the user should know the list may be stale.
Packs named by the index are still verified on their own when they arrive.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

from app.trust import TrustStore
from app.vault import Vault
from crypto import minisign
from crypto.minisign import MinisignError
from sync.errors import HttpStatusError, IndexRefused
from sync.follow import index_floor, record_index
from sync.http import OnionClient
from sync.onion import RepoUrl
from sync.repository import (
    FORGED,
    INDEX_NAME,
    INDEX_SIG_NAME,
    INVALID,
    MAX_INDEX_BYTES,
    MAX_SIG_BYTES,
    TRUSTED,
    UNSIGNED,
    UNTRUSTED,
    Index,
    IndexReport,
    read_index,
)
from sync.usb_import import adopt_trust_list


@dataclass(frozen=True)
class RemoteIndex:
    url: RepoUrl
    index: Index
    signer: str
    version: int
    expires: int
    expired: bool

    @property
    def warning(self) -> str | None:
        if not self.expired:
            return None
        day = datetime.fromtimestamp(self.expires, UTC).strftime("%Y-%m-%d")
        return (f"The repository's index expired on {day}: the repository may be frozen or blocked, so newer "
                "packs may exist that Satchel cannot see. What it lists was still checked and used.")


class _Memory:
    """The two index files as a RepoSource, so the stick's index judge is reused as is."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def names(self) -> list[str]:
        return sorted(self.files)

    def size(self, name: str) -> int:
        return len(self.files[name])

    def open(self, name: str) -> BinaryIO:
        raise FileNotFoundError(name)

    def read_small(self, name: str, cap: int) -> bytes | None:
        data = self.files.get(name)
        return data if data is not None and len(data) <= cap else None

    def alive(self) -> bool:
        return True


_REFUSED = {
    UNTRUSTED: "The repository's index is signed by key {signer}, which you do not trust; nothing was "
               "downloaded from it.",
    UNSIGNED: "The repository's index is not signed; nothing was downloaded from it.",
    FORGED: "The repository's index does not match its signature; it may have been tampered with, and "
            "nothing was downloaded from it.",
    INVALID: "The repository's index is damaged or unreadable; nothing was downloaded from it.",
}


def judge_index(vault: Vault, store: TrustStore, url: RepoUrl, data: bytes, sig: bytes | None,
                now: int | None = None, signer: str | None = None) -> RemoteIndex:
    """Rules 2 to 5 on fetched bytes; raises IndexRefused with one sentence."""
    files = {INDEX_NAME: data} | ({INDEX_SIG_NAME: sig} if sig is not None else {})
    report: IndexReport = read_index(_Memory(files), store)
    if report.status != TRUSTED or report.index is None:
        raise IndexRefused(_REFUSED.get(report.status, _REFUSED[INVALID]).format(signer=report.signer or "?"))
    now = int(time.time()) if now is None else now
    assert sig is not None
    try:
        key_id = minisign.parse_signature(sig).key_id
    except MinisignError:   # read_index verified it; this cannot happen
        raise IndexRefused(_REFUSED[FORGED]) from None
    key_id_hex = int.from_bytes(key_id, "little").to_bytes(8, "big").hex().upper()
    if signer is not None and key_id_hex != signer:
        raise IndexRefused(f"The share's index is signed by key {key_id_hex}, not by the trainer's key {signer} "
                           "that its share line names; nothing was downloaded from it.")
    grant = store.grant_for(key_id_hex)
    if grant is None or grant.revoked or (grant.expires is not None and now > grant.expires):
        raise IndexRefused("The key that signed the repository's index is revoked or expired; nothing was "
                           "downloaded from it.")
    index = report.index
    if index.version is None or index.expires is None:
        raise IndexRefused("The repository's index has no version or expiry, so it is not an online "
                           "repository's index; nothing was downloaded from it.")
    floor = index_floor(vault, url)
    if floor is not None and index.version < floor:
        raise IndexRefused(f"The repository sent an older index (version {index.version}) than one Satchel has "
                           f"already seen (version {floor}); it may be replaying old content. Nothing was "
                           "downloaded from it.")
    record_index(vault, url, index.version, index.expires)
    adopt_trust_list(store, report)
    return RemoteIndex(url, index, report.signer or "", index.version, index.expires, now > index.expires)


def fetch_index(client: OnionClient, vault: Vault, store: TrustStore, signer: str | None = None) -> RemoteIndex:
    """Fetch the index and its signature (rule 1), then judge them."""
    try:
        data = client.get_small(INDEX_NAME, MAX_INDEX_BYTES)
    except HttpStatusError as exc:
        if exc.status != 404:
            raise
        raise IndexRefused("There is no Satchel repository at that address (it has no index).") from None
    try:
        sig: bytes | None = client.get_small(INDEX_SIG_NAME, MAX_SIG_BYTES)
    except HttpStatusError as exc:
        if exc.status != 404:
            raise
        sig = None
    return judge_index(vault, store, client.url, data, sig, signer=signer)
