"""Vault figures (issues 2 and 11), each beside a baseline measured in the same run:
- the panic wipe's key step (the key file overwritten in place, flushed, unlinked, its
  folder flushed) on a 1 GB vault that is open, against the same four system calls on
  a file of the same size done bare;
- a key-file update in place (two 4 KiB writes, each flushed) against the same two
  writes and flushes done bare;
- re-encrypting a 1 GB vault under a new key (a passphrase change) against copying
  the database file (read, write, fsync the same gigabyte);
- opening the vault once the key is derived, and the default unlock.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import time
from pathlib import Path

from bench.common import median_time, report, workdir

from app import vault as vault_mod
from app.vault import Vault
from app.wipe import panic_wipe
from crypto.keystore import KEYFILE_SIZE, KeyStore
from crypto.secure import fsync_dir

GB = 1 << 30


def _fill(vault: Vault, size: int) -> None:
    chunk = os.urandom(1 << 20)
    with vault.transaction() as conn:
        conn.execute("CREATE TABLE filler (data BLOB)")
        for _ in range(size // len(chunk)):
            conn.execute("INSERT INTO filler VALUES (?)", (chunk,))
    vault.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _bare_destroy(folder: Path) -> float:
    """Overwrite + fdatasync + unlink + folder fsync of a key-sized file, plain os calls."""
    path = folder / "bare"
    with open(path, "wb") as f:
        f.write(os.urandom(KEYFILE_SIZE))
        f.flush()
        os.fsync(f.fileno())
    start = time.perf_counter()
    fd = os.open(path, os.O_RDWR)
    os.pwrite(fd, os.urandom(KEYFILE_SIZE), 0)
    os.fdatasync(fd)
    os.close(fd)
    os.unlink(path)
    fsync_dir(folder)
    return time.perf_counter() - start


def bench_key_destruction(template: Path, tmp: Path, runs: int = 5) -> None:
    size = (template / "data").stat().st_size
    key_times, total_times, bare_times = [], [], []
    for i in range(runs):
        home = tmp / f"home{i}"
        shutil.copytree(template, home)
        opened = Vault.unlock(home, "pw")  # an open vault, as during a real panic
        bare_times.append(_bare_destroy(tmp))
        report_ = panic_wipe(home)
        key_times.append(report_.key_seconds)
        total_times.append(report_.total_seconds)
        opened.wait_closed()
    key, total, bare = (statistics.median(t) for t in (key_times, total_times, bare_times))
    report(f"panic wipe, key destroyed ({size / GB:.2f} GB vault, open)", f"{key * 1000:.2f} ms",
           "the same syscalls on an 8 KiB file, bare", f"{bare * 1000:.2f} ms", key / bare, "< 10 ms", key < 0.010)
    report("panic wipe, everything removed (same vault)", f"{total * 1000:.1f} ms",
           "key destroyed", f"{key * 1000:.2f} ms", total / key)


def bench_key_update(tmp: Path) -> None:
    home = tmp / "kf"
    v = Vault.create(home, "pw", iter_time_ms=5)
    v.close()
    store = KeyStore(home / "key")

    def bump() -> None:
        store.update(lambda r: setattr(r, "fail_count", (r.fail_count + 1) % 100))

    bare_path = tmp / "bare8k"
    fd = os.open(bare_path, os.O_RDWR | os.O_CREAT, 0o600)
    os.pwrite(fd, os.urandom(KEYFILE_SIZE), 0)
    os.fsync(fd)
    turn = [0]

    def bare() -> None:
        # What an update must do at least: the new half written and flushed, then the old.
        turn[0] ^= 1
        os.pwrite(fd, os.urandom(4096), 4096 * turn[0])
        os.fdatasync(fd)
        os.pwrite(fd, os.urandom(4096), 4096 * (1 - turn[0]))
        os.fdatasync(fd)

    try:
        t_update = median_time(bump, runs=21)
        t_bare = median_time(bare, runs=21)
    finally:
        os.close(fd)
    report("key-file update in place (a failed unlock, duress set...)", f"{t_update * 1000:.2f} ms",
           "two 4 KiB pwrite + fdatasync, bare", f"{t_bare * 1000:.2f} ms", t_update / t_bare)


def bench_rekey(template: Path, tmp: Path, runs: int = 3) -> None:
    size = (template / "data").stat().st_size
    rekey_times, copy_times = [], []
    for i in range(runs):
        home = tmp / f"rekey{i}"
        shutil.copytree(template, home)
        v = Vault.unlock(home, "pw")
        rekey_times.append(median_time(lambda v=v, i=i: v.change_passphrase(f"new {i}"), runs=1))
        v.close()

        def copy(home: Path = home) -> None:
            with open(home / "data", "rb") as src, open(tmp / "copy", "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
                dst.flush()
                os.fsync(dst.fileno())

        copy_times.append(median_time(copy, runs=1))
        (tmp / "copy").unlink()
        shutil.rmtree(home)
    rekey, copy_t = statistics.median(rekey_times), statistics.median(copy_times)
    report(f"passphrase change, database re-encrypted ({size / GB:.2f} GB)", f"{rekey:.1f} s",
           "copy the database file (read + write + fsync)", f"{copy_t:.1f} s", rekey / copy_t)


def bench_open() -> None:
    with workdir() as tmp:
        v = Vault.create(tmp / "h", "pw", iter_time_ms=5)
        v.set_setting("x", 1)
        data_key = bytearray(v._key)
        v.close()
        db = tmp / "h" / "data"

        def ours() -> None:
            conn = vault_mod._connect(db, data_key)
            vault_mod._migrate(conn)
            conn.close()

        plain = tmp / "plain.db"
        c = sqlite3.connect(plain)
        c.execute("CREATE TABLE t (x)")
        c.commit()
        c.close()

        def bare() -> None:
            conn = sqlite3.connect(plain)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            conn.close()

        t_ours = median_time(ours, runs=21)
        t_bare = median_time(bare, runs=21)
        report("open the vault with the derived key (SQLCipher, settings, schema check)",
               f"{t_ours * 1000:.2f} ms", "open a plain SQLite file", f"{t_bare * 1000:.2f} ms", t_ours / t_bare)
        home = tmp / "default"
        Vault.create(home, "pw").close()  # the real default: about 500 ms of Argon2id
        t_unlock = median_time(lambda: Vault.unlock(home, "pw").close(), runs=3)
        report("unlock with the default key derivation", f"{t_unlock * 1000:.0f} ms",
               "open with the derived key", f"{t_ours * 1000:.2f} ms", t_unlock / t_ours, "about 500 ms")


def main() -> None:
    with workdir() as tmp:
        template = tmp / "template"
        v = Vault.create(template, "pw", iter_time_ms=5)
        _fill(v, GB)
        v.close()
        bench_key_destruction(template, tmp)
        bench_key_update(tmp)
        bench_rekey(template, tmp)
    bench_open()


if __name__ == "__main__":
    main()
