"""`satchel keys generate | pack build | pack verify | pack inspect`: a thin layer over
crypto.minisign and content_packs."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli.io import out, out_json, plain, read_public_key, read_secret, read_secret_key, write_new
from app.errors import SatchelError
from app.home import Home

if TYPE_CHECKING:
    from crypto.minisign import PublicKey


def cmd_keys_generate(args: argparse.Namespace, home: Home) -> int:
    from crypto import minisign

    base = Path(args.out)
    key_path, pub_path = Path(f"{base}.key"), Path(f"{base}.pub")
    for p in (key_path, pub_path):
        if p.exists():
            raise SatchelError(f"{p} already exists; nothing was overwritten.")
    passphrase = None
    if not args.no_passphrase:
        passphrase = read_secret("Passphrase for the new secret key: ", "a passphrase for the key", confirm=True)
        if not passphrase:
            raise SatchelError("The passphrase cannot be empty (use --no-passphrase for a key without one).")
    sk = minisign.generate_key()
    write_new(key_path, minisign.secret_key_to_text(sk, passphrase), 0o600)
    write_new(pub_path, sk.public.to_text(), 0o644)
    out(f"Wrote {key_path} (keep it secret) and {pub_path}.")
    out(f"Key id {sk.public.key_id_hex}; fingerprint {sk.public.fingerprint()}")
    return 0


# -- packs -------------------------------------------------------------------------

def cmd_pack_build(args: argparse.Namespace, home: Home) -> int:
    from content_packs.build import build_pack

    key = read_secret_key(Path(args.key))
    manifest = build_pack(Path(args.src), key, Path(args.out), trust_list=args.trust_list)
    out(f"Built {args.out}: {manifest.id} version {manifest.version}, {len(manifest.files)} file(s), "
        f"signed by {key.public.key_id_hex}.")
    return 0


def cmd_pack_verify(args: argparse.Namespace, home: Home) -> int:
    from app.trust import GivenKey
    from content_packs.verify import verify_pack_file

    key = read_public_key(Path(args.trust))
    manifest = verify_pack_file(Path(args.file), GivenKey(key))
    out(f"Valid: {manifest.id} version {manifest.version}, signed by {key.key_id_hex}.")
    return 0


def _embedded_signer(path: Path) -> PublicKey | None:
    from content_packs.verify import embedded_signer

    return embedded_signer(path)


def cmd_pack_inspect(args: argparse.Namespace, home: Home) -> int:
    from app.trust import GivenKey
    from content_packs.verify import open_pack

    path = Path(args.file)
    key = read_public_key(Path(args.trust)) if args.trust else _embedded_signer(path)
    if key is None:
        raise SatchelError("This pack does not carry its signer's public key; give it with --trust KEY.pub.")
    with open_pack(path, GivenKey(key)) as pack:
        pack.verify_all()
        m = pack.manifest
    info = {
        "id": m.id, "version": m.version, "title": m.title, "language": m.language, "kind": m.kind,
        "signer": m.signer, "fingerprint": key.fingerprint(),
        "signed_at": datetime.fromtimestamp(pack.signed_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "size": pack.size,
        "chapters": [{"title": c.title, "pages": list(c.pages)} for c in m.chapters],
        "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in m.files],
        "trusted_by_given_key": bool(args.trust),
    }
    if args.json:
        out_json(info)
        return 0
    out(f"{m.id}  version {m.version}  [{m.language}, {m.kind}]")
    out(f"Title:   {plain(m.title)}")
    out(f"Signer:  {m.signer}  fingerprint {key.fingerprint()}")
    out("         (the signature is intact; whether to trust this signer is checked on import)"
        if not args.trust else "         (signed by the key given with --trust)")
    out(f"Signed:  {info['signed_at']}")
    out(f"Size:    {pack.size} bytes, {len(m.files)} file(s)")
    for f in m.files:
        out(f"  {f.size:>10}  {f.path}")
    return 0


def add_commands(sub: Any) -> None:
    keys = sub.add_parser("keys", help="signing keys (minisign format)")
    ks = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    p = ks.add_parser("generate", help="write NAME.key and NAME.pub")
    p.add_argument("--out", required=True, metavar="NAME")
    p.add_argument("--no-passphrase", action="store_true", help="leave the secret key unencrypted")
    p.set_defaults(func=cmd_keys_generate)

    pack = sub.add_parser("pack", help="build, verify and inspect packs")
    ps = pack.add_subparsers(dest="pack_command", metavar="ACTION", required=True)
    p = ps.add_parser("build", help="build and sign a pack from a source folder")
    p.add_argument("src", metavar="SRC_DIR")
    p.add_argument("--key", required=True, metavar="NAME.key")
    p.add_argument("--out", required=True, metavar="FILE.satchel")
    p.add_argument("--trust-list", type=Path, metavar="trust.json", help="carry this signed trust list")
    p.set_defaults(func=cmd_pack_build)
    p = ps.add_parser("verify", help="verify a pack against a public key (no vault needed)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--trust", required=True, metavar="NAME.pub")
    p.set_defaults(func=cmd_pack_verify)
    p = ps.add_parser("inspect", help="show a pack's id, version, title, signer and files")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--trust", metavar="NAME.pub")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_pack_inspect)
