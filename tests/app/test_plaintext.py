"""Snippet text: a page's Markdown as the words a reader sees, without markers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import markdown as md
from app.plaintext import snippet_text
from app.textindex import index_text
from content_packs.starter import DEFAULT_DIR

SAMPLE = """# The **UPR** cycle #

Intro with __strong__ and _em_ and snake_case_word and ~~old~~ text.
> quoted *line*
> > deeper

- bullet [link](https://x.org/a_b) and ![alt](../media/a.png)
+ plus <b>bold</b> <span class="x">span</span> and a < b > c
1. first
2. second
- [ ] task open
- [x] task done

| a | b |
|---|:-:|
| c | d |

***
Setext
======
Escaped \\* star \\_ und \\# hash, footnote[^1], [shortcut] ref, \\<b\\> shown.
<div>block <i>html</i></div>
<!-- a comment
over lines -->
&amp; entity
"""


def test_markers_are_gone_and_the_words_stay() -> None:
    text = snippet_text(SAMPLE)
    for marker in ("**", "__", " _em", "em_ ", "~~", "](", "![", "[ ]", "[x]", "|",
                   "---", "***", "===", "<span", "<i>", "<!--", "comment", "[^1]", "\\"):
        assert marker not in text, marker
    assert not re.search(r"(?m)^[ \t]*[#>+-]", text)  # heading, quote and bullet markers
    words = " ".join(text.split())
    for phrase in ("The UPR cycle", "Intro with strong and em and snake_case_word and old text",
                   "quoted line", "deeper", "bullet link and alt", "plus bold span and a < b > c",
                   "first", "task open", "task done", "Setext", "Escaped * star _ und # hash",
                   "footnote, shortcut ref, <b> shown", "block html", "& entity"):
        assert phrase in words, phrase


def _reader_words(markdown: str) -> list[str]:
    """What the CommonMark parse shows, without HTML tags or task boxes (markers)."""
    text = md.plain_text(markdown)
    text = re.sub(r"</?[A-Za-z][^<>]*>", " ", text)
    text = re.sub(r"(?m)^\[[ xX]\] ", "", text)
    return index_text(text).split(" ")


@pytest.mark.parametrize("page", sorted(DEFAULT_DIR.glob("*/*/pages/*.md")), ids=lambda p: str(p.relative_to(DEFAULT_DIR)))
def test_starter_pages_keep_exactly_the_words_a_reader_sees(page: Path) -> None:
    markdown = page.read_text(encoding="utf-8")
    assert index_text(snippet_text(markdown)).split(" ") == _reader_words(markdown)
