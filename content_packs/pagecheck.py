"""Checking one page of a source folder, every problem at once.

For each page: UTF-8, its front matter (app.frontmatter), a title (its first heading, or
the front matter's `title`), no direction controls in the title, a quiz's questions,
HTML against the allow-list (app.htmlallow), every link and picture (pages listed, media
present and of a known type, links into other packs named in [[uses]], shared media),
descriptions of pictures, and the number of pictures on the page. Media the page shows
is gathered into the pack (or recorded as shared) as it is checked.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from app import frontmatter
from app import markdown as md
from app.bidi import bidi_controls
from app.quiz import is_quiz_path, quiz_problems
from content_packs.images import HEAD_BYTES, IMAGE_FORMATS, image_format, is_image_path
from content_packs.limits import MEDIA_TYPES, Limits
from content_packs.problems import Problems, shown
from content_packs.source import PackSource, read_inside
from content_packs.uses import UsedSource, check_pack_link, take_shared

_PLACEHOLDER_ALT = frozenset({
    "image", "img", "picture", "pic", "photo", "photograph", "screenshot", "screen shot", "screen",
    "figure", "fig", "icon", "logo", "graphic", "alt", "alt text", "untitled", "insert image",
    "image description", "description", "here", "this",
})
_NUMBERED_ALT_RE = re.compile(r"^(?:image|img|picture|pic|photo|screenshot|screen ?shot|figure|fig|dsc|scan)"
                              r"[\s_-]*\d*$", re.IGNORECASE)
_FILE_ALT_RE = re.compile(r"^\S+\.(?:png|jpe?g|gif|webp|svg|bmp|tiff?)$", re.IGNORECASE)
_EMAIL_RE = re.compile(r"^[^\s@/:]+@[^\s@/:]+\.[A-Za-z]{2,}\Z")


@dataclass
class PageContext:
    src: PackSource
    page: str
    pages_listed: set[str]
    used: dict[str, UsedSource]
    limits: Limits
    problems: Problems


def explain_forbidden(target: str) -> str:
    """Why a link target is refused, and what to write instead."""
    decoded = unquote(target)
    for text in (target, decoded):
        odd = [ch for ch in text if ch != " " and (ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf"))]
        if odd or text != text.strip(" "):
            ch = odd[0] if odd else " "
            name = unicodedata.name(ch, "a control character").lower()
            where = "at its end" if text.endswith(ch) else "at its start" if text.startswith(ch) else "in it"
            return (f"it has an invisible character {where} (U+{ord(ch):04X}, {name}); "
                    "delete it and type the address again")
    if _EMAIL_RE.match(target):
        return f"it looks like an e-mail address; write it as mailto:{target}"
    if "\\" in target:
        return "it uses '\\'; write paths with '/' (like ../media/map.png)"
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", target)
    if scheme:
        name = scheme.group(1).lower()
        if name in ("http", "https", "mailto"):
            return f"it is not a complete {name} address; check it for spaces or missing parts"
        if name == "satchel":
            return "it is not a link to another pack's page; write it as satchel:PACK_ID/pages/name.md#part"
        return (f"Satchel never opens '{shown(name, 20)}:' addresses (only pages and media in the pack, "
                "other packs (satchel:), http, https and mailto)")
    if target.startswith("//"):
        return "it is an address without http: or https:; write the full address"
    if target.startswith("/"):
        return "it starts with '/'; write the path relative to the page, like ../media/map.png or other.md"
    if len(target) > md.MAX_TARGET_CHARS:
        return f"it is longer than {md.MAX_TARGET_CHARS} characters"
    if "?" in target.split("#", 1)[0]:
        return "it has a '?' part; links inside a pack cannot carry one"
    if "%25" in target.lower():
        return "it is percent-encoded twice (%25); write the name once"
    return "it leads outside the pack folder or is not a usable path; point it to a page or to media/ in the pack"


def _placeholder_alt(alt: str, target: str) -> bool:
    text = " ".join(alt.split()).strip().casefold()
    stem = Path(target.split("#", 1)[0]).stem.casefold()
    name = Path(target.split("#", 1)[0]).name.casefold()
    return (text in _PLACEHOLDER_ALT or bool(_NUMBERED_ALT_RE.match(text)) or bool(_FILE_ALT_RE.match(text))
            or text in (stem, name, stem.replace("-", " "), stem.replace("_", " ")))


def _check_title(ctx: PageContext, title: str, line: int | None) -> None:
    controls = bidi_controls(title)
    if controls:
        ctx.problems.error(ctx.page, f"the title contains an invisible direction control ({', '.join(controls[:3])}) "
                           "that can make it look like something else; remove it", line)


def _front_matter(ctx: PageContext, text: str) -> tuple[str, int, str | None]:
    """The page's body, the lines before it, and the front matter's title."""
    try:
        meta, body, offset = frontmatter.parse(text)
    except frontmatter.FrontMatterError as exc:
        ctx.problems.error(ctx.page, str(exc), exc.line)
        body, offset = frontmatter.strip(text)
        return body, offset, None
    if meta is None:
        return body, offset, None
    shown_fields = ", ".join(frontmatter.FIELDS)
    for name, line in meta.unknown:
        ctx.problems.warn(ctx.page, f"the front-matter field '{shown(name, 40)}' is not one Satchel shows "
                          f"({shown_fields}); it is left out", line)
    for message, line in meta.problems:
        ctx.problems.warn(ctx.page, message, line)
    title = meta.text("title")
    if title is not None:
        _check_title(ctx, title, 2)
    return body, offset, title


def check_page(ctx: PageContext) -> None:
    page, problems = ctx.page, ctx.problems
    try:
        text = ctx.src.files[page].decode("utf-8")
    except UnicodeDecodeError:
        problems.error(page, "the page is not valid UTF-8 text; save it again as UTF-8")
        return
    body, offset, fm_title = _front_matter(ctx, text)

    def at(line: int | None) -> int | None:
        return line + offset if line is not None else None

    analysis = md.analyse(body)
    heading = analysis.title
    if heading is None and fm_title is None:
        problems.error(page, "the page needs a heading for its title (a line starting with '# ', "
                       "or 'title:' in its front matter)")
    elif heading is not None:
        _check_title(ctx, heading, None)
    if is_quiz_path(page):
        for message in quiz_problems(body):
            m = re.match(r"line (\d+): (.*)", message)
            if m:
                problems.error(page, m.group(2), at(int(m.group(1))))
            else:
                problems.error(page, message)
    for line, message in analysis.html_problems:
        problems.error(page, message, at(line))
    for line in analysis.comment_lines:
        problems.warn(page, "an HTML comment is never shown, but it travels in the pack file, which anyone "
                      "holding it can read; remove notes not meant for readers", at(line))
    images: set[str] = set()
    for ref in analysis.references:
        _check_reference(ctx, ref, at(ref.line), images)
    if len(images) > ctx.limits.page_images:
        problems.error(page, f"the page shows {len(images)} pictures; Satchel shows at most "
                       f"{ctx.limits.page_images} on one page: split it into several pages")


def _check_reference(ctx: PageContext, ref: md.Reference, line: int | None, images: set[str]) -> None:
    page, problems = ctx.page, ctx.problems
    what = "picture" if ref.kind == "image" else "link"
    kind = md.classify_target(ref.target)
    target_shown = shown(ref.target)
    if kind == md.FORBIDDEN:
        problems.error(page, f"the {what} '{target_shown}' is not allowed: {explain_forbidden(ref.target)}", line)
        return
    if ref.kind == "image" and kind != md.MEDIA:
        problems.error(page, f"the picture '{target_shown}' must be a file under media/ in the pack "
                       "(remote images are never loaded)", line)
        return
    if kind == md.PAGE:
        target = md.resolve(page, ref.target.split("#", 1)[0])
        if target is None or target not in ctx.pages_listed:
            problems.error(page, f"the link '{target_shown}' points to a page that is not listed in pack.toml", line)
    elif kind == md.PACK:
        link = md.pack_link(ref.target)
        if link is not None:
            check_pack_link(ctx.src, ctx.used, link, page, line, problems)
    elif kind == md.MEDIA:
        _check_media(ctx, ref, line, images)


def _check_media(ctx: PageContext, ref: md.Reference, line: int | None, images: set[str]) -> None:
    page, problems, src = ctx.page, ctx.problems, ctx.src
    target_shown = shown(ref.target)
    if ref.kind == "link" and _EMAIL_RE.match(ref.target):
        problems.error(page, f"the link '{target_shown}' looks like an e-mail address; write it as "
                       f"mailto:{ref.target}", line)
        return
    target = md.resolve(page, ref.target.split("#", 1)[0])
    if target is None or not target.startswith("media/"):
        problems.error(page, f"'{target_shown}' must point to a file under media/ inside the pack folder", line)
        return
    if Path(target).suffix.lower() not in MEDIA_TYPES:
        kinds = ", ".join(sorted(MEDIA_TYPES))
        problems.error(page, f"'{target_shown}' is not a media type Satchel shows ({kinds})", line)
        return
    if ref.kind == "image" and not is_image_path(target):
        problems.error(page, f"the picture '{target_shown}' must be a PNG, JPEG, GIF or WebP file", line)
        return
    if ref.kind == "image":
        images.add(target)
        alt = ref.alt or ""
        if not alt.strip():
            problems.warn(page, f"the picture '{target_shown}' has no description; describe what it shows, "
                          "for readers who cannot see it" + (" (alt=\"...\")" if ref.html else " (between [ ])"), line)
        elif _placeholder_alt(alt, target):
            problems.warn(page, f"the description '{shown(alt, 40)}' of '{target_shown}' says nothing about the "
                          "picture; describe what it shows", line)
    if target in src.files or target in src.shared:
        return
    if take_shared(src, ctx.used, target, page, line, problems):
        return
    data = read_inside(src.root, target, ctx.limits.media_bytes, problems, page, line, ctx.limits)
    if data is None:
        return
    if is_image_path(target) and image_format(target, data[:HEAD_BYTES]) is None:
        wanted = IMAGE_FORMATS[Path(target).suffix.lower()].upper()
        problems.error(page, f"'{target_shown}' is not a {wanted} image, whatever its name says (Satchel shows "
                       "PNG, JPEG, GIF and WebP images named for what they are)", line)
        return
    src.files[target] = data
