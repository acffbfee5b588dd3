"""What the search index holds for a page, and rebuilding it from the stored pages.

The index (`page_search`, FTS5, contentless) has three columns: the page's title, its
text, and the title of its chapter, each as app.textindex tokens in the pack's language
(words, their stems, bigrams of scripts written without spaces). The title and chapter
columns also hold a marked copy of their tokens (app.textquery.TITLE_MARK before each):
a query of the marked terms finds the pages whose title matches by reading only the
short postings of titles, a fraction of the cost of a column filter over the index. The
importer and the rebuild below make and store a page's row with the same functions, so
a rebuilt index is exactly the index a fresh import would make.

Guarantees:

* ``rebuild_search_index`` runs inside the caller's transaction (a schema migration, or
  any later change of tokenisation): it either replaces every row or, if anything fails,
  the transaction rolls back and the old index stays. It reads pages in batches, so its
  memory does not grow with the library.
* Nothing is logged but a count.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from app import markdown as md
from app import textindex
from app.textquery import TITLE_MARK

log = logging.getLogger(__name__)

BATCH_PAGES = 256
Row = tuple[int, str, str, str]  # page id, title, body and chapter tokens


def page_tokens(title: str, text: str, chapter: str, language: str) -> tuple[str, str, str]:
    """The (title, body, chapter) tokens of a page whose plain text is ``text``."""
    return (
        _with_marked(textindex.index_text(title, language)),
        textindex.index_text(text, language),
        _chapter_tokens(chapter, language),
    )


def _with_marked(tokens: str) -> str:
    """Tokens followed by their marked copy, in the same order (phrases still match)."""
    if not tokens:
        return tokens
    return f"{tokens} {TITLE_MARK}{tokens.replace(' ', ' ' + TITLE_MARK)}"


@functools.lru_cache(maxsize=64)
def _chapter_tokens(chapter: str, language: str) -> str:
    return _with_marked(textindex.index_text(chapter, language))  # pages come chapter by chapter


textindex.register_cache(_chapter_tokens.cache_clear)  # chapter titles are pack text


def store_rows(conn: Any, rows: list[Row]) -> None:
    """Index pages (ids not yet in the index)."""
    conn.executemany("INSERT INTO page_search (rowid, title, body, chapter) VALUES (?, ?, ?, ?)", rows)


def forget_pages(conn: Any, page_ids: list[int]) -> None:
    """Take pages out of the index (before their rows in `pages` go)."""
    conn.executemany("DELETE FROM page_search WHERE rowid = ?", [(i,) for i in page_ids])


def rebuild_search_index(conn: Any, progress: Callable[[int, int], None] | None = None) -> int:
    """Re-tokenise every stored page into ``page_search``; returns the number of pages.

    Must be called inside a write transaction on ``conn``."""
    from app.library import stored_markdown

    conn.execute("INSERT INTO page_search (page_search) VALUES ('delete-all')")
    total = conn.execute("SELECT count(*) FROM pages").fetchone()[0]
    done = 0
    last = -1
    while True:
        rows = conn.execute(
            "SELECT p.id, p.title, p.markdown, p.chapter_id, coalesce(c.title, ''), k.language "
            "FROM pages p JOIN packs k ON k.id = p.pack_id LEFT JOIN chapters c ON c.id = p.chapter_id "
            "WHERE p.id > ? ORDER BY p.id LIMIT ?",
            (last, BATCH_PAGES),
        ).fetchall()
        if not rows:
            break
        out: list[Row] = []
        for page_id, title, markdown, _chapter_id, chapter_title, language in rows:
            text = md.index_page(stored_markdown(markdown))[1]
            out.append((page_id, *page_tokens(title, text, chapter_title, language)))
        store_rows(conn, out)
        last = rows[-1][0]
        done += len(rows)
        if progress is not None:
            progress(done, total)
    log.info("search index rebuilt for %d pages", done)
    return done
