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
