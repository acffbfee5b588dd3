"""The sealed stick: one encrypted file that shows nothing readable and names nothing,
opened with a passphrase; damage, truncation and a pulled stick are all caught."""

from __future__ import annotations

import os
import re

import pytest
from usb_support import FatStick

from app.library import list_packs
from sync.errors import SealedError, StickRemoved, TooLargeForStick
from sync.sealed import CHUNK, SEALED_NAME_RE, TAG, SealedSource, sealed_candidates
from sync.sealed_export import export_sealed
from sync.usb_import import NEW, import_from_stick, list_stick

pytestmark = pytest.mark.fat32
MiB = 1024 * 1024
PASS = "blue heron at dawn"
MARKERS = [b"org.example", b"Title of", b"satchel", b"Satchel", b"SATCHEL", b"PK\x03\x04", b"PK\x05\x06",
           b"index", b"minisig", b"manifest", b"trusted comment", b"untrusted comment", b"pack-repository"]


def sealed_file(stick: FatStick):
    files = os.listdir(stick.path)
    assert len(files) == 1 and SEALED_NAME_RE.match(files[0]), files
    return stick.path / files[0]


def test_sealed_round_trip_shows_nothing_readable(stick, trainer, trainer_vault, learner_vault, packs_in) -> None:
    ids = packs_in(trainer_vault, ("org.example.a", 1, 2 * MiB), ("org.example.b", 1, 0))
    export_sealed(trainer_vault, stick.path, PASS, key=trainer.secret)
    path = sealed_file(stick)
    data = path.read_bytes()
    for marker in MARKERS:
        assert marker not in data and marker.lower() not in data.lower(), marker
    assert not re.search(rb"[ -~]{24,}", data)                  # no readable run of text at all

    source = SealedSource(path, PASS)
    listing = list_stick(learner_vault, source)
    assert listing.index.status == "trusted"
    assert sorted((p.pack_id, p.state) for p in listing.packs) == [(i, NEW) for i in sorted(ids)]
    assert len(import_from_stick(learner_vault, source).imported) == 2
    assert sorted(p.id for p in list_packs(learner_vault)) == sorted(ids)
    source.close()

    # A second sealed export with the same passphrase replaces the same file.
    export_sealed(trainer_vault, stick.path, PASS)
    assert sealed_file(stick) == path and sealed_candidates(stick.path) == [path]


def test_wrong_passphrase_is_one_sentence(stick, trainer_vault, packs_in) -> None:
    packs_in(trainer_vault, ("org.example.a", 1, 0))
    export_sealed(trainer_vault, stick.path, PASS)
    with pytest.raises(SealedError) as caught:
        SealedSource(sealed_file(stick), "wrong words")
    assert str(caught.value).count(".") == 1 and "passphrase" in str(caught.value)


def test_tampered_and_truncated_sealed_files_are_refused(stick, trainer_vault, learner_vault, packs_in) -> None:
    packs_in(trainer_vault, ("org.example.a", 1, 3 * MiB), ("org.example.b", 1, 0))
    export_sealed(trainer_vault, stick.path, PASS)
    path = sealed_file(stick)
    size = path.stat().st_size
    with open(path, "r+b") as f:                                # one bit inside the second chunk
        f.seek(32 + CHUNK + TAG + 1000)
        b = f.read(1)
        f.seek(32 + CHUNK + TAG + 1000)
        f.write(bytes([b[0] ^ 1]))
    source = SealedSource(path, PASS)
    listing = list_stick(learner_vault, source)
    report = import_from_stick(learner_vault, source, [p.file for p in listing.packs])
    damaged = {p.file for p in listing.packs if p.state == "damaged"} | {o.file for o in report.failed}
    assert len(damaged) == 1 and len(listing.packs) == 2
    assert all(o.error in ("The sealed file is damaged.", "The pack is damaged or truncated.")
               for o in report.failed)
    assert [p.id for p in list_packs(learner_vault)] == ["org.example.b"]

    # Cut at a chunk boundary: the chunk now last was not sealed as the last one.
    cut = 32 + 2 * (CHUNK + TAG)
    assert cut < size
    data = path.read_bytes()[:cut]
    path.unlink()
    path.write_bytes(data)
    with pytest.raises(SealedError):
        src = SealedSource(path, PASS)
        src.reader.read_at(src.reader.plain_size - 1, 1)


def test_pulled_mid_sealed_export_leaves_no_sealed_file(stick, trainer_vault, packs_in) -> None:
    packs_in(trainer_vault, ("org.example.a", 1, 4 * MiB))

    def progress(done: int, total: int) -> None:
        if done > 2 * MiB:
            stick.pull()

    with pytest.raises(StickRemoved):
        export_sealed(trainer_vault, stick.path, PASS, progress=progress)
    stick.remount()
    assert sealed_candidates(stick.path) == []
    export_sealed(trainer_vault, stick.path, PASS)
    sealed_file(stick)                                          # the leftover is gone, one sealed file


def test_sealed_file_over_the_fat32_limit_is_refused_first(stick, trainer_vault, packs_in, monkeypatch) -> None:
    packs_in(trainer_vault, ("org.example.a", 1, 0))
    monkeypatch.setattr("sync.sealed_export.sealed_size", lambda plain: 5 * 1024**3)
    with pytest.raises(TooLargeForStick):
        export_sealed(trainer_vault, stick.path, PASS)
    assert os.listdir(stick.path) == []
