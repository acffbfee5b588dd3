"""Real image files, good and hostile, for the tests of finding 2 (imported as
`hostile_images`): each is made here from its format's own rules, none is a stand-in."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int, rgb: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A real RGB PNG."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\0" + bytes(rgb) * width
    comp = zlib.compressobj(9)
    data = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header that claims width x height pixels, followed by almost no data
    (a 200-megapixel claim costs 60 bytes on disk and 800 MB to decode)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    data = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def tiff(width: int = 8, height: int = 8) -> bytes:
    """A real little-endian, uncompressed, 8-bit grey TIFF."""
    pixels = bytes(range(width * height)) if width * height <= 256 else b"\x80" * (width * height)
    entries = [
        (256, 3, 1, width), (257, 3, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
        (273, 4, 1, 0), (277, 3, 1, 1), (278, 3, 1, height), (279, 4, 1, len(pixels)),
    ]
    ifd_at = 8
    data_at = ifd_at + 2 + 12 * len(entries) + 4
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        if tag == 273:
            value = data_at
        ifd += struct.pack("<HHI", tag, kind, count) + (
            struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value))
    return b"II*\0" + struct.pack("<I", ifd_at) + ifd + b"\0\0\0\0" + pixels


def svg_drawing_a_local_file(path: str) -> bytes:
    """An SVG that draws a file of the computer it is opened on."""
    return (f'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
            f'xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="200">'
            f'<image x="0" y="0" width="200" height="200" xlink:href="file://{path}"/></svg>\n').encode()


def svg_nested_use(levels: int = 8, fan: int = 10) -> bytes:
    """About 2 KB of SVG whose <use> elements multiply: fan ** levels shapes to draw."""
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
             'width="100" height="100"><defs><path id="l0" d="M0 0h1v1z"/>']
    for level in range(1, levels + 1):
        uses = "".join(f'<use xlink:href="#l{level - 1}"/>' for _ in range(fan))
        parts.append(f'<g id="l{level}">{uses}</g>')
    parts.append(f'</defs><use xlink:href="#l{levels}"/></svg>')
    return "".join(parts).encode()
