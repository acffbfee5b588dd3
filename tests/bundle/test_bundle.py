"""The self-contained app (issue 9, point 3): it runs with no Python, no venv and no
source tree; it carries the starter packs, the trust list, the translations and the
fonts, and only the Qt parts Satchel uses; its self-test passes; its desktop entry and
window say nothing about what it holds."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bundlehelp import Place, run
from support import ROOT, is_root

FORBIDDEN_WORDS = re.compile(r"human|rights|defender|activis|freedom|liberty|dissident|amnesty|advoca|protest",
                             re.IGNORECASE)


def internal(bundle: Path) -> Path:
    return bundle / "_internal"


def test_it_carries_satchels_files_and_only_the_qt_it_uses(bundle_dir: Path) -> None:
    inside = internal(bundle_dir)
    from ui import fonts

    # the signed starter packs, the same ones `make starter` builds
    from content_packs.starter import starter_sources

    packs = sorted(p.name for p in (inside / "starter").glob("*.satchel"))
    assert packs == sorted(f"{d.parent.name}-{d.name}.satchel" for d in starter_sources())
    assert sorted(p.name for p in (inside / "app" / "roots").iterdir()) == sorted(
        p.name for p in (ROOT / "app" / "roots").iterdir())
    assert sorted(p.name for p in (inside / "ui" / "i18n").glob("*.json")) == sorted(
        p.name for p in (ROOT / "ui" / "i18n").glob("*.json"))
    for name in fonts.font_files():  # byte for byte what build/fonts.py made
        assert (inside / "fonts" / name).read_bytes() == (ROOT / "dist" / "fonts" / name).read_bytes(), name
    assert (inside / "fonts" / "LICENSE").is_file()
    # Qt: QtCore, QtGui, QtWidgets and QtDBus, nothing that reaches the network or runs QML
    bindings = sorted(p.name.split(".")[0] for p in (inside / "PySide6").glob("Qt*.so"))
    assert bindings == ["QtCore", "QtDBus", "QtGui", "QtWidgets"]
    libs = {p.name.split(".")[0] for p in (inside / "PySide6" / "Qt" / "lib").glob("libQt6*")}
    assert libs == {"libQt6Core", "libQt6Gui", "libQt6Widgets", "libQt6DBus", "libQt6XcbQpa", "libQt6WaylandClient"}
    plugins = sorted(str(p.relative_to(inside / "PySide6" / "Qt" / "plugins"))
                     for p in (inside / "PySide6" / "Qt" / "plugins").rglob("*.so"))
    assert plugins == sorted([
        "imageformats/libqgif.so", "imageformats/libqjpeg.so", "imageformats/libqwebp.so",
        "platforminputcontexts/libcomposeplatforminputcontextplugin.so",
        "platforminputcontexts/libibusplatforminputcontextplugin.so",
        "platforms/libqoffscreen.so", "platforms/libqwayland.so", "platforms/libqxcb.so",
        "platformthemes/libqxdgdesktopportal.so", "wayland-decoration-client/libbradient.so",
        "wayland-shell-integration/libxdg-shell.so"])
    assert sorted(p.name for p in (inside / "PySide6" / "Qt" / "translations").iterdir()) == [
        f"qtbase_{lang}.qm" for lang in ("ar", "es", "fa", "fr", "ru", "zh_CN")]
    # no network stack of Qt's, no developer tools, no second copy of the source tree
    names = {p.name for p in inside.rglob("*")}
    assert not {"libQt6Network.so.6", "libQt6Qml.so.6", "libQt6Svg.so.6", "libgtk-3.so.0"} & names
    assert not list(inside.rglob("*.py")), "source files in the bundle"


def test_the_release_files_and_their_sums(bundle_dir: Path) -> None:
    from app import __version__

    archive = ROOT / "dist" / f"satchel-{__version__}-linux-x86_64.tar.gz"
    sums = (ROOT / "dist" / "SHA256SUMS").read_text()
    assert sums == f"{hashlib.sha256(archive.read_bytes()).hexdigest()}  {archive.name}\n"
    owners = subprocess.run(["tar", "-tzvf", str(archive), "--numeric-owner"], capture_output=True, text=True,
                            check=True).stdout.splitlines()
    assert all(line.split()[1] == "0/0" for line in owners), owners[:3]  # no owner names or ids
    names = subprocess.run(["tar", "-tzf", str(archive)], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    assert f"satchel-{__version__}/satchel" in names and f"satchel-{__version__}/satchel.desktop" in names
    assert names == sorted(names, key=lambda n: n.rstrip("/").split("/"))  # sorted, as a reproducible archive is
    assert (bundle_dir / "icons" / "hicolor" / "256x256" / "apps" / "satchel.png").is_file()


def test_it_runs_without_python_a_venv_or_the_source_tree(bundle_copy: Path, place: Place, tmp_path: Path) -> None:
    """In a private mount namespace the checkout, this Python and the system's Python are
    all hidden; with an empty environment, a new home and a working folder outside the
    checkout, the bundle still runs its self-test and a whole command-line flow."""
    if not is_root():
        pytest.skip("hiding Python and the checkout needs a private mount namespace (root; CI runs as root)")
    import sys

    hide = [ROOT, Path(sys.base_prefix), Path("/usr/lib/python3"), Path("/usr/lib/python3.11"),
            Path("/usr/local/lib/python3.11")]
    mounts = " && ".join(f"mount -t tmpfs -o size=1m,ro tmpfs {p}" for p in hide if p.is_dir())
    exe = str(bundle_copy / "satchel")
    script = (f"{mounts} && if python3 -c pass 2>/dev/null; then echo 'Python still runs' >&2; exit 9; fi && "
              f'"{exe}" --self-test && printf "pw\\n" | "{exe}" init --iter-time 5 && '
              f'printf "pw\\n" | "{exe}" import "{bundle_copy}/_internal/starter" && '
              f'printf "pw\\n" | "{exe}" search passphrase --json && echo LIST && printf "pw\\n" | "{exe}" list --json')
    env = place.env(SATCHEL_HOME=str(place.root / "data" / "Satchel"), PATH="/usr/bin:/bin")
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                          capture_output=True, text=True, env=env, cwd=str(place.root / "cwd"), timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Self-test passed." in proc.stdout
    listed = json.loads(proc.stdout.split("\nLIST\n", 1)[1])
    assert {p["id"] for p in listed} >= {"org.satchel.starter.satchel-guide.en", "org.satchel.starter.satchel-guide.ar"}
    assert '"pack": "org.satchel.starter.' in proc.stdout  # the search found pages


def test_the_self_test_passes_and_leaves_nothing(bundle_dir: Path, place: Place) -> None:
    result = run([str(bundle_dir / "satchel"), "--self-test"], place.env(), place.root / "cwd")
    assert result.code == 0, result.out + result.err
    lines = result.out.strip().splitlines()
    steps = [line for line in lines if line.startswith("[")]
    assert [s.split("] ")[1].split(":")[0] for s in steps] == [
        "check the shipped files", "create a vault", "import the starter packs", "verify the starter packs",
        "search in English", "search in Arabic", "render a page offscreen", "wipe"]
    assert all(": ok" in s for s in steps)
    assert lines[-1] == "Self-test passed."
    assert result.err == ""
    assert place.files() == []  # the throw-away home was wiped and removed; nothing else written


def test_the_desktop_entry_and_window_say_nothing_about_the_content(bundle_dir: Path, place: Place,
                                                                    x_display: str) -> None:
    desktop = (bundle_dir / "satchel.desktop").read_text()
    entries = dict(line.split("=", 1) for line in desktop.splitlines() if "=" in line)
    assert entries["Name"] == "Satchel" and entries["Exec"] == "satchel" and entries["Icon"] == "satchel"
    assert not FORBIDDEN_WORDS.search(desktop)
    env = place.env(DISPLAY=x_display, SATCHEL_HOME=str(place.root / "data" / "Satchel"))
    proc = subprocess.Popen([str(bundle_dir / "satchel")], env=env, cwd=str(place.root / "cwd"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        window = None
        deadline = time.monotonic() + 60
        while window is None and time.monotonic() < deadline:
            tree = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True,
                                  env={"DISPLAY": x_display}).stdout
            m = re.search(r"^\s+(0x[0-9a-f]+) \"Satchel\": \(\"", tree, re.MULTILINE)  # the window with a class
            window = m.group(1) if m else None
            time.sleep(0.2)
        assert window is not None, "the window did not appear"
        props = subprocess.run(["xprop", "-id", window, "WM_CLASS", "WM_NAME", "_NET_WM_NAME"], capture_output=True,
                               text=True, env={"DISPLAY": x_display}).stdout
        assert 'WM_CLASS(STRING) = "satchel", "Satchel"' in props, props
        assert not FORBIDDEN_WORDS.search(props)
        comm = Path(f"/proc/{proc.pid}/comm").read_text().strip()
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        assert comm == "satchel"
        assert not FORBIDDEN_WORDS.search(comm + cmdline)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def x_display(tmp_path: Path) -> Iterator[str]:
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (build/sysdeps.sh test installs it)")
    import os

    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=30)
