"""`satchel list | import | remove | search`: the library in the vault."""

from __future__ import annotations

import argparse
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
    positive_int,
    progress_printer,
    read_private_line,
)
from app.errors import SatchelError
from app.home import Home


def cmd_list(args: argparse.Namespace, home: Home) -> int:
    from app.library import list_packs

    with open_vault(home) as vault:
        packs = list_packs(vault)
    if args.json:
        out_json([p.to_json() for p in packs])
    elif not packs:
        out("The library is empty.")
    else:
        for p in packs:
            sample = "  (sample)" if p.sample else ""
            out(f"{plain(p.id)}  v{p.version}  [{plain(p.language)}]  {plain(p.title)}{sample}")
    return 0


def cmd_import(args: argparse.Namespace, home: Home) -> int:
    from content_packs.importer import import_folder, import_pack

    target = Path(args.path)
    if not target.exists():
        raise SatchelError(f"There is no file or folder at {target}.")
    with open_vault(home) as vault:
        _warn_if_list_expired(vault)
        if target.is_dir():
            outcomes = import_folder(vault, target, progress_printer())
            if not outcomes:
                raise SatchelError(f"There are no .satchel packs in {target}.")
            failed = 0
            for o in outcomes:
                if o.result:
                    out(f"{o.name}: {o.result.status} {o.result.pack_id} version {o.result.version}.")
                else:
                    failed += 1
                    err(f"{o.name}: {plain(o.error)}")
            return 1 if failed else 0
        result = import_pack(vault, target, progress_printer())
    word = "Updated" if result.previous_version is not None else "Imported"
    out(f"{word} {result.pack_id} version {result.version}.")
    return 0


def _warn_if_list_expired(vault: object) -> None:
    from app.trust import TrustStore

    day = TrustStore(vault).expired_on()
    if day is not None:
        err(EXPIRED_LIST.format(day=day))


def removal_question(s: Any) -> str:
    """What `satchel remove` asks (the app's confirmation says the same)."""
    traces = (f"{s.completed} page(s) marked done, {s.answers} quiz answer(s), {s.notes} note(s) "
              f"and {s.bookmarks} bookmark(s)")
    return (f"Remove \u201c{plain(s.title)}\u201d ({s.pack_id}, version {s.version}) from this library? "
            f"Your progress, notes, ticks and bookmarks in it go too ({traces}). "
            f"Satchel keeps a note of version {s.version}, so an older copy cannot come back unnoticed; "
            "this version or a newer one can be imported again. [y/N]")


def cmd_remove(args: argparse.Namespace, home: Home) -> int:
    from app.remove import NoSuchPack, removal_summary, remove_pack

    with open_vault(home) as vault:
        summary = removal_summary(vault, args.pack_id)
        if summary is None:
            raise NoSuchPack(f"There is no pack {plain(args.pack_id, 200)} in the library; "
                             "'satchel list' shows the packs it holds.")
        if not args.yes and not confirm(removal_question(summary)):
            out("Nothing was removed.")
            return 1
        removed = remove_pack(vault, args.pack_id)
    out(f"Removed {removed.pack_id} version {removed.version}, with your progress, notes and bookmarks in it.")
    return 0


def cmd_search(args: argparse.Namespace, home: Home) -> int:
    from app.search import search, suggest

    with open_vault(home) as vault:
        query = args.query
        if query is None or query == "-":   # kept out of the process list and shell history
            query = read_private_line("Search for (not shown): ", "a search query")
        hits = search(vault, query, limit=args.limit, lang=args.lang, pack=args.pack)
        better = suggest(vault, query, lang=args.lang, pack=args.pack) if not hits and not args.json else None
    if args.json:
        out_json([{"pack": h.pack, "page": h.page, "title": h.title, "snippet": h.snippet,
                   "pack_title": h.pack_title, "language": h.language, "chapter": h.chapter} for h in hits])
        return 0
    if not hits:
        out(f"No pages match. Did you mean: {plain(better)}?" if better else "No pages match.")
    for h in hits:
        out(f"{h.pack}  {h.page}  {plain(h.title)}")
        where = [plain(h.pack_title), plain(h.language, 40)] + ([plain(h.chapter)] if h.chapter else [])
        out(f"    {' · '.join(where)}")
        out(f"    {plain(h.snippet)}")
    return 0


def add_commands(sub: Any) -> None:
    p = sub.add_parser("list", help="installed packs")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("import", help="verify and import packs into the vault")
    p.add_argument("path", metavar="FILE_OR_FOLDER")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("remove", help="remove one pack, with your progress, notes and bookmarks in it")
    p.add_argument("pack_id", metavar="PACK_ID")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("search", help="search the library")
    p.add_argument("query", nargs="?", metavar="QUERY",
                   help="what to look for; leave it out (or give '-') to type it unseen, or to read it "
                        "from one line of standard input after the passphrase, so that it shows in no "
                        "process list or shell history")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=positive_int, default=20)
    p.add_argument("--lang", metavar="L", help="only packs in this language (a prefix: zh takes zh-Hant)")
    p.add_argument("--pack", metavar="PACK_ID", help="only this pack")
    p.set_defaults(func=cmd_search)
