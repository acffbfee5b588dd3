"""A trainer's share, end to end, over the session's private Tor network: one vault
shares, a second vault follows the share line and syncs, with onion client
authorization; and each bad case (no key, a wrong key, an untrusted or mismatched
signer, paths outside the repository, a range beyond a file, 200 connections at once,
the share stopped, locked or wiped mid-download)."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sharehelp import Trainer, listening_sockets, trainer_home
from support import make_keypair
from test_tor_sync import installed, wait_for
from torenv import PASSPHRASE, TorEnv

from app.home import Home
from app.trust import TrustStore
from app.vault import Vault
from app.wipe import panic_wipe
from sync.downloads import held_bytes
from sync.follow import add_repository
from sync.online import SyncReport, sync_all
from sync.share import ASKED, ENDED, LOCKED, Share, open_host, start_share
from sync.share_store import kept_share, request_stop, revoke_share
from sync.shareline import ShareLine, new_client_key, parse_share_line
from sync.torproc import ManagedTor

pytestmark = pytest.mark.tor
BIG = "org.example.lesson-film"
MINE = ["org.example.lesson-one", BIG]
PUBLISHER_PACK = "org.example.publisher-guide"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Trainer:
    folder = tmp_path_factory.mktemp("share-trainer")
    publisher = make_keypair(folder / "keys", "publisher")
    return trainer_home(folder, make_keypair(folder / "keys", "trainer"),
                        {"org.example.lesson-one": 0, BIG: 12_000_000},
                        {PUBLISHER_PACK: (publisher, 0)})


@pytest.fixture
def trainer(template: Trainer, tmp_path: Path) -> Trainer:
    home = tmp_path / "trainer"
    shutil.copytree(template.home, home)
    return Trainer(home, template.key, template.packs)


class Sharing:
    """A trainer's vault, open, with its share (started by `start`)."""

    def __init__(self, env: TorEnv, trainer: Trainer) -> None:
        self.env = env
        self.trainer = trainer
        self.vault = Vault.unlock(trainer.home, PASSPHRASE)
        self.share: Share | None = None
        self.tor: ManagedTor | None = None

    def start(self, pack_ids: tuple[str, ...] = (), **kw: object) -> Share:
        def hold(tor: ManagedTor) -> None:
            self.tor = tor

        host = open_host(Home(self.trainer.home), extra=self.env.net.client_options(), hold=hold)
        self.share = start_share(self.vault, self.trainer.key.secret, pack_ids, host=host, **kw)  # type: ignore[arg-type]
        return self.share

    @property
    def line(self) -> ShareLine:
        assert self.share is not None and self.share.line is not None
        return self.share.line

    def close(self) -> None:
        if self.share is not None:
            self.share.stop()
        if self.vault.is_open:
            self.vault.close()


@pytest.fixture
def sharing(tor_env: TorEnv, trainer: Trainer) -> Iterator[Sharing]:
    s = Sharing(tor_env, trainer)
    yield s
    s.close()


class Participant:
    def __init__(self, env: TorEnv, home: Path, trust: list[object]) -> None:
        from support import FAST_MS

        self.home = home
        with Vault.create(home, PASSPHRASE, iter_time_ms=FAST_MS) as vault:
            for key in trust:
                TrustStore(vault).add_manual(key)  # type: ignore[arg-type]
        self.tor = ManagedTor(Home(home), deadline=120, extra=env.net.client_options())
        self.tor.start()

    def follow(self, line: ShareLine, client_key: str | None = None, signer: str | None = None) -> None:
        with Vault.unlock(self.home, PASSPHRASE) as vault:
            add_repository(vault, str(line.url), client_key=client_key or line.client_key_b64,
                           signer=signer or line.signer.key_id_hex)

    def sync(self) -> SyncReport:
        with Vault.unlock(self.home, PASSPHRASE) as vault:
            return sync_all(vault, self.tor)

    def close(self) -> None:
        self.tor.close()


@pytest.fixture
def participants(tor_env: TorEnv, tmp_path: Path) -> Iterator[list[Participant]]:
    made: list[Participant] = []
    yield made
    for p in made:
        p.close()


def join(env: TorEnv, tmp_path: Path, made: list[Participant], trust: list[object], name: str = "p") -> Participant:
    p = Participant(env, tmp_path / name, trust)
    made.append(p)
    return p


def error(report: SyncReport) -> str:
    return report.repositories[0].error or ""


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the normal path ------------------------------------------------------------------

def test_a_share_syncs_into_a_second_vault_with_client_authorization(
        sharing: Sharing, participants: list[Participant], tmp_path: Path) -> None:
    share = sharing.start()
    line = parse_share_line(share.status().line or "")          # what participants copy or scan
    assert line == sharing.line and line.signer == sharing.trainer.key.public
    assert sorted(p.id for p in share.packs) == sorted(MINE)    # everything the trainer signed, not the publisher's
    learner = join(sharing.env, tmp_path, participants, [line.signer])
    learner.follow(line)
    report = learner.sync()
    assert report.ok, [r.error for r in report.repositories]
    assert installed(learner.home) == dict.fromkeys(MINE, 1)
    wait_for(lambda: share.status().fetched == dict.fromkeys(MINE, 1), 10, "the counts")
    assert share.status().visits >= 1
    again = learner.sync()
    assert again.ok and again.nothing_new

    # Nothing of the share listens anywhere but loopback: this process, and the tor it started.
    assert sharing.tor is not None and sharing.tor.process is not None
    for pid in (os.getpid(), sharing.tor.process.pid):
        assert all(address == "127.0.0.1" for address, _ in listening_sockets(pid)), pid
    assert sharing.share is not None and ("127.0.0.1", sharing.share.server.port) in \
        listening_sockets(os.getpid())  # type: ignore[union-attr]


def test_named_packs_only_and_a_publisher_pack_too(sharing: Sharing, participants: list[Participant],
                                                   tmp_path: Path) -> None:
    share = sharing.start(("org.example.lesson-one", PUBLISHER_PACK))
    learner = join(sharing.env, tmp_path, participants, [sharing.line.signer, _publisher_key(sharing)])
    learner.follow(sharing.line)
    assert learner.sync().ok
    assert installed(learner.home) == {"org.example.lesson-one": 1, PUBLISHER_PACK: 1}
    assert sorted(share.status().packs) == sorted(["org.example.lesson-one", PUBLISHER_PACK])


def _publisher_key(sharing: Sharing) -> object:
    from content_packs.signer import embedded_signer

    return embedded_signer(sharing.trainer.packs[PUBLISHER_PACK])


# -- who can reach it ------------------------------------------------------------------

def test_without_the_key_the_share_cannot_even_be_found_and_a_wrong_key_is_refused(
        sharing: Sharing, participants: list[Participant], tmp_path: Path) -> None:
    import base64

    sharing.start()
    line = sharing.line
    learner = join(sharing.env, tmp_path, participants, [line.signer])
    with Vault.unlock(learner.home, PASSPHRASE) as vault:
        add_repository(vault, str(line.url))                              # the address alone, no key
    assert "needs a key" in error(learner.sync())
    wrong = base64.b64encode(new_client_key()).decode()
    other = join(sharing.env, tmp_path, participants, [line.signer], "other")
    other.follow(line, client_key=wrong)
    assert "not accepted" in error(other.sync())
    assert installed(learner.home) == {} and installed(other.home) == {}
    assert sharing.share is not None and sharing.share.status().visits == 0   # nothing reached the server


def test_an_index_signed_by_an_untrusted_or_other_key_is_refused(
        sharing: Sharing, participants: list[Participant], tmp_path: Path) -> None:
    sharing.start()
    line = sharing.line
    stranger = join(sharing.env, tmp_path, participants, [])                 # trusts nothing
    stranger.follow(line)
    assert "which you do not trust" in error(stranger.sync())
    someone = make_keypair(tmp_path / "keys", "someone").public
    pinned = join(sharing.env, tmp_path, participants, [line.signer], "pinned")
    pinned.follow(line, signer=someone.key_id_hex)                           # the line named another key
    assert "not by the trainer's key" in error(pinned.sync())
    assert installed(stranger.home) == {} and installed(pinned.home) == {}


# -- hostile requests through the onion service ------------------------------------------

def raw_onion(participant: Participant, line: ShareLine, raw: bytes, credentials: str = "x") -> bytes:
    from python_socks import ProxyType
    from python_socks.sync import Proxy

    participant.tor.prepare(line.url, line.client_key_b64)
    proxy = Proxy(ProxyType.SOCKS5, "127.0.0.1", participant.tor.socks.port, credentials, "p", rdns=True)
    sock = proxy.connect(line.url.host, 80, timeout=120)
    sock.settimeout(60)
    with sock:
        sock.sendall(raw)
        data = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    return data


def test_paths_outside_the_repository_and_a_range_beyond_a_file(
        sharing: Sharing, participants: list[Participant], tmp_path: Path) -> None:
    sharing.start()
    line = sharing.line
    learner = join(sharing.env, tmp_path, participants, [line.signer])
    for path in ("/../data", "/..%2f..%2fkey", "/etc/passwd", "/%2e%2e/index.json", "/cache/state"):
        answer = raw_onion(learner, line, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        assert answer.startswith(b"HTTP/1.1 404 "), (path, answer[:40])
    film = sharing.trainer.packs[BIG]
    name = sha(film)[:16] + ".bin"
    size = film.stat().st_size
    answer = raw_onion(learner, line, f"GET /{name} HTTP/1.1\r\nRange: bytes={size}-\r\nConnection: close\r\n\r\n"
                       .encode())
    assert answer.startswith(b"HTTP/1.1 416 ") and f"Content-Range: bytes */{size}".encode() in answer
    answer = raw_onion(learner, line, f"GET /{name} HTTP/1.1\r\nRange: bytes=100-199\r\nConnection: close\r\n\r\n"
                       .encode())
    assert answer.startswith(b"HTTP/1.1 206 ") and answer.endswith(film.read_bytes()[100:200])
    garbage = raw_onion(learner, line, b"\x00\x01\x02 nonsense\r\n\r\n")
    assert garbage.startswith(b"HTTP/1.1 400 ")
    learner.follow(line)
    assert learner.sync().ok                                             # and the share still works


def test_200_connections_at_once_do_not_block_another_participant(
        sharing: Sharing, participants: list[Participant], tmp_path: Path) -> None:
    from python_socks import ProxyType
    from python_socks.sync import Proxy

    share = sharing.start()
    line = sharing.line
    hog = join(sharing.env, tmp_path, participants, [line.signer], "hog")
    hog.tor.prepare(line.url, line.client_key_b64)
    raw_onion(hog, line, b"GET /index.json HTTP/1.1\r\nConnection: close\r\n\r\n", "hog")  # the circuit exists
    opened: list[socket.socket] = []
    failures = [0]

    def open_one(i: int) -> None:
        try:
            proxy = Proxy(ProxyType.SOCKS5, "127.0.0.1", hog.tor.socks.port, f"hog{i % 4}", "p", rdns=True)
            opened.append(proxy.connect(line.url.host, 80, timeout=60))
        except Exception:
            failures[0] += 1

    threads = [threading.Thread(target=open_one, args=(i,)) for i in range(200)]
    for t in threads:
        t.start()
    try:
        learner = join(sharing.env, tmp_path, participants, [line.signer])
        learner.follow(line)
        report = learner.sync()
        assert report.ok, error(report)
        assert installed(learner.home) == dict.fromkeys(MINE, 1)
        for t in threads:
            t.join(90)
        assert len(opened) + failures[0] == 200
        assert share.server is not None and share.server.connections <= share.server.limits.max_connections
    finally:
        for s in opened:
            s.close()
    assert share.running


# -- stopping --------------------------------------------------------------------------

def _sync_in_thread(learner: Participant) -> tuple[threading.Thread, list[object], Vault]:
    """Start a sync on a thread; also returns a second Vault on the learner's home to
    watch it with (unlocked first: two key derivations at once are not what the app does)."""
    outcome: list[object] = []
    watch = Vault.unlock(learner.home, PASSPHRASE)

    def run() -> None:
        try:
            outcome.append(learner.sync())
        except Exception as exc:
            outcome.append(exc)

    t = threading.Thread(target=run)
    t.start()
    return t, outcome, watch


def arrived(watch: Vault, line: ShareLine, pack: Path, at_least: int) -> None:
    """Wait until `at_least` bytes of `pack` are committed in the learner's vault (`watch`:
    a second Vault on it, opened before the sync started, reads while the sync writes)."""
    digest = sha(pack)
    wait_for(lambda: held_bytes(watch, str(line.url), digest) >= at_least, what="part of the film to arrive")


def _failed(outcome: list[object]) -> str:
    result = outcome[0]
    if isinstance(result, Exception):
        return str(result)
    assert isinstance(result, SyncReport)
    return "; ".join([r.error or "" for r in result.repositories] + [p.error or "" for p in result.failed])


def test_a_persistent_share_stopped_mid_download_resumes_when_it_starts_again(
        sharing: Sharing, participants: list[Participant], tmp_path: Path) -> None:
    first = sharing.start((BIG,), persistent=True)
    line = sharing.line
    learner = join(sharing.env, tmp_path, participants, [line.signer])
    learner.follow(line)
    t, outcome, watch = _sync_in_thread(learner)
    arrived(watch, line, sharing.trainer.packs[BIG], 2 << 20)
    first.stop()
    t.join(120)
    assert not t.is_alive() and _failed(outcome)
    film = sharing.trainer.packs[BIG]
    held = held_bytes(watch, str(line.url), sha(film))
    watch.close()
    assert held >= 2 << 20

    second = sharing.start((BIG,), persistent=True)
    assert sharing.line == line                                           # the same address and key
    report = learner.sync()
    if not report.ok and "did not answer" in error(report):
        # The learner's tor may still hold the descriptor from before the restart; having
        # failed its introduction points it fetches the new one: the learner syncs again.
        report = learner.sync()
    assert report.ok, error(report)
    assert installed(learner.home) == {BIG: 1}
    assert second.server is not None and second.server.sent <= film.stat().st_size - held + 10_000


def test_revoking_a_persistent_share_rotates_its_address_and_key(
        sharing: Sharing, participants: list[Participant], tmp_path: Path) -> None:
    first = sharing.start(("org.example.lesson-one",), persistent=True)
    old = sharing.line
    assert kept_share(sharing.vault) is not None
    first.stop()
    assert revoke_share(sharing.vault) and kept_share(sharing.vault) is None
    sharing.start(("org.example.lesson-one",), persistent=True)
    new = sharing.line
    assert new.service_id != old.service_id and new.client_key != old.client_key
    learner = join(sharing.env, tmp_path, participants, [old.signer])
    learner.follow(old)
    assert "could not be found" in error(learner.sync()) or "did not answer" in error(learner.sync())
    learner.follow(new)
    report = learner.sync()
    assert [r.reached for r in report.repositories] == [False, True]
    assert installed(learner.home) == {"org.example.lesson-one": 1}


def test_locking_mid_download_stops_the_share_at_once(
        sharing: Sharing, participants: list[Participant], tmp_path: Path) -> None:
    share = sharing.start((BIG,))
    line = sharing.line
    learner = join(sharing.env, tmp_path, participants, [line.signer])
    learner.follow(line)
    t, outcome, watch = _sync_in_thread(learner)
    server, tor = share.server, sharing.tor
    assert server is not None and tor is not None and tor.process is not None
    arrived(watch, line, sharing.trainer.packs[BIG], 1 << 20)
    started = time.monotonic()
    sharing.vault.lock_now()
    assert not share.running and share.status().reason == LOCKED and share.status().line is None
    assert time.monotonic() - started < 1.0
    assert ("127.0.0.1", server.port) not in listening_sockets(os.getpid())   # the server is gone
    tor.process.wait(5)                                              # and the tor that carried it
    t.join(120)
    assert not t.is_alive() and _failed(outcome)
    assert held_bytes(watch, str(line.url), sha(sharing.trainer.packs[BIG])) >= 1 << 20   # kept for next time
    watch.close()
    assert installed(learner.home) == {}


def test_a_wipe_mid_download_stops_the_share_and_leaves_nothing(
        sharing: Sharing, participants: list[Participant], tmp_path: Path) -> None:
    share = sharing.start((BIG,), persistent=True)
    line = sharing.line
    learner = join(sharing.env, tmp_path, participants, [line.signer])
    learner.follow(line)
    t, outcome, watch = _sync_in_thread(learner)
    server, tor = share.server, sharing.tor
    assert server is not None and tor is not None and tor.process is not None
    arrived(watch, line, sharing.trainer.packs[BIG], 1 << 20)
    report = panic_wipe(sharing.trainer.home)
    assert report.key_destroyed and not share.running
    assert tor.process.poll() is not None
    assert ("127.0.0.1", server.port) not in listening_sockets(os.getpid())
    assert not sharing.trainer.home.exists()                          # the persistent keys went with the vault
    t.join(120)
    assert not t.is_alive() and _failed(outcome)
    watch.close()


def test_a_share_ends_on_its_date_and_when_asked_from_another_terminal(sharing: Sharing) -> None:
    share = sharing.start(("org.example.lesson-one",), until=int(time.time()) + 3)
    assert share.status().until is not None
    assert share.wait(30) and share.status().reason == ENDED
    again = sharing.start(("org.example.lesson-one",))
    with Vault.unlock(sharing.trainer.home, PASSPHRASE) as other:         # what `satchel share stop` does
        request_stop(other)
    assert again.wait(30) and again.status().reason == ASKED
    assert sharing.tor is not None and not sharing.tor.running


def test_through_another_programs_tor_control_port(tor_env: TorEnv, trainer: Trainer,
                                                   participants: list[Participant], tmp_path: Path) -> None:
    """A control port named by the trainer (Tor Browser's 9151): the onion service goes
    when Satchel's control connection closes."""
    node = tor_env.net.start_client("sharehost", control=True)
    wait_for(lambda: tor_env.net.bootstrapped(node), 120, "the other tor")
    vault = Vault.unlock(trainer.home, PASSPHRASE)
    try:
        host = open_host(Home(trainer.home), control=f"127.0.0.1:{node.dir_port}")
        share = start_share(vault, trainer.key.secret, ("org.example.lesson-one",), host=host)
        assert share.line is not None
        learner = join(tor_env, tmp_path, participants, [share.line.signer])
        learner.follow(share.line)
        assert learner.sync().ok
        share.stop()
    finally:
        vault.close()
        tor_env.net.stop_client(node)
    assert installed(learner.home) == {"org.example.lesson-one": 1}
