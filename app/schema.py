"""The vault's schema and its migrations.

`PRAGMA user_version` holds the schema version. MIGRATIONS[i] takes a database from
version i to i + 1: SQL statements, or a Python function of the connection for steps
SQL cannot do (rebuilding the search index from the stored pages). Every step runs
inside one transaction, so a crash mid-migration leaves the previous version intact.
Never edit a released step: add a new one, and a test that migrates from every earlier
version (tests/app/test_schema.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# The tokenizer must match app.textindex.FTS_TOKENIZE at the time the step was written;
# a later change of tokenizer gets its own migration that rebuilds the index.
_FTS_TOKENIZE_V2 = "unicode61 remove_diacritics 0 categories 'L* M* N* P* S* Co'"

Step = str | Callable[[Any], None]


def _search_with_word_forms(conn: Any) -> None:
    """8 -> 9: the index gains word forms (stems), Traditional Chinese folded to
    Simplified, Arabic words found with or without the article, and a column for the
    chapter title (title and chapter tokens also marked, so title matches are found
    without reading the text's postings); a vocabulary view over the index suggests
    spellings. Rebuilt from the pages."""
    from app.searchindex import rebuild_search_index

    conn.execute("DROP TABLE page_search")
    conn.execute(
        "CREATE VIRTUAL TABLE page_search USING fts5(title, body, chapter, content='', contentless_delete=1, "
        f'tokenize="{_FTS_TOKENIZE_V2}")'
    )
    conn.execute("INSERT INTO page_search (page_search, rank) VALUES ('hashsize', 16777216)")
    conn.execute("INSERT INTO page_search (page_search, rank) VALUES ('pgsz', 16000)")
    conn.execute("CREATE VIRTUAL TABLE page_vocab USING fts5vocab(page_search, 'row')")
    rebuild_search_index(conn)


MIGRATIONS: list[Step] = [
    # 0 -> 1: settings that could say something about the user live inside the vault.
    """
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 1 -> 2: the library (packs, their original signed bytes, pages, media), its search
    # index, and trust (keys trusted by hand, the newest trust list, version floors).
    f"""
    CREATE TABLE packs (
        id            TEXT PRIMARY KEY,
        version       INTEGER NOT NULL,
        title         TEXT NOT NULL,
        language      TEXT NOT NULL,
        kind          TEXT NOT NULL,
        signer        TEXT NOT NULL,
        signer_name   TEXT NOT NULL DEFAULT '',
        trust_source  TEXT NOT NULL,
        sample        INTEGER NOT NULL DEFAULT 0,
        manifest      BLOB NOT NULL,
        signature     TEXT NOT NULL,
        size          INTEGER NOT NULL,
        sha256        TEXT NOT NULL,
        imported_at   INTEGER NOT NULL
    );
    CREATE TABLE pack_chunks (
        pack_id TEXT NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
        seq     INTEGER NOT NULL,
        data    BLOB NOT NULL,
        UNIQUE (pack_id, seq)
    );
    CREATE TABLE chapters (
        id      INTEGER PRIMARY KEY,
        pack_id TEXT NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
        seq     INTEGER NOT NULL,
        title   TEXT NOT NULL
    );
    CREATE TABLE pages (
        id         INTEGER PRIMARY KEY,
        pack_id    TEXT NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
        path       TEXT NOT NULL,
        chapter_id INTEGER REFERENCES chapters(id) ON DELETE CASCADE,
        seq        INTEGER NOT NULL,
        title      TEXT NOT NULL,
        kind       TEXT NOT NULL DEFAULT 'page',
        markdown   TEXT NOT NULL,
        UNIQUE (pack_id, path)
    );
    CREATE TABLE media (
        pack_id TEXT NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
        path    TEXT NOT NULL,
        size    INTEGER NOT NULL,
        sha256  TEXT NOT NULL,
        PRIMARY KEY (pack_id, path)
    );
    CREATE VIRTUAL TABLE page_search USING fts5(
        title, body, content='', contentless_delete=1,
        tokenize="{_FTS_TOKENIZE_V2}"
    );
    CREATE TABLE trusted_keys (
        key_id     TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        name       TEXT NOT NULL DEFAULT '',
        added_at   INTEGER NOT NULL
    );
    CREATE TABLE trust_list (
        id        INTEGER PRIMARY KEY CHECK (id = 1),
        version   INTEGER NOT NULL,
        document  BLOB NOT NULL,
        signature TEXT NOT NULL
    );
    CREATE TABLE version_floors (
        subject TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        key_id  TEXT
    );
    """,
    # 2 -> 3: study: progress, quiz answers, bookmarks, notes, reading position. Keyed
    # by (pack id, page path) so they survive a pack's update to a newer version.
    """
    CREATE TABLE progress (
        pack_id    TEXT NOT NULL,
        page_path  TEXT NOT NULL,
        visited_at INTEGER NOT NULL,
        completed  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (pack_id, page_path)
    );
    CREATE TABLE quiz_answers (
        pack_id     TEXT NOT NULL,
        page_path   TEXT NOT NULL,
        question    INTEGER NOT NULL,
        answer      TEXT NOT NULL,
        correct     INTEGER NOT NULL,
        answered_at INTEGER NOT NULL,
        PRIMARY KEY (pack_id, page_path, question)
    );
    CREATE TABLE bookmarks (
        pack_id    TEXT NOT NULL,
        page_path  TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (pack_id, page_path)
    );
    CREATE TABLE notes (
        pack_id    TEXT NOT NULL,
        page_path  TEXT NOT NULL,
        body       TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (pack_id, page_path)
    );
    CREATE TABLE reading_position (
        pack_id    TEXT PRIMARY KEY,
        page_path  TEXT NOT NULL,
        scroll     REAL NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL
    );
    """,
    # 3 -> 4: FTS5 gathers up to 16 MiB of new index in memory before writing a segment
    # (its default is 1 MiB), so importing a pack writes its index in a few segments
    # instead of dozens that then have to be merged: about half the indexing time.
    """
    INSERT INTO page_search (page_search, rank) VALUES ('hashsize', 16777216);
    INSERT INTO page_search (page_search, rank) VALUES ('pgsz', 16000);
    """,
    # 4 -> 5: real training material. Checklist ticks, keyed like notes (pack id, page
    # path, item key) so they survive updates. Media kept once by SHA-256 whatever pack
    # brought it: a kept pack's stored media members live in media_blobs, and its
    # pack_chunks row then names the blob instead of holding the bytes (blob, blob_size),
    # so the signed pack can still be rebuilt byte for byte for re-sharing. Media a pack
    # shows but another pack carries (from_pack). What a pack says about itself
    # (licence, attribution, translation) and which other packs it uses.
    """
    CREATE TABLE checklist_ticks (
        pack_id    TEXT NOT NULL,
        page_path  TEXT NOT NULL,
        item       TEXT NOT NULL,
        ticked     INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (pack_id, page_path, item)
    );
    CREATE TABLE media_blobs (
        sha256 TEXT NOT NULL,
        seq    INTEGER NOT NULL,
        data   BLOB NOT NULL,
        UNIQUE (sha256, seq)
    );
    ALTER TABLE pack_chunks ADD COLUMN blob TEXT;
    ALTER TABLE pack_chunks ADD COLUMN blob_size INTEGER;
    ALTER TABLE media ADD COLUMN from_pack TEXT;
    CREATE INDEX media_by_hash ON media (sha256);
    ALTER TABLE packs ADD COLUMN licence TEXT NOT NULL DEFAULT '';
    ALTER TABLE packs ADD COLUMN attribution TEXT NOT NULL DEFAULT '';
    ALTER TABLE packs ADD COLUMN translation TEXT NOT NULL DEFAULT '';
    ALTER TABLE packs ADD COLUMN translated_from TEXT NOT NULL DEFAULT '';
    CREATE TABLE pack_uses (
        pack_id TEXT NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
        other   TEXT NOT NULL,
        title   TEXT NOT NULL,
        PRIMARY KEY (pack_id, other)
    );
    """,
    # 5 -> 6: what the newest import of each pack changed (app.changes), for the "What's
    # new" view: pages added, changed and removed against the version it replaced, as
    # JSON lists of [path, title]. Goes with the pack (cascade) when it is replaced or removed.
    """
    CREATE TABLE pack_changes (
        pack_id          TEXT PRIMARY KEY REFERENCES packs(id) ON DELETE CASCADE,
        version          INTEGER NOT NULL,
        previous_version INTEGER,
        added            TEXT NOT NULL,
        changed          TEXT NOT NULL,
        removed          TEXT NOT NULL
    );
    """,
    # 6 -> 7: sync over Tor. The repositories the user follows (their addresses say what
    # the user reads, so they live here, never in a plain file), and downloads in
    # progress, kept in rows so that an interrupted download resumes after a restart
    # without a byte of it ever touching a plain temporary file. The last index version
    # seen from each repository is a version floor (subject ':index:' + address).
    """
    CREATE TABLE repositories (
        url            TEXT PRIMARY KEY,
        added_at       INTEGER NOT NULL,
        client_key     TEXT,
        index_version  INTEGER,
        index_expires  INTEGER,
        last_sync      INTEGER
    );
    CREATE TABLE downloads (
        id          INTEGER PRIMARY KEY,
        repository  TEXT NOT NULL,
        sha256      TEXT NOT NULL,
        size        INTEGER NOT NULL,
        pack_id     TEXT NOT NULL,
        version     INTEGER NOT NULL,
        started_at  INTEGER NOT NULL,
        UNIQUE (repository, sha256)
    );
    CREATE TABLE download_chunks (
        download_id INTEGER NOT NULL REFERENCES downloads(id) ON DELETE CASCADE,
        seq         INTEGER NOT NULL,
        data        BLOB NOT NULL,
        PRIMARY KEY (download_id, seq)
    );
    """,
    # 7 -> 8: a trainer shares packs from the app over Tor (issue 15). A persistent share
    # keeps its onion service key and its client-authorization key here (the same address
    # and share line next time, until revoked), with the key id that signs its index. A
    # repository followed from a share line remembers the signing key the line named:
    # its index must be signed by exactly that key.
    """
    CREATE TABLE shares (
        id           INTEGER PRIMARY KEY CHECK (id = 1),
        service_key  TEXT NOT NULL,
        client_key   BLOB NOT NULL,
        signer       TEXT NOT NULL,
        created_at   INTEGER NOT NULL
    );
    ALTER TABLE repositories ADD COLUMN signer TEXT;
    """,
    # 8 -> 9: word forms, folded Chinese, the chapter title; the index rebuilt.
    _search_with_word_forms,
]

SCHEMA_VERSION = len(MIGRATIONS)
