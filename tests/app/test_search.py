"""Search that answers (issue 13), through real signed packs in a real vault: hits name
their pack, language and chapter; filters by language and pack; snippets are plain text;
title matches rank first; word forms, Arabic with or without the article, Traditional
and Simplified Chinese; a suggestion when nothing matches; and hostile queries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import FAST_MS, make_keypair, write_source

from app.search import search, suggest
from app.suggest import distance
from app.trust import TrustStore
from app.vault import Vault
from content_packs.build import build_pack
from content_packs.importer import import_pack

EN_MARKDOWN = """# Choosing a password manager

Intro with **strong words**, __underlined__ _emphasis_, `code` and ~~struck~~ text.

> A quoted line about the **password** you choose.

- A bullet with a [link to the guide](other.md) and ![an image](../media/x.png)
- [ ] a task about passwords

| column | other |
|--------|-------|
| a cell | <kbd>Ctrl</kbd> <sup>passwords</sup> |

<table><tr><td>Raw <kbd>HTML</kbd> block with password inside</td></tr></table>

Wiping the laptop is the last step; wiped data is gone.
"""
EN_OTHER = """# Other page

This page mentions a password manager once, deep in its text, among other words about
travel, borders and devices, and how to wipe a phone before a trip.
"""
FR_MARKDOWN = """# Les libertés

Chacun a droit à la liberté d'opinion et d'expression.
"""
AR_MARKDOWN = """# التشفير

يحمي تشفير القرص بياناتك. التشفير مهم.
"""
AR_BARE = """# الأجهزة

تشفير القرص بالكامل يحمي الملفات عندما يكون الحاسوب مطفأ.
"""
ZH_HANT = """# 密碼管理

使用強密碼和密碼管理器。
"""
ZH_HANS = """# 密码

密码短语要足够长。
"""


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vault]:
    tmp = tmp_path_factory.mktemp("search")
    key = make_keypair(tmp / "keys", "trainer")
    v = Vault.create(tmp / "home", "pw", iter_time_ms=FAST_MS)
    store = TrustStore(v, roots=(), bundled=None)
    store.add_manual(key.public)
    packs = [
        ("org.test.en", "Digital safety", "en", {"pages/pm.md": EN_MARKDOWN, "pages/other.md": EN_OTHER},
         [("Passwords and keys", ["pages/pm.md"]), ("Travel", ["pages/other.md"])]),
        ("org.test.en2", "Second English pack", "en", {"pages/x.md": EN_OTHER.replace("Other", "Another")}, None),
        ("org.test.fr", "Droits", "fr", {"pages/l.md": FR_MARKDOWN}, None),
        ("org.test.ar", "دليل", "ar", {"pages/a.md": AR_MARKDOWN, "pages/b.md": AR_BARE}, None),
        ("org.test.hant", "密碼指南", "zh-Hant", {"pages/t.md": ZH_HANT}, None),
        ("org.test.hans", "密码指南", "zh-Hans", {"pages/s.md": ZH_HANS}, None),
    ]
    for pack_id, title, lang, pages, chapters in packs:
        media = {"media/x.png": b"\x89PNG\r\n\x1a\n"} if pack_id == "org.test.en" else None
        src = write_source(tmp / pack_id, pack_id, title=title, language=lang, pages=pages, chapters=chapters,
                           media=media)
        out = tmp / f"{pack_id}.satchel"
        build_pack(src, key.secret, out)
        import_pack(v, out, store=store)
    yield v
    v.close()


def found(v: Vault, query: str, **kw: object) -> set[tuple[str, str]]:
    return {(h.pack, h.page) for h in search(v, query, limit=50, **kw)}  # type: ignore[arg-type]


def test_each_hit_names_its_pack_language_and_chapter(vault: Vault) -> None:
    hit = next(h for h in search(vault, "manager") if h.page == "pages/pm.md")
    assert (hit.pack, hit.pack_title, hit.language, hit.chapter) == (
        "org.test.en", "Digital safety", "en", "Passwords and keys")
    assert hit.title == "Choosing a password manager"
    data = hit.to_json()
    assert {"pack", "page", "title", "snippet", "pack_title", "language", "chapter", "spans"} <= set(data)


def test_filters_by_language_and_pack_never_widen(vault: Vault) -> None:
    everywhere = found(vault, "password")
    assert {p for p, _ in everywhere} >= {"org.test.en", "org.test.en2"}
    assert found(vault, "password", pack="org.test.en2") == {("org.test.en2", "pages/x.md")}
    assert found(vault, "password", lang="en") == everywhere
    assert found(vault, "password", lang="fr") == set()
    assert found(vault, "password", pack="org.test.fr") == set()
    assert found(vault, "password", pack="no.such.pack") == set()
    assert found(vault, "password", lang="en", pack="org.test.en") == {("org.test.en", "pages/pm.md"),
                                                                       ("org.test.en", "pages/other.md")}
    # A language prefix takes its regional and script variants; case does not matter.
    assert {p for p, _ in found(vault, "密码", lang="zh")} == {"org.test.hant", "org.test.hans"}
    assert {p for p, _ in found(vault, "密码", lang="ZH-hant")} == {"org.test.hant"}
    assert found(vault, "password", lang="%") == set()
    assert found(vault, "password", lang="e_") == set()


MARKERS = re.compile(r"\*\*|__|(?<!\w)_\w|\w_(?!\w)|~~|`|^#|\s#\s|\]\(|!\[|<[a-zA-Z/]|\||^>|\s>\s|\[ \]")


@pytest.mark.parametrize("query", ["password", "strong", "bullet", "cell", "raw", "struck", "wiping"])
def test_snippets_are_plain_text(vault: Vault, query: str) -> None:
    hits = [h for h in search(vault, query) if h.page == "pages/pm.md"]
    assert hits, query
    snippet = hits[0].snippet
    assert not MARKERS.search(snippet), snippet
    assert "link to the guide" in snippet or query not in ("bullet",)
    assert all(snippet[a:b].strip() for a, b in hits[0].spans)


def test_snippet_marks_the_word_forms_that_matched(vault: Vault) -> None:
    hit = next(h for h in search(vault, "wipe", lang="en") if h.page == "pages/pm.md")
    marked = {hit.snippet[a:b] for a, b in hit.spans}
    assert {"Wiping", "wiped"} <= marked


def test_word_forms_both_ways(vault: Vault) -> None:
    assert ("org.test.en", "pages/pm.md") in found(vault, "wipes")
    assert ("org.test.en", "pages/other.md") in found(vault, "wiping")  # "wipe" in the text
    assert ("org.test.en", "pages/pm.md") in found(vault, "passwords")
    assert ("org.test.fr", "pages/l.md") in found(vault, "liberté")  # the title says "libertés"
    assert ("org.test.fr", "pages/l.md") in found(vault, "libertes")  # typed without accents


def test_arabic_with_and_without_the_article_find_the_same_pages(vault: Vault) -> None:
    with_article, bare = found(vault, "التشفير"), found(vault, "تشفير")
    assert with_article == bare == {("org.test.ar", "pages/a.md"), ("org.test.ar", "pages/b.md")}
    assert found(vault, "والتشفير") == bare
    # The form typed ranks the pages that use it first.
    assert search(vault, "التشفير")[0].page == "pages/a.md"


def test_simplified_and_traditional_chinese_find_each_other(vault: Vault) -> None:
    both = {("org.test.hant", "pages/t.md"), ("org.test.hans", "pages/s.md")}
    assert found(vault, "密码") == found(vault, "密碼") == both
    hit = next(h for h in search(vault, "密码管理") if h.pack == "org.test.hant")
    assert {hit.snippet[a:b] for a, b in hit.spans} == {"密碼管理"}


def test_a_title_match_ranks_above_a_mere_mention(vault: Vault) -> None:
    hits = search(vault, "password manager", lang="en")
    assert hits[0].page == "pages/pm.md"  # the title; the others mention it in passing
    hits = search(vault, "keys", lang="en")  # the chapter's title
    assert hits[0].page == "pages/pm.md"


def test_a_typo_gets_a_suggestion_from_the_library(vault: Vault) -> None:
    assert search(vault, "pasword") == []
    assert suggest(vault, "pasword") == "password"
    assert suggest(vault, "passwrod manger") == "password manager"
    assert suggest(vault, "Tarvel") == "travel"
    assert suggest(vault, "password") is None  # it finds pages: nothing to suggest
    assert suggest(vault, "zqxjkvbw") is None  # nothing near
    assert suggest(vault, "password", pack="org.test.fr") is None  # no spelling finds it there
    assert suggest(vault, "تشفیرر") == "تشفیر"
    assert suggest(vault, "!!!") is None and suggest(vault, "") is None


def test_edit_distance_counts_transpositions_once() -> None:
    assert distance("password", "pasword", 2) == 1
    assert distance("passwrod", "password", 2) == 1
    assert distance("abc", "xyz", 1) == 2
    assert distance("kitten", "sitting", 3) == 3
    assert distance("a" * 40, "b" * 40, 2) == 3


HOSTILE = [
    "", " ", "!!!", "...?!", "。，、", "\u200f\u200e", "-", "*", '"', '""', "^", "(", ")",
    "NEAR(", "NEAR(password manager, 2)", "password*", "*password", "pass AND word", "password OR x",
    "password NOT manager", "-password", "^password", "title:password", "{title body}: password",
    "body:x", 'password" OR "x', "'; DROP TABLE pages; --", "\x00password", "\ud800",
    "password 密碼 التشفير свобода", "password\u202eevil",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_are_searched_as_words_and_change_nothing(vault: Vault, query: str) -> None:
    before = vault.conn.total_changes
    hits = search(vault, query)
    assert isinstance(hits, list)
    suggest(vault, query)
    assert vault.conn.total_changes == before


def test_operators_and_column_filters_are_words(vault: Vault) -> None:
    assert found(vault, "title:password") == set()  # "title" is a word no page has
    assert found(vault, "password*") == found(vault, "password")
    assert found(vault, "NEAR(password") == found(vault, "near password")
    assert found(vault, "-password") == found(vault, "password")


def test_a_query_of_10000_characters(vault: Vault) -> None:
    assert search(vault, "password " * 1112) != []
    assert search(vault, "x" * 10_000) == []
    assert search(vault, "密" * 10_000) == []
    assert suggest(vault, "y" * 10_000) is None


def test_mixed_scripts_must_all_match(vault: Vault) -> None:
    assert found(vault, "password 密碼") == set()
    assert found(vault, "密碼 管理") == {("org.test.hant", "pages/t.md")}
    assert found(vault, "تشفير القرص") == {("org.test.ar", "pages/a.md"), ("org.test.ar", "pages/b.md")}


def test_search_writes_nothing_to_the_vault(vault: Vault, tmp_path: Path) -> None:
    before = vault.conn.total_changes
    for query in ("password", "pasword", "密碼", "التشفير"):
        search(vault, query)
        suggest(vault, query)
    assert vault.conn.total_changes == before


def _cli(vault: Vault, *args: str, typed: str | None = None) -> tuple[int, str, str]:
    """`satchel search ARGS`; `typed` is the query given on standard input (QUERY "-")."""
    import os
    import subprocess
    import sys

    from support import ROOT

    env = dict(os.environ, SATCHEL_HOME=str(vault.home.path))
    proc = subprocess.run([sys.executable, "-m", "app.cli", "search", *args],
                          input="pw\n" + ("" if typed is None else typed + "\n"),
                          capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def test_cli_hits_name_pack_language_and_chapter(vault: Vault) -> None:
    import json

    code, out, err = _cli(vault, "passwords", "--json", "--pack", "org.test.en")
    assert code == 0, err
    hits = json.loads(out)
    assert {(h["pack"], h["page"]) for h in hits} == {("org.test.en", "pages/pm.md"), ("org.test.en", "pages/other.md")}
    first = hits[0]
    assert set(first) == {"pack", "page", "title", "snippet", "pack_title", "language", "chapter"}
    assert (first["page"], first["pack_title"], first["language"], first["chapter"]) == (
        "pages/pm.md", "Digital safety", "en", "Passwords and keys")
    code, out, _ = _cli(vault, "密码", "--lang", "zh-Hant")
    assert code == 0 and "org.test.hant" in out and "org.test.hans" not in out
    assert "密碼指南 · zh-Hant · Chapter one" in out


def test_cli_suggests_or_says_no_pages_match(vault: Vault) -> None:
    code, out, err = _cli(vault, "pasword")
    assert (code, out.strip(), err) == (0, "No pages match. Did you mean: password?", "")
    code, out, err = _cli(vault, "zqxjkvbw")
    assert (code, out.strip(), err) == (0, "No pages match.", "")
    code, out, _ = _cli(vault, "pasword", "--json")
    assert (code, out.strip()) == (0, "[]")


@pytest.mark.parametrize("query", ["NEAR(", '"', "title:password", "*", "-", "-password", "!!!", "x" * 10_000,
                                   "password 密碼 التشفير"])
def test_cli_hostile_queries_exit_cleanly(vault: Vault, query: str) -> None:
    # "-" as the argument means "read the query unseen": such a query is typed instead.
    code, out, err = _cli(vault, "-", typed=query) if query.startswith("-") else _cli(vault, query)
    assert code == 0 and err == "", err
    assert "Traceback" not in out


def test_the_suggestion_stops_at_its_time_bound(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.suggest

    assert suggest(vault, "pasword") == "password"
    clock = iter(range(0, 10**9, 1000))  # every look at the clock: 1000 s later
    monkeypatch.setattr(app.suggest.time, "monotonic", lambda: next(clock))
    assert suggest(vault, "pasword") is None  # out of time before reading a candidate
