"""A tor process that Satchel starts, owns and stops (the `ManagedTor` of sync.tor).

Guarantees:
- The program comes from the path the user gave, else the app bundle (a `tor` folder
  inside the frozen app), else the system (PATH, /usr/sbin, /usr/bin); bridges' plugins
  (obfs4proxy, snowflake-client) the same way. A missing one is one sentence.
- Configuration goes to tor on standard input: no torrc file, no temporary file. Its
  data folder is the home's neutral folder "cache" (mode 0700), or "spool" for the tor
  that carries a trainer's share (so a sync can run beside a share); tor logs to a pipe
  that is read into a small in-memory buffer and never written anywhere.
- SOCKS and control listen on loopback ports that tor picks itself; the SOCKS port
  isolates circuits by SOCKS credentials and reports Tor's extended errors.
- Every wait has a deadline Satchel enforces itself (stem's own start-up timeout uses
  SIGALRM, which works only on the main thread) and notices Cancel within 0.2 s.
- Bootstrap progress comes from STATUS_CLIENT events plus one read of
  `status/bootstrap-phase` after subscribing, so no step is missed.
- tor never outlives Satchel: `__OwningControllerProcess` plus stem's TAKEOWNERSHIP make
  it exit when the control connection closes or this process dies; `close()` stops it,
  and the panic wipe kills it (sync.tor.stop_all).
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from app.home import Home
from content_packs.bridges import Bridge
from sync.errors import TorBlocked, TorFailed, TorNotFound, TransferCancelled
from sync.http import SocksEndpoint
from sync.onion import RepoUrl
from sync.tor import Progress, check_client_key, quiet_stem, track

quiet_stem()

DATA_DIR = "cache"
SHARE_DATA_DIR = "spool"       # the tor that carries a trainer's share (sync.share)
START_DEADLINE = 30.0          # until tor's control port is open
BOOTSTRAP_DEADLINE = 180.0     # until tor reports 100 %
_CONTROL_RE = re.compile(r"Opened Control listener connection \(ready\) on 127\.0\.0\.1:([0-9]{1,5})")
_ADDRESS_RE = re.compile(r'"?127\.0\.0\.1:([0-9]{1,5})"?')
_PLUGINS = {"obfs4": "obfs4proxy", "snowflake": "snowflake-client"}
_SYSTEM_DIRS = ("/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin")


def find_program(name: str, given: Path | None = None) -> Path | None:
    """A program from the given path, the app bundle, or the system; None if absent."""
    if given is not None:
        path = Path(given)
        return path if path.is_file() and os.access(path, os.X_OK) else None
    from app.resources import bundle_dir

    base = bundle_dir()  # the bundle ships tor and its bridge plugins in one tor/ folder
    candidates = [base / "tor" / name, base / name] if base is not None else []
    found = shutil.which(name)
    if found:
        candidates.append(Path(found))
    candidates += [Path(d) / name for d in _SYSTEM_DIRS]
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    return None


def _quoted(value: str) -> str:
    """A torrc value in double quotes (a home folder may hold '#' or spaces)."""
    if any(c in value for c in "\r\n\0"):
        raise TorFailed("Satchel's folder has a name tor cannot use.")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ManagedTor:
    """A tor process started for this Satchel, joined to Tor (or, for tests, a private network)."""

    def __init__(self, home: Home, tor_path: Path | None = None, bridges: Sequence[Bridge] = (),
                 progress: Progress | None = None, cancel: threading.Event | None = None,
                 deadline: float = BOOTSTRAP_DEADLINE, extra: Mapping[str, Sequence[str]] | None = None,
                 folder: str = DATA_DIR) -> None:
        self.home = home
        self.folder = folder
        self.tor_path = tor_path
        self.bridges = list(bridges)
        self.progress_cb = progress
        self.cancel = cancel
        self.deadline = deadline
        self.extra = dict(extra or {})   # torrc options for a private test network
        self.process: subprocess.Popen[bytes] | None = None
        self.controller: Any = None      # stem.control.Controller, for share (issue 15)
        self.socks = SocksEndpoint("127.0.0.1", 0)
        self.percent = 0
        self.lines: collections.deque[str] = collections.deque(maxlen=40)
        self._control_port: int | None = None
        self._changed = threading.Condition()
        self._exited = False

    # -- starting ------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self.home.aux_dir(self.folder)

    def _config(self, plugins: dict[str, Path]) -> str:
        lines = [
            f"DataDirectory {_quoted(str(self.data_dir))}",
            "SocksPort 127.0.0.1:auto IsolateSOCKSAuth ExtendedErrors",
            "ControlPort 127.0.0.1:auto",
            "CookieAuthentication 1",
            "ClientOnly 1",
            "AvoidDiskWrites 1",
            "SafeLogging 1",
            "Log notice stdout",
        ]
        if self.bridges:
            lines.append("UseBridges 1")
            lines += [f"Bridge {b.line}" for b in self.bridges]
            lines += [f"ClientTransportPlugin {t} exec {p}" for t, p in plugins.items()]
        for key, values in self.extra.items():
            for value in values:
                if any(c in key + value for c in "\r\n\0"):
                    raise ValueError("a torrc option on one line")
                lines.append(f"{key} {value}")
        return "\n".join(lines) + "\n"

    def start(self) -> SocksEndpoint:
        """Start tor and wait until it has bootstrapped; returns its SOCKS endpoint."""
        program = find_program("tor", self.tor_path)
        if program is None:
            if self.tor_path is not None:
                raise TorNotFound(f"There is no tor program at {self.tor_path}.")
            raise TorNotFound("Satchel cannot find the tor program; install tor, or use the Tor Browser's "
                              "connection.")
        plugins: dict[str, Path] = {}
        for transport in sorted({b.transport for b in self.bridges if b.transport}):
            found = find_program(_PLUGINS[transport])
            if found is None:
                raise TorNotFound(f"{transport} bridges need the program {_PLUGINS[transport]}, which is "
                                  "not installed.")
            if any(c.isspace() or c in "\"'#\\" for c in str(found)):
                # tor splits this option's value on spaces and has no way to quote a program.
                raise TorNotFound(f"The program {_PLUGINS[transport]} is in a folder whose name has spaces or "
                                  "quotes, which tor cannot use; move Satchel to a plain folder.")
            plugins[transport] = found
        self.home.ensure()
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        os.chmod(self.data_dir, 0o700)
        config = self._config(plugins)
        args = [str(program), "-f", "-", "--defaults-torrc", str(self.data_dir / "defaults"),
                "--ignore-missing-torrc", "__OwningControllerProcess", str(os.getpid())]
        try:
            self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,  # noqa: S603
                                            stderr=subprocess.STDOUT, cwd=str(self.data_dir))
        except OSError:
            raise TorNotFound(f"Satchel could not start the tor program at {program}.") from None
        track(self)
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(config.encode("utf-8"))
            self.process.stdin.close()
            threading.Thread(target=self._read_output, name="satchel-tor-log", daemon=True).start()
            self._wait(lambda: self._control_port is not None, time.monotonic() + START_DEADLINE, starting=True)
            self._connect_controller()
            self._bootstrap()
        except BaseException:
            self.close()
            raise
        return self.socks

    def _read_output(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            self.lines.append(line)
            m = _CONTROL_RE.search(line)
            if m and self._control_port is None:
                with self._changed:
                    self._control_port = int(m.group(1))
                    self._changed.notify_all()
        with self._changed:
            self._exited = True
            self._changed.notify_all()

    def _wait(self, done: Any, deadline: float, starting: bool = False) -> None:
        with self._changed:
            while not done():
                if self._exited:
                    raise self._failure()
                if self.cancel is not None and self.cancel.is_set():
                    raise TransferCancelled("Connecting to Tor was cancelled.")
                if time.monotonic() > deadline:
                    if starting:
                        raise TorFailed("Tor did not start in time.")
                    raise self._blocked()
                self._changed.wait(0.2)

    def _failure(self) -> TorFailed:
        text = "\n".join(self.lines)
        if "another Tor process is running" in text or "Couldn't lock" in text:
            return TorFailed("Another tor started by Satchel is already running; close the other Satchel.")
        if self.bridges and ("Bridge" in text or "transport" in text.lower()):
            return TorFailed("Tor could not use the bridges it was given; check the bridge lines.")
        return TorFailed("Tor stopped while connecting.")

    def _blocked(self) -> TorBlocked:
        seconds = int(self.deadline)
        if self.bridges:
            return TorBlocked(f"Tor could not connect through the bridges within {seconds} seconds "
                              f"(it got to {self.percent} %); try other bridges.")
        return TorBlocked(f"Tor could not connect within {seconds} seconds (it got to {self.percent} %); "
                          "the network may be blocking Tor. Try bridges.")

    def _connect_controller(self) -> None:
        import stem
        from stem.control import Controller, EventType

        try:
            controller = Controller.from_port("127.0.0.1", self._control_port)
            controller.authenticate()   # the cookie in the data folder; stem then takes ownership
        except (stem.SocketError, stem.connection.AuthenticationFailure, OSError):
            raise TorFailed("Satchel could not talk to the tor it started.") from None
        self.controller = controller
        controller.add_event_listener(self._on_status, EventType.STATUS_CLIENT)

    def _on_status(self, event: Any) -> None:
        if getattr(event, "action", None) == "BOOTSTRAP":
            self._set_progress(event.arguments)

    def _set_progress(self, arguments: Mapping[str, str]) -> None:
        text = arguments.get("PROGRESS", "")
        if not text.isdigit():
            return
        with self._changed:
            self.percent = max(self.percent, min(100, int(text)))
            self._changed.notify_all()
        if self.progress_cb is not None:
            self.progress_cb(self.percent, arguments.get("TAG", "")[:40])

    def _bootstrap(self) -> None:
        phase = self.controller.get_info("status/bootstrap-phase", "")
        self._set_progress(dict(re.findall(r'([A-Z]+)=("[^"]*"|\S+)', phase)))
        self._wait(lambda: self.percent >= 100, time.monotonic() + self.deadline)
        listeners = self.controller.get_info("net/listeners/socks", "")
        m = _ADDRESS_RE.search(listeners)
        if not m:
            raise TorFailed("The tor Satchel started has no SOCKS port.")
        self.socks = SocksEndpoint("127.0.0.1", int(m.group(1)))

    # -- using and stopping ----------------------------------------------------------

    def prepare(self, url: RepoUrl, client_key: str | None) -> None:
        """Give tor the key of a repository that needs client authorization (share links)."""
        if not client_key:
            return
        import stem

        key = check_client_key(client_key)
        try:
            reply = self.controller.msg(f"ONION_CLIENT_AUTH_ADD {url.service_id} x25519:{key}")
        except (stem.ControllerError, AttributeError):
            raise TorFailed("Satchel could not give tor the repository's key.") from None
        # 250 added; 251 replaced an older key; 252 added and an already fetched descriptor decrypted.
        code = reply.content()[0][0] if reply.content() else ""
        if code not in ("250", "251", "252"):
            raise TorFailed("Tor did not accept the repository's key.")

    def kill(self) -> None:
        """Stop at once (the panic wipe): SIGKILL, then wait for the process to go."""
        proc = self.process
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(2)
        self._drop_controller()

    def _drop_controller(self) -> None:
        controller, self.controller = self.controller, None
        if controller is not None:
            with contextlib.suppress(Exception):
                controller.close()

    def close(self) -> None:
        """Stop tor: closing the owning control connection ends it; SIGTERM, then SIGKILL after 5 s."""
        self._drop_controller()
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(OSError):
            proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                proc.kill()
            proc.wait()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> ManagedTor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
