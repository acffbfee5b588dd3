"""Fixtures for the USB tests: fresh FAT32 sticks per test from a per-session template
image, and two vaults (a trainer's and a learner's) that trust the same trainer key.
Every mount is unmounted in teardown, pulled or not; the session finaliser checks that no
mount made here survives the run."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from app.vault import Vault  # noqa: E402
from content_packs.importer import import_pack  # noqa: E402
from support import KeyPair  # noqa: E402
from usb_support import LIVE, FatStick, make_pack, mounted, need_tools, new_vault, populate_image  # noqa: E402


@pytest.fixture(scope="session")
def fat_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[int], Path]]:
    """Formatted FAT32 images, made once per size and copied for each test."""
    need_tools()
    base = tmp_path_factory.mktemp("fat-templates")
    made: dict[int, Path] = {}

    def template(size_mb: int) -> Path:
        if size_mb not in made:
            img = base / f"{size_mb}.img"
            subprocess.run(["truncate", "-s", f"{size_mb}M", str(img)], check=True)
            subprocess.run(["mkfs.vfat", "-F", "32", str(img)], check=True, capture_output=True)
            made[size_mb] = img
        return made[size_mb]

    yield template
    for stick in list(LIVE):
        stick.unmount()
    assert not LIVE


@pytest.fixture
def fat_stick(fat_template: Callable[[int], Path], tmp_path: Path) -> Iterator[Callable[..., FatStick]]:
    """`fat_stick(size_mb=64, read_only=False, files=[...], folders={...})`: a fresh FAT32
    stick, mounted; `files` and `folders` are empty files with 8.3 names written beforehand."""
    sticks: list[FatStick] = []

    def make(size_mb: int = 64, read_only: bool = False, name: str = "stick",
             files: list[str] | None = None, folders: dict[str, list[str]] | None = None) -> FatStick:
        image = tmp_path / f"{name}.img"
        subprocess.run(["cp", "--sparse=always", str(fat_template(size_mb)), str(image)], check=True)
        if files or folders:
            populate_image(image, files or [], folders or {})
        stick = FatStick(image, tmp_path / name)
        sticks.append(stick)
        return stick.mount(read_only)

    yield make
    for stick in sticks:
        stick.unmount()
        assert not mounted(stick.path), "a test left a FAT32 mount behind"


@pytest.fixture
def stick(fat_stick: Callable[..., FatStick]) -> FatStick:
    return fat_stick()


@pytest.fixture
def trainer_vault(tmp_path: Path, trainer: KeyPair) -> Iterator[Vault]:
    v = new_vault(tmp_path / "trainer-home", trainer)
    yield v
    v.close()


@pytest.fixture
def learner_vault(tmp_path: Path, trainer: KeyPair) -> Iterator[Vault]:
    v = new_vault(tmp_path / "learner-home", trainer)
    yield v
    v.close()


@pytest.fixture
def packs_in(tmp_path: Path, trainer: KeyPair) -> Callable[..., list[str]]:
    """`packs_in(vault, ("org.x.a", 1, media_bytes), ...)`: build, sign and import packs."""

    def add(vault: Vault, *specs: tuple[str, int, int]) -> list[str]:
        ids = []
        for pack_id, version, media in specs:
            path = make_pack(tmp_path / "built", trainer, pack_id, version, media=media,
                             title=f"Title of {pack_id}")
            import_pack(vault, path)
            ids.append(pack_id)
        return ids

    return add

