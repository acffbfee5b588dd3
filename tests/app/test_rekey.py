"""A passphrase change re-encrypts the database under a new data key. A crash between
its steps leaves a vault that opens with exactly one passphrase, whichever the database
shows is in force, and the first unlock settles the key file to match.

The crash states are built with the real key file and the real SQLCipher re-key, as the
steps of app.passphrases leave them (the kill tests reach them at random as well)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import FAST_MS

from app import keyfile, vaultdb
from app.errors import WrongPassphrase
from app.home import Home
from app.vault import Vault
from crypto.keyslots import ROLE_VAULT, KeyRecord, new_data_key

OLD, NEW = "old passphrase", "new passphrase"


def crash_state(home: Path, rekeyed: bool) -> tuple[bytes, bytes]:
    """A vault whose passphrase change stopped after step 1 (the key file names both
    passphrases) and, if `rekeyed`, after step 2 too (the database is under the new key).
    Returns (old key, new key)."""
    with Vault.create(home, OLD, iter_time_ms=FAST_MS) as v:
        v.set_setting("note", "kept across the change")
        v.set_duress("duress")
        old_key, old_slot = bytearray(v._key), v.slot
    h = Home(home)
    record = keyfile.read(h).record
    derived, new_key = record.derive(NEW), new_data_key()
    duress = record.open_slot(record.derive("duress"))
    assert duress is not None
    new_slot = record.free_slot({old_slot, duress.index})

    def begin(r: KeyRecord) -> None:
        r.seal_slot(new_slot, derived, ROLE_VAULT, new_key, previous=old_key)
        r.rekey_from, r.rekey_to = old_slot, new_slot

    keyfile.update(h, begin)
    if rekeyed:
        conn = vaultdb.connect(h.db_path, old_key)
        fresh, done = vaultdb.rekey(conn, h.db_path, old_key, new_key)
        fresh.close()
        assert done
    return bytes(old_key), bytes(new_key)


def works(home: Path, passphrase: str) -> bool:
    try:
        with Vault.unlock(home, passphrase) as v:
            assert v.get_setting("note") == "kept across the change"
        return True
    except WrongPassphrase:
        return False


@pytest.mark.parametrize("first", [OLD, NEW])
def test_crash_before_the_database_was_reencrypted(home: Path, first: str) -> None:
    old_key, _ = crash_state(home, rekeyed=False)
    assert works(home, first) == (first == OLD)
    # Whichever passphrase came first, the change is undone: only the old one works.
    assert [works(home, p) for p in (OLD, NEW)] == [True, False]
    record = keyfile.read(Home(home)).record
    assert not record.rekeying and record.open_slot(record.derive(NEW)) is None
    assert vaultdb.try_connect(home / "data", old_key) is not None


@pytest.mark.parametrize("first", [OLD, NEW])
def test_crash_after_the_database_was_reencrypted(home: Path, first: str) -> None:
    old_key, new_key = crash_state(home, rekeyed=True)
    assert works(home, first) == (first == NEW)
    # Whichever passphrase came first, the change is completed: only the new one works.
    assert [works(home, p) for p in (OLD, NEW)] == [False, True]
    record = keyfile.read(Home(home)).record
    assert not record.rekeying and record.open_slot(record.derive(OLD)) is None
    opened = record.open_slot(record.derive(NEW))
    assert opened is not None and bytes(opened.key) == new_key
    assert opened.previous is None  # the old key is no longer kept anywhere in the file
    assert vaultdb.try_connect(home / "data", old_key) is None
    # The duress passphrase went through the change untouched.
    hit = record.open_slot(record.derive("duress"))
    assert hit is not None and hit.role == 2


def test_change_reports_progress_and_the_vault_carries_on(home: Path) -> None:
    with Vault.create(home, OLD, iter_time_ms=FAST_MS) as v:
        with v.transaction() as conn:
            conn.execute("CREATE TABLE filler (x)")
            for _ in range(200):
                conn.execute("INSERT INTO filler VALUES (randomblob(20000))")
        seen: list[tuple[int, int]] = []
        v.change_passphrase(NEW, progress=lambda d, t: seen.append((d, t)))
        assert seen and seen[-1][0] == seen[-1][1] > 4_000_000
        assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:], strict=False))
        assert v.conn.execute("SELECT count(*) FROM filler").fetchone()[0] == 200
        v.set_setting("after", 1)
    assert [works_plain(home, p) for p in (OLD, NEW)] == [False, True]


def works_plain(home: Path, passphrase: str) -> bool:
    try:
        Vault.unlock(home, passphrase).close()
        return True
    except WrongPassphrase:
        return False
