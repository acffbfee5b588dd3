"""The one rule for HTML inside a page: a small allow-list, checked at build, converted
the same way when the page is shown.

Allowed: ``<br>``; ``<sup>``, ``<sub>``, ``<kbd>`` around text; ``<img>`` with a ``src``
inside the pack's media/ folder (plus ``alt``, ``title``, ``width``, ``height``); simple
tables (``<table>``, ``<thead>``, ``<tbody>``, ``<tr>``, ``<th>``, ``<td>``, with only
``colspan`` and ``rowspan``); and comments, which are never shown. Nothing else.

Guarantees:
* ``check`` lists every problem of a fragment with its line inside the fragment and
  what to do, and every ``<img>`` it holds (so the builder packs and checks its picture
  as it does a Markdown image). ``pack check`` and ``pack build`` refuse a page with a
  problem.
* ``convert`` turns a fragment into markup made only of the allowed tags with fixed,
  escaped attributes: images point at ``satchel-media:`` through the caller's resolver
  and anything else (a tag outside the list, an event handler, a remote or script
  address) becomes escaped text, so nothing from a pack ever loads a resource or runs.
  Open tags are closed at the end of the fragment, so the result is well formed.
* Both only ever raise ``HtmlError``, whatever the input.

No Qt, no I/O.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

__all__ = ["HtmlError", "HtmlImage", "HtmlProblem", "InlineTag", "check", "convert_block", "convert_inline"]

INLINE_TAGS = frozenset({"sup", "sub", "kbd"})
TABLE_TAGS = frozenset({"table", "thead", "tbody", "tr", "th", "td"})
CELL_TAGS = frozenset({"th", "td"})
VOID_TAGS = frozenset({"br", "img"})
IMG_ATTRS = frozenset({"src", "alt", "title", "width", "height"})
CELL_ATTRS = frozenset({"colspan", "rowspan"})
MAX_FRAGMENT_CHARS = 1_000_000
_NUMBER_RE = re.compile(r"^[0-9]{1,4}\Z")
_SPAN_RE = re.compile(r"^[1-9][0-9]?\Z")

# What to write instead of common tags that are not allowed.
_HINTS = {
    "b": "write **bold** instead", "strong": "write **bold** instead",
    "i": "write *italics* instead", "em": "write *italics* instead",
    "a": "write links as [text](target) instead",
    "p": "leave a blank line between paragraphs instead", "div": "leave a blank line between paragraphs instead",
    "span": "remove it (styles are not used)", "font": "remove it (styles are not used)",
    "center": "remove it (styles are not used)", "u": "remove it, or use *italics*",
    "code": "write `code` between backticks instead", "pre": "use a fenced code block (```) instead",
    "h1": "write '# ' headings instead", "h2": "write '## ' headings instead",
    "h3": "write '### ' headings instead", "ul": "write a list with '- ' instead",
    "ol": "write a list with '1. ' instead", "li": "write a list with '- ' instead",
    "hr": "write '---' on its own line instead", "blockquote": "write '> ' quotes instead",
}
_NEVER = frozenset({"script", "iframe", "frame", "frameset", "object", "embed", "applet", "style", "link",
                    "meta", "base", "form", "input", "button", "svg", "math", "audio", "video", "source",
                    "picture", "portal", "template", "noscript"})


class HtmlError(ValueError):
    """HTML that cannot be read at all (only ever raised by this module)."""


@dataclass(frozen=True)
class HtmlProblem:
    line: int  # 0-based, inside the fragment
    message: str


@dataclass(frozen=True)
class HtmlImage:
    line: int  # 0-based, inside the fragment
    src: str
    alt: str | None


@dataclass
class _Result:
    problems: list[HtmlProblem] = field(default_factory=list)
    images: list[HtmlImage] = field(default_factory=list)
    out: list[str] = field(default_factory=list)
    opens: list[str] = field(default_factory=list)  # inline: tags left open for later tokens
    closes: list[str] = field(default_factory=list)  # inline: end tags of earlier tokens' tags


def _tag_problem(tag: str) -> str:
    if tag in _NEVER:
        return (f"the tag <{tag}> is not allowed: nothing in a pack may run scripts, load styles "
                "or embed other documents; remove it")
    hint = _HINTS.get(tag, "use Markdown instead")
    return f"the tag <{tag}> is not allowed in pages ({hint})"


def _attr_problem(tag: str, name: str, allowed: frozenset[str]) -> str:
    if name.startswith("on"):
        return f"the attribute '{name}' on <{tag}> is an event handler, and pages never run scripts; remove it"
    if name == "style":
        return f"the attribute 'style' on <{tag}> is not used; remove it"
    if allowed:
        return f"the attribute '{name}' is not allowed on <{tag}> (only {', '.join(sorted(allowed))}); remove it"
    return f"<{tag}> takes no attributes; remove '{name}'"


class _Walker(HTMLParser):
    """Walks a fragment once, collecting problems and (when converting) safe markup."""

    def __init__(self, block: bool, image_url: Callable[[str], str | None] | None) -> None:
        super().__init__(convert_charrefs=True)
        self.block = block
        self.image_url = image_url
        self.result = _Result()
        self.open: list[str] = []
        self.in_p = False

    # -- helpers -------------------------------------------------------------------

    def _line(self) -> int:
        return self.getpos()[0] - 1

    def _problem(self, message: str) -> None:
        self.result.problems.append(HtmlProblem(self._line(), message))

    def _emit(self, markup: str, inline: bool = True) -> None:
        if inline and self.block and not self.in_p and not (set(self.open) & CELL_TAGS):
            self.result.out.append("<p>")
            self.in_p = True
        self.result.out.append(markup)

    def _close_p(self) -> None:
        if self.in_p:
            self.result.out.append("</p>")
            self.in_p = False

    def _raw(self) -> str:
        return self.get_starttag_text() or ""

    def _in_table(self) -> bool:
        return "table" in self.open

    # -- tags ----------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, self._raw())

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, self._raw())
        if tag not in VOID_TAGS:  # <sup/> opens and closes at once
            self.handle_endtag(tag)

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], raw: str) -> None:
        allowed = IMG_ATTRS if tag == "img" else CELL_ATTRS if tag in CELL_TAGS else frozenset()
        ok = tag in VOID_TAGS or tag in INLINE_TAGS or tag in TABLE_TAGS
        values = {name: value or "" for name, value in attrs}
        if not ok:
            href = values.get("href", "").strip().lower()
            if tag == "a" and "".join(href.split()).startswith(("javascript:", "vbscript:", "data:")):
                scheme = href.split(":", 1)[0][:10]
                self._problem(f"the link <a href=\"{scheme}:...\"> is not allowed: pages never run scripts; remove it")
            else:
                self._problem(_tag_problem(tag))
        for name, _ in attrs:
            if name not in allowed:
                if ok or name.startswith("on"):  # a refused tag is reported once, handlers always
                    self._problem(_attr_problem(tag, name, allowed))
                ok = False
        if tag in TABLE_TAGS and not self.block:
            self._problem(f"start a table (<{tag}>) on a line of its own, after a blank line")
            ok = False
        if tag == "table" and self._in_table():
            self._problem("a table inside a table is not allowed")
            ok = False
        for name in CELL_ATTRS & set(values):
            if not _SPAN_RE.match(values[name]):
                self._problem(f"'{name}' must be a number from 1 to 99")
                ok = False
        if tag == "img":
            self._image(values, raw if not ok else None)
            return
        if not ok:
            self._emit(html.escape(raw))
            return
        if tag == "br":
            self._emit("<br />")
        elif tag in INLINE_TAGS:
            self._emit(f"<{tag}>")
            self.open.append(tag)
        else:
            self._table_start(tag, values)

    def _image(self, values: dict[str, str], refused: str | None) -> None:
        """Record the picture for the builder; show it, or (when refused) the tag as text."""
        src = values.get("src")
        for name in ("width", "height"):
            if name in values and not _NUMBER_RE.match(values[name]):
                self._problem(f"the '{name}' of <img> must be a number of pixels")
        if not src:
            self._problem("<img> needs a src pointing to a picture in media/")
        else:
            self.result.images.append(HtmlImage(self._line(), src, values.get("alt")))
        if refused is not None:
            self._emit(html.escape(refused))
            return
        url = self.image_url(src) if self.image_url is not None and src else None
        if url is None:
            self._emit(html.escape("[" + values.get("alt", "") + "]"))
            return
        attrs = f' src="{html.escape(url)}" alt="{html.escape(values.get("alt", ""))}"'
        if values.get("title"):
            attrs += f' title="{html.escape(values["title"])}"'
        for name in ("width", "height"):
            if name in values and _NUMBER_RE.match(values[name]):
                attrs += f' {name}="{int(values[name])}"'
        self._emit(f"<img{attrs} />")

    def _table_start(self, tag: str, values: dict[str, str]) -> None:
        if tag == "table":
            self._close_p()
            self.result.out.append('<table border="1" cellspacing="0" cellpadding="4">')
            self.open.append(tag)
            return
        if not self._in_table():
            self._problem(f"<{tag}> must be inside a <table>")
            self._emit(html.escape(f"<{tag}>"))
            return
        self._close_cells(tag)
        spans = "".join(f' {k}="{int(values[k])}"' for k in sorted(CELL_ATTRS & set(values))
                        if _SPAN_RE.match(values[k]))
        self.result.out.append(f"<{tag}{spans}>")
        self.open.append(tag)

    def _close_cells(self, tag: str) -> None:
        """A new row or cell ends the open cell (and a new row the open row), as HTML does."""
        ends = {"td": CELL_TAGS, "th": CELL_TAGS, "tr": CELL_TAGS | {"tr"},
                "thead": CELL_TAGS | {"tr", "thead", "tbody"}, "tbody": CELL_TAGS | {"tr", "thead", "tbody"}}
        while self.open and self.open[-1] in ends.get(tag, frozenset()) | INLINE_TAGS:
            self.result.out.append(f"</{self.open.pop()}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "br":  # </br> is read as <br> by browsers too
            self._emit("<br />")
            return
        if tag in VOID_TAGS:
            return
        if tag not in self.open:
            if tag in INLINE_TAGS and not self.block:
                self.result.closes.append(tag)  # opened by an earlier inline token
            elif tag not in INLINE_TAGS and tag not in TABLE_TAGS:
                self._problem(_tag_problem(tag))
                self._emit(html.escape(f"</{tag}>"))
            return
        while self.open:
            top = self.open.pop()
            self.result.out.append(f"</{top}>")
            if top == tag:
                break

    # -- everything else -----------------------------------------------------------

    def handle_data(self, data: str) -> None:
        if not data:
            return
        if self._in_table() and not (set(self.open) & CELL_TAGS):
            if data.strip():
                self._problem("text in a table must be inside a cell (<td> or <th>)")
            return
        if not data.strip() and not self.in_p:
            self.result.out.append(html.escape(data) if not self.block else "")
            return
        self._emit(html.escape(data))

    def handle_comment(self, data: str) -> None:
        pass  # never shown; pack check warns that it still travels in the pack

    def handle_decl(self, decl: str) -> None:
        self._problem("declarations (<!...>) are not allowed in pages; remove it")
        self._emit(html.escape(f"<!{decl}>"))

    def unknown_decl(self, data: str) -> None:
        self._problem("declarations (<![...]>) are not allowed in pages; remove it")
        self._emit(html.escape(f"<![{data}]>"))

    def handle_pi(self, data: str) -> None:
        self._problem("processing instructions (<?...>) are not allowed in pages; remove it")
        self._emit(html.escape(f"<?{data}>"))

    def finish(self) -> _Result:
        self.close()
        if not self.block:  # an inline tag is one token: its end comes in a later one
            self.result.opens = list(self.open)
            return self.result
        while self.open:
            self.result.out.append(f"</{self.open.pop()}>")
        self._close_p()
        return self.result


def _walk(fragment: str, block: bool, image_url: Callable[[str], str | None] | None) -> _Result:
    if len(fragment) > MAX_FRAGMENT_CHARS:
        raise HtmlError("the HTML block is too large")
    walker = _Walker(block, image_url)
    try:
        walker.feed(fragment)
        return walker.finish()
    except (AssertionError, ValueError, IndexError, TypeError, RecursionError) as exc:
        raise HtmlError("the HTML cannot be read") from exc


def check(fragment: str, block: bool) -> tuple[list[HtmlProblem], list[HtmlImage]]:
    """Problems in one HTML fragment (a block, or one inline tag) and the images it shows."""
    result = _walk(fragment, block, None)
    unique = list(dict.fromkeys(result.problems))  # a refused tag's start and end say the same
    return unique, result.images


def convert_block(fragment: str, image_url: Callable[[str], str | None]) -> str:
    """Safe, well-formed markup for an HTML block; `image_url` maps an img src to a
    satchel-media: URL (or None when the picture cannot be used: its alt text is shown)."""
    return "".join(_walk(fragment, True, image_url).out)


@dataclass(frozen=True)
class InlineTag:
    markup: str
    opens: tuple[str, ...]  # allowed tags this token opens (the caller closes them)
    closes: tuple[str, ...]  # allowed tags this token closes (if the caller has them open)


def convert_inline(fragment: str, image_url: Callable[[str], str | None]) -> InlineTag:
    """One inline HTML token (`<br>`, `<sup>`, `</sup>`, `<img ...>`) as safe markup."""
    result = _walk(fragment, False, image_url)
    return InlineTag("".join(result.out), tuple(result.opens), tuple(result.closes))
