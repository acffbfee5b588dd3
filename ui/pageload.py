"""Everything a page needs, gathered on the worker thread (never on the GUI thread).

The page's Markdown becomes safe HTML (app.markdown), its images are read from the vault
here and decoded in the separate decoding process (ui/imagedecode.py), as the PNG, JPEG,
GIF or WebP their first bytes and name agree on (content_packs.images), capped in bytes
and pixels and in time (IMAGE_TIMEOUT for one picture, PAGE_DECODE_BUDGET for all of a
page's): a missing, mistyped, broken, huge or slow image becomes None (the reader shows a
placeholder) and the page still opens, whatever the decoder does. QImage may be used off
the GUI thread; QPixmap may not, so none is made here.
"""

from __future__ import annotations

import logging
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from content_packs.images import HEAD_BYTES, image_format
from ui.imagedecode import ALLOCATION_LIMIT_MB, IMAGE_TIMEOUT, MAX_IMAGE_BYTES, shared_decoder
from ui.qt import QImage

log = logging.getLogger(__name__)

MEDIA_SCHEME = "satchel-media:"
MAX_IMAGES = 64
MAX_WIDTH = 1200  # wider images are decoded scaled down
PAGE_DECODE_BUDGET = 15.0  # seconds for all the pictures of one page; later ones get placeholders
__all__ = ["ALLOCATION_LIMIT_MB", "MAX_IMAGE_BYTES", "PageData", "decode_image", "load_page", "media_path"]

_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["'](satchel-media:[^"']*)["']""", re.IGNORECASE)


def media_path(url: str) -> str:
    """'satchel-media:media/a.png?x#y' -> 'media/a.png'."""
    rest = url[len(MEDIA_SCHEME) :] if url.startswith(MEDIA_SCHEME) else url
    rest = rest.split("#", 1)[0].split("?", 1)[0]
    return urllib.parse.unquote(rest)


def decode_image(path: str, data: bytes | None, timeout: float = IMAGE_TIMEOUT) -> QImage | None:
    """The image at `path` decoded within the caps, or None. Its format is the one its
    name and first bytes agree on; nothing else is ever handed to a decoder."""
    if not data or len(data) > MAX_IMAGE_BYTES:
        return None
    fmt = image_format(path, data[:HEAD_BYTES])
    if fmt is None:
        return None
    return shared_decoder().decode(data, fmt, MAX_WIDTH, timeout)


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


def page_images(vault: Any, pack_id: str, html: str) -> dict[str, QImage | None]:
    from app.library import read_media

    images: dict[str, QImage | None] = {}
    deadline = time.monotonic() + PAGE_DECODE_BUDGET
    for url in _SRC.findall(html):
        path = media_path(url)
        if path in images:
            continue
        remaining = deadline - time.monotonic()
        if len(images) >= MAX_IMAGES or remaining <= 0:
            images[path] = None
            continue
        try:
            data = read_media(vault, pack_id, path, limit=MAX_IMAGE_BYTES)
            images[path] = decode_image(path, data, min(IMAGE_TIMEOUT, remaining))
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
        data.html = render(page.markdown, path)
        data.images = page_images(vault, pack_id, data.html)
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


def render(markdown: str, path: str) -> str:
    """Safe HTML for a page; broken Markdown still gives a page (its text, escaped)."""
    from app.markdown import render_html

    try:
        return render_html(markdown, path)
    except Exception as exc:
        import html

        log.info("a page could not be rendered (%s)", type(exc).__name__)
        return "<pre>" + html.escape(markdown[:200_000]) + "</pre>"
