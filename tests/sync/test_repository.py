"""The repository format: the index (build, parse, sign, verify), neutral names, safe
reading of a folder, and atomic writes. These run on any filesystem; the FAT32 tests
drive the same code on a real stick."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

import pytest
from support import make_keypair

from app.trust import GivenKey
from sync import repository as R
from sync.errors import BadIndex, TooLargeForStick, TransferCancelled
from sync.source import FolderSource, find_repository, open_folder
from sync.stickfs import write_atomic

SHA = hashlib.sha256(b"pack").hexdigest()


def entry(n: int = 0, **over) -> R.IndexEntry:
    sha = hashlib.sha256(str(n).encode()).hexdigest()
    base = dict(file=R.pack_file_name(sha), id=f"org.example.p{n}", version=1, size=100, sha256=sha,
                signer="0123456789ABCDEF")
    base.update(over)
    return R.IndexEntry(**base)


def write_repo(folder: Path, index: R.Index, key=None, created: int | None = None) -> bytes:
    folder.mkdir(parents=True, exist_ok=True)
    data = index.to_bytes()
    (folder / R.INDEX_NAME).write_bytes(data)
    if key is not None:
        (folder / R.INDEX_SIG_NAME).write_text(R.sign_index(data, key, index.created if created is None else created))
    return data


def test_index_round_trip_is_canonical() -> None:
    idx = R.Index(1700000000, (entry(2), entry(1)), (b'{"x":1}', b"sig\n"))
    data = idx.to_bytes()
    back = R.parse_index(data)
    assert sorted(back.packs, key=lambda e: e.file) == sorted(idx.packs, key=lambda e: e.file)
    assert back.trust_list == idx.trust_list and back.to_bytes() == data
    assert R.Index(1700000000, (entry(1), entry(2)), (b'{"x":1}', b"sig\n")).to_bytes() == data


@pytest.mark.parametrize("mutate", [
    lambda d: d.update(extra=1),
    lambda d: d.update(type="something-else"),
    lambda d: d.update(format=2),
    lambda d: d["packs"][0].update(file="../../etc/passwd.bin"),
    lambda d: d["packs"][0].update(file="0123456789ABCDEF.bin"),
    lambda d: d["packs"][0].update(file="0123456789abcdef.satchel"),
    lambda d: d["packs"][0].update(id="Org.Example"),
    lambda d: d["packs"][0].update(version=0),
    lambda d: d["packs"][0].update(version=True),
    lambda d: d["packs"][0].update(size=5 * 1024**3),
    lambda d: d["packs"][0].update(sha256="zz" * 32),
    lambda d: d["packs"][0].update(signer="nothex"),
    lambda d: d["packs"][0].update(note="hi"),
    lambda d: d["packs"].append(dict(d["packs"][0])),
    lambda d: d.update(trust_list={"document": "!!", "signature": "x"}),
    lambda d: d.update(packs={}),
    lambda d: d.update(version=0),
    lambda d: d.update(version="3"),
    lambda d: d.update(expires=-1),
    lambda d: d.update(expires=1.5),
])
def test_parse_index_is_strict(mutate) -> None:
    doc = json.loads(R.Index(1, (entry(1),)).to_bytes())
    mutate(doc)
    with pytest.raises(BadIndex):
        R.parse_index(json.dumps(doc).encode())


def test_an_online_index_carries_a_version_and_an_expiry_a_stick_index_does_not() -> None:
    stick = R.Index(1700000000, (entry(1),))
    assert b"version" not in stick.to_bytes().split(b'"packs"')[0] and b"expires" not in stick.to_bytes()
    online = R.Index(1700000000, (entry(1),), None, 1700000005, 1702592000)
    back = R.parse_index(online.to_bytes())
    assert (back.version, back.expires) == (1700000005, 1702592000)
    assert back.to_bytes() == online.to_bytes()


def test_parse_index_refuses_duplicate_keys_nan_and_oversize() -> None:
    with pytest.raises(BadIndex):
        R.parse_index(b'{"type":"pack-repository-index","type":"x"}')
    with pytest.raises(BadIndex):
        R.parse_index(b'{"created": NaN}')
    with pytest.raises(BadIndex):
        R.parse_index(b" " * (R.MAX_INDEX_BYTES + 1))
    with pytest.raises(BadIndex):
        R.parse_index(b"[" * 100_000)


def test_pack_file_names_say_nothing_but_the_hash() -> None:
    assert R.pack_file_name(SHA) == SHA[:16] + ".bin"
    with pytest.raises(ValueError):
        R.pack_file_name("org.example.guide")
    assert R.TEMP_NAME_RE.match(R.temp_file_name())


def test_read_index_judges_signatures(tmp_path: Path) -> None:
    trainer = make_keypair(tmp_path / "k", "trainer")
    stranger = make_keypair(tmp_path / "k", "stranger")
    folder = tmp_path / "repo"
    idx = R.Index(1700000000, (entry(1),))

    def judge() -> R.IndexReport:
        return R.read_index(FolderSource(folder), GivenKey(trainer.public))

    folder.mkdir()
    assert judge().status == R.MISSING
    write_repo(folder, idx)
    assert judge().status == R.UNSIGNED and judge().index == idx
    write_repo(folder, idx, trainer.secret)
    report = judge()
    assert report.status == R.TRUSTED and report.index == idx and not report.failed
    write_repo(folder, idx, stranger.secret)
    assert judge().status == R.UNTRUSTED and judge().signer == stranger.public.key_id_hex
    # signed, then altered
    data = write_repo(folder, idx, trainer.secret)
    (folder / R.INDEX_NAME).write_bytes(data.replace(b'"version":1', b'"version":9'))
    assert judge().status == R.FORGED and judge().index is None and judge().failed
    # a valid signature over the bytes but a trusted comment for another index
    write_repo(folder, idx, trainer.secret, created=1)
    assert judge().status == R.FORGED
    # a signature that is not one
    (folder / R.INDEX_SIG_NAME).write_text("untrusted comment: x\nnot base64\n")
    assert judge().status == R.FORGED
    # garbage, unsigned
    (folder / R.INDEX_SIG_NAME).unlink()
    (folder / R.INDEX_NAME).write_bytes(b"\xff\xfe garbage")
    assert judge().status == R.INVALID


def test_two_indexes_differing_in_case_are_ambiguous(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    write_repo(folder, R.Index(1, (entry(1),)))
    (folder / "INDEX.JSON").write_bytes(R.Index(2, (entry(2),)).to_bytes())
    if len(os.listdir(folder)) == 1:
        pytest.skip("this filesystem folds case")
    assert R.read_index(FolderSource(folder), None).status == R.INVALID


def test_folder_source_never_follows_links_or_reads_other_names(tmp_path: Path) -> None:
    folder = tmp_path / "DATA"
    folder.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    os.symlink(secret, folder / "0123456789abcdef.bin")
    os.symlink(secret, folder / R.INDEX_NAME)
    (folder / "notes.txt").write_text("x")
    (folder / "fedcba9876543210.BIN").write_bytes(b"x")
    src = FolderSource(folder)
    assert src.names() == ["fedcba9876543210.BIN"]
    with pytest.raises(OSError):
        src.open("0123456789abcdef.bin")
    with pytest.raises(ValueError):
        src.open("notes.txt")
    with pytest.raises(ValueError):
        src.open("../secret.txt")


def test_find_repository_looks_one_level_down_only(tmp_path: Path) -> None:
    root = tmp_path / "stick"
    (root / "a" / "b").mkdir(parents=True)
    write_repo(root / "a" / "b", R.Index(1))
    assert find_repository(root) is None
    write_repo(root / "Lessons", R.Index(1))
    assert find_repository(root) == root / "Lessons"
    (root / "data").mkdir()
    (root / "data" / (SHA[:16] + ".bin")).write_bytes(b"x")
    assert find_repository(root) == root / "Lessons"       # an index wins over bare pack files
    write_repo(root / "data", R.Index(1))
    assert find_repository(root) == root / "data"           # the default folder, in any case
    assert find_repository(root / "data") == root / "data"
    assert open_folder(root).folder == root / "data"


def test_write_atomic_refuses_files_over_the_fat32_limit(tmp_path: Path) -> None:
    with pytest.raises(TooLargeForStick):
        write_atomic(tmp_path, "0123456789abcdef.bin", iter([b"x"]), R.FAT32_MAX_FILE + 1)
    assert os.listdir(tmp_path) == []


def test_write_atomic_leaves_nothing_on_failure_or_cancel(tmp_path: Path) -> None:
    def failing():
        yield b"a" * 1000
        raise OSError(5, "Input/output error")

    with pytest.raises(OSError):
        write_atomic(tmp_path, "x.bin", failing(), 2000)
    assert os.listdir(tmp_path) == []
    cancel = threading.Event()

    def cancelling():
        yield b"a"
        cancel.set()
        yield b"b"

    with pytest.raises(TransferCancelled):
        write_atomic(tmp_path, "x.bin", cancelling(), 2, cancel=cancel)
    assert os.listdir(tmp_path) == []
    sha = write_atomic(tmp_path, "x.bin", [b"ab"], 2)
    assert sha == hashlib.sha256(b"ab").hexdigest() and os.listdir(tmp_path) == ["x.bin"]
