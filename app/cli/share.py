"""`satchel share start | stop | status | revoke`: a trainer shares packs from the vault
over Tor, a thin layer over sync.share.

`share start` runs in the foreground until Ctrl+C, `satchel share stop` from another
terminal, its end date (`--until`), or a quit (SIGTERM). It needs the vault passphrase,
then the trainer's secret key and its passphrase (`--key`): the key signs the share's
index once, in memory, and is not kept. It prints the share line (and, on a terminal or
with `--qr`, its QR code) and the fingerprint to read aloud, then one line whenever a
participant has fetched a pack whole.

`share stop` writes a stop request inside the vault, which the running share polls
(both commands hold the passphrase; no pid file, socket or signal reveals anything
outside the vault), and waits for the share to say it stopped. `share status` reads the
running share's status from the vault. `share revoke` forgets a persistent share's keys.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from app.cli.io import confirm, end_progress, err, open_vault, out, out_json, plain, read_secret_key, read_small
from app.errors import SatchelError
from app.home import Home

STOP_WAIT_S = 30
_REASONS = {
    "ended": "The share reached its end date and stopped.",
    "asked": "The share stopped ('satchel share stop').",
    "stopped": "The share stopped.",
    "tor": "The share stopped: its tor stopped running.",
    "locked": "The share stopped: the vault was locked or wiped.",
    "failed": "The share stopped after an unexpected error.",
}


def _when(ts: Any) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if isinstance(ts, int | float) else "-"


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _progress(percent: int, phase: str) -> None:
    if sys.stderr.isatty():
        text = "Publishing the share on Tor..." if phase == "publishing" else f"Connecting to Tor: {percent:3d} %"
        print(f"\r{text}", end="", file=sys.stderr, flush=True)  # noqa: T201


def _show_line(text: str, fingerprint: str, qr: bool) -> None:
    out("Give participants this share line (it is a secret: anyone who has it can fetch these packs):")
    out()
    out(text)
    out()
    if qr or sys.stdout.isatty():
        import segno

        segno.make(text, error="m").terminal(out=sys.stdout, compact=True)
        out()
    out("Read your key's fingerprint aloud, so that each participant can compare it before trusting it:")
    out(f"    {fingerprint}")


def cmd_share_start(args: argparse.Namespace, home: Home) -> int:
    from content_packs.bridges import parse_bridges
    from sync.share import open_host, parse_until, start_share, status_in_vault
    from sync.share_store import choose_packs
    from sync.share_tor import parse_control

    # Everything that can be checked without a passphrase is checked first.
    until = parse_until(args.until) if args.until else None
    if args.control and (args.tor or args.bridge):
        raise SatchelError("--control uses another program's tor; it cannot be combined with --tor or bridges.")
    if args.control:
        parse_control(args.control)
    bridges = parse_bridges(args.bridge or [])
    read_small(Path(args.key), "secret key")
    signal.signal(signal.SIGTERM, _stop)
    with open_vault(home) as vault:
        if status_in_vault(vault) is not None:
            raise SatchelError("A share is already running from this library; stop it first with 'satchel share "
                               "stop'.")
        key = read_secret_key(Path(args.key))
        choose_packs(vault, args.packs, key.public.key_id_hex)   # before connecting to Tor
        host = open_host(home, control=args.control, tor_path=Path(args.tor) if args.tor else None,
                         bridges=bridges, progress=_progress)
        share = start_share(vault, key, args.packs, host=host, until=until, persistent=args.persistent,
                            progress=_progress)
        del key
        try:
            end_progress()
            status = share.status()
            out(f"Sharing {len(status.packs)} pack(s) over Tor: {', '.join(plain(p) for p in status.packs)}.")
            out(f"Until {_when(until)}." if until else "Until you stop it (Ctrl+C, or 'satchel share stop').")
            if args.persistent:
                out("Persistent: the same line works next time, until you run 'satchel share revoke'.")
            if status.line is not None and share.line is not None:
                _show_line(status.line, share.line.signer.fingerprint(), args.qr)
            sys.stdout.flush()
            seen: dict[str, int] = {}
            while not share.wait(1.0):
                for pack_id, n in share.status().fetched.items():
                    if seen.get(pack_id) != n:
                        seen[pack_id] = n
                        out(f"{plain(pack_id)} fetched whole {n} time(s).")
                        sys.stdout.flush()
        except KeyboardInterrupt:
            share.stop()
        reason = share.status().reason or "stopped"
    out(_REASONS.get(reason, _REASONS["stopped"]))
    return 0 if reason in ("ended", "asked", "stopped") else 1


def cmd_share_stop(args: argparse.Namespace, home: Home) -> int:
    from sync.share import status_in_vault
    from sync.share_store import request_stop

    with open_vault(home) as vault:
        if status_in_vault(vault) is None:
            out("No share is running from this library.")
            return 1
        request_stop(vault)
        deadline = time.monotonic() + STOP_WAIT_S
        while time.monotonic() < deadline:
            if status_in_vault(vault) is None:    # it said it stopped (or went quiet: it died)
                out("The share stopped.")
                return 0
            time.sleep(0.3)
    err("Satchel asked the share to stop, but it has not answered yet; it stops within a few seconds if it is "
        "still running.")
    return 1


def cmd_share_status(args: argparse.Namespace, home: Home) -> int:
    from sync.share import status_in_vault
    from sync.share_store import kept_share

    with open_vault(home) as vault:
        status = status_in_vault(vault)
        kept = kept_share(vault) is not None
    if args.json:
        value = dict(status) if status is not None else {"state": "off"}
        if not args.line:
            value.pop("line", None)
        out_json(value | {"persistent_keys": kept})
        return 0
    if status is None:
        out("No share is running from this library." + (" A persistent share's keys are kept; 'satchel share "
                                                          "revoke' forgets them." if kept else ""))
        return 0
    out(f"Sharing since {_when(status.get('started'))}, " +
        (f"until {_when(status.get('until'))}." if status.get("until") else "until it is stopped."))
    packs = status.get("packs") if isinstance(status.get("packs"), list) else []
    fetched = status.get("fetched") if isinstance(status.get("fetched"), dict) else {}
    assert isinstance(packs, list) and isinstance(fetched, dict)
    out(f"The list of packs was fetched {status.get('visits', 0)} time(s). Whole downloads (no one's address or "
        "time is kept):")
    for pack_id in packs:
        out(f"    {plain(pack_id)}: {fetched.get(pack_id, 0)}")
    if status.get("persistent"):
        out("Persistent: the same line works next time.")
    if args.line and isinstance(status.get("line"), str):
        out(status["line"])
    return 0


def cmd_share_revoke(args: argparse.Namespace, home: Home) -> int:
    from sync.share import status_in_vault
    from sync.share_store import kept_share, request_stop, revoke_share

    with open_vault(home) as vault:
        if kept_share(vault) is None:
            out("There is no persistent share to revoke.")
            return 1
        if not args.yes and not confirm("Revoke the persistent share? Its address and line stop working for good. "
                                        "[y/N]"):
            out("Nothing was changed.")
            return 1
        revoke_share(vault)
        running = status_in_vault(vault) is not None
        if running:
            request_stop(vault)
    out("The persistent share is revoked: its line reaches nothing any more. The next persistent share gets a new "
        "address and a new line." + (" The running share was asked to stop." if running else ""))
    return 0


def add_commands(sub: Any) -> None:
    share = sub.add_parser("share", help="share packs from your library over Tor (trainers)")
    ss = share.add_subparsers(dest="share_command", metavar="ACTION", required=True)
    p = ss.add_parser("start", help="share packs as an onion service until stopped (runs in the foreground)")
    p.add_argument("packs", nargs="*", metavar="PACK_ID", help="packs to share (none: every pack signed by --key)")
    p.add_argument("--key", required=True, metavar="NAME.key", help="your signing key: it signs the share's index")
    p.add_argument("--until", metavar="DATE", help="stop at this date: YYYY-MM-DD or 'YYYY-MM-DD HH:MM'")
    p.add_argument("--persistent", action="store_true", help="the same address and line next time (until revoked)")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--tor", metavar="PATH", help="start this tor program")
    how.add_argument("--control", metavar="HOST:PORT", help="use the tor running at this control port")
    p.add_argument("--bridge", action="append", metavar="LINE", help="a bridge line (repeatable)")
    p.add_argument("--qr", action="store_true", help="print the line's QR code even when not on a terminal")
    p.set_defaults(func=cmd_share_start)
    p = ss.add_parser("stop", help="stop the share running from this library (from another terminal)")
    p.set_defaults(func=cmd_share_stop)
    p = ss.add_parser("status", help="whether a share is running, until when, and what was fetched")
    p.add_argument("--json", action="store_true")
    p.add_argument("--line", action="store_true", help="also print the share line")
    p.set_defaults(func=cmd_share_status)
    p = ss.add_parser("revoke", help="forget the persistent share's keys: its line stops working")
    p.add_argument("--yes", action="store_true")
    p.set_defaults(func=cmd_share_revoke)
