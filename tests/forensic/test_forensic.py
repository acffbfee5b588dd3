"""What an examiner finds on the raw disk after Satchel's own commands ran on it.

Real file systems (ext4 and btrfs, formatted on a file and mounted by the kernel), the
real `satchel` command, and a search of the whole raw image afterwards:
- after a life of the vault (duress passphrase, passphrase change, a starter pack,
  failed unlocks counted and reset, a wipe; then a duress unlock and a wipe by the
  failed-unlock limit), no 32-byte piece of any key-file version seen on the way is
  left anywhere on the disk, and no key record of any kind can be carved from it;
- after a passphrase change without any wipe, the old passphrase opens nothing that can
  be carved from the disk (while the new one does open the live key file: the carving
  is not blind).
On btrfs Satchel marks its home no-copy-on-write, which is what makes the same promise
hold there; where that cannot be honoured (an overlay over btrfs, as in containers)
`satchel init` says so in one sentence.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from disk_image import carve_records, find_pieces, loop_fs, missing_tools, opens_with, unmount
from support import ROOT, is_root

from crypto import disk

STARTER = ROOT / "dist" / "starter" / "laptop-security-en.satchel"


def need(kind: str) -> None:
    if not is_root():
        pytest.fail("the forensic tests mount file systems and must run as root (CI does)")
    missing = missing_tools(kind)
    if missing:
        pytest.fail(f"the forensic test on {kind} needs {', '.join(missing)} (build/system-packages)")
    if not STARTER.exists():
        pytest.fail("the starter packs are not built (make starter)")


class Life:
    """The real `satchel` command on a home inside the mounted file system, reading the
    key file after every step."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.versions: list[bytes] = []

    def run(self, *args: str, stdin: str = "", ok: bool = True) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, SATCHEL_HOME=str(self.home))
        proc = subprocess.run([sys.executable, "-m", "app.cli", *args], input=stdin, capture_output=True,
                              text=True, env=env, cwd=str(ROOT), timeout=120)
        if ok:
            assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        self.seen()
        return proc

    def seen(self) -> None:
        try:
            data = (self.home / "key").read_bytes()
        except FileNotFoundError:
            return
        if data not in self.versions:
            self.versions.append(data)


def live_a_life(home: Path) -> Life:
    life = Life(home)
    init = life.run("init", "--iter-time", "5", stdin="first pass\n")
    assert "Warning" not in init.stderr, init.stderr
    life.run("duress", "set", stdin="first pass\nthey came\n")
    life.run("passwd", stdin="first pass\nsecond pass\n")
    life.run("import", str(STARTER), stdin="second pass\n")
    life.run("wipe-after", "3", stdin="second pass\n")
    for _ in range(2):
        life.run("list", stdin="a guess\n", ok=False)
    life.run("list", stdin="second pass\n")  # the counter goes back to zero
    life.run("wipe", "--yes")
    assert not home.exists()
    # A second vault: the duress passphrase replaces it, then wrong guesses wipe it.
    life.run("init", "--iter-time", "5", stdin="third pass\n")
    life.run("duress", "set", stdin="third pass\nthey came again\n")
    life.run("import", str(STARTER), stdin="third pass\n")
    life.run("list", stdin="they came again\n")  # the duress unlock: a fresh, empty vault
    life.run("wipe-after", "2", stdin="they came again\n")
    life.run("list", stdin="a guess\n", ok=False)
    life.run("list", stdin="another guess\n", ok=False)  # the limit: wiped
    assert not (home / "key").exists()
    assert len(life.versions) >= 12
    return life


@pytest.mark.parametrize("kind", ["ext4", "btrfs"])
def test_nothing_of_any_key_file_version_survives_a_wipe(tmp_path: Path, kind: str) -> None:
    need(kind)
    with loop_fs(tmp_path, kind) as (image, mnt):
        home = mnt / "Satchel"
        life = live_a_life(home)
        unmount(mnt)
        raw = image.read_bytes()
    pieces = find_pieces(raw, life.versions)
    assert pieces == [], f"{len(pieces)} piece(s) of key-file versions left on {kind}, first at {pieces[0]}"
    carved = carve_records(raw)
    assert carved == [], f"{len(carved)} key record(s) can be carved from the {kind} image"


@pytest.mark.parametrize("kind", ["ext4", "btrfs"])
def test_the_old_passphrase_opens_nothing_on_the_disk_after_a_change(tmp_path: Path, kind: str) -> None:
    need(kind)
    with loop_fs(tmp_path, kind) as (image, mnt):
        life = Life(mnt / "Satchel")
        life.run("init", "--iter-time", "5", stdin="old pass\n")
        life.run("import", str(STARTER), stdin="old pass\n")
        life.run("duress", "set", stdin="old pass\nthey came\n")
        life.run("passwd", stdin="old pass\nnew pass\n")
        unmount(mnt)
        raw = image.read_bytes()
    carved = carve_records(raw)
    new_cache: dict = {}
    assert any(opens_with(c, "new pass", new_cache) for c in carved), "the carving must find the live key file"
    old_cache: dict = {}
    opened = [c.offset for c in carved if opens_with(c, "old pass", old_cache)]
    assert opened == [], f"the old passphrase opens key records carved at {opened} on {kind}"


def test_home_on_btrfs_is_no_copy_on_write(tmp_path: Path) -> None:
    need("btrfs")
    with loop_fs(tmp_path, "btrfs") as (_image, mnt):
        life = Life(mnt / "Satchel")
        init = life.run("init", "--iter-time", "5", stdin="pass\n")
        assert "Warning" not in init.stderr
        assert disk.filesystem(mnt) == "btrfs"
        for name in ("Satchel", "Satchel/key", "Satchel/data"):
            assert disk.has_nocow(mnt / name), name
        from app.home import Home

        assert Home(mnt / "Satchel").overwrite_in_place() == disk.InPlace(True, "btrfs")
        # A home restored from a backup: its files were not created under the mark.
        restored = mnt / "restored"
        restored.mkdir()
        for p in (mnt / "Satchel").iterdir():
            (restored / p.name).write_bytes(p.read_bytes())
        assert Home(restored).overwrite_in_place() == disk.InPlace(False, "btrfs")


@contextlib.contextmanager
def overlay_on_btrfs(tmp_path: Path) -> Iterator[Path]:
    """An overlay over btrfs (a container's file system): copy-on-write underneath, and
    no way to switch it off through the overlay."""
    with loop_fs(tmp_path, "btrfs") as (_image, mnt):
        for d in ("lower", "upper", "work", "merged"):
            (mnt / d).mkdir()
        merged = mnt / "merged"
        done = subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                               f"lowerdir={mnt / 'lower'},upperdir={mnt / 'upper'},workdir={mnt / 'work'}",
                               str(merged)], capture_output=True)
        assert done.returncode == 0, done.stderr
        try:
            yield merged
        finally:
            unmount(merged)


def test_init_warns_where_overwriting_in_place_cannot_be_honoured(tmp_path: Path) -> None:
    need("btrfs")
    with overlay_on_btrfs(tmp_path) as merged:
        life = Life(merged / "Satchel")
        init = life.run("init", "--iter-time", "5", stdin="pass\n")
        lines = [line for line in init.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("Warning: this file system (overlay on btrfs)"), lines
        assert "Created an empty vault" in init.stdout
        life.run("list", stdin="pass\n")  # warned, not refused


def test_the_app_says_so_in_its_settings(tmp_path: Path, qtbot: Any) -> None:
    need("btrfs")
    from app.home import Home
    from ui import i18n
    from ui.flows import disk_warning
    from ui.window import MainWindow

    with overlay_on_btrfs(tmp_path) as merged:
        Life(merged / "Satchel").run("init", "--iter-time", "5", stdin="correct horse battery staple\n")
        found = Home(merged / "Satchel").overwrite_in_place()
        assert found.honoured is False
        i18n.set_language("ar")
        try:
            arabic = disk_warning(found)
        finally:
            i18n.set_language("en")
        assert "overlay on btrfs" in arabic and "expert" not in arabic  # translated, the name kept
        w = MainWindow(Home(merged / "Satchel"), iter_time_ms=5)
        qtbot.addWidget(w)
        w.show()
        try:
            w.screen.field.setText("correct horse battery staple")
            w.screen.button.click()
            qtbot.waitUntil(lambda: w.session is not None and w.session.prefs.disk is not None, timeout=20000)
            qtbot.waitUntil(lambda: not w.runner.worker.busy(), timeout=20000)
            d = w.open_settings()
            assert not d.disk_warning.isHidden()
            assert d.disk_warning.text().startswith("This disk (overlay on btrfs) keeps old copies")
        finally:
            w.close()
            w.shutdown()


def test_the_app_says_so_on_its_first_run(tmp_path: Path, qtbot: Any) -> None:
    need("btrfs")
    from app.home import Home
    from ui.qt import QApplication, QMessageBox
    from ui.window import MainWindow

    with overlay_on_btrfs(tmp_path) as merged:
        w = MainWindow(Home(merged / "Satchel"), iter_time_ms=5)
        qtbot.addWidget(w)
        w.show()
        try:
            screen = w.screen
            screen.go(1)
            screen.pass1.setText("correct horse battery staple")
            screen.pass2.setText("correct horse battery staple")
            screen.pass_next.click()
            screen.duress_skip.click()

            def warned() -> list[str]:
                return [b.text() for b in QApplication.topLevelWidgets()
                        if isinstance(b, QMessageBox) and b.isVisible()]

            qtbot.waitUntil(lambda: bool(warned()), timeout=20000)
            assert warned()[0].startswith("This disk (overlay on btrfs) keeps old copies")
            assert (merged / "Satchel" / "key").exists()  # warned, not refused
        finally:
            w.close()
            w.shutdown()
