"""The starter library's content, as a defender receives it: every edition builds, signs
and imports into a real vault; every page and quiz parses; links stay inside their pack;
the UN course and the advocacy-safety guide cite their sources on every page; and the
editions of one topic (one folder per language) share page paths and quiz sizes, so that
translations keep a learner's notes and quiz answers on the same page ids."""

from __future__ import annotations

import tomllib
from collections import defaultdict
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from app import library
from app import markdown as md
from app.quiz import is_quiz_path, parse_quiz, quiz_problems
from app.vault import Vault
from content_packs.importer import import_pack
from content_packs.source import PackSource, load_source
from content_packs.starter import DEFAULT_DIR, STARTER_PREFIX, build_starter, starter_sources

# Folder name of each edition -> its BCP 47 tag in pack.toml.
LANGUAGES = {"en": "en", "ar": "ar", "zh-hans": "zh-Hans", "fr": "fr", "ru": "ru", "es": "es"}

# Topics whose every page ends with its sources (issue 14's starter library).
SOURCED_TOPICS = ("un-system", "advocacy-safety")

# The heading of the sources section. English must say exactly "Sources"; another edition
# may translate it, but must use one heading on all its pages.
SOURCES_HEADING = {"en": "Sources"}

_COMMONMARK = MarkdownIt("commonmark", {"html": False})


def _sources() -> list[Path]:
    found = starter_sources()
    assert found, "no starter sources were found"
    return found


def _edition_id(src_dir: Path) -> str:
    return str(src_dir.relative_to(DEFAULT_DIR))


@pytest.fixture(scope="module")
def loaded() -> dict[Path, PackSource]:
    return {d: load_source(d) for d in _sources()}


def _pages(src: PackSource) -> list[str]:
    return [p for chapter in src.chapters for p in chapter.pages]


def _text(src: PackSource, page: str) -> str:
    return src.files[page].decode("utf-8")


# --- layout ----------------------------------------------------------------------------


def test_each_edition_lives_in_topic_and_language_folders_with_a_matching_id(loaded) -> None:
    for src_dir, src in loaded.items():
        topic, lang = src_dir.parent.name, src_dir.name
        assert src_dir.parent.parent == DEFAULT_DIR, src_dir
        assert lang in LANGUAGES, f"{_edition_id(src_dir)}: unknown language folder {lang!r}"
        assert src.id == f"{STARTER_PREFIX}{topic}.{lang}", _edition_id(src_dir)
        assert src.language == LANGUAGES[lang], _edition_id(src_dir)


# --- build, import, parse --------------------------------------------------------------


def test_every_starter_pack_builds_imports_and_every_page_parses(
        loaded: dict[Path, PackSource], vault: Vault, tmp_path: Path) -> None:
    built = build_starter(tmp_path / "starter")
    assert sorted(p.name for p in built) == sorted(f"{d.parent.name}-{d.name}.satchel" for d in loaded)
    assert len({p.name for p in built}) == len(built)

    for path in built:
        import_pack(vault, path)  # the bundled trust list gives the sample key the starter scope
    installed = {p.id: p for p in library.list_packs(vault)}
    assert set(installed) == {src.id for src in loaded.values()}

    for src_dir, src in loaded.items():
        info = installed[src.id]
        assert info.sample and (info.title, info.language, info.kind) == (src.title, src.language, src.kind)
        outline = library.pack_outline(vault, src.id)
        assert [c.title for c in outline] == [c.title for c in src.chapters]
        assert library.page_paths(vault, src.id) == _pages(src)
        for page_path in _pages(src):
            where = f"{_edition_id(src_dir)}/{page_path}"
            text = _text(src, page_path)
            page = library.get_page(vault, src.id, page_path)
            assert page is not None and page.markdown == text, where
            title = md.page_title(text)
            assert title and page.title == title, where
            assert len(title) <= 80, f"{where}: the title is too long: {title!r}"
            assert md.render_html(text, page_path), where
            if is_quiz_path(page_path):
                assert page.kind == "quiz", where
                assert quiz_problems(text) == [], where
                quiz = parse_quiz(text)
                assert quiz.title == title, where
                assert 1 <= len(quiz.questions) == _count_questions(text), where
                for q in quiz.questions:
                    assert q.text and q.explanation, f"{where}: question {q.text!r} needs an explanation"
                    assert 0 <= q.correct < len(q.choices), where


def _count_questions(text: str) -> int:
    """Level-2 headings, counted by CommonMark rather than by the quiz parser."""
    return sum(1 for t in _COMMONMARK.parse(text) if t.type == "heading_open" and t.tag == "h2")


# --- links -----------------------------------------------------------------------------


@pytest.mark.parametrize("src_dir", _sources(), ids=_edition_id)
def test_every_relative_link_points_to_a_page_of_the_same_pack(src_dir: Path) -> None:
    # Read the folder directly rather than through load_source, so that this check stands
    # on its own even if the builder's link check changes.
    manifest = tomllib.loads((src_dir / "pack.toml").read_text(encoding="utf-8"))
    pages = [p for chapter in manifest["chapters"] for p in chapter["pages"]]
    listed = set(pages)
    assert pages and len(listed) == len(pages)
    for page_path in pages:
        for ref in md.references((src_dir / page_path).read_text(encoding="utf-8")):
            where = f"{_edition_id(src_dir)}/{page_path} line {ref.line}: {ref.target!r}"
            kind = md.classify_target(ref.target, page_path=page_path)
            assert kind in (md.PAGE, md.EXTERNAL, md.ANCHOR), where
            if kind == md.PAGE:
                target = md.resolve(page_path, ref.target.split("#", 1)[0])
                assert target in listed, f"{where} points to no page of this pack"
            if kind == md.EXTERNAL:
                assert ref.target.startswith(("https://", "mailto:")), f"{where}: use https"


# --- sources ---------------------------------------------------------------------------


def _sourced_editions() -> list[Path]:
    return [d for d in _sources() if d.parent.name in SOURCED_TOPICS]


def _inline_text(token: Token) -> str:
    return "".join(c.content for c in token.children or () if c.type in ("text", "code_inline")).strip()


def _final_section(text: str) -> tuple[str, str, list[str]] | None:
    """(heading tag, heading text, list items) when the page ends with a heading followed by
    one bullet list and nothing else; None otherwise."""
    tokens = _COMMONMARK.parse(text)
    last = max((i for i, t in enumerate(tokens) if t.type == "heading_open"), default=None)
    if last is None:
        return None
    tag, heading = tokens[last].tag, _inline_text(tokens[last + 1])
    rest = tokens[last + 3:]  # after heading_open, inline, heading_close
    if not rest or rest[0].type != "bullet_list_open" or rest[-1].type != "bullet_list_close":
        return None
    if sum(1 for t in rest if t.type == "bullet_list_open" and t.level == rest[0].level) != 1:
        return None
    items: list[str] = []
    for i, t in enumerate(rest):
        if t.type == "list_item_open" and t.level == rest[0].level + 1:
            inline = next((x for x in rest[i:] if x.type == "inline"), None)
            items.append(_inline_text(inline) if inline is not None else "")
    return tag, heading, items


@pytest.mark.parametrize("src_dir", _sourced_editions(), ids=_edition_id)
def test_every_page_ends_with_a_non_empty_list_of_sources(src_dir: Path) -> None:
    src = load_source(src_dir)
    lang = src_dir.name
    headings: set[str] = set()
    for page_path in _pages(src):
        where = f"{_edition_id(src_dir)}/{page_path}"
        section = _final_section(_text(src, page_path))
        assert section is not None, f"{where} does not end with a sources heading and one list"
        tag, heading, items = section
        # In a quiz, '## ' starts a question, so its sources sit under a level-3 heading.
        assert tag == ("h3" if is_quiz_path(page_path) else "h2"), f"{where}: sources heading level"
        assert items and all(items), f"{where}: the sources list is empty or has an empty item"
        headings.add(heading)
        if lang in SOURCES_HEADING:
            assert heading == SOURCES_HEADING[lang], f"{where}: the last section is {heading!r}"
    assert len(headings) == 1, f"{_edition_id(src_dir)}: the sources heading varies: {sorted(headings)}"


def test_there_are_sourced_pages_to_check() -> None:
    topics = {d.parent.name for d in _sourced_editions()}
    assert topics == set(SOURCED_TOPICS)


# --- editions of a topic ---------------------------------------------------------------


def _editions_by_topic(loaded: dict[Path, PackSource]) -> dict[str, dict[str, PackSource]]:
    topics: dict[str, dict[str, PackSource]] = defaultdict(dict)
    for src_dir, src in loaded.items():
        topics[src_dir.parent.name][src_dir.name] = src
    return topics


def _shape(src: PackSource) -> dict[str, int | list[list[str]]]:
    shape: dict[str, int | list[list[str]]] = {"chapters": [list(c.pages) for c in src.chapters]}
    for page in _pages(src):
        if is_quiz_path(page):
            shape[page] = len(parse_quiz(_text(src, page)).questions)
    return shape


def test_editions_of_a_topic_share_page_paths_and_quiz_sizes(loaded) -> None:
    topics = _editions_by_topic(loaded)
    assert any(len(editions) > 1 for editions in topics.values()), "no topic has two editions yet"
    for topic, editions in topics.items():
        reference = editions.get("en") or next(iter(editions.values()))
        for lang, src in editions.items():
            assert set(_pages(src)) == set(_pages(reference)), f"{topic}/{lang}: page paths differ"
            assert _shape(src) == _shape(reference), f"{topic}/{lang}: chapters or quiz sizes differ"
