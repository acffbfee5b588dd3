"""Full-text search over the library, in every script.

Pages are indexed as tokens made by app.textindex (words and their stems for scripts
with spaces, overlapping character pairs for scripts without), so a search for any run
of two or more characters finds the pages that contain it, 2-character Chinese words
included, and a word finds its other forms (app.stemming). Queries are parsed by
app.textquery into quoted FTS5 expressions (no operator injection).

Guarantees:

* Ranking: pages whose title or chapter title holds every word of the query come first
  (found through the marked title tokens, app.searchindex), then the pages that only
  mention them; within each group bm25 decides, the page's own title weighing most,
  then its chapter's, then its text.
* Filters by language (a BCP 47 prefix: "zh" takes "zh-Hant") and by pack never widen a
  search; the query's word forms use the stemmers of the languages searched.
* Each hit names its pack (id and title), its language and its chapter, and carries a
  snippet of plain text (no Markdown markers, no HTML) with the matches marked.
* A query that finds nothing may get a spelling suggestion (app.suggest), made from the
  vault's own vocabulary within a time bound.
* The query is never written anywhere: not to a log, not to a file, not to the database.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from app import textquery
from app.library import stored_markdown
from app.plaintext import snippet_text
from app.textquery import Query
from app.vault import Vault

MAX_LIMIT = 200
WEIGHTS = "4.0, 1.0, 2.0"  # bm25 weights of the title, body and chapter columns


@dataclass(frozen=True)
class Hit:
    pack: str
    page: str
    title: str
    snippet: str
    language: str
    pack_title: str = ""
    chapter: str = ""
    spans: list[tuple[int, int]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["spans"] = [list(s) for s in self.spans]
        return data


@dataclass(frozen=True)
class Filters:
    """Where to search: a language (BCP 47 prefix) and/or one pack; None for all."""

    lang: str | None = None
    pack: str | None = None

    def sql(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if self.lang:
            escaped = self.lang.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            clauses.append("(k.language = ? COLLATE NOCASE OR k.language LIKE ? ESCAPE '\\')")
            params += [self.lang, escaped + "-%"]
        if self.pack:
            clauses.append("k.id = ?")
            params.append(self.pack)
        return "".join(f" AND {c}" for c in clauses), params


def search_languages(vault: Vault, filters: Filters) -> list[str]:
    """The languages of the packs a search covers (their stemmers apply to the query)."""
    where, params = filters.sql()
    with vault.lock:
        rows = vault.conn.execute(f"SELECT DISTINCT k.language FROM packs k WHERE 1{where}", params).fetchall()
    return [r[0] for r in rows]


def parse(vault: Vault, query: str, filters: Filters) -> Query:
    """The query as the index will be asked (word forms of the languages searched)."""
    return Query.parse(query, search_languages(vault, filters))


_DETAILS = (
    "SELECT p.id, k.id, p.path, p.title, p.markdown, k.language, k.title, coalesce(c.title, '') "
    "FROM pages p JOIN packs k ON k.id = p.pack_id LEFT JOIN chapters c ON c.id = p.chapter_id WHERE p.id IN "
)


def _ranked(conn: Any, table: str, weights: str, expression: str, filters: Filters, limit: int) -> list[int]:
    """Page ids matching `expression` in an index table, best first. Only ids and scores
    are read here; a page's text is read for the few hits shown (reading it for every
    match, to sort, costs more than the search)."""
    where, params = filters.sql()
    if where:
        sql = (f"SELECT s.rowid FROM {table} s JOIN pages p ON p.id = s.rowid JOIN packs k ON k.id = p.pack_id "
               f"WHERE {table} MATCH ?{where} ORDER BY bm25({table}, {weights}) LIMIT ?")
    else:
        sql = f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY bm25({table}, {weights}) LIMIT ?"
    return [r[0] for r in conn.execute(sql, [expression, *params, limit])]


def search(vault: Vault, query: str, limit: int = 20, lang: str | None = None,
           pack: str | None = None) -> list[Hit]:
    """Ranked hits for `query` (empty for a query with nothing searchable in it)."""
    filters = Filters(lang or None, pack or None)
    parsed = parse(vault, query, filters)
    expression = parsed.expression()
    if expression is None:
        return []
    limit = max(1, min(int(limit), MAX_LIMIT))
    with vault.lock:
        conn = vault.conn
        ids = _ranked(conn, "page_search", WEIGHTS, parsed.title_expression() or expression, filters, limit)
        if len(ids) < limit:
            # Every title match is in `ids`: the rest are pages that only mention the words.
            seen = set(ids)
            more = _ranked(conn, "page_search", WEIGHTS, expression, filters, limit + len(ids))
            ids += [i for i in more if i not in seen][: limit - len(ids)]
        rows = {r[0]: r for r in conn.execute(_DETAILS + f"({','.join('?' * len(ids))})", ids)} if ids else {}
    memo: dict[str, dict[str, list[tuple[int, int]]]] = {}  # per language: the words already matched
    return [_hit(rows[i], parsed, memo) for i in ids if i in rows]


def _hit(row: tuple[Any, ...], query: Query, memo: dict[str, dict[str, list[tuple[int, int]]]]) -> Hit:
    _rowid, pack_id, path, title, markdown, language, pack_title, chapter = row
    text, spans = textquery.snippet(snippet_text(stored_markdown(markdown)), query, language=language,
                                    memo=memo.setdefault(language, {}))
    return Hit(pack_id, path, title, text, language, pack_title, chapter, spans)


def finds(vault: Vault, query: Query, filters: Filters) -> bool:
    """Whether `query` finds any page (a suggestion is offered only if it does)."""
    expression = query.expression()
    if expression is None:
        return False
    where, params = filters.sql()
    with vault.lock:
        row = vault.conn.execute(
            "SELECT 1 FROM page_search s JOIN pages p ON p.id = s.rowid JOIN packs k ON k.id = p.pack_id "
            f"WHERE page_search MATCH ?{where} LIMIT 1",
            [expression, *params],
        ).fetchone()
    return row is not None


def suggest(vault: Vault, query: str, lang: str | None = None, pack: str | None = None) -> str | None:
    """A corrected query that finds pages, for a query that finds none (or None)."""
    from app.suggest import suggestion

    filters = Filters(lang or None, pack or None)
    return suggestion(vault, parse(vault, query, filters), filters)
