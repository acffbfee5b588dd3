"""The rows the index holds for a page: title and chapter tokens with their marked copy,
split by FTS5 exactly where we put spaces, and found by the title expression only when
the title or the chapter holds every term."""

from __future__ import annotations

import sqlcipher3

from app.searchindex import page_tokens
from app.textindex import FTS_TOKENIZE
from app.textquery import TITLE_MARK, Query

PAGES = [
    ("Password managers", "Use one strong password for the manager.", "Keeping secrets", "en"),
    ("Other things", "A password manager is mentioned here, and secrets.", "Travel", "en"),
    ("人权指南", "人人生而自由。", "自由与权利", "zh-Hans"),
    ("دليل", "التشفير يحمي الملفات.", "التشفير", "ar"),
]


def _db() -> sqlcipher3.Connection:
    db = sqlcipher3.connect(":memory:")
    quoted = FTS_TOKENIZE.replace("'", "''")
    db.execute(f"CREATE VIRTUAL TABLE t USING fts5(title, body, chapter, tokenize='{quoted}')")
    for i, (title, text, chapter, lang) in enumerate(PAGES, start=1):
        db.execute("INSERT INTO t (rowid, title, body, chapter) VALUES (?, ?, ?, ?)",
                   (i, *page_tokens(title, text, chapter, lang)))
    return db


def test_titles_and_chapters_carry_a_marked_copy() -> None:
    title, body, chapter = page_tokens("Password managers", "text", "Keeping secrets", "en")
    assert title == f"password managers {TITLE_MARK}password {TITLE_MARK}managers"
    assert chapter == f"keeping secrets {TITLE_MARK}keeping {TITLE_MARK}secrets"
    assert TITLE_MARK not in body
    assert page_tokens("", "", "", "en")[0] == ""


def test_fts5_splits_the_marked_copy_exactly() -> None:
    db = _db()
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    got: dict[tuple[int, str], list[tuple[int, str]]] = {}
    for term, doc, col, offset in db.execute("SELECT term, doc, col, offset FROM v"):
        got.setdefault((doc, col), []).append((offset, term))
    for i, page in enumerate(PAGES, start=1):
        for col, tokens in zip(("title", "body", "chapter"), page_tokens(*page), strict=True):
            assert [t for _, t in sorted(got.get((i, col), []))] == (tokens.split(" ") if tokens else [])


def _found(db: sqlcipher3.Connection, expression: str | None) -> list[int]:
    return sorted(r[0] for r in db.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,)))


def test_the_title_expression_finds_only_title_and_chapter_matches() -> None:
    db = _db()
    for query, in_title, anywhere in [
        ("password manager", [1], [1, 2]),
        ("secrets", [1], [1, 2]),  # the chapter's title
        ("password secrets", [1], [1, 2]),  # one in the title, one in the chapter
        ("passwords", [1], [1, 2]),  # a word form
        ("自由", [3], [3]),  # a phrase of bigrams, in the chapter
        ("权利", [3], [3]),
        ("人人", [], [3]),
        ("تشفير", [4], [4]),  # the chapter holds it with the article
        ("travel", [2], [2]),
        ("strong", [], [1]),
    ]:
        q = Query.parse(query, ["en", "ar"])
        assert _found(db, q.title_expression()) == in_title, query
        assert _found(db, q.expression()) == anywhere, query
