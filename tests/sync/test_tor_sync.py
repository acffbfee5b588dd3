"""Sync over Tor, end to end, against the session's private Tor network.

Every test reaches a real v3 onion service through a real tor: nginx for the normal
cases (its access log says how many bytes each request took), the hostile server for
what nginx will not do. The command-line tests run the real `satchel sync`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from support import ROOT, assert_one_sentence, make_keypair
from test_onion_url import onion
from torenv import PASSPHRASE, TorEnv, build, new_learner, run_cli
from webserve import Rule

from app.vault import Vault
from sync.downloads import held_bytes
from sync.follow import list_repositories
from sync.http import Deadlines, SocksEndpoint
from sync.online import SyncReport, sync_all
from sync.repository import Index, IndexEntry, pack_file_name, sign_index
from sync.tor import ExistingTor

pytestmark = pytest.mark.tor
STDIN = PASSPHRASE + "\n"


def sync_cli(env: TorEnv, home: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("sync", "--socks", env.socks, *extra, home=home, stdin=STDIN)


def installed(home: Path) -> dict[str, int]:
    with Vault.unlock(home, PASSPHRASE) as vault:
        rows = vault.conn.execute("SELECT id, version FROM packs").fetchall()
    return dict(rows)


def in_process(env: TorEnv, home: Path, deadlines: Deadlines | None = None) -> SyncReport:
    with Vault.unlock(home, PASSPHRASE) as vault:
        return sync_all(vault, ExistingTor(SocksEndpoint("127.0.0.1", env.client.socks_port)), deadlines=deadlines)


def wait_for(condition, timeout: float = 120, what: str = "") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def settle(rule: Rule, name: str) -> int:
    """Wait until the server stopped sending on a dropped connection; the bytes sent."""
    last, still = -1, 0
    while still < 10:
        now = rule.sent.get(name, 0)
        still = still + 1 if now == last else 0
        last = now
        time.sleep(0.1)
    return last


def signed_index(folder: Path, entries: list[IndexEntry], key, version: int, expires: int) -> None:  # type: ignore[no-untyped-def]
    index = Index(int(time.time()), tuple(entries), None, version, expires)
    data = index.to_bytes()
    (folder / "index.json").write_bytes(data)
    (folder / "index.json.minisig").write_text(sign_index(data, key.secret, index.created))


def entry_for(path: Path, pack_id: str, version: int, signer: str) -> IndexEntry:
    import hashlib

    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    return IndexEntry(pack_file_name(sha), pack_id, version, len(data), sha, signer)


# -- the normal path ------------------------------------------------------------------

def test_first_sync_of_three_packs_then_nothing_new(tor_env: TorEnv, tmp_path: Path) -> None:
    home = tmp_path / "home"
    new_learner(home, tor_env.publisher, follow=[tor_env.url("base")])
    done = sync_cli(tor_env, home)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert sorted(lines[:3]) == [f"Installed org.example.guide{i} version 1 ({os.path.getsize(p) / 1e6:.1f} MB)."
                                 for i, p in enumerate(tor_env.base_packs)]
    assert lines[3].startswith("3 pack(s) installed or updated, 0 failed; 1 of 1 repositories reached")
    assert installed(home) == {f"org.example.guide{i}": 1 for i in range(3)}
    again = sync_cli(tor_env, home, "--json")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["ok"] and report["repositories"][0]["packs"] == []
    assert {p["state"] for p in report["repositories"][0]["offered"]} == {"have"}
    with Vault.unlock(home, PASSPHRASE) as vault:
        (repo,) = list_repositories(vault)
        assert repo.index_version is not None and repo.last_sync is not None
        assert vault.conn.execute("SELECT count(*) FROM downloads").fetchone()[0] == 0


def test_a_one_page_update_fetches_only_what_changed(tor_env: TorEnv, tmp_path: Path) -> None:
    """A 6 MB pack whose new version changed one page: directory, manifest, index and
    the changed page cross the network, nothing else; the vault keeps the new version's
    signed bytes exactly as published."""
    built = tmp_path / "built"
    v1 = build(built, tor_env.publisher, "org.example.update", 1, pages=150, media=6_000_000)
    folder = tor_env.publish("update", [v1])
    home = tmp_path / "home"
    new_learner(home, tor_env.publisher, follow=[tor_env.url("update")])
    assert sync_cli(tor_env, home).returncode == 0
    v2 = build(built, tor_env.publisher, "org.example.update", 2, pages=150, media=6_000_000, change=75)
    tor_env.publish("update", [v2])
    before = len(tor_env.nginx.served("/update/"))
    done = sync_cli(tor_env, home)
    assert done.returncode == 0, done.stderr
    assert "Updated org.example.update version 2" in done.stdout and "rebuilt" in done.stdout
    served = tor_env.nginx.served("/update/")[before:]
    fetched = sum(n for _, n, _ in served)
    size = v2.stat().st_size
    assert fetched <= 0.02 * size, (fetched, size, served)
    assert all(status in (200, 206) for status, _, _ in served)
    from app.library import pack_bytes_reader

    with Vault.unlock(home, PASSPHRASE) as vault, pack_bytes_reader(vault, "org.example.update") as kept:
        assert kept.read() == v2.read_bytes()
    assert len(list(folder.glob("*.bin"))) == 1


# -- interruptions and resumes ------------------------------------------------------------

def _slow_repo(env: TorEnv, tmp_path: Path, folder: str, size: int, rule: Rule) -> tuple[Path, str, Path]:
    pack = build(tmp_path / "built", env.publisher, f"org.example.{folder}", 1, pages=5, media=size)
    env.publish(folder, [pack], hostile=True)
    env.hostile.rules[folder] = rule
    home = tmp_path / "home"
    new_learner(home, env.publisher, follow=[env.url(folder, hostile=True)])
    name = next((env.hostile.docroot / folder).glob("*.bin")).name
    return pack, name, home


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_sync_resumes_without_fetching_again_what_it_had(tor_env: TorEnv, tmp_path: Path,
                                                                  how: signal.Signals) -> None:
    rule = Rule(slow=0.02)
    pack, name, home = _slow_repo(tor_env, tmp_path, f"killed{int(how)}", 4_000_000, rule)
    size = pack.stat().st_size
    env = dict(os.environ, SATCHEL_HOME=str(home))
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "sync", "--socks", tor_env.socks], env=env,
                            cwd=str(ROOT), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(STDIN.encode())
    proc.stdin.close()
    wait_for(lambda: rule.sent.get(name, 0) >= size // 2, what="half of the pack")
    proc.send_signal(how)
    code = proc.wait(30)
    first = settle(rule, name)
    with Vault.unlock(home, PASSPHRASE) as vault:
        held = held_bytes(vault, tor_env.url(f"killed{int(how)}", hostile=True), entry_for(pack, "x", 1, "x").sha256)
    assert size // 4 <= held <= first
    if how == signal.SIGKILL:
        assert first - held <= (1 << 20) + 1024 * 1024   # at most the row in flight and what Tor holds
    else:                                                 # a quit commits what arrived and stops tidily
        assert code == 130 and proc.stderr is not None and b"Stopped." in proc.stderr.read()
        assert first - held <= 1024 * 1024                # only what was still inside Tor
    rule.slow = 0.0
    rule.sent.clear()
    done = sync_cli(tor_env, home)
    assert done.returncode == 0, done.stderr
    assert rule.sent[name] == size - held                   # only the missing bytes, once
    assert installed(home) == {f"org.example.killed{int(how)}": 1}


def test_a_stalled_server_is_dropped_after_the_deadline_and_resumed_next_time(
        tor_env: TorEnv, tmp_path: Path) -> None:
    rule = Rule(stall_after=1_500_000)
    pack, name, home = _slow_repo(tor_env, tmp_path, "stall", 3_000_000, rule)
    size = pack.stat().st_size
    start = time.monotonic()
    report = in_process(tor_env, home, Deadlines(stall=3.0))
    assert time.monotonic() - start < 60
    (failed,) = report.failed
    assert "stalled" in (failed.error or "") and not report.ok
    with Vault.unlock(home, PASSPHRASE) as vault:
        held = held_bytes(vault, tor_env.url("stall", hostile=True), entry_for(pack, "x", 1, "x").sha256)
    assert held == 1_500_000     # everything that arrived was kept
    rule.stall_after = None
    rule.release.set()
    rule.sent.clear()
    report = in_process(tor_env, home)
    assert report.ok and [p.status for p in report.imported] == ["installed"]
    assert rule.sent[name] == size - held


def test_a_lock_mid_download_keeps_what_arrived(tor_env: TorEnv, tmp_path: Path) -> None:
    rule = Rule(slow=0.02)
    pack, name, home = _slow_repo(tor_env, tmp_path, "locked", 3_000_000, rule)
    size = pack.stat().st_size
    vault = Vault.unlock(home, PASSPHRASE)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            sync_all(vault, ExistingTor(SocksEndpoint("127.0.0.1", tor_env.client.socks_port)))
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=run)
    t.start()
    wait_for(lambda: rule.sent.get(name, 0) >= size // 2, what="half of the pack")
    vault.close()
    t.join(60)
    assert not t.is_alive()
    settle(rule, name)
    assert errors and "locked" in str(errors[0])
    with Vault.unlock(home, PASSPHRASE) as again:
        held = held_bytes(again, tor_env.url("locked", hostile=True), entry_for(pack, "x", 1, "x").sha256)
        assert again.conn.execute("SELECT count(*) FROM packs").fetchone()[0] == 0
    assert held >= 1 << 20
    rule.slow = 0.0
    rule.sent.clear()
    assert in_process(tor_env, home).ok
    assert rule.sent[name] == size - held


# -- bad answers ---------------------------------------------------------------------------

def test_a_tampered_pack_is_refused_and_the_others_go_in(tor_env: TorEnv, tmp_path: Path) -> None:
    built = tmp_path / "built"
    packs = [build(built, tor_env.publisher, f"org.example.t{i}", 1, pages=4) for i in range(4)]
    folder = tor_env.publish("tampered", packs)
    files = {e: folder / pack_file_name(entry_for(p, "x", 1, "x").sha256) for e, p in enumerate(packs)}
    # t1: the file on the server changed after publication (the index no longer matches it).
    data = bytearray(files[1].read_bytes())
    data[len(data) // 2] ^= 0x01
    files[1].write_bytes(bytes(data))
    # t2: a pack with a doctored page, listed by an index signed over its doctored bytes.
    import zipfile

    bad = tmp_path / "doctored.satchel"
    with zipfile.ZipFile(packs[2]) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "pages/p001.md":
                data = data.replace(b"rights", b"rightz", 1)   # same size, other bytes
            dst.writestr(info, data)
    files[2].unlink()
    entries = [entry_for(p, f"org.example.t{i}", 1, tor_env.publisher.public.key_id_hex)
               for i, p in enumerate(packs) if i != 2]
    entries.append(entry_for(bad, "org.example.t2", 1, tor_env.publisher.public.key_id_hex))
    shutil.copy(bad, folder / entries[-1].file)
    signed_index(folder, entries, tor_env.publisher, int(time.time()) + 10, int(time.time()) + 86400)
    home = tmp_path / "home"
    new_learner(home, tor_env.publisher, follow=[tor_env.url("tampered")])
    done = sync_cli(tor_env, home)
    assert done.returncode == 1
    assert "Failed org.example.t1 version 1: The downloaded file does not match" in done.stderr
    assert "Failed org.example.t2 version 1: A file in the pack does not match its signature" in done.stderr
    assert installed(home) == {"org.example.t0": 1, "org.example.t3": 1}
    with Vault.unlock(home, PASSPHRASE) as vault:
        assert vault.conn.execute("SELECT count(*) FROM downloads").fetchone()[0] == 0
        assert vault.conn.execute("SELECT count(*) FROM pages WHERE pack_id IN "
                                  "('org.example.t1', 'org.example.t2')").fetchone()[0] == 0


def test_an_index_signed_by_an_untrusted_key_is_refused(tor_env: TorEnv, tmp_path: Path) -> None:
    stranger = make_keypair(tmp_path / "keys", "stranger")
    tor_env.publish("stranger", tor_env.base_packs, key=stranger)
    home = tmp_path / "home"
    new_learner(home, tor_env.publisher, follow=[tor_env.url("stranger")])
    before = len(tor_env.nginx.served("/stranger/"))
    done = sync_cli(tor_env, home)
    assert done.returncode == 1
    assert f"signed by key {stranger.public.key_id_hex}, which you do not trust" in done.stderr
    assert installed(home) == {}
    assert all(".bin" not in line for line in tor_env.nginx.access_log.read_text().splitlines()[before:]
               if "/stranger/" in line)


def test_an_older_index_replayed_is_refused(tor_env: TorEnv, tmp_path: Path) -> None:
    built = tmp_path / "built"
    folder = tor_env.publish("replay", [build(built, tor_env.publisher, "org.example.r", 1)])
    old = {n: (folder / n).read_bytes() for n in ("index.json", "index.json.minisig")}
    old_bin = list(folder.glob("*.bin"))
    home = tmp_path / "home"
    new_learner(home, tor_env.publisher, follow=[tor_env.url("replay")])
    assert sync_cli(tor_env, home).returncode == 0
    tor_env.publish("replay", [build(built, tor_env.publisher, "org.example.r", 2)])
    assert sync_cli(tor_env, home).returncode == 0
    for name, data in old.items():                  # a mirror serves the old folder again
        (folder / name).write_bytes(data)
    for path in old_bin:
        shutil.copy(built / "org.example.r-1.satchel", path)
    done = sync_cli(tor_env, home)
    assert done.returncode == 1
    assert "older index" in done.stderr and "replaying" in done.stderr
    assert installed(home) == {"org.example.r": 2}


def test_an_expired_index_is_used_with_a_warning(tor_env: TorEnv, tmp_path: Path) -> None:
    built = tmp_path / "built"
    tor_env.publish("expired", [build(built, tor_env.publisher, "org.example.e", 1)], days=30,
                    now=int(time.time()) - 40 * 86400)
    home = tmp_path / "home"
    new_learner(home, tor_env.publisher, follow=[tor_env.url("expired")])
    done = sync_cli(tor_env, home)
    assert done.returncode == 0, done.stderr
    assert "expired on" in done.stderr and "frozen or blocked" in done.stderr
    assert installed(home) == {"org.example.e": 1}


@pytest.mark.parametrize("case", ["pack-announced-larger", "pack-longer-than-index", "index-over-cap",
                                  "no-length", "chunked"])
def test_more_bytes_than_stated_are_never_taken(tor_env: TorEnv, tmp_path: Path, case: str) -> None:
    folder_name = f"big-{case}"
    built = tmp_path / "built"
    pack = build(built, tor_env.publisher, "org.example.big", 1, media=200_000)
    folder = tor_env.publish(folder_name, [pack], hostile=True)
    rule = tor_env.hostile.rules[folder_name] = Rule()
    (bin_file,) = folder.glob("*.bin")
    if case == "pack-announced-larger":
        rule.announce_extra = 10_000_000
    elif case == "pack-longer-than-index":
        bin_file.write_bytes(bin_file.read_bytes() + os.urandom(1_000_000))
    elif case == "index-over-cap":
        (folder / "index.json").write_bytes(b" " * (8 * 1024 * 1024 + 1))
    elif case == "no-length":
        rule.no_length = True
    else:
        rule.chunked = True
    home = tmp_path / "home"
    new_learner(home, tor_env.publisher, follow=[tor_env.url(folder_name, hostile=True)])
    report = in_process(tor_env, home)
    assert not report.ok and installed(home) == {}
    error = report.repositories[0].error or report.failed[0].error or ""
    expected = {"pack-announced-larger": "larger than its index", "pack-longer-than-index": "larger than its index",
                "index-over-cap": "larger than Satchel accepts", "no-length": "how long",
                "chunked": "encoding"}[case]
    assert expected in error
    assert report.traffic.body_bytes <= 200_000 + 70_000    # never a byte past what was stated


def test_bytes_after_the_stated_length_are_ignored(tor_env: TorEnv, tmp_path: Path) -> None:
    pack = build(tmp_path / "built", tor_env.publisher, "org.example.extra", 1)
    tor_env.publish("extra", [pack], hostile=True)
    tor_env.hostile.rules["extra"] = Rule(extra_bytes=500_000, no_length=False)
    home = tmp_path / "home"
    new_learner(home, tor_env.publisher, follow=[tor_env.url("extra", hostile=True)])
    report = in_process(tor_env, home)
    assert report.ok and installed(home) == {"org.example.extra": 1}
    assert report.traffic.body_bytes < pack.stat().st_size + 20_000


def test_a_redirect_is_never_followed(tor_env: TorEnv, tmp_path: Path) -> None:
    tor_env.hostile.rules["redirect"] = Rule(redirect=f"http://{onion(b'elsewhere')}/")
    home = tmp_path / "home"
    new_learner(home, tor_env.publisher, follow=[tor_env.url("redirect", hostile=True)])
    done = sync_cli(tor_env, home)
    assert done.returncode == 1
    assert "redirect, which Satchel never follows" in done.stderr
    assert tor_env.hostile.rules["redirect"].sent == {}


@pytest.mark.parametrize("status, where, expected", [
    (404, "index.json", "no index"),
    (500, "index.json", "HTTP 500"),
    (403, ".bin", "HTTP 403"),
    (404, ".bin", "does not have a file its index lists"),
])
def test_http_errors_are_one_sentence(tor_env: TorEnv, tmp_path: Path, status: int, where: str, expected: str) -> None:
    folder_name = f"err-{status}-{where.strip('.')}"
    tor_env.publish(folder_name, tor_env.base_packs[:1], hostile=True)
    tor_env.hostile.rules[folder_name] = Rule(status=status, status_for=where)
    home = tmp_path / "home"
    new_learner(home, tor_env.publisher, follow=[tor_env.url(folder_name, hostile=True)])
    done = sync_cli(tor_env, home)
    assert done.returncode == 1
    assert expected in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unreachable_onion_is_one_sentence(tor_env: TorEnv, tmp_path: Path) -> None:
    home = tmp_path / "home"
    new_learner(home, tor_env.publisher, follow=[f"http://{onion(b'nobody runs this')}/", tor_env.url("base")])
    done = sync_cli(tor_env, home)
    assert done.returncode == 1
    assert "could not be found on the Tor network" in done.stderr
    assert installed(home) == {f"org.example.guide{i}": 1 for i in range(3)}   # the other one still synced


def test_a_missing_tor_program_and_a_bad_bridge_line(tor_env: TorEnv, tmp_path: Path) -> None:
    home = tmp_path / "home"
    new_learner(home, tor_env.publisher, follow=[tor_env.url("base")])
    done = run_cli("sync", "--tor", str(tmp_path / "no-tor-here"), home=home, stdin=STDIN)
    assert done.returncode == 1
    assert_one_sentence(done.stderr)
    assert "There is no tor program at" in done.stderr
    done = run_cli("sync", "--bridge", "obfs4 192.0.2.1:443 " + "A" * 40 + " cert=short iat-mode=0",
                   home=home, stdin="")   # refused before the passphrase is even asked
    assert done.returncode == 1
    assert_one_sentence(done.stderr)
    assert "invalid cert" in done.stderr
    done = run_cli("sync", "--socks", "10.0.0.5:9050", home=home, stdin="")
    assert done.returncode == 1 and "127.0.0.1" in done.stderr


def test_a_transfer_below_the_throughput_floor_is_dropped(tor_env: TorEnv, tmp_path: Path) -> None:
    rule = Rule(slow=0.5)                      # 16 KiB every half second: a trickle, never a stall
    pack, name, home = _slow_repo(tor_env, tmp_path, "trickle", 1_000_000, rule)
    start = time.monotonic()
    report = in_process(tor_env, home, Deadlines(stall=30.0, min_rate=200_000, rate_window=3.0))
    assert time.monotonic() - start < 30
    (failed,) = report.failed
    assert "too slow" in (failed.error or "")
    rule.release.set()


def test_each_repository_gets_its_own_circuit(tor_env: TorEnv, tmp_path: Path) -> None:
    """Two repositories on the same onion service: each reached with its own SOCKS
    credentials, so tor (IsolateSOCKSAuth) builds each its own circuit. Seen from the
    client tor's control port (STREAM events), as a plain control connection."""
    import socket

    client = tor_env.net.start_client("isolation", control=True)
    wait_for(lambda: tor_env.net.bootstrapped(client), what="the client's bootstrap")
    tor_env.publish("isolated-a", tor_env.base_packs[:1])
    tor_env.publish("isolated-b", tor_env.base_packs[1:2])
    home = tmp_path / "home"
    new_learner(home, tor_env.publisher, follow=[tor_env.url("isolated-a"), tor_env.url("isolated-b")])
    cookie = (client.folder / "control_auth_cookie").read_bytes().hex()
    events = socket.create_connection(("127.0.0.1", client.dir_port), timeout=60)
    events.sendall(f"AUTHENTICATE {cookie}\r\nSETEVENTS STREAM\r\n".encode())
    lines: list[str] = []
    reader = threading.Thread(target=lambda: _read_events(events, lines), daemon=True)
    reader.start()
    try:
        with Vault.unlock(home, PASSPHRASE) as vault:
            report = sync_all(vault, ExistingTor(SocksEndpoint("127.0.0.1", client.socks_port)))
        assert report.ok and len(report.imported) == 2
        time.sleep(0.5)
    finally:
        events.close()
        tor_env.net.stop_client(client)
    onion = tor_env.repo_onion
    circuits = {line.split()[4] for line in lines
                if line.startswith("650 STREAM ") and " SUCCEEDED " in line and onion in line}
    assert len(circuits) == 2, lines


def _read_events(sock, lines: list[str]) -> None:  # type: ignore[no-untyped-def]
    buffer = b""
    try:
        while chunk := sock.recv(4096):
            buffer += chunk
            *done, buffer = buffer.split(b"\r\n")
            lines += [d.decode("ascii", "replace") for d in done]
    except OSError:
        return
