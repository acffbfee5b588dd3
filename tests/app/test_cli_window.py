"""`satchel` with no command opens the window without building the parser or loading the
command groups (start-up stays close to a bare Qt window's); anything else goes through
the parser, so nothing is lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app.cli import window_home
from support import ROOT


def test_only_a_home_or_nothing_goes_straight_to_the_window() -> None:
    assert window_home([]) == (True, None)
    assert window_home(["--home", "/x/y"]) == (True, Path("/x/y"))
    assert window_home(["--home=/x/y"]) == (True, Path("/x/y"))
    for other in (["--home"], ["--home", "--version"], ["--home="], ["list"], ["--self-test"], ["--help"],
                  ["--home", "/x", "list"], ["--version"], ["-h"]):
        assert window_home(other) == (False, None), other


def test_the_command_groups_load_only_with_the_parser() -> None:
    code = ("import sys, app.cli\n"
            "assert not [m for m in sys.modules if m in {'app.cli.vault', 'app.cli.packs', 'app.cli.usb'}]\n"
            "app.cli.build_parser()\n"
            "assert all(f'app.cli.{g}' in sys.modules for g in app.cli.GROUPS)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT))
    assert proc.returncode == 0, proc.stderr


def test_a_missing_home_value_is_still_a_usage_error(cli) -> None:
    r = cli("--home")
    assert r.code == 2 and r.err.startswith("satchel: ") and "--home" in r.err
