"""`satchel`: the command line, the top layer over the core.

One module per command group (vault, packs, trust, library, usb, and the groups that
later features add), each a thin layer that calls the same core functions as the
desktop app; what they share lives in `app.cli.io`, and the groups never import each
other. This package is the only part of `app/` that may import `content_packs/`,
`sync/` or `ui/` (the last only to open the window).

Expected failures (SatchelError) print one plain sentence to standard error and exit
with status 1; usage errors exit with status 2. With no sub-command the desktop app
opens.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from app import __version__
from app.cli import library, packs, repo, sync, trust, usb, vault
from app.cli.io import err
from app.errors import SatchelError
from app.home import Home
from crypto.secure import harden_process

# The vault (SQLCipher, cryptography) is imported only by the commands that need it, so
# `satchel` with no sub-command opens its window without paying for them first.

Handler = Callable[[argparse.Namespace, Home], int]
GROUPS = (vault, library, packs, trust, usb, repo, sync)


class UsageError(Exception):
    """A command-line usage mistake (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message[:1].upper() + message[1:].rstrip(".") + ".")


def build_parser() -> _Parser:
    parser = _Parser(prog="satchel", description="Satchel: an offline library that keeps its content encrypted.")
    parser.add_argument("--home", type=Path,
                        help="folder that holds the vault (default: $SATCHEL_HOME or the user data folder)")
    parser.add_argument("--version", action="version", version=f"Satchel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for group in GROUPS:
        group.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    harden_process()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        home = Home(args.home)
        if args.command is None:
            from ui.main import run_app  # the only place the command line reaches for Qt

            return run_app(home)
        return int(args.func(args, home))
    except UsageError as exc:
        err(f"satchel: {exc}")
        return 2
    except SatchelError as exc:
        err(str(exc))
        return 1
    except KeyboardInterrupt:
        err("Stopped.")
        return 130
    except BrokenPipeError:
        return 1
