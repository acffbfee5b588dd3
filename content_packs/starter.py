"""The starter library: a few packs of original content for a defender's first day.

They are signed with a *sample* key whose private half is published in this repository
(content_packs/default/sample-signing.key), so anyone could sign packs with it. That is
why the bundled trust list gives it only the scope `org.satchel.starter.` and marks it
as sample: the app labels this content "Sample", and the key can never sign anything else.

`python -m content_packs.starter --out dist/starter` builds them at build time;
`starter_packs()` finds the built files (from source or inside a frozen bundle) or, if
there are none, builds them in memory: never into a temporary file.

Because the sample key's secret is public, its signature proves nothing: the app accepts
a sample-signed pack only if its manifest's SHA-256 is pinned in app/roots/starter-pins.json
(app.trust.check_sample_pin). The manifest does not depend on when or how often a pack is
built (the signing time is in the signature, outside it), so the pins are computed from
the sources: `python -m content_packs.starter --update-pins` rewrites the file after any
change to a starter pack, and a test fails until the committed pins match the sources. With SOURCE_DATE_EPOCH
set, the signatures carry that time, so two builds of one commit give the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import sys
from pathlib import Path
from typing import BinaryIO

from app.resources import resource_path
from app.trust import ROOTS_DIR, STARTER_PINS, starter_pins_document
from content_packs.build import manifest_for, pack_bytes, write_pack
from content_packs.source import load_source
from crypto import minisign

DEFAULT_DIR = Path(__file__).resolve().parent / "default"
SAMPLE_KEY = DEFAULT_DIR / "sample-signing.key"
STARTER_PREFIX = "org.satchel.starter."


def resource_dir(name: str) -> Path:
    """A data folder built by `make` (dist/ of a checkout, or inside the bundle)."""
    return resource_path(name)


def starter_sources() -> list[Path]:
    """One source folder per topic and language: default/<topic>/<lang>/pack.toml."""
    return sorted(p.parent for p in DEFAULT_DIR.glob("*/*/pack.toml"))


def _sample_key() -> minisign.SecretKey:
    return minisign.secret_key_from_text(SAMPLE_KEY.read_text(), None)


def build_timestamp() -> int | None:
    """The signature time for a reproducible build: SOURCE_DATE_EPOCH if set (the release
    build sets it from the commit), else None (now)."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(raw) if raw.isdigit() else None


def build_starter(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    key = _sample_key()
    timestamp = build_timestamp()
    written = []
    for src_dir in starter_sources():
        src = load_source(src_dir)
        if not src.id.startswith(STARTER_PREFIX):
            raise SystemExit(f"{src_dir}: starter pack ids must start with {STARTER_PREFIX}")
        out = out_dir / f"{src_dir.parent.name}-{src_dir.name}.satchel"
        write_pack(src, key, out, timestamp)
        written.append(out)
    return written


def starter_packs() -> list[Path | BinaryIO]:
    """The starter packs to import on first run: built files if present, else built in memory."""
    built = sorted(resource_dir("starter").glob("*.satchel"))
    if built:
        return list(built)
    sources = starter_sources()  # none inside the bundle, which ships only built packs
    if not sources:
        return []
    key = _sample_key()
    return [io.BytesIO(pack_bytes(load_source(d), key)) for d in sources]


def starter_pins() -> bytes:
    """The pins file for the current sources: each starter pack's id, version and the
    SHA-256 of its manifest bytes as the sample key signs them."""
    key = _sample_key()
    pins = []
    for src_dir in starter_sources():
        manifest = manifest_for(load_source(src_dir), key)
        pins.append((manifest.id, manifest.version, hashlib.sha256(manifest.to_bytes()).hexdigest()))
    return starter_pins_document(pins)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build and sign Satchel's starter library.")
    parser.add_argument("--out", type=Path, default=resource_dir("starter"))
    parser.add_argument("--update-pins", action="store_true",
                        help=f"rewrite app/roots/{STARTER_PINS} from the sources, then stop")
    args = parser.parse_args(argv)
    if args.update_pins:
        target = ROOTS_DIR / STARTER_PINS
        target.write_bytes(starter_pins())
        print(f"wrote {target}")
        return 0
    written = build_starter(args.out)
    for path in written:
        print(f"built {path}")
    # A pack left over from an earlier build (a renamed or removed source) would be
    # offered on first run and refused there: its manifest is no longer pinned.
    for stale in sorted(set(Path(args.out).glob("*.satchel")) - set(written)):
        stale.unlink()
        print(f"removed stale {stale}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
