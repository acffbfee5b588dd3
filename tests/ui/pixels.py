"""Colours measured on rendered widgets (imported as `pixels` by the tests)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ui.contrast import ratio
from ui.qt import QColor, QImage, QRect, QWidget


def grab(widget: QWidget) -> QImage:
    return widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)


def histogram(image: QImage, rect: QRect | None = None) -> Counter[int]:
    r = rect or image.rect()
    counts: Counter[int] = Counter()
    for y in range(max(r.top(), 0), min(r.bottom() + 1, image.height())):
        for x in range(max(r.left(), 0), min(r.right() + 1, image.width())):
            counts[image.pixel(x, y) & 0xFFFFFF] += 1
    return counts


def colour(rgb: int) -> QColor:
    return QColor((rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF)


def ground_and_ink(image: QImage, rect: QRect | None = None, min_pixels: int = 3) -> tuple[QColor, QColor]:
    """The background (the commonest colour) and the ink: of the colours covering at least
    `min_pixels` pixels, the one that contrasts most with the background (glyph stems
    and lines reach their full colour; anti-aliased edges only blend towards it)."""
    counts = histogram(image, rect)
    ground = colour(counts.most_common(1)[0][0])
    candidates = [colour(c) for c, n in counts.items() if n >= min_pixels]
    ink = max(candidates, key=lambda c: ratio(c, ground))
    return ground, ink


def text_contrast(widget: QWidget, rect: QRect | None = None) -> float:
    ground, ink = ground_and_ink(grab(widget), rect)
    return ratio(ground, ink)


def changed(before: QImage, after: QImage) -> list[tuple[int, int]]:
    return [
        (x, y)
        for y in range(min(before.height(), after.height()))
        for x in range(min(before.width(), after.width()))
        if before.pixel(x, y) != after.pixel(x, y)
    ]


def at(image: QImage, x: int, y: int) -> QColor:
    return colour(image.pixel(x, y) & 0xFFFFFF)


def describe(c: Any) -> str:
    return c.name() if isinstance(c, QColor) else str(c)
