"""Multilingual text normalisation and tokenisation for Satchel's FTS5 search index.

FTS5's own tokenizers cannot search scripts written without spaces (a two-character
Chinese word such as 自由 is found in none of the pages that contain it), so Satchel
tokenises in Python and hands FTS5 text that is already split into tokens.

Guarantees:

* ``index_text`` and ``match_query`` apply the same normalisation (NFKC, case folding,
  removal of Latin/Greek/Cyrillic diacritics, Arabic harakat and Hebrew points, folding
  of Arabic/Persian letter variants, of Traditional Chinese characters to Simplified
  ones (app.hanfold) and of every decimal digit to ASCII). Combining
  marks that carry meaning in Indic and Southeast Asian scripts (Devanagari, Tamil,
  Thai, Khmer, Myanmar, Tibetan vowel signs, Japanese voicing marks) are kept.
* Words are matched by prefix. For Arabic-script words the index also holds the word
  without an attached article or conjunction (والحرية is found by الحرية and حرية).
  Given the pack's language, the index also holds each word's stem where it differs
  from the word, once per text (app.stemming), after the words; queries
  (app.textquery) ask for it.
* ``index_text`` returns tokens separated by single ASCII spaces; tokens hold only
  letters, marks, numbers (and the Tibetan tsheg), never whitespace, control or format
  characters, so with ``tokenize=FTS_TOKENIZE`` FTS5 splits exactly where we put spaces.
* Scripts written without spaces (Han with Hiragana and Katakana, Hangul, Thai, Lao,
  Khmer, Myanmar, Tibetan) are indexed as overlapping character bigrams plus the last
  character of each run, so every substring of two or more characters of such a run
  is found as an FTS5 phrase and every single character by prefix. ``index_text``
  gives the words first, then the runs one after another: only the order within a run
  matters to a phrase, and each run's last character keeps two runs from joining.
* ``index_text`` finds its tokens with regular expressions built once from the same
  tables as the general per-token loop, and gives exactly the loop's tokens (the tests
  compare them on every code point, the UDHR corpus and random text).
* ``match_query`` never lets user input reach FTS5 syntax: every term is a quoted
  string, the query is capped at ``MAX_QUERY_CHARS`` characters and
  ``MAX_QUERY_TERMS`` terms, and a query with nothing searchable yields ``None``.
  ``match_query``, ``highlight_spans`` and ``snippet`` are kept here for callers that
  hold a query as text; app.textquery does the work.
* ``highlight_spans`` and ``snippet`` locate matches with the same tokenisation, and
  report spans in the caller's original string; spans never split a base character
  from its combining marks.

The module has no Qt dependency and logs nothing. Its only state is bounded in-memory
caches of recently highlighted words, which ``clear_caches`` empties (for example when
the vault locks).
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import NamedTuple, cast

from app import hanfold, stemming

__all__ = [
    "FTS_TOKENIZE",
    "MAX_QUERY_CHARS",
    "MAX_QUERY_TERMS",
    "MAX_WORD_CHARS",
    "clear_caches",
    "highlight_spans",
    "index_text",
    "match_query",
    "segments",
    "snippet",
]

FTS_TOKENIZE = "unicode61 remove_diacritics 0 categories 'L* M* N* P* S* Co'"
"""Value for ``tokenize=`` in ``CREATE VIRTUAL TABLE ... USING fts5(...)``.

Every character class we can emit inside a token (letters, marks, numbers, the
Tibetan tsheg) is a token character, so only the ASCII spaces we emit separate tokens;
diacritics are left alone (we already removed the ones we mean to remove). The tests
check this for every code point up to U+3FFFF. FTS5's ``ascii`` tokenizer would be
equally exact (it never splits non-ASCII text); this value is what the vault schema
uses.
"""

MAX_QUERY_CHARS = 256
MAX_QUERY_TERMS = 32
MAX_WORD_CHARS = 64
"""Longer words are cut to this length, identically in the index and in queries."""

_ZWNJ = "\u200c"
_ELLIPSIS = "\u2026"

# Token classes, one ASCII letter per character of normalised text.
_WORD = "w"
_SEPARATOR = " "
_NO_SPACE_RANGES: tuple[tuple[int, int, str], ...] = (
    # Han, Kana and Bopomofo share one class: Japanese words run across kanji and
    # kana (生まれ), so bigrams across that boundary keep phrases precise.
    (0x2E80, 0x2FDF, "c"),
    (0x3005, 0x3007, "c"),
    (0x3021, 0x3029, "c"),
    (0x3031, 0x3035, "c"),
    (0x3038, 0x303C, "c"),
    (0x3040, 0x30FF, "c"),
    (0x3100, 0x312F, "c"),
    (0x31A0, 0x31BF, "c"),
    (0x31F0, 0x31FF, "c"),
    (0x3400, 0x4DBF, "c"),
    (0x4E00, 0x9FFF, "c"),
    (0xF900, 0xFAFF, "c"),
    (0x1B000, 0x1B16F, "c"),
    (0x20000, 0x3FFFF, "c"),
    (0x1100, 0x11FF, "k"),
    (0x3130, 0x318F, "k"),
    (0xA960, 0xA97F, "k"),
    (0xAC00, 0xD7FF, "k"),
    (0x0E00, 0x0E7F, "t"),
    (0x0E80, 0x0EFF, "l"),
    (0x1780, 0x17FF, "m"),
    (0x19E0, 0x19FF, "m"),
    (0x1000, 0x109F, "y"),
    (0xA9E0, 0xA9FF, "y"),
    (0xAA60, 0xAA7F, "y"),
    (0x0F00, 0x0FFF, "b"),
)
_TSHEG = 0x0F0B  # Tibetan syllable delimiter: kept inside a Tibetan run, class "j"
_APOSTROPHE_LETTERS = frozenset({0x02BB, 0x02BC})  # typed as ' by most people

# A word may contain ZWNJ (Persian writes it inside words); a Tibetan run may contain
# tsheg between syllables. Everything else is a run of one class.
_TOKEN_RE = re.compile(r"w+(?:z+w+)*|c+|k+|t+|l+|m+|y+|b+(?:j+b+)*")

# Marks removed after canonical decomposition: diacritics of Latin, Greek, Cyrillic,
# Arabic and Hebrew, and variation selectors. Indic/SE Asian vowel signs are not here.
_STRIP_RANGES: tuple[tuple[int, int], ...] = (
    (0x0300, 0x036F),
    (0x0483, 0x0489),
    (0x0591, 0x05BD),
    (0x05BF, 0x05BF),
    (0x05C1, 0x05C2),
    (0x05C4, 0x05C5),
    (0x05C7, 0x05C7),
    (0x0610, 0x061A),
    (0x064B, 0x065F),
    (0x0670, 0x0670),
    (0x06D6, 0x06ED),
    (0x0897, 0x089F),
    (0x08CA, 0x08FF),
    (0x180B, 0x180D),
    (0x180F, 0x180F),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0xFE00, 0xFE0F),
    (0xFE20, 0xFE2F),
    (0xE0100, 0xE01EF),
)
_LETTER_FOLDS = {
    0x0640: None,  # tatweel (kashida), pure elongation
    0x0649: 0x06CC,  # alef maksura -> Farsi yeh
    0x064A: 0x06CC,  # Arabic yeh -> Farsi yeh (Arabic and Persian keyboards differ)
    0x0643: 0x06A9,  # Arabic kaf -> keheh
    0x0629: 0x0647,  # teh marbuta -> heh, as Arabic search engines do
}


def _in_ranges(cp: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


class _FoldTable(dict):  # type: ignore[type-arg]
    """str.translate table for decomposed, case-folded text, filled on demand."""

    def __missing__(self, cp: int) -> int | str | None:
        value: int | str | None
        category = unicodedata.category(chr(cp))
        if cp in _LETTER_FOLDS:
            value = _LETTER_FOLDS[cp]
        elif cp in _han_table():
            value = _han_table()[cp]
        elif _in_ranges(cp, _STRIP_RANGES):
            value = None
        elif category == "Cf" and cp != 0x200C:
            value = None  # zero-width space/joiner, bidi controls, soft hyphen...
        elif category == "Nd":
            value = str(unicodedata.decimal(chr(cp)))
        else:
            value = cp
        self[cp] = value
        return value


class _ClassTable(dict):  # type: ignore[type-arg]
    """str.translate table mapping normalised characters to token-class letters."""

    def __missing__(self, cp: int) -> str:
        value = _classify(cp)
        self[cp] = value
        return value


class _ClusterTable(dict):  # type: ignore[type-arg]
    """Marks "m" characters that belong to the preceding character's cluster."""

    def __missing__(self, cp: int) -> str:
        joins = (
            unicodedata.category(chr(cp)).startswith("M")
            or 0x1160 <= cp <= 0x11FF  # Hangul medial vowels and final consonants
            or 0xD7B0 <= cp <= 0xD7FF
        )
        value = "m" if joins else "b"
        self[cp] = value
        return value


def _classify(cp: int) -> str:
    if cp == 0x200C:
        return "z"
    if cp == _TSHEG:
        return "j"
    category = unicodedata.category(chr(cp))
    for lo, hi, cls in _NO_SPACE_RANGES:
        if lo <= cp <= hi:
            if category[0] in "LMN" or category == "Cn":
                return cls
            return _SEPARATOR
    if cp in _APOSTROPHE_LETTERS:
        return _SEPARATOR
    if category[0] in "LMN":
        return _WORD
    return _SEPARATOR


_FOLD = _FoldTable()
_CLASSES = _ClassTable()
_CLUSTERS = _ClusterTable()
_CLUSTER_RE = re.compile(r"bm*|m+")


def _normalize(text: str) -> str:
    return _normalize_and_check(text)[0]


def _normalize_and_check(text: str) -> tuple[str, bool]:
    """The normalised text, and whether it is plain: nothing to fold, no ZWNJ, no
    Tibetan, no script written without spaces, nothing beyond the BMP."""
    if text.isascii():
        return text.lower(), True  # every other step leaves ASCII as it is
    text = unicodedata.normalize("NFD", _by_line("NFKC", text).casefold())
    plain = _fast_tables().special.search(text) is None
    if not plain:
        text = _fold(text)
    return _by_line("NFC", text), plain


def _by_line(form: str, text: str) -> str:  # form: "NFC" or "NFKC"
    """``unicodedata.normalize(form, text)``, line by line: a newline never composes
    with its neighbours, and ``normalize`` returns a line already in that form after a
    quick check; pages mix languages by paragraph, of which usually few need the work."""
    if "\n" not in text:
        return unicodedata.normalize(form, text)  # type: ignore[arg-type]
    return "\n".join([unicodedata.normalize(form, line) for line in text.split("\n")])  # type: ignore[arg-type]


def _fold(text: str) -> str:
    """``text.translate(_FOLD)``, without a dictionary lookup per character."""
    if text.isascii():
        return text
    if _ASTRAL_RE.search(text) is not None:
        return text.translate(_FOLD)
    fast = _fast_tables()
    text = fast.deleted.sub("", text)
    for source, target in _LETTER_FOLD_PAIRS:
        if source in text:
            text = text.replace(source, target)
    if fast.digit.search(text) is not None:
        text = fast.digit.sub(_fold_match, text)
    trad = _traditional_re()
    han = _HAN_RE.search(text)  # a plain range test first: most text has no Han at all
    if han is not None and trad.search(text, han.start()) is not None:  # Simplified text skips the table
        table = hanfold.bmp_table()
        # Only the lines that need it: translate() looks up every character it is given.
        text = "\n".join([line.translate(table) if trad.search(line) else line for line in text.split("\n")])
    return text


def _fold_match(m: re.Match[str]) -> str:
    return m.group().translate(_FOLD)


_LETTER_FOLD_PAIRS = tuple((chr(a), chr(b)) for a, b in _LETTER_FOLDS.items() if b is not None)
_han_table = hanfold.table
_HAN_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # every BMP source of the fold


@functools.cache
def _traditional_re() -> re.Pattern[str]:
    """Any character of the BMP that folds to Simplified (a set of a few thousand BMP
    characters is tested in constant time; with astral ones it would not be)."""
    return re.compile("[" + "".join(sorted(re.escape(chr(cp)) for cp in _han_table() if cp < 0x10000)) + "]")
_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")


def _scan(norm: str) -> Iterator[tuple[str, int, int]]:
    """Yield (class, start, end) of each token in normalised text."""
    classes = norm.translate(_CLASSES)
    for m in _TOKEN_RE.finditer(classes):
        yield classes[m.start()], m.start(), m.end()


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


# Arabic attaches the article and one-letter conjunctions/prepositions to the word
# (والحرية "and the freedom"); a prefix search for الحرية or حرية would miss it. The
# index therefore also holds the word without them (normalised spellings: ک for ك).
_ARABIC_PROCLITICS = ("وال", "فال", "بال", "کال")


def _word_forms(word: str) -> list[str]:
    """The normalised word (ZWNJ kept) and the extra forms the index holds for it."""
    forms = [word]
    if _ZWNJ in word:
        # Persian users type the joiner, a space or nothing: index both forms.
        parts = [part for part in word.split(_ZWNJ) if part]
        forms = [*parts, word.replace(_ZWNJ, "")]
    extra: list[str] = []
    for form in forms:
        if len(form) < 4 or not "\u0600" <= form[0] <= "\u06ff":
            continue
        if form.startswith(_ARABIC_PROCLITICS):
            extra += [form[1:], form[3:]]
        elif form.startswith("لل"):
            extra += ["ال" + form[2:], form[2:]]
        elif form.startswith("ال"):
            extra.append(form[2:])
    return forms + [form for form in extra if len(form) >= 2]


def _emit(kind: str, token: str, out: list[str]) -> None:
    if kind == _WORD:
        out.extend(form[:MAX_WORD_CHARS] for form in _word_forms(token))
    else:
        out.extend(_bigrams(token))
        out.append(token[-1])


def _class_set(ranges: list[tuple[int, int]]) -> str:
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


def _ranges(codepoints: Iterable[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for cp in codepoints:
        if out and out[-1][1] == cp - 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return out


class _FastTables(NamedTuple):
    special: re.Pattern[str]  # anything that keeps decomposed text from being plain
    deleted: re.Pattern[str]  # characters _FOLD removes (BMP)
    digit: re.Pattern[str]  # decimal digits other than ASCII ones
    word: re.Pattern[str]  # runs of class "w" characters (BMP)
    runs: re.Pattern[str]  # runs of characters of any no-space class but Tibetan's
    grams: re.Pattern[str]  # runs of one such class


@functools.cache
def _fast_tables() -> _FastTables:
    """Regular expressions equivalent to the _FOLD and _CLASSES tables, built once from
    the same rules. They cover the Basic Multilingual Plane only, where Python's regular
    expressions test a character set in constant time; text with other characters takes
    the general path. tests/app/test_textindex.py checks them on every code point."""
    category = unicodedata.category
    no_space: list[str | None] = [None] * 0x10000
    for lo, hi, cls in reversed(_NO_SPACE_RANGES):  # the first listed range wins
        if lo <= 0xFFFF:
            no_space[lo : min(hi, 0xFFFF) + 1] = [cls] * (min(hi, 0xFFFF) + 1 - lo)
    stripped = bytearray(0x10000)
    for lo, hi in _STRIP_RANGES:
        if lo <= 0xFFFF:
            stripped[lo : min(hi, 0xFFFF) + 1] = b"\x01" * (min(hi, 0xFFFF) + 1 - lo)
    deleted: list[int] = []
    word: list[int] = []
    by_class: dict[str, list[int]] = {}
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        cat = category(chr(cp))
        if cp in _LETTER_FOLDS:
            if _LETTER_FOLDS[cp] is None:
                deleted.append(cp)
        elif stripped[cp] or (cat == "Cf" and cp != 0x200C):
            deleted.append(cp)
        space_class = no_space[cp]
        if space_class is not None:
            if cp != _TSHEG and (cat[0] in "LMN" or cat == "Cn"):
                by_class.setdefault(space_class, []).append(cp)
        elif cat[0] in "LMN" and cp not in _APOSTROPHE_LETTERS:
            word.append(cp)
    classes = [f"[{_class_set(_ranges(cps))}]+" for cls, cps in sorted(by_class.items()) if cls != "b"]
    union = sorted(cp for cls, cps in by_class.items() if cls != "b" for cp in cps)
    special = sorted(
        set(deleted)
        | set(_LETTER_FOLDS)
        | {cp for cp in range(0x80, 0x10000) if not 0xD800 <= cp <= 0xDFFF and category(chr(cp)) == "Nd"}
        | {0x200C}
        | {cp for lo, hi, _ in _NO_SPACE_RANGES if lo <= 0xFFFF for cp in range(lo, min(hi, 0xFFFF) + 1)}
    )
    return _FastTables(
        special=re.compile(f"[{_class_set(_ranges(special))}\U00010000-\U0010ffff]"),
        runs=re.compile(f"[{_class_set(_ranges(union))}]+"),
        deleted=re.compile(f"[{_class_set(_ranges(deleted))}]+"),
        digit=re.compile(r"[^\D0-9]+"),
        word=re.compile(f"[{_class_set(_ranges(word))}]+"),
        grams=re.compile("|".join(classes)),
    )


# Text with any of these (ZWNJ inside Persian words, Tibetan, anything outside the
# BMP) is tokenised by the general loop.
_LOOP_ONLY_RE = re.compile("[\u200c\u0f00-\u0fff\U00010000-\U0010ffff]")
_NO_SPACE_RE = re.compile(
    "[" + "".join(f"{chr(lo)}-{chr(min(hi, 0xFFFF))}" for lo, hi, _ in _NO_SPACE_RANGES if lo <= 0xFFFF) + "]"
)
# Arabic-script words that get extra forms (see _word_forms): an attached proclitic
# and article, a doubled lam, or the article, followed by enough letters.
_CLITIC_RE = re.compile(
    "(?<![^ ])(?:[\u0648\u0641\u0628\u06a9]\u0627\u0644[^ ]|\u0644\u0644[^ ]{2}|\u0627\u0644[^ ]{2})[^ ]*"
)


def _with_forms(m: re.Match[str]) -> str:
    """A word matched by _CLITIC_RE (no ZWNJ, at most MAX_WORD_CHARS long) followed by
    the extra forms _word_forms gives it."""
    word = m.group()
    if word[0] != "\u0644" and word[1] == "\u0627":  # proclitic + article
        rest = word[3:]
        return f"{word} {word[1:]} {rest}" if len(rest) >= 2 else f"{word} {word[1:]}"
    if word[0] == "\u0644":  # lam + article's lam
        return f"{word} \u0627{word[1:]} {word[2:]}"
    return f"{word} {word[2:]}"  # article


def index_text(text: str, language: str | None = None) -> str:
    """Normalise ``text`` and return its search tokens separated by single spaces.

    Words come first (each Arabic-script word followed by its extra forms), then, when
    ``language`` has a stemmer (app.stemming), the stem of every word of that stemmer's
    script whose stem differs from the word, then the bigrams and last
    character of every run of a script written without spaces, run by run: only the
    order within a run matters to FTS5 phrase queries.
    """
    norm, plain = _normalize_and_check(text)
    words: list[str] = []
    grams: list[str] = []
    found: list[list[str] | None] = []  # the words of each part, as lists, where known
    if plain or _LOOP_ONLY_RE.search(norm) is None:
        _tokens_fast(norm, words, grams, no_space_runs=not plain, found=found)
    else:  # only the lines that need it go through the loop (a newline ends every run)
        for line in norm.split("\n"):
            if _LOOP_ONLY_RE.search(line) is None:
                _tokens_fast(line, words, grams, found=found)
            else:
                _tokens_by_loop(line, line.translate(_CLASSES), words, grams)
                found.append(None)
    rule = stemming.rule_for(language)
    if rule is not None:
        joined = " ".join(part for part in words if part)
        listed: list[str] | None = None
        if None not in found:
            parts = cast(list[list[str]], found)
            listed = parts[0] if len(parts) == 1 else list(chain.from_iterable(parts))
        words = [joined, stem_tokens(joined, rule, listed)]
    return " ".join(part for part in words + grams if part)


MIN_PREFIX_STEM = 4
"""A stem of at least this many letters is searched by prefix; so a page word that starts
with its own stem ("password" in "passwords", "свобод" in "свободу") needs no stem
token in the index: the stem, as a prefix, finds the word itself. Only stems that are
not a prefix of their word (wiping -> wipe, happy -> happi), or are shorter, are
indexed (an Arabic-script word is compared by its bare form: الحكومات -> حكومات -> حكوم
needs no token). On the UDHR corpus this keeps the recall of word forms and the precision of
the first hit, and makes the index of stemmed languages 1.14 times the index without
word forms instead of 1.42 times."""


def stem_tokens(words: str, rule: stemming.StemRule, listed: list[str] | None = None) -> str:
    """The stems the index holds for the space-separated normalised ``words`` of
    ``rule``'s script (see MIN_PREFIX_STEM), each once, space-separated, in order of
    first appearance. ``listed``, if given, is ``words`` already split, with or without
    the extra forms of Arabic-script words (they add no stem): it saves splitting a
    page's words twice."""
    if not words:
        return ""
    if words.isascii() and rule.algorithm not in _NON_LATIN_ALGORITHMS:
        candidates = words.split(" ") if listed is None else listed  # ASCII words: Latin and digits
    elif rule.only_re.fullmatch(words) is not None:  # every word is of the rule's script
        candidates = words.split(" ") if listed is None else listed
    else:
        candidates = rule.words_re.findall(words)
    if not candidates:
        return ""
    # Pages repeat their words, and pages of a pack each other's: each distinct word is
    # stemmed once, then looked up (in C: the lookups, the filter and the join). Each stem
    # is emitted once per text: stems only decide whether a page matches (their counts
    # would only weigh in ranking, where the words themselves count).
    emitted = _stem_caches(rule)[1]
    try:
        return " ".join(dict.fromkeys(filter(None, map(emitted.__getitem__, candidates))))
    except KeyError:
        _learn(rule, list(set(candidates).difference(emitted)))
        return " ".join(dict.fromkeys(filter(None, map(emitted.__getitem__, candidates))))


STEM_CACHE_WORDS = 200_000
_stem_cache: dict[str, tuple[dict[str, str], dict[str, str]]] = {}


def _stem_caches(rule: stemming.StemRule) -> tuple[dict[str, str], dict[str, str]]:
    """Per stemmer: normalised word -> its stem, and -> the stem the index holds for it
    ("" for none); bounded (emptied when full) and emptied by clear_caches."""
    caches = _stem_cache.get(rule.algorithm)
    if caches is None or len(caches[0]) > STEM_CACHE_WORDS:
        caches = _stem_cache[rule.algorithm] = ({}, {})
    return caches


def _learn(rule: stemming.StemRule, words: list[str]) -> None:
    """Stem words once. An Arabic-script word is stemmed by its bare form (without an
    attached article or conjunction, see _word_forms): every form of a word then has the
    same stem, so the stems of a text's words are those of all its forms."""
    stems, emitted = _stem_caches(rule)
    bares = [bare_form(w) for w in words]
    for word, bare, stem in zip(words, bares, _normalized_stems(rule, bares), strict=True):
        stems[word] = stem
        indexed = stem and stem != bare and not (len(stem) >= MIN_PREFIX_STEM and bare.startswith(stem))
        emitted[word] = stem if indexed else ""


def bare_form(word: str) -> str:
    """The most reduced form the index holds for an Arabic-script word with an attached
    article or conjunction (the last of _word_forms), else the word."""
    if len(word) >= 4 and "\u0600" <= word[0] <= "\u06ff":
        return _word_forms(word)[-1]
    return word


def stem_of(rule: stemming.StemRule, word: str) -> str:
    """The stem of a normalised word of ``rule``'s script ("" if it has none)."""
    stems = _stem_caches(rule)[0]
    if word not in stems:
        _learn(rule, [word])
    return stems.get(word, "")


def indexed_stem_of(rule: stemming.StemRule, word: str) -> str:
    """The stem the index holds beside a normalised word of ``rule``'s script ("" if none)."""
    emitted = _stem_caches(rule)[1]
    if word not in emitted:
        _learn(rule, [word])
    return emitted.get(word, "")


_NON_LATIN_ALGORITHMS = frozenset({"arabic", "armenian", "greek", "hindi", "nepali", "persian", "russian",
                                   "tamil", "yiddish"})


def _normalized_stems(rule: stemming.StemRule, words: list[str]) -> list[str]:
    """Stems of normalised words, normalised like every token ("" for a stem that would
    not be one token)."""
    raw = rule.stem_words(words)
    joined = " ".join(raw)
    norm = _normalize(joined) if not joined.isascii() else joined
    out = norm.split(" ")
    if len(out) == len(words) and all(out):
        return out
    return [_one_stem(stem) for stem in raw]  # a stem normalised into several pieces


def _one_stem(stem: str) -> str:
    norm = _normalize(stem)
    return norm if norm and _fast_tables().word.fullmatch(norm) is not None else ""


def _tokens_fast(norm: str, words: list[str], grams: list[str], no_space_runs: bool = True,
                 found: list[list[str] | None] | None = None) -> None:
    """Tokens of normalised text without ZWNJ, Tibetan or characters beyond the BMP,
    appended to ``words`` and ``grams`` as space-separated strings (``no_space_runs``
    False: the text is known to hold no script written without spaces). ``found``, if
    given, receives the words as a list, without the extra forms of Arabic-script words
    (None where the words were found another way)."""
    fast = _fast_tables()
    listed = fast.word.findall(norm)
    if listed and max(map(len, listed)) > MAX_WORD_CHARS:
        _tokens_by_loop(norm, norm.translate(_CLASSES), words, grams)
        if found is not None:
            found.append(None)
        return
    joined = " ".join(listed)
    if "\u0644" in joined:  # every Arabic form with extra forms holds a lam
        joined = _CLITIC_RE.sub(_with_forms, joined)
    words.append(joined)
    if found is not None:
        # The words without their extra forms: a word's forms all have its stem (_learn).
        found.append(listed)
    if no_space_runs and _NO_SPACE_RE.search(norm) is not None:
        out: list[str] = []
        for run in fast.grams.findall(" ".join(fast.runs.findall(norm))):
            if len(run) > 1:
                out.extend([run[i : i + 2] for i in range(len(run) - 1)])
            out.append(run[-1])
        grams.append(" ".join(out))


def _tokens_by_loop(norm: str, classes: str, words: list[str], grams: list[str]) -> None:
    for m in _TOKEN_RE.finditer(classes):
        start, end = m.span()
        if classes[start] == _WORD:
            _emit(_WORD, norm[start:end], words)
        else:
            _emit(classes[start], norm[start:end], grams)


def _query_terms(query: str) -> list[tuple[str, str]]:
    """Return the distinct (class, normalised text) terms of a user query."""
    norm = _normalize(query[:MAX_QUERY_CHARS])
    terms: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for kind, start, end in _scan(norm):
        token = norm[start:end]
        pieces = token.split(_ZWNJ) if kind == _WORD else [token]
        for piece in pieces:
            if not piece:
                continue
            term = (kind, piece[:MAX_WORD_CHARS] if kind == _WORD else piece)
            if term not in seen:
                seen.add(term)
                terms.append(term)
            if len(terms) >= MAX_QUERY_TERMS:
                return terms
    return terms


def _fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def match_query(query: str, languages: Iterable[str] = ()) -> str | None:
    """Turn a user's query into an FTS5 MATCH expression in which every term must match
    (app.textquery.Query.expression); ``languages`` choose the stemmers of word forms.

    Returns ``None`` when the query holds nothing searchable.
    """
    from app.textquery import Query

    return Query.parse(query, languages).expression()


def highlight_spans(text: str, query: str, language: str | None = None) -> list[tuple[int, int]]:
    """Sorted, non-overlapping (start, end) spans of ``text`` matching ``query``, as
    app.textquery.highlight_spans gives them for a page in ``language``."""
    from app import textquery

    return textquery.highlight_spans(text, textquery.Query.parse(query, [language] if language else []), language)


def snippet(text: str, query: str, width: int = 160, language: str | None = None) -> tuple[str, list[tuple[int, int]]]:
    """app.textquery.snippet for a query given as text."""
    from app import textquery

    return textquery.snippet(text, textquery.Query.parse(query, [language] if language else []), width, language)


class _Token(NamedTuple):
    kind: str
    text: str  # normalised
    starts: tuple[int, ...]  # per normalised character: start of its source cluster
    ends: tuple[int, ...]  # ... and end, relative to the chunk


@functools.lru_cache(maxsize=4096)
def _normalize_cluster(cluster: str) -> str:
    return _normalize(cluster)


_CACHED_CHUNK_CHARS = 48


def _chunk_tokens(chunk: str) -> tuple[_Token, ...]:
    # Short chunks (words) repeat and are cached; long ones (unpunctuated runs of
    # scripts without spaces) would only fill the cache.
    if len(chunk) <= _CACHED_CHUNK_CHARS:
        return _cached_chunk_tokens(chunk)
    return _compute_chunk_tokens(chunk)


def _compute_chunk_tokens(chunk: str) -> tuple[_Token, ...]:
    """Tokens of a chunk, each normalised character mapped back to the chunk.

    Normalising cluster by cluster gives the same text as normalising the whole string
    because every character that can compose with its predecessor (combining marks,
    Hangul vowel and final jamo) stays in its predecessor's cluster.
    """
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for m in _CLUSTER_RE.finditer(chunk.translate(_CLUSTERS)):
        a, b = m.span()
        norm = _normalize_cluster(chunk[a:b])
        pieces.append(norm)
        starts.extend([a] * len(norm))
        ends.extend([b] * len(norm))
    norm_chunk = "".join(pieces)
    return tuple(
        _Token(kind, norm_chunk[s:e], tuple(starts[s:e]), tuple(ends[s:e]))
        for kind, s, e in _scan(norm_chunk)
    )


_cached_chunk_tokens = functools.lru_cache(maxsize=8192)(_compute_chunk_tokens)

# Chunks end at whitespace and at punctuation that is a separator in every script
# (ASCII, CJK, fullwidth, danda, Myanmar, Khmer, Tibetan shad, Arabic), never inside
# a token; the Tibetan tsheg (U+0F0B) joins syllables and is deliberately absent.
_CHUNK_RE = re.compile(
    "[^\\s!-/:-@\\[-`{-~\u3000-\u3003\u3008-\u3011\uff01-\uff0f\uff1a-\uff20"
    "\u0964\u0965\u104a\u104b\u17d4\u17d5\u0f0d-\u0f12\u060c\u061b\u061f\u06d4]+"
)


def _mapped_tokens(text: str) -> Iterator[tuple[int, _Token]]:
    """Yield (chunk offset in ``text``, token) for every token of ``text``."""
    for m in _CHUNK_RE.finditer(text):
        for token in _chunk_tokens(m.group()):
            yield m.start(), token


_OTHER_CACHES: list[Callable[[], None]] = []


def register_cache(clear: Callable[[], None]) -> None:
    """Have ``clear_caches`` also call ``clear`` (modules that keep page text to go faster)."""
    _OTHER_CACHES.append(clear)


def clear_caches() -> None:
    """Forget the normalised words kept to speed up highlighting and stemming (call on
    lock)."""
    for clear in _OTHER_CACHES:
        clear()
    _cached_chunk_tokens.cache_clear()
    _normalize_cluster.cache_clear()
    _stem_cache.clear()
    stemming.clear_caches()
    if "app.textquery" in sys.modules:
        sys.modules["app.textquery"].clear_caches()


def segments(text: str) -> list[tuple[bool, str]]:
    """The tokens of ``text`` as the index sees them, normalised, in order: ``(True,
    word)`` for a word of a script written with spaces (digits included), ``(False,
    run)`` for a run of a script written without spaces (Han, Kana, Hangul, Thai, Lao,
    Khmer, Myanmar, Tibetan). Separators (spaces, punctuation, symbols) are dropped.
    Used to estimate a passphrase's strength by words in any script."""
    norm = _normalize(text)
    return [(kind == _WORD, norm[start:end]) for kind, start, end in _scan(norm)]
