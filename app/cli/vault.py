"""`satchel init | passwd | duress | wipe-after | wipe`: the vault itself."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.io import confirm, err, open_vault, out, read_secret
from app.errors import InvalidArgument, SatchelError
from app.home import Home


def cmd_init(args: argparse.Namespace, home: Home) -> int:
    from app.vault import Vault

    if args.iter_time is not None and not 1 <= args.iter_time <= 60_000:
        raise InvalidArgument("--iter-time must be between 1 and 60000 milliseconds.")
    home.check_usable()
    if home.has_vault():
        raise SatchelError(f"A vault already exists in {home.path}; nothing was changed.")
    passphrase = read_secret("New vault passphrase: ", confirm=True)
    with Vault.create(home, passphrase, iter_time_ms=args.iter_time):
        pass
    out(f"Created an empty vault in {home.path}.")
    warning = in_place_warning(home)
    if warning:
        err(warning)
    return 0


def in_place_warning(home: Home) -> str:
    """One sentence when this disk may keep old copies of the key file (app.home)."""
    found = home.overwrite_in_place()
    if found.honoured is False:
        return (f"Warning: this file system ({found.filesystem}) keeps old copies of changed data, so after a "
                "wipe or a passphrase change the old key may still be recoverable from the disk.")
    if found.honoured is None:
        return (f"Warning: Satchel cannot tell whether this file system ({found.filesystem}) overwrites data in "
                "place, so after a wipe or a passphrase change the old key may still be recoverable from the disk.")
    return ""


def cmd_wipe_after(args: argparse.Namespace, home: Home) -> int:
    if not 0 <= args.count <= 1000:
        raise InvalidArgument("The number of failed unlocks must be between 0 and 1000.")
    with open_vault(home) as vault:
        vault.set_fail_limit(args.count)
    if args.count:
        out(f"The vault will be wiped after {args.count} wrong passphrases in a row.")
    else:
        out("Wrong passphrases no longer wipe the vault.")
    return 0


def cmd_passwd(args: argparse.Namespace, home: Home) -> int:
    with open_vault(home) as vault:
        new = read_secret("New vault passphrase: ", confirm=True)
        vault.change_passphrase(new)
    out("The passphrase was changed.")
    return 0


def cmd_duress(args: argparse.Namespace, home: Home) -> int:
    with open_vault(home) as vault:
        if args.action == "set":
            duress = read_secret("Duress passphrase: ", confirm=True)
            vault.set_duress(duress)
            out("The duress passphrase was set. Unlocking with it wipes the vault silently.")
        elif vault.clear_duress():
            out("The duress passphrase was removed.")
        else:
            out("No duress passphrase was set.")
    return 0


def cmd_wipe(args: argparse.Namespace, home: Home) -> int:
    if not args.yes and not confirm(
        f"Wipe everything Satchel keeps in {home.path}? This cannot be undone. [y/N]"
    ):
        out("Nothing was wiped.")
        return 1
    from app.wipe import panic_wipe

    report = panic_wipe(home.path)
    if report.failed:
        err(f"Satchel could not remove {len(report.failed)} file(s) in {home.path}.")
        return 1
    if report.removed:
        out(f"Wiped: {len(report.removed)} file(s) removed.")
    else:
        out("There was nothing to wipe.")
    return 0


def add_commands(sub: Any) -> None:
    p = sub.add_parser("init", help="create an empty vault")
    p.add_argument("--iter-time", type=int, metavar="MS", help="key-derivation time in milliseconds (default 500)")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("passwd", help="change the vault passphrase")
    p.set_defaults(func=cmd_passwd)

    p = sub.add_parser("duress", help="set or remove the duress passphrase")
    p.add_argument("action", choices=["set", "clear"])
    p.set_defaults(func=cmd_duress)

    p = sub.add_parser("wipe-after", help="wipe the vault after N wrong passphrases in a row (0: never)")
    p.add_argument("count", type=int, metavar="N")
    p.set_defaults(func=cmd_wipe_after)

    p = sub.add_parser("wipe", help="panic wipe: destroy the vault (needs no passphrase)")
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.set_defaults(func=cmd_wipe)
