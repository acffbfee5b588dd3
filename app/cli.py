"""`satchel`: the command line, a thin layer over the core.

Every handler calls the same core functions as the desktop app. Expected failures
(SatchelError) print one plain sentence to standard error and exit with status 1;
usage errors exit with status 2. With no sub-command the desktop app opens.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from typing import TYPE_CHECKING

from app import __version__
from app.cli_io import confirm, out, out_json, read_secret
from app.errors import InvalidArgument, NoVault, SatchelError
from app.home import Home
from crypto.secure import harden_process

if TYPE_CHECKING:
    from app.vault import Vault

# The vault (SQLCipher, cryptography) is imported only by the commands that need it, so
# `satchel` with no sub-command opens its window without paying for them first.

Handler = Callable[[argparse.Namespace, Home], int]


class UsageError(Exception):
    """A command-line usage mistake (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message[:1].upper() + message[1:].rstrip(".") + ".")


def open_vault(home: Home) -> Vault:
    """Ask for the vault passphrase and unlock (used by every command that reads the vault)."""
    from app.vault import Vault

    if not home.has_vault():
        raise NoVault(f"There is no Satchel vault in {home.path}; create one with 'satchel init'.")
    return Vault.unlock(home, read_secret("Vault passphrase: "))


def positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value[:40]}' is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError("the number must be at least 1")
    return n


# -- vault commands ----------------------------------------------------------------

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
        else:
            if vault.clear_duress():
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
        print(f"Satchel could not remove {len(report.failed)} file(s) in {home.path}.", file=sys.stderr)
        return 1
    if report.removed:
        out(f"Wiped: {len(report.removed)} file(s) removed.")
    else:
        out("There was nothing to wipe.")
    return 0


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
            out(f"{p.id}  v{p.version}  [{p.language}]  {p.title}{sample}")
    return 0


def build_parser() -> _Parser:
    parser = _Parser(prog="satchel", description="Satchel: an offline library that keeps its content encrypted.")
    parser.add_argument("--home", type=Path, help="folder that holds the vault (default: $SATCHEL_HOME or the user data folder)")
    parser.add_argument("--version", action="version", version=f"Satchel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("init", help="create an empty vault")
    p.add_argument("--iter-time", type=int, metavar="MS", help="key-derivation time in milliseconds (default 500)")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("passwd", help="change the vault passphrase")
    p.set_defaults(func=cmd_passwd)

    p = sub.add_parser("duress", help="set or remove the duress passphrase")
    p.add_argument("action", choices=["set", "clear"])
    p.set_defaults(func=cmd_duress)

    p = sub.add_parser("list", help="installed packs")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("wipe", help="panic wipe: destroy the vault (needs no passphrase)")
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.set_defaults(func=cmd_wipe)

    from app import cli_packs

    cli_packs.add_commands(sub)
    from sync import cli_usb
    cli_usb.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    harden_process()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        home = Home(args.home)
        if args.command is None:
            from ui.main import run_app  # the only place the core reaches for Qt

            return run_app(home)
        return int(args.func(args, home))
    except UsageError as exc:
        print(f"satchel: {exc}", file=sys.stderr)
        return 2
    except SatchelError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
