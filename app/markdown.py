"""CommonMark pages from content packs: titles, plain text, link checks and safe HTML.

Pack content is untrusted even when its signature verifies (a trusted trainer's key
can be stolen, a trainer can make mistakes). This module guarantees:

* Raw HTML in a page is interpreted only through the allow-list of app.htmlallow
  (``<br>``, ``<sup>``, ``<sub>``, ``<kbd>``, ``<img>`` from the pack's media, simple
  tables); anything else is shown as escaped text, comments are dropped. The HTML is
  built here from the parsed tokens with a fixed set of tags (p, h1-h6, em, strong,
  code, pre, blockquote, ul, ol, li, hr, br, a, img, sup, sub, kbd, table, thead,
  tbody, tr, th, td) and attributes (href, title, name, src, alt, width, height, start,
  a checklist item's class, a cell's align, colspan and rowspan, a table's fixed
  border). All text and attribute values are escaped. No style, script, iframe, object
  or event attribute can be produced; ``render_html`` audits its own output and falls
  back to escaped plain text if that ever failed.
* Every link and image target is classified by ``classify_target``. Links survive only
  as ``satchel-page:``, ``satchel-media:``, ``satchel-pack:`` (a page of another pack,
  written ``satchel:PACK_ID/pages/x.md#part``), ``satchel-external:`` (percent-encoded,
  for display only, the app never opens it) or ``#fragment`` hrefs; anything else is
  shown as inert text. Images load only from ``satchel-media:`` paths inside the pack;
  a remote, ``data:`` or otherwise unusable image becomes its alt text in brackets, so
  rendering a page never causes a network request.
* Checklist items (``- [ ] text`` in an ordinary page) are rendered as list items of
  class ``checked``/``unchecked``, in the order app.checklist gives their keys.
* ``resolve`` never returns a path outside the pack root, an absolute path, or a path
  with backslashes, control characters or empty segments.

No Qt, no I/O, no logging.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token

from app import checklist, frontmatter, htmlallow
from app.targets import (
    ANCHOR,
    EXTERNAL,
    FORBIDDEN,
    MAX_TARGET_CHARS,
    MEDIA,
    PACK,
    PAGE,
    PackLink,
    classify_target,
    pack_link,
    resolve,
)

__all__ = [
    "ANCHOR",
    "EXTERNAL",
    "FORBIDDEN",
    "MAX_TARGET_CHARS",
    "MEDIA",
    "PACK",
    "PAGE",
    "PackLink",
    "Reference",
    "classify_target",
    "pack_link",
    "page_title",
    "plain_text",
    "references",
    "render_html",
    "resolve",
]



@dataclass(frozen=True)
class Reference:
    """A link or image target found in a page, for build-time validation."""

    kind: str  # "link" or "image"
    target: str  # as written, after CommonMark entity and backslash unescaping
    line: int | None  # 1-based source line where the link or image starts
    alt: str | None = None  # an image's description (None when an HTML <img> has no alt)
    html: bool = False  # written as an HTML <img> rather than Markdown


class _Parser(MarkdownIt):
    """CommonMark with pipe tables, raw HTML handed to app.htmlallow, and every link
    target kept as written.

    markdown-it's own link validation drops some dangerous links silently and
    percent-encodes the rest; Satchel classifies targets itself instead, so that every
    target is reported by ``references`` and every one is judged by the same rules.
    """

    def __init__(self) -> None:
        super().__init__("commonmark", {"html": True, "linkify": False, "typographer": False})
        self.enable("table")

    def validateLink(self, url: str) -> bool:  # noqa: N802 (markdown-it's name)
        return True

    def normalizeLink(self, url: str) -> str:  # noqa: N802
        return url

    def normalizeLinkText(self, link: str) -> str:  # noqa: N802
        return link


_PARSER = _Parser()


def _parse(markdown: str) -> list[Token]:
    return _PARSER.parse(markdown)


# --- text ----------------------------------------------------------------------------


def _inline_text(children: Sequence[Token] | None, linebreak: str) -> str:
    parts: list[str] = []
    for child in children or ():
        if child.type in ("softbreak", "hardbreak"):
            parts.append(linebreak)
        elif child.type == "image":
            parts.append(_inline_text(child.children, linebreak))
        elif child.type in ("text", "code_inline"):
            parts.append(child.content)
    return "".join(parts)


def _one_line(text: str) -> str:
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return " ".join(text.split())


def _title(tokens: Sequence[Token]) -> str | None:
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and i + 1 < len(tokens):
            title = _one_line(_inline_text(tokens[i + 1].children, " "))
            if title:
                return title
    return None


def page_title(markdown: str) -> str | None:
    """Plain text of the first non-empty heading (any level), on one line."""
    return _title(_parse(markdown))


def plain_text(markdown: str) -> str:
    """Readable text of the page without markup: blocks separated by blank lines,
    link text without URLs, image alt text, code verbatim."""
    blocks: list[str] = []
    for token in _parse(markdown):
        if token.type == "inline":
            blocks.append(_inline_text(token.children, "\n"))
        elif token.type in ("fence", "code_block"):
            blocks.append(token.content.rstrip("\n"))
        elif token.type == "html_block":
            blocks.append(strip_tags(token.content).rstrip("\n"))
    return "\n\n".join(b.strip() for b in blocks if b.strip())


# An HTML tag or comment as CommonMark reads one: what search indexes and titles leave out.
_TAG_RE = re.compile(
    r"<[A-Za-z][A-Za-z0-9-]*(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*(?:\s*=\s*(?:[^\s\"'=<>`]+|'[^']*'|\"[^\"]*\"))?)*\s*/?>"
    r"|</[A-Za-z][A-Za-z0-9-]*\s*>|<!--.*?-->",
    re.DOTALL,
)


def strip_tags(text: str) -> str:
    return _TAG_RE.sub(" ", text) if "<" in text else text


@dataclass
class Analysis:
    """What the builder checks in a page, from one parse (see `analyse`)."""

    title: str | None = None
    references: list[Reference] = field(default_factory=list)
    html_problems: list[tuple[int | None, str]] = field(default_factory=list)
    comment_lines: list[int | None] = field(default_factory=list)


def analyse(markdown: str) -> Analysis:
    """The page's title; every link and image target (Markdown and HTML <img>), in
    source order; every HTML tag or attribute the allow-list refuses, with what to do;
    and the lines where HTML comments (never shown, yet carried in the pack) start."""
    tokens = _parse(markdown)
    result = Analysis(title=_title(tokens))

    def fragment(content: str, block: bool, line: int | None) -> None:
        if (block and "<!--" in content) or (not block and content.startswith("<!--")):
            result.comment_lines.append(line)
        try:
            problems, imgs = htmlallow.check(content, block)
        except htmlallow.HtmlError as exc:
            result.html_problems.append((line, str(exc)))
            return
        result.html_problems.extend(((line + p.line if line is not None else None), p.message) for p in problems)
        for img in imgs:
            where = line + img.line if line is not None else None
            result.references.append(Reference("image", img.src, where, img.alt, html=True))

    def walk(children: Sequence[Token], line: int | None) -> int | None:
        for child in children:
            if child.type in ("softbreak", "hardbreak"):
                line = line + 1 if line is not None else None
            elif child.type == "link_open":
                result.references.append(Reference("link", str(child.attrGet("href") or ""), line))
            elif child.type == "image":
                alt = _inline_text(child.children, " ")
                result.references.append(Reference("image", str(child.attrGet("src") or ""), line, alt))
                line = walk(child.children or [], line)
            elif child.type == "html_inline":
                fragment(child.content, False, line)
        return line

    for token in tokens:
        line = token.map[0] + 1 if token.map else None
        if token.type == "inline":
            walk(token.children or [], line)
        elif token.type == "html_block":
            fragment(token.content, True, line)
    return result


def references(markdown: str) -> list[Reference]:
    """Every link and image target of the page, in source order."""
    return analyse(markdown).references


def html_problems(markdown: str) -> list[tuple[int | None, str]]:
    """(line, what to do) for every HTML tag or attribute the allow-list refuses."""
    return analyse(markdown).html_problems


def html_comment_lines(markdown: str) -> list[int | None]:
    """Lines where an HTML comment starts (it is never shown, yet travels in the pack)."""
    return analyse(markdown).comment_lines


def checklist_items(markdown: str) -> list[checklist.ChecklistItem]:
    """The page's checklist items in reading order, with the keys their ticks are kept by."""
    tokens = _parse(markdown)
    items: list[checklist.ChecklistItem] = []
    seen: dict[str, int] = {}
    for index in range(len(tokens)):
        mark = checklist.task_mark(tokens, index)
        if mark is None:
            continue
        checked, inline = mark
        text = " ".join(checklist.strip_mark(_inline_text(inline.children, " ")).split())
        folded = text.casefold()
        seen[folded] = seen.get(folded, -1) + 1
        items.append(checklist.ChecklistItem(checklist.item_key(text, seen[folded]), checked, text))
    return items


# --- HTML ----------------------------------------------------------------------------


def _esc(value: str) -> str:
    return html.escape(value, quote=True)


def _path_url(scheme: str, path: str, fragment: str) -> str:
    url = scheme + quote(path, safe="/")
    if fragment:
        url += "#" + quote(unquote(fragment), safe="")
    return url


def _link_href(target: str, page_path: str) -> str | None:
    kind = classify_target(target, page_path=page_path)
    if kind in (PAGE, MEDIA):
        path = resolve(page_path, target)
        if path is None:
            return None
        fragment = target.partition("#")[2]
        return _path_url("satchel-page:" if kind == PAGE else "satchel-media:", path, fragment)
    if kind == PACK:
        link = pack_link(target)
        if link is None:
            return None
        return _path_url("satchel-pack:", f"{link.pack_id}/{link.path}", link.fragment)
    if kind == EXTERNAL:
        return "satchel-external:" + quote(target, safe="")
    if kind == ANCHOR:
        return "#" + quote(unquote(target[1:]), safe="")
    return None


def _title_attr(token: Token) -> str:
    title = token.attrGet("title")
    return f' title="{_esc(str(title))}"' if title else ""


def media_url(src: str, page_path: str) -> str | None:
    """The satchel-media: URL of an image target, or None if it is not in the pack."""
    if classify_target(src, page_path=page_path) != MEDIA:
        return None
    path = resolve(page_path, src)
    return _path_url("satchel-media:", path, "") if path is not None else None


def _render_image(token: Token, page_path: str) -> str:
    alt = _inline_text(token.children, " ")
    url = media_url(str(token.attrGet("src") or ""), page_path)
    if url is not None:
        return f'<img src="{_esc(url)}" alt="{_esc(alt)}"{_title_attr(token)} />'
    return _esc(f"[{alt}]")


_SIMPLE_INLINE = {
    "em_open": "<em>",
    "em_close": "</em>",
    "strong_open": "<strong>",
    "strong_close": "</strong>",
    "softbreak": "\n",
    "hardbreak": "<br />\n",
}


def _render_inline(children: Sequence[Token], page_path: str, strip_task: bool = False) -> str:
    out: list[str] = []
    open_links: list[bool] = []
    open_tags: list[str] = []  # allowed inline HTML (<sup>...) opened by earlier tokens
    images = functools.partial(media_url, page_path=page_path)
    for index, child in enumerate(children):
        kind = child.type
        if kind in _SIMPLE_INLINE:
            out.append(_SIMPLE_INLINE[kind])
        elif kind == "code_inline":
            out.append(f"<code>{_esc(child.content)}</code>")
        elif kind == "link_open":
            href = _link_href(str(child.attrGet("href") or ""), page_path)
            open_links.append(href is not None)
            if href is not None:
                out.append(f'<a href="{_esc(href)}"{_title_attr(child)}>')
        elif kind == "link_close":
            if open_links and open_links.pop():
                out.append("</a>")
        elif kind == "image":
            out.append(_render_image(child, page_path))
        elif kind == "html_inline":
            try:
                tag = htmlallow.convert_inline(child.content, images)
            except htmlallow.HtmlError:
                out.append(_esc(child.content))
                continue
            for name in tag.closes:
                if name in open_tags:
                    while open_tags:
                        top = open_tags.pop()
                        out.append(f"</{top}>")
                        if top == name:
                            break
            out.append(tag.markup)
            open_tags.extend(tag.opens)
        elif kind == "text" and strip_task and index == 0:
            out.append(_esc(checklist.strip_mark(child.content)))
        else:  # text, and anything unexpected, as text
            out.append(_esc(child.content))
    out.extend(f"</{name}>" for name in reversed(open_tags))
    out.extend("</a>" for is_open in open_links if is_open)
    return "".join(out)


_SIMPLE_BLOCK = {
    "blockquote_open": "<blockquote>\n",
    "blockquote_close": "</blockquote>\n",
    "bullet_list_open": "<ul>\n",
    "bullet_list_close": "</ul>\n",
    "ordered_list_close": "</ol>\n",
    "list_item_open": "<li>",
    "list_item_close": "</li>\n",
    "hr": "<hr />\n",
    "table_open": '<table border="1" cellspacing="0" cellpadding="4">\n',
    "table_close": "</table>\n",
    "thead_open": "<thead>\n",
    "thead_close": "</thead>\n",
    "tbody_open": "<tbody>\n",
    "tbody_close": "</tbody>\n",
    "tr_open": "<tr>",
    "tr_close": "</tr>\n",
    "th_close": "</th>",
    "td_close": "</td>",
}
_HEADINGS = {f"h{n}" for n in range(1, 7)}
_ALIGN_RE = re.compile(r"^text-align:(left|center|right)\Z")


def heading_anchor(text: str) -> str:
    """The anchor a heading gets, as GitHub spells it: lower case, letters, digits and
    hyphens (`## Before you travel` -> `before-you-travel`), in any script."""
    out = []
    for ch in unicodedata.normalize("NFC", text).casefold():
        if ch in " -":
            out.append("-")
        elif unicodedata.category(ch)[0] in "LMN" or ch == "_":
            out.append(ch)
    return "".join(out)


def _render_tokens(tokens: Sequence[Token], page_path: str, checklists: bool = True) -> str:
    out: list[str] = []
    anchors: dict[str, int] = {}
    task_inlines: set[int] = set()  # ids of the inline tokens that open a checklist item
    images = functools.partial(media_url, page_path=page_path)
    for index, token in enumerate(tokens):
        kind = token.type
        if kind == "list_item_open" and checklists:
            mark = checklist.task_mark(tokens, index)
            if mark is not None:
                task_inlines.add(id(mark[1]))
                # A no-break space keeps the text off the box in right-to-left items too.
                out.append('<li class="checked">\u00a0' if mark[0] else '<li class="unchecked">\u00a0')
                continue
        if kind in _SIMPLE_BLOCK:
            out.append(_SIMPLE_BLOCK[kind])
        elif kind in ("th_open", "td_open"):
            align = _ALIGN_RE.match(str(token.attrGet("style") or ""))
            out.append(f'<{token.tag} align="{align.group(1)}">' if align else f"<{token.tag}>")
        elif kind in ("paragraph_open", "paragraph_close"):
            if not token.hidden:  # tight lists hide their paragraphs
                out.append("<p>" if kind == "paragraph_open" else "</p>\n")
        elif kind in ("heading_open", "heading_close"):
            tag = token.tag if token.tag in _HEADINGS else "p"
            if kind == "heading_close":
                out.append(f"</{tag}>\n")
                continue
            out.append(f"<{tag}>")
            nxt = tokens[index + 1] if index + 1 < len(tokens) else None
            anchor = heading_anchor(_inline_text(nxt.children, " ")) if nxt is not None else ""
            if anchor:
                seen = anchors.get(anchor, 0)
                anchors[anchor] = seen + 1
                name = anchor if not seen else f"{anchor}-{seen}"
                out.append(f'<a name="{_esc(name)}"></a>')
        elif kind == "ordered_list_open":
            start = token.attrGet("start")
            if isinstance(start, int) or (isinstance(start, str) and start.isdigit()):
                out.append(f'<ol start="{int(start)}">\n')
            else:
                out.append("<ol>\n")
        elif kind in ("fence", "code_block"):
            # The fence's info string is dropped: it would only become a class name.
            out.append(f"<pre><code>{_esc(token.content)}</code></pre>\n")
        elif kind == "inline":
            out.append(_render_inline(token.children or [], page_path, id(token) in task_inlines))
        elif kind == "html_block":
            try:
                out.append(htmlallow.convert_block(token.content, images) + "\n")
            except htmlallow.HtmlError:
                out.append(f"<p>{_esc(token.content)}</p>\n")
        elif token.content:  # anything unexpected: as text
            out.append(f"<p>{_esc(token.content)}</p>\n")
    return "".join(out)


_CELL = frozenset({"align", "colspan", "rowspan"})
_ALLOWED_TAGS: dict[str, frozenset[str]] = {
    **{tag: frozenset() for tag in ("p", "em", "strong", "code", "pre", "blockquote", "sup", "sub", "kbd")},
    **{tag: frozenset() for tag in ("ul", "hr", "br", "thead", "tbody", "tr", *_HEADINGS)},
    "li": frozenset({"class"}),
    "ol": frozenset({"start"}),
    "a": frozenset({"href", "title", "name"}),
    "img": frozenset({"src", "alt", "title", "width", "height"}),
    "table": frozenset({"border", "cellspacing", "cellpadding"}),
    "th": _CELL,
    "td": _CELL,
}
_HREF_PREFIXES = ("satchel-page:", "satchel-media:", "satchel-pack:", "satchel-external:", "#")
_FIXED_VALUES = {
    "class": ("checked", "unchecked"),
    "align": ("left", "center", "right"),
    "border": ("1",),
    "cellspacing": ("0",),
    "cellpadding": ("4",),
}
_NUMERIC = frozenset({"start", "width", "height", "colspan", "rowspan"})


class _Audit(HTMLParser):
    """Checks rendered HTML against the whitelist above."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ok = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        allowed = _ALLOWED_TAGS.get(tag)
        if allowed is None:
            self.ok = False
            return
        for name, value in attrs:
            value = value or ""
            if (
                name not in allowed
                or (name == "href" and not value.startswith(_HREF_PREFIXES))
                or (name == "src" and not value.startswith("satchel-media:"))
                or (name in _NUMERIC and not (value.isdigit() and len(value) <= 12))
                or (name in _FIXED_VALUES and value not in _FIXED_VALUES[name])
            ):
                self.ok = False

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _ALLOWED_TAGS:
            self.ok = False

    def handle_comment(self, data: str) -> None:
        self.ok = False

    def handle_decl(self, decl: str) -> None:
        self.ok = False

    def handle_pi(self, data: str) -> None:
        self.ok = False

    def unknown_decl(self, data: str) -> None:
        self.ok = False


def _audit(markup: str) -> bool:
    audit = _Audit()
    audit.feed(markup)
    audit.close()
    return audit.ok


def render_html(markdown: str, page_path: str, checklists: bool = True) -> str:
    """Safe HTML for a QTextBrowser; ``page_path`` is the page's path inside the pack.
    With ``checklists`` (ordinary pages), `- [ ]` items become tickable list items."""
    markup = _render_tokens(_parse(markdown), page_path, checklists)
    if not _audit(markup):  # defence in depth: never expected to happen
        return f"<pre>{_esc(markdown)}</pre>\n"
    return markup


def title_and_text(markdown: str) -> tuple[str | None, str]:
    """`page_title` and `plain_text` from one parse (the importer's hot path)."""
    tokens = _parse(markdown)
    title: str | None = None
    blocks: list[str] = []
    for i, token in enumerate(tokens):
        if title is None and token.type == "heading_open" and i + 1 < len(tokens):
            title = _one_line(_inline_text(tokens[i + 1].children, " ")) or None
        if token.type == "inline":
            blocks.append(_inline_text(token.children, "\n"))
        elif token.type in ("fence", "code_block", "html_block"):
            blocks.append(token.content.rstrip("\n"))
    # Tags are markup wherever they stand (even in code, where they index as noise).
    return title, strip_tags("\n\n".join(b.strip() for b in blocks if b.strip()))


# --- search index --------------------------------------------------------------------

# The importer tokenises every page of a pack; a full CommonMark parse is most of that
# work. `index_fields` gets the same words from a few regular expressions instead: it
# drops what a reader never sees as text (link and image targets and titles, link
# reference definitions, code-fence info strings, ordered-list numbers), removes the
# emphasis and code-span marks that can sit inside a word, and decodes entities;
# everything else is punctuation to the tokenizer anyway. It can differ from
# `title_and_text` only where Markdown syntax appears inside code (tests/app/
# test_markdown.py compares the two on the corpus, the starter packs and Satchel's docs).
_SIMPLE_ATX_RE = re.compile(r"[ ]{0,3}#{1,6}[ \t]+([^#\n\\`*_\[\]<>&!~]*[^#\s\\`*_\[\]<>&!~])[ \t]*")
_FENCE_LINE_RE = re.compile(r"^[ ]{0,3}(?:`{3,}|~{3,}).*$", re.MULTILINE)
_REF_DEF_RE = re.compile(
    r"^[ ]{0,3}\[[^\]\n]+\]:[ \t]*(?:<[^<>\n]*>|\S+)"
    r"(?:[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*$",
    re.MULTILINE,
)
_LINK_RE = re.compile(
    r"(?<!\\)!?\[((?:[^\[\]]|\[[^\[\]]*\])*)\]"
    r"\([ \t]*(?:<[^<>\n]*>|[^\s()<>]*(?:\([^\s()]*\)[^\s()<>]*)*)"
    r"(?:[ \t\n]+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?[ \t]*\)"
)
_LIST_NUMBER_RE = re.compile(r"^((?:[ \t]*>)*[ \t]*)(\d{1,9})[.)](?=[ \t]|$)", re.MULTILINE)
_LIST_ITEM_RE = re.compile(r"(?:[ \t]*>)*[ \t]*(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")
_REF_LABEL_RE = re.compile(r"^[ ]{0,3}\[([^\]\n]+)\]:", re.MULTILINE)
_FULL_REF_RE = re.compile(r"(?<!\\)\]\[([^\[\]\n]+)\]")


def _label(text: str) -> str:
    return " ".join(text.split()).casefold()


def _drop_list_numbers(text: str) -> str:
    """Ordered-list numbers are markup; a number that merely starts a wrapped line of a
    paragraph is text (only 1 may interrupt a paragraph to start a list)."""
    out = []
    block_start, in_list = True, False
    for line in text.split("\n"):
        if not line.strip(" \t>"):
            block_start, in_list = True, False
            out.append(line)
            continue
        m = _LIST_NUMBER_RE.match(line)
        if m is not None and (block_start or in_list or int(m.group(2)) == 1):
            line = m.group(1) + line[m.end():]
            in_list = True
        elif _LIST_ITEM_RE.match(line):
            in_list = True
        block_start = False
        out.append(line)
    return "\n".join(out)


def index_fields(markdown: str) -> tuple[str | None, str]:
    """The page's title (as `page_title` gives it) and the text to index for search."""
    first = markdown.lstrip("\n").split("\n", 1)[0]
    heading = _SIMPLE_ATX_RE.fullmatch(first)
    title = _one_line(heading.group(1)) if heading else page_title(markdown)
    text = markdown
    if "```" in text or "~~~" in text:
        text = _FENCE_LINE_RE.sub("", text)
    if "]:" in text:
        labels = {_label(m.group(1)) for m in _REF_LABEL_RE.finditer(text)}
        text = _REF_DEF_RE.sub("", text)
        # [text][label] shows only its text when the label is defined.
        text = _FULL_REF_RE.sub(lambda m: "]" if _label(m.group(1)) in labels else m.group(), text)
    for _ in range(3):  # an image inside a link is a link inside a link
        if "](" not in text:
            break
        text = _LINK_RE.sub(r"\1", text)
    if _LIST_NUMBER_RE.search(text) is not None:
        text = _drop_list_numbers(text)
    # Emphasis and code spans can sit inside a word (و**بقيت** reads as one word).
    text = text.replace("*", "").replace("`", "")
    if "&" in text:
        text = html.unescape(text)
    return title, strip_tags(text)


def index_page(text: str) -> tuple[str | None, str]:
    """`index_fields` of a whole page: its front matter is left out of the text, and its
    `title` is the title when the page has no heading."""
    body, offset = frontmatter.strip(text)
    title, plain = index_fields(body)
    if title is None and offset:
        title = frontmatter.title(text)
    return title, plain
