"""Command-line commands for keys, packs, trust, import and search (issue: signed packs).

Each handler is a thin layer over crypto.minisign, content_packs and app.trust/search.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from typing import TYPE_CHECKING

from app.cli_io import confirm, out, out_json, read_secret
from app.errors import InvalidArgument, SatchelError
from app.home import Home

if TYPE_CHECKING:
    from crypto.minisign import PublicKey, SecretKey

MAX_KEY_FILE = 64 * 1024


def _open_vault(home: Home) -> Any:
    from app.cli import open_vault

    return open_vault(home)


def _read_small(path: Path, what: str) -> str:
    try:
        if path.stat().st_size > MAX_KEY_FILE:
            raise SatchelError(f"The {what} {path} is too large.")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SatchelError(f"There is no {what} at {path}.") from None
    except UnicodeDecodeError:
        raise SatchelError(f"The {what} {path} is not a text file.") from None
    except OSError as exc:
        raise SatchelError(f"Satchel cannot read the {what} {path}: {exc.strerror}.") from None


def read_public_key(path: Path) -> PublicKey:
    from crypto.minisign import MinisignError, PublicKey

    try:
        return PublicKey.from_text(_read_small(path, "public key"))
    except MinisignError as exc:
        raise SatchelError(f"{path}: {exc}") from None


def read_secret_key(path: Path) -> SecretKey:
    from crypto import minisign
    from crypto.minisign import MinisignError

    text = _read_small(path, "secret key")
    try:
        needs = minisign.key_needs_passphrase(text)
    except MinisignError as exc:
        raise SatchelError(f"{path}: {exc}") from None
    passphrase = read_secret("Secret key passphrase: ", "the secret key's passphrase") if needs else None
    try:
        return minisign.secret_key_from_text(text, passphrase)
    except MinisignError as exc:
        raise SatchelError(str(exc)) from None


def _write_new(path: Path, text: str, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise SatchelError(f"{path} already exists; nothing was overwritten.") from None
    except OSError as exc:
        raise SatchelError(f"Satchel cannot write {path}: {exc.strerror}.") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


# -- keys --------------------------------------------------------------------------

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
    _write_new(key_path, minisign.secret_key_to_text(sk, passphrase), 0o600)
    _write_new(pub_path, sk.public.to_text(), 0o644)
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
    from crypto.minisign import MinisignError, PublicKey

    from content_packs.build import SIGNER_COMMENT
    from content_packs.limits import DEFAULT_LIMITS, SIGNATURE_NAME
    from content_packs.verify import open_archive, read_raw

    archive, f, owns, _ = open_archive(path)
    try:
        raw = read_raw(archive, SIGNATURE_NAME, DEFAULT_LIMITS.signature_bytes, "signature")
    finally:
        archive.close()
        if owns:
            f.close()
    if not raw:
        return None
    first = raw.split(b"\n", 1)[0].decode("utf-8", "replace")
    marker = "untrusted comment: " + SIGNER_COMMENT
    if not first.startswith(marker):
        return None
    try:
        return PublicKey.from_text(first[len(marker):].strip())
    except MinisignError:
        return None


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
        "signed_at": datetime.fromtimestamp(pack.signed_at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "size": pack.size,
        "chapters": [{"title": c.title, "pages": list(c.pages)} for c in m.chapters],
        "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in m.files],
        "trusted_by_given_key": bool(args.trust),
    }
    if args.json:
        out_json(info)
        return 0
    out(f"{m.id}  version {m.version}  [{m.language}, {m.kind}]")
    out(f"Title:   {_plain(m.title)}")
    out(f"Signer:  {m.signer}  fingerprint {key.fingerprint()}")
    out("         (the signature is intact; whether to trust this signer is checked on import)"
        if not args.trust else "         (signed by the key given with --trust)")
    out(f"Signed:  {info['signed_at']}")
    out(f"Size:    {pack.size} bytes, {len(m.files)} file(s)")
    for f in m.files:
        out(f"  {f.size:>10}  {f.path}")
    return 0


def _plain(text: str) -> str:
    """Text from a pack, with control characters removed before it reaches a terminal."""
    return "".join(c if c.isprintable() or c == " " else "\ufffd" for c in text)


# -- trust -------------------------------------------------------------------------

def cmd_trust_add(args: argparse.Namespace, home: Home) -> int:
    from app.trust import TrustStore

    key = read_public_key(Path(args.pubkey))
    with _open_vault(home) as vault:
        out(f"Key id:      {key.key_id_hex}")
        out(f"Fingerprint: {key.fingerprint()}")
        out("Compare the fingerprint with its owner, in person, reading the groups aloud.")
        if not args.yes and not confirm("Trust this key to sign packs? [y/N]"):
            out("The key was not trusted.")
            return 1
        TrustStore(vault).add_manual(key, args.name or "")
    out(f"Trusted key {key.key_id_hex}.")
    return 0


def cmd_trust_list(args: argparse.Namespace, home: Home) -> int:
    from app.trust import TrustStore

    with _open_vault(home) as vault:
        store = TrustStore(vault)
        tl = store.current_list()
        rows: list[dict[str, Any]] = []
        if tl:
            for k in tl.keys:
                rows.append({
                    "key_id": k.key.key_id_hex, "name": k.name, "source": "sample" if k.sample else "list",
                    "scopes": list(k.scopes), "revoked": k.revoked,
                    "expires": datetime.fromtimestamp(k.expires, timezone.utc).strftime("%Y-%m-%d")
                    if k.expires else None,
                    "fingerprint": k.key.fingerprint(),
                })
        for key, name, _added in store.manual_keys():
            rows.append({"key_id": key.key_id_hex, "name": name, "source": "manual", "scopes": None,
                         "revoked": False, "expires": None, "fingerprint": key.fingerprint()})
    if args.json:
        out_json({"trust_list_version": tl.version if tl else None, "keys": rows})
        return 0
    out(f"Trust list version {tl.version if tl else 'none'}")
    for r in rows:
        scope = ", ".join(r["scopes"]) if r["scopes"] else "any id not claimed by the trust list"
        flags = " REVOKED" if r["revoked"] else ""
        out(f"{r['key_id']}  {r['source']:<6}  {scope}{flags}  {_plain(r['name'])}")
    return 0


def cmd_trust_remove(args: argparse.Namespace, home: Home) -> int:
    from app.trust import TrustStore

    key_id = args.key_id.strip().upper()
    if len(key_id) != 16 or any(c not in "0123456789ABCDEF" for c in key_id):
        raise InvalidArgument("A key id is 16 hexadecimal digits, as 'satchel trust list' shows it.")
    with _open_vault(home) as vault:
        removed = TrustStore(vault).remove_manual(key_id)
    if not removed:
        raise SatchelError(f"No key {key_id} was trusted by hand.")
    out(f"Key {key_id} is no longer trusted.")
    return 0


def cmd_trust_sign_list(args: argparse.Namespace, home: Home) -> int:
    """For the publisher: sign a trust list with a root key (kept offline)."""
    from crypto import minisign

    from app.trust import TrustError, parse_trust_list, trust_list_comment

    data = Path(args.list).read_bytes()
    try:
        tl = parse_trust_list(data)
    except TrustError as exc:
        raise SatchelError(str(exc)) from None
    key = read_secret_key(Path(args.key))
    sig = minisign.sign(key, data, trust_list_comment(tl.version), untrusted_comment="signature of a Satchel trust list")
    outp = Path(args.out)
    outp.write_bytes(data)
    Path(f"{outp}.minisig").write_text(sig)
    out(f"Signed trust list version {tl.version} with {key.public.key_id_hex}: {outp} and {outp}.minisig.")
    return 0


# -- import and search ---------------------------------------------------------------

def _progress_printer() -> Any:
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        pct = 100 * done // total if total else 100
        print(f"\r{pct:3d} %", end="", file=sys.stderr, flush=True)

    return show


def cmd_import(args: argparse.Namespace, home: Home) -> int:
    from content_packs.importer import import_folder, import_pack

    target = Path(args.path)
    if not target.exists():
        raise SatchelError(f"There is no file or folder at {target}.")
    with _open_vault(home) as vault:
        if target.is_dir():
            outcomes = import_folder(vault, target, _progress_printer())
            if not outcomes:
                raise SatchelError(f"There are no .satchel packs in {target}.")
            failed = 0
            for o in outcomes:
                if o.result:
                    out(f"{o.name}: {o.result.status} {o.result.pack_id} version {o.result.version}.")
                else:
                    failed += 1
                    print(f"{o.name}: {o.error}", file=sys.stderr)
            return 1 if failed else 0
        result = import_pack(vault, target, _progress_printer())
    word = "Updated" if result.previous_version is not None else "Imported"
    out(f"{word} {result.pack_id} version {result.version}.")
    return 0


def cmd_search(args: argparse.Namespace, home: Home) -> int:
    from app.search import search

    with _open_vault(home) as vault:
        hits = search(vault, args.query, limit=args.limit, lang=args.lang)
    if args.json:
        out_json([{"pack": h.pack, "page": h.page, "title": h.title, "snippet": h.snippet,
                   "language": h.language} for h in hits])
        return 0
    if not hits:
        out("No pages match.")
    for h in hits:
        out(f"{h.pack}  {h.page}  {_plain(h.title)}")
        out(f"    {_plain(h.snippet)}")
    return 0


def add_commands(sub: Any) -> None:
    from app.cli import positive_int

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

    trust = sub.add_parser("trust", help="keys this vault trusts")
    ts = trust.add_subparsers(dest="trust_command", metavar="ACTION", required=True)
    p = ts.add_parser("add", help="trust a key by hand after comparing its fingerprint")
    p.add_argument("pubkey", metavar="NAME.pub")
    p.add_argument("--name", help="who the key belongs to")
    p.add_argument("--yes", action="store_true")
    p.set_defaults(func=cmd_trust_add)
    p = ts.add_parser("list", help="trusted keys")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_trust_list)
    p = ts.add_parser("remove", help="stop trusting a key trusted by hand")
    p.add_argument("key_id", metavar="KEYID")
    p.set_defaults(func=cmd_trust_remove)
    p = ts.add_parser("sign-list", help="publisher: sign a trust list with a root key")
    p.add_argument("list", metavar="trust.json")
    p.add_argument("--key", required=True, metavar="ROOT.key")
    p.add_argument("--out", required=True, metavar="FILE")
    p.set_defaults(func=cmd_trust_sign_list)

    p = sub.add_parser("import", help="verify and import packs into the vault")
    p.add_argument("path", metavar="FILE_OR_FOLDER")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("search", help="search the library")
    p.add_argument("query")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=positive_int, default=20)
    p.add_argument("--lang", metavar="L")
    p.set_defaults(func=cmd_search)
