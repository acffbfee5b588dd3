"""A trainer's share (issue 15), against the private Tor network on this machine.

1. Serving, one client: a 50 MB pack fetched whole with `curl --socks5-hostname` through
   a participant's tor (holding the client key), from the share's server (the vault's
   kept bytes, sync.share_server) and from nginx serving the same file, both behind the
   same v3 onion service with client authorization (virtual ports 80 and 81). Each run
   builds a fresh circuit (new SOCKS credentials) and fetches through it from both, in
   alternating order, so both see the same paths. Target: at least 80 % of nginx's speed.
2. Serving, five clients at once: five curls, each on its own circuit, each fetching a
   20 MB pack whole; the time until the last one finishes, share beside nginx (the same
   five circuits for both in each run).
   Target: at least 80 %.
3. Memory: the peak resident memory of the real `satchel share start` process while
   five participants fetch a 20 MB pack at once (VmRSS sampled every 20 ms), beside the
   same process's resident memory once the share is up and nothing was fetched yet.
   Target: at most 150 MB. The process's all-time peak (VmHWM) is printed too: it is
   reached while unlocking the vault (Argon2id), before anything is served.

Ten tor processes share this machine's cores with the benchmark, so the absolute speeds
are far below a real Tor network's; the ratios are what counts.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, report, workdir

sys.path.insert(0, str(ROOT / "tests" / "sync"))

MB = 1_000_000
RUNS = 6
CLIENTS = 5
PASSPHRASE = "correct horse"


def _circuits(n: int) -> list[str]:
    """SOCKS credentials for n new circuits (the participant's tor isolates by them)."""
    return [f"{secrets.token_hex(4)}:{secrets.token_hex(4)}" for _ in range(n)]


def _many(socks: str, url: str, circuits: list[str], extra: tuple[str, ...] = ()) -> float:
    """One curl per circuit, all at once: seconds until the last one is done."""
    start = time.perf_counter()
    procs = [subprocess.Popen(["curl", "--silent", "--fail", "--socks5-hostname", socks, "--proxy-user", c,
                               "-o", os.devnull, *extra, url]) for c in circuits]
    for p in procs:
        if p.wait(1800) != 0:
            raise RuntimeError("a download failed")
    return time.perf_counter() - start


def _pairs(s: Setup, pack_id: str, clients: int) -> tuple[list[float], list[float]]:
    """RUNS runs; each on fresh circuits, built first (a 100-byte range from each
    server), then shared by the share's download and nginx's, whose order alternates:
    both go through the same paths of the same onion service."""
    ours, theirs = [], []
    for run in range(RUNS):
        circuits = _circuits(clients)
        for nginx in (True, False):
            _many(s.socks, s.url(pack_id, nginx), circuits, ("-r", "0-99"))
        for nginx in ((False, True) if run % 2 else (True, False)):
            took = _many(s.socks, s.url(pack_id, nginx), circuits)
            (theirs if nginx else ours).append(took)
    return ours, theirs


class Setup:
    """A trainer's vault with a 50 MB and a 20 MB pack, its share server and nginx behind
    one onion service with client authorization, and a participant's tor with the key."""

    def __init__(self, env: Any, work: Path) -> None:
        from sharehelp import trainer_home
        from support import make_keypair

        from app.home import Home
        from app.vault import Vault
        from sync.share_server import ShareServer
        from sync.share_store import VaultCatalog
        from sync.shareline import client_public_b32, new_client_key
        from sync.torproc import SHARE_DATA_DIR, ManagedTor
        from sync.usb_export import vault_packs

        self.env = env
        self.trainer = trainer_home(work, make_keypair(work / "keys", "trainer"),
                                    {"org.example.fifty": 50 * MB, "org.example.twenty": 20 * MB})
        self.vault = Vault.unlock(self.trainer.home, PASSPHRASE)
        packs = vault_packs(self.vault, list(self.trainer.packs))
        self.catalog = VaultCatalog(self.vault, packs, b"{}", b"")
        self.server = ShareServer(self.catalog)
        port = self.server.start()
        self.names = {p.id: p.file for p in packs}
        for pack_id, path in self.trainer.packs.items():   # nginx serves the very same files
            target = env.docroot / "share" / self.names[pack_id]
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(path, target)
            assert hashlib.sha256(target.read_bytes()).hexdigest()[:16] + ".bin" == target.name
        self.host_tor = ManagedTor(Home(self.trainer.home), deadline=120, extra=env.net.client_options(),
                                   folder=SHARE_DATA_DIR)
        self.host_tor.start()
        self.client_key = new_client_key()
        reply = self.host_tor.controller.create_ephemeral_hidden_service(
            {80: f"127.0.0.1:{port}", 81: f"127.0.0.1:{env.nginx.port}"}, key_type="NEW",
            key_content="ED25519-V3", discard_key=True, await_publication=True, timeout=180,
            client_auth_v3=client_public_b32(self.client_key))
        self.onion = f"{reply.service_id}.onion"
        self.learner = work / "learner"
        Home(self.learner).ensure()
        self.client = ManagedTor(Home(self.learner), deadline=120, extra=env.net.client_options())
        self.client.start()
        import base64

        from sync.onion import parse_repo_url

        self.client.prepare(parse_repo_url(f"http://{self.onion}/"), base64.b64encode(self.client_key).decode())
        self.socks = f"127.0.0.1:{self.client.socks.port}"
        for _ in range(120):    # the participant reaches the service once before anything is timed
            done = subprocess.run(["curl", "--silent", "--fail", "--socks5-hostname", self.socks, "-o", os.devnull,
                                   f"http://{self.onion}:81/share/{self.names['org.example.twenty']}", "-r", "0-99"],
                                  timeout=120)
            if done.returncode == 0:
                break
            time.sleep(1)

    def url(self, pack_id: str, nginx: bool) -> str:
        if nginx:
            return f"http://{self.onion}:81/share/{self.names[pack_id]}"
        return f"http://{self.onion}/{self.names[pack_id]}"

    def close(self) -> None:
        self.server.stop()
        self.catalog.close()
        self.client.close()
        self.host_tor.close()
        self.vault.close()


def _runs(label: str, ours: list[float], theirs: list[float]) -> None:
    print(f"   {label}: share " + " ".join(f"{t:.1f}" for t in ours) + " s; nginx "
          + " ".join(f"{t:.1f}" for t in theirs) + " s", flush=True)


def bench_one_client(s: Setup) -> None:
    ours, theirs = _pairs(s, "org.example.fifty", 1)
    _runs("one client, each run", ours, theirs)
    size = s.trainer.packs["org.example.fifty"].stat().st_size / MB
    o, n = statistics.median(ours), statistics.median(theirs)
    report("share: one client, a 50 MB pack through the onion service", f"{size / o:.2f} MB/s ({o:.1f} s)",
           "nginx, same file, same onion service", f"{size / n:.2f} MB/s ({n:.1f} s)", n / o, ">= 0.80", n / o >= 0.8)


def bench_five_clients(s: Setup) -> None:
    ours, theirs = _pairs(s, "org.example.twenty", CLIENTS)
    _runs(f"{CLIENTS} clients, each run", ours, theirs)
    total = CLIENTS * s.trainer.packs["org.example.twenty"].stat().st_size / MB
    o, n = statistics.median(ours), statistics.median(theirs)
    report(f"share: {CLIENTS} clients at once, a 20 MB pack each", f"{total / o:.2f} MB/s in all ({o:.1f} s)",
           "nginx, same files, same onion service", f"{total / n:.2f} MB/s ({n:.1f} s)", n / o, ">= 0.80",
           n / o >= 0.8)


def _vm(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    raise RuntimeError(f"no {field}")


def bench_memory(env: Any, s: Setup, work: Path) -> None:
    """The real `satchel share start`, its tor joined to the private network by a wrapper
    (what --tor PATH is for), five participants fetching at once."""
    import base64

    from sync.onion import parse_repo_url
    from sync.shareline import parse_share_line
    from tornet import TOR

    args: list[str] = []
    for name, values in env.net.client_options().items():
        for value in values:
            args += [name, value]
    wrapper = work / "tor-testnet"
    wrapper.write_text("#!/bin/sh\nexec " + shlex.join([TOR]) + ' "$@" ' + shlex.join(args) + "\n")
    wrapper.chmod(0o700)
    # A copy of the trainer's home: the benchmark's own tor still holds the original's.
    home = work / "trainer-copy"
    shutil.copytree(s.trainer.home, home, ignore=shutil.ignore_patterns("spool", "cache"))
    errors = work / "share-start.err"
    with open(errors, "w") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "share", "start", "org.example.twenty", "--key",
                                 str(s.trainer.key.key_path), "--tor", str(wrapper)], cwd=str(ROOT),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True,
                                env=dict(os.environ, SATCHEL_HOME=str(home)))
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(PASSPHRASE + "\n")
    proc.stdin.close()
    try:
        line = next((t.strip() for t in proc.stdout if t.startswith("SATCHEL-SHARE:")), None)
        if line is None:
            raise RuntimeError("satchel share start printed no share line: " + errors.read_text()[-500:])
        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
        parsed = parse_share_line(line)
        s.client.prepare(parse_repo_url(str(parsed.url)), base64.b64encode(parsed.client_key).decode())
        url = f"{parsed.url}{s.names['org.example.twenty']}"
        for _ in range(120):
            if subprocess.run(["curl", "--silent", "--fail", "--socks5-hostname", s.socks, "-o", os.devnull,
                               str(parsed.url) + "index.json"], timeout=120).returncode == 0:
                break
            time.sleep(1)
        _many(s.socks, url, _circuits(CLIENTS), ("-r", "0-99"))    # the circuits, built before measuring
        idle = _vm(proc.pid, "VmRSS")
        before = _vm(proc.pid, "VmHWM")    # the unlock's key derivation (Argon2id) peaks here
        samples: list[int] = []
        done = threading.Event()

        def sample() -> None:   # resident memory while serving, every 20 ms
            while not done.is_set():
                samples.append(_vm(proc.pid, "VmRSS"))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            _many(s.socks, url, _circuits(CLIENTS))
        finally:
            done.set()
            sampler.join(5)
        after = _vm(proc.pid, "VmHWM")
    finally:
        proc.terminate()
        proc.wait(60)
    peak = max(samples)
    print(f"   process peak (VmHWM): {before} MB before serving (unlocking the vault), {after} MB after "
          f"serving {CLIENTS} clients", flush=True)
    report(f"share: peak resident memory of `satchel share start` serving {CLIENTS} clients at once", f"{peak} MB",
           "the same process, sharing, nothing fetched yet", f"{idle} MB", peak / idle, "<= 150 MB", peak <= 150)


def main() -> None:
    from torenv import start_env

    with workdir("satchel-bench-share-") as work:
        start = time.perf_counter()
        env = start_env(work / "net")
        print(f"   private Tor network ready in {time.perf_counter() - start:.0f} s", flush=True)
        setup = None
        try:
            setup = Setup(env, work)
            bench_one_client(setup)
            bench_five_clients(setup)
            bench_memory(env, setup, work)
        finally:
            if setup is not None:
                setup.close()
            env.stop()
