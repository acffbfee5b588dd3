"""Only ui/ knows Qt: the core imports in a fresh interpreter without PySide6."""

from __future__ import annotations

import subprocess
import sys

from support import ROOT

CORE = ["app", "crypto", "sync", "content_packs"]


def test_core_packages_do_not_import_qt() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        f"for name in {CORE!r}:\n"
        "    pkg = importlib.import_module(name)\n"
        "    for mod in pkgutil.walk_packages(pkg.__path__, name + '.'):\n"
        "        importlib.import_module(mod.name)\n"
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "print(len([m for m in sys.modules if m.split('.')[0] in %r]))\n" % (CORE,) +
        "assert not qt, qt\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT))
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) > 10  # the walk really imported the modules


def test_cli_without_subcommand_is_the_only_way_into_ui() -> None:
    text = (ROOT / "app" / "cli.py").read_text()
    assert text.count("from ui") == 1
