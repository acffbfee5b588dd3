"""Where Satchel finds the files it ships, from a checkout and from the frozen bundle alike.

One function answers for every resource (Dangerzone's `get_resource_path`): the
translations (`ui/i18n`), the pinned roots and trust list (`app/roots`), the icons
(`ui/icons`), and what `make` builds into `dist/` from a checkout: the signed starter
packs (`starter`) and the fonts (`fonts`). In the PyInstaller bundle every one of them
sits under the bundle's own folder (`sys._MEIPASS`) at the same relative place, so the
bundle never reads the source tree, the current folder or anything under the user's
home.

Guarantees:
- `resource_path` only computes a path; it never creates, reads or writes anything.
- `bundled_executable` prefers a program shipped inside the bundle (`<bundle>/<name>/<name>`,
  e.g. `tor/tor`) and otherwise looks it up on PATH.
- `system_env` is the environment to start a system program with: inside the bundle the
  PyInstaller boot loader points LD_LIBRARY_PATH at the bundle's libraries, which a
  program from the system must not load; this puts the user's own value back.
- `self_command` is the command line that starts Satchel itself again (a hidden helper
  process, for instance): the bundle's executable, or this Python with `-m app.cli`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Made by `make` (starter packs, fonts) into dist/ of a checkout; top-level in the bundle.
BUILT = frozenset({"starter", "fonts"})


def bundle_dir() -> Path | None:
    """The frozen bundle's data folder (PyInstaller's `_MEIPASS`), or None from source."""
    base = getattr(sys, "_MEIPASS", None)
    return Path(base) if base and getattr(sys, "frozen", False) else None


def is_frozen() -> bool:
    return bundle_dir() is not None


def resource_path(*parts: str) -> Path:
    """The path of a shipped resource, e.g. `resource_path("ui", "i18n")`."""
    if not parts:
        raise ValueError("resource_path needs at least one part")
    base = bundle_dir()
    if base is not None:
        return base.joinpath(*parts)
    if parts[0] in BUILT:
        return ROOT.joinpath("dist", *parts)
    return ROOT.joinpath(*parts)


def bundled_executable(name: str) -> Path | None:
    """A helper program: the bundle's own copy (`<bundle>/<name>/<name>`) if it ships one,
    else the one on PATH, else None."""
    base = bundle_dir()
    if base is not None:
        shipped = base / name / name
        if shipped.is_file() and os.access(shipped, os.X_OK):
            return shipped
    import shutil  # only here: the window's start-up does not wait for it

    found = shutil.which(name)
    return Path(found) if found else None


def system_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """`env` (default: this process's) as a program from the system should see it."""
    result = dict(os.environ if env is None else env)
    if is_frozen():
        original = result.pop("LD_LIBRARY_PATH_ORIG", None)
        if original is not None:
            result["LD_LIBRARY_PATH"] = original
        else:
            result.pop("LD_LIBRARY_PATH", None)
    return result


def self_command() -> list[str]:
    """The command that starts this Satchel again, before its own arguments."""
    if is_frozen():
        return [sys.executable]
    return [sys.executable, "-m", "app.cli"]
