"""`satchel sync`: new and updated packs from every repository the vault follows, over Tor.

Connection: `--socks HOST:PORT` uses that Tor SOCKS port; `--tor PATH` starts that tor
program; `--bridge LINE` (repeatable) and `--pack-bridges` (the bridge lines carried
by packs in the library) start Satchel's own tor with bridges. With none of these, a
Tor already running on this computer (Tor Browser's port 9150, a system tor's 9050) is
used, else Satchel starts its own tor. Nothing connects before the vault is unlocked.

Output: one line per pack and a summary (or `--json`). Exit status 0 only when every
repository was reached and every pack it offered was verified and imported.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli.io import end_progress, err, open_vault, out, out_json, plain
from app.errors import SatchelError
from app.home import Home

if TYPE_CHECKING:
    from sync.online import Listener, PackOutcome, SyncReport
    from sync.planner import Planned


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def _printer(quiet: bool) -> Listener:
    """Progress on standard error when it is a terminal."""
    from sync.online import Listener

    tty = sys.stderr.isatty() and not quiet

    def show(text: str, end: str = "") -> None:
        if tty:
            print(text, end=end, file=sys.stderr, flush=True)  # noqa: T201

    class Printer(Listener):
        def tor(self, percent: int, tag: str) -> None:
            show(f"\rConnecting to Tor: {percent:3d} %")

        def repository(self, url: str, state: str) -> None:
            if state == "connecting":
                show(f"\rReaching {plain(url)}" + " " * 10, "\n")

        def planned(self, url: str, items: list[Planned], warning: str | None) -> None:
            wanted = [p for p in items if p.wanted]
            show(f"{len(wanted)} new or updated pack(s), {_mb(sum(p.entry.size for p in wanted))}.", "\n")

        def progress(self, url: str, item: Planned, done: int, total: int, phase: str) -> None:
            pct = 100 * done // total if total else 100
            show(f"\r{phase} {plain(item.entry.id)} {pct:3d} %")

        def pack_done(self, outcome: PackOutcome) -> None:
            show("", "\n")

    return Printer()


def _line(p: PackOutcome) -> str:
    if p.error is not None:
        return f"Failed {plain(p.id)} version {p.version}: {plain(p.error)}"
    word = "Updated" if p.status == "updated" else "Installed"
    how = ", rebuilt from the version you had plus what changed" if p.rebuilt else ""
    return f"{word} {plain(p.id)} version {p.version} ({_mb(p.size)}{how})."


def _print(report: SyncReport) -> None:
    for r in report.repositories:
        for p in r.packs:
            (out if p.error is None else err)(_line(p))
        if r.warning:
            err(f"{plain(r.url)}: {plain(r.warning)}")
        if r.error:
            err(f"{plain(r.url)}: {plain(r.error)}")
    reached = sum(1 for r in report.repositories if r.reached)
    total = len(report.repositories)
    if report.nothing_new:
        out(f"Nothing new: {reached} of {total} repositories reached, and you have everything they offer.")
        return
    out(f"{len(report.imported)} pack(s) installed or updated, {len(report.failed)} failed; "
        f"{reached} of {total} repositories reached; {_mb(report.traffic.received)} received over Tor.")


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def cmd_sync(args: argparse.Namespace, home: Home) -> int:
    from content_packs.bridges import parse_bridges
    from sync.errors import SyncError
    from sync.follow import list_repositories
    from sync.online import pack_bridges, sync_all
    from sync.tor import open_connection, parse_socks

    if args.socks and (args.tor or args.bridge or args.pack_bridges):
        raise SatchelError("--socks uses another program's Tor; it cannot be combined with --tor or bridges.")
    socks = parse_socks(args.socks) if args.socks else None
    bridges = parse_bridges(args.bridge or [])   # a bad line is refused before the passphrase is asked
    printer = _printer(args.json)
    # A quit (SIGTERM, as at shutdown) stops like Ctrl+C: what arrived is committed and the
    # tor Satchel started is stopped, instead of the process vanishing mid-row.
    signal.signal(signal.SIGTERM, _stop)
    with open_vault(home) as vault:
        repos = list_repositories(vault)
        if not repos:
            raise SyncError("You follow no repositories; add one with 'satchel repo add URL'.")
        if args.pack_bridges:
            bridges += [b for b in pack_bridges(vault) if b not in bridges]
            if not bridges:
                raise SyncError("No pack in the library carries bridge lines.")
        # A trainer's share needs its client key handed to tor: only Satchel's own tor takes it.
        own = socks is None and any(r.client_key for r in repos)
        connection = open_connection(home, socks=socks, tor_path=Path(args.tor) if args.tor else None,
                                     own=own, bridges=bridges, progress=printer.tor)
        end_progress()
        try:
            report = sync_all(vault, connection, repos, printer)
        except SatchelError as exc:
            partial = getattr(exc, "report", None)
            if partial is not None and not args.json:
                _print(partial)
            raise
        finally:
            connection.close()
    if args.json:
        out_json({"ok": report.ok, "received_bytes": report.traffic.received,
                  "repositories": [r.to_json() for r in report.repositories]})
    else:
        _print(report)
    return 0 if report.ok else 1


def add_commands(sub: Any) -> None:
    p = sub.add_parser("sync", help="fetch new and updated packs from the repositories you follow, over Tor")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--socks", metavar="HOST:PORT", help="use the Tor SOCKS port at HOST:PORT (e.g. 9150)")
    how.add_argument("--tor", metavar="PATH", help="start this tor program")
    p.add_argument("--bridge", action="append", metavar="LINE", help="a bridge line (repeatable)")
    p.add_argument("--pack-bridges", action="store_true", help="use the bridge lines carried by your packs")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sync)
