"""Migrations: a vault made at every earlier schema version opens and keeps its data."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from support import FAST_MS

from app import vault as vault_mod
from app.errors import VaultDamaged
from app.home import Home
from app.schema import MIGRATIONS, SCHEMA_VERSION
from app.vault import Vault
from crypto.kdf import calibrate
from crypto.keyslots import ROLE_VAULT, KeyRecord
from crypto.keystore import KeyStore

PASS = "pw"


def make_old_vault(home_path: Path, version: int) -> None:
    """A vault as an older Satchel wrote it: schema stopped at `version`."""
    home = Home(home_path)
    home.ensure()
    data_key = bytearray(secrets.token_bytes(32))
    record = KeyRecord.new(calibrate(FAST_MS))
    record.seal_slot(0, record.derive(PASS), ROLE_VAULT, data_key)
    conn = vault_mod._connect(home.db_path, data_key)
    vault_mod._migrate(conn, target=version)
    if version >= 1:
        conn.execute("INSERT INTO settings VALUES ('ui.language', '\"ar\"')")
    conn.close()
    KeyStore.create(home.key_path, record)


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
def test_migrates_from_every_earlier_version(tmp_path: Path, version: int) -> None:
    make_old_vault(tmp_path / "h", version)
    with Vault.unlock(tmp_path / "h", PASS) as v:
        assert v.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        if version >= 1:
            assert v.get_setting("ui.language") == "ar"
        tables = {r[0] for r in v.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"settings", "packs", "pages", "progress", "notes"} <= tables


def test_a_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    make_old_vault(tmp_path / "h", SCHEMA_VERSION)
    home = Home(tmp_path / "h")
    v = Vault.unlock(home, PASS)
    v.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    v.close()
    before = home.db_path.read_bytes()
    with pytest.raises(VaultDamaged) as err:
        Vault.unlock(home, PASS)
    assert "newer Satchel" in str(err.value)
    assert home.db_path.read_bytes() == before


def test_every_step_is_listed_once() -> None:
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 3


def _fts_config(v: Vault) -> dict[str, object]:
    return dict(v.conn.execute("SELECT k, v FROM page_search_config").fetchall())


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
def test_migrated_vault_has_the_larger_fts5_buffer(tmp_path: Path, version: int) -> None:
    make_old_vault(tmp_path / "h", version)
    with Vault.unlock(tmp_path / "h", PASS) as v:
        config = _fts_config(v)
        assert config["hashsize"] == 16777216
        assert config["pgsz"] == 16000
        # The index still checks out and takes rows with the new settings.
        v.conn.execute("INSERT INTO page_search (page_search) VALUES ('integrity-check')")
    with Vault.unlock(tmp_path / "h", PASS) as v:  # kept across a reopen, not applied twice
        assert _fts_config(v)["hashsize"] == 16777216
        rows = v.conn.execute("SELECT count(*) FROM page_search_config WHERE k = 'hashsize'").fetchone()[0]
        assert rows == 1


def test_new_vault_has_the_larger_fts5_buffer(tmp_path: Path) -> None:
    with Vault.create(tmp_path / "h", PASS, iter_time_ms=FAST_MS) as v:
        assert v.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        config = _fts_config(v)
        assert (config["hashsize"], config["pgsz"]) == (16777216, 16000)
