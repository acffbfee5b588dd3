"""The rooms and who may enter (DESIGN.md, Layout): imports point one way,
`ui, app/cli -> sync -> content_packs -> app (core) -> crypto`, and only ui/ knows Qt."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from support import ROOT

CORE = ["app", "crypto", "sync", "content_packs"]
ROOMS = ["ui", "app.cli", "sync", "content_packs", "app", "crypto"]
# Which rooms each room may import from (itself included).
ALLOWED: dict[str, set[str]] = {
    "crypto": {"crypto"},
    "app": {"app", "crypto"},
    "content_packs": {"content_packs", "app", "crypto"},
    "sync": {"sync", "content_packs", "app", "crypto"},
    "app.cli": {"app.cli", "sync", "content_packs", "app", "crypto", "ui"},
    "ui": {"ui", "sync", "content_packs", "app", "crypto"},
}


def room_of(module: str) -> str | None:
    for room in ROOMS:  # most specific first: app.cli before app
        if module == room or module.startswith(room + "."):
            return room
    return None


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, at the top or inside a function, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[tuple[int, str]] = []
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # `from app import cli` imports the module app.cli
            found.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names)
    return found


def product_files() -> list[Path]:
    return [p for room in ("ui", "sync", "content_packs", "app", "crypto") for p in (ROOT / room).rglob("*.py")]


def violations() -> list[str]:
    problems = []
    for path in product_files():
        source_room = room_of(module_name(path))
        assert source_room is not None, path
        for line, target in imports_of(path):
            target_room = room_of(target)
            if target_room is None or target_room in ALLOWED[source_room]:
                continue
            problems.append(f"{path.relative_to(ROOT)}:{line} ({source_room}) imports {target} ({target_room})")
    return problems


def test_every_import_points_down_the_layers() -> None:
    assert violations() == []


def test_the_check_sees_function_level_and_relative_imports() -> None:
    probe = ROOT / "app" / "_layer_probe.py"
    probe.write_text("def f():\n    from sync import usb\n    from ui.qt import Qt\n    from .cli import io\n")
    try:
        found = [v for v in violations() if "_layer_probe" in v]
    finally:
        probe.unlink()
    targets = {v.split(" imports ")[1].split(" ")[0] for v in found}
    # the core may reach neither down-stream rooms nor up into the command line
    assert {"sync.usb", "ui.qt", "app.cli.io"} <= targets, found


def test_only_the_command_line_opens_the_window() -> None:
    users = sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "app" / "cli").rglob("*.py")
        if any(room_of(t) == "ui" for _, t in imports_of(p))
    )
    assert users == ["app/cli/__init__.py"]


def test_core_packages_do_not_import_qt() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        f"for name in {CORE!r}:\n"
        "    pkg = importlib.import_module(name)\n"
        "    for mod in pkgutil.walk_packages(pkg.__path__, name + '.'):\n"
        "        if mod.name.endswith('__main__'): continue\n"
        "        importlib.import_module(mod.name)\n"
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "print(len([m for m in sys.modules if m.split('.')[0] in %r]))\n" % (CORE,) +
        "assert not qt, qt\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT))
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) > 10  # the walk really imported the modules
