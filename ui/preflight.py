"""Before Qt starts: can its platform plugin load, and is there a display to show on?

Without this, a missing system library makes Qt abort the whole process (exit 134) with
a hint that names the wrong library, and a missing display does the same. Here, before
any Qt module is imported, Satchel finds the platform plugin Qt would use
(QT_QPA_PLATFORM, else Wayland then X11 in a Wayland session, else X11), in PySide6 or in
the bundle, and asks the dynamic loader to load it. When none of the candidates can
work it returns one sentence naming what is missing, as the loader reports it (all of
the missing libraries, from `ldd` where present), with the Debian packages that hold
them, and the caller exits non-zero.

Guarantees:
- Nothing from Qt is imported here, and nothing is written.
- The common case costs one `dlopen` of the plugin, whose libraries Qt loads a moment
  later anyway; `ldd` runs only when something is already wrong.
- When QT_QPA_PLATFORM is not set and Qt's first choice cannot work (a Wayland session
  whose plugin lacks libraries), it is set to the candidates that can, so Qt goes
  straight to one that works.
"""

from __future__ import annotations

import os
import re
from collections.abc import MutableMapping
from pathlib import Path

# Platforms that draw on a screen of their own and need no display server.
NO_DISPLAY = {"offscreen", "minimal", "vnc", "eglfs", "linuxfb", "vkkhrdisplay", "minimalegl"}
_LDD_MISSING = re.compile(r"^\s*(\S+) => not found", re.MULTILINE)
_LDD_ERROR = re.compile(r"error while loading shared libraries: ([^:]+): (.+)")
_DL_ERROR = re.compile(r"^([^:]+\.so[^:]*): (.+)$")


class Candidate:
    """One platform Qt may use, and what stands in its way. (A plain class: dataclasses
    would cost start-up an import before the window's own modules pay for it.)"""

    def __init__(self, name: str) -> None:
        self.name = name
        self.plugin: Path | None = None
        self.missing: list[str] = []   # libraries the loader cannot find or load
        self.error = ""                # the loader's message when it names no library
        self.no_display = ""           # why there is no display for it


def candidates(env: dict[str, str]) -> tuple[list[str], bool]:
    """The platforms Qt would try, in order, and whether the user chose them."""
    chosen = env.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return [p.split(":", 1)[0].strip() for p in chosen.split(";") if p.strip()], True
    if env.get("XDG_SESSION_TYPE") == "wayland" or env.get("WAYLAND_DISPLAY"):
        return ["wayland", "xcb"], False
    return ["xcb"], False


def plugin_dirs(env: dict[str, str]) -> list[Path]:
    """Where Qt looks for platform plugins: the user's override, then PySide6's own."""
    dirs = [Path(env["QT_QPA_PLATFORM_PLUGIN_PATH"])] if env.get("QT_QPA_PLATFORM_PLUGIN_PATH") else []
    dirs += [Path(p) / "platforms" for p in env.get("QT_PLUGIN_PATH", "").split(os.pathsep) if p]
    from app.resources import bundle_dir

    base = bundle_dir()
    if base is not None:
        dirs.append(base / "PySide6" / "Qt" / "plugins" / "platforms")
    else:
        import importlib.util

        spec = importlib.util.find_spec("PySide6")  # finds the package without importing it
        if spec is not None and spec.submodule_search_locations:
            dirs.append(Path(next(iter(spec.submodule_search_locations))) / "Qt" / "plugins" / "platforms")
    return dirs


def _missing_libraries(plugin: Path, first_error: str) -> tuple[list[str], str]:
    """Every library the loader cannot load for `plugin` (ldd), else the one dlopen named."""
    import shutil
    import subprocess

    found: list[str] = []
    ldd = shutil.which("ldd")
    if ldd:
        try:
            proc = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=20,  # noqa: S603
                                  env=dict(os.environ, LC_ALL="C"))
            found += _LDD_MISSING.findall(proc.stdout)
            for name, _reason in _LDD_ERROR.findall(proc.stdout + proc.stderr):
                found.append(os.path.basename(name))
        except (OSError, subprocess.SubprocessError):
            pass
    match = _DL_ERROR.match(first_error)
    if match:
        found.append(os.path.basename(match.group(1)))
    unique = list(dict.fromkeys(found))
    return unique, "" if unique else first_error


def display_problem(name: str, env: dict[str, str]) -> str:
    """Why `name` has no display to show on ('' when it has one or needs none)."""
    if name in NO_DISPLAY:
        return ""
    if name == "wayland":
        display = env.get("WAYLAND_DISPLAY") or "wayland-0"
        runtime = env.get("XDG_RUNTIME_DIR", "")
        if display.startswith("/") or runtime:
            path = Path(display) if display.startswith("/") else Path(runtime) / display
            if path.exists():
                return ""
        return "there is no Wayland display (WAYLAND_DISPLAY)"
    if name == "xcb":
        display = env.get("DISPLAY", "")
        if not display:
            return "there is no display (DISPLAY is not set)"
        return "" if _x_reachable(display) else f"the display {display} cannot be reached"
    return ""


def _x_reachable(display: str) -> bool:
    """Whether a local X server answers on `display` (":0", "unix:0.0"); a remote one is
    assumed to (Qt reports on it)."""
    import socket

    m = re.fullmatch(r"(?:unix)?:(\d+)(?:\.\d+)?", display)
    if not m:
        return True
    # X11's own fixed socket names (abstract first, as libxcb tries them), only connected to
    for address in (f"\0/tmp/.X11-unix/X{m.group(1)}", f"/tmp/.X11-unix/X{m.group(1)}"):  # noqa: S108
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            try:
                s.connect(address)
                return True
            except OSError:
                continue
    return False


def examine(name: str, env: dict[str, str]) -> Candidate:
    c = Candidate(name)
    for folder in plugin_dirs(env):
        path = folder / f"libq{name}.so"
        if path.is_file():
            c.plugin = path
            break
    if c.plugin is None:
        c.error = f"Qt's {name} platform plugin is not there"
        return c
    try:
        # Lazy binding, as Qt loads plugins: the libraries must be there; their symbols
        # are resolved when Qt uses them, so this costs no more than Qt's own load.
        # _ctypes.dlopen is what ctypes.CDLL calls, without building ctypes' types first.
        import _ctypes

        _ctypes.dlopen(str(c.plugin), os.RTLD_LAZY | os.RTLD_LOCAL)
    except OSError as exc:
        c.missing, c.error = _missing_libraries(c.plugin, str(exc))
        if not c.missing and not c.error:
            c.error = str(exc)
    if not c.missing and not c.error:
        c.no_display = display_problem(name, env)
    return c


def usable(c: Candidate) -> bool:
    return not c.missing and not c.error and not c.no_display


def debian_package(soname: str) -> str:
    """Debian's name for the package of a shared library (Debian policy 8.1):
    libxcb-icccm.so.4 -> libxcb-icccm4, libxkbcommon-x11.so.0 -> libxkbcommon-x11-0."""
    m = re.fullmatch(r"(.+?)\.so\.(\d+)(?:\..*)?", soname)
    if not m:
        return ""
    base, version = m.group(1).lower(), m.group(2)
    return f"{base}-{version}" if base[-1].isdigit() else f"{base}{version}"


def problem_sentence(found: list[Candidate]) -> str:
    """One sentence for the first candidate (the one Qt would have used)."""
    first = found[0]
    if first.missing:
        libs = ", ".join(first.missing)
        packages = [p for p in dict.fromkeys(debian_package(lib) for lib in first.missing) if p]
        sentence = (f"Satchel cannot open its window: Qt's {first.name} platform plugin needs libraries "
                    f"that are missing or damaged: {libs}")
        if packages and os.path.exists("/usr/bin/dpkg"):
            sentence += f" (install them with: sudo apt-get install {' '.join(packages)})"
        return sentence + "."
    if first.error:
        return f"Satchel cannot open its window: {first.error.rstrip('.')}."
    return (f"Satchel cannot open its window: {first.no_display}; start it from a desktop session, "
            "or use its command line (satchel --help).")


def check(env: MutableMapping[str, str] | None = None) -> str | None:
    """None when Qt can start (choosing the platform in `env`, by default this process's
    environment, if needed), else one sentence."""
    target: MutableMapping[str, str] = os.environ if env is None else env
    names, chosen_by_user = candidates(dict(target))
    found: list[Candidate] = []
    for name in names:
        c = examine(name, dict(target))
        found.append(c)
        if usable(c):
            if not chosen_by_user and len(found) > 1:
                # Qt's first choice cannot work here: go straight to the ones that can.
                target["QT_QPA_PLATFORM"] = ";".join([name, *names[len(found):]])
            return None
    return problem_sentence(found) if found else "Satchel cannot open its window: no Qt platform was named."
