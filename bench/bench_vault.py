"""Vault figures (issue 2): key destruction on a 1 GB vault against the bare cost of
overwriting and unlinking a 16 KB file; opening the vault once the key is derived."""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3

from bench.common import median_time, report, workdir

from app import vault as vault_mod
from app.vault import Vault
from app.wipe import panic_wipe
from crypto.secure import destroy_file

GB = 1 << 30


def _fill(vault: Vault, size: int) -> None:
    chunk = os.urandom(1 << 20)
    with vault.transaction() as conn:
        conn.execute("CREATE TABLE filler (data BLOB)")
        for _ in range(size // len(chunk)):
            conn.execute("INSERT INTO filler VALUES (?)", (chunk,))
    vault.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def bench_key_destruction(runs: int = 3) -> None:
    with workdir() as tmp:
        template = tmp / "template"
        v = Vault.create(template, "pw", iter_time_ms=5)
        _fill(v, GB)
        v.close()
        size = (template / "data").stat().st_size
        key_times, total_times = [], []
        for i in range(runs):
            home = tmp / f"home{i}"
            shutil.copytree(template, home)
            opened = Vault.unlock(home, "pw")  # an open vault, as during a real panic
            report_ = panic_wipe(home)
            key_times.append(report_.key_seconds)
            total_times.append(report_.total_seconds)
            opened.close()

        def bare() -> None:
            p = tmp / "bare"
            with open(p, "wb") as f:
                f.write(secrets.token_bytes(16 * 1024))
                f.flush()
                os.fsync(f.fileno())
            destroy_file(p)

        base = median_time(bare, runs=20)
        key = sorted(key_times)[len(key_times) // 2]
        total = sorted(total_times)[len(total_times) // 2]
        report(f"panic wipe, key destroyed ({size / GB:.2f} GB vault)", f"{key * 1000:.2f} ms",
               "overwrite+fsync+unlink a 16 KB file", f"{base * 1000:.2f} ms", key / base,
               "< 10 ms", key < 0.010)
        report("panic wipe, everything removed (same vault)", f"{total * 1000:.1f} ms",
               "key destroyed", f"{key * 1000:.2f} ms", total / key)


def bench_open() -> None:
    with workdir() as tmp:
        v = Vault.create(tmp / "h", "pw", iter_time_ms=5)
        v.set_setting("x", 1)
        data_key = bytes(v._key)
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
    bench_key_destruction()
    bench_open()


if __name__ == "__main__":
    main()
