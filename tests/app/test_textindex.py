"""Tests for app.textindex against real FTS5 (sqlcipher3, in memory) and the UDHR corpus."""

from __future__ import annotations

import functools
import random
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from app.textindex import (  # noqa: E402
    FTS_TOKENIZE,
    MAX_QUERY_TERMS,
    highlight_spans,
    index_text,
    match_query,
    snippet,
)

from support import CORPUS  # noqa: E402  (shared/ beside the checkout, or $SATCHEL_CORPUS)
from corpus import languages  # noqa: E402

NS = {"u": "http://efele.net/udhr"}
LANGS = sorted(p.stem.removeprefix("udhr_") for p in CORPUS.glob("udhr_*.xml"))
# Written without spaces between words: probe them with runs of 2-4 characters.
NO_SPACE = {"cmn_hans", "cmn_hant", "jpn", "tha", "khm", "mya", "bod"}

needs_corpus = pytest.mark.skipif(not LANGS, reason=f"UDHR corpus not found at {CORPUS}")

# What match_query may produce: quoted strings without quotes inside, optional '*',
# alone or OR-ed in parentheses (a word and its forms), groups joined by AND.
_PHRASE = r'"[^"]+"\*?'
_GROUP = rf"(?:{_PHRASE}|\({_PHRASE}(?: OR {_PHRASE})+\))"
SAFE_EXPR = re.compile(rf"{_GROUP}(?: AND {_GROUP})*")


# --- helpers -------------------------------------------------------------------------


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def make_db(texts: Iterable[str]) -> sqlcipher3.Connection:
    """An FTS5 table whose rowid i+1 holds texts[i]."""
    db = sqlcipher3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE t USING fts5(body, tokenize={_sql_literal(FTS_TOKENIZE)})")
    db.executemany(
        "INSERT INTO t(rowid, body) VALUES (?, ?)",
        ((i + 1, index_text(text)) for i, text in enumerate(texts)),
    )
    return db


def search(db: sqlcipher3.Connection, query: str, limit: int = 1000) -> list[int]:
    expr = match_query(query)
    if expr is None:
        return []
    rows = db.execute(
        "SELECT rowid FROM t WHERE t MATCH ? ORDER BY bm25(t) LIMIT ?", (expr, limit)
    ).fetchall()
    return [r[0] for r in rows]


def fold(text: str) -> str:
    """The test's own, independent idea of text equality: NFC + case folding."""
    return unicodedata.normalize("NFC", text).casefold()


def _element_text(element: ET.Element) -> str:
    paras = [" ".join("".join(p.itertext()).split()) for p in element.iter(f"{{{NS['u']}}}para")]
    title = element.find("u:title", NS)
    head = " ".join("".join(title.itertext()).split()) if title is not None else ""
    return "\n".join([head, *paras])


@functools.cache
def corpus_rows(lang: str) -> tuple[str, ...]:
    """The preamble (when present) and the 30 articles of one UDHR translation."""
    root = ET.parse(CORPUS / f"udhr_{lang}.xml").getroot()
    rows = []
    preamble = root.find("u:preamble", NS)
    if preamble is not None:
        rows.append(_element_text(preamble))
    rows.extend(_element_text(a) for a in root.findall("u:article", NS))
    return tuple(rows)


def _is_letter_or_mark(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LM"


def _letter_runs(text: str) -> list[str]:
    runs, current = [], []
    for ch in text:
        if _is_letter_or_mark(ch):
            current.append(ch)
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def candidate_words(text: str) -> list[str]:
    return sorted({w for w in _letter_runs(fold(text)) if len(w) >= 3})


def candidate_runs(text: str) -> list[str]:
    """Substrings of 2-4 characters of non-Latin letter runs that start and end on
    character-cluster boundaries (what a reader would type)."""
    out = set()
    for run in _letter_runs(fold(text)):
        for start in range(len(run)):
            if unicodedata.category(run[start]).startswith("M") or ord(run[start]) < 0x300:
                continue
            for length in (2, 3, 4):
                end = start + length
                if end > len(run):
                    break
                sub = run[start:end]
                if end < len(run) and unicodedata.category(run[end]).startswith("M"):
                    continue
                if unicodedata.combining(sub[-1]) == 9:  # virama / coeng
                    continue
                if any(ord(c) < 0x300 for c in sub):
                    continue
                out.add(sub)
    return sorted(out)


# --- the tokenizer contract ----------------------------------------------------------


def _vocab_terms(db: sqlcipher3.Connection) -> dict[int, list[str]]:
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    per_doc: dict[int, list[tuple[int, str]]] = {}
    for term, doc, offset in db.execute("SELECT term, doc, offset FROM v"):
        per_doc.setdefault(doc, []).append((offset, term))
    return {doc: [term for _, term in sorted(items)] for doc, items in per_doc.items()}


ADVERSARIAL_TEXTS = [
    "a_b a-b a'b \"quoted\" (paren) NEAR/3 a:b *star ^caret {x y} + - AND OR NOT",
    "👍🏽 👨\u200d👩\u200d👧 ❤️ x\u00a0y\u3000z\u2028w\u200bv ﬁ Ⅻ ① ½ ²",
    "\ud800lone surrogate \x00nul\x1b[31m esc",
    "tab\tnew\nline\rcr\x0bvt\x0cff\x85nel",
    "م\u200cی ཀ་ཁ་ག ཀ༌ཁ ‘quotes’ «guillemets» „de“ 「引用」 【括弧】",
    "ǅemal İstanbul ΣΊΣΥΦΟΣ Ꭰꭰ Straße Ǆ ǈ",
]


def _sample_letters() -> str:
    """One letter, mark or number from every 61st code point of planes 0-2."""
    chars = []
    for cp in range(0x80, 0x30000, 61):
        ch = chr(cp)
        if unicodedata.category(ch)[0] in "LMN":
            chars.append(ch)
    return " ".join(chars) + " " + "".join(chars)


@needs_corpus
def test_fts5_splits_exactly_on_the_spaces_we_emit() -> None:
    texts = [row for lang in LANGS for row in corpus_rows(lang)]
    texts += ADVERSARIAL_TEXTS + [_sample_letters()]
    db = make_db(texts)
    vocab = _vocab_terms(db)
    for i, text in enumerate(texts):
        emitted = index_text(text)
        assert "  " not in emitted and emitted == emitted.strip()
        expected = emitted.split(" ") if emitted else []
        assert vocab.get(i + 1, []) == expected, f"tokenizer disagrees on text {i}"


def test_every_code_point_survives_the_fts5_tokenizer_intact() -> None:
    # Each code point between two letters: FTS5 must keep exactly our tokens, so a
    # character that Python and SQLite classify differently cannot split a token.
    texts = [
        " ".join(f"a{chr(cp)}b" for cp in range(start, min(start + 4096, 0x40000))
                 if not 0xD800 <= cp <= 0xDFFF)
        for start in range(0x80, 0x40000, 4096)
    ]
    vocab = _vocab_terms(make_db(texts))
    for i, text in enumerate(texts):
        assert vocab.get(i + 1, []) == index_text(text).split(" "), f"block {i}"


@pytest.mark.parametrize("quoted", ["'{}'", '"{}"'])
def test_fts_tokenize_can_be_quoted_either_way(quoted: str) -> None:
    db = sqlcipher3.connect(":memory:")
    value = FTS_TOKENIZE.replace(quoted[0], quoted[0] * 2)
    db.execute(f"CREATE VIRTUAL TABLE t USING fts5(body, tokenize={quoted.format(value)})")
    db.execute("INSERT INTO t(rowid, body) VALUES (1, ?)", (index_text("人人生而自由 l'éducation"),))
    for query in ("自由", "education", "由"):
        assert db.execute("SELECT rowid FROM t WHERE t MATCH ?", (match_query(query),)).fetchall() == [(1,)]


def test_emitted_tokens_contain_no_ascii_separators() -> None:
    for text in ADVERSARIAL_TEXTS + [_sample_letters()]:
        for token in index_text(text).split():
            assert all(c.isalnum() for c in token if ord(c) < 128), token


@needs_corpus
def test_highlighting_tokenises_exactly_like_the_index() -> None:
    # highlight_spans normalises piece by piece to map matches back to the original
    # text; the pieces must add up to what index_text saw.
    from app.textindex import _mapped_tokens, _normalize, _scan

    texts = [row for lang in LANGS for row in corpus_rows(lang)] + ADVERSARIAL_TEXTS
    texts += ["e\u0301te\u0301 \u1100\u1161\u11a8 \u0915\u093c ,\u0e34x \u0f40\u0f0b\u0f0b\u0f41"]
    for text in texts:
        norm = _normalize(text)
        whole = [norm[s:e] for _, s, e in _scan(norm)]
        pieces = [token.text for _, token in _mapped_tokens(text)]
        assert pieces == whole


# --- recall over every language of the corpus ----------------------------------------


def _pick_unique(candidates: list[str], folded_rows: list[str], row: int, rng: random.Random,
                 want: int) -> list[str]:
    rng.shuffle(candidates)
    picked: list[str] = []
    for cand in candidates:
        if len(picked) == want:
            break
        holders = [i for i, f in enumerate(folded_rows) if cand in f]
        if holders == [row]:
            picked.append(cand)
    return picked


@needs_corpus
@pytest.mark.parametrize("lang", LANGS)
def test_term_unique_to_an_article_finds_it_in_top_10(lang: str, record_property) -> None:
    rows = corpus_rows(lang)
    db = make_db(rows)
    folded_rows = [fold(r) for r in rows]
    rng = random.Random(lang)
    tried, misses = 0, []
    for row, text in enumerate(rows):
        if lang in NO_SPACE:
            runs = candidate_runs(text)
            picks = []
            for length in (2, 3, 4):
                picks += _pick_unique([r for r in runs if len(r) == length], folded_rows, row, rng, 1)
        else:
            picks = _pick_unique(candidate_words(text), folded_rows, row, rng, 3)
        for term in picks:
            tried += 1
            top = search(db, term, limit=10)
            if row + 1 not in top:
                misses.append(term)
            # Whatever finds a page must also be highlighted in it.
            assert highlight_spans(text, term), (lang, term)
    recall = (tried - len(misses)) / tried if tried else 0.0
    record_property("recall", f"{recall:.3f} ({tried - len(misses)}/{tried})")
    assert tried >= 40, f"{lang}: only {tried} probes"
    assert not misses, f"{lang}: recall {recall:.3f}, missed {misses[:10]}"


@needs_corpus
@pytest.mark.parametrize(
    ("lang", "word"),
    [
        ("cmn_hans", "自由"),
        ("cmn_hans", "人人"),
        ("cmn_hans", "权利"),
        ("cmn_hans", "教育"),
        ("cmn_hans", "平等"),
        ("cmn_hant", "自由"),
        ("cmn_hant", "權利"),
        ("jpn", "自由"),
        ("jpn", "権利"),
        ("tha", "สิทธิ"),
        ("khm", "សិទ្ធិ"),
        ("kor", "자유"),
    ],
)
def test_no_space_words_find_exactly_the_rows_containing_them(lang: str, word: str) -> None:
    rows = corpus_rows(lang)
    expected = {i + 1 for i, r in enumerate(rows) if word in fold(r)}
    assert len(expected) >= 2, "test data changed"
    assert set(search(make_db(rows), word)) == expected


@needs_corpus
@pytest.mark.parametrize("lang", sorted(NO_SPACE))
def test_random_runs_find_exactly_the_rows_containing_them(lang: str) -> None:
    rows = corpus_rows(lang)
    db = make_db(rows)
    folded_rows = [fold(r) for r in rows]
    rng = random.Random(f"exact-{lang}")
    pool = sorted({r for text in rows for r in candidate_runs(text)})
    for term in rng.sample(pool, 150):
        expected = {i + 1 for i, f in enumerate(folded_rows) if term in f}
        assert set(search(db, term)) == expected, term


@needs_corpus
@pytest.mark.parametrize(("lang", "char"), [("cmn_hans", "由"), ("cmn_hans", "育"), ("tha", "ภ"),
                                            ("jpn", "を")])
def test_lone_character_finds_every_row_containing_it(lang: str, char: str) -> None:
    rows = corpus_rows(lang)
    expected = {i + 1 for i, r in enumerate(rows) if char in fold(r)}
    assert expected
    assert match_query(char) == f'"{char}"*'
    assert set(search(make_db(rows), char)) == expected


# --- prefixes, case and diacritics ---------------------------------------------------


def _rows_with_word_prefix(rows: tuple[str, ...], prefix: str) -> set[int]:
    return {
        i + 1
        for i, r in enumerate(rows)
        if any(w.startswith(prefix) for w in _letter_runs(fold(r)))
    }


@needs_corpus
@pytest.mark.parametrize(
    ("lang", "prefix", "must_contain"),
    [
        ("eng", "freed", "freedom"),
        ("fra", "liber", "liberté"),
        ("rus", "свобод", "свободу"),
        ("ukr", "свобод", "свобод"),
        ("arb", "حري", "حرية"),
        ("pes_1", "آزاد", "آزادی"),
        ("hin", "स्वतन्त्र", "स्वतन्त्रता"),
        ("tam", "உரிமை", "உரிமை"),
    ],
)
def test_word_prefix_finds_rows_with_longer_words(lang: str, prefix: str, must_contain: str) -> None:
    rows = corpus_rows(lang)
    expected = _rows_with_word_prefix(rows, prefix)
    assert any(must_contain in fold(r) for r in rows)
    assert len(expected) >= 2
    assert expected <= set(search(make_db(rows), prefix))


@needs_corpus
def test_arabic_article_search_finds_words_with_attached_conjunction() -> None:
    rows = corpus_rows("arb")
    with_conjunction = {i + 1 for i, r in enumerate(rows) if "والحريات" in fold(r)}
    assert len(with_conjunction) >= 3
    assert with_conjunction <= set(search(make_db(rows), "الحريات"))


def test_prefix_matching_on_small_documents() -> None:
    db = make_db(
        [
            "Everyone has the right to freedom of thought.",
            "Каждый человек имеет право на свободу мысли.",
            "لكل شخص الحق في حرية التفكير والضمير والدين.",
            "Nobody shall be held in slavery.",
        ]
    )
    assert search(db, "freed") == [1]
    assert search(db, "FREEDOM") == [1]
    assert search(db, "freedoms") == []
    assert search(db, "свобод") == [2]
    assert search(db, "Свобода") == []  # prefixes, not stems
    assert search(db, "حري") == [3]
    assert search(db, "الدين") == [3]  # attached conjunction و
    assert search(db, "دين") == [3]  # and article
    assert search(db, "right thought") == [1]
    assert search(db, "right slavery") == []  # every term must match


def test_arabic_attached_article_and_conjunctions() -> None:
    db = make_db(["والحرية", "بالحرية", "للحرية", "الحرية", "حرية", "حرب"])
    # With or without the article or a conjunction, a word finds the same pages; the
    # form typed only ranks the pages that use it first.
    for query in ("حرية", "الحرية", "والحرية", "للحرية", "بالحرية"):
        assert sorted(search(db, query)) == [1, 2, 3, 4, 5], query
    assert search(db, "والحرية")[0] == 1
    assert search(db, "للحرية")[0] == 3
    assert _marked("هذه والحرية", "حرية") == ["والحرية"]
    assert _marked("هذه حرية", "الحرية") == ["حرية"]


def test_case_and_diacritics_do_not_matter() -> None:
    db = make_db(
        [
            "L'éducation doit viser au plein épanouissement de la personnalité humaine.",
            "Toute personne a droit à l'education.",
            "لكل شخص الحق في التَّعْلِيمِ",
            "لكل شخص الحق في التعليم",
            "أحمد و إبراهيم",
            "Straße",
            "Ἀνθρώπινα δικαιώματα",
        ]
    )
    for q in ("education", "EDUCATION", "Éducation", "éducation", "ÉDUCATION", "e\u0301ducation"):
        assert sorted(search(db, q)) == [1, 2], q
    assert search(db, "epanouissement") == [1]
    assert search(db, "PERSONNALITE") == [1]
    assert sorted(search(db, "التعليم")) == [3, 4]
    assert sorted(search(db, "التَّعْلِيمُ")) == [3, 4]
    assert search(db, "احمد") == [5]
    assert search(db, "ابراهیم") == [5]  # hamza seat and Persian yeh folded
    assert search(db, "STRASSE") == [6]
    assert search(db, "ανθρωπινα") == [7]


def test_arabic_and_persian_letter_variants_fold_together() -> None:
    db = make_db(["كتاب ايران", "کتاب ایران", "مكتبة", "على مستوى"])
    assert search(db, "علي مستوي") == [4]  # alef maksura, yeh and Farsi yeh agree
    assert search(db, "علی") == [4]
    assert sorted(search(db, "كتاب")) == [1, 2]
    assert sorted(search(db, "کتاب")) == [1, 2]
    assert sorted(search(db, "ایران")) == [1, 2]
    assert search(db, "مکتبه") == [3]  # Persian kaf, heh for teh marbuta
    assert search(db, "مكتبـــة") == [3]  # tatweel is elongation only


def test_digits_of_every_script_fold_to_ascii() -> None:
    db = make_db(["Resolution 217 A (III) of 1948", "سنة ١٩٤٩", "๒๕๖๗"])
    assert search(db, "١٩٤٨") == [1]
    assert search(db, "۱۹۴۸") == [1]
    assert search(db, "1949") == [2]
    assert search(db, "2567") == [3]


def test_vowel_signs_of_indic_and_thai_scripts_stay_meaningful() -> None:
    assert index_text("किताब") != index_text("कताब")
    assert "ि" in index_text("किताब")
    assert index_text("கொடு") != index_text("கடு")
    assert index_text("กิน") != index_text("กน")
    assert index_text("が") != index_text("か")
    db = make_db(["किताब", "กิน", "ほしが"])
    assert search(db, "कताब") == []
    assert search(db, "किता") == [1]
    assert search(db, "กน") == []
    assert search(db, "กิน") == [2]
    assert search(db, "しか") == []
    assert search(db, "しが") == [3]


def test_persian_zwnj_words_match_with_joiner_space_or_nothing() -> None:
    db = make_db(["من می\u200cخواهم بخوانم"])
    for q in ("می\u200cخواهم", "میخواهم", "می خواهم", "خواهم"):
        assert search(db, q) == [1], q


def test_script_change_splits_runs() -> None:
    # Words come first, then each run of a script written without spaces.
    assert index_text("第217A号") == "217a 第 号"
    assert index_text("ABC自由xyz") == "abc xyz 自由 由"
    assert index_text("ไทย中文") == "ไท ทย ย 中文 文"
    assert index_text("自由を有する") == "自由 由を を有 有す する る"  # kanji + kana: one run


def test_tibetan_tsheg_joins_syllables_but_does_not_end_a_run() -> None:
    db = make_db(["ཆོས་ལུགས་ཀྱི་རང་དབང་།", "ཆོས། ལུགས"])
    assert search(db, "ཆོས་ལུགས") == [1]  # adjacent syllables: a phrase
    assert sorted(search(db, "ཆོས་")) == [1, 2]  # a trailing tsheg is not required
    assert sorted(search(db, "ལུགས")) == [1, 2]


# --- hostile and degenerate queries --------------------------------------------------


HOSTILE_QUERIES = [
    '"',
    '""',
    '"unbalanced',
    "NEAR(",
    "NEAR(a b, 3)",
    "NEAR/2",
    "*",
    "a*",
    "*a",
    "AND",
    "OR",
    "NOT",
    "a AND b",
    "a OR b",
    "a NOT b",
    "col:x",
    "body:x",
    "{body}:x",
    "-body:x",
    "^x",
    "x^",
    "(",
    ")",
    "((a)",
    "a)",
    "+",
    "a + b",
    ":",
    "'; DROP TABLE t; --",
    "自由 OR 平等",
    "\x00",
    "\ud800",
    "\u200b\u200c\u200d",
    "\u202eevil",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_never_reach_fts5_syntax(query: str) -> None:
    db = make_db(["a b and or not near col x body 自由 平等 evil"])
    expr = match_query(query)
    if expr is not None:
        assert SAFE_EXPR.fullmatch(expr), expr
    search(db, query)  # must not raise


def test_clear_caches_keeps_results_identical() -> None:
    from app.textindex import clear_caches

    text = "Everyone has the right to freedom; 人人生而自由。"
    before = highlight_spans(text, "freedom 自由")
    clear_caches()
    assert highlight_spans(text, "freedom 自由") == before == [(26, 33), (39, 41)]


def test_operators_are_searched_as_words() -> None:
    db = make_db(["war and peace", "peace near war", "nothing"])
    assert search(db, "AND") == [1]
    assert search(db, "NEAR(war") == [2]
    assert sorted(search(db, "war OR peace")) == []  # "or" is a term that must match
    assert search(db, "body:war") == []  # no column filter: "body" is a term


def test_queries_with_nothing_searchable_return_none() -> None:
    for query in ["", "   ", "!!!", "。，、「」", "...?!", "—–-", "\u200b", "’", "()", '"*"', "🙂🙂"]:
        assert match_query(query) is None, query


def test_random_queries_never_raise() -> None:
    rng = random.Random(1948)
    alphabet = list('"\'*^:()-+{}[],.;!?\\/ \t\nANDORNOTNEAR') + list("aé自由ไทยحر\u200c\u0301་")
    db = make_db(["aé 自由 ไทย حر"])
    for _ in range(2000):
        query = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        expr = match_query(query)
        if expr is not None:
            assert SAFE_EXPR.fullmatch(expr), (query, expr)
        search(db, query)


def test_query_length_and_term_count_are_capped() -> None:
    many = " ".join(f"w{i}x" for i in range(1000))
    expr = match_query(many)
    assert expr is not None and expr.count('"') // 2 <= MAX_QUERY_TERMS
    long_run = match_query("自由平等" * 5000)
    assert long_run is not None and len(long_run) < 1200
    db = make_db(["自由平等" * 100])
    assert search(db, "自由平等" * 5000) == [1]
    assert match_query("x" * 100_000) is not None


# --- highlighting and snippets -------------------------------------------------------


def _marked(text: str, query: str) -> list[str]:
    return [text[a:b] for a, b in highlight_spans(text, query)]


def test_highlight_english_prefix_marks_whole_words() -> None:
    text = "Everyone has the right to freedom of thought; Freedom is everyone's."
    assert _marked(text, "FREED") == ["freedom", "Freedom"]
    assert _marked(text, "right everyone") == ["Everyone", "right", "everyone"]
    assert _marked(text, "nothing") == []
    assert _marked(text, "!!!") == []


def test_highlight_arabic_ignores_harakat_and_keeps_words_whole() -> None:
    text = "لكل إنسان الحق في الحُرّيَّة وفي الأمان"
    assert _marked(text, "الحرية") == ["الحُرّيَّة"]
    assert _marked(text, "انسان الامان") == ["إنسان", "الأمان"]
    assert _marked(text, "الحُرِّيَّةُ") == ["الحُرّيَّة"]


def test_highlight_chinese_substrings() -> None:
    text = "人人生而自由，在尊严和权利上一律平等。自由"
    assert _marked(text, "自由 平等") == ["自由", "平等", "自由"]
    assert highlight_spans(text, "由") == [(5, 6), (20, 21)]


def test_highlight_thai_never_splits_a_cluster() -> None:
    text = "ทุกคนมีสิทธิในเสรีภาพ"
    assert _marked(text, "เสรีภาพ") == ["เสรีภาพ"]
    assert _marked(text, "ส") == ["สิ", "ส"]  # the vowel sign stays with its consonant


def test_highlight_maps_back_through_normalisation() -> None:
    text = "Straße e\u0301ducation ﬁnance Ⅻ"
    assert _marked(text, "strasse") == ["Straße"]
    assert _marked(text, "education") == ["e\u0301ducation"]
    assert _marked(text, "fin") == ["ﬁnance"]
    assert _marked(text, "می") == []
    persian = "من می\u200cخواهم"
    assert _marked(persian, "میخواهم") == ["می\u200cخواهم"]
    assert _marked(persian, "خواهم") == ["خواهم"]


def _check_snippet(out: str, spans: list[tuple[int, int]], width: int) -> None:
    assert "  " not in out and "\n" not in out and "\t" not in out
    assert len(out) <= width + 2 + 20  # width, two ellipses, cluster rounding
    for a, b in spans:
        assert 0 <= a < b <= len(out)


def test_snippet_english_window_around_first_match() -> None:
    text = ("Lorem ipsum dolor sit amet.\n\n   " * 30) + "Everyone has the right to freedom.   " + (
        "Consectetur adipiscing elit. " * 30
    )
    out, spans = snippet(text, "freedom", width=80)
    _check_snippet(out, spans, 80)
    assert out.startswith("…") and out.endswith("…")
    assert [out[a:b] for a, b in spans] == ["freedom"]
    assert "right to freedom" in out


def test_snippet_without_match_starts_at_the_beginning() -> None:
    text = "First   line\n\nsecond line " + "x " * 200
    out, spans = snippet(text, "absent", width=40)
    assert spans == []
    assert out.startswith("First line second line")
    assert out.endswith("…") and not out.startswith("…")
    short, short_spans = snippet("  Short\ttext.  ", "text")
    assert short == "Short text."
    assert [short[a:b] for a, b in short_spans] == ["text"]
    assert snippet("", "x") == ("", [])


def test_snippet_chinese_and_arabic() -> None:
    zh = "序言" + "鉴于对人类家庭所有成员的固有尊严及其平等的和不移的权利的承认，" * 8 + "乃是世界自由、正义与和平的基础。" + "鉴于" * 100
    out, spans = snippet(zh, "自由", width=60)
    _check_snippet(out, spans, 60)
    assert [out[a:b] for a, b in spans] == ["自由"]
    assert out.startswith("…") and out.endswith("…")

    ar = "مقدمة " * 60 + "لكل شخص الحق في الحُرّيَّة وفي الأمان على شخصه " + "نص " * 60
    out, spans = snippet(ar, "الحرية الامان", width=70)
    _check_snippet(out, spans, 70)
    assert [out[a:b] for a, b in spans] == ["الحُرّيَّة", "الأمان"]


def test_snippet_centres_on_the_earliest_match_whatever_the_term_order() -> None:
    text = "前言" * 100 + "人人生而自由，在尊严和权利上一律平等。" + "后记" * 100
    out, spans = snippet(text, "平等 自由", width=40)
    assert [out[a:b] for a, b in spans] == ["自由", "平等"]


def test_snippet_thai_and_controls() -> None:
    th = "ข้อ ๑ " * 40 + "ทุกคนมีสิทธิในเสรีภาพ\u202e" + " ท้าย" * 40
    out, spans = snippet(th, "เสรีภาพ", width=50)
    _check_snippet(out, spans, 50)
    assert [out[a:b] for a, b in spans] == ["เสรีภาพ"]
    assert "\u202e" not in out
    out, spans = snippet("a\x00b\x1bc freedom", "freedom")
    assert "\x00" not in out and "\x1b" not in out
    assert [out[a:b] for a, b in spans] == ["freedom"]


def _tokens_by_loop_only(text: str) -> str:
    from app import textindex

    norm = textindex._normalize(text)
    words: list[str] = []
    grams: list[str] = []
    textindex._tokens_by_loop(norm, norm.translate(textindex._CLASSES), words, grams)
    return " ".join(words + grams)


FAST_PATH_SAMPLES = [
    "Everyone has the right to life, liberty and security of person.",
    "Tout individu a droit à la vie, à la liberté et à la sûreté de sa personne.",
    "Каждый человек имеет право на жизнь, на свободу и на личную неприкосновенность.",
    "प्रत्येक व्यक्ति को जीवन, स्वाधीनता और वैयक्तिक सुरक्षा का अधिकार है।",
    "word_with_underscore don't e-mail 1948 ١٩٤٨ ۱۹۴۸ x" + "y" * 100,
    "\u00a0\u2003tabs\tand\nnewlines\r\n  ",
    # Arabic without any letter that folds: the plain path must still add clitic forms.
    "والحرية للجميع الحرية بالعلم فالامر کالبدر وال ال لل للا",
    "الْحُرِّيَّة وَالْكَرَامَة ـــ ة ى ي ك",
    "人人生而自由，在尊严和权利上一律平等。自由を有する 모든 인간은 ไทย ລາວ ខ្មែរ မြန်မာ",
    "ཆོས་ལུགས་ཀྱི་རང་དབང་། من می\u200cخواهم \U00020001\U00020002 😀 𝐀𝐁",
    "\u00ad\u200b\u200d\u2060\ufeff soft\u00adhyphen zero\u200bwidth",
]


def test_fast_paths_give_the_same_tokens_as_the_loop() -> None:
    """index_text's regular-expression paths (plain text, Arabic clitics, no-space runs,
    line by line) must give exactly the general loop's tokens."""
    from app.textindex import index_text

    rng = random.Random(5)
    samples = list(FAST_PATH_SAMPLES)
    pool = "".join(samples)
    for _ in range(400):
        samples.append("".join(rng.choice(pool) for _ in range(rng.randint(0, 80))))
    for _ in range(100):  # several lines, some needing the loop and some not
        samples.append("\n".join(rng.choice(FAST_PATH_SAMPLES) for _ in range(rng.randint(1, 6))))
    for text in samples:
        assert index_text(text) == _tokens_by_loop_only(text), text


def test_fast_paths_on_the_corpus(record_property: Any) -> None:
    from app.textindex import index_text

    texts = [a.text for lang in languages() for a in lang.articles if a.text]
    assert len(texts) > 900
    for text in texts:
        assert index_text(text) == _tokens_by_loop_only(text)


def test_fold_and_character_sets_match_the_tables_on_every_code_point() -> None:
    """The regular expressions built by _fast_tables agree with the _FOLD and _CLASSES
    translate tables on every code point."""
    from app import textindex

    every = "".join(chr(cp) for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF)
    assert textindex._fold(every) == every.translate(textindex._FOLD)  # the general path
    bmp = [chr(cp) for cp in range(0x10000) if not 0xD800 <= cp <= 0xDFFF]
    text = "".join(bmp)
    assert textindex._fold(text) == text.translate(textindex._FOLD)  # the BMP fast path
    fast = textindex._fast_tables()
    for ch in bmp:
        cls = textindex._CLASSES[ord(ch)]
        assert (fast.word.fullmatch(ch) is not None) == (cls == "w"), hex(ord(ch))
        if cls not in ("w", " ", "b", "j", "z"):
            assert fast.grams.fullmatch(ch) is not None and fast.runs.fullmatch(ch) is not None, hex(ord(ch))
        else:
            assert fast.runs.fullmatch(ch) is None, hex(ord(ch))
        if ch.translate(textindex._FOLD) != ch or cls not in ("w", " "):
            assert fast.special.fullmatch(ch) is not None, hex(ord(ch))
    assert fast.special.fullmatch("\U00010000") is not None


# --- word forms (stems) --------------------------------------------------------------

STEM_LANGS = {"eng": "en", "fra": "fr", "spa": "es", "rus": "ru", "arb": "ar", "pes_1": "fa", "hin": "hi",
              "tam": "ta", "tur": "tr", "por_BR": "pt-BR"}


def _loop_with_stems(text: str, language: str) -> str:
    """The reference: the general loop's tokens, with the stems index_text adds."""
    from app import stemming, textindex

    norm = textindex._normalize(text)
    words: list[str] = []
    grams: list[str] = []
    textindex._tokens_by_loop(norm, norm.translate(textindex._CLASSES), words, grams)
    joined = " ".join(w for w in words if w)
    rule = stemming.rule_for(language)
    assert rule is not None
    return " ".join(p for p in [joined, textindex.stem_tokens(joined, rule), *grams] if p)


@needs_corpus
@pytest.mark.parametrize("key", sorted(STEM_LANGS))
def test_fast_paths_with_stems_give_the_loops_tokens(key: str) -> None:
    for text in corpus_rows(key):
        assert index_text(text, STEM_LANGS[key]) == _loop_with_stems(text, STEM_LANGS[key])
    rng = random.Random(key)
    pool = "".join(FAST_PATH_SAMPLES) + "".join(corpus_rows(key)[:3])
    for _ in range(100):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 120)))
        assert index_text(text, STEM_LANGS[key]) == _loop_with_stems(text, STEM_LANGS[key]), text


@needs_corpus
def test_fts5_splits_stemmed_text_exactly_on_our_spaces() -> None:
    db = sqlcipher3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE t USING fts5(body, tokenize={_sql_literal(FTS_TOKENIZE)})")
    texts = [(row, STEM_LANGS[key]) for key in STEM_LANGS for row in corpus_rows(key)]
    db.executemany("INSERT INTO t(rowid, body) VALUES (?, ?)",
                   ((i + 1, index_text(t, lang)) for i, (t, lang) in enumerate(texts)))
    vocab = _vocab_terms(db)
    for i, (text, lang) in enumerate(texts):
        assert vocab.get(i + 1, []) == index_text(text, lang).split(" "), (lang, i)


def _stems_added(text: str, language: str | None) -> list[str]:
    """The tokens index_text adds for word forms (texts without bigrams)."""
    plain = index_text(text).split(" ")
    return index_text(text, language).split(" ")[len(plain):]


def test_a_stemmer_touches_only_words_of_its_own_script() -> None:
    text = "The wiping: пути, والكلمات"
    assert _stems_added(text, "en") == ["wipe"]  # not the Russian or Arabic words
    assert _stems_added("Пути and wiping", "ru") == ["пут"]
    assert _stems_added("والكلمات and wiping", "ar") == ["\u06a9\u0644\u0645"]  # folded like every word
    for language in (None, "zh", "xx-Latn", "und", ""):
        assert index_text("Wiping", language) == "wiping"
    assert index_text("密碼 wiping", "en") == "wiping wipe 密码 码"  # stems before bigrams


def test_the_index_holds_only_stems_a_prefix_cannot_find() -> None:
    # "password" starts "passwords": searched by prefix, the stem finds the word itself.
    assert index_text("passwords nations", "en") == "passwords nations"
    assert index_text("wiping policies happy", "en") == "wiping policies happy wipe happi"
    assert index_text("дела пути", "ru") == "дела пути дел пут"  # short stems are kept whole
    assert index_text("wiping wiped wipes", "en") == "wiping wiped wipes wipe"  # once per text
    db = make_db([])
    db.execute("INSERT INTO t(rowid, body) VALUES (1, ?)", (index_text("wiping", "en"),))
    assert search(db, "wipe") == [1]  # the stem is a word of the index
    assert search(db, "wip") == [1]


def test_word_forms_match_through_the_query_languages() -> None:
    db = sqlcipher3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE t USING fts5(body, tokenize={_sql_literal(FTS_TOKENIZE)})")
    rows = [("We wipe the laptop.", "en"), ("Они сменили пароли.", "ru"), ("Nous protégeons les libertés.", "fr"),
            ("The password is long.", "en")]
    db.executemany("INSERT INTO t(rowid, body) VALUES (?, ?)",
                   ((i + 1, index_text(t, lang)) for i, (t, lang) in enumerate(rows)))

    def found(query: str, langs: list[str]) -> list[int]:
        expr = match_query(query, langs)
        return sorted(r[0] for r in db.execute("SELECT rowid FROM t WHERE t MATCH ?", (expr,))) if expr else []

    assert found("wiping", ["en"]) == [1]
    assert found("wiping", []) == []  # no stemmer: prefixes only
    assert found("wiping", ["ru", "fr"]) == []  # the English page's stems are English
    assert found("пароль", ["ru"]) == [2]
    assert found("liberté", ["fr", "en"]) == [3]
    assert found("passwords", ["en"]) == [4]  # the page's word is its own stem


def test_highlight_marks_word_forms_in_the_page_language() -> None:
    text = "We wiped it. Wiping is final. The wipe."
    assert _marked_in(text, "wipes", "en") == ["wiped", "Wiping", "wipe"]
    assert _marked_in(text, "wipes", None) == []
    assert _marked_in("Они сменили пароли и пароль", "паролей", "ru") == ["пароли", "пароль"]
    assert _marked_in("يحمي تشفير القرص والتشفير", "التشفير", "ar") == ["تشفير", "والتشفير"]
    assert _marked_in("使用強密碼", "密码", "zh-Hant") == ["密碼"]


def _marked_in(text: str, query: str, language: str | None) -> list[str]:
    return [text[a:b] for a, b in highlight_spans(text, query, language)]


def test_the_fast_whitespace_collapse_agrees_with_the_reference() -> None:
    """Snippets collapse whitespace with str.split when they can; that must give the
    reference loop's text and offsets, and the characters it leaves to the loop must be
    exactly those str.split treats otherwise."""
    from app.textquery import _NOT_FOR_SPLIT_RE, _collapse, _collapse_fast

    rng = random.Random(11)
    pool = "ab cd\t\n\x1cé\u3000\xa0x  \r\x85y\u2029\u200b自"
    for _ in range(5000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 40)))
        expected, index = _collapse(text)
        got, at = _collapse_fast(text)
        assert got == expected and [at(i) for i in range(len(text) + 1)] == index, repr(text)
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF or _NOT_FOR_SPLIT_RE.search(chr(cp)):
            continue
        gap = chr(cp).isspace() or unicodedata.category(chr(cp)) == "Cc"
        assert (("a" + chr(cp) + "b").split() == ["a", "b"]) == gap, hex(cp)


def test_snippets_with_controls_take_the_reference_path() -> None:
    out, spans = snippet("x\x00y\u202e freedom \x1b z", "freedom")
    assert out == "x y freedom z" and [out[a:b] for a, b in spans] == ["freedom"]
