""""Did you mean ...?": a spelling suggestion for a query that finds nothing.

Candidates come from the vault's own vocabulary (``page_vocab``, an fts5vocab view of
the search index inside the encrypted database; nothing is kept anywhere else). A word
of the query that finds no page is replaced by the indexed word nearest to it (edit
distance with transpositions, at most 1 for words of up to 4 letters, else 2), the
commonest among equals; the corrected query is offered only if it finds pages.

Guarantees: bounded in time (``BUDGET_S`` in all, checked while reading the
vocabulary) and in work (only indexed words that share the first letter or two, or
have them swapped, are read); words of scripts written without spaces are not
corrected; nothing is logged or stored.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from app.search import Filters, finds, parse
from app.textquery import Query
from app.vault import Vault

__all__ = ["BUDGET_S", "distance", "suggestion"]

BUDGET_S = 0.25
MIN_WORD = 3


def distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance between `a` and `b`, or `limit + 1` if it is
    larger than `limit` (stops as soon as that is certain)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        ca = a[i - 1]
        for j in range(1, len(b) + 1):
            value = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != b[j - 1]))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, before[j - 2] + 1)
            cur[j] = value
        if min(cur) > limit:
            return limit + 1
        before, prev = prev, cur
    return prev[-1] if prev[-1] <= limit else limit + 1


def _upper(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _ranges(word: str) -> Iterator[tuple[str, str, str]]:
    """(low, high, skip) key ranges of the vocabulary to read, likeliest first; terms
    in ``skip``'s range were read already."""
    first, second = word[:1], word[:2]
    yield second, _upper(second), ""
    yield first, _upper(first), second
    swapped = word[1] + word[0]
    if swapped != second:
        yield swapped, _upper(swapped), ""
    yield word[1:3], _upper(word[1:3]), ""  # a letter typed before the word


def _closest(conn: Any, word: str, deadline: float) -> str | None:
    limit = 1 if len(word) <= 4 else 2
    best: tuple[int, int, str] | None = None  # (distance, -pages, term)
    for low, high, skip in _ranges(word):
        cursor = conn.execute("SELECT term, doc FROM page_vocab WHERE term >= ? AND term < ?", (low, high))
        for n, (term, pages) in enumerate(cursor):
            if n % 128 == 0 and time.monotonic() > deadline:
                return best[2] if best else None
            if skip and term.startswith(skip):
                continue
            if abs(len(term) - len(word)) > limit or term == word:
                continue
            d = distance(word, term, limit)
            if d <= limit:
                key = (d, -int(pages), term)
                if best is None or key < best:
                    best = key
        if best is not None and best[0] == 1:
            break  # one edit away in the likeliest range: good enough
    return best[2] if best else None


def suggestion(vault: Vault, query: Query, filters: Filters) -> str | None:
    """A corrected query (its words normalised, as indexed) that finds pages, or None."""
    if not query.words:
        return None
    deadline = time.monotonic() + BUDGET_S
    words: list[str] = []
    changed = False
    for term in query.words:
        if finds(vault, Query((term,), ()), filters):
            words.append(term.text)
            continue
        if len(term.text) < MIN_WORD:
            return None
        with vault.lock:
            better = _closest(vault.conn, term.text, deadline)
        if better is None:
            return None
        words.append(better)
        changed = True
    if not changed:
        return None
    text = " ".join(words + [run for _, run in query.runs])
    return text if finds(vault, parse(vault, text, filters), filters) else None
