"""Fixtures for the self-contained app's tests (the `bundle_dir` fixture itself is in
tests/conftest.py, so other rooms' tests can run against the bundle too). Every test in
this folder carries the `bundle` marker."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bundlehelp import Place  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.bundle)


@pytest.fixture
def place(tmp_path: Path) -> Place:
    root = tmp_path / "user"
    for sub in ("home", "tmp", "config", "cache", "data", "state", "run", "cwd"):
        (root / sub).mkdir(parents=True)
    (root / "run").chmod(0o700)
    return Place(root)


@pytest.fixture
def bundle_copy(bundle_dir: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the bundle to damage or move (the real one stays intact)."""
    target = tmp_path / "copy" / "satchel"
    shutil.copytree(bundle_dir, target, symlinks=True)
    yield target
