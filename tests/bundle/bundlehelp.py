"""Helpers for the bundle's tests (imported as `bundlehelp`)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class Place:
    """A user account with nothing in it: an empty HOME, temporary folder and XDG folders."""

    root: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.root / "home"), "TMPDIR": str(self.root / "tmp"),
               "XDG_CONFIG_HOME": str(self.root / "config"), "XDG_CACHE_HOME": str(self.root / "cache"),
               "XDG_DATA_HOME": str(self.root / "data"), "XDG_STATE_HOME": str(self.root / "state"),
               "XDG_RUNTIME_DIR": str(self.root / "run"), "LANG": "C.UTF-8"}
        env.update(extra)
        return env

    def files(self) -> list[str]:
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file())


def run(command: list[str], env: dict[str, str], cwd: Path, stdin: str = "", timeout: float = 300) -> Run:
    """Run with exactly `env` (nothing inherited: no Python, no venv, no PYTHONPATH)."""
    proc = subprocess.run(command, input=stdin, capture_output=True, text=True, env=env, cwd=str(cwd),
                          timeout=timeout)
    return Run(proc.returncode, proc.stdout, proc.stderr)
