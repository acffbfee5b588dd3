"""The session's private Tor network with its two onion services, for the sync tests.

- "repo": real nginx serving `docroot/`, where `satchel repo publish` (the real command)
  wrote the base repository of three packs (`base/`); tests publish their own folders
  beside it.
- "hostile": the Python server of webserve.py, for what nginx will not do.
- one tor client joined to the network (its SOCKS port is what `satchel sync --socks`
  uses); tests that need Satchel's own tor start one with `client_options()`.

Ready means an onion GET of each service's index succeeded (deadline READY_S).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tornet import Node, TorNet
from webserve import HostileServer, Nginx

from support import FAST_MS, ROOT, KeyPair, make_keypair, write_source

READY_S = 150.0
PASSPHRASE = "correct horse"


def run_cli(*args: str, home: Path | None = None, stdin: str = "", timeout: float = 300,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, **(env or {}))
    if home is not None:
        full["SATCHEL_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "app.cli", *args], input=stdin, capture_output=True,
                          text=True, env=full, timeout=timeout, cwd=str(ROOT))


def build(folder: Path, key: KeyPair, pack_id: str, version: int = 1, pages: int = 3, media: int = 0,
          title: str | None = None, change: int | tuple[int, ...] | None = None, seed: int = 0) -> Path:
    """A real signed pack: `pages` pages of text, `media` bytes of incompressible media
    (the same bytes for the same seed, so a new version shares them); `change` marks the
    pages edited in this version."""
    import random

    rng = random.Random(f"{pack_id}-{seed}")
    page_map = {}
    for i in range(pages):
        text = " ".join(rng.choice(["rights", "defenders", "safety", "courts", "treaty", "report",
                                    "evidence", "witness", "archive", "network"]) for _ in range(300))
        if i in ((change,) if isinstance(change, int) else (change or ())):
            text += f"\n\nEdited in version {version}.\n"
        page_map[f"pages/p{i:03d}.md"] = f"# Page {i}\n\n{text}\n"
    media_map = {}
    if media:
        media_map["media/film.mp4"] = rng.randbytes(media)
        first = next(iter(page_map))
        page_map[first] += "\n[A film](../media/film.mp4)\n"
    src = write_source(folder / f"src-{pack_id}-{version}", pack_id=pack_id, version=version,
                       title=title or f"Guide {pack_id}", pages=page_map, media=media_map or None)
    out = folder / f"{pack_id}-{version}.satchel"
    from content_packs.build import build_pack

    build_pack(src, key.secret, out)
    return out


@dataclass
class TorEnv:
    root: Path
    net: TorNet
    nginx: Nginx
    hostile: HostileServer
    client: Node
    publisher: KeyPair
    repo_onion: str = ""
    hostile_onion: str = ""
    base_packs: list[Path] = field(default_factory=list)
    private_onion: str = ""          # nginx again, reachable only with `client_key`
    client_key: str = ""             # base64 x25519 private key (what a share link would carry)

    @property
    def docroot(self) -> Path:
        return self.nginx.docroot

    @property
    def socks(self) -> str:
        return f"127.0.0.1:{self.client.socks_port}"

    def url(self, folder: str, hostile: bool = False) -> str:
        return f"http://{self.hostile_onion if hostile else self.repo_onion}/{folder}/"

    def publish(self, folder: str, packs: list[Path], key: KeyPair | None = None, days: int = 30,
                hostile: bool = False, now: int | None = None) -> Path:
        """A repository folder written by sync.publish (the code behind `satchel repo publish`)."""
        from sync.publish import publish

        out = (self.hostile.docroot if hostile else self.docroot) / folder
        publish(out, packs, (key or self.publisher).secret, days, now=now)
        return out

    def stop(self) -> None:
        self.net.stop()
        self.nginx.stop()
        self.hostile.stop()


def x25519_pair() -> tuple[str, str]:
    """(base64 private key for tor's ONION_CLIENT_AUTH_ADD, base32 public key for the service)."""
    import base64

    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

    key = X25519PrivateKey.generate()
    private = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(private).decode(), base64.b32encode(public).decode().rstrip("=")


def _get(socks_port: int, url: str, name: str) -> bytes:
    from sync.http import OnionClient, SocksEndpoint
    from sync.onion import parse_repo_url

    with OnionClient(SocksEndpoint("127.0.0.1", socks_port), parse_repo_url(url)) as client:
        return client.get_small(name, 1 << 20)


def start_env(root: Path) -> TorEnv:
    root.mkdir(parents=True, exist_ok=True)
    publisher = make_keypair(root / "keys", "publisher")
    built = root / "built"
    base = [build(built, publisher, f"org.example.guide{i}", 1, pages=3) for i in range(3)]
    docroot, hostile_root = root / "www", root / "hostile"
    docroot.mkdir()
    hostile_root.mkdir()
    (hostile_root / "ping").mkdir()
    (hostile_root / "ping" / "index.json").write_text("{}")
    done = run_cli("repo", "publish", str(docroot / "base"), *map(str, base), "--key", str(publisher.key_path))
    if done.returncode != 0:
        raise RuntimeError("satchel repo publish failed: " + done.stderr)
    nginx = Nginx(root / "nginx", docroot)
    nginx.start()
    hostile = HostileServer(hostile_root)
    hostile.start()
    net = TorNet(root / "net")
    client_key, client_pub = x25519_pair()
    net.start({"repo": nginx.port, "hostile": hostile.port, "private": nginx.port}, authorized={"private": client_pub})
    client = net.start_client()
    env = TorEnv(root, net, nginx, hostile, client, publisher, net.onion("repo"), net.onion("hostile"), base,
                 net.onion("private"), client_key)
    deadline = time.monotonic() + READY_S
    pending = {env.url("base"): "index.json", env.url("ping", hostile=True): "index.json"}
    while pending:
        for url, name in list(pending.items()):
            try:
                _get(client.socks_port, url, name)
                del pending[url]
            except Exception:
                if time.monotonic() > deadline:
                    env.stop()
                    raise RuntimeError("the private Tor network did not serve the onion services in time") from None
        time.sleep(0.5)
    return env


def new_learner(home: Path, *keys: KeyPair, follow: list[str] | None = None) -> None:
    """A learner's vault (closed again) that trusts `keys` by hand and follows `follow`."""
    from app.trust import TrustStore
    from app.vault import Vault
    from sync.follow import add_repository

    with Vault.create(home, PASSPHRASE, iter_time_ms=FAST_MS) as vault:
        for k in keys:
            TrustStore(vault).add_manual(k.public)
        for url in follow or []:
            add_repository(vault, url)
