"""The USB dialog, driven like a person would, against a real FAT32 stick (fusefat): a
stick mounted while the app runs is noticed and its packs imported; copying to a stick
and checking it; a pulled stick and Cancel end with one clear sentence."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "sync"))

from usb_support import FatStick, make_pack, mounted, need_tools, new_vault  # noqa: E402

from app.library import list_packs  # noqa: E402
from content_packs.importer import import_pack  # noqa: E402
from sync.usb_export import export_to_stick  # noqa: E402
from ui.qt import Qt  # noqa: E402
from ui.usb_dialog import UsbDialog, UsbWatcher  # noqa: E402

pytestmark = pytest.mark.fat32
MiB = 1024 * 1024


@pytest.fixture
def image(tmp_path: Path) -> Path:
    need_tools()
    img = tmp_path / "stick.img"
    subprocess.run(["truncate", "-s", "64M", str(img)], check=True)
    subprocess.run(["mkfs.vfat", "-F", "32", str(img)], check=True, capture_output=True)
    return img


@pytest.fixture
def stick(image: Path, tmp_path: Path) -> Iterator[FatStick]:
    s = FatStick(image, tmp_path / "KINGSTON")
    yield s
    s.unmount()
    assert not mounted(s.path)


@pytest.fixture
def vaults(tmp_path: Path, trainer: Any) -> Iterator[tuple[Any, Any]]:
    t = new_vault(tmp_path / "trainer-home", trainer)
    for pid, media in (("org.example.alpha", 2 * MiB), ("org.example.beta", 0)):
        import_pack(t, make_pack(tmp_path / "built", trainer, pid, media=media, title=f"Title {pid}"))
    learner = new_vault(tmp_path / "learner-home", trainer)
    yield t, learner
    t.close()
    learner.close()


def open_dialog(qtbot: Any, vault: Any) -> UsbDialog:
    dialog = UsbDialog(vault)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=10000)
    return dialog


def states(dialog: UsbDialog) -> list[str]:
    return [dialog.import_table.item(r, 1).text() for r in range(dialog.import_table.rowCount())]


def test_a_stick_mounted_while_the_app_runs_is_noticed_and_imported(qtbot, stick, vaults) -> None:
    trainer_vault, learner = vaults
    stick.mount()
    export_to_stick(trainer_vault, stick.path)
    stick.unmount()                                             # the stick is in the trainer's pocket

    dialog = open_dialog(qtbot, learner)
    watcher = UsbWatcher(interval=0.1)
    dialog.attach_watcher(watcher)
    watcher.start()
    try:
        with qtbot.waitSignal(watcher.stickInserted, timeout=10000,
                              check_params_cb=lambda p: p == str(stick.path)):
            stick.mount()                                       # handed over while Satchel runs
        qtbot.waitUntil(lambda: dialog.current_path() == stick.path, timeout=10000)
        qtbot.waitUntil(lambda: not dialog.busy() and dialog.import_table.rowCount() == 2, timeout=10000)
        assert states(dialog) == ["new", "new"]
        assert "2 new or updated pack(s)" in dialog.status.text()

        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.result is not None and not dialog.busy(), timeout=20000)
        assert "Imported 2 pack(s)." in dialog.status.text()
        assert dialog.progress.value() == dialog.progress.maximum()
        assert sorted(p.id for p in list_packs(learner)) == ["org.example.alpha", "org.example.beta"]
        qtbot.waitUntil(lambda: states(dialog) == ["already have", "already have"], timeout=10000)

        with qtbot.waitSignal(watcher.stickRemoved, timeout=10000):
            stick.unmount()
        qtbot.waitUntil(lambda: dialog.stick_box.findData(str(stick.path)) < 0, timeout=5000)
    finally:
        watcher.stop()


def test_copy_to_a_stick_and_check_it(qtbot, stick, vaults) -> None:
    trainer_vault, _ = vaults
    stick.mount()
    dialog = open_dialog(qtbot, trainer_vault)
    assert dialog.export_table.rowCount() == 2
    dialog.add_stick(str(stick.path))                           # what "Open folder…" does
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=10000)
    dialog.tabs.setCurrentIndex(1)
    dialog.set_export_checked(["org.example.beta"])
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result is not None and not dialog.busy(), timeout=20000)
    assert "Copied 1 pack(s)" in dialog.status.text()
    assert len(list((stick.path / "DATA").glob("*.bin"))) == 1
    qtbot.waitUntil(lambda: not dialog.busy() and dialog.import_table.rowCount() == 1, timeout=10000)

    dialog.result = None
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result is not None and not dialog.busy(), timeout=20000)
    assert dialog.status.text() == "Everything on the stick is intact (1 pack(s))."


class Gate:
    """A pack file that stops at `offset` until the test lets it go (or pulls the stick)."""

    def __init__(self, f: Any, offset: int, at_gate: Any) -> None:
        self._f, self._offset, self._at_gate = f, offset, at_gate

    def read(self, n: int = -1) -> bytes:
        if self._at_gate is not None and self._f.tell() + max(n, 0) >= self._offset:
            at_gate, self._at_gate = self._at_gate, None
            at_gate()
        return self._f.read(n)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)


class Wrapped:
    def __init__(self, inner: Any, name: str, offset: int, at_gate: Any) -> None:
        self.inner, self.name, self.offset, self.at_gate = inner, name, offset, at_gate

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)

    def open(self, name: str) -> Any:
        f = self.inner.open(name)
        return Gate(f, self.offset, self.at_gate) if name == self.name else f


def listed_dialog(qtbot: Any, stick: FatStick, vaults: Any) -> tuple[UsbDialog, Any]:
    trainer_vault, learner = vaults
    stick.mount()
    export_to_stick(trainer_vault, stick.path)
    dialog = open_dialog(qtbot, learner)
    dialog.add_stick(str(stick.path))
    qtbot.waitUntil(lambda: not dialog.busy() and dialog.import_table.rowCount() == 2, timeout=10000)
    return dialog, learner


def test_a_stick_pulled_during_an_import_ends_with_one_sentence(qtbot, stick, vaults) -> None:
    dialog, learner = listed_dialog(qtbot, stick, vaults)
    order = [dialog.import_table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(2)]
    in_flight = dialog.import_table.item(1, 2).text()
    dialog.source = Wrapped(dialog.source, order[1], 0, stick.pull)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy() and "removed" in dialog.status.text(), timeout=20000)
    assert dialog.status.text() == ("The stick was removed during the import: 1 pack(s) were imported, "
                                    "and the one in progress left no trace.")
    assert in_flight not in [p.id for p in list_packs(learner)] and len(list_packs(learner)) == 1


def test_cancel_during_an_import(qtbot, stick, vaults) -> None:
    dialog, learner = listed_dialog(qtbot, stick, vaults)
    files = [dialog.import_table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(2)]
    big = files[0] if dialog.import_table.item(0, 2).text() == "org.example.alpha" else files[1]
    reached, release = threading.Event(), threading.Event()

    def hold() -> None:
        reached.set()
        release.wait(10)

    dialog.source = Wrapped(dialog.source, big, MiB, hold)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(reached.is_set, timeout=10000)
    assert dialog.cancel_button.isEnabled()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    release.set()
    qtbot.waitUntil(lambda: not dialog.busy() and "cancelled" in dialog.status.text(), timeout=20000)
    assert "org.example.alpha" not in [p.id for p in list_packs(learner)]


def test_closing_the_dialog_mid_work_cancels_without_waiting(qtbot, stick, vaults) -> None:
    dialog, learner = listed_dialog(qtbot, stick, vaults)
    release = threading.Event()
    first = dialog.import_table.item(0, 0).data(Qt.ItemDataRole.UserRole)
    dialog.source = Wrapped(dialog.source, first, 0, lambda: release.wait(10))
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    job = dialog.job
    dialog.done(0)                                              # what a lock or a panic does
    assert dialog.job is None and job.cancel.is_set()
    release.set()
    qtbot.waitUntil(job.isFinished, timeout=20000)


def test_sealed_stick_through_the_dialog(qtbot, stick, vaults) -> None:
    trainer_vault, learner = vaults
    stick.mount()
    out = open_dialog(qtbot, trainer_vault)
    out.add_stick(str(stick.path))
    qtbot.waitUntil(lambda: not out.busy(), timeout=10000)
    out.set_export_checked(["org.example.alpha", "org.example.beta"])
    out.sealed_box.setChecked(True)
    out.export_passphrase.setText("heron at dawn")
    qtbot.mouseClick(out.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: out.result is not None and not out.busy(), timeout=20000)
    assert out.status.text().startswith("Copied 2 pack(s)") and out.export_passphrase.text() == ""
    (sealed,) = [p.name for p in stick.path.iterdir()]
    assert sealed.endswith(".dat")

    dialog = open_dialog(qtbot, learner)
    dialog.add_stick(str(stick.path))
    qtbot.waitUntil(lambda: not dialog.busy() and dialog.seal_widget.isVisibleTo(dialog), timeout=10000)
    dialog.passphrase.setText("wrong")
    qtbot.mouseClick(dialog.unseal_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy() and "passphrase" in dialog.status.text(), timeout=10000)
    assert dialog.import_table.rowCount() == 0
    dialog.passphrase.setText("heron at dawn")
    qtbot.mouseClick(dialog.unseal_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy() and dialog.import_table.rowCount() == 2, timeout=10000)
    assert dialog.passphrase.text() == ""
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result is not None and not dialog.busy(), timeout=20000)
    assert len(list_packs(learner)) == 2
    dialog.done(0)                                              # closes the sealed file
