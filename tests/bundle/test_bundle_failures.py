"""The bundle when things are wrong (issue 9, bad input and failure): a damaged bundle
file, fonts missing from the bundle, a bundle started from a read-only folder, a home
that cannot be written, no display, a missing system library. Each gives one sentence
and a non-zero exit, or works as it should; none aborts or prints a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bundlehelp import Place, run
from support import assert_one_sentence, is_root, without_libraries

EMPTY_FONTCONFIG = ('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
                    "<fontconfig></fontconfig>\n")


def self_test(exe: Path, place: Place, **env: str) -> tuple[int, list[str], str]:
    result = run([str(exe), "--self-test"], place.env(**env), place.root / "cwd")
    return result.code, result.out.strip().splitlines(), result.err


def assert_failed_at(lines: list[str], step: str, words: str) -> None:
    """One line per step, the failing one holding one sentence, the last naming the step."""
    assert lines[-1] == f"Self-test failed at: {step}."
    failing = [line for line in lines if ": FAILED: " in line]
    assert len(failing) == 1 and f"] {step}: FAILED: " in failing[0], lines
    assert words in failing[0], failing[0]
    assert lines[-2].endswith("wipe: ok") or lines[-2].endswith("wipe: ok (nothing to wipe)"), lines
    assert not any("Traceback" in line for line in lines)


def test_a_damaged_starter_pack_fails_the_self_test_at_its_step(bundle_copy: Path, place: Place) -> None:
    pack = sorted((bundle_copy / "_internal" / "starter").glob("*.satchel"))[0]
    data = bytearray(pack.read_bytes())
    middle = len(data) // 2
    data[middle: middle + 64] = bytes(b ^ 0xFF for b in data[middle: middle + 64])
    pack.write_bytes(bytes(data))
    code, lines, err = self_test(bundle_copy / "satchel", place)
    assert code == 1 and err == ""
    assert_failed_at(lines, "import the starter packs", pack.name)
    assert place.files() == []  # the wipe ran anyway


def test_a_missing_trust_list_fails_the_first_step(bundle_copy: Path, place: Place) -> None:
    (bundle_copy / "_internal" / "app" / "roots" / "trust.json").unlink()
    code, lines, _err = self_test(bundle_copy / "satchel", place)
    assert code == 1
    assert_failed_at(lines, "check the shipped files", "The bundled trust list is missing.")


@pytest.fixture
def fonts_damaged(bundle_copy: Path) -> Path:
    fonts = bundle_copy / "_internal" / "fonts"
    for name in ("NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf", "NotoSansEthiopic-Regular.ttf",
                 "NotoSansEthiopic-Bold.ttf"):
        (fonts / name).unlink()
    return bundle_copy


def test_with_fonts_missing_the_app_still_starts_and_names_the_scripts(fonts_damaged: Path, place: Place) -> None:
    conf = place.root / "fonts.conf"
    conf.write_text(EMPTY_FONTCONFIG)  # no system font stands in: the shipped ones are all there is
    env = place.env(QT_QPA_PLATFORM="offscreen", SATCHEL_REPORT_FIRST_PAINT="1", FONTCONFIG_FILE=str(conf),
                    SATCHEL_HOME=str(place.root / "data" / "Satchel"))
    result = run([str(fonts_damaged / "satchel")], env, place.root / "cwd", timeout=120)
    assert result.code == 0, result.err
    lines = result.err.strip().splitlines()
    assert any(line.startswith("Satchel: first paint at ") for line in lines), lines  # the window was drawn
    assert ("Satchel: 4 of its font files are missing or damaged; scripts without a font: Arabic, Ethiopic."
            in lines), lines
    code, out, _err = self_test(fonts_damaged / "satchel", place)
    assert code == 1
    assert_failed_at(out, "check the shipped files", "4 font files are missing: NotoNaskhArabic-Regular.ttf")


@pytest.fixture
def readonly_bundle(bundle_dir: Path, tmp_path: Path) -> Iterator[Path]:
    """The bundle on a file system mounted read-only (as from a write-protected stick)."""
    if not is_root():
        pytest.skip("a read-only mount needs root (CI runs as root)")
    mnt = tmp_path / "ro"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400m", "tmpfs", str(mnt)], check=True)
    try:
        shutil.copytree(bundle_dir, mnt / "satchel", symlinks=True)
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        yield mnt / "satchel"
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_bundle_on_a_read_only_folder_runs(readonly_bundle: Path, place: Place) -> None:
    exe = readonly_bundle / "satchel"
    with pytest.raises(OSError):
        (readonly_bundle / "probe").write_text("x")  # really read-only
    code, lines, err = self_test(exe, place)
    assert code == 0, "\n".join(lines) + err
    env = place.env(SATCHEL_HOME=str(place.root / "data" / "Satchel"))
    cwd = place.root / "cwd"
    assert run([str(exe), "init", "--iter-time", "5"], env, cwd, stdin="pw\n").code == 0
    imported = run([str(exe), "import", str(readonly_bundle / "_internal" / "starter")], env, cwd, stdin="pw\n")
    assert imported.code == 0, imported.err
    found = run([str(exe), "search", "passphrase"], env, cwd, stdin="pw\n")
    assert found.code == 0 and "org.satchel.starter." in found.out


def test_a_home_that_cannot_be_written_is_one_sentence(bundle_dir: Path, place: Place, readonly_dir: Path) -> None:
    exe = str(bundle_dir / "satchel")
    result = run([exe, "--home", str(readonly_dir / "vault"), "init", "--iter-time", "5"], place.env(),
                 place.root / "cwd", stdin="pw\n")
    assert result.code == 1
    assert_one_sentence(result.err)
    assert "cannot write to the folder" in result.err
    # the self-test's throw-away home goes in the temporary folder: one that cannot be written
    code, lines, err = self_test(bundle_dir / "satchel", place, TMPDIR=str(readonly_dir))
    assert code == 1 and err == ""
    assert_failed_at(lines, "create a vault", "cannot write to the temporary folder")


def test_no_display_is_one_sentence(bundle_dir: Path, place: Place) -> None:
    env = place.env(SATCHEL_HOME=str(place.root / "data" / "Satchel"))
    result = run([str(bundle_dir / "satchel")], env, place.root / "cwd")
    assert result.code == 1
    assert result.err.strip() == ("Satchel cannot open its window: there is no display (DISPLAY is not set); start "
                                  "it from a desktop session, or use its command line (satchel --help).")


def test_a_missing_system_library_is_named(bundle_dir: Path, place: Place, tmp_path: Path) -> None:
    """libxcb.so.1 is the system's (the bundle carries the xcb helpers, not libxcb itself)."""
    if not is_root():
        pytest.skip("hiding a system library needs a private mount namespace (root; CI runs as root)")
    command = without_libraries([str(bundle_dir / "satchel")], ["libxcb.so.1"], tmp_path / "ns")
    result = run(command, place.env(DISPLAY=":0", SATCHEL_HOME=str(place.root / "data" / "Satchel")),
                 place.root / "cwd")
    assert result.code == 1, result.err
    assert_one_sentence(result.err)
    assert result.err.strip() == ("Satchel cannot open its window: Qt's xcb platform plugin needs libraries that are "
                                  "missing or damaged: libxcb.so.1 (install them with: sudo apt-get install libxcb1).")


def test_the_bundle_does_not_need_the_xcb_helpers_a_fresh_system_lacks(bundle_dir: Path, place: Place,
                                                                      tmp_path: Path) -> None:
    """The libraries whose absence made `make run` abort are inside the bundle."""
    if not is_root() or shutil.which("Xvfb") is None:
        pytest.skip("needs root (a private mount namespace) and Xvfb")
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        display = ":" + f.readline().strip()
    try:
        hidden = ["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-cursor.so.0", "libxkbcommon-x11.so.0"]
        command = without_libraries([str(bundle_dir / "satchel")], hidden, tmp_path / "ns")
        env = place.env(DISPLAY=display, SATCHEL_REPORT_FIRST_PAINT="1",
                        SATCHEL_HOME=str(place.root / "data" / "Satchel"))
        result = run(command, env, place.root / "cwd", timeout=120)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert result.code == 0, result.err
    assert "Satchel: first paint at " in result.err
