"""Search in every language of the UDHR corpus, through real signed packs in a real vault.

For each language, words (or, in scripts written without spaces, runs of 2-3 characters)
that occur in exactly one article are chosen from the data itself; searching for each
must return that article's page in the top 10.
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from corpus import Language, languages, write_language_source
from support import FAST_MS, make_keypair

from app.search import search
from app.stemming import rule_for
from app.textindex import index_text
from app.trust import TrustStore
from app.vault import Vault
from content_packs.build import build_pack
from content_packs.importer import import_pack

LANGS = languages()


def runs(text: str) -> list[str]:
    """Maximal runs of letters, marks and digits (independent of Satchel's tokenizer)."""
    out, cur = [], []
    for ch in text:
        if unicodedata.category(ch)[0] in "LMN":
            cur.append(ch)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def targets(lang: Language, count: int = 6) -> list[tuple[str, str]]:
    """(query, page path) pairs whose query occurs in exactly one article."""
    rng = random.Random(lang.key)
    texts = {a.path: unicodedata.normalize("NFC", f"{a.title} {a.text}").casefold() for a in lang.articles}
    chosen: list[tuple[str, str]] = []
    paths = sorted(texts)
    rng.shuffle(paths)
    for path in paths:
        if len(chosen) >= count:
            break
        candidates: list[str] = []
        for run in runs(texts[path]):
            if lang.no_spaces:
                letters = [c for c in run if unicodedata.category(c)[0] == "L"]
                if len(letters) < 2:
                    continue
                for size in (2, 3):
                    for i in range(len(run) - size + 1):
                        piece = run[i:i + size]
                        if unicodedata.category(piece[0])[0] == "L":
                            candidates.append(piece)
            elif len(run) >= 5 and not run.isdigit():
                candidates.append(run)
        rng.shuffle(candidates)
        for cand in candidates:
            if lang.no_spaces:
                holders = [p for p, t in texts.items() if cand in t]
            else:
                holders = [p for p, t in texts.items() if cand in runs(t)]
            if holders == [path]:
                chosen.append((cand, path))
                break
    return chosen


@pytest.fixture(scope="module")
def udhr_vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Vault, Path]]:
    tmp = tmp_path_factory.mktemp("udhr")
    key = make_keypair(tmp / "keys", "publisher")
    v = Vault.create(tmp / "home", "pw", iter_time_ms=FAST_MS)
    store = TrustStore(v, roots=(), bundled=None)
    store.add_manual(key.public)
    for lang in LANGS:
        src = write_language_source(lang, tmp / "src" / lang.key)
        out = tmp / "packs" / f"{lang.key}.satchel"
        out.parent.mkdir(exist_ok=True)
        build_pack(src, key.secret, out)
        import_pack(v, out, store=store)
    yield v, tmp
    v.close()


def test_every_language_imported(udhr_vault) -> None:
    v, _ = udhr_vault
    count = v.conn.execute("SELECT count(*) FROM packs").fetchone()[0]
    assert count == len(LANGS) >= 30


@pytest.mark.parametrize("lang", LANGS, ids=[lang.key for lang in LANGS])
def test_unique_words_find_their_article(udhr_vault, lang: Language) -> None:
    v, _ = udhr_vault
    chosen = targets(lang)
    assert len(chosen) >= 3, f"{lang.key}: too few unique terms found in the data"
    misses = []
    for query, path in chosen:
        hits = search(v, query, limit=10, lang=lang.tag)
        if (lang.pack_id, path) not in {(h.pack, h.page) for h in hits}:
            misses.append((query, path))
    assert not misses, f"{lang.key}: not in the top 10: {misses}"


def test_two_character_chinese_word(udhr_vault) -> None:
    v, _ = udhr_vault
    zh = next(lang for lang in LANGS if lang.key == "cmn_hans")
    expected = {a.path for a in zh.articles if "自由" in a.title + a.text}
    assert len(expected) >= 5
    hits = search(v, "自由", limit=200, lang="zh")
    assert expected <= {h.page for h in hits if h.pack == zh.pack_id}


def test_cli_search_json_contract(udhr_vault, tmp_path) -> None:
    import os
    import subprocess
    import sys

    from support import ROOT
    v, tmp = udhr_vault
    env = dict(os.environ, SATCHEL_HOME=str(tmp / "home"))
    proc = subprocess.run([sys.executable, "-m", "app.cli", "search", "自由", "--json", "--limit", "3"],
                          input="pw\n", capture_output=True, text=True, env=env, cwd=str(ROOT))
    assert proc.returncode == 0, proc.stderr
    hits = json.loads(proc.stdout)
    assert len(hits) == 3
    for h in hits:
        assert {"pack", "page", "title", "snippet"} <= set(h)
        assert h["page"].startswith("pages/") and h["pack"].startswith("org.test.udhr-")
        assert "自由" in h["snippet"] or "自" in h["snippet"]


@pytest.mark.parametrize("query", ["", "   ", "!!!", "?", "\"", "NEAR(", "*", "AND", "a:b", "(((", "自", "ก"])
def test_odd_queries_never_fail(udhr_vault, query: str) -> None:
    v, _ = udhr_vault
    hits = search(v, query, limit=5)
    assert isinstance(hits, list)


# --- word forms and Chinese folding (issue 13) -------------------------------------

STEMMED = [lang for lang in LANGS if rule_for(lang.tag) is not None]


def _words(text: str) -> set[str]:
    """The words the index holds for a text (normalised, Arabic clitic forms included)."""
    return {w for w in index_text(text).split(" ") if w}


def form_probes(lang: Language, count: int = 40) -> list[tuple[str, str]]:
    """(query, page) pairs: the query is a word of the corpus (another article's) whose
    stem, under the language's stemmer, is shared by a word unique to the page; no word
    of the page starts with the query, so only word forms can find it; the stem occurs
    in at most 10 articles, so the page belongs in the top 10."""
    rule = rule_for(lang.tag)
    assert rule is not None
    per_page = {a.path: {w for w in _words(f"{a.title} {a.text}") if rule.word_re.fullmatch(w)}
                for a in lang.articles}
    stem = {w: s for ws in per_page.values() for w, s in zip(sorted(ws), _stems(rule, sorted(ws)), strict=True)}
    holders: dict[str, set[str]] = {}
    for path, ws in per_page.items():
        for w in ws:
            holders.setdefault(w, set()).add(path)
    groups: dict[str, set[str]] = {}
    for w, s in stem.items():
        groups.setdefault(s, set()).add(w)
    rng = random.Random(f"forms-{lang.key}")
    probes: list[tuple[str, str]] = []
    for path in sorted(per_page):
        for unique in sorted(w for w in per_page[path] if holders[w] == {path} and len(w) >= 5 and not w.isdigit()):
            group = groups[stem[unique]]
            pages = set().union(*(holders[w] for w in group))
            if len(pages) > 10:
                continue
            for query in sorted(group - per_page[path]):
                if len(query) >= 4 and not _prefix_finds(query, per_page[path]):
                    probes.append((query, path))
    rng.shuffle(probes)
    return probes[:count]


def _prefix_finds(query: str, page_words: set[str]) -> bool:
    """Whether matching by prefix alone (any form of the query) finds the page."""
    return any(w.startswith(f) for f in _words(query) for w in page_words)


def _stems(rule, words: list[str]) -> list[str]:
    from app.textindex import _normalized_stems

    return _normalized_stems(rule, words)


def test_every_stemmed_language_of_the_corpus_is_probed() -> None:
    keys = {lang.key for lang in STEMMED}
    assert {"eng", "fra", "spa", "rus", "arb", "pes_1", "hin", "tam", "tur", "por_BR"} <= keys


@pytest.mark.parametrize("lang", STEMMED, ids=[lang.key for lang in STEMMED])
def test_word_forms_find_the_article_in_every_stemmed_language(udhr_vault, lang: Language,
                                                               record_property) -> None:
    v, _ = udhr_vault
    probes = form_probes(lang)
    assert len(probes) >= 5, f"{lang.key}: too few word-form probes in the data"
    misses = []
    for query, path in probes:
        hits = search(v, query, limit=10, lang=lang.tag)
        if (lang.pack_id, path) not in {(h.pack, h.page) for h in hits}:
            misses.append((query, path))
        # Before word forms, prefix matching alone could not find the page at all.
        page = next(a for a in lang.articles if a.path == path)
        assert not _prefix_finds(query, _words(f"{page.title} {page.text}"))
    record_property("word-form recall", f"{len(probes) - len(misses)}/{len(probes)}")
    assert not misses, f"{lang.key}: word forms not in the top 10: {misses}"


# A plural or inflected form finds every page with the other form (and no page holds
# the queried form itself, so only word forms can find them).
FORM_CASES = [
    ("eng", "freedoms", "freedom"),
    ("fra", "libertés", "liberté"),
    ("spa", "libertades", "libertad"),
    ("por_BR", "liberdades", "liberdade"),
    ("rus", "свободы", "свободу"),
    ("arb", "الحريات", "حرية"),
    ("hin", "अधिकारों", "अधिकार"),
    ("tam", "உரிமைகள்", "உரிமை"),
    ("pes_1", "کشورها", "کشور"),
    ("tur", "hürriyetler", "hürriyet"),
]


@pytest.mark.parametrize(("key", "query", "form"), FORM_CASES, ids=[c[0] for c in FORM_CASES])
def test_a_plural_finds_the_singular(udhr_vault, key: str, query: str, form: str) -> None:
    v, _ = udhr_vault
    lang = next(lang for lang in LANGS if lang.key == key)
    q, f = _words(query), _words(form)
    expected = {a.path for a in lang.articles if f & _words(f"{a.title} {a.text}")
                and not q & _words(f"{a.title} {a.text}")}
    assert len(expected) >= 2, "test data changed"
    found = {h.page for h in search(v, query, limit=200, lang=lang.tag) if h.pack == lang.pack_id}
    assert expected <= found, sorted(expected - found)


def _han_bigrams(lang: Language) -> dict[str, set[str]]:
    """Two-character runs of Han characters -> the pages holding them."""
    out: dict[str, set[str]] = {}
    for a in lang.articles:
        text = f"{a.title} {a.text}"
        for i in range(len(text) - 1):
            pair = text[i:i + 2]
            if all("\u4e00" <= c <= "\u9fff" for c in pair):
                out.setdefault(pair, set()).add(a.path)
    return out


@pytest.mark.parametrize(("source", "target"), [("cmn_hant", "cmn_hans"), ("cmn_hans", "cmn_hant")])
def test_simplified_and_traditional_queries_find_each_other(udhr_vault, source: str, target: str) -> None:
    """Words of one script, written in the other, find every page that has them."""
    from app.hanfold import table

    v, _ = udhr_vault
    by_key = {lang.key: lang for lang in LANGS}
    folds = table()
    if source == "cmn_hant":  # query Simplified, find Traditional
        pages = _han_bigrams(by_key[source])
        pairs = [(p, "".join(folds.get(ord(c), c) for c in p)) for p in pages if any(ord(c) in folds for c in p)]
    else:  # query Traditional (the corpus' own spelling), find Simplified
        unfold = {s: chr(t) for t, s in folds.items() if len(s) == 1}
        pages = _han_bigrams(by_key[source])
        pairs = [(p, "".join(unfold.get(c, c) for c in p)) for p in pages if any(c in unfold for c in p)]
    pairs = [(written, query) for written, query in pairs if written != query]
    rng = random.Random(f"han-{source}")
    rng.shuffle(pairs)
    assert len(pairs) >= 50
    target_lang = by_key[source]
    for written, query in pairs[:60]:
        found = {h.page for h in search(v, query, limit=200) if h.pack == target_lang.pack_id}
        assert pages[written] <= found, (query, written)
    assert target  # the other edition answers its own spelling too
    assert search(v, "權利", limit=5, lang="zh-Hant") and search(v, "权利", limit=5, lang="zh-Hant")
