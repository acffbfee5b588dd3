"""Which images Satchel shows: PNG, JPEG, GIF and WebP, told apart by their first bytes.

An image decoder that guesses the format from the content will happily decode a TIFF
named `.png` (Qt's TIFF plugin then crashed the whole process), or an SVG named `.png`
(which drew a file of the computer into the page, or took a minute to render nested
`<use>` elements). So the format is decided here, from the magic bytes, and must agree
with the file's suffix; the decoder is then told that one format and nothing else
(ui/imagedecode.py). The same check runs when a pack is built (content_packs.source),
when it is imported (content_packs.importer) and right before an image is decoded.
"""

from __future__ import annotations

from pathlib import PurePosixPath

# Qt's names for the four formats, by file suffix.
IMAGE_FORMATS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".gif": "gif", ".webp": "webp"}
HEAD_BYTES = 12   # enough for every signature below


def sniff_image(head: bytes) -> str | None:
    """The format the first bytes announce, among the four accepted; None for anything else."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if len(head) >= 12 and head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    return None


def is_image_path(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in IMAGE_FORMATS


def image_format(path: str, head: bytes) -> str | None:
    """The format to decode `path` with: its suffix's, if its first bytes agree; else None."""
    wanted = IMAGE_FORMATS.get(PurePosixPath(path).suffix.lower())
    return wanted if wanted is not None and sniff_image(head) == wanted else None


IMAGE_REFUSED = ("An image in the pack is not the PNG, JPEG, GIF or WebP file its name says; "
                 "the pack was refused.")
