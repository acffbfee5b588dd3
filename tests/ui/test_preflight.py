"""No silent abort (issue 9, point 2): before Qt starts, Satchel checks that its platform
plugin can load and that there is a display; when not, one sentence and a non-zero exit,
never Qt's abort (exit 134). The library cases run the real `satchel` in a private mount
namespace where system libraries are really gone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import ROOT, assert_one_sentence, is_root, without_libraries
from ui import preflight


def satchel_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE")}
    env.update(SATCHEL_HOME=str(tmp / "home"), HOME=str(tmp), **extra)
    return env


def run_satchel(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=60)


SATCHEL = [sys.executable, "-m", "app.cli"]


@pytest.fixture
def fake_x_server(tmp_path: Path) -> Iterator[str]:
    """A listening X11 socket (abstract, as Xorg opens it): a display that can be reached."""
    for n in range(4200, 4300):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.bind(f"\0/tmp/.X11-unix/X{n}")
        except OSError:
            s.close()
            continue
        s.listen(1)
        try:
            yield f":{n}"
        finally:
            s.close()
        return
    pytest.fail("no free display number")


@pytest.mark.parametrize("how,expected", [
    ("absent", "libxcb-icccm.so.4, libxcb-keysyms.so.1 (install them with: sudo apt-get install "
               "libxcb-icccm4 libxcb-keysyms1)."),
    # a damaged library stops the loader at the first one: it names that one
    ("empty", "libxcb-icccm.so.4 (install them with: sudo apt-get install libxcb-icccm4)."),
])
def test_missing_qt_libraries_are_named_in_one_sentence(tmp_path: Path, fake_x_server: str, how: str,
                                                         expected: str) -> None:
    if not is_root():
        pytest.skip("hiding system libraries needs a private mount namespace (root; CI runs as root)")
    command = without_libraries(SATCHEL, ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"], tmp_path / "ns", how)
    proc = run_satchel(command, satchel_env(tmp_path, DISPLAY=fake_x_server))
    assert proc.returncode == 1, proc.stderr
    assert_one_sentence(proc.stderr)
    assert proc.stderr.strip() == ("Satchel cannot open its window: Qt's xcb platform plugin needs libraries that "
                                   "are missing or damaged: " + expected)
    assert not (tmp_path / "home").exists()  # nothing was created


def test_without_a_display_one_sentence_and_no_abort(tmp_path: Path) -> None:
    proc = run_satchel(SATCHEL, satchel_env(tmp_path))
    assert proc.returncode == 1
    assert proc.stderr.strip() == ("Satchel cannot open its window: there is no display (DISPLAY is not set); start "
                                   "it from a desktop session, or use its command line (satchel --help).")
    proc = run_satchel(SATCHEL, satchel_env(tmp_path, DISPLAY=":4999"))
    assert proc.returncode == 1
    assert_one_sentence(proc.stderr)
    assert "the display :4999 cannot be reached" in proc.stderr
    proc = run_satchel(SATCHEL, satchel_env(tmp_path, QT_QPA_PLATFORM="wayland", XDG_RUNTIME_DIR=str(tmp_path)))
    assert proc.returncode == 1
    assert_one_sentence(proc.stderr)


def test_a_reachable_display_passes(fake_x_server: str) -> None:
    env = {"DISPLAY": fake_x_server, "PATH": os.environ["PATH"]}
    assert preflight.check(env) is None
    assert "QT_QPA_PLATFORM" not in env  # Qt's own choice stands


def test_a_platform_that_cannot_load_gives_way_to_one_that_can(tmp_path: Path, fake_x_server: str) -> None:
    plugins = tmp_path / "platforms"
    plugins.mkdir()
    (plugins / "libqwayland.so").write_bytes(b"not a shared library")
    env = {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-7", "XDG_RUNTIME_DIR": str(tmp_path),
           "DISPLAY": fake_x_server, "QT_QPA_PLATFORM_PLUGIN_PATH": str(plugins), "PATH": os.environ["PATH"]}
    (tmp_path / "wayland-7").touch()
    assert preflight.check(env) is None
    assert env["QT_QPA_PLATFORM"] == "xcb"
    # Chosen by the user, it is not second-guessed: one sentence instead.
    env["QT_QPA_PLATFORM"] = "wayland"
    sentence = preflight.check(env)
    assert sentence is not None and sentence.startswith("Satchel cannot open its window: ")
    assert "libqwayland.so" in sentence and "\n" not in sentence


def test_offscreen_needs_no_display() -> None:
    assert preflight.check({"QT_QPA_PLATFORM": "offscreen", "PATH": os.environ["PATH"]}) is None


def test_debian_package_names_follow_policy() -> None:
    assert preflight.debian_package("libxcb-icccm.so.4") == "libxcb-icccm4"
    assert preflight.debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert preflight.debian_package("libEGL.so.1") == "libegl1"
    assert preflight.debian_package("libdbus-1.so.3") == "libdbus-1-3"
    assert preflight.debian_package("libxcb-render-util.so.0.0.0") == "libxcb-render-util0"
    assert preflight.debian_package("weird") == ""


def test_every_qt_package_in_the_list_is_what_the_check_would_name() -> None:
    """The sentence names Debian packages by rule; the packages the list installs for Qt's
    xcb plugin are exactly those the rule gives for the plugin's own libraries."""
    plugin = next(d for d in preflight.plugin_dirs(dict(os.environ)) if (d / "libqxcb.so").is_file()) / "libqxcb.so"
    out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=True).stdout
    sonames = {line.split()[0] for line in out.splitlines() if "=> /" in line and "/PySide6/" not in line}
    derived = {preflight.debian_package(s) for s in sonames}
    listed = {line.split()[0] for line in (ROOT / "build" / "system-packages").read_text().splitlines()
              if line.strip() and not line.startswith("#") and "xcb platform plugin" in line}
    assert listed <= derived, listed - derived
