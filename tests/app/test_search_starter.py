"""Search over the starter library as a defender meets it: every edition of the UN course
in a real vault, and each module's key term, in each language present, ranks that
module's own pages first. New editions (one folder per language under
content_packs/default/un-system/) are picked up without changing this test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support import FAST_MS

from app.search import search
from app.textindex import index_text
from app.vault import Vault
from content_packs.importer import import_pack
from content_packs.source import load_source
from content_packs.starter import DEFAULT_DIR, build_starter

COURSE = DEFAULT_DIR / "un-system"
EDITIONS = sorted(p.name for p in COURSE.iterdir() if (p / "pack.toml").is_file())

# The Universal Periodic Review in the UN's own terms, per edition folder; the module is
# pages 10-14 of every edition.
UPR_TERMS = {
    "en": "Universal Periodic Review",
    "fr": "Examen périodique universel",
    "es": "Examen Periódico Universal",
    "ru": "Универсальный периодический обзор",
    "ar": "الاستعراض الدوري الشامل",
    "zh-hans": "普遍定期审议",
}
UPR_PAGES = {
    "pages/10-upr-cycle.md",
    "pages/11-upr-stakeholder-submissions.md",
    "pages/12-upr-advocacy.md",
    "pages/13-upr-follow-up.md",
    "pages/14-check-upr.quiz.md",
}


@pytest.fixture(scope="module")
def starter_vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vault]:
    tmp = tmp_path_factory.mktemp("starter")
    v = Vault.create(tmp / "home", "pw", iter_time_ms=FAST_MS)
    for pack in build_starter(tmp / "packs"):  # the bundled trust list covers the sample key
        import_pack(v, pack)
    yield v
    v.close()


def test_the_editions_written_so_far_are_all_tested() -> None:
    assert {"en", "fr", "ar", "zh-hans"} <= set(EDITIONS)
    assert set(EDITIONS) <= set(UPR_TERMS), "a new edition of the UN course needs its UPR term here"


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_upr_in_every_language_finds_its_module_first(starter_vault: Vault, edition: str) -> None:
    src = load_source(COURSE / edition)
    hits = search(starter_vault, UPR_TERMS[edition], limit=20)
    first = [(h.pack, h.page) for h in hits[: len(UPR_PAGES)]]
    assert first and {pack for pack, _ in first} == {src.id}, first
    assert {page for _, page in first} == UPR_PAGES
    assert all(h.language == src.language for h in hits[: len(UPR_PAGES)])


def _modules(edition: str) -> list[tuple[str, list[str]]]:
    src = load_source(COURSE / edition)
    return [(c.title, list(c.pages)) for c in src.chapters]


def _titled_with(title: str, query: str) -> bool:
    """Whether a page's own title holds every word of the query (by prefix)."""
    words = index_text(title).split(" ")
    return all(any(w.startswith(q) for w in words) for q in index_text(query).split(" "))


@pytest.mark.parametrize("edition", EDITIONS)
def test_each_module_title_finds_its_own_pages_first(starter_vault: Vault, edition: str) -> None:
    """Searching a module's title: its pages come before every other page, except pages
    elsewhere whose own title holds the same words (they are about it too)."""
    src = load_source(COURSE / edition)
    for title, pages in _modules(edition):
        hits = search(starter_vault, title, limit=len(pages) + 20)
        module = {(src.id, p) for p in pages}
        order = [(h.pack, h.page) in module for h in hits if (h.pack, h.page) in module
                 or not _titled_with(h.title, title)]
        assert order[: len(pages)] == [True] * len(pages), (edition, title, [(h.pack, h.page) for h in hits])


def test_a_title_match_ranks_above_pages_that_only_mention_the_word(starter_vault: Vault) -> None:
    hits = search(starter_vault, "reprisals", limit=50, lang="en")
    in_title = [i for i, h in enumerate(hits) if "reprisal" in (h.title + " " + h.chapter).lower()]
    mentions = [i for i, h in enumerate(hits) if "reprisal" not in (h.title + " " + h.chapter).lower()]
    assert in_title and mentions  # both kinds exist in the course
    assert max(in_title) < min(mentions)


def test_every_edition_folder_is_a_pack_of_its_language() -> None:
    for edition in EDITIONS:
        src = load_source(COURSE / edition)
        assert src.language.lower().startswith(edition.split("-")[0])
        assert Path(COURSE / edition / "pages").is_dir()
