"""A folder of `.satchel` files copied by hand onto a real FAT32 stick (no index, not
written by `usb export`) is a source for `satchel usb list/import/check` like any
repository: every file goes through the one verifier; a file that is not a pack (a
folder named like one, an empty file, a text file, a ZIP with a huge directory, a link)
is listed with one sentence and the others import."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from support import KeyPair, tree_bytes, vault_snapshot
from usb_support import make_pack, new_vault

from app.library import list_packs
from app.trust import TrustStore
from content_packs.limits import DEFAULT_LIMITS
from sync.loose import LooseSource, find_loose
from sync.repository import LOOSE
from sync.source import find_repository
from sync.usb_check import check_stick
from sync.usb_import import DAMAGED, NEW, UNTRUSTED, NoFloors, import_from_stick, list_stick

MiB = 1024 * 1024
PW = "pw\n"
BAD = {
    "x.satchel": "That is a folder, not a pack file.",
    "empty.satchel": "The pack file is empty.",
    "notes.satchel": "This file is not a Satchel pack (it is not a ZIP archive, or it is truncated).",
    "huge.satchel": "The pack holds more files than Satchel accepts.",
}


def huge_directory_zip(path: Path) -> Path:
    """A small file whose ZIP directory lists more entries than any pack may hold."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for i in range(DEFAULT_LIMITS.files + 3):
            z.writestr(zipfile.ZipInfo(f"m/{i}", date_time=(1980, 1, 1, 0, 0, 0)), b"")
    return path


def fill_folder(folder: Path, packs: list[Path], tmp_path: Path) -> None:
    """What a trainer does with a file manager: copy packs, plus what else is around."""
    folder.mkdir(parents=True, exist_ok=True)
    for p in packs:
        shutil.copyfile(p, folder / p.name)
    (folder / "x.satchel").mkdir()
    (folder / "empty.satchel").write_bytes(b"")
    (folder / "notes.satchel").write_text("not a pack, just notes\n")
    shutil.copyfile(huge_directory_zip(tmp_path / "huge.zip"), folder / "huge.satchel")
    (folder / "README.txt").write_text("Import the packs with Satchel.\n")


@pytest.fixture
def built(tmp_path: Path, trainer: KeyPair) -> list[Path]:
    return [make_pack(tmp_path / "built", trainer, "org.example.alpha", 1, title="Alpha", media=MiB),
            make_pack(tmp_path / "built", trainer, "org.example.beta", 3, title="Beta", language="ar")]


def test_a_hand_copied_folder_on_a_fat32_stick_lists_and_imports(stick, tmp_path, trainer, built) -> None:
    fill_folder(stick.path / "Workshop packs", built, tmp_path)
    gamma = make_pack(tmp_path / "built", trainer, "org.example.gamma", 2, title="Gamma")
    shutil.copyfile(gamma, stick.path / "GAMMA.SATCHEL")            # names written on Windows shout
    assert find_repository(stick.path) is None                     # not the repository format
    source = find_loose(stick.path)
    assert source is not None
    names = source.names()
    assert "GAMMA.SATCHEL" in names and "Workshop packs/x.satchel" in names
    assert not any(n.endswith("README.txt") for n in names)

    learner = new_vault(tmp_path / "learner-home", trainer)
    try:
        listing = list_stick(learner, source)
        assert listing.index.status == LOOSE
        by_name = {p.file: p for p in listing.packs}
        for bad, sentence in BAD.items():
            p = by_name[f"Workshop packs/{bad}"]
            assert (p.state, p.reason) == (DAMAGED, sentence)
        assert sorted((p.pack_id, p.state) for p in listing.packs if p.importable) == [
            ("org.example.alpha", NEW), ("org.example.beta", NEW), ("org.example.gamma", NEW)]
        report = import_from_stick(learner, source, [p.file for p in listing.packs])
        assert sorted(r.pack_id for r in report.imported) == [
            "org.example.alpha", "org.example.beta", "org.example.gamma"]
        failed = {o.file: o.error for o in report.failed}
        for bad, sentence in BAD.items():
            assert failed[f"Workshop packs/{bad}"] == sentence
        assert sorted(p.id for p in list_packs(learner)) == [
            "org.example.alpha", "org.example.beta", "org.example.gamma"]
        check = check_stick(source, NoFloors(TrustStore(learner)))
        assert not check.index.failed
        assert sorted(i.file for i in check.problems) == sorted(f"Workshop packs/{b}" for b in BAD)
    finally:
        learner.close()


def test_usb_list_and_import_on_the_command_line(cli, stick, tmp_path, trainer, built) -> None:
    fill_folder(stick.path / "packs", built, tmp_path)
    home = tmp_path / "learner"
    assert cli("init", "--iter-time", "5", stdin=PW, home_dir=home).code == 0
    assert cli("trust", "add", str(trainer.pub_path), "--yes", stdin=PW, home_dir=home).code == 0

    r = cli("usb", "list", home_dir=home)                       # finding sticks needs no passphrase
    assert r.code == 0 and f"pack files in {stick.path}" in r.out, r.out
    r = cli("usb", "list", str(stick.path), "--json", stdin=PW, home_dir=home)
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["index"]["status"] == "loose"
    states = {p["file"]: (p["state"], p["id"], p["reason"]) for p in doc["packs"]}
    assert states["packs/org.example.alpha-1.satchel"][:2] == ("new", "org.example.alpha")
    assert states["packs/org.example.beta-3.satchel"][:2] == ("new", "org.example.beta")
    for bad, sentence in BAD.items():
        assert states[f"packs/{bad}"] == ("damaged", None, sentence)

    r = cli("usb", "import", str(stick.path), stdin=PW, home_dir=home)
    assert r.code == 1                                          # something on the stick was not a pack
    assert "Imported org.example.alpha version 1." in r.out and "Imported org.example.beta version 3." in r.out
    lines = [ln for ln in r.err.splitlines() if ln.strip() and "%" not in ln]
    assert sorted(lines) == sorted(f"packs/{b}: {s}" for b, s in BAD.items()), r.err
    assert "Traceback" not in r.err
    r = cli("list", "--json", stdin=PW, home_dir=home)
    assert sorted(p["id"] for p in json.loads(r.out)) == ["org.example.alpha", "org.example.beta"]
    # A stick with only good pack files checks intact.
    for bad in BAD:
        target = stick.path / "packs" / bad
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    r = cli("usb", "check", str(stick.path), stdin=PW, home_dir=home)
    assert r.code == 0 and "Everything on the stick is intact (2 pack(s))." in r.out, r.out + r.err


def test_links_are_listed_never_followed(tmp_path, trainer, built) -> None:
    """An ext4 stick can hold a link named like a pack pointing anywhere on this computer."""
    folder = tmp_path / "stick"
    folder.mkdir()
    secret = tmp_path / "elsewhere" / "private.satchel"
    secret.parent.mkdir()
    shutil.copyfile(built[0], secret)
    os.symlink(secret, folder / "evil.satchel")
    os.symlink(tmp_path / "elsewhere", folder / "linked-folder")   # not entered either
    shutil.copyfile(built[1], folder / "beta.satchel")
    os.mkfifo(folder / "pipe.satchel")                              # would block a reader forever
    learner = new_vault(tmp_path / "learner-home", trainer)
    try:
        before = vault_snapshot(learner)
        source = find_loose(folder)
        assert source is not None and source.names() == ["beta.satchel", "evil.satchel", "pipe.satchel"]
        listing = list_stick(learner, source)
        by_name = {p.file: p for p in listing.packs}
        assert by_name["evil.satchel"].reason == "This is a link, not a pack file; Satchel does not follow links."
        assert by_name["pipe.satchel"].reason == "This is not a regular file, so it cannot be a pack."
        assert vault_snapshot(learner) == before                    # listing writes nothing
        report = import_from_stick(learner, source, ["evil.satchel", "pipe.satchel"])
        assert report.imported == [] and len(report.failed) == 2
        assert vault_snapshot(learner) == before
    finally:
        learner.close()


def test_chosen_files_and_an_unknown_signer(tmp_path, trainer, built) -> None:
    """Files picked in the app are a source too; a pack from a key the vault does not know
    says which key, so the app can offer to trust it."""
    from support import make_keypair

    stranger = make_keypair(tmp_path / "keys", "stranger")
    other = make_pack(tmp_path / "other", stranger, "org.other.guide", 1)
    learner = new_vault(tmp_path / "learner-home", trainer)
    try:
        source = LooseSource.from_files([built[0], other, built[0]])
        assert source.names() == [built[0].name, f"{built[0].name} (2)", other.name]
        by_name = {p.file: p for p in list_stick(learner, source).packs}
        assert by_name[other.name].state == UNTRUSTED
        assert by_name[other.name].unknown_signer == stranger.public.key_id_hex
        assert by_name[built[0].name].unknown_signer is None
    finally:
        learner.close()


def test_nothing_is_written_to_the_stick(stick, tmp_path, trainer, built) -> None:
    fill_folder(stick.path / "packs", built, tmp_path)
    before = tree_bytes(stick.path)
    learner = new_vault(tmp_path / "learner-home", trainer)
    try:
        source = find_loose(stick.path)
        assert source is not None
        import_from_stick(learner, source)
    finally:
        learner.close()
    assert tree_bytes(stick.path) == before
