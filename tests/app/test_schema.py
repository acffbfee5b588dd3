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


# --- The search index rebuilt with word forms (issue 13) ------------------------------

# The step that rebuilds the index; vaults made at any version before it hold the old
# two-column index (words and bigrams, no stems, no chapter column).
WORD_FORMS = next(i for i, step in enumerate(MIGRATIONS) if getattr(step, "__name__", "") == "_search_with_word_forms")
INDEXED_VERSIONS = range(2, WORD_FORMS + 1)  # the library (and its index) came with 1 -> 2

OLD_PAGES = {
    "pages/pm.md": ("Password managers", "# Password managers\n\nA password manager keeps one strong password.\n"),
    "pages/zh.md": ("密碼", "# 密碼\n\n使用強密碼。\n"),
    "pages/ar.md": ("تشفير", "# تشفير\n\nتشفير القرص يحمي الملفات.\n"),
}


def make_indexed_old_vault(home_path: Path, version: int = WORD_FORMS) -> bytearray:
    """A vault as Satchel wrote it at `version` (before word forms): a pack whose pages
    were indexed by the tokenizer of that time (words and bigrams, no stems, no chapter
    column)."""
    import zlib

    from app.textindex import index_text

    home = Home(home_path)
    home.ensure()
    data_key = bytearray(secrets.token_bytes(32))
    record = KeyRecord.new(calibrate(FAST_MS))
    record.seal_slot(0, record.derive(PASS), ROLE_VAULT, data_key)
    conn = vault_mod._connect(home.db_path, data_key)
    vault_mod._migrate(conn, target=version)
    conn.execute("BEGIN")
    for pack_id, lang in (("org.old.en", "en"), ("org.old.zh", "zh-Hant"), ("org.old.ar", "ar")):
        conn.execute(
            "INSERT INTO packs (id, version, title, language, kind, signer, trust_source, manifest, signature, "
            "size, sha256, imported_at) VALUES (?, 1, ?, ?, 'guide', 'k', 'manual', x'', '', 0, '', 0)",
            (pack_id, pack_id, lang),
        )
        conn.execute("INSERT INTO chapters (pack_id, seq, title) VALUES (?, 0, 'Basics')", (pack_id,))
    chapter = {r[0]: r[1] for r in conn.execute("SELECT pack_id, id FROM chapters")}
    owner = {"pages/pm.md": "org.old.en", "pages/zh.md": "org.old.zh", "pages/ar.md": "org.old.ar"}
    for i, (path, (title, markdown)) in enumerate(OLD_PAGES.items(), start=1):
        stored: str | bytes = markdown
        if path == "pages/ar.md":  # kept as the pack's raw DEFLATE stream, as the importer may
            comp = zlib.compressobj(9, zlib.DEFLATED, -15)
            stored = comp.compress(markdown.encode()) + comp.flush()
        conn.execute(
            "INSERT INTO pages (id, pack_id, path, chapter_id, seq, title, kind, markdown) "
            "VALUES (?, ?, ?, ?, 0, ?, 'page', ?)",
            (i, owner[path], path, chapter[owner[path]], title, stored),
        )
        body = markdown.split("\n", 2)[2]
        # The old index: no stems; Traditional Chinese not folded (as the old code had it).
        old = (lambda t: t) if path != "pages/zh.md" else (lambda t: " ".join(
            [t[j:j + 2] for j in range(len(t) - 1)] + [t[-1]]))
        tokens_title = index_text(title) if path != "pages/zh.md" else old("密碼")
        tokens_body = index_text(body) if path != "pages/zh.md" else old("使用強密碼")
        conn.execute("INSERT INTO page_search (rowid, title, body) VALUES (?, ?, ?)", (i, tokens_title, tokens_body))
    conn.execute("COMMIT")
    conn.close()
    KeyStore.create(home.key_path, record)
    return data_key


def test_the_word_forms_step_is_the_last_of_the_search_index() -> None:
    # No later step touches the index the rebuild makes (another would need its own rebuild).
    assert 2 <= WORD_FORMS < SCHEMA_VERSION
    assert not any(isinstance(step, str) and "page_search" in step for step in MIGRATIONS[WORD_FORMS + 1:])


@pytest.mark.parametrize("version", INDEXED_VERSIONS)
def test_an_old_vault_is_reindexed_and_finds_word_forms(tmp_path: Path, version: int) -> None:
    from app.search import search

    make_indexed_old_vault(tmp_path / "h", version)
    with Vault.unlock(tmp_path / "h", PASS) as v:
        assert v.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert [(h.pack, h.page) for h in search(v, "managers")] == [("org.old.en", "pages/pm.md")]
        assert [h.page for h in search(v, "passwords")] == ["pages/pm.md"]  # the page says "password"
        assert [h.page for h in search(v, "密码")] == ["pages/zh.md"]  # Simplified finds Traditional
        assert [h.page for h in search(v, "التشفير")] == ["pages/ar.md"]  # the page has no article
        assert search(v, "basics")[0].chapter == "Basics"  # the chapter column is filled
        assert v.conn.execute("SELECT count(*) FROM page_vocab WHERE term = 'password'").fetchone()[0] == 1
        v.conn.execute("INSERT INTO page_search (page_search) VALUES ('integrity-check')")
        assert _fts_config(v)["hashsize"] == 16777216


def test_a_failed_reindex_leaves_the_old_vault_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.searchindex
    from app.search import search

    data_key = make_indexed_old_vault(tmp_path / "h")
    home = Home(tmp_path / "h")

    def broken(conn: object, progress: object = None) -> int:
        conn.execute("INSERT INTO page_search (rowid, title, body, chapter) VALUES (99, 'x', 'x', 'x')")  # type: ignore[attr-defined]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(app.searchindex, "rebuild_search_index", broken)
    with pytest.raises(OSError):
        Vault.unlock(home, PASS)
    conn = vault_mod._connect(home.db_path, data_key)
    try:  # still the version before: the old two-column index with its three rows, no vocabulary
        assert conn.execute("PRAGMA user_version").fetchone()[0] == WORD_FORMS
        assert [r[0] for r in conn.execute("SELECT rowid FROM page_search ORDER BY rowid")] == [1, 2, 3]
        columns = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'page_search'").fetchone()[0]
        assert "chapter" not in columns
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'page_vocab'").fetchone()[0] == 0
    finally:
        conn.close()
    monkeypatch.undo()
    with Vault.unlock(home, PASS) as v:  # the migration runs again, whole, and succeeds
        assert v.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert [h.page for h in search(v, "passwords")] == ["pages/pm.md"]
