"""What a trainer's share keeps inside the vault, and what it serves from there.

Everything here lives in the encrypted vault, never in a plain file:
- a persistent share's keys (`shares`, one row): tor's ED25519-V3 service key (the
  same onion address next time), the x25519 client-authorization key (the same share
  line), and the key id that signs its index. Revoking deletes the row, so the next
  persistent share has a new address and a new line; the old line then reaches nothing.
- the last index version served (`share.index_version`), so that each start serves a
  higher version than participants have seen (their floor refuses older ones);
- the running share's status (`share.status`: on or off, since, until, fetch counts
  per pack, the line), which `satchel share status` reads from another terminal, and
  the stop request (`share.stop`) that `satchel share stop` writes and the running
  share polls. Neither reveals anything outside the vault: both processes hold the
  passphrase, and no pid file, socket or signal is involved.

`VaultCatalog` serves a share's files straight from the vault's kept signed bytes
(app.mediastore.KeptPackReader), through a second, read-only connection (Vault.reader),
which a lock or a wipe closes at once. Before each answer the pack's recorded SHA-256 is
checked again: a pack removed or replaced since the share started is a 404 (the
participant's whole-file hash check would refuse mixed bytes anyway).
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import sqlcipher3

from app.mediastore import KeptPackReader
from app.vault import ReadConnection, Vault
from sync.errors import NothingToShare, ShareError, UnknownPack
from sync.repository import INDEX_NAME, INDEX_SIG_NAME
from sync.usb_export import VaultPack, vault_packs

STATUS = "share.status"
STOP = "share.stop"
INDEX_VERSION = "share.index_version"
HEARTBEAT_S = 5
ALIVE_S = 20          # a status older than this is from a share that did not stop cleanly


# -- which packs --------------------------------------------------------------------------

def signed_by(vault: Vault, key_id_hex: str) -> list[str]:
    """The ids of the packs in the library signed by `key_id_hex` ("everything I have
    signed": the trainer's own key is the one that signs the share's index)."""
    with vault.lock:
        rows = vault.conn.execute("SELECT id FROM packs WHERE signer = ? ORDER BY id", (key_id_hex,)).fetchall()
    return [str(r[0]) for r in rows]


def choose_packs(vault: Vault, pack_ids: Sequence[str], key_id_hex: str) -> list[VaultPack]:
    """The packs to share (with any pack whose pictures they show): those named, or with
    none named, every pack signed by the trainer's key."""
    ids = list(pack_ids) or signed_by(vault, key_id_hex)
    if not ids:
        raise NothingToShare(f"No pack in your library is signed by key {key_id_hex}; name the packs to share.")
    try:
        return vault_packs(vault, ids)
    except UnknownPack as exc:
        raise NothingToShare(str(exc).replace("nothing was written", "nothing was shared")) from None


# -- persistent keys ----------------------------------------------------------------------

@dataclass(frozen=True)
class KeptShare:
    service_key: str      # tor's ED25519-V3 key blob
    client_key: bytes     # x25519 private key
    signer: str           # key id that signs the index

    def __repr__(self) -> str:
        return "KeptShare(...)"


def kept_share(vault: Vault) -> KeptShare | None:
    with vault.lock:
        row = vault.conn.execute("SELECT service_key, client_key, signer FROM shares WHERE id = 1").fetchone()
    if row is None:
        return None
    return KeptShare(str(row[0]), bytes(row[1]), str(row[2]))


def keep_share(vault: Vault, kept: KeptShare) -> None:
    with vault.transaction() as conn:
        conn.execute("INSERT INTO shares (id, service_key, client_key, signer, created_at) VALUES (1, ?, ?, ?, ?) "
                     "ON CONFLICT(id) DO UPDATE SET service_key = excluded.service_key, "
                     "client_key = excluded.client_key, signer = excluded.signer, created_at = excluded.created_at",
                     (kept.service_key, kept.client_key, kept.signer, int(time.time())))


def revoke_share(vault: Vault) -> bool:
    """Forget the persistent share's keys: its address and line stop working for good."""
    with vault.transaction() as conn:
        cur = conn.execute("DELETE FROM shares WHERE id = 1")
    return bool(cur.rowcount > 0)


def next_index_version(vault: Vault, now: int) -> int:
    from sync.publish import next_version

    previous = vault.get_setting(INDEX_VERSION)
    version = next_version(previous if isinstance(previous, int) else None, now)
    vault.set_setting(INDEX_VERSION, version)
    return version


# -- status and the stop request ------------------------------------------------------------

BUSY_WAIT_S = 20.0


def _retrying(action: Callable[[], None], wait: float = BUSY_WAIT_S) -> None:
    """Run a small write that another process may delay: `satchel share stop` and the
    running share write to the same vault, and a process closing the vault copies the
    write-ahead log back (a checkpoint) while holding the write lock, which can outlast
    SQLite's own five-second wait. A locked vault is never waited for."""
    deadline = time.monotonic() + wait
    while True:
        try:
            action()
            return
        except sqlcipher3.OperationalError as exc:
            if "lock" not in str(exc).lower() and "busy" not in str(exc).lower():
                raise
            if time.monotonic() > deadline:
                raise ShareError("Another Satchel is holding the library; try again in a moment.") from None
            time.sleep(0.2)


def write_status(vault: Vault, status: dict[str, Any], wait: float = BUSY_WAIT_S) -> None:
    _retrying(lambda: vault.set_setting(STATUS, status), wait)


def read_status(vault: Vault, now: float | None = None) -> dict[str, Any] | None:
    """The running share's status, or None if no share is running (or it died)."""
    status = vault.get_setting(STATUS)
    now = time.time() if now is None else now
    if not isinstance(status, dict) or status.get("state") != "on":
        return None
    beat = status.get("heartbeat")
    if not isinstance(beat, int | float) or now - beat > ALIVE_S:
        return None
    return status


def request_stop(vault: Vault) -> None:
    _retrying(lambda: vault.set_setting(STOP, int(time.time())))


def clear_stop(vault: Vault) -> None:
    _retrying(lambda: vault.set_setting(STOP, None))


def stop_requested(source: ReadConnection, since: int) -> bool:
    """Whether `satchel share stop` asked, after `since`, for the share to stop."""
    row = source.fetchone("SELECT value FROM settings WHERE key = ?", (STOP,))
    return row is not None and row[0].isdigit() and int(row[0]) >= since


# -- serving from the vault ----------------------------------------------------------------

class _Memory:
    def __init__(self, data: bytes, content_type: str) -> None:
        self.data = data
        self.size = len(data)
        self.content_type = content_type

    def open(self) -> BinaryIO:
        return io.BytesIO(self.data)


class _Kept:
    content_type = "application/octet-stream"

    def __init__(self, catalog: VaultCatalog, pack: VaultPack) -> None:
        self.catalog = catalog
        self.pack = pack
        self.size = pack.size

    def open(self) -> BinaryIO:
        return self.catalog.open_pack(self.pack)


class VaultCatalog:
    """The files of a share: its signed index in memory, packs from the vault."""

    def __init__(self, vault: Vault, packs: Sequence[VaultPack], index: bytes, signature: bytes) -> None:
        self.vault = vault
        self._stack = contextlib.ExitStack()
        self.source: ReadConnection = self._stack.enter_context(vault.reader())
        self.files: dict[str, Any] = {INDEX_NAME: _Memory(index, "application/json"),
                                      INDEX_SIG_NAME: _Memory(signature, "text/plain")}
        self.by_file = {p.file: p for p in packs}
        for p in packs:
            self.files[p.file] = _Kept(self, p)

    def lookup(self, name: str) -> Any:
        return self.files.get(name)

    def open_pack(self, pack: VaultPack) -> BinaryIO:
        row = self.source.fetchone("SELECT sha256, size FROM packs WHERE id = ?", (pack.id,))
        if row is None or row[0] != pack.sha256 or row[1] != pack.size:
            raise LookupError("the pack is no longer in the library as it was shared")
        reader = KeptPackReader(self.vault, pack.id, source=self.source)
        if reader.size != pack.size:
            raise LookupError("the kept bytes do not add up to the pack")
        return reader   # type: ignore[return-value]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._stack.close()
