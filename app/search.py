"""Full-text search over the library, in every script.

Pages are indexed as tokens made by app.textindex (words for scripts with spaces,
overlapping character pairs for scripts without), so a search for any run of two or
more characters finds the pages that contain it, 2-character Chinese words included.
Queries are turned into quoted FTS5 expressions (no operator injection), ranked with
bm25 (title weighted above body), and never written anywhere: not to a log, not to a
file, not to the database.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from app import markdown as md
from app import textindex
from app.library import stored_markdown
from app.vault import Vault

MAX_LIMIT = 200


@dataclass(frozen=True)
class Hit:
    pack: str
    page: str
    title: str
    snippet: str
    language: str
    spans: list[tuple[int, int]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["spans"] = [list(s) for s in self.spans]
        return data


def search(vault: Vault, query: str, limit: int = 20, lang: str | None = None) -> list[Hit]:
    """Ranked hits for `query` (empty for a query with nothing searchable in it)."""
    expression = textindex.match_query(query)
    if expression is None:
        return []
    limit = max(1, min(int(limit), MAX_LIMIT))
    sql = (
        "SELECT p.pack_id, p.path, p.title, p.markdown, k.language "
        "FROM page_search s JOIN pages p ON p.id = s.rowid JOIN packs k ON k.id = p.pack_id "
        "WHERE page_search MATCH ?"
    )
    params: list[Any] = [expression]
    if lang:
        sql += " AND (k.language = ? OR k.language LIKE ? ESCAPE '\\')"
        params += [lang, lang.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "-%"]
    sql += " ORDER BY bm25(page_search, 4.0, 1.0) LIMIT ?"
    params.append(limit)
    with vault.lock:
        rows = vault.conn.execute(sql, params).fetchall()
    hits = []
    for pack_id, path, title, markdown, language in rows:
        text, spans = textindex.snippet(md.plain_text(stored_markdown(markdown)), query)
        hits.append(Hit(pack_id, path, title, text, language, spans))
    return hits
