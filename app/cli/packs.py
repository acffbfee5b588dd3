"""`satchel keys generate | pack new | pack check | pack build | pack verify | pack inspect`:
a thin layer over crypto.minisign and content_packs.

`pack check` and `pack build` run the same checks and report every problem in one run;
`pack build` runs them before it asks for the key's passphrase, so a folder with
problems never costs a key decryption. Problem text names files and quotes titles and
targets from the folder: it reaches the terminal through `plain`."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli.io import err, out, out_json, plain, read_public_key, read_secret, read_secret_key, write_new
from app.errors import SatchelError
from app.home import Home

if TYPE_CHECKING:
    from content_packs.problems import Problem
    from content_packs.source import SourceReport
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


def cmd_keys_fingerprint(args: argparse.Namespace, home: Home) -> int:
    """A public key's id and fingerprint: what its owner reads aloud to be compared."""
    key = read_public_key(Path(args.pub))
    out(f"Key id {key.key_id_hex}")
    out(f"Fingerprint: {key.fingerprint()}")
    return 0


# -- packs -------------------------------------------------------------------------

def _problem_line(p: Problem) -> str:
    return plain(f"{p.where}: {'warning' if p.warning else 'error'}: {p.message}.", 2000)


def _summary(report: SourceReport) -> str:
    errors, warnings = len(report.errors), len(report.warnings)
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def cmd_pack_check(args: argparse.Namespace, home: Home) -> int:
    from content_packs.source import check_source

    report = check_source(Path(args.src), trust_list=args.trust_list)
    src = report.source
    if args.json:
        out_json({
            "ok": report.ok,
            "problems": [{"file": p.file, "line": p.line, "severity": "warning" if p.warning else "error",
                          "message": p.message} for p in report.problems],
        })
        return 0 if report.ok else 1
    for p in report.problems:
        out(_problem_line(p))
    if not report.ok or src is None:
        err(f"The folder would not build: {_summary(report)}. Fix the errors and check again.")
        return 1
    shared = f", {len(src.shared)} shared with other packs" if src.shared else ""
    pages = sum(len(c.pages) for c in src.chapters)
    media = sum(1 for p in src.files if p.startswith("media/"))
    out(plain(f"OK: {src.id} version {src.version} would build: {pages} page(s), {media} media file(s){shared}; "
              f"{_summary(report)}.", 2000))
    return 0


def cmd_pack_build(args: argparse.Namespace, home: Home) -> int:
    from content_packs.build import write_pack
    from content_packs.source import check_source

    # Every check first: a folder with problems never asks for (or decrypts) the key.
    report = check_source(Path(args.src), trust_list=args.trust_list)
    if not report.ok and len(report.problems) == 1:  # one problem: one sentence
        raise SatchelError(plain(str(report.problems[0]), 2000))
    for p in report.problems:
        err(_problem_line(p))
    if not report.ok or report.source is None:
        raise SatchelError(f"The pack was not built: {_summary(report)} (listed above); nothing was written.")
    key = read_secret_key(Path(args.key))
    manifest = write_pack(report.source, key, Path(args.out))
    out(f"Built {args.out}: {manifest.id} version {manifest.version}, {len(manifest.files)} file(s), "
        f"signed by {key.public.key_id_hex}.")
    return 0


def cmd_pack_new(args: argparse.Namespace, home: Home) -> int:
    from content_packs.newpack import write_new_pack

    folder = Path(args.dir)
    write_new_pack(folder, pack_id=args.id, title=args.title, language=args.language)
    out(f"Wrote a new pack folder in {folder}. Edit pack.toml and the pages, then run "
        f"'satchel pack check {folder}'.")
    return 0


def cmd_pack_verify(args: argparse.Namespace, home: Home) -> int:
    from app.trust import GivenKey
    from content_packs.verify import verify_pack_file

    key = read_public_key(Path(args.trust))
    manifest = verify_pack_file(Path(args.file), GivenKey(key))
    out(f"Valid: {manifest.id} version {manifest.version}, signed by {key.key_id_hex}.")
    return 0


def _embedded_signer(path: Path) -> PublicKey | None:
    from content_packs.signer import embedded_signer

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
        "licence": m.licence, "attribution": m.attribution, "translation": m.translation,
        "translated_from": m.translated_from,
        "uses": [{"pack": u.pack, "title": u.title} for u in m.uses],
        "shared_media": [{"path": e.path, "pack": e.pack, "size": e.size, "sha256": e.sha256}
                         for e in m.shared_media],
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
    for name, value in (("Licence", m.licence), ("Credit", m.attribution)):
        if value:
            out(f"{name + ':':<9}{plain(value, 2000)}")
    if m.translation:
        source = f" from {plain(m.translated_from, 40)}" if m.translated_from else ""
        out(f"Edition: {m.translation}{source}")
    for u in m.uses:
        count = sum(1 for e in m.shared_media if e.pack == u.pack)
        shows = f", shows {count} of its media file(s)" if count else ""
        out(f"Uses:    {u.pack} ({plain(u.title)}){shows}")
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
    p = ks.add_parser("fingerprint", help="show a public key's id and the fingerprint to read aloud")
    p.add_argument("pub", metavar="NAME.pub")
    p.set_defaults(func=cmd_keys_fingerprint)

    pack = sub.add_parser("pack", help="make, check, build, verify and inspect packs")
    ps = pack.add_subparsers(dest="pack_command", metavar="ACTION", required=True)
    p = ps.add_parser("new", help="write a minimal, commented pack source folder")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--id", metavar="PACK_ID", help="the pack's id (default: org.example.<folder name>)")
    p.add_argument("--title", help="the pack's title (default: the folder's name)")
    p.add_argument("--language", default="en", help="the content's language, a BCP 47 tag (default: en)")
    p.set_defaults(func=cmd_pack_new)
    p = ps.add_parser("check", help="check a source folder and report every problem (no key needed)")
    p.add_argument("src", metavar="SRC_DIR")
    p.add_argument("--trust-list", type=Path, metavar="trust.json", help="check with this trust list carried")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_pack_check)
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
