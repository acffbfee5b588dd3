"""Everything a page needs, gathered on the worker thread (never on the GUI thread).

The page's Markdown becomes safe HTML (app.markdown), its images are read from the vault
here and decoded in the separate decoding process (ui/imagedecode.py), as the PNG, JPEG,
GIF or WebP their first bytes and name agree on (content_packs.images), capped in bytes
and pixels and in time (IMAGE_TIMEOUT for one picture, PAGE_DECODE_BUDGET for all of a
page's): a missing, mistyped, broken, huge or slow image becomes None (the reader shows a
placeholder) and the page still opens, whatever the decoder does. Up to the build-time
limit of pictures per page are decoded (content_packs.limits), each narrower the more a
page has, so a 150-screenshot guide stays within a few hundred MB. The page's front
matter is left out of the HTML and its documented fields kept for display; checklist
items come with the learner's ticks; pictures carried by a pack the library lacks name
that pack. QImage may be used off the GUI thread; QPixmap may not, so none is made here.
"""

from __future__ import annotations

import logging
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from content_packs.images import HEAD_BYTES, image_format
from content_packs.limits import DEFAULT_LIMITS
from ui.imagedecode import ALLOCATION_LIMIT_MB, IMAGE_TIMEOUT, MAX_IMAGE_BYTES, shared_decoder
from ui.qt import QImage

log = logging.getLogger(__name__)

MEDIA_SCHEME = "satchel-media:"
MAX_IMAGES = DEFAULT_LIMITS.page_images
FULL_WIDTH_IMAGES = 40  # beyond this many pictures on a page, each is decoded narrower
MIN_WIDTH = 480
MAX_WIDTH = 1200  # wider images are decoded scaled down
PAGE_DECODE_BUDGET = 15.0  # seconds for all the pictures of one page; later ones get placeholders
__all__ = ["ALLOCATION_LIMIT_MB", "MAX_IMAGE_BYTES", "PageData", "decode_image", "load_page", "media_path"]

_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["'](satchel-media:[^"']*)["']""", re.IGNORECASE)


def media_path(url: str) -> str:
    """'satchel-media:media/a.png?x#y' -> 'media/a.png'."""
    rest = url[len(MEDIA_SCHEME) :] if url.startswith(MEDIA_SCHEME) else url
    rest = rest.split("#", 1)[0].split("?", 1)[0]
    return urllib.parse.unquote(rest)


def width_for(count: int) -> int:
    """The widest a picture is decoded on a page showing `count` of them: full width for
    a few, narrower for many, so the page's decoded pixels stay bounded."""
    if count <= FULL_WIDTH_IMAGES:
        return MAX_WIDTH
    return max(MIN_WIDTH, int(MAX_WIDTH * (FULL_WIDTH_IMAGES / count) ** 0.5))


def decode_image(path: str, data: bytes | None, timeout: float = IMAGE_TIMEOUT,
                 max_width: int = MAX_WIDTH) -> QImage | None:
    """The image at `path` decoded within the caps, or None. Its format is the one its
    name and first bytes agree on; nothing else is ever handed to a decoder."""
    if not data or len(data) > MAX_IMAGE_BYTES:
        return None
    fmt = image_format(path, data[:HEAD_BYTES])
    if fmt is None:
        return None
    return shared_decoder().decode(data, fmt, max_width, timeout)


@dataclass
class PageData:
    pack_id: str
    path: str
    title: str
    kind: str
    language: str
    direction: str
    html: str = ""
    quiz: Any = None
    images: dict[str, QImage | None] = field(default_factory=dict)
    note: str = ""
    bookmarked: bool = False
    completed: bool = False
    answers: dict[int, tuple[str, bool]] = field(default_factory=dict)
    scroll: float = 0.0
    checklist: list[Any] = field(default_factory=list)  # app.checklist.ChecklistItem, in page order
    ticks: list[bool] = field(default_factory=list)  # each item's state: the learner's, else the page's
    meta: list[tuple[str, str]] = field(default_factory=list)  # front-matter fields to show
    missing_packs: list[tuple[str, str]] = field(default_factory=list)  # (id, title) carrying missing pictures


def image_paths(html: str) -> list[str]:
    return list(dict.fromkeys(media_path(url) for url in _SRC.findall(html)))


def page_images(vault: Any, pack_id: str, html: str) -> dict[str, QImage | None]:
    from app.library import read_media

    images: dict[str, QImage | None] = {}
    deadline = time.monotonic() + PAGE_DECODE_BUDGET
    paths = image_paths(html)
    width = width_for(min(len(paths), MAX_IMAGES))
    for path in paths:
        remaining = deadline - time.monotonic()
        if len(images) >= MAX_IMAGES or remaining <= 0:
            images[path] = None
            continue
        try:
            data = read_media(vault, pack_id, path, limit=MAX_IMAGE_BYTES)
            images[path] = decode_image(path, data, min(IMAGE_TIMEOUT, remaining), width)
        except Exception as exc:  # a bad image never stops a page from opening
            log.info("an image could not be read (%s)", type(exc).__name__)
            images[path] = None
    return images


def load_page(vault: Any, pack_id: str, path: str, mark: bool = True) -> PageData | None:
    """The page and the learner's traces on it; marks it visited and remembers the position."""
    from app import library, progress

    page = library.get_page(vault, pack_id, path)
    if page is None:
        return None
    data = PageData(pack_id, path, page.title, page.kind, page.language, page.direction)
    if page.kind == "quiz":
        from app.quiz import parse_quiz

        data.quiz = parse_quiz(page.markdown)
        data.answers = progress.answers(vault, pack_id, path)
    else:
        from app import frontmatter
        from app.markdown import checklist_items

        body, _ = frontmatter.strip(page.markdown)
        data.meta = page_meta(frontmatter.read(page.markdown))
        data.html = render(body, path)
        data.images = page_images(vault, pack_id, data.html)
        missing = [p for p, image in data.images.items() if image is None]
        data.missing_packs = library.missing_media_packs(vault, pack_id, missing) if missing else []
        data.checklist = checklist_items(body)
        learner = progress.ticks(vault, pack_id, path)
        data.ticks = [learner.get(item.key, item.checked) for item in data.checklist]
    data.note = progress.get_note(vault, pack_id, path)
    data.bookmarked = progress.is_bookmarked(vault, pack_id, path)
    data.completed = progress.is_completed(vault, pack_id, path)
    position = progress.get_position(vault, pack_id)
    if position is not None and position[0] == path:
        data.scroll = float(position[1])
    if mark:
        progress.mark_visited(vault, pack_id, path)
        progress.set_position(vault, pack_id, path, data.scroll)
    return data


def page_meta(meta: Any) -> list[tuple[str, str]]:
    """The documented front-matter fields, in a fixed order, as (field, text)."""
    if meta is None:
        return []
    out = [(name, meta.text(name)) for name in ("author", "duration", "level", "licence")]
    shown = [(name, value) for name, value in out if value]
    if meta.tags:
        shown.append(("tags", ", ".join(meta.tags)))
    return shown


def render(markdown: str, path: str) -> str:
    """Safe HTML for a page; broken Markdown still gives a page (its text, escaped)."""
    from app.markdown import render_html

    try:
        return render_html(markdown, path)
    except Exception as exc:
        import html

        log.info("a page could not be rendered (%s)", type(exc).__name__)
        return "<pre>" + html.escape(markdown[:200_000]) + "</pre>"
