"""The key file: two records' worth of space, overwritten in place; a crash at any point
of an update leaves exactly one current record, and the next open destroys the rest."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import pytest

from crypto.kdf import KdfParams
from crypto.keyslots import (
    OLD_KEYFILE_SIZE,
    RECORD_SIZE,
    ROLE_DURESS,
    ROLE_VAULT,
    KeyFileError,
    KeyRecord,
    OldKeyFile,
    blank,
    is_blank,
    is_record,
    new_data_key,
)
from crypto.keystore import KEYFILE_SIZE, KeyFileGone, KeyStore, interpret
from crypto.secure import destroy_file

PARAMS = KdfParams(memory_kib=1024, iterations=1, lanes=1)


def new_store(tmp_path: Path) -> tuple[KeyStore, KeyRecord]:
    record = KeyRecord.new(PARAMS)
    path = tmp_path / "key"
    KeyStore.create(path, record)
    return KeyStore(path), record


def halves(path: Path) -> tuple[bytes, bytes]:
    data = path.read_bytes()
    return data[:RECORD_SIZE], data[RECORD_SIZE:]


def test_created_file_holds_one_record_and_one_blank(tmp_path: Path) -> None:
    store, record = new_store(tmp_path)
    a, b = halves(store.path)
    assert store.path.stat().st_size == KEYFILE_SIZE
    assert (is_record(a) and is_blank(b)) or (is_blank(a) and is_record(b))
    state = store.read()
    assert state.settled and state.record.sequence == record.sequence
    assert (store.path.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["key"]  # the temporary name is gone


def test_update_overwrites_in_place_and_alternates_halves(tmp_path: Path) -> None:
    store, _ = new_store(tmp_path)
    ino = store.path.stat().st_ino
    seen: list[bytes] = [store.path.read_bytes()]
    for count in range(1, 6):
        def bump(r: KeyRecord, count: int = count) -> None:
            r.fail_count = count

        store.update(bump)
        assert store.path.stat().st_ino == ino and store.path.stat().st_size == KEYFILE_SIZE
        state = store.read()
        assert state.settled and state.record.fail_count == count
        seen.append(store.path.read_bytes())
    # Each update moved to the other half and left a fresh blank where the old record was.
    currents = [interpret(v).half for v in seen]
    assert all(currents[i] != currents[i + 1] for i in range(len(currents) - 1))
    assert len({v[:RECORD_SIZE] for v in seen}) == len(seen)
    assert [p.name for p in tmp_path.iterdir()] == ["key"]


def test_slots_survive_updates_and_open_with_their_passphrase(tmp_path: Path) -> None:
    store, record = new_store(tmp_path)
    derived, data_key = record.derive("pass one"), new_data_key()
    store.update(lambda r: r.seal_slot(3, derived, ROLE_VAULT, data_key))
    duress = record.derive("run")
    store.update(lambda r: r.seal_slot(5, duress, ROLE_DURESS, new_data_key()))
    current = store.read().record
    opened = current.open_slot(derived)
    assert opened is not None and (opened.index, opened.role, opened.key) == (3, ROLE_VAULT, data_key)
    assert opened.previous is None
    hit = current.open_slot(duress)
    assert hit is not None and (hit.index, hit.role) == (5, ROLE_DURESS)
    assert current.open_slot(record.derive("wrong")) is None


def test_a_change_that_raises_writes_nothing(tmp_path: Path) -> None:
    store, _ = new_store(tmp_path)
    before = store.path.read_bytes()

    def refuse(r: KeyRecord) -> None:
        raise ValueError("no")

    with pytest.raises(ValueError):
        store.update(refuse)
    assert store.path.read_bytes() == before


def _write_half(path: Path, half: int, block: bytes) -> None:
    with open(path, "r+b") as f:
        f.seek(half * RECORD_SIZE)
        f.write(block)


@pytest.mark.parametrize("cut", [1, 512, 2048, RECORD_SIZE - 1])
def test_crash_while_writing_the_new_record_keeps_the_old_one(tmp_path: Path, cut: int) -> None:
    store, record = new_store(tmp_path)
    state = store.read()
    new = record.copy()
    new.fail_count, new.sequence = 7, record.sequence + 1
    other = 1 - state.half
    torn = new.to_block()[:cut] + blank()[cut:]  # the write stopped after `cut` bytes
    _write_half(store.path, other, torn)
    state = store.read()
    assert state.record.fail_count == 0 and state.record.sequence == record.sequence
    assert not state.settled  # the torn half may hold pieces of the new record
    store.settle()
    assert is_blank(halves(store.path)[other])
    assert store.read().settled


def test_crash_before_the_old_record_is_blanked_keeps_the_new_one(tmp_path: Path) -> None:
    store, record = new_store(tmp_path)
    state = store.read()
    new = record.copy()
    new.fail_count, new.sequence = 7, record.sequence + 1
    _write_half(store.path, 1 - state.half, new.to_block())
    both = store.read()
    assert both.record.fail_count == 7 and not both.settled
    store.settle()  # the next open destroys the stale record
    assert is_blank(halves(store.path)[state.half])
    # A crash half-way through blanking: the stale half is torn, the new record current.
    _write_half(store.path, state.half, record.to_block()[:1000] + blank()[1000:])
    assert store.read().record.fail_count == 7 and not store.read().settled


def test_no_whole_record_is_damage_in_one_sentence(tmp_path: Path) -> None:
    store, _ = new_store(tmp_path)
    store.path.write_bytes(blank() + blank())
    with pytest.raises(KeyFileError) as err:
        store.read()
    assert str(err.value) == "The vault's key file is damaged."
    store.path.write_bytes(os.urandom(KEYFILE_SIZE - 1))
    with pytest.raises(KeyFileError):
        store.read()


def test_old_format_gives_one_clear_sentence(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_bytes(bytes([1, 1, 4, 0]) + secrets.token_bytes(OLD_KEYFILE_SIZE - 4))
    with pytest.raises(OldKeyFile) as err:
        KeyStore(path).read()
    assert "older format" in str(err.value) and "\n" not in str(err.value)


def test_doctored_record_with_a_valid_check_but_absurd_costs_is_refused(tmp_path: Path) -> None:
    store, record = new_store(tmp_path)
    state = store.read()
    block = bytearray(record.to_block())
    block[4:8] = b"\xff\xff\xff\xff"
    block[RECORD_SIZE - 32:] = hashlib.sha256(bytes(block[:RECORD_SIZE - 32])).digest()
    _write_half(store.path, state.half, bytes(block))
    with pytest.raises(KeyFileError):
        store.read()


def test_an_update_after_a_wipe_writes_nothing_into_the_freed_blocks(tmp_path: Path) -> None:
    """A passphrase change racing a panic wipe must not leave a fresh record behind in
    the unlinked file's blocks."""
    store, record = new_store(tmp_path)
    keep = os.open(store.path, os.O_RDONLY)  # holds the inode, as the race would
    try:
        stale = KeyStore(store.path)
        destroy_file(store.path)
        with pytest.raises((KeyFileGone, FileNotFoundError)):
            stale.update(lambda r: r.seal_slot(0, record.derive("x"), ROLE_VAULT, new_data_key()))
        after = os.pread(keep, KEYFILE_SIZE, 0)
    finally:
        os.close(keep)
    assert not is_record(after[:RECORD_SIZE]) and not is_record(after[RECORD_SIZE:])


def test_sequence_numbers_start_at_random(tmp_path: Path) -> None:
    """How many updates a key file has seen is not written in it."""
    starts = {KeyRecord.new(PARAMS).sequence for _ in range(8)}
    assert len(starts) == 8 and max(starts) > 1 << 40
