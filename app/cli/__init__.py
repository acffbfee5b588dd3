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
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import NoReturn

from app import __version__
from app.cli.io import err
from app.errors import SatchelError
from app.home import Home
from crypto.secure import harden_process

# The vault (SQLCipher, cryptography) is imported only by the commands that need it, and
# the command groups only when the parser is built, so `satchel` with no sub-command (or
# only --home) opens its window without paying for them first.

Handler = Callable[[argparse.Namespace, Home], int]
GROUPS = ("vault", "library", "packs", "trust", "usb", "repo", "sync", "share")  # modules of app/cli/, in --help order


def group_modules() -> tuple[ModuleType, ...]:
    return tuple(importlib.import_module(f"app.cli.{name}") for name in GROUPS)


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
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation end to end in a throw-away folder, then wipe it")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for group in group_modules():
        group.add_commands(sub)
    return parser


# The hidden entry of the picture decoder (ui/imagedecode.py): the app starts itself with
# this flag so that the same command works from source and from the frozen bundle.
IMAGE_DECODER_FLAG = "--image-decoder"


def window_home(argv: Sequence[str]) -> tuple[bool, Path | None]:
    """(True, home) for `satchel`, `satchel --home DIR` and `satchel --home=DIR`: open the
    window on that home (None: the default); (False, None) for anything else, which the
    parser handles."""
    if not argv:
        return True, None
    if len(argv) == 2 and argv[0] == "--home" and argv[1] and not argv[1].startswith("-"):
        return True, Path(argv[1])
    if len(argv) == 1 and argv[0].startswith("--home=") and len(argv[0]) > len("--home="):
        return True, Path(argv[0][len("--home="):])
    return False, None


def main(argv: Sequence[str] | None = None) -> int:
    harden_process()
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list == [IMAGE_DECODER_FLAG]:
        from ui.imagedecode import child_main  # QtCore and QtGui only; no vault, no window

        return child_main()
    try:
        window, chosen = window_home(args_list)
        if window:  # straight to the window: no parser, no command groups to load
            from ui.main import run_app

            return run_app(Home(chosen))
        args = build_parser().parse_args(args_list)
        if args.self_test:
            if args.command is not None:
                raise UsageError("--self-test takes no command.")
            from app.cli import selftest
            from ui.fonts import font_files
            from ui.selftest import render_page

            return selftest.run(render_page, font_files())
        home = Home(args.home)
        if args.command is None:
            from ui.main import run_app  # with the self-test, the only places the command line reaches ui/

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
