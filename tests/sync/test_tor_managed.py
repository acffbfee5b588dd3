"""The tor Satchel starts and owns, joined to the session's private Tor network, and the
socket audit of a whole sync: nothing in the process opens a socket except to Tor."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from support import ROOT
from test_tor_sync import STDIN, entry_for, installed, settle, wait_for
from torenv import PASSPHRASE, TorEnv, build, new_learner
from webserve import Rule

from app.home import Home
from app.vault import Vault
from app.wipe import panic_wipe
from sync.downloads import held_bytes
from sync.online import sync_all
from sync.torproc import ManagedTor

pytestmark = pytest.mark.tor


def own_tor(env: TorEnv, home: Path, progress: list[int] | None = None) -> ManagedTor:
    tor = ManagedTor(Home(home), progress=(lambda p, _tag: progress.append(p)) if progress is not None else None,
                     deadline=120, extra=env.net.client_options())
    tor.start()
    return tor


def slow_repo(env: TorEnv, tmp_path: Path, folder: str, rule: Rule, size: int = 3_000_000) -> tuple[Path, str, Path]:
    pack = build(tmp_path / "built", env.publisher, f"org.example.{folder}", 1, pages=5, media=size)
    env.publish(folder, [pack], hostile=True)
    env.hostile.rules[folder] = rule
    home = tmp_path / "home"
    new_learner(home, env.publisher, follow=[env.url(folder, hostile=True)])
    return pack, next((env.hostile.docroot / folder).glob("*.bin")).name, home


def test_own_tor_bootstraps_with_progress_and_syncs_and_stops(tor_env: TorEnv, tmp_path: Path) -> None:
    home = tmp_path / "home"
    new_learner(home, tor_env.publisher, follow=[tor_env.url("base")])
    seen: list[int] = []
    tor = own_tor(tor_env, home, seen)
    try:
        assert seen[-1] == 100 and seen == sorted(seen)
        data_dir = home / "cache"
        assert data_dir.is_dir() and (data_dir.stat().st_mode & 0o777) == 0o700
        assert not any(p.name.startswith("torrc") for p in data_dir.iterdir())   # configuration came on stdin
        with Vault.unlock(home, PASSPHRASE) as vault:
            assert sync_all(vault, tor).ok
    finally:
        tor.close()
    assert not tor.running
    assert installed(home) == {f"org.example.guide{i}": 1 for i in range(3)}


def test_tor_killed_mid_download_leaves_a_resumable_download(tor_env: TorEnv, tmp_path: Path) -> None:
    rule = Rule(slow=0.02)
    pack, name, home = slow_repo(tor_env, tmp_path, "torkilled", rule)
    size = pack.stat().st_size
    vault = Vault.unlock(home, PASSPHRASE)
    tor = own_tor(tor_env, home)
    outcome: list[object] = []
    t = threading.Thread(target=lambda: outcome.append(_run(vault, tor)))
    t.start()
    # Seconds on a quiet machine; minutes when the private network shares two busy cores.
    wait_for(lambda: rule.sent.get(name, 0) >= size // 2, timeout=400, what="half of the pack")
    assert tor.process is not None
    os.kill(tor.process.pid, signal.SIGKILL)
    t.join(90)
    assert not t.is_alive()
    settle(rule, name)
    result = outcome[0]
    sentence = str(result) if isinstance(result, Exception) else result.failed[0].error  # type: ignore[attr-defined]
    assert sentence and ("lost" in sentence or "closed the connection" in sentence or "Tor" in sentence)
    held = held_bytes(vault, tor_env.url("torkilled", hostile=True), entry_for(pack, "x", 1, "x").sha256)
    assert held >= 1 << 20
    tor.close()
    rule.slow = 0.0
    rule.sent.clear()
    again = own_tor(tor_env, home)
    try:
        assert sync_all(vault, again).ok
    finally:
        again.close()
        vault.close()
    assert rule.sent[name] == size - held


def _run(vault: Vault, tor: ManagedTor) -> object:
    try:
        return sync_all(vault, tor)
    except Exception as exc:
        return exc


def test_a_wipe_mid_download_stops_tor_and_removes_its_folder(tor_env: TorEnv, tmp_path: Path) -> None:
    rule = Rule(slow=0.02)
    pack, name, home = slow_repo(tor_env, tmp_path, "wiped", rule)
    vault = Vault.unlock(home, PASSPHRASE)
    tor = own_tor(tor_env, home)
    outcome: list[object] = []
    t = threading.Thread(target=lambda: outcome.append(_run(vault, tor)))
    t.start()
    wait_for(lambda: rule.sent.get(name, 0) >= pack.stat().st_size // 3, what="a third of the pack")
    report = panic_wipe(home)
    assert report.key_destroyed
    assert tor.process is not None and tor.process.poll() is not None     # tor was stopped by the wipe
    assert not (home / "cache").exists() and not home.exists()
    t.join(60)
    assert not t.is_alive()
    assert isinstance(outcome[0], Exception) and "wiped" in str(outcome[0])


def test_tor_never_outlives_satchel(tor_env: TorEnv, tmp_path: Path) -> None:
    """Satchel is killed outright: the tor it owned exits by itself (TAKEOWNERSHIP)."""
    options = tmp_path / "net.json"
    options.write_text(json.dumps(tor_env.net.client_options()))
    script = textwrap.dedent(f"""
        import json, sys, time
        from app.home import Home
        from sync.torproc import ManagedTor
        home = Home(sys.argv[1]); home.ensure()
        tor = ManagedTor(home, deadline=120, extra=json.load(open(sys.argv[2])))
        tor.start()
        print(tor.process.pid, flush=True)
        time.sleep(600)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "home"), str(options)], cwd=str(ROOT),
                            stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.stdout is not None
    tor_pid = int(proc.stdout.readline())
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(tor_pid, 0)
        except ProcessLookupError:
            return
        with open(f"/proc/{tor_pid}/stat") as f:
            if f.read().split()[2] == "Z":
                return
        time.sleep(0.1)
    os.kill(tor_pid, signal.SIGKILL)
    raise AssertionError("tor outlived the Satchel that started it")


AUDIT = textwrap.dedent("""
    import json, sys
    events = []
    def hook(event, args):
        if event == "socket.connect":
            events.append([event, list(args[1]) if isinstance(args[1], tuple) else str(args[1])])
        elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
            events.append([event, str(args[0])])
        elif event in ("socket.bind", "socket.sendto", "socket.sendmsg"):
            events.append([event, str(args[1:])])
    sys.addaudithook(hook)
    out, mode = sys.argv[1], sys.argv[2]
    try:
        if mode == "cli":
            from app.cli import main
            rc = main(sys.argv[3:])
        else:
            from app.home import Home
            from app.vault import Vault
            from sync.online import sync_all
            from sync.torproc import ManagedTor
            home, options = sys.argv[3], json.load(open(sys.argv[4]))
            with Vault.unlock(home, "%s") as vault:
                tor = ManagedTor(Home(home), deadline=120, extra=options)
                tor.start()
                events.append(["ports", [tor.socks.port, tor._control_port]])
                try:
                    rc = 0 if sync_all(vault, tor).ok else 1
                finally:
                    tor.close()
    finally:
        json.dump(events, open(out, "w"))
    sys.exit(rc)
""" % PASSPHRASE)


def test_every_connection_of_a_full_sync_goes_to_tor(tor_env: TorEnv, tmp_path: Path) -> None:
    """The audit hook sees every socket.connect and name lookup of the process: with a
    SOCKS port, only that port on loopback; with Satchel's own tor, that tor's SOCKS and
    control ports on loopback; never a name looked up outside Tor."""
    built = tmp_path / "built"
    v1 = build(built, tor_env.publisher, "org.example.audit", 1, pages=30, media=400_000)
    tor_env.publish("audit", [v1])
    home = tmp_path / "home"
    new_learner(home, tor_env.publisher, follow=[tor_env.url("audit"), tor_env.url("base")])
    events_file = tmp_path / "events.json"
    env = dict(os.environ, SATCHEL_HOME=str(home), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", AUDIT, str(events_file), "cli", "sync", "--socks", tor_env.socks],
                          input=STDIN, capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=300)
    assert done.returncode == 0, done.stderr
    events = json.loads(events_file.read_text())
    connects = [e[1] for e in events if e[0] == "socket.connect"]
    assert connects and all(c == ["127.0.0.1", tor_env.client.socks_port] for c in connects), connects
    assert {e[1] for e in events if e[0] != "socket.connect"} <= {"127.0.0.1"}, events
    assert not any(e[0] in ("socket.bind", "socket.sendto", "socket.sendmsg") for e in events)

    # An update over Satchel's own tor (the partial rebuild path included).
    tor_env.publish("audit", [build(built, tor_env.publisher, "org.example.audit", 2, pages=30, media=400_000,
                                    change=3)])
    options = tmp_path / "net.json"
    options.write_text(json.dumps(tor_env.net.client_options()))
    done = subprocess.run([sys.executable, "-c", AUDIT, str(events_file), "own", str(home), str(options)],
                          capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=300)
    assert done.returncode == 0, done.stderr
    events = json.loads(events_file.read_text())
    ports = next(e[1] for e in events if e[0] == "ports")
    connects = [e[1] for e in events if e[0] == "socket.connect"]
    assert connects and all(c in (["127.0.0.1", ports[0]], ["127.0.0.1", ports[1]]) for c in connects), connects
    assert ["127.0.0.1", ports[0]] in connects and ["127.0.0.1", ports[1]] in connects
    lookups = {e[1] for e in events if e[0] in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr")}
    assert lookups <= {"127.0.0.1"}, lookups
    assert installed(home)["org.example.audit"] == 2


def test_own_tor_reaches_a_repository_through_an_obfs4_bridge(tor_env: TorEnv, tmp_path: Path) -> None:
    """A bridge line as a trainer's pack carries it: Satchel's tor runs obfs4proxy as its
    transport plugin and reaches the onion repository through the bridge only."""
    from content_packs.bridges import parse_bridge

    line = tor_env.net.start_obfs4_bridge()
    home = tmp_path / "home"
    new_learner(home, tor_env.publisher, follow=[tor_env.url("base")])
    phases: list[str] = []
    tor = ManagedTor(Home(home), bridges=[parse_bridge(line)], progress=lambda _p, tag: phases.append(tag),
                     deadline=120, extra=tor_env.net.client_options())
    try:
        tor.start()
        assert "conn_done_pt" in phases          # connected through the pluggable transport
        with Vault.unlock(home, PASSPHRASE) as vault:
            assert sync_all(vault, tor).ok
        assert "cert=" not in "\n".join(tor.lines)   # the bridge line never reached tor's log
    finally:
        tor.close()
    assert installed(home) == {f"org.example.guide{i}": 1 for i in range(3)}


def test_a_tor_that_cannot_reach_the_network_says_try_bridges(tmp_path: Path) -> None:
    from sync.errors import TorBlocked
    from tornet import free_port

    home = Home(tmp_path / "home")
    home.ensure()
    nowhere = {"TestingTorNetwork": ["1"],
               "DirAuthority": [f"nowhere orport={free_port()} no-v2 v3ident={'A' * 40} "
                                f"127.0.0.1:{free_port()} {'B' * 40}"]}
    tor = ManagedTor(home, deadline=6, extra=nowhere)
    with pytest.raises(TorBlocked) as err:
        tor.start()
    assert "Try bridges" in str(err.value)
    assert not tor.running


def test_a_repository_behind_client_authorization_needs_its_key(tor_env: TorEnv, tmp_path: Path) -> None:
    """The per-repository hook a share link (issue 15) builds on: the key kept with the
    repository in the vault is handed to Satchel's own tor before the repository is
    reached; without it Tor refuses, and a foreign SOCKS port cannot take it."""
    from sync.follow import add_repository
    from sync.http import SocksEndpoint
    from sync.tor import ExistingTor

    url = f"http://{tor_env.private_onion}/base/"
    home = tmp_path / "home"
    new_learner(home, tor_env.publisher)
    with Vault.unlock(home, PASSPHRASE) as vault:
        add_repository(vault, url)
        tor = own_tor(tor_env, home)
        try:
            report = sync_all(vault, tor)
            assert "needs a key" in (report.repositories[0].error or "")
            add_repository(vault, url, client_key=tor_env.client_key)
            report = sync_all(vault, ExistingTor(SocksEndpoint("127.0.0.1", tor_env.client.socks_port)))
            assert "only the tor Satchel starts" in (report.repositories[0].error or "")
            assert sync_all(vault, tor).ok
        finally:
            tor.close()
    assert installed(home) == {f"org.example.guide{i}": 1 for i in range(3)}
