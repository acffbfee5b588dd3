"""A trainer's share: packs chosen from the vault, served as a repository in the standard
format (docs/repository-format.md) through a v3 onion service with client
authorization, to the participants who hold the share line (issue 15).

Starting, each step before the next (a failure undoes the earlier ones and leaves the
vault as it was, except that the next index version is used up):
1. the packs: the ones named, or every pack signed by the trainer's key ("everything I
   have signed"), with any pack whose pictures they show, and their recorded SHA-256;
2. the index, made and signed in memory with the trainer's secret key, which the caller
   read from the trainer's key file and its passphrase. The key signs this one index and
   is never kept (not in the vault, not on disk). The index's version is higher than any
   this vault served before, and it expires when the share ends (or after 30 days);
3. the server on 127.0.0.1 (sync.share_server): the index from memory, the packs from
   the vault's kept signed bytes (sync.share_store.VaultCatalog), no plain copy anywhere;
4. the onion service with the client key's public half (sync.share_tor); a persistent
   share reuses its keys kept inside the vault, or keeps the new ones there.

While it runs:
- `status()` says since when, until when, how often the index was fetched and how often
  each pack was fetched whole: counts only, never an address or a time of anyone;
- it stops by itself at its end date, when `satchel share stop` asks (a flag inside the
  vault, polled every POLL_S seconds), or when its tor stops;
- a lock or the panic wipe stops it at once (Vault.when_locked, plus a wipe hook for
  every running share): the server's sockets close, the onion service goes (Satchel's
  own tor is killed; another program's tor drops it with Satchel's control connection),
  and the keys it held in memory are dropped.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from app import wipe as wipe_mod
from app.errors import VaultClosed
from app.trust import TrustStore
from app.vault import Vault
from content_packs.bridges import Bridge
from crypto.minisign import SecretKey
from sync.errors import ShareAlreadyRunning, ShareError, ShareKeyMismatch
from sync.publish import DEFAULT_EXPIRY_DAYS, signed_index
from sync.repository import INDEX_NAME
from sync.share_server import Limits, ShareServer
from sync.share_store import (
    HEARTBEAT_S,
    KeptShare,
    VaultCatalog,
    choose_packs,
    clear_stop,
    keep_share,
    kept_share,
    next_index_version,
    read_status,
    stop_requested,
    write_status,
)
from sync.share_tor import OnionHost, connect_control, parse_control
from sync.shareline import ShareLine, client_public_b32, new_client_key
from sync.usb_export import VaultPack, trust_list_bytes

log = logging.getLogger(__name__)

POLL_S = 0.5
MAX_UNTIL_DAYS = 366
Progress = Callable[[int, str], None]    # (percent, phase: "tor" or "publishing")

ENDED, ASKED, TOR_STOPPED, LOCKED, STOPPED, FAILED = "ended", "asked", "tor", "locked", "stopped", "failed"


def parse_until(text: str, now: float | None = None) -> int:
    """--until: 'YYYY-MM-DD' (to the end of that day) or 'YYYY-MM-DD HH:MM', local time."""
    now = time.time() if now is None else now
    text = text.strip().replace("T", " ")
    try:
        if len(text) == 10:
            moment = datetime.strptime(text, "%Y-%m-%d") + timedelta(days=1, seconds=-1)
        else:
            moment = datetime.strptime(text, "%Y-%m-%d %H:%M")
    except ValueError:
        raise ShareError("Give the end of the share as YYYY-MM-DD or YYYY-MM-DD HH:MM.") from None
    until = int(moment.timestamp())
    if until <= now:
        raise ShareError("That end date is already past; choose a later one.")
    if until > now + MAX_UNTIL_DAYS * 86400:
        raise ShareError(f"A share can last at most {MAX_UNTIL_DAYS} days; choose an earlier end.")
    return until


@dataclass
class ShareStatus:
    running: bool
    line: str | None
    started: int
    until: int | None
    persistent: bool
    packs: list[str]
    visits: int = 0
    fetched: dict[str, int] = field(default_factory=dict)
    reason: str | None = None      # why it stopped (ENDED, ASKED, TOR_STOPPED, LOCKED, STOPPED, FAILED)

    def to_json(self) -> dict[str, Any]:
        return {"state": "on" if self.running else "off", "started": self.started, "until": self.until,
                "persistent": self.persistent, "packs": self.packs, "visits": self.visits,
                "fetched": dict(self.fetched), "reason": self.reason}


_shares: weakref.WeakSet[Share] = weakref.WeakSet()
_shares_lock = threading.Lock()


def running_shares() -> list[Share]:
    with _shares_lock:
        return [s for s in _shares if s.running]


def kill_every_share() -> None:
    """The panic wipe: every share of this process stops at once."""
    for share in running_shares():
        with contextlib.suppress(Exception):
            share.kill()


wipe_mod.register_wipe_hook(kill_every_share)


class Share:
    """One running share (made by `start_share`)."""

    def __init__(self, vault: Vault, host: OnionHost, packs: Sequence[VaultPack], until: int | None,
                 persistent: bool, announce: bool, started: int) -> None:
        self.vault = vault
        self.host = host
        self.packs = list(packs)
        self.until = until
        self.persistent = persistent
        self.announce = announce
        self.started = started
        self.catalog: VaultCatalog | None = None
        self.server: ShareServer | None = None
        self.service_id: str | None = None
        self.line: ShareLine | None = None
        self.reason: str | None = None
        self.visits = 0
        self.fetched: dict[str, int] = {}
        self._by_file = {p.file: p.id for p in self.packs}
        self._lock = threading.Lock()
        self._stopped = threading.Event()     # set when stopping begins (once)
        self._done = threading.Event()        # set when the server, the onion service and tor are gone
        self._unhook: Callable[[], None] = lambda: None
        self._watcher: threading.Thread | None = None
        self.on_stop: Callable[[Share], None] | None = None   # the dialog's; called on any thread

    # -- state --------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.line is not None and not self._stopped.is_set()

    def status(self) -> ShareStatus:
        with self._lock:
            return ShareStatus(self.running, self.line.text if self.line is not None and self.running else None,
                               self.started, self.until, self.persistent, [p.id for p in self.packs],
                               self.visits, dict(self.fetched), self.reason)

    def _count(self, name: str) -> None:
        with self._lock:
            if name == INDEX_NAME:
                self.visits += 1
            elif name in self._by_file:
                pack_id = self._by_file[name]
                self.fetched[pack_id] = self.fetched.get(pack_id, 0) + 1

    # -- stopping -------------------------------------------------------------------

    def _end(self, reason: str, at_once: bool) -> bool:
        """The common part of stop and kill; False if it had stopped already."""
        with self._lock:
            if self._stopped.is_set():
                return False
            self._stopped.set()
            self.reason = reason
            self.line = None                    # the client key, as far as Python lets go of it
        self._unhook()
        server = self.server
        if server is not None:
            server.stop(wait=not at_once)
        if at_once:
            self.host.kill()
        else:
            if self.service_id is not None:
                self.host.remove(self.service_id)
            self.host.close()
        catalog = self.catalog
        if catalog is not None:
            if at_once:   # closing the read connection takes the vault's lock: never on the locking thread
                threading.Thread(target=catalog.close, name="satchel-share-close", daemon=True).start()
            else:
                catalog.close()
        return True

    def _announce_stop(self) -> None:
        if not self.announce:
            return
        with contextlib.suppress(Exception):
            write_status(self.vault, self.status().to_json())
            clear_stop(self.vault)

    def stop(self, reason: str = STOPPED) -> None:
        """Stop: the server closes, the onion service is removed from tor, and the vault's
        status row says so before `wait()` returns."""
        if self._end(reason, at_once=False):
            self._announce_stop()
            self._done.set()
            self._notify()

    def kill(self, reason: str = LOCKED) -> None:
        """Stop at once, touching nothing of the vault (a lock, the panic wipe)."""
        if self._end(reason, at_once=True):
            self._done.set()
            self._notify()

    def _notify(self) -> None:
        log.info("a share stopped")
        callback = self.on_stop
        if callback is not None:
            with contextlib.suppress(Exception):
                callback(self)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the share has stopped (the command line's foreground); True if it did."""
        return self._done.wait(timeout)

    # -- watching -------------------------------------------------------------------

    def _watch(self) -> None:
        last_beat = 0.0
        while not self._stopped.wait(POLL_S):
            try:
                if self.until is not None and time.time() >= self.until:
                    self.stop(ENDED)
                elif not self.host.alive:
                    self.stop(TOR_STOPPED)
                elif self.catalog is not None and stop_requested(self.catalog.source, self.started):
                    self.stop(ASKED)
                elif self.announce and time.monotonic() - last_beat >= HEARTBEAT_S:
                    last_beat = time.monotonic()
                    status = self.status().to_json() | {"heartbeat": int(time.time()),
                                                        "line": self.line.text if self.line else None}
                    if self.running:
                        try:
                            write_status(self.vault, status, wait=HEARTBEAT_S)
                        except ShareError:
                            pass   # another process holds the vault; the next heartbeat tries again
            except VaultClosed:
                self.kill(LOCKED)
            except Exception as exc:   # the share never runs on unwatched
                log.warning("a share's watch failed (%s)", type(exc).__name__)
                self.stop(FAILED)


def start_share(vault: Vault, key: SecretKey, pack_ids: Sequence[str] = (), *, host: OnionHost,
                until: int | None = None, persistent: bool = False, announce: bool = True,
                progress: Progress | None = None, limits: Limits | None = None) -> Share:
    """Start a share (see the module's order). It owns `host` from this call on: it closes
    it when the share stops, or at once if the share cannot start."""
    now = int(time.time())
    try:
        if until is not None and until <= now:
            raise ShareError("That end date is already past; choose a later one.")
        if running_shares() and any(s.vault is vault for s in running_shares()):
            raise ShareAlreadyRunning("A share is already running from this library; stop it first.")
        if announce and read_status(vault) is not None:
            raise ShareAlreadyRunning("A share is already running from this library (perhaps in another window); "
                             "stop it first with 'satchel share stop'.")
        signer = key.public.key_id_hex
        packs = choose_packs(vault, pack_ids, signer)
        kept = kept_share(vault) if persistent else None
        if kept is not None and kept.signer != signer:
            raise ShareKeyMismatch(f"Your persistent share is signed with key {kept.signer}, not {signer}: use that "
                                   "key, or revoke the share to start a new one with this key.")
        client_key = kept.client_key if kept is not None else new_client_key()
        version = next_index_version(vault, now)
        trust_list = trust_list_bytes(vault, TrustStore(vault))
        _index, data, signature = signed_index([p.entry() for p in packs], key, trust_list, version,
                                               until or now + DEFAULT_EXPIRY_DAYS * 86400, now)
    except BaseException:
        host.close()
        raise
    share = Share(vault, host, packs, until, persistent, announce, now)
    with _shares_lock:
        _shares.add(share)
    share._unhook = vault.when_locked(lambda: share.kill(LOCKED))
    try:
        share.catalog = VaultCatalog(vault, packs, data, signature)
        share.server = ShareServer(share.catalog, share._count, limits)
        port = share.server.start()
        if progress is not None:
            progress(100, "publishing")
        service_id, new_key = host.publish(port, kept.service_key if kept is not None else None,
                                           client_public_b32(client_key), keep_key=persistent)
        share.service_id = service_id
        if share._stopped.is_set():     # locked or wiped while tor was publishing
            raise VaultClosed("The vault is locked.")
        if persistent and kept is None:
            if not new_key:
                raise ShareError("Tor did not hand over the share's key, so it cannot be kept for next time.")
            keep_share(vault, KeptShare(new_key, client_key, signer))
        with share._lock:
            share.line = ShareLine(service_id, client_key, key.public)
        if announce:
            write_status(vault, share.status().to_json() | {"heartbeat": int(time.time()), "line": share.line.text})
            clear_stop(vault)
    except BaseException:
        share._end(FAILED, at_once=False)
        share._done.set()
        raise
    share._watcher = threading.Thread(target=share._watch, name="satchel-share-watch", daemon=True)
    share._watcher.start()
    log.info("a share started")
    return share


def open_host(home: Any, *, control: str | None = None, tor_path: Path | None = None, bridges: Sequence[Bridge] = (),
              progress: Progress | None = None, cancel: threading.Event | None = None,
              extra: dict[str, list[str]] | None = None, hold: Callable[[Any], None] | None = None) -> OnionHost:
    """The tor a share goes through: the control port given (another program's tor), else
    a tor Satchel starts for the share (its data in the home's "spool" folder). `hold`
    receives Satchel's own tor before it starts, so a lock can kill it while it connects."""
    if control is not None:
        if bridges or tor_path is not None:
            raise ShareError("Bridges and --tor work only with the tor Satchel starts itself, not with a control port.")
        host, port = parse_control(control)
        return connect_control(host, port)
    from sync.torproc import SHARE_DATA_DIR, ManagedTor

    tor = ManagedTor(home, tor_path, bridges, (lambda p, _t: progress(p, "tor")) if progress else None, cancel,
                     extra=extra, folder=SHARE_DATA_DIR)
    if hold is not None:
        hold(tor)
    tor.start()
    return OnionHost(tor.controller, owner=tor)


def status_in_vault(vault: Vault) -> dict[str, Any] | None:
    """What `satchel share status` shows: the running share's status row, or None."""
    return read_status(vault)
