"""The way into Tor: a SOCKS port that is already there, or a tor process Satchel starts.

Two kinds of connection, one interface (`TorConnection`: a SOCKS endpoint, a per-
repository hook, close):

- `ExistingTor`: a SOCKS port someone else runs (Tor Browser's 9150, a system tor's
  9050, or a port the user names). Satchel only talks SOCKS to it; it cannot add
  client-authorization keys there.
- `ManagedTor`: a tor process Satchel starts and owns (sync.torproc), controlled with
  stem over its control port, with bootstrap progress, bridges, and a hook that hands
  an onion service's client-authorization key to tor before a repository is reached
  (what share links need).

Guarantees:
- Only loopback addresses are ever used for SOCKS or control; names are resolved by Tor.
- The tor Satchel starts keeps its data in the home's neutral folder "cache" (0700),
  gets its configuration on standard input (no torrc file anywhere), logs only to a pipe
  Satchel reads into memory, and never outlives Satchel: it is started with
  `__OwningControllerProcess` and stem issues TAKEOWNERSHIP, so tor exits when the
  control connection closes or Satchel dies; `close()` stops it, and so does the panic
  wipe (a hook registered with app.wipe), which then removes its folder.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import re
import socket
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from app import wipe as wipe_mod
from app.home import Home
from content_packs.bridges import Bridge
from sync.errors import NeedsOwnTor, SocksUnreachable
from sync.http import SocksEndpoint
from sync.onion import RepoUrl

log = logging.getLogger(__name__)


def quiet_stem() -> None:
    """stem logs the commands it sends (keys among them) at its TRACE level, and sets its
    logger to TRACE when `stem.util.log` is first imported: import it, then turn it down,
    so that no key can ever reach a log handler."""
    import stem.util.log  # noqa: F401

    logging.getLogger("stem").setLevel(logging.WARNING)

DEFAULT_SOCKS_PORTS = (9150, 9050)   # Tor Browser, then a system tor
_LOOPBACK = ("127.0.0.1", "::1", "localhost")
_CLIENT_KEY_RE = re.compile(r"^[A-Za-z0-9+/]{43}=\Z")

Progress = Callable[[int, str], None]   # (percent, tor's short tag for the phase)


class TorConnection(Protocol):
    """What a sync needs from Tor; issue 15's share feature needs the managed kind."""

    socks: SocksEndpoint

    def prepare(self, url: RepoUrl, client_key: str | None) -> None:
        """Called before a repository is reached (per-repository setup, e.g. its key)."""

    def close(self) -> None: ...


def check_client_key(text: str) -> str:
    """An onion client-authorization private key: base64 of 32 bytes (x25519)."""
    if not isinstance(text, str) or not _CLIENT_KEY_RE.match(text):
        raise ValueError("not a client key")
    try:
        if len(base64.b64decode(text, validate=True)) != 32:
            raise ValueError("not a client key")
    except binascii.Error:
        raise ValueError("not a client key") from None
    return text


def parse_socks(text: str) -> SocksEndpoint:
    """HOST:PORT (or just PORT) of a SOCKS port on this computer."""
    host, sep, port = text.strip().rpartition(":")
    if not sep:
        host, port = "127.0.0.1", text.strip()
    host = host.strip("[]") or "127.0.0.1"
    if host == "localhost":
        host = "127.0.0.1"
    if host not in _LOOPBACK:
        raise SocksUnreachable("Satchel uses Tor only on this computer: the SOCKS port must be on "
                               "127.0.0.1.")
    if not port.isdigit() or len(port) > 5 or not 1 <= int(port) <= 65535:
        raise SocksUnreachable("The SOCKS port must be a number from 1 to 65535.")
    return SocksEndpoint(host, int(port))


def _listening(endpoint: SocksEndpoint, timeout: float = 2.0) -> bool:
    family = socket.AF_INET6 if ":" in endpoint.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect((endpoint.host, endpoint.port))
        except OSError:
            return False
    return True


class ExistingTor:
    """A SOCKS port run by someone else (Tor Browser, a system tor)."""

    def __init__(self, socks: SocksEndpoint) -> None:
        self.socks = socks

    @classmethod
    def find(cls, ports: tuple[int, ...] = DEFAULT_SOCKS_PORTS) -> ExistingTor:
        """The first of Tor Browser's and a system tor's ports that answers."""
        for port in ports:
            endpoint = SocksEndpoint("127.0.0.1", port)
            if _listening(endpoint):
                return cls(endpoint)
        raise SocksUnreachable("No Tor is running on this computer (Tor Browser's port 9150 and tor's "
                               "port 9050 do not answer); start Tor Browser, or let Satchel start tor.")

    def prepare(self, url: RepoUrl, client_key: str | None) -> None:
        if client_key:
            raise NeedsOwnTor("This repository needs a key that only the tor Satchel starts itself can "
                              "use; sync with Satchel's own tor.")

    def close(self) -> None:
        return None


# -- the panic wipe stops every tor this process started ------------------------------

_running: weakref.WeakSet[Stoppable] = weakref.WeakSet()
_running_lock = threading.Lock()


class Stoppable(Protocol):
    def kill(self) -> None: ...


def track(process: Stoppable) -> None:
    with _running_lock:
        _running.add(process)


def stop_all() -> None:
    """Stop every tor this process started, at once (panic wipe, quit)."""
    with _running_lock:
        running = list(_running)
    for process in running:
        with contextlib.suppress(Exception):
            process.kill()


wipe_mod.register_wipe_hook(stop_all)



def open_connection(home: Home, *, socks: SocksEndpoint | None = None, tor_path: Path | None = None,
                    own: bool = False, bridges: Sequence[Bridge] = (), progress: Progress | None = None,
                    cancel: threading.Event | None = None, deadline: float | None = None,
                    extra: Mapping[str, Sequence[str]] | None = None) -> TorConnection:
    """The connection a sync asked for: the SOCKS port given; else Satchel's own tor
    when asked for it (a tor program, bridges); else a Tor already running here (Tor
    Browser, a system tor); else Satchel's own tor."""
    if socks is not None:
        if bridges:
            raise NeedsOwnTor("Bridges work only with the tor Satchel starts itself, not with another "
                              "program's SOCKS port.")
        if not _listening(socks):
            raise SocksUnreachable(f"Nothing answers at the Tor port {socks}; is Tor running?")
        if progress is not None:
            progress(100, "done")
        return ExistingTor(socks)
    if not (own or tor_path is not None or bridges or extra):
        try:
            found = ExistingTor.find()
        except SocksUnreachable:
            pass
        else:
            if progress is not None:
                progress(100, "done")
            return found
    from sync.torproc import BOOTSTRAP_DEADLINE, ManagedTor

    tor = ManagedTor(home, tor_path, bridges, progress, cancel,
                     deadline if deadline is not None else BOOTSTRAP_DEADLINE, extra)
    tor.start()
    return tor
