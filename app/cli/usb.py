"""`satchel usb list | import | export | check`: a thin layer over sync.

Secrets are asked in this order, each only when needed: the vault passphrase, the
signing key's passphrase (export --key), the sealed stick's passphrase.
Exit status: `check` exits 0 only when everything on the stick is intact; `import` exits
0 when every chosen pack went in and nothing on the stick was damaged; `export` exits 0
when the stick holds the chosen packs and an index.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli.io import (
    end_progress,
    err,
    open_vault,
    out,
    out_json,
    plain,
    progress_printer,
    read_public_key,
    read_secret,
    read_secret_key,
)
from app.errors import SatchelError
from app.home import Home
from sync.errors import NotARepository

if TYPE_CHECKING:  # `satchel` with no command opens the window: keep its start-up light
    from sync.repository import RepoSource

SEALED_PROMPT = "Passphrase of the sealed stick: "


def open_source(path: Path) -> RepoSource:
    """The repository at PATH: a folder, a stick's root, a folder of pack files copied by
    hand, a pack file, or a sealed file (asks its passphrase)."""
    from sync.loose import SUFFIX, LooseSource, find_loose
    from sync.sealed import SealedSource, open_sealed, sealed_candidates
    from sync.source import FolderSource, find_repository

    if path.is_file():
        if path.name.lower().endswith(SUFFIX):
            return LooseSource.from_files([path])
        return SealedSource(path, read_secret(SEALED_PROMPT, "the sealed stick's passphrase"))
    if not path.is_dir():
        raise SatchelError(f"There is no folder or file at {path}.")
    folder = find_repository(path)
    if folder is not None:
        return FolderSource(folder, path)
    loose = find_loose(path)
    if loose is not None:
        return loose
    candidates = sealed_candidates(path)
    if not candidates:
        raise NotARepository(f"There are no Satchel packs in {path}.")
    return open_sealed(candidates, read_secret(SEALED_PROMPT, "the sealed stick's passphrase"))


def cmd_usb_list(args: argparse.Namespace, home: Home) -> int:
    if args.path is None:
        return _list_sticks(args)
    from sync.usb_import import list_stick

    with open_vault(home) as vault:
        listing = list_stick(vault, open_source(Path(args.path)))
    rows = [{"file": p.file, "state": p.state, "id": p.pack_id, "version": p.version, "title": p.title,
             "language": p.language, "installed_version": p.installed, "reason": p.reason}
            for p in listing.packs]
    if args.json:
        out_json({"index": {"status": listing.index.status, "signer": listing.index.signer}, "packs": rows})
        return 0
    out(listing.index.sentence)
    if not rows:
        out("There are no packs on the stick.")
    for p in listing.packs:
        if p.pack_id is not None:
            out(f"{p.label:<17} {p.pack_id}  v{p.version}  [{p.language}]  {plain(p.title)}")
        else:
            out(f"{p.label:<17} {plain(p.file)}  {plain(p.reason)}")
    return 0


def _list_sticks(args: argparse.Namespace) -> int:
    from sync.usb import list_sticks, probe

    rows = []
    for stick in list_sticks():
        found = probe(stick.path)
        rows.append({"path": str(stick.path), "filesystem": stick.fstype,
                     "repository": str(found.folder) if found.folder else None,
                 "pack_files": str(found.loose) if found.loose else None,
                     "sealed_candidates": [str(p) for p in found.sealed]})
    if args.json:
        out_json(rows)
        return 0
    if not rows:
        out("No USB stick was found; give its folder to 'satchel usb list PATH'.")
    for r in rows:
        what = (f"packs in {r['repository']}" if r["repository"] else
                f"pack files in {r['pack_files']}" if r["pack_files"] else
                "perhaps a sealed stick" if r["sealed_candidates"] else "no packs")
        out(f"{plain(r['path'])}  ({r['filesystem']}): {plain(what)}")
    return 0


def cmd_usb_import(args: argparse.Namespace, home: Home) -> int:
    from sync.usb_import import DAMAGED, UNTRUSTED, import_from_stick, list_stick

    with open_vault(home) as vault:
        source = open_source(Path(args.path))
        listing = list_stick(vault, source)
        chosen = [p for p in listing.packs if p.importable and (not args.packs or p.pack_id in args.packs)]
        missing = [pid for pid in args.packs if pid not in {p.pack_id for p in chosen}]
        for p in listing.packs:
            if p.state in (DAMAGED, UNTRUSTED):
                err(f"{plain(p.file)}: {plain(p.reason)}")
        for pid in missing:
            err(f"{plain(pid)}: the stick has no new version of this pack that can be imported.")
        if not chosen:
            out("Nothing new to import from the stick.")
            return 1 if missing or any(p.state == DAMAGED for p in listing.packs) else 0
        try:
            report = import_from_stick(vault, source, [p.file for p in chosen], progress_printer(), threading.Event())
        except SatchelError as exc:
            for result in getattr(getattr(exc, "report", None), "imported", []):
                out(f"Imported {result.pack_id} version {result.version}.")
            raise
    end_progress()
    for o in report.outcomes:
        if o.result is not None:
            word = "Updated" if o.result.previous_version is not None else "Imported"
            out(f"{word} {o.result.pack_id} version {o.result.version}.")
        else:
            err(f"{plain(o.file)}: {plain(o.error)}")
    damaged = any(p.state == DAMAGED for p in listing.packs)
    return 1 if report.failed or missing or damaged else 0


def cmd_usb_export(args: argparse.Namespace, home: Home) -> int:
    from sync.sealed_export import export_sealed
    from sync.usb_export import export_to_stick

    with open_vault(home) as vault:
        key = read_secret_key(Path(args.key)) if args.key else None
        dest = Path(args.path)
        if args.sealed:
            passphrase = read_secret("New passphrase for the sealed stick: ", "a passphrase for the sealed stick",
                                     confirm=True)
            report = export_sealed(vault, dest, passphrase, args.packs or None, key, progress_printer())
        else:
            report = export_to_stick(vault, dest, args.packs or None, key, progress_printer())
    end_progress()
    mb = report.bytes_written / 1_000_000
    where = report.folder
    out(f"Wrote {len(report.written)} pack(s) ({mb:.1f} MB) to {where}; {len(report.kept)} were already there; "
        f"removed {report.removed} old or damaged file(s).")
    for pid in report.stick_newer:
        out(f"{pid}: the stick already holds a newer version; it was left as it is.")
    if report.unlisted:
        out(f"{report.unlisted} pack file(s) signed by keys this library does not trust were left as they are.")
    out(f"The index is signed by {report.signed_by}." if report.signed_by else
        "The index is not signed (give --key to sign it).")
    return 0


def cmd_usb_check(args: argparse.Namespace, home: Home) -> int:
    from sync.usb_check import GivenKeys, check_stick

    if args.trust:
        report = check_stick(open_source(Path(args.path)), GivenKeys([read_public_key(Path(p)) for p in args.trust]),
                             progress_printer())
    else:
        from app.trust import TrustStore
        from sync.usb_import import NoFloors

        with open_vault(home) as vault:
            report = check_stick(open_source(Path(args.path)), NoFloors(TrustStore(vault)), progress_printer())
    end_progress()
    if args.json:
        out_json({"intact": report.intact, "index": {"status": report.index.status, "signer": report.index.signer},
                  "leftover_temporary_files": report.leftovers,
                  "packs": [{"file": i.file, "status": i.status, "id": i.pack_id, "version": i.version,
                             "detail": i.sentence} for i in report.items]})
        return 0 if report.intact else 1
    out(plain(report.index.sentence))
    for item in report.items:
        name = f"{item.pack_id} v{item.version}" if item.pack_id else ""
        out(f"{item.status:<9} {plain(item.file)}  {name}  {plain(item.sentence)}".rstrip())
    if report.leftovers:
        out(f"{report.leftovers} unfinished file(s) of an interrupted copy are on the stick; "
            "the next export removes them.")
    if report.intact:
        out(f"Everything on the stick is intact ({len(report.items)} pack(s)).")
        return 0
    err("The stick is not intact: see the lines above.")
    return 1


def add_commands(sub: Any) -> None:
    usb = sub.add_parser("usb", help="USB sticks: list, import, export, check")
    us = usb.add_subparsers(dest="usb_command", metavar="ACTION", required=True)
    p = us.add_parser("list", help="sticks found, or the packs on one stick and their state")
    p.add_argument("path", nargs="?", metavar="PATH")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_usb_list)
    p = us.add_parser("import", help="import the new and updated packs from a stick")
    p.add_argument("path", metavar="PATH")
    p.add_argument("packs", nargs="*", metavar="PACK_ID")
    p.set_defaults(func=cmd_usb_import)
    p = us.add_parser("export", help="write or top up a repository on a stick")
    p.add_argument("path", metavar="PATH")
    p.add_argument("packs", nargs="*", metavar="PACK_ID")
    p.add_argument("--key", metavar="NAME.key", help="sign the stick's index with this key")
    p.add_argument("--sealed", action="store_true", help="write one encrypted file opened with a passphrase")
    p.set_defaults(func=cmd_usb_export)
    p = us.add_parser("check", help="verify every pack and the index; exit 0 only if all is intact")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--trust", action="append", metavar="KEY.pub", help="check against this key (no vault needed)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_usb_check)
