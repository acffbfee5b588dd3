"""Helpers shared by the test modules (imported as `support`)."""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass
from pathlib import Path

from crypto import minisign

ROOT = Path(__file__).resolve().parent.parent


def find_corpus() -> Path:
    """The UDHR test corpus: $SATCHEL_CORPUS, else shared/ beside the checkout (where CI
    puts it), else the workplace's shared folder (for a clone made anywhere else)."""
    candidates = [Path(p) for p in [os.environ.get("SATCHEL_CORPUS", "")] if p]
    candidates += [ROOT.parent / "shared" / "corpus" / "udhr", Path("/work/shared/corpus/udhr")]
    for c in candidates:
        if any(c.glob("udhr_*.xml")):
            return c
    return candidates[0] if candidates else ROOT.parent / "shared" / "corpus" / "udhr"


CORPUS = find_corpus()
FAST_MS = 5  # key-derivation time for tests; the real default is 500 ms


def assert_one_sentence(text: str) -> None:
    """An expected failure prints one plain line, never a traceback."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got: {text!r}"
    assert "Traceback" not in text and "Error:" not in lines[0][:7], text


@dataclass
class KeyPair:
    secret: minisign.SecretKey
    key_path: Path
    pub_path: Path

    @property
    def public(self) -> minisign.PublicKey:
        return self.secret.public


def make_keypair(folder: Path, name: str) -> KeyPair:
    folder.mkdir(parents=True, exist_ok=True)
    sk = minisign.generate_key()
    key_path, pub_path = folder / f"{name}.key", folder / f"{name}.pub"
    key_path.write_text(minisign.secret_key_to_text(sk, None))
    pub_path.write_text(sk.public.to_text())
    return KeyPair(sk, key_path, pub_path)


def write_source(folder: Path, pack_id: str = "org.example.guide", version: int = 1,
                 title: str = "A guide", language: str = "en", kind: str = "guide",
                 pages: dict[str, str] | None = None, media: dict[str, bytes] | None = None,
                 chapters: list[tuple[str, list[str]]] | None = None) -> Path:
    """Write a pack source folder (pack.toml + pages + media)."""
    pages = pages if pages is not None else {
        "pages/intro.md": "# Welcome\n\nStay safe and keep learning.\n",
        "pages/second.md": "# Second page\n\nSee the [welcome](intro.md).\n",
    }
    folder.mkdir(parents=True, exist_ok=True)
    for rel, text in pages.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    for rel, data in (media or {}).items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    chapters = chapters or [("Chapter one", list(pages))]
    toml = textwrap.dedent(f"""\
        [pack]
        id = "{pack_id}"
        version = {version}
        title = "{title}"
        language = "{language}"
        kind = "{kind}"
        """)
    for ch_title, ch_pages in chapters:
        listed = ", ".join(f'"{p}"' for p in ch_pages)
        toml += f'\n[[chapters]]\ntitle = "{ch_title}"\npages = [{listed}]\n'
    (folder / "pack.toml").write_text(toml, encoding="utf-8")
    return folder


def noise_png(width: int, height: int, seed: int) -> bytes:
    """A real PNG of random pixels: as incompressible as a screenshot's pixels, and
    different for every seed."""
    import random
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rng = random.Random(seed)
    rows = b"".join(b"\0" + rng.randbytes(width * 3) for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows, 1))
            + chunk(b"IEND", b""))


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes (to prove nothing changed)."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0




def fill_disk(folder: Path, name: str = "filler") -> Path:
    """Write zeros into `folder` until its filesystem is full."""
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                continue
    finally:
        os.close(fd)
    return path


def vault_snapshot(vault: object) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table in the vault (to prove a refused import wrote nothing)."""
    conn = vault.conn  # type: ignore[attr-defined]
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'page_search%' "
        "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    snap = {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    snap["page_search"] = sorted(conn.execute("SELECT rowid FROM page_search").fetchall())
    return snap


def craft_pack(out: Path, key: minisign.SecretKey | None, manifest: dict | bytes,
               members: list[tuple[str, bytes]] | None = None, *, comment: str | None = None,
               zip_infos: list | None = None, legacy: bool = False) -> Path:
    """Write a pack by hand, for tests of hostile packs. `members` are written as given."""
    import hashlib
    import json as _json
    import zipfile

    from content_packs.manifest import trusted_comment

    data = manifest if isinstance(manifest, bytes) else _json.dumps(
        manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    if key is not None:
        if isinstance(manifest, dict):
            tc = comment or trusted_comment(manifest.get("id", "x"), manifest.get("version", 1), 1700000000)
        else:
            tc = comment or trusted_comment("org.example.guide", 1, 1700000000)
        sig = minisign.sign(key, data, tc)
        if legacy:
            sig = _legacy_signature(key, data, tc)
    else:
        sig = ""
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("manifest.json", data)
        if key is not None:
            z.writestr("manifest.json.minisig", sig)
        for name, content in members or []:
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), content)
        for info, content in zip_infos or []:
            z.writestr(info, content)
    _ = hashlib
    return out


def _legacy_signature(key: minisign.SecretKey, data: bytes, tc: str) -> str:
    """A minisign signature with the legacy algorithm 'Ed' (signs the raw data)."""
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.from_private_bytes(key.seed)
    sig = private.sign(data)
    glob = private.sign(sig + tc.encode())
    return (
        "untrusted comment: legacy\n"
        + base64.b64encode(b"Ed" + key.key_id + sig).decode() + "\n"
        + f"trusted comment: {tc}\n"
        + base64.b64encode(glob).decode() + "\n"
    )


def manifest_dict(key: minisign.SecretKey, files: dict[str, bytes], pack_id: str = "org.example.guide",
                  version: int = 1, pages: list[str] | None = None) -> dict:
    import hashlib

    pages = pages if pages is not None else [p for p in files if p.endswith(".md")]
    return {
        "format": 1, "id": pack_id, "version": version, "title": "Crafted", "language": "en",
        "kind": "guide", "signer": key.public.key_id_hex,
        "chapters": [{"title": "One", "pages": pages}],
        "files": [{"path": p, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
                  for p, b in sorted(files.items())],
    }


LIB_DIR = Path("/usr/lib/x86_64-linux-gnu")


def without_libraries(command: list[str], libraries: list[str], scratch: Path, how: str = "absent") -> list[str]:
    """`command`, run in a private mount namespace where the system `libraries` (sonames in
    /usr/lib/x86_64-linux-gnu) are gone as if their package were not installed ("absent":
    overlayfs whiteouts over the library folder) or damaged ("empty": /dev/null bound over
    the file). Needs root (CI runs as root); nothing outside the namespace changes."""
    if how == "absent":
        names = set()
        for lib in libraries:
            names.add(lib)
            target = (LIB_DIR / lib).resolve()
            if target.parent == LIB_DIR:
                names.add(target.name)
        whiteouts = " && ".join(f"mknod {scratch}/upper/{n} c 0 0" for n in sorted(names))
        setup = (f"mount -t tmpfs tmpfs {scratch} && mkdir {scratch}/upper {scratch}/work && {whiteouts} && "
                 f"mount -t overlay overlay -o lowerdir={LIB_DIR},upperdir={scratch}/upper,"
                 f"workdir={scratch}/work {LIB_DIR}")
    else:
        setup = " && ".join(f"mount --bind /dev/null {(LIB_DIR / lib).resolve()}" for lib in libraries)
    scratch.mkdir(parents=True, exist_ok=True)
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", f'{setup} && exec "$@"', "sh", *command]
