"""Panic wipe: key first, then everything else; never raises; twice is harmless."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
import sqlcipher3
from support import FAST_MS

from app.errors import HomeUnusable, NoVault, SatchelError
from app.vault import Vault
from app.wipe import panic_wipe
from app.home import MARKER
from app.vaultdb import try_connect
from crypto.keystore import interpret

PASS = "correct horse"


def test_wipe_removes_every_file_and_reports(vault: Vault, home: Path) -> None:
    vault.set_setting("x", "y")
    report = panic_wipe(home)
    assert report.key_destroyed
    assert "key" in report.removed and "data" in report.removed
    assert not home.exists() or list(home.iterdir()) == []
    with pytest.raises(NoVault):
        Vault.unlock(home, PASS)


def test_wipe_drops_the_open_vaults_keys(vault: Vault, home: Path) -> None:
    panic_wipe(home)
    with pytest.raises(SatchelError):
        vault.get_setting("x")
    assert all(b == 0 for b in vault._key)


def test_data_is_undecryptable_after_the_key_file_is_gone(vault: Vault, home: Path, tmp_path: Path) -> None:
    """A forensic examiner who kept a copy of the database and has the passphrase."""
    vault.set_setting("secret", "names of contacts")
    vault.close()
    copy = tmp_path / "seized-data"
    shutil.copy(home / "data", copy)
    kf_before = interpret((home / "key").read_bytes()).record
    panic_wipe(home)
    shutil.copy(copy, home.parent / "restored")
    # The passphrase alone, tried as SQLCipher's own passphrase, opens nothing.
    conn = sqlcipher3.connect(str(home.parent / "restored"))
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = '{PASS}'")
    with pytest.raises(sqlcipher3.DatabaseError):
        conn.execute("SELECT * FROM settings").fetchall()
    # Neither does the key the passphrase derives (it only ever unwrapped the data key).
    derived = kf_before.derive(PASS)
    assert try_connect(home.parent / "restored", derived) is None
    assert b"names of contacts" not in copy.read_bytes()


def test_key_file_is_overwritten_before_unlink(vault: Vault, home: Path) -> None:
    """Catch the key file's inode: after the wipe its bytes are not the old bytes."""
    vault.close()
    original = (home / "key").read_bytes()
    keep = open(home / "key", "rb")  # a handle keeps the inode alive past the unlink
    try:
        panic_wipe(home)
        keep.seek(0)
        after = keep.read()
    finally:
        keep.close()
    assert len(after) == len(original)
    assert after != original
    assert sum(a == b for a, b in zip(after, original, strict=True)) < len(original) // 16


def test_wipe_twice_and_on_missing_home(vault: Vault, home: Path, tmp_path: Path) -> None:
    panic_wipe(home)
    second = panic_wipe(home)
    assert second.removed == [] and second.failed == []
    assert panic_wipe(tmp_path / "never-existed").removed == []


@pytest.mark.parametrize("leftover", ["key-only", "data-only", "temp-file", "journals"])
def test_wipe_half_written_or_half_wiped_home(home: Path, leftover: str) -> None:
    Vault.create(home, PASS, iter_time_ms=FAST_MS).close()
    if leftover == "key-only":
        (home / "data").unlink()
    elif leftover == "data-only":
        (home / "key").unlink()
    elif leftover == "temp-file":
        (home / ".tmp-0123456789abcdef").write_bytes(b"half a key file")
    else:
        (home / "data-wal").write_bytes(b"x")
        (home / "data-journal").write_bytes(b"x")
    panic_wipe(home)
    assert not home.exists()


def test_wipe_removes_everything_under_satchels_own_home(home: Path) -> None:
    """Whatever later features keep in the home (a tor folder, caches) goes too."""
    Vault.create(home, PASS, iter_time_ms=FAST_MS).close()
    (home / "tor" / "keys").mkdir(parents=True)
    secret = home / "tor" / "keys" / "hs_ed25519_secret_key"
    secret.write_bytes(b"onion service key " * 10)
    (home / "cache.bin").write_bytes(b"x" * 3_000_000)  # unlinked without an overwrite
    (home / "link").symlink_to("/etc/hostname")
    keep = open(secret, "rb")  # to look at the inode's bytes after the unlink
    try:
        report = panic_wipe(home)
        keep.seek(0)
        assert b"onion" not in keep.read()  # small files are overwritten before the unlink
    finally:
        keep.close()
    assert report.removed[0] == "key" and not report.failed
    assert not home.exists()
    assert Path("/etc/hostname").exists()  # a link is removed, never followed


def test_wipe_in_a_folder_satchel_does_not_own_removes_only_satchels_names(home: Path, tmp_path: Path) -> None:
    """A mistyped `satchel wipe --home ~/Documents` must not empty the folder."""
    Vault.create(home, PASS, iter_time_ms=FAST_MS).close()
    (home / MARKER).unlink()  # as in a folder Satchel did not create
    (home / "holiday.jpg").write_bytes(b"not ours")
    (home / "letters").mkdir()
    report = panic_wipe(home)
    assert report.key_destroyed
    assert sorted(p.name for p in home.iterdir()) == ["holiday.jpg", "letters"]


def test_a_vault_goes_only_into_a_folder_of_its_own(tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "letter.txt").write_text("private")
    with pytest.raises(HomeUnusable) as err:
        Vault.create(folder, PASS, iter_time_ms=FAST_MS)
    assert "folder of its own" in str(err.value)
    assert sorted(p.name for p in folder.iterdir()) == ["letter.txt"]


def test_wipe_from_another_thread_while_the_vault_is_busy(vault: Vault, home: Path) -> None:
    with vault.transaction() as conn:
        conn.execute("CREATE TABLE busy (x)")
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                with vault.transaction() as conn:
                    conn.execute("INSERT INTO busy VALUES (randomblob(1000))")
        except BaseException as exc:  # the wipe ends this loop one way or another
            errors.append(exc)

    t = threading.Thread(target=reader)
    t.start()
    time.sleep(0.2)
    report = panic_wipe(home)
    t.join(timeout=10)
    stop.set()
    assert not t.is_alive()
    assert report.key_destroyed
    assert errors, "the busy thread must be stopped by the wipe"
    assert not home.exists() or list(home.iterdir()) == []


def test_key_destruction_is_fast_on_a_large_vault(vault: Vault, home: Path) -> None:
    """Not a timing assertion: checks the order (key first) through the report."""
    with vault.transaction() as conn:
        conn.execute("CREATE TABLE big (x)")
        for _ in range(50):
            conn.execute("INSERT INTO big VALUES (randomblob(1000000))")
    report = panic_wipe(home)
    assert report.removed[0] == "key"
    assert report.key_seconds <= report.total_seconds


def test_wipe_runs_hooks_and_removes_the_home_folders_of_other_rooms(vault: Vault, home: Path) -> None:
    """sync keeps tor's data in home/cache and registers a hook that stops tor: the wipe
    runs the hook after the key is gone and removes the folder, links never followed."""
    from app import wipe

    cache = home / "cache"
    (cache / "keys").mkdir(parents=True)
    (cache / "state").write_text("Guard in EntryGuard guard1 0123456789ABCDEF\n")
    (cache / "cached-microdescs").write_bytes(b"m" * (wipe.SMALL_FILE + 10))
    outside = home.parent / "outside"
    outside.mkdir()
    (outside / "keep").write_text("not Satchel's")
    (cache / "link").symlink_to(outside)
    seen: list[bool] = []

    def hook() -> None:
        seen.append((home / "key").exists())

    wipe.register_wipe_hook(hook)
    try:
        report = panic_wipe(home)
    finally:
        wipe._hooks.remove(hook)
    assert seen == [False]                       # ran, and only after the key file was destroyed
    assert not cache.exists() and "cache" in report.removed
    assert (outside / "keep").read_text() == "not Satchel's"


def test_a_failing_hook_does_not_stop_the_wipe(vault: Vault, home: Path) -> None:
    from app import wipe

    def broken() -> None:
        raise RuntimeError("boom")

    wipe.register_wipe_hook(broken)
    try:
        report = panic_wipe(home)
    finally:
        wipe._hooks.remove(broken)
    assert report.key_destroyed and not (home / "data").exists()
