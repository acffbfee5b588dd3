"""The vault: create, unlock, passphrases, duress, failed-unlock wipe, bad input."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlcipher3
from support import FAST_MS, fill_disk, tree_bytes

from app.errors import (
    DiskFull,
    EmptyPassphrase,
    HomeUnusable,
    NoVault,
    SatchelError,
    VaultClosed,
    VaultDamaged,
    VaultExists,
    WrongPassphrase,
)
from app import vault as vault_mod
from app.home import MARKER, Home
from app.vault import Vault
from crypto.keyslots import RECORD_SIZE, SLOT_COUNT, SLOT_SIZE
from crypto.keystore import KEYFILE_SIZE, interpret

PASS = "correct horse"


def test_create_then_unlock_keeps_settings(home: Path) -> None:
    with Vault.create(home, PASS, iter_time_ms=FAST_MS) as v:
        v.set_setting("ui.font_size", 14)
    with Vault.unlock(home, PASS) as v:
        assert v.get_setting("ui.font_size") == 14


def test_home_is_private_and_names_say_nothing(vault: Vault, home: Path) -> None:
    assert (home.stat().st_mode & 0o777) == 0o700
    names = sorted(p.name for p in home.iterdir())
    assert set(names) <= {"data", "data-wal", "data-shm", "key", MARKER} and {"data", "key", MARKER} <= set(names)
    for p in home.iterdir():
        assert p.stat().st_mode & 0o077 == 0, p


def test_database_is_not_readable_without_the_key(vault: Vault, home: Path) -> None:
    vault.set_setting("secret.topic", "a sensitive topic")
    vault.close()
    raw = home.joinpath("data").read_bytes()
    assert b"SQLite format" not in raw
    assert b"sensitive" not in raw
    conn = sqlcipher3.connect(str(home / "data"))
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = '{PASS}'")
    with pytest.raises(sqlcipher3.DatabaseError):
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()


def test_key_file_has_fixed_size_and_hides_slot_count(vault: Vault, home: Path) -> None:
    before = home.joinpath("key").read_bytes()
    assert len(before) == KEYFILE_SIZE
    ino = home.joinpath("key").stat().st_ino
    vault.set_duress("run away")
    after = home.joinpath("key").read_bytes()
    assert len(after) == KEYFILE_SIZE
    assert home.joinpath("key").stat().st_ino == ino  # overwritten in place, never replaced
    old, new = interpret(before).record, interpret(after).record
    assert len(new.slots) == SLOT_COUNT
    # The header says nothing about how many slots are in use: only the sequence moved.
    assert (old.params, old.salt, old.fail_limit, old.fail_count) == (new.params, new.salt, new.fail_limit,
                                                                      new.fail_count)
    assert new.sequence == old.sequence + 1


def test_wrong_passphrase_changes_nothing(vault: Vault, home: Path) -> None:
    vault.close()
    before = tree_bytes(home)
    with pytest.raises(WrongPassphrase) as err:
        Vault.unlock(home, "not it")
    assert str(err.value) == "That passphrase does not open this vault."
    assert tree_bytes(home) == before


@pytest.mark.parametrize("action", ["create", "unlock"])
def test_empty_passphrase_is_refused(home: Path, action: str) -> None:
    if action == "unlock":
        Vault.create(home, PASS, iter_time_ms=FAST_MS).close()
    before = tree_bytes(home)
    with pytest.raises(EmptyPassphrase):
        if action == "create":
            Vault.create(home, "", iter_time_ms=FAST_MS)
        else:
            Vault.unlock(home, "")
    assert tree_bytes(home) == before


def test_truncated_key_file(vault: Vault, home: Path) -> None:
    vault.close()
    key = home / "key"
    key.write_bytes(key.read_bytes()[:100])
    before = tree_bytes(home)
    with pytest.raises(VaultDamaged):
        Vault.unlock(home, PASS)
    assert tree_bytes(home) == before


def test_corrupted_key_file_header(vault: Vault, home: Path) -> None:
    vault.close()
    key = home / "key"
    data = bytearray(key.read_bytes())
    for half in (0, RECORD_SIZE):
        data[half + 4:half + 8] = b"\xff\xff\xff\xff"  # an absurd memory cost
    key.write_bytes(bytes(data))
    before = tree_bytes(home)
    with pytest.raises(VaultDamaged):
        Vault.unlock(home, PASS)
    assert tree_bytes(home) == before


def test_corrupted_slots_read_as_wrong_passphrase(vault: Vault, home: Path) -> None:
    """Slots doctored by someone who also fixed the record's checksum."""
    vault.close()
    key = home / "key"
    data = bytearray(key.read_bytes())
    state = interpret(bytes(data))
    record = state.record
    record.slots = [bytes(b ^ 0x55 for b in slot) for slot in record.slots]
    assert len(record.slots[0]) == SLOT_SIZE
    data[state.half * RECORD_SIZE:(state.half + 1) * RECORD_SIZE] = record.to_block()
    key.write_bytes(bytes(data))
    before = tree_bytes(home)
    with pytest.raises(WrongPassphrase):
        Vault.unlock(home, PASS)
    assert tree_bytes(home) == before


def test_key_file_from_another_vault(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    Vault.create(a, PASS, iter_time_ms=FAST_MS).close()
    Vault.create(b, PASS, iter_time_ms=FAST_MS).close()
    shutil.copy(b / "key", a / "key")
    before = tree_bytes(a)
    with pytest.raises(VaultDamaged) as err:
        Vault.unlock(a, PASS)
    assert "does not belong" in str(err.value)
    assert tree_bytes(a) == before


def test_missing_database(vault: Vault, home: Path) -> None:
    vault.close()
    (home / "data").unlink()
    before = tree_bytes(home)
    with pytest.raises(VaultDamaged) as err:
        Vault.unlock(home, PASS)
    assert "missing" in str(err.value)
    assert tree_bytes(home) == before


def test_corrupted_database_is_not_overwritten(vault: Vault, home: Path) -> None:
    vault.close()
    db = home / "data"
    data = bytearray(db.read_bytes())
    data[16:4096] = os.urandom(4096 - 16)
    db.write_bytes(bytes(data))
    before = tree_bytes(home)
    with pytest.raises(VaultDamaged):
        Vault.unlock(home, PASS)
    assert tree_bytes(home) == before


def test_no_vault(home: Path) -> None:
    with pytest.raises(NoVault):
        Vault.unlock(home, PASS)
    assert not home.exists()


def test_home_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("not a folder")
    with pytest.raises(HomeUnusable) as err:
        Vault.create(target, PASS, iter_time_ms=FAST_MS)
    assert "is a file" in str(err.value)
    assert target.read_text() == "not a folder"


def test_home_that_is_unwritable(readonly_dir: Path) -> None:
    with pytest.raises(HomeUnusable):
        Vault.create(readonly_dir, PASS, iter_time_ms=FAST_MS)
    with pytest.raises(HomeUnusable):
        Vault.create(readonly_dir / "inside", PASS, iter_time_ms=FAST_MS)
    assert list(readonly_dir.iterdir()) == []


def test_home_on_a_full_disk(small_disk: Path) -> None:
    fill_disk(small_disk)
    home = small_disk / "home"
    with pytest.raises((DiskFull, HomeUnusable)) as err:
        Vault.create(home, PASS, iter_time_ms=FAST_MS)
    assert isinstance(err.value, SatchelError)
    leftovers = [p.name for p in home.rglob("*")] if home.exists() else []
    assert leftovers == []


def test_init_on_existing_vault_touches_nothing(vault: Vault, home: Path) -> None:
    vault.close()
    before = tree_bytes(home)
    with pytest.raises(VaultExists):
        Vault.create(home, "another", iter_time_ms=FAST_MS)
    assert tree_bytes(home) == before


def test_change_passphrase_reencrypts_the_database(vault: Vault, home: Path) -> None:
    """The old passphrase, even with a copy of the old key file, opens nothing of the
    vault as it is after the change: the database is under a new data key."""
    vault.set_setting("x", 1)
    old_key = bytes(vault._key)
    vault.close()
    old_key_file = (home / "key").read_bytes()
    db_before = (home / "data").read_bytes()
    with Vault.unlock(home, PASS) as v:
        v.change_passphrase("new one")
        assert bytes(v._key) != old_key
        assert v.get_setting("x") == 1  # the open vault carries on under the new key
    db_after = (home / "data").read_bytes()
    assert len(db_after) == len(db_before)
    pages = len(db_after) // 16384
    assert sum(db_after[i * 16384:(i + 1) * 16384] == db_before[i * 16384:(i + 1) * 16384]
               for i in range(pages)) == 0, "every page is re-encrypted"
    with pytest.raises(WrongPassphrase):
        Vault.unlock(home, PASS)
    with Vault.unlock(home, "new one") as v:
        assert v.get_setting("x") == 1
    # An attacker who kept the old key file and knows the old passphrase:
    old = interpret(old_key_file).record
    derived = old.derive(PASS)
    opened = old.open_slot(derived)
    assert opened is not None and bytes(opened.key) == old_key
    assert vault_mod.vaultdb.try_connect(home / "data", opened.key) is None


def test_interrupted_passwd_on_full_disk_keeps_old_passphrase(small_disk: Path) -> None:
    home = small_disk / "home"
    with Vault.create(home, PASS, iter_time_ms=FAST_MS) as v:
        with v.transaction() as conn:  # a database larger than what is left of the disk
            conn.execute("CREATE TABLE filler (x)")
            for _ in range(6):  # the schema alone takes most of the 2 MB disk (16 KiB pages, WAL)
                conn.execute("INSERT INTO filler VALUES (randomblob(16000))")
        vault_mod.vaultdb.checkpoint(v.conn)
        filler = fill_disk(small_disk)
        with pytest.raises(DiskFull):
            v.change_passphrase("new one")
        assert v.get_setting("x") is None and v.is_open  # still open, under the old key
    assert not [p.name for p in home.iterdir() if p.name.startswith(".tmp")]
    filler.unlink()
    with pytest.raises(WrongPassphrase):
        Vault.unlock(home, "new one")
    with Vault.unlock(home, PASS) as v:
        assert v.conn.execute("SELECT count(*) FROM filler").fetchone()[0] == 6


def test_duress_unlock_wipes_and_looks_fresh(vault: Vault, home: Path, tmp_path: Path) -> None:
    vault.set_setting("private.note", "meet at the usual place")
    vault.set_duress("they are here")
    vault.close()
    sizes_before = {p.name: p.stat().st_size for p in home.iterdir()}

    fresh_home = tmp_path / "fresh"
    Vault.create(fresh_home, "they are here", iter_time_ms=FAST_MS).close()

    with Vault.unlock(home, "they are here") as v:
        assert v.get_setting("private.note") is None
        assert not v.has_duress()
    sizes_after = {p.name: p.stat().st_size for p in home.iterdir()}
    fresh_sizes = {p.name: p.stat().st_size for p in fresh_home.iterdir()}
    assert sizes_after == sizes_before == fresh_sizes
    # The old passphrase opens nothing now; the duress one opens the new, empty vault.
    with pytest.raises(WrongPassphrase):
        Vault.unlock(home, PASS)
    with Vault.unlock(home, "they are here") as v:
        assert v.get_setting("private.note") is None


def test_duress_must_differ_from_vault_passphrase(vault: Vault) -> None:
    with pytest.raises(SatchelError):
        vault.set_duress(PASS)
    vault.set_duress("other")
    with pytest.raises(SatchelError):
        vault.change_passphrase("other")


def test_duress_clear(vault: Vault, home: Path) -> None:
    vault.set_duress("run")
    assert vault.clear_duress()
    assert not vault.clear_duress()
    vault.close()
    with pytest.raises(WrongPassphrase):
        Vault.unlock(home, "run")
    Vault.unlock(home, PASS).close()


def test_duress_survives_passphrase_change(vault: Vault, home: Path) -> None:
    vault.set_setting("k", "v")
    vault.set_duress("run")
    vault.change_passphrase("new")
    vault.close()
    with Vault.unlock(home, "run") as v:
        assert v.get_setting("k") is None


def test_wipe_after_failed_unlocks_survives_restarts(vault: Vault, home: Path) -> None:
    vault.set_fail_limit(3)
    vault.close()
    for _ in range(2):
        with pytest.raises(WrongPassphrase):
            Vault.unlock(home, "guess")
    assert interpret((home / "key").read_bytes()).record.fail_count == 2
    with pytest.raises(WrongPassphrase):
        Vault.unlock(home, "guess")
    assert not (home / "key").exists() and not (home / "data").exists()
    with pytest.raises(NoVault):
        Vault.unlock(home, PASS)


def test_success_resets_failed_unlock_count(vault: Vault, home: Path) -> None:
    vault.set_fail_limit(2)
    vault.close()
    with pytest.raises(WrongPassphrase):
        Vault.unlock(home, "guess")
    Vault.unlock(home, PASS).close()
    assert interpret((home / "key").read_bytes()).record.fail_count == 0
    with pytest.raises(WrongPassphrase):
        Vault.unlock(home, "guess")
    Vault.unlock(home, PASS).close()


def test_failed_unlocks_off_by_default(vault: Vault, home: Path) -> None:
    vault.close()
    before = tree_bytes(home)
    for _ in range(5):
        with pytest.raises(WrongPassphrase):
            Vault.unlock(home, "guess")
    assert tree_bytes(home) == before


def test_closed_vault_refuses_use(vault: Vault) -> None:
    vault.close()
    with pytest.raises(VaultClosed):
        vault.get_setting("x")


def test_sqlcipher_settings(vault: Vault) -> None:
    conn = vault.conn
    assert conn.execute("PRAGMA cipher_memory_security").fetchone()[0] in (1, "1")
    assert conn.execute("PRAGMA temp_store").fetchone()[0] == 2
    assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA cipher_page_size").fetchone()[0] in (16384, "16384")
    assert conn.execute("PRAGMA cipher_integrity_check").fetchall() == []


def test_home_default_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SATCHEL_HOME", str(tmp_path / "envhome"))
    assert Home().path == tmp_path / "envhome"
    monkeypatch.delenv("SATCHEL_HOME")
    assert Home().path.name == "Satchel"


def test_a_reader_connection_reads_beside_a_write_transaction(vault: Vault) -> None:
    """An import holds the main connection's transaction while its worker thread reads a
    download kept in the vault through a second, read-only connection."""
    import threading

    vault.set_setting("sync.x", "committed")
    with vault.reader() as reader, vault.transaction() as conn:
        conn.execute("UPDATE settings SET value = '\"uncommitted\"' WHERE key = 'sync.x'")
        got: list[object] = []
        t = threading.Thread(target=lambda: got.append(reader.fetchone(
            "SELECT value FROM settings WHERE key = 'sync.x'")[0]))
        t.start()
        t.join(10)
        assert got == ['"committed"']
        with pytest.raises(sqlcipher3.DatabaseError):
            reader.fetchone("DELETE FROM settings")   # read-only


@pytest.mark.parametrize("how", ["lock", "wipe"])
def test_a_reader_is_closed_by_a_lock_or_a_wipe(vault: Vault, home: Path, how: str) -> None:
    from app.errors import VaultClosed
    from app.wipe import panic_wipe

    with vault.reader() as reader:
        assert reader.fetchone("SELECT count(*) FROM settings") is not None
        if how == "lock":
            vault.close()
        else:
            panic_wipe(home)
        with pytest.raises(VaultClosed):
            reader.fetchone("SELECT count(*) FROM settings")
    with pytest.raises(VaultClosed):
        with vault.reader():
            pass
