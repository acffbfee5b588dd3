"""Sync over Tor (issue 10), against a private Tor network on this machine (the one the
tests use: 3 authorities, 3 relays, an onion service in front of nginx, a client).

1. Full download of a 50 MB pack through the onion, into the vault's download rows
   (committed every MiB, hashed), beside `curl --socks5-hostname` fetching the same file
   through the same tor client to /dev/null. Each run gets fresh SOCKS credentials, so
   each builds its own circuit. Target: at least 80 % of curl's speed.
2. One page of that 50 MB pack changed: every byte received for the update (index,
   signature, directory, manifest, changed member, HTTP headers) over the pack's size.
   Target: at most 2 %.
3. `satchel sync` killed at 50 % of a 50 MB download, then run again: every byte the
   learner's tor read from the network for both runs, over what it reads for one plain
   full download of the same file with curl. Target: at most 105 %.
4. Peak resident memory of `satchel sync` downloading, verifying and importing a 200 MB
   pack, beside the same command when there is nothing new. Target: at most 150 MB.

Eight tor processes share this machine's cores with the benchmark, so the absolute
speeds are far below a real Tor network's; the ratios are what counts.
"""

from __future__ import annotations

import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, mb, report, workdir

sys.path.insert(0, str(ROOT / "tests" / "sync"))

MB = 1_000_000
RUNS = 3
PASSPHRASE = "correct horse"


def _pack(env: object, folder: Path, pack_id: str, version: int, media: int, change: int | None = None) -> Path:
    from torenv import build

    # Media as several films (as a real course has), pages of text beside them.
    return build(folder, env.publisher, pack_id, version, pages=300, media=media, change=change)  # type: ignore[attr-defined]


def _learner(env: object, home: Path, folder: str, hostile: bool = False) -> None:
    from torenv import new_learner

    new_learner(home, env.publisher, follow=[env.url(folder, hostile=hostile)])  # type: ignore[attr-defined]


def _curl(env: object, url: str) -> float:
    start = time.perf_counter()
    subprocess.run(["curl", "--silent", "--fail", "--socks5-hostname", env.socks,  # type: ignore[attr-defined]
                    "--proxy-user", f"{secrets.token_hex(4)}:{secrets.token_hex(4)}", "-o", os.devnull, url],
                   check=True, timeout=900)
    return time.perf_counter() - start


def _satchel_download(env: object, home: Path, folder: str) -> float:
    """One full download of the folder's pack into the vault (fetch_pack), then dropped."""
    from app.trust import TrustStore
    from app.vault import Vault
    from sync import downloads
    from sync.fetch import fetch_pack
    from sync.follow import list_repositories
    from sync.http import OnionClient, SocksEndpoint
    from sync.planner import NEW, Planned
    from sync.remote import fetch_index

    with Vault.unlock(home, PASSPHRASE) as vault:
        (repo,) = list_repositories(vault)
        socks = SocksEndpoint("127.0.0.1", env.client.socks_port)  # type: ignore[attr-defined]
        store = TrustStore(vault)
        with OnionClient(socks, repo.url) as client:
            (entry,) = fetch_index(client, vault, store).index.packs
        with OnionClient(socks, repo.url) as client:   # new credentials: a new circuit, as curl gets
            start = time.perf_counter()
            fetched = fetch_pack(vault, client, store, Planned(entry, NEW))
            elapsed = time.perf_counter() - start
        downloads.discard(vault, fetched.download)
    return elapsed


def bench_full_download(env: object, work: Path) -> None:
    pack = _pack(env, work / "built", "org.example.fifty", 1, 50 * MB)
    out = env.publish("fifty", [pack])  # type: ignore[attr-defined]
    (bin_file,) = out.glob("*.bin")
    url = env.url("fifty") + bin_file.name  # type: ignore[attr-defined]
    home = work / "home-full"
    _learner(env, home, "fifty")
    _curl(env, url)                                   # warm: the service's circuits exist for both
    curl_times, ours = [], []
    for _ in range(RUNS):
        curl_times.append(_curl(env, url))
        ours.append(_satchel_download(env, home, "fifty"))
    size = pack.stat().st_size / MB
    c, s = statistics.median(curl_times), statistics.median(ours)
    report("tor: full download of a 50 MB pack", f"{size / s:.2f} MB/s ({s:.1f} s)",
           "curl --socks5-hostname", f"{size / c:.2f} MB/s ({c:.1f} s)", c / s, ">= 0.80", c / s >= 0.8)


def bench_update(env: object, work: Path) -> None:
    from app.vault import Vault
    from sync.http import SocksEndpoint
    from sync.online import sync_all
    from sync.tor import ExistingTor

    built = work / "built-update"
    v1 = _pack(env, built, "org.example.update50", 1, 50 * MB)
    env.publish("update50", [v1])  # type: ignore[attr-defined]
    home = work / "home-update"
    _learner(env, home, "update50")
    tor = ExistingTor(SocksEndpoint("127.0.0.1", env.client.socks_port))  # type: ignore[attr-defined]
    with Vault.unlock(home, PASSPHRASE) as vault:
        assert sync_all(vault, tor).ok
    v2 = _pack(env, built, "org.example.update50", 2, 50 * MB, change=150)
    env.publish("update50", [v2])  # type: ignore[attr-defined]
    with Vault.unlock(home, PASSPHRASE) as vault:
        result = sync_all(vault, tor)
    assert result.ok and result.imported[0].rebuilt
    fetched, size = result.traffic.received, v2.stat().st_size
    share = fetched / size
    report("tor: update, one page of a 50 MB pack changed", f"{fetched / 1000:.0f} kB received, "
           f"{100 * share:.2f} % ({result.traffic.requests} requests)", "the pack's size", mb(size / MB), share,
           "<= 0.02", share <= 0.02)


def bench_resume(env: object, work: Path) -> None:
    """Counted where it costs: the bytes the learner's own tor read from the network (its
    control port's traffic/read), for the killed sync plus the resumed one, beside the
    same count for one plain full download of the file with curl through that tor."""
    net = env.net  # type: ignore[attr-defined]
    client = net.start_client("resumeclient", control=True)
    deadline = time.monotonic() + 120
    while not net.bootstrapped(client):
        if time.monotonic() > deadline:
            raise RuntimeError("the benchmark's tor client did not bootstrap")
        time.sleep(0.2)
    pack = _pack(env, work / "built-resume", "org.example.resume", 1, 50 * MB)
    out = env.publish("resume", [pack])  # type: ignore[attr-defined]
    (bin_file,) = out.glob("*.bin")
    url = env.url("resume") + bin_file.name  # type: ignore[attr-defined]
    socks = f"127.0.0.1:{client.socks_port}"
    home = work / "home-resume"
    _learner(env, home, "resume")
    for _ in range(120):     # the client reaches the service once before anything is counted
        if subprocess.run(["curl", "--silent", "--fail", "--socks5-hostname", socks, "-o", os.devnull,
                           env.url("resume") + "index.json"], timeout=120).returncode == 0:  # type: ignore[attr-defined]
            break
        time.sleep(1)
    before = net.traffic_read(client)
    subprocess.run(["curl", "--silent", "--fail", "--socks5-hostname", socks, "-o", os.devnull, url],
                   check=True, timeout=900)
    baseline = net.traffic_read(client) - before
    cmd = [sys.executable, "-m", "app.cli", "sync", "--socks", socks]
    environ = dict(os.environ, SATCHEL_HOME=str(home))
    size = pack.stat().st_size
    start = net.traffic_read(client)
    proc = subprocess.Popen(cmd, env=environ, cwd=str(ROOT), stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None
    proc.stdin.write(f"{PASSPHRASE}\n".encode())
    proc.stdin.close()
    while net.traffic_read(client) - start < baseline // 2:
        if proc.poll() is not None:
            raise RuntimeError("satchel sync ended before half of the download")
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(2)                                    # what was still on its way arrives and is counted
    killed = net.traffic_read(client) - start
    done = subprocess.run(cmd, env=environ, cwd=str(ROOT), input=f"{PASSPHRASE}\n", text=True,
                          capture_output=True, timeout=900)
    assert done.returncode == 0, done.stderr
    total = net.traffic_read(client) - start
    net.stop_client(client)
    share = total / baseline
    report("tor: resume after a kill at 50 %", f"{mb(total / MB)} read by tor in all ({mb(killed / MB)} "
           f"before and just after the kill)", "one full download with curl", f"{mb(baseline / MB)} "
           f"(file {mb(size / MB)})", share, "<= 1.05", share <= 1.05)


PEAK = """
import sys
from app.cli import main
code = main(sys.argv[1:])
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        print(int(line.split()[1]) // 1024, file=sys.stderr)
sys.exit(code)
"""


def bench_memory(env: object, work: Path) -> None:
    pack = _pack(env, work / "built-200", "org.example.twohundred", 1, 200 * MB)
    env.publish("twohundred", [pack])  # type: ignore[attr-defined]
    home = work / "home-200"
    _learner(env, home, "twohundred")
    environ = dict(os.environ, SATCHEL_HOME=str(home), PYTHONPATH=str(ROOT))
    peaks = []
    for _ in range(2):   # the download, then the same command with nothing new
        done = subprocess.run([sys.executable, "-c", PEAK, "sync", "--socks", env.socks],  # type: ignore[attr-defined]
                              env=environ, cwd=str(ROOT), input=f"{PASSPHRASE}\n", text=True,
                              capture_output=True, timeout=1800)
        assert done.returncode == 0, done.stderr
        peaks.append(int(done.stderr.strip().splitlines()[-1]))
    report("tor: peak memory, syncing a 200 MB pack", f"{peaks[0]} MB", "the same command, nothing new",
           f"{peaks[1]} MB", peaks[0] / peaks[1], "<= 150 MB", peaks[0] <= 150)


def main() -> None:
    from torenv import start_env

    with workdir("satchel-bench-tor-") as work:
        start = time.perf_counter()
        env = start_env(work / "net")
        print(f"   private Tor network ready in {time.perf_counter() - start:.0f} s", flush=True)
        try:
            bench_full_download(env, work)
            bench_update(env, work)
            bench_resume(env, work)
            bench_memory(env, work)
        finally:
            env.stop()
