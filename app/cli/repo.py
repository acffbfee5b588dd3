"""`satchel repo publish | add | list | remove`: online repositories, a thin layer over sync.

`publish` needs no vault (a publisher signs with a key file, ideally on an offline
computer, and copies the folder to the web server); `add`, `list` and `remove` keep
the repositories a vault follows inside that vault. `add` also takes a trainer's share
line (sync.shareline): its signing key must be trusted first (the fingerprint compared
with the one the trainer reads aloud), and the client key it carries is kept inside
the vault with the repository.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.cli.io import confirm, open_vault, out, out_json, positive_int, read_private_line, read_secret_key
from app.home import Home


def _day(ts: int | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d") if ts else "-"


def cmd_repo_publish(args: argparse.Namespace, home: Home) -> int:
    from sync.publish import publish

    key = read_secret_key(Path(args.key))
    report = publish(Path(args.out), [Path(p) for p in args.packs], key, args.expires)
    for e in report.added:
        out(f"Published {e.id} version {e.version} as {e.file} ({e.size / 1_000_000:.1f} MB).")
    if report.kept:
        out(f"Kept {len(report.kept)} pack(s) already in the folder.")
    if report.removed:
        out(f"Removed {report.removed} old or unknown file(s).")
    out(f"The index (version {report.version}) is signed by {report.signer} and expires on "
        f"{_day(report.expires)}; copy the whole folder {report.folder} to the web server and its mirrors.")
    return 0


def cmd_repo_add(args: argparse.Namespace, home: Home) -> int:
    from sync.follow import add_repository
    from sync.onion import parse_repo_url
    from sync.shareline import looks_like_share_line

    # Without an argument the address or share line is asked for without echo, so a
    # share line (a secret) stays out of the shell's history and the process list.
    text = args.url if args.url is not None else read_private_line("Share line or address: ",
                                                                  "a share line or an address")
    if looks_like_share_line(text):
        return _add_share(args, home, text)
    parse_repo_url(text)   # a bad address is refused before the passphrase is asked
    with open_vault(home) as vault:
        followed, new = add_repository(vault, text)
    out(f"Now following {followed.url}; 'satchel sync' fetches its new packs over Tor." if new else
        f"Already following {followed.url}.")
    return 0


def _add_share(args: argparse.Namespace, home: Home, text: str) -> int:
    """A trainer's share line: follow it only once its signing key is trusted, after the
    participant compared the key's fingerprint with the one the trainer reads aloud."""
    from app.errors import SatchelError
    from app.trust import TrustStore
    from sync.follow import add_repository
    from sync.shareline import parse_share_line

    line = parse_share_line(text)   # a malformed line is refused before the passphrase is asked
    key = line.signer
    with open_vault(home) as vault:
        store = TrustStore(vault)
        grant = store.grant_for(key.key_id_hex)
        if grant is None or grant.revoked or grant.key.raw != key.raw:
            clash = store.key_id_clash(key)
            if clash is not None or (grant is not None and grant.revoked):
                raise SatchelError(clash or f"The share is signed by key {key.key_id_hex}, which is revoked; it was "
                                   "not added.")
            out("This share is signed by the trainer's key:")
            out(f"Key id:      {key.key_id_hex}")
            out(f"Fingerprint: {key.fingerprint()}")
            out("Compare the fingerprint with the one the trainer reads aloud, group by group.")
            if not args.yes and not confirm("Trust this key and follow the share? [y/N]"):
                raise SatchelError(f"The share was not added: it is signed by key {key.key_id_hex}, which you do not "
                                   "trust. Compare its fingerprint with the one the trainer reads aloud, then add the "
                                   "line again and answer yes.")
            store.add_manual(key, args.name or "")
        _followed, new = add_repository(vault, str(line.url), client_key=line.client_key_b64,
                                        signer=key.key_id_hex)
    out("Now following the trainer's share; 'satchel sync' fetches its packs over Tor (with the tor Satchel starts "
        "itself) whenever the trainer is sharing." if new else "Already following that share; its key was updated.")
    return 0


def cmd_repo_list(args: argparse.Namespace, home: Home) -> int:
    from sync.follow import list_repositories

    with open_vault(home) as vault:
        repos = list_repositories(vault)
    if args.json:
        out_json([r.to_json() for r in repos])
        return 0
    if not repos:
        out("You follow no repositories; add one with 'satchel repo add URL'.")
    for r in repos:
        seen = (f"index version {r.index_version}, expires {_day(r.index_expires)}" if r.index_version
                else "never reached")
        share = f"; a trainer's share signed by {r.signer}" if r.signer else ""
        out(f"{r.url}  ({seen}; last sync {_day(r.last_sync)}{share})")
    return 0


def cmd_repo_remove(args: argparse.Namespace, home: Home) -> int:
    from sync.follow import remove_repository
    from sync.onion import parse_repo_url

    url = parse_repo_url(args.url)
    with open_vault(home) as vault:
        removed = remove_repository(vault, args.url)
    if not removed:
        out(f"You were not following {url}.")
        return 1
    out(f"No longer following {url}; the packs it brought stay in the library.")
    return 0


# sync.publish.DEFAULT_EXPIRY_DAYS, repeated so that building the parser imports no sync code.
DEFAULT_EXPIRY_DAYS = 30


def add_commands(sub: Any) -> None:
    repo = sub.add_parser("repo", help="online repositories: publish one, follow, list, stop following")
    rs = repo.add_subparsers(dest="repo_command", metavar="ACTION", required=True)
    p = rs.add_parser("publish", help="write a repository folder for an onion service (no vault needed)")
    p.add_argument("out", metavar="OUT")
    p.add_argument("packs", nargs="*", metavar="PACK.satchel",
                   help="packs to add or update (none: sign the index again with a new version and expiry)")
    p.add_argument("--key", required=True, metavar="NAME.key", help="sign the index with this key")
    p.add_argument("--expires", type=positive_int, default=DEFAULT_EXPIRY_DAYS, metavar="DAYS",
                   help=f"days until the index expires (default {DEFAULT_EXPIRY_DAYS})")
    p.set_defaults(func=cmd_repo_publish)
    p = rs.add_parser("add", help="follow a repository (http://<onion address>.onion/path/) or a trainer's share "
                                  "line (none given: asked for without echo)")
    p.add_argument("url", metavar="URL_OR_SHARE_LINE", nargs="?")
    p.add_argument("--yes", action="store_true", help="trust the share line's signing key without asking")
    p.add_argument("--name", help="who the share line's signing key belongs to")
    p.set_defaults(func=cmd_repo_add)
    p = rs.add_parser("list", help="the repositories this library follows")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_repo_list)
    p = rs.add_parser("remove", help="stop following a repository")
    p.add_argument("url", metavar="URL")
    p.set_defaults(func=cmd_repo_remove)
