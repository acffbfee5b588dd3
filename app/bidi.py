"""Text direction: which way a piece of text reads, and which characters may reorder it.

Guarantees:
* ``first_strong`` answers as HTML's ``dir="auto"`` does: the direction of the first
  character with a strong direction (Unicode bidi classes L, R and AL), skipping what
  sits inside isolates; None when the text has no strong character at all. It reads
  at most ``SCAN_LIMIT`` characters, so a block of any size costs the same.
* ``BIDI_CONTROLS`` are the explicit embeddings, overrides and isolates (U+202A to
  U+202E, U+2066 to U+2069). They can make a title appear to say something else
  ("gnp.exe" shown for "exe.png"), so pack titles and ids may not contain them. The
  marks U+200E, U+200F and U+061C are ordinary in right-to-left writing and allowed.

No Qt, no I/O.
"""

from __future__ import annotations

import unicodedata

__all__ = ["BIDI_CONTROLS", "LTR", "RTL", "bidi_controls", "first_strong", "first_strong_or"]

LTR = "ltr"
RTL = "rtl"
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_ISOLATE_OPEN = frozenset("\u2066\u2067\u2068")
_ISOLATE_CLOSE = "\u2069"
SCAN_LIMIT = 4096


def first_strong(text: str) -> str | None:
    """"ltr" or "rtl" from the first strongly directional character, or None."""
    depth = 0
    for ch in text[:SCAN_LIMIT]:
        if ch in _ISOLATE_OPEN:
            depth += 1
            continue
        if ch == _ISOLATE_CLOSE:
            depth = max(0, depth - 1)
            continue
        if depth:
            continue
        kind = unicodedata.bidirectional(ch)
        if kind == "L":
            return LTR
        if kind in ("R", "AL"):
            return RTL
    return None


def first_strong_or(text: str, default: str) -> str:
    """`first_strong`, or `default` for text with no strong character (numbers, marks)."""
    return first_strong(text) or default


def bidi_controls(text: str) -> list[str]:
    """The bidi control characters in `text`, as U+XXXX names, in order of appearance."""
    return [f"U+{ord(ch):04X}" for ch in text if ch in BIDI_CONTROLS]
