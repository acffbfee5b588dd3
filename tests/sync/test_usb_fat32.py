"""Export, import, top-up and check on a real FAT32 filesystem (mkfs.vfat + fusefat),
including every failure the USB issue names: pulled sticks, tampered packs, forged and
missing indexes, a full stick, a read-only stick, thousands of unrelated files and names
that differ only in case."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from pathlib import Path

import pytest
from usb_support import FatStick, make_pack, new_vault
from support import KeyPair, make_keypair, tree_bytes

from app.library import get_pack, list_packs
from app.trust import GivenKey, TrustStore
from content_packs.errors import PackError
from content_packs.importer import import_pack
from content_packs.verify import verify_pack_file
from sync import repository as R
from sync.errors import StickFull, StickReadOnly, StickRemoved, TransferCancelled
from sync.source import open_folder
from sync.usb_check import DAMAGED, MISSING, STALE, UNLISTED, check_stick
from sync.usb_export import export_to_stick
from sync.usb_import import HAVE, NEW, OLDER, UPDATE, NoFloors, import_from_stick, list_stick

pytestmark = pytest.mark.fat32
MiB = 1024 * 1024
NEUTRAL = re.compile(r"^(DATA|[0-9a-f]{16}\.bin|index\.json|index\.json\.minisig)$")


def names_on(stick: FatStick) -> list[str]:
    return sorted(p.relative_to(stick.path).as_posix() for p in stick.path.rglob("*"))


def repo(stick: FatStick) -> Path:
    return stick.path / "DATA"


def assert_whole_or_absent(stick: FatStick, trainer: KeyPair) -> None:
    """No file under a pack's name is anything but a complete, verifying pack."""
    for p in repo(stick).iterdir():
        if R.is_pack_name(p.name):
            verify_pack_file(p, GivenKey(trainer.public))
            assert hashlib.sha256(p.read_bytes()).hexdigest()[:16] == p.name[:16].lower()
        else:
            assert p.name in (R.INDEX_NAME, R.INDEX_SIG_NAME) or R.TEMP_NAME_RE.match(p.name), p.name


def pack_rows(vault, pack_id: str) -> int:
    tables = ["packs WHERE id = ?", "pack_chunks WHERE pack_id = ?", "pages WHERE pack_id = ?",
              "chapters WHERE pack_id = ?", "media WHERE pack_id = ?", "version_floors WHERE subject = ?"]
    return sum(vault.conn.execute(f"SELECT count(*) FROM {t}", (pack_id,)).fetchone()[0] for t in tables)


def test_export_then_import_through_a_fat32_stick(stick, trainer, trainer_vault, learner_vault, packs_in) -> None:
    ids = packs_in(trainer_vault, ("org.example.alpha", 1, 0), ("org.example.beta", 2, 2 * MiB),
                  ("org.example.gamma", 1, 300_000))
    report = export_to_stick(trainer_vault, stick.path, key=trainer.secret)
    assert sorted(report.written) == sorted(ids) and report.signed_by == trainer.public.key_id_hex
    names = names_on(stick)
    assert all(NEUTRAL.match(n.split("/")[-1]) for n in names), names
    assert not any(w in "".join(names) for w in ("alpha", "beta", "gamma", "example", "Title", "en."))
    assert len([n for n in names if n.endswith(".bin")]) == 3

    listing = list_stick(learner_vault, open_folder(stick.path))
    assert listing.index.status == R.TRUSTED
    assert sorted((p.pack_id, p.state) for p in listing.packs) == sorted((i, NEW) for i in ids)
    result = import_from_stick(learner_vault, open_folder(stick.path))
    assert not result.failed and len(result.imported) == 3
    strip = [(p.id, p.version, p.title, p.language, p.size) for p in list_packs(trainer_vault)]
    assert [(p.id, p.version, p.title, p.language, p.size) for p in list_packs(learner_vault)] == strip
    assert check_stick(open_folder(stick.path), NoFloors(TrustStore(learner_vault))).intact


def test_top_up_copies_only_what_changed_and_removes_superseded(
        stick, tmp_path, trainer, trainer_vault, learner_vault, packs_in) -> None:
    packs_in(trainer_vault, ("org.example.alpha", 1, MiB), ("org.example.beta", 1, MiB))
    export_to_stick(trainer_vault, stick.path, key=trainer.secret)
    import_from_stick(learner_vault, open_folder(stick.path))
    old = {p.name: p.stat().st_mtime_ns for p in repo(stick).glob("*.bin")}

    v2 = make_pack(tmp_path / "v2", trainer, "org.example.alpha", 2, media=MiB)
    import_pack(trainer_vault, v2)
    written: list[int] = []
    report = export_to_stick(trainer_vault, stick.path, key=trainer.secret, progress=lambda d, t: written.append(t))
    assert report.written == ["org.example.alpha"] and report.kept == ["org.example.beta"]
    assert report.removed == 1 and report.bytes_written == v2.stat().st_size
    assert written and max(written) == v2.stat().st_size          # only the new version was copied
    now = {p.name: p.stat().st_mtime_ns for p in repo(stick).glob("*.bin")}
    assert len(now) == 2 and len(set(now) & set(old)) == 1
    kept = (set(now) & set(old)).pop()
    assert now[kept] == old[kept]                                 # the unchanged file was not rewritten
    index = R.parse_index((repo(stick) / R.INDEX_NAME).read_bytes())
    assert sorted((e.id, e.version) for e in index.packs) == [("org.example.alpha", 2), ("org.example.beta", 1)]

    states = {p.pack_id: p.state for p in list_stick(learner_vault, open_folder(stick.path)).packs}
    assert states == {"org.example.alpha": UPDATE, "org.example.beta": HAVE}
    import_from_stick(learner_vault, open_folder(stick.path))
    assert get_pack(learner_vault, "org.example.alpha").version == 2


@pytest.mark.parametrize("when", ["mid-file", "between-files", "before-index"])
def test_pulled_mid_export_leaves_nothing_that_passes_for_whole_and_the_next_export_repairs(
        stick, trainer, trainer_vault, learner_vault, packs_in, when) -> None:
    ids = packs_in(trainer_vault, ("org.example.a", 1, 3 * MiB), ("org.example.b", 1, 3 * MiB),
                   ("org.example.c", 1, 3 * MiB))
    files_done = 0

    def progress(done: int, total: int) -> None:
        if when == "mid-file" and done >= total // 2:
            stick.pull()

    def events(what: str) -> None:
        nonlocal files_done
        files_done += what == "file-done"
        if (when == "between-files" and files_done == 1) or (when == "before-index" and files_done == 3):
            stick.pull()

    with pytest.raises(StickRemoved) as caught:
        export_to_stick(trainer_vault, stick.path, key=trainer.secret, progress=progress, events=events)
    assert "removed during the copy" in str(caught.value) and "\n" not in str(caught.value)

    stick.remount()
    assert_whole_or_absent(stick, trainer)
    source = open_folder(stick.path)
    assert not check_stick(source, NoFloors(TrustStore(learner_vault))).intact
    for p in list_stick(learner_vault, open_folder(stick.path)).packs:
        assert p.state == NEW                                       # nothing damaged is offered as whole

    report = export_to_stick(trainer_vault, stick.path, key=trainer.secret)
    assert not any(R.TEMP_NAME_RE.match(n) for n in os.listdir(repo(stick)))
    assert report.written or report.kept
    assert check_stick(open_folder(stick.path), NoFloors(TrustStore(learner_vault))).intact
    import_from_stick(learner_vault, open_folder(stick.path))
    assert sorted(p.id for p in list_packs(learner_vault)) == sorted(ids)


class Tripwire:
    """A pack file on the stick that pulls the stick when the importer first asks for a
    byte at or past `offset`: the pull lands inside the import, at a chosen place."""

    def __init__(self, f, offset: int, pull) -> None:
        self._f, self._offset, self._pull = f, offset, pull

    def read(self, n: int = -1) -> bytes:
        if self._pull is not None and self._f.tell() + max(n, 0) >= self._offset:
            self._pull()
            self._pull = None
        return self._f.read(n)

    def seek(self, pos: int, whence: int = 0) -> int:
        return self._f.seek(pos, whence)

    def tell(self) -> int:
        return self._f.tell()

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._f.close()


class PullDuring:
    """The stick's repository, with a tripwire in one pack file."""

    def __init__(self, inner, name: str, offset: int, pull) -> None:
        self.inner, self.name, self.offset, self.pull = inner, name, offset, pull

    def __getattr__(self, attr: str):
        return getattr(self.inner, attr)

    def open(self, name: str):
        f = self.inner.open(name)
        return Tripwire(f, self.offset, self.pull) if name == self.name else f


@pytest.mark.parametrize("offset", [0, MiB, 5 * MiB])
def test_pulled_mid_import_keeps_finished_packs_and_leaves_no_trace_of_the_one_in_flight(
        stick, trainer, trainer_vault, learner_vault, packs_in, offset) -> None:
    packs_in(trainer_vault, ("org.example.a", 1, 6 * MiB), ("org.example.b", 1, 6 * MiB),
             ("org.example.c", 1, 6 * MiB))
    export_to_stick(trainer_vault, stick.path)
    stick.remount()                                                 # cold cache, as a stick handed over
    listing = list_stick(learner_vault, open_folder(stick.path))
    order = [p.file for p in listing.packs]
    done_id, in_flight = listing.packs[0].pack_id, listing.packs[1].pack_id
    source = PullDuring(open_folder(stick.path), order[1], offset, stick.pull)
    with pytest.raises(StickRemoved) as caught:
        import_from_stick(learner_vault, source, order)
    assert str(caught.value) == ("The stick was removed during the import: 1 pack(s) were imported, "
                                 "and the one in progress left no trace.")
    assert [p.id for p in list_packs(learner_vault)] == [done_id]
    assert pack_rows(learner_vault, in_flight) == 0
    assert learner_vault.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    stick.remount()
    import_from_stick(learner_vault, open_folder(stick.path))
    assert len(list_packs(learner_vault)) == 3


def flip_byte(path: Path, offset: int | None = None) -> None:
    """Change one byte in place (fusefat cannot truncate an existing file)."""
    with open(path, "r+b") as f:
        where = path.stat().st_size // 2 if offset is None else offset
        f.seek(where)
        byte = f.read(1)
        f.seek(where)
        f.write(bytes([byte[0] ^ 0xFF]))


def rewrite(path: Path, data: bytes) -> None:
    for p in path.parent.iterdir():
        if p.name.lower() == path.name.lower():
            p.unlink()
    path.write_bytes(data)


def test_tampered_pack_is_reported_and_the_others_are_imported(
        stick, trainer, trainer_vault, learner_vault, packs_in) -> None:
    packs_in(trainer_vault, ("org.example.a", 1, 200_000), ("org.example.b", 1, 200_000),
             ("org.example.c", 1, 0))
    export_to_stick(trainer_vault, stick.path, key=trainer.secret)
    victim = next(p for p in sorted(repo(stick).glob("*.bin")) if p.stat().st_size > 150_000)
    flip_byte(victim)
    manifest_victim = next(p for p in repo(stick).glob("*.bin") if p.stat().st_size < 150_000)
    flip_byte(manifest_victim, 40)                                  # inside the signed manifest

    source = open_folder(stick.path)
    states = {p.file: p.state for p in list_stick(learner_vault, source).packs}
    assert states[manifest_victim.name] == DAMAGED
    report = import_from_stick(learner_vault, source)
    assert [o.file for o in report.failed] == [victim.name]
    assert report.failed[0].error in ("The pack is damaged or truncated.",
                                      "A file in the pack does not match its signature; the pack was refused.")
    assert len(report.imported) == 1
    check = check_stick(open_folder(stick.path), NoFloors(TrustStore(learner_vault)))
    assert not check.intact
    assert sorted(i.file for i in check.items if i.status == DAMAGED) == sorted([victim.name, manifest_victim.name])


def test_forged_index_never_makes_a_pack_accepted(stick, tmp_path, trainer, trainer_vault,
                                                  learner_vault, packs_in) -> None:
    packs_in(trainer_vault, ("org.example.a", 1, 100_000), ("org.example.b", 1, 0))
    export_to_stick(trainer_vault, stick.path, key=trainer.secret)
    index_path = repo(stick) / R.INDEX_NAME
    doc = json.loads(index_path.read_bytes())
    doc["packs"][0]["version"] = 99                                 # forged, old signature kept
    rewrite(index_path, json.dumps(doc).encode())
    listing = list_stick(learner_vault, open_folder(stick.path))
    assert listing.index.status == R.FORGED
    assert sorted(p.state for p in listing.packs) == [NEW, NEW]

    # An attacker swaps a pack for a tampered one and re-signs the index with their own key.
    victim = sorted(repo(stick).glob("*.bin"), key=lambda p: p.stat().st_size)[-1]
    flip_byte(victim)
    attacker = make_keypair(tmp_path / "attacker", "attacker")
    doc = json.loads(index_path.read_bytes())
    for e in doc["packs"]:
        if e["file"] == victim.name:
            e["sha256"] = hashlib.sha256(victim.read_bytes()).hexdigest()
            e["version"] = 1
    forged = R.Index(doc["created"], tuple(R.IndexEntry(**e) for e in doc["packs"]))
    data = forged.to_bytes()
    rewrite(index_path, data)
    rewrite(repo(stick) / R.INDEX_SIG_NAME, R.sign_index(data, attacker.secret, forged.created).encode())
    source = open_folder(stick.path)
    listing = list_stick(learner_vault, source)
    assert listing.index.status == R.UNTRUSTED
    report = import_from_stick(learner_vault, source)
    assert [o.file for o in report.failed] == [victim.name] and len(report.imported) == 1


def test_missing_index_packs_are_still_found_and_verified_one_by_one(
        stick, trainer, trainer_vault, learner_vault, packs_in) -> None:
    packs_in(trainer_vault, ("org.example.a", 1, 0), ("org.example.b", 1, 0))
    export_to_stick(trainer_vault, stick.path, key=trainer.secret)
    (repo(stick) / R.INDEX_NAME).unlink()
    (repo(stick) / R.INDEX_SIG_NAME).unlink()
    source = open_folder(stick.path)
    listing = list_stick(learner_vault, source)
    assert listing.index.status == R.MISSING and [p.state for p in listing.packs] == [NEW, NEW]
    check = check_stick(open_folder(stick.path), NoFloors(TrustStore(learner_vault)))
    assert not check.intact and check.index.status == R.MISSING
    assert len(import_from_stick(learner_vault, open_folder(stick.path)).imported) == 2


def test_check_reports_exactly_what_is_missing_stale_or_unlisted(
        stick, tmp_path, trainer, trainer_vault, learner_vault, packs_in) -> None:
    packs_in(trainer_vault, ("org.example.a", 1, 0), ("org.example.b", 1, 0), ("org.example.c", 1, 0))
    export_to_stick(trainer_vault, stick.path)                     # unsigned index
    files = sorted(repo(stick).glob("*.bin"))
    files[0].unlink()                                               # missing
    doc = json.loads((repo(stick) / R.INDEX_NAME).read_bytes())
    entry = next(e for e in doc["packs"] if e["file"] == files[1].name)
    entry["version"] = 7                                            # stale
    doc["packs"] = [e for e in doc["packs"] if e["file"] != files[2].name]   # unlisted
    rewrite(repo(stick) / R.INDEX_NAME, json.dumps(doc).encode())
    check = check_stick(open_folder(stick.path), NoFloors(TrustStore(learner_vault)))
    got = {i.file: i.status for i in check.items}
    assert got == {files[0].name: MISSING, files[1].name: STALE, files[2].name: UNLISTED}
    assert check.index.status == R.UNSIGNED and not check.intact


def test_full_stick_is_refused_before_anything_is_written(fat_stick, trainer, trainer_vault, packs_in) -> None:
    stick = fat_stick(40)
    packs_in(trainer_vault, ("org.example.a", 1, 3 * MiB), ("org.example.b", 1, 3 * MiB))
    st = os.statvfs(stick.path)
    free = st.f_ffree * 512 if st.f_blocks == 0 else st.f_bavail * st.f_frsize
    with open(stick.path / "holiday.mp4", "wb") as f:
        f.write(os.urandom(free - 4 * MiB))
    before = tree_bytes(stick.path)
    with pytest.raises(StickFull) as caught:
        export_to_stick(trainer_vault, stick.path)
    assert "nothing was written" in str(caught.value) and "free" in str(caught.value)
    assert tree_bytes(stick.path) == before
    export_to_stick(trainer_vault, stick.path, ["org.example.a"])  # what fits still goes
    assert len(list(repo(stick).glob("*.bin"))) == 1


def test_read_only_stick(fat_stick, trainer, trainer_vault, learner_vault, packs_in) -> None:
    stick = fat_stick()
    packs_in(trainer_vault, ("org.example.a", 1, 0))
    export_to_stick(trainer_vault, stick.path, key=trainer.secret)
    stick.remount(read_only=True)
    before = tree_bytes(stick.path)
    with pytest.raises(StickReadOnly) as caught:
        export_to_stick(trainer_vault, stick.path)
    assert "read-only" in str(caught.value)
    assert check_stick(open_folder(stick.path), NoFloors(TrustStore(learner_vault))).intact
    assert len(import_from_stick(learner_vault, open_folder(stick.path)).imported) == 1
    assert tree_bytes(stick.path) == before


def test_thousands_of_unrelated_files(fat_stick, trainer, trainer_vault, learner_vault, packs_in) -> None:
    stick = fat_stick(files=[f"IMG_{i:04d}.JPG" for i in range(3000)],
                      folders={"DCIM": [f"DSC{i:05d}.JPG" for i in range(1500)],
                               "DATA": [f"SONG{i:04d}.MP3" for i in range(1000)] + ["NOTES.TXT", "ABC.BIN"]})
    packs_in(trainer_vault, ("org.example.a", 1, 0), ("org.example.b", 1, 0))
    decoys = ["0123456789abcdef.bin.txt", "0123456789abcdeg.bin", "index.json.bak", "0123456789abcdef.tmp.x"]
    for name in decoys:
        (stick.path / "DATA" / name).write_bytes(b"not a pack")
    names_before = set(os.listdir(stick.path / "DATA"))
    sample = decoys + ["NOTES.TXT", "ABC.BIN"] + [f"SONG{i:04d}.MP3" for i in range(0, 1000, 97)]
    before = {n: (stick.path / "DATA" / n).read_bytes() for n in sample}    # (reading all 1000 is slow)
    export_to_stick(trainer_vault, stick.path, key=trainer.secret)
    listing = list_stick(learner_vault, open_folder(stick.path))
    assert listing.index.status == R.TRUSTED
    assert sorted(p.state for p in listing.packs) == [NEW, NEW]
    assert len(import_from_stick(learner_vault, open_folder(stick.path)).imported) == 2
    after = set(os.listdir(stick.path / "DATA"))
    assert {n: (stick.path / "DATA" / n).read_bytes() for n in before} == before   # nothing of theirs touched
    assert names_before <= after and len(after) == len(names_before) + 4
    assert len(os.listdir(stick.path)) == 3000 + 2
    assert check_stick(open_folder(stick.path), NoFloors(TrustStore(learner_vault))).intact


def test_names_that_differ_only_in_case(stick, tmp_path, trainer, trainer_vault, learner_vault, packs_in) -> None:
    packs_in(trainer_vault, ("org.example.a", 1, 0), ("org.example.b", 1, 0))
    (stick.path / "data").mkdir()                                   # the folder in another case is ours
    export_to_stick(trainer_vault, stick.path, key=trainer.secret)
    assert os.listdir(stick.path) == ["data"]
    for p in list((stick.path / "data").iterdir()):                 # another computer upper-cased them all
        data = p.read_bytes()                                       # (fusefat's case-only rename mangles files)
        p.unlink()
        p.with_name(p.name.upper()).write_bytes(data)
    listing = list_stick(learner_vault, open_folder(stick.path))
    assert listing.index.status == R.TRUSTED and [p.state for p in listing.packs] == [NEW, NEW]
    assert check_stick(open_folder(stick.path), NoFloors(TrustStore(learner_vault))).intact

    # A damaged file sits under a pack's name in another case; the next export must
    # replace it, not leave two files that FAT32 sees as one.
    v2 = make_pack(tmp_path / "v2", trainer, "org.example.a", 2)
    import_pack(trainer_vault, v2)
    target = R.pack_file_name(hashlib.sha256(v2.read_bytes()).hexdigest())
    rewrite(stick.path / "data" / target.upper(), b"PK\x03\x04 truncated")
    export_to_stick(trainer_vault, stick.path, key=trainer.secret)
    names = os.listdir(stick.path / "data")
    assert len({n.lower() for n in names}) == len(names) == 4
    check = check_stick(open_folder(stick.path), NoFloors(TrustStore(learner_vault)))
    assert check.intact, [(i.file, i.status) for i in check.items]
    import_from_stick(learner_vault, open_folder(stick.path))
    assert get_pack(learner_vault, "org.example.a").version == 2


def test_stick_newer_than_the_vault_is_left_alone(stick, tmp_path, trainer, trainer_vault, packs_in) -> None:
    packs_in(trainer_vault, ("org.example.a", 1, 0))
    other = new_vault(tmp_path / "other-home", trainer)
    import_pack(other, make_pack(tmp_path / "v3", trainer, "org.example.a", 3))
    export_to_stick(other, stick.path)
    other.close()
    report = export_to_stick(trainer_vault, stick.path)
    assert report.stick_newer == ["org.example.a"] and not report.written
    index = R.parse_index((repo(stick) / R.INDEX_NAME).read_bytes())
    assert [(e.id, e.version) for e in index.packs] == [("org.example.a", 3)]


def test_older_than_yours_and_untrusted_states(stick, tmp_path, trainer, trainer_vault, learner_vault,
                                               packs_in) -> None:
    packs_in(trainer_vault, ("org.example.a", 1, 0))
    stranger = make_keypair(tmp_path / "stranger", "stranger")
    export_to_stick(trainer_vault, stick.path)
    import_pack(learner_vault, make_pack(tmp_path / "v2", trainer, "org.example.a", 2))
    untrusted = make_pack(tmp_path / "s", stranger, "org.stranger.x", 1)
    (repo(stick) / R.pack_file_name(hashlib.sha256(untrusted.read_bytes()).hexdigest())).write_bytes(
        untrusted.read_bytes())
    states = {p.pack_id or p.file: p.state for p in list_stick(learner_vault, open_folder(stick.path)).packs}
    assert states["org.example.a"] == OLDER
    assert "untrusted" in states.values()
    with pytest.raises(PackError):
        import_pack(learner_vault, untrusted)


def test_cancelled_export_leaves_a_consistent_stick(stick, trainer, trainer_vault, learner_vault, packs_in) -> None:
    packs_in(trainer_vault, ("org.example.a", 1, 2 * MiB), ("org.example.b", 1, 2 * MiB))
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done > total // 2 + MiB // 2:
            cancel.set()

    with pytest.raises(TransferCancelled) as caught:
        export_to_stick(trainer_vault, stick.path, key=trainer.secret, progress=progress, cancel=cancel)
    assert str(caught.value).startswith("The copy was cancelled: 1 of 2 pack(s) were written completely")
    assert not any(R.TEMP_NAME_RE.match(n) for n in os.listdir(repo(stick)))
    assert_whole_or_absent(stick, trainer)
    check = check_stick(open_folder(stick.path), NoFloors(TrustStore(learner_vault)))
    assert check.intact and len(check.items) == 1 and check.index.status == R.TRUSTED
    export_to_stick(trainer_vault, stick.path, key=trainer.secret)
    assert len(import_from_stick(learner_vault, open_folder(stick.path)).imported) == 2
