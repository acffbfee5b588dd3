"""`satchel trust add | list | remove | sign-list`: keys this vault trusts, and the
publisher's signing of a trust list."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.cli.io import (
    EXPIRED_LIST,
    confirm,
    err,
    open_vault,
    out,
    out_json,
    plain,
    read_public_key,
    read_secret_key,
)
from app.errors import InvalidArgument, SatchelError
from app.home import Home


def cmd_trust_add(args: argparse.Namespace, home: Home) -> int:
    from app.trust import TrustStore

    key = read_public_key(Path(args.pubkey))
    with open_vault(home) as vault:
        store = TrustStore(vault)
        clash = store.key_id_clash(key)
        if clash is not None:
            raise SatchelError(clash)
        out(f"Key id:      {key.key_id_hex}")
        out(f"Fingerprint: {key.fingerprint()}")
        out("Compare the fingerprint with its owner, in person, reading the groups aloud.")
        if not args.yes and not confirm("Trust this key to sign packs? [y/N]"):
            out("The key was not trusted.")
            return 1
        store.add_manual(key, args.name or "")
    out(f"Trusted key {key.key_id_hex}.")
    return 0


def cmd_trust_list(args: argparse.Namespace, home: Home) -> int:
    from app.trust import TrustStore

    with open_vault(home) as vault:
        store = TrustStore(vault)
        tl = store.current_list()
        expired = store.expired_on()
        rows: list[dict[str, Any]] = []
        if tl:
            rows.extend({
                "key_id": k.key.key_id_hex, "name": k.name, "source": "sample" if k.sample else "list",
                    "scopes": list(k.scopes), "revoked": k.revoked,
                    "expires": datetime.fromtimestamp(k.expires, UTC).strftime("%Y-%m-%d")
                    if k.expires else None,
                    "fingerprint": k.key.fingerprint(),
                } for k in tl.keys)
        for key, name, _added in store.manual_keys():
            rows.append({"key_id": key.key_id_hex, "name": name, "source": "manual", "scopes": None,
                         "revoked": False, "expires": None, "fingerprint": key.fingerprint()})
    expires = datetime.fromtimestamp(tl.expires, UTC).strftime("%Y-%m-%d") if tl and tl.expires else None
    if args.json:
        out_json({"trust_list_version": tl.version if tl else None, "trust_list_expires": expires,
                  "trust_list_expired": expired is not None, "keys": rows})
        return 0
    out(f"Trust list version {tl.version if tl else 'none'}" + (f", valid until {expires}" if expires else ""))
    if expired is not None:
        err(EXPIRED_LIST.format(day=expired))
    for r in rows:
        scope = ", ".join(r["scopes"]) if r["scopes"] else "any id not claimed by the trust list"
        flags = " REVOKED" if r["revoked"] else ""
        out(f"{r['key_id']}  {r['source']:<6}  {plain(scope)}{flags}  {plain(r['name'])}")
        out(f"    fingerprint {r['fingerprint']}")
    return 0


def cmd_trust_remove(args: argparse.Namespace, home: Home) -> int:
    from app.trust import TrustStore

    key_id = args.key_id.strip().upper()
    if len(key_id) != 16 or any(c not in "0123456789ABCDEF" for c in key_id):
        raise InvalidArgument("A key id is 16 hexadecimal digits, as 'satchel trust list' shows it.")
    with open_vault(home) as vault:
        removed = TrustStore(vault).remove_manual(key_id)
    if not removed:
        raise SatchelError(f"No key {key_id} was trusted by hand.")
    out(f"Key {key_id} is no longer trusted.")
    return 0


def cmd_trust_sign_list(args: argparse.Namespace, home: Home) -> int:
    """For the publisher: sign a trust list with a root key (kept offline)."""
    from app.trust import TrustError, parse_trust_list, trust_list_comment
    from crypto import minisign

    data = Path(args.list).read_bytes()
    try:
        tl = parse_trust_list(data)
    except TrustError as exc:
        raise SatchelError(str(exc)) from None
    key = read_secret_key(Path(args.key))
    sig = minisign.sign(key, data, trust_list_comment(tl.version),
                        untrusted_comment="signature of a Satchel trust list")
    outp = Path(args.out)
    outp.write_bytes(data)
    Path(f"{outp}.minisig").write_text(sig)
    out(f"Signed trust list version {tl.version} with {key.public.key_id_hex}: {outp} and {outp}.minisig.")
    return 0


def add_commands(sub: Any) -> None:
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
