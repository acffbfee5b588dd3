"""What every fuzz target shares (imported as `fuzzlib`): instrumented imports under
atheris, the entry point that seeds an empty corpus, and the fixed key and real inputs
the seeds are built from. See README.md here for how to add a target."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for _p in (ROOT, ROOT / "tests"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

# A target runs under atheris when it is the script itself (`python tests/fuzz/fuzz_x.py`);
# pytest imports the same files for their seeds and one_input, uninstrumented.
UNDER_ATHERIS = Path(sys.argv[0]).name.startswith("fuzz_")


@contextlib.contextmanager
def instrumented() -> Iterator[None]:
    """Imports inside get coverage instrumentation when a target runs under atheris
    (so the fuzzer is guided by Satchel's branches), and are plain imports otherwise."""
    if UNDER_ATHERIS:
        import atheris

        with atheris.instrument_imports(include=["app", "content_packs", "sync", "crypto"]):
            yield
    else:
        yield


def main(one_input: Callable[[bytes], None], seeds: Callable[[], list[bytes]]) -> None:
    """Run a target under atheris (libFuzzer's flags are passed through). The first
    corpus folder given, if empty, is filled with the target's seeds first."""
    import atheris

    folders = [Path(a) for a in sys.argv[1:] if not a.startswith("-")]
    if folders:
        folders[0].mkdir(parents=True, exist_ok=True)
        if not any(folders[0].iterdir()):
            for data in seeds():
                (folders[0] / hashlib.sha256(data).hexdigest()[:16]).write_bytes(data)
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


# -- real inputs ---------------------------------------------------------------------------

def fuzz_key():  # type: ignore[no-untyped-def]
    """A fixed signing key, so that seeds signed in one run verify in every later one."""
    from crypto import minisign

    return minisign.SecretKey(key_id=b"satchelF", seed=hashlib.sha256(b"satchel fuzzing key").digest())


def real_pack_sources() -> list:  # type: ignore[type-arg]
    """Two of the starter library's sources (real pages, a quiz) and a small pack with a
    picture and a link between pages."""
    from hostile_images import png

    from content_packs.manifest import ChapterEntry
    from content_packs.source import PackSource, load_source
    from content_packs.starter import starter_sources

    small = PackSource(ROOT, "org.example.small", 2, "Small", "en", "guide",
                       [ChapterEntry("One", ("pages/a.md", "pages/b.md"))])
    small.files = {"pages/a.md": b"# A page\n\n![p](../media/p.png)\n\nText [x](b.md).\n",
                   "pages/b.md": b"# B\n\nMore.\n", "media/p.png": png(3, 2)}
    return [small, *(load_source(d) for d in starter_sources()[:2])]


def real_packs() -> list[bytes]:
    from content_packs.build import pack_bytes

    return [pack_bytes(src, fuzz_key(), timestamp=1_700_000_000) for src in real_pack_sources()]


def real_manifests() -> list[bytes]:
    import zipfile

    out = []
    for data in real_packs():
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            out.append(z.read("manifest.json"))
    return out


def trust_list_seed() -> tuple[bytes, bytes, object]:
    """A trust list signed by a fixed root: (document, signature, root public key)."""
    from app.trust import trust_list_comment
    from crypto import minisign

    root = minisign.SecretKey(key_id=b"satchelR", seed=hashlib.sha256(b"satchel fuzzing root").digest())
    doc = {"type": "satchel-trust-list", "version": 3, "expires": "2030-01-31",
           "roots": [root.public.to_base64()],
           "keys": [{"name": "Publisher", "public_key": fuzz_key().public.to_base64(),
                     "scopes": ["org.example.", "org.satchel.starter."], "expires": "2031-06-30",
                     "revoked": False, "sample": False}]}
    data = json.dumps(doc, indent=1).encode()
    return data, minisign.sign(root, data, trust_list_comment(3)).encode(), root.public
