"""Finding sticks: Linux mounts (a real fusefat mount included), Windows drive letters,
macOS /Volumes, and the polling watcher noticing a stick come and go."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from sync import usb
from sync.usb import Stick, StickWatcher, linux_sticks, mac_sticks, windows_sticks
from sync.usb_export import export_to_stick

MOUNTS = """\
/dev/nvme0n1p2 / ext4 rw,relatime 0 0
/dev/nvme0n1p1 /boot/efi vfat rw,fmask=0077 0 0
proc /proc proc rw 0 0
tmpfs /run/user/1000 tmpfs rw 0 0
/dev/sdb1 /media/amal/KINGSTON vfat rw,nosuid,nodev 0 0
/dev/sdc1 /run/media/amal/My\\040Stick exfat rw 0 0
/dev/sdd1 /run/media/amal/EXT ext4 rw 0 0
/dev/sde1 /mnt/usb fuseblk rw 0 0
fusefat /tmp/t/stick fuse.fusefat rw,nosuid,nodev 0 0
gvfsd-fuse /run/user/1000/gvfs fuse.gvfsd-fuse rw 0 0
/dev/loop3 /snap/core/1 squashfs ro 0 0
overlay /var/lib/docker/overlay2/x/merged overlay rw 0 0
"""


def test_linux_mounts() -> None:
    found = {str(s.path): s.fstype for s in linux_sticks(MOUNTS)}
    assert found == {
        "/media/amal/KINGSTON": "vfat",
        "/run/media/amal/My Stick": "exfat",
        "/run/media/amal/EXT": "ext4",
        "/mnt/usb": "fuseblk",
        "/tmp/t/stick": "fuse.fusefat",
    }


def test_windows_drive_letters() -> None:
    types = {"A:\\": 2, "C:\\": 3, "D:\\": 5, "E:\\": 2, "F:\\": 2}

    def drive_type(d: str) -> int:
        if d == "F:\\":
            raise OSError("not ready")
        return types[d]

    found = windows_sticks(list(types), drive_type)
    assert [str(s.path) for s in found] == ["E:\\"] and found[0].fstype == "windows"


def test_macos_volumes(tmp_path: Path) -> None:
    (tmp_path / "Macintosh HD").symlink_to("/")
    (tmp_path / "KINGSTON").mkdir()
    (tmp_path / "UNTITLED").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "file.txt").write_text("x")
    assert [s.path.name for s in mac_sticks(tmp_path)] == ["KINGSTON", "UNTITLED"]
    assert mac_sticks(tmp_path / "missing") == []


def test_watcher_reports_insertions_and_removals() -> None:
    now: list[Stick] = [Stick(Path("/media/a"), "vfat")]
    seen: list[tuple[list[str], list[str]]] = []
    w = StickWatcher(lambda ins, rem: seen.append(([str(s.path) for s in ins], [str(s.path) for s in rem])),
                     lister=lambda: list(now))
    w.poll()
    now.append(Stick(Path("/media/b"), "vfat"))
    w.poll()
    w.poll()                                                   # nothing changed: no call
    now.pop(0)
    w.poll()
    assert seen == [(["/media/a"], []), (["/media/b"], []), ([], ["/media/a"])]


def test_watcher_survives_a_failing_probe_and_callback() -> None:
    calls = []

    def lister() -> list[Stick]:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("gone")
        return [Stick(Path("/media/x"), "vfat")]

    def callback(ins, rem) -> None:
        raise RuntimeError("bug in the window")

    w = StickWatcher(callback, lister=lister)
    assert w.poll() == ([], [])
    inserted, _ = w.poll()
    assert [s.path for s in inserted] == [Path("/media/x")]


@pytest.mark.fat32
def test_a_real_fat32_mount_is_noticed_while_running(fat_stick, trainer_vault, packs_in) -> None:
    # The watcher may report the stick before fat_stick() returns its path: keep every
    # report, then look for the path in them.
    inserted: list[Path] = []
    removed: list[Path] = []
    changed = threading.Condition()

    def on_change(ins: list[Stick], rem: list[Stick]) -> None:
        with changed:
            inserted.extend(s.path for s in ins)
            removed.extend(s.path for s in rem)
            changed.notify_all()

    def reported(paths: list[Path], path: Path) -> bool:
        with changed:
            return changed.wait_for(lambda: path in paths, timeout=10)

    watcher = StickWatcher(on_change, interval=0.05)
    watcher.start()
    try:
        stick = fat_stick()
        assert reported(inserted, stick.path)
        assert any(s.path == stick.path and s.fstype == "fuse.fusefat" for s in usb.list_sticks())
        assert usb.probe(stick.path).empty
        packs_in(trainer_vault, ("org.example.a", 1, 0))
        export_to_stick(trainer_vault, stick.path)
        assert usb.probe(stick.path).folder == stick.path / "DATA"
        stick.unmount()
        assert reported(removed, stick.path)
    finally:
        watcher.stop()
    assert not any(s.path == stick.path for s in usb.list_sticks())


@pytest.mark.fat32
def test_a_pulled_stick_disappears_from_the_list(fat_stick) -> None:
    stick = fat_stick()
    assert any(s.path == stick.path for s in usb.list_sticks())
    stick.pull()                                            # the dead mount lingers until unmounted
    assert not any(s.path == stick.path for s in usb.list_sticks())
    assert usb.probe(stick.path).empty
