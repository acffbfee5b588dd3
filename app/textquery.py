"""What a user's query asks for, and where it is found in a page.

A query is parsed once (``Query.parse``) into the normalised terms app.textindex would
index: words, and runs of scripts written without spaces. From it come the FTS5 MATCH
expression that finds pages and the spans that highlight the matches in a snippet or in
the opened page, so what is found is always what is marked.

Guarantees:

* User input never reaches FTS5 syntax: every term is a quoted string; operators,
  column filters and quotes typed by the user are searched as words or ignored.
  The query is capped at ``MAX_QUERY_CHARS`` characters and ``MAX_QUERY_TERMS`` terms.
* A word matches a page's word that starts with it (prefix), or, for the stemmers of the
  query's languages, a word of the same stem (app.stemming): "passwords" finds
  "password", and the reverse. An Arabic word with an attached article or conjunction
  matches exactly what the bare word matches (التشفير and تشفير find the same pages; the
  longer form only ranks pages that use it higher).
* A run of a script without spaces matches where the run occurs (an FTS5 phrase of
  bigrams), a single character where it starts a bigram or ends a run.
* ``highlight_spans`` and ``snippet`` mark a page's word exactly when the index makes
  that page match the word, and report spans in the caller's original string; spans
  never split a base character from its combining marks.

Nothing is logged or written; the only state is bounded in-memory caches, emptied by
``clear_caches`` (app.textindex.clear_caches calls it when the vault locks).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from app import stemming
from app.stemming import StemRule
from app.textindex import (
    _CLUSTERS,
    _ELLIPSIS,
    _WORD,
    _ZWNJ,
    MAX_QUERY_TERMS,
    MIN_PREFIX_STEM,
    _bigrams,
    _fts_string,
    _mapped_tokens,
    _query_terms,
    _word_forms,
    bare_form,
    indexed_stem_of,
    stem_of,
)

__all__ = ["MAX_QUERY_TERMS", "TITLE_MARK", "Query", "WordTerm", "clear_caches", "highlight_spans", "snippet"]

TITLE_MARK = "\ue000"
"""Marks the copy of title and chapter tokens in the index. A private-use character: no
word of a page or a query can hold one (app.textindex treats it as a separator)."""

@dataclass(frozen=True)
class WordTerm:
    """One word of a query, normalised."""

    text: str
    bare: str  # without an attached Arabic article or conjunction (else == text)
    stems: tuple[tuple[StemRule, str], ...]  # the bare word's stem under each query stemmer

    @property
    def prefixes(self) -> tuple[str, ...]:
        return (self.text,) if self.bare == self.text else (self.text, self.bare)

    @property
    def stem_set(self) -> frozenset[str]:
        return frozenset(stem for _, stem in self.stems)

    def phrases(self, mark: str = "") -> list[str]:
        """FTS5 phrases any of which a page must hold for this word: the word (and its
        bare Arabic form) by prefix, and each distinct stem the prefix does not cover,
        by prefix too when it is long enough (app.textindex.MIN_PREFIX_STEM: the index
        holds a stem only where it is not a prefix of its word). ``mark`` goes before
        each term (TITLE_MARK: the marked title tokens)."""
        out = [_fts_string(mark + p) + "*" for p in self.prefixes]
        out.extend(_fts_string(mark + s) + ("*" if len(s) >= MIN_PREFIX_STEM else "")
                   for s in sorted(self.stem_set) if not s.startswith(self.prefixes))
        return out

    def _stem_hit(self, token: str) -> bool:
        return any(token.startswith(s) if len(s) >= MIN_PREFIX_STEM else token == s for s in self.stem_set)

    def matches(self, form: str, rule: StemRule | None) -> bool:
        """Whether the index makes a page word's form (one of app.textindex._word_forms)
        match this term, in a page whose stemmer is ``rule``."""
        if form.startswith(self.prefixes) or self._stem_hit(form):
            return True
        # The stem the index holds beside the form is a token too.
        stem = _indexed_stem(rule, form) if rule is not None else ""
        return bool(stem) and (stem.startswith(self.prefixes) or self._stem_hit(stem))


@dataclass(frozen=True)
class Query:
    words: tuple[WordTerm, ...]
    runs: tuple[tuple[str, str], ...]  # (token class, normalised run) of no-space scripts

    @classmethod
    def parse(cls, text: str, languages: Iterable[str] = ()) -> Query:
        """The query a user typed, with the stemmers of ``languages`` for word forms."""
        rules = stemming.rules_for(list(languages))
        words: list[WordTerm] = []
        runs: list[tuple[str, str]] = []
        for kind, term in _query_terms(text):
            if kind == _WORD:
                bare = bare_form(term)
                stems = tuple((rule, stem) for rule in rules if (stem := _query_stem(rule, bare)))
                words.append(WordTerm(term, bare, stems))
            else:
                runs.append((kind, term))
        return cls(tuple(words), tuple(runs))

    @property
    def empty(self) -> bool:
        return not self.words and not self.runs

    def expression(self, mark: str = "") -> str | None:
        """An FTS5 MATCH expression in which every term must match (None if empty);
        with ``mark``, of the marked tokens (see ``title_expression``)."""
        groups: list[str] = []
        for word in self.words:
            phrases = word.phrases(mark)
            groups.append(phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")")
        for _kind, run in self.runs:
            if len(run) == 1:
                groups.append(_fts_string(mark + run) + "*")
            else:
                groups.append(_fts_string(" ".join(mark + gram for gram in _bigrams(run))))
        # Explicit AND: FTS5 allows the implicit one only between plain phrases.
        return " AND ".join(groups) if groups else None

    def title_expression(self) -> str | None:
        """The expression over the marked copy of title and chapter tokens that the index
        holds (app.searchindex): it finds the pages whose title or chapter title holds
        every term, reading only the postings of titles."""
        return self.expression(TITLE_MARK)

    def word_texts(self) -> list[str]:
        return [w.text for w in self.words]


def _query_stem(rule: StemRule, word: str) -> str:
    """The stem of a query word under ``rule`` ("" if the rule does not stem its script)."""
    if rule.word_re.fullmatch(word) is None:
        return ""
    return stem_of(rule, word) or word


def _indexed_stem(rule: StemRule, form: str) -> str:
    """The stem the index holds beside a page word's form under ``rule`` ("" if none)."""
    if rule.word_re.fullmatch(form) is None:
        return ""
    return indexed_stem_of(rule, form)


def clear_caches() -> None:
    """Nothing of its own to forget: the stems looked up here are app.textindex's."""


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def highlight_spans(text: str, query: Query, language: str | None = None) -> list[tuple[int, int]]:
    """Return sorted, non-overlapping (start, end) spans of ``text`` (a page in
    ``language``) matching ``query``.

    Words are highlighted whole (partial highlights would break Arabic letter joining);
    runs of scripts without spaces match as substrings.
    """
    if query.empty:
        return []
    return _merge(list(_iter_hits(text, query, stemming.rule_for(language), {})))


def _iter_hits(text: str, query: Query, rule: StemRule | None,
               memo: dict[str, list[tuple[int, int]]]) -> Iterator[tuple[int, int]]:
    """Yield spans of ``text`` matching ``query``, ordered by start within each token
    and tokens in text order (so the first span yielded is the earliest). ``memo`` keeps
    the spans of words already seen, for this query and ``rule`` (pages repeat words)."""
    words = query.words
    runs = query.runs
    for offset, token in _mapped_tokens(text):
        local: list[tuple[int, int]] = []
        if token.kind == _WORD:
            if words:
                found = memo.get(token.text)
                if found is None:
                    found = memo[token.text] = _word_hits(token.text, words, rule)
                local = found
        else:
            for kind, term in runs:
                if kind != token.kind:
                    continue
                at = token.text.find(term)
                while at >= 0:
                    local.append((at, at + len(term)))
                    at = token.text.find(term, at + 1)
            local.sort()
        for a, b in local:
            yield offset + token.starts[a], offset + token.ends[b - 1]


def _word_hits(word: str, terms: tuple[WordTerm, ...], rule: StemRule | None) -> list[tuple[int, int]]:
    """Spans of ``word`` (normalised) matched by ``terms``, as the index would."""

    def hit(part: str) -> bool:
        return any(term.matches(form, rule) for form in _word_forms(part) for term in terms)

    hits: list[tuple[int, int]] = []
    if _ZWNJ in word:
        pos = 0
        for part in word.split(_ZWNJ):
            if part and hit(part):
                hits.append((pos, pos + len(part)))
            pos += len(part) + 1
    if not hits and hit(word):
        hits.append((0, len(word)))
    return hits


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _is_mark(ch: str) -> bool:
    return bool(_CLUSTERS[ord(ch)] == "m")


# Characters _collapse treats specially that str.split() does not: bidi controls (dropped)
# and control characters that are not whitespace (turned into spaces).
_NOT_FOR_SPLIT_RE = re.compile("[\u202a-\u202e\u2066-\u2069\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


def _collapse_fast(text: str) -> tuple[str, Callable[[int], int]]:
    """``_collapse`` for text without bidi controls or non-space control characters, by
    str.split (in C); the index is a function, computed only for the few offsets asked."""

    def index(i: int) -> int:
        prefix = text[:i]
        base = len(" ".join(prefix.split()))
        if base and i < len(text) and not text[i].isspace() and prefix[-1].isspace():
            return base + 1  # the start of a word after a gap: past the one space
        return base

    return " ".join(text.split()), index


def _collapse(text: str) -> tuple[str, list[int]]:
    """Collapse whitespace and control characters to single spaces and drop bidi
    embedding controls (a cut snippet would leave them unbalanced).

    Returns the new string and, for each index 0..len(text), its index in it.
    """
    out: list[str] = []
    index: list[int] = []
    pending_space = False
    for ch in text:
        if ch in _BIDI_CONTROLS:
            index.append(len(out))
            continue
        if ch.isspace() or unicodedata.category(ch) == "Cc":
            if out:
                pending_space = True
            index.append(len(out))
            continue
        if pending_space:
            out.append(" ")
            pending_space = False
        index.append(len(out))
        out.append(ch)
    index.append(len(out))
    return "".join(out), index


def snippet(
    text: str, query: Query, width: int = 160, language: str | None = None,
    memo: dict[str, list[tuple[int, int]]] | None = None,
) -> tuple[str, list[tuple[int, int]]]:
    """Return about ``width`` characters of ``text`` (a page in ``language``) around the
    first match of ``query`` (or from the start) with whitespace collapsed and '…' at
    cut ends, and the match spans relative to the returned string. ``memo`` may be
    shared by the snippets of one query in pages of one language."""
    width = max(width, 1)
    hits: list[tuple[int, int]] = []
    anchor = 0
    if not query.empty:
        found = _iter_hits(text, query, stemming.rule_for(language), {} if memo is None else memo)
        first = next(found, None)
        if first is not None:
            anchor = first[0]
            hits.append(first)
            for hit in found:
                if hit[0] >= anchor + 3 * width:
                    break
                hits.append(hit)
    spans = _merge(hits)
    # Work on a bounded region so cost does not grow with the page.
    region_start = max(0, anchor - 2 * width)
    while region_start > 0 and _is_mark(text[region_start]):
        region_start -= 1
    region_end = min(len(text), anchor + 3 * width)
    while region_end < len(text) and _is_mark(text[region_end]):
        region_end += 1
    raw = text[region_start:region_end]
    index: Callable[[int], int] | list[int]
    region, index = _collapse_fast(raw) if _NOT_FOR_SPLIT_RE.search(raw) is None else _collapse(raw)
    at = index.__getitem__ if isinstance(index, list) else index
    local = [
        (at(max(a, region_start) - region_start), at(min(b, region_end) - region_start))
        for a, b in spans
        if b > region_start and a < region_end
    ]
    local = [(a, b) for a, b in local if b > a]

    if local:
        first_a, first_b = local[0]
        before = max(0, min(width // 3, width - (first_b - first_a)))
        start = max(0, first_a - before)
    else:
        first_a = first_b = 0
        start = 0
    end = min(len(region), start + width)
    if end - start < width:
        start = max(0, end - width)
    if start > 0:
        space = region.find(" ", start, min(first_a, start + 20) if local else start + 20)
        if space >= 0:
            start = space + 1
    if end < len(region):
        space = region.rfind(" ", max(first_b, end - 20), end)
        if space >= 0:
            end = space
    while start > 0 and _is_mark(region[start]):
        start -= 1
    while end < len(region) and _is_mark(region[end]):
        end += 1

    piece = region[start:end]
    stripped = piece.lstrip(" ")
    start += len(piece) - len(stripped)
    piece = stripped.rstrip(" ")
    end = start + len(piece)

    cut_before = start > 0 or text[:region_start].strip() != ""
    cut_after = end < len(region.rstrip(" ")) or text[region_end:].strip() != ""
    prefix = _ELLIPSIS if cut_before and piece else ""
    suffix = _ELLIPSIS if cut_after and piece else ""
    shift = len(prefix) - start
    out_spans = [
        (max(a, start) + shift, min(b, end) + shift)
        for a, b in local
        if b > start and a < end
    ]
    return prefix + piece + suffix, out_spans
