"""`satchel repo publish | add | list | remove`: online repositories, a thin layer over sync.

`publish` needs no vault (a publisher signs with a key file, ideally on an offline
computer, and copies the folder to the web server); `add`, `list` and `remove` keep
the repositories a vault follows inside that vault.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.cli.io import open_vault, out, out_json, positive_int, read_secret_key
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

    parse_repo_url(args.url)   # a bad address is refused before the passphrase is asked
    with open_vault(home) as vault:
        followed, new = add_repository(vault, args.url)
    out(f"Now following {followed.url}; 'satchel sync' fetches its new packs over Tor." if new else
        f"Already following {followed.url}.")
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
        out(f"{r.url}  ({seen}; last sync {_day(r.last_sync)})")
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
    p = rs.add_parser("add", help="follow a repository (http://<onion address>.onion/path/)")
    p.add_argument("url", metavar="URL")
    p.set_defaults(func=cmd_repo_add)
    p = rs.add_parser("list", help="the repositories this library follows")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_repo_list)
    p = rs.add_parser("remove", help="stop following a repository")
    p.add_argument("url", metavar="URL")
    p.set_defaults(func=cmd_repo_remove)
