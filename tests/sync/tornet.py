"""A private Tor network on loopback for end-to-end tests and benchmarks.

Three directory authorities, three relays and one onion-service host (any number of v3
onion services, each mapped to a loopback port), all on 127.0.0.1 with ports the OS
handed out, following ../shared/notes/tor-testnet.md. Extra clients join in about a
second (`start_client`), and `client_options()` gives the torrc lines an app-managed
tor needs to join this network instead of the real one.

Every process gets `__OwningControllerProcess` (it exits if the harness dies), and
`stop()` sends SIGTERM to each process started here, then SIGKILL after 5 s. Nothing
outside the given folder is written; /etc/tor is never read (`--defaults-torrc` and
`-f` point into that folder).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

TOR = shutil.which("tor") or "/usr/sbin/tor"
TOR_GENCERT = shutil.which("tor-gencert") or "/usr/bin/tor-gencert"

COMMON = [
    "TestingTorNetwork 1",
    "PathsNeededToBuildCircuits 0.67",
    "TestingDirAuthVoteExit *",
    "TestingDirAuthVoteHSDir *",
    "TestingDirAuthVoteGuard *",
    "TestingMinExitFlagThreshold 0",
    "V3AuthNIntervalsValid 2",
    "RunAsDaemon 0",
    "ShutdownWaitLength 0",
    "SafeLogging 0",
    "Sandbox 0",
]
RELAY = [
    "SocksPort 0",
    "Address 127.0.0.1",
    "ExitRelay 0",
    "ServerDNSDetectHijacking 0",
    "ServerDNSTestAddresses",
    "ServerDNSResolvConfFile /dev/null",
    "AssumeReachable 1",
]
AUTHORITY = [
    "AuthoritativeDirectory 1",
    "V3AuthoritativeDirectory 1",
    "ContactInfo x@test.test",
    "TestingV3AuthInitialVotingInterval 10",
    "TestingV3AuthInitialVoteDelay 2",
    "TestingV3AuthInitialDistDelay 2",
    "V3AuthVotingInterval 10",
    "V3AuthVoteDelay 2",
    "V3AuthDistDelay 2",
]


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Node:
    name: str
    folder: Path
    or_port: int = 0
    dir_port: int = 0
    socks_port: int = 0
    fingerprint: str = ""
    v3ident: str = ""
    proc: subprocess.Popen[bytes] | None = None

    @property
    def torrc(self) -> Path:
        return self.folder / "torrc"

    def log(self) -> str:
        try:
            return (self.folder / "notice.log").read_text(errors="replace")
        except OSError:
            return ""


@dataclass
class TorNet:
    root: Path
    authorities: list[Node] = field(default_factory=list)
    relays: list[Node] = field(default_factory=list)
    host: Node | None = None
    clients: list[Node] = field(default_factory=list)
    services: dict[str, int] = field(default_factory=dict)   # name -> loopback port it forwards to
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- keys ---------------------------------------------------------------------

    def _folder(self, name: str) -> Path:
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        return folder

    def _authority_keys(self, node: Node) -> None:
        keys = node.folder / "keys"
        keys.mkdir(mode=0o700, exist_ok=True)
        subprocess.run(
            [TOR_GENCERT, "--create-identity-key", "--passphrase-fd", "0",
             "-i", str(keys / "authority_identity_key"), "-s", str(keys / "authority_signing_key"),
             "-c", str(keys / "authority_certificate"), "-m", "12", "-a", f"127.0.0.1:{node.dir_port}"],
            input=b"test\n", check=True, capture_output=True, timeout=60)
        for line in (keys / "authority_certificate").read_text().splitlines():
            if line.startswith("fingerprint "):
                node.v3ident = line.split()[1]

    def _fingerprint(self, node: Node) -> None:
        out = subprocess.run(
            [TOR, "--ignore-missing-torrc", "-f", "/nonexistent", "--defaults-torrc", "/nonexistent",
             "--orport", "1", "--datadirectory", str(node.folder), "--list-fingerprint"],
            check=True, capture_output=True, timeout=60, text=True).stdout
        last = [line for line in out.splitlines() if line.strip()][-1]
        node.fingerprint = "".join(last.split()[1:])

    # -- torrc ----------------------------------------------------------------------

    def dir_authority_lines(self) -> list[str]:
        return [f"DirAuthority {a.name} orport={a.or_port} no-v2 v3ident={a.v3ident} "
                f"127.0.0.1:{a.dir_port} {a.fingerprint}" for a in self.authorities]

    def _base(self, node: Node) -> list[str]:
        return [*COMMON, f"DataDirectory {node.folder}", f"Nickname {node.name}",
                f"Log notice file {node.folder / 'notice.log'}",
                f"__OwningControllerProcess {os.getpid()}", *self.dir_authority_lines()]

    def client_options(self) -> dict[str, list[str]]:
        """The torrc options (name -> values) a client needs to join this network."""
        return {
            "TestingTorNetwork": ["1"],
            "PathsNeededToBuildCircuits": ["0.67"],
            "DirAuthority": [line.split(" ", 1)[1] for line in self.dir_authority_lines()],
        }

    def _start(self, node: Node, lines: list[str]) -> None:
        node.torrc.write_text("\n".join(lines) + "\n")
        defaults = node.folder / "defaults"
        defaults.write_text("")
        node.proc = subprocess.Popen(
            [TOR, "-f", str(node.torrc), "--defaults-torrc", str(defaults)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)

    # -- the network ----------------------------------------------------------------

    def start(self, services: dict[str, int], authorized: dict[str, str] | None = None) -> None:
        """Start every node at once; `services` maps a name to the loopback port its onion
        forwards to; `authorized` maps a service's name to the base32 x25519 public key of
        the one client allowed to reach it (onion client authorization)."""
        self.services = dict(services)
        for i in range(3):
            self.authorities.append(Node(f"auth{i}", self._folder(f"auth{i}"), free_port(), free_port()))
        for i in range(3):
            self.relays.append(Node(f"relay{i}", self._folder(f"relay{i}"), free_port(), free_port()))
        self.host = Node("host", self._folder("host"))
        workers = [threading.Thread(target=self._authority_keys, args=(a,)) for a in self.authorities]
        workers += [threading.Thread(target=self._fingerprint, args=(n,)) for n in self.authorities + self.relays]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        for node in self.authorities:
            self._start(node, [*self._base(node), *RELAY, *AUTHORITY, f"ORPort 127.0.0.1:{node.or_port}",
                               f"DirPort 127.0.0.1:{node.dir_port}"])
        for node in self.relays:
            self._start(node, [*self._base(node), *RELAY, f"ORPort 127.0.0.1:{node.or_port}",
                               f"DirPort 127.0.0.1:{node.dir_port}"])
        lines = [*self._base(self.host), "SocksPort 0"]
        for name, port in self.services.items():
            hs = self.host.folder / f"hs_{name}"
            hs.mkdir(mode=0o700, exist_ok=True)
            if authorized and name in authorized:
                (hs / "authorized_clients").mkdir(mode=0o700, exist_ok=True)
                (hs / "authorized_clients" / "learner.auth").write_text(f"descriptor:x25519:{authorized[name]}\n")
            lines += [f"HiddenServiceDir {hs}", "HiddenServiceVersion 3", f"HiddenServicePort 80 127.0.0.1:{port}"]
        self._start(self.host, lines)

    def onion(self, name: str, timeout: float = 30) -> str:
        """The .onion name of a service (its hostname file appears within about a second)."""
        assert self.host is not None
        path = self.host.folder / f"hs_{name}" / "hostname"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                text = path.read_text().strip()
                if text.endswith(".onion"):
                    return text
            time.sleep(0.1)
        raise RuntimeError(f"the onion service {name} did not get an address")

    def start_client(self, name: str | None = None, control: bool = False) -> Node:
        """A tor client joined to this network, with its own SOCKS port (IsolateSOCKSAuth);
        with `control`, a control port too (for `traffic_read`)."""
        with self._lock:
            name = name or f"client{len(self.clients)}"
            node = Node(name, self._folder(name), socks_port=free_port(), dir_port=free_port() if control else 0)
            self.clients.append(node)
        lines = [*self._base(node), f"SocksPort 127.0.0.1:{node.socks_port} IsolateSOCKSAuth ExtendedErrors"]
        if control:
            lines += [f"ControlPort 127.0.0.1:{node.dir_port}", "CookieAuthentication 1"]
        self._start(node, lines)
        return node

    @staticmethod
    def traffic_read(node: Node) -> int:
        """Bytes this client's tor read from the network so far (GETINFO traffic/read), over
        a plain control connection: stem would take ownership of the node and end it."""
        cookie = (node.folder / "control_auth_cookie").read_bytes().hex()
        with socket.create_connection(("127.0.0.1", node.dir_port), timeout=10) as s:
            s.sendall(f"AUTHENTICATE {cookie}\r\nGETINFO traffic/read\r\nQUIT\r\n".encode())
            reply = b""
            while chunk := s.recv(4096):
                reply += chunk
        m = re.search(rb"traffic/read=(\d+)", reply)
        if not m:
            raise RuntimeError("tor did not report its traffic")
        return int(m.group(1))

    def start_obfs4_bridge(self, timeout: float = 60) -> str:
        """A bridge relay behind obfs4proxy, joined to this network; returns its bridge
        line as a user would paste it (obfs4 127.0.0.1:PORT FINGERPRINT cert=... iat-mode=0)."""
        obfs4proxy = shutil.which("obfs4proxy") or "/usr/bin/obfs4proxy"
        with self._lock:
            node = Node("bridge", self._folder("bridge"), free_port(), socks_port=free_port())
            self.clients.append(node)
        self._start(node, [*self._base(node), *RELAY, "BridgeRelay 1", "PublishServerDescriptor 0",
                           f"ORPort 127.0.0.1:{node.or_port}", "ExtORPort auto",
                           f"ServerTransportPlugin obfs4 exec {obfs4proxy}",
                           f"ServerTransportListenAddr obfs4 127.0.0.1:{node.socks_port}"])
        line_file = node.folder / "pt_state" / "obfs4_bridgeline.txt"
        fingerprint_file = node.folder / "fingerprint"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                cert = re.search(r"cert=(\S+) iat-mode=(\d)", line_file.read_text())
                fingerprint = fingerprint_file.read_text().split()[1]
                if cert and "Bootstrapped 100%" in node.log():
                    return (f"obfs4 127.0.0.1:{node.socks_port} {fingerprint} cert={cert.group(1)} "
                            f"iat-mode={cert.group(2)}")
            time.sleep(0.2)
        raise RuntimeError("the obfs4 bridge did not start: " + node.log()[-800:])

    def bootstrapped(self, node: Node) -> bool:
        return "Bootstrapped 100%" in node.log()

    def processes(self) -> list[Node]:
        nodes = [*self.authorities, *self.relays, *self.clients]
        return nodes + ([self.host] if self.host is not None else [])

    def restart_host(self) -> None:
        """Stop and start the onion-service host (same keys, so the same addresses)."""
        assert self.host is not None
        stop_process(self.host.proc)
        self.host.proc = subprocess.Popen(
            [TOR, "-f", str(self.host.torrc), "--defaults-torrc", str(self.host.folder / "defaults")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)

    def stop_client(self, node: Node) -> None:
        stop_process(node.proc)
        with self._lock:
            if node in self.clients:
                self.clients.remove(node)

    def stop(self) -> None:
        procs = [n.proc for n in self.processes() if n.proc is not None]
        for p in procs:
            with contextlib.suppress(OSError):
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for p in procs:
            try:
                p.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def stop_process(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM, then SIGKILL after 5 s."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
