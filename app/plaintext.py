"""A page's Markdown as the plain text a search result shows around its matches.

A snippet must read as text: no ``**``, ``_``, ``#``, ``>``, list bullets, table pipes,
link targets or HTML tags, only the words a reader sees on the page. Parsing every hit's
page with the full CommonMark parser would cost more than the search itself, so this
starts from app.markdown.index_fields (the importer's fast path, which already drops
link targets, reference definitions, fences, list numbers, ``*`` and backticks and
decodes entities) and removes the remaining markers with a few regular expressions.

Guarantees: the result holds no HTML tag, no heading, quote or list marker at a line's
start, no emphasis underscores or ``~~`` at a word's edge, no table rule; words inside
identifiers (``snake_case``) are left alone. Nothing is kept or logged.
"""

from __future__ import annotations

import re

from app import markdown as md

__all__ = ["snippet_text"]

_TAG_RE = re.compile(r"<!--.*?-->|<\?.*?\?>|<![A-Za-z][^>]*>|</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>", re.DOTALL)
_LINE_MARKERS_RE = re.compile(
    r"^[ \t]*(?:>[ \t]?)*[ \t]*"  # block quotes
    r"(?:#{1,6}(?=[ \t]|$)|[-+](?=[ \t])|\[[ xX]\](?=[ \t]))?",  # heading, bullet, task box
    re.MULTILINE,
)
_TASK_RE = re.compile(r"^([ \t]*)\[[ xX]\][ \t]", re.MULTILINE)
_CLOSING_HASHES_RE = re.compile(r"[ \t]+#+[ \t]*$", re.MULTILINE)
_RULE_LINE_RE = re.compile(
    r"^[ \t]*(?:(?:[=\-_][ \t]*){3,}|\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*)$", re.MULTILINE
)
_EMPHASIS_RE = re.compile(r"(?<![^\W_])(?:_{1,3}|~~)(?=\S)|(?<=\S)(?:_{1,3}|~~)(?![^\W_])")
_ESCAPE_RE = re.compile(r"\\([!-/:-@\[-`{-~])")
# An escaped marker is text: it is hidden from the steps below as a private-use
# character and put back at the end.
_HIDE_BASE = 0xF780
_UNHIDE = {_HIDE_BASE + c: c for c in range(0x21, 0x7F)}
_FOOTNOTE_RE = re.compile(r"\[\^[^\]\s]{1,40}\]")
_EMPTY_LINK_RE = re.compile(r"\[([^\[\]\n]*)\](?!\()")


def snippet_text(markdown: str) -> str:
    """The page's readable text, markers removed, lines kept (whitespace is collapsed
    later, by app.textquery.snippet)."""
    escaped = "\\" in markdown
    if escaped:
        markdown = _ESCAPE_RE.sub(lambda m: chr(_HIDE_BASE + ord(m.group(1))), markdown)
    if "<" in markdown:
        markdown = _TAG_RE.sub(" ", markdown)
    text = md.index_fields(markdown)[1]
    if "<" in text:  # an entity that spelled a tag (&lt;b&gt;) is a tag once decoded
        text = _TAG_RE.sub(" ", text)
    text = _RULE_LINE_RE.sub("", text)
    text = _LINE_MARKERS_RE.sub("", text)
    text = _TASK_RE.sub(r"\1", text)
    if "#" in text:
        text = _CLOSING_HASHES_RE.sub("", text)
    if "_" in text or "~" in text:
        text = _EMPHASIS_RE.sub("", text)
    if "|" in text:
        text = text.replace("|", " ")
    if "[" in text:
        text = _FOOTNOTE_RE.sub("", text)
        text = _EMPTY_LINK_RE.sub(r"\1", text)
    if escaped:
        text = text.translate(_UNHIDE)
    return text
