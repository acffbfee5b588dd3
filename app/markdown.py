"""CommonMark pages from content packs: titles, plain text, link checks and safe HTML.

Pack content is untrusted even when its signature verifies (a trusted trainer's key
can be stolen, a trainer can make mistakes). This module guarantees:

* Raw HTML in a page is never interpreted: markdown-it-py runs the CommonMark preset
  with HTML disabled, and the HTML is built here from the parsed tokens with a fixed
  set of tags (p, h1-h6, em, strong, code, pre, blockquote, ul, ol, li, hr, br, a,
  img) and attributes (href, title, src, alt, start). All text and attribute values
  are escaped. No style, script, iframe, object or event attribute can be produced;
  ``render_html`` audits its own output and falls back to escaped plain text if that
  ever failed.
* Every link and image target is classified by ``classify_target``. Links survive only
  as ``satchel-page:``, ``satchel-media:``, ``satchel-external:`` (percent-encoded, for
  display only, the app never opens it) or ``#fragment`` hrefs; anything else is shown
  as inert text. Images load only from ``satchel-media:`` paths inside the pack; a
  remote, ``data:`` or otherwise unusable image becomes its alt text in brackets, so
  rendering a page never causes a network request.
* ``resolve`` never returns a path outside the pack root, an absolute path, or a path
  with backslashes, control characters or empty segments.

No Qt, no I/O, no logging.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote, unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = [
    "Reference",
    "classify_target",
    "page_title",
    "plain_text",
    "references",
    "render_html",
    "resolve",
]

PAGE = "page"
MEDIA = "media"
EXTERNAL = "external"
ANCHOR = "anchor"
FORBIDDEN = "forbidden"

MAX_TARGET_CHARS = 2048


@dataclass(frozen=True)
class Reference:
    """A link or image target found in a page, for build-time validation."""

    kind: str  # "link" or "image"
    target: str  # as written, after CommonMark entity and backslash unescaping
    line: int | None  # 1-based source line where the link or image starts


class _Parser(MarkdownIt):
    """CommonMark without raw HTML that keeps every link target as written.

    markdown-it's own link validation drops some dangerous links silently and
    percent-encodes the rest; Satchel classifies targets itself instead, so that every
    target is reported by ``references`` and every one is judged by the same rules.
    """

    def __init__(self) -> None:
        super().__init__("commonmark", {"html": False, "linkify": False, "typographer": False})

    def validateLink(self, url: str) -> bool:  # noqa: N802 (markdown-it's name)
        return True

    def normalizeLink(self, url: str) -> str:  # noqa: N802
        return url

    def normalizeLinkText(self, link: str) -> str:  # noqa: N802
        return link


_PARSER = _Parser()


def _parse(markdown: str) -> list[Token]:
    return _PARSER.parse(markdown)


# --- targets -------------------------------------------------------------------------

_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_HTTP_RE = re.compile(r"https?://[^/?#\s]+(?:[/?#]\S*)?", re.IGNORECASE)
_MAILTO_RE = re.compile(r"mailto:[^\s/?#][^\s]*", re.IGNORECASE)
_PERCENT_RE = re.compile(r"%[0-9A-Fa-f]{2}")


def _bad_char(ch: str) -> bool:
    if ch == " ":
        return False
    return ch == "\\" or ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn")


def _clean(value: str) -> bool:
    """No control, format or unassigned characters, no backslash, no whitespace other
    than inner ASCII spaces."""
    return not any(_bad_char(ch) for ch in value) and value == value.strip(" ")


def _unquote(value: str) -> str | None:
    """Percent-decode once; None for invalid UTF-8."""
    try:
        return unquote(value, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return None


def _decode(value: str) -> str | None:
    """Percent-decode a path once; None for invalid UTF-8 or double encoding, which
    would let a name mean different things to different readers."""
    decoded = _unquote(value)
    if decoded is None or _PERCENT_RE.search(decoded):
        return None
    return decoded


def _looks_like_scheme(value: str) -> bool:
    """A colon before any '/', '?' or '#': browsers would read a scheme."""
    head = re.split(r"[/?#]", value, maxsplit=1)[0]
    return ":" in head


def _split_relative(target: str) -> tuple[list[str], str] | None:
    """Decoded path segments and raw fragment of a relative target, or None."""
    if not target or len(target) > MAX_TARGET_CHARS or not _clean(target):
        return None
    if target.startswith(("/", "#")):
        return None
    path, _, fragment = target.partition("#")
    if "?" in path:
        return None
    decoded = _decode(path)
    if decoded is None or not decoded or not _clean(decoded):
        return None
    for form in (path, decoded, unicodedata.normalize("NFKC", decoded)):
        if _looks_like_scheme(form) or form.startswith("/") or "\\" in form:
            return None
    segments = decoded.split("/")
    if any(seg == "" for seg in segments) or segments[-1] in (".", ".."):
        return None
    return segments, fragment


_FRAGMENT_PUNCTUATION = frozenset("-_.~=&+!$'*,")


def _fragment_ok(fragment: str) -> bool:
    """Fragments name headings or PDF pages: letters, digits and a little punctuation
    (no colons, parentheses or semicolons that could read as anything else)."""
    decoded = _decode(fragment)
    return decoded is not None and all(
        ch in _FRAGMENT_PUNCTUATION or unicodedata.category(ch)[0] in "LMN" for ch in decoded
    )


def classify_target(target: str, *, page_path: str | None = None) -> str:
    """Classify a link or image target as "page", "media", "external", "anchor" or
    "forbidden".

    With ``page_path`` (the page's path inside the pack) a relative target that would
    escape the pack root is "forbidden"; without it only the target itself is judged.
    """
    if not target or len(target) > MAX_TARGET_CHARS or not _clean(target):
        return FORBIDDEN
    decoded = _unquote(target)
    if decoded is None or not _clean(decoded):  # encoded controls, backslashes...
        return FORBIDDEN
    if any(_looks_like_scheme(f) for f in (target, decoded, unicodedata.normalize("NFKC", decoded))):
        scheme = _SCHEME_RE.match(target)
        name = scheme.group(1).lower() if scheme else ""
        if name in ("http", "https") and " " not in target and _HTTP_RE.fullmatch(target):
            return EXTERNAL
        if name == "mailto" and " " not in target and _MAILTO_RE.fullmatch(target):
            return EXTERNAL
        return FORBIDDEN
    if target.startswith("#"):
        return ANCHOR if _fragment_ok(target[1:]) else FORBIDDEN
    split = _split_relative(target)
    if split is None:
        return FORBIDDEN
    segments, fragment = split
    if fragment and not _fragment_ok(fragment):
        return FORBIDDEN
    if page_path is not None and resolve(page_path, target) is None:
        return FORBIDDEN
    return PAGE if segments[-1].lower().endswith(".md") else MEDIA


def _normalized_pack_path(path: str) -> list[str] | None:
    if not path or not _clean(path) or path.startswith("/") or _looks_like_scheme(path):
        return None
    segments = path.split("/")
    if any(seg in ("", ".", "..") for seg in segments):
        return None
    return segments


def resolve(page_path: str, target: str) -> str | None:
    """Resolve a relative ``target`` against the folder of ``page_path`` inside the
    pack ("pages/a.md" + "../media/x.png" -> "media/x.png"), percent-decoded and
    without its fragment. None if it is not a relative path or escapes the pack root.
    """
    page = _normalized_pack_path(page_path)
    split = _split_relative(target)
    if page is None or split is None:
        return None
    stack = page[:-1]
    for segment in split[0]:
        if segment == ".":
            continue
        if segment == "..":
            if not stack:
                return None
            stack.pop()
            continue
        stack.append(segment)
    return "/".join(stack) if stack else None


# --- text ----------------------------------------------------------------------------


def _inline_text(children: Sequence[Token] | None, linebreak: str) -> str:
    parts: list[str] = []
    for child in children or ():
        if child.type in ("softbreak", "hardbreak"):
            parts.append(linebreak)
        elif child.type == "image":
            parts.append(_inline_text(child.children, linebreak))
        elif child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
    return "".join(parts)


def _one_line(text: str) -> str:
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return " ".join(text.split())


def page_title(markdown: str) -> str | None:
    """Plain text of the first non-empty heading (any level), on one line."""
    tokens = _parse(markdown)
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and i + 1 < len(tokens):
            title = _one_line(_inline_text(tokens[i + 1].children, " "))
            if title:
                return title
    return None


def plain_text(markdown: str) -> str:
    """Readable text of the page without markup: blocks separated by blank lines,
    link text without URLs, image alt text, code verbatim."""
    blocks: list[str] = []
    for token in _parse(markdown):
        if token.type == "inline":
            blocks.append(_inline_text(token.children, "\n"))
        elif token.type in ("fence", "code_block", "html_block"):
            blocks.append(token.content.rstrip("\n"))
    return "\n\n".join(b.strip() for b in blocks if b.strip())


def references(markdown: str) -> list[Reference]:
    """Every link and image target of the page, in source order."""
    found: list[Reference] = []

    def walk(children: Sequence[Token], line: int | None) -> int | None:
        for child in children:
            if child.type in ("softbreak", "hardbreak"):
                line = line + 1 if line is not None else None
            elif child.type == "link_open":
                found.append(Reference("link", str(child.attrGet("href") or ""), line))
            elif child.type == "image":
                found.append(Reference("image", str(child.attrGet("src") or ""), line))
                line = walk(child.children or [], line)
        return line

    for token in _parse(markdown):
        if token.type == "inline":
            walk(token.children or [], token.map[0] + 1 if token.map else None)
    return found


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
    if kind == EXTERNAL:
        return "satchel-external:" + quote(target, safe="")
    if kind == ANCHOR:
        return "#" + quote(unquote(target[1:]), safe="")
    return None


def _title_attr(token: Token) -> str:
    title = token.attrGet("title")
    return f' title="{_esc(str(title))}"' if title else ""


def _render_image(token: Token, page_path: str) -> str:
    alt = _inline_text(token.children, " ")
    src = str(token.attrGet("src") or "")
    if classify_target(src, page_path=page_path) == MEDIA:
        path = resolve(page_path, src)
        if path is not None:
            url = _path_url("satchel-media:", path, "")
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


def _render_inline(children: Sequence[Token], page_path: str) -> str:
    out: list[str] = []
    open_links: list[bool] = []
    for child in children:
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
        else:  # text, and anything unexpected, as text
            out.append(_esc(child.content))
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
}
_HEADINGS = {f"h{n}" for n in range(1, 7)}


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


def _render_tokens(tokens: Sequence[Token], page_path: str) -> str:
    out: list[str] = []
    anchors: dict[str, int] = {}
    for index, token in enumerate(tokens):
        kind = token.type
        if kind in _SIMPLE_BLOCK:
            out.append(_SIMPLE_BLOCK[kind])
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
            out.append(_render_inline(token.children or [], page_path))
        elif token.content:  # html_block (disabled) or anything unexpected: as text
            out.append(f"<p>{_esc(token.content)}</p>\n")
    return "".join(out)


_ALLOWED_TAGS: dict[str, frozenset[str]] = {
    **{tag: frozenset() for tag in ("p", "em", "strong", "code", "pre", "blockquote")},
    **{tag: frozenset() for tag in ("ul", "li", "hr", "br", *_HEADINGS)},
    "ol": frozenset({"start"}),
    "a": frozenset({"href", "title", "name"}),
    "img": frozenset({"src", "alt", "title"}),
}
_HREF_PREFIXES = ("satchel-page:", "satchel-media:", "satchel-external:", "#")


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
                or (name == "start" and not value.isdigit())
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


def render_html(markdown: str, page_path: str) -> str:
    """Safe HTML for a QTextBrowser; ``page_path`` is the page's path inside the pack."""
    markup = _render_tokens(_parse(markdown), page_path)
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
    return title, "\n\n".join(b.strip() for b in blocks if b.strip())


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
    return title, text
