"""Fuzz target: a page's Markdown to the reader's HTML, its title and its search text
(app.markdown). A page is outside data even when its pack verified.

Nothing may raise, and the HTML must stay within the allowed tags and schemes."""

from __future__ import annotations

import re

from fuzzlib import instrumented, main, real_pack_sources

with instrumented():
    from app import markdown as md

_TAG = re.compile(r"<\s*/?\s*([a-zA-Z0-9]+)")
_ALLOWED = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "code", "pre", "blockquote", "ul", "ol",
            "li", "hr", "br", "a", "img"}
_SCHEMES = ("satchel-page:", "satchel-media:", "satchel-external:", "#")


def seeds() -> list[bytes]:
    return [data for src in real_pack_sources() for path, data in sorted(src.files.items())
            if path.endswith(".md")][:40]


def one_input(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    html = md.render_html(text, "pages/page.md")
    assert set(t.lower() for t in _TAG.findall(html)) <= _ALLOWED, html[:300]
    for attr in re.findall(r'(?:href|src)="([^"]*)"', html):
        assert attr.startswith(_SCHEMES), attr
    md.index_fields(text)
    md.page_title(text)
    for ref in md.references(text):
        md.classify_target(ref.target)
        md.resolve("pages/page.md", ref.target)


if __name__ == "__main__":
    main(one_input, seeds)
