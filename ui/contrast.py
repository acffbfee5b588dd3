"""Colour contrast as WCAG 2.x measures it, and the colours Satchel derives from a palette.

Guarantees:
- `luminance` and `ratio` are WCAG 2.x's relative luminance and contrast ratio (sRGB
  channels linearised with the 0.04045 threshold; (L1 + 0.05) / (L2 + 0.05)).
- Every colour this module derives for drawing (focus ring, control borders, the
  colours of "right" and "wrong", the strength meter) is chosen from the palette in use
  and reaches its minimum against the backgrounds it is drawn on: 3:1 for parts of
  controls and focus indicators (WCAG 1.4.11), 4.5:1 for text (WCAG 1.4.3). If no
  candidate reaches it, the palette's own text colour is used (the strongest there is).
- `TEXT_PAIRS` and `UI_PAIRS` list every (foreground, background) pair the interface
  draws, by palette role; tests measure them on the high-contrast palette and on pixels
  of real widgets.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from ui.qt import QColor, QPalette, QTextCharFormat, QTextCursor, QTextDocument

TEXT_MIN = 4.5
UI_MIN = 3.0

R = QPalette.ColorRole
G = QPalette.ColorGroup

# (what, foreground role, background role): text the widgets draw.
TEXT_PAIRS: tuple[tuple[str, QPalette.ColorRole, QPalette.ColorRole], ...] = (
    ("window text", R.WindowText, R.Window),
    ("field text", R.Text, R.Base),
    ("alternate rows", R.Text, R.AlternateBase),
    ("button text", R.ButtonText, R.Button),
    ("selected rows", R.HighlightedText, R.Highlight),
    ("links", R.Link, R.Base),
    ("visited links", R.LinkVisited, R.Base),
    ("placeholder text", R.PlaceholderText, R.Base),
    ("tooltips", R.ToolTipText, R.ToolTipBase),
)


def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def luminance(colour: QColor) -> float:
    """WCAG 2.x relative luminance of an opaque sRGB colour (0 black .. 1 white)."""
    return 0.2126 * _linear(colour.redF()) + 0.7152 * _linear(colour.greenF()) + 0.0722 * _linear(colour.blueF())


def ratio(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio between two colours, from 1 (same) to 21 (black on white)."""
    la, lb = luminance(a), luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """`a` moved a fraction `t` (0..1) of the way towards `b`."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
    )


def readable(candidates: Iterable[QColor], backgrounds: Iterable[QColor], minimum: float, fallback: QColor) -> QColor:
    """The first candidate with at least `minimum` contrast against every background."""
    bgs = list(backgrounds)
    for c in candidates:
        if all(ratio(c, bg) >= minimum for bg in bgs):
            return QColor(c)
    return QColor(fallback)


def softened(fg: QColor, bgs: list[QColor], minimum: float) -> QColor:
    """`fg` blended as far towards the first background as contrast allows (a border that
    is quieter than text but still meets `minimum` against every background)."""
    for step in range(7, -1, -1):
        c = mix(fg, bgs[0], step / 10)
        if all(ratio(c, bg) >= minimum for bg in bgs):
            return c
    return QColor(fg)


def _pal(palette: QPalette, role: QPalette.ColorRole, group: QPalette.ColorGroup = G.Active) -> QColor:
    return palette.color(group, role)


# The style asks for these colours hundreds of times per repaint: computed once per
# combination of palette colours (plain RGB integers, so the cache holds no content).


@functools.lru_cache(maxsize=64)
def _focus_rgb(highlight: int, text: int, window: int, base: int, button: int) -> int:
    bgs = [QColor.fromRgb(c) for c in (window, base, button)]
    return readable([QColor.fromRgb(highlight)], bgs, UI_MIN, QColor.fromRgb(text)).rgb()


@functools.lru_cache(maxsize=64)
def _border_rgb(text: int, base: int, window: int, button: int) -> int:
    return softened(QColor.fromRgb(text), [QColor.fromRgb(c) for c in (base, window, button)], UI_MIN).rgb()


def focus_colour(palette: QPalette) -> QColor:
    """The focus ring: the selection colour if it stands out (3:1) from the window, the
    fields and the buttons; else the text colour."""
    roles = (R.Highlight, R.WindowText, R.Window, R.Base, R.Button)
    return QColor.fromRgb(_focus_rgb(*(_pal(palette, r).rgb() for r in roles)))


def border_colour(palette: QPalette, group: QPalette.ColorGroup = G.Active) -> QColor:
    """Borders of fields, buttons, check boxes and frames: 3:1 against window, fields and buttons."""
    roles = (R.Text, R.Base, R.Window, R.Button)
    return QColor.fromRgb(_border_rgb(*(_pal(palette, r, group).rgb() for r in roles)))


def on_colours(palette: QPalette) -> tuple[QColor, QColor]:
    """(fill, text) of a toggle button that is on (Bookmark, Note, Done): the selection
    colours, which differ from an off button's at 3:1 at least in the high-contrast theme."""
    return _pal(palette, R.Highlight), _pal(palette, R.HighlightedText)


_GOOD = ("#0a6b2c", "#1b7f3b", "#6bff8f", "#9dffb3")
_BAD = ("#a4161a", "#b3261e", "#ff8a80", "#ffb4ab")
_WARN = ("#8a4b00", "#ffd28a")


def _signal(palette: QPalette, names: tuple[str, ...]) -> QColor:
    bgs = [_pal(palette, R.Window), _pal(palette, R.Base)]
    return readable((QColor(n) for n in names), bgs, TEXT_MIN, _pal(palette, R.WindowText))


def good_colour(palette: QPalette) -> QColor:
    """Green text for "right", readable (4.5:1) on this palette's window and fields."""
    return _signal(palette, _GOOD)


def bad_colour(palette: QPalette) -> QColor:
    """Red text for "wrong", readable (4.5:1) on this palette's window and fields."""
    return _signal(palette, _BAD)


def warn_colour(palette: QPalette) -> QColor:
    """Amber text for a warning (Caps Lock), readable (4.5:1) on window and fields."""
    return _signal(palette, _WARN)


def recolour_links(doc: QTextDocument, colour: QColor) -> int:
    """Give every link already laid out in `doc` the palette's link colour.

    Qt fixes a link's colour when the page is parsed, so a page shown before the theme
    changed would keep dark blue links on a black background. Returns the links changed.
    """
    changed = 0
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            frag = it.fragment()
            fmt_in = frag.charFormat() if frag.isValid() else None
            # Links only: a heading's anchor name (<h2 id=...>) is an anchor without href.
            if fmt_in is not None and fmt_in.isAnchor() and fmt_in.anchorHref():
                cursor = QTextCursor(doc)
                cursor.setPosition(frag.position())
                cursor.setPosition(frag.position() + frag.length(), QTextCursor.MoveMode.KeepAnchor)
                fmt = QTextCharFormat()
                fmt.setForeground(colour)
                cursor.mergeCharFormat(fmt)
                changed += 1
            it += 1
        block = block.next()
    return changed


def palette_failures(palette: QPalette) -> list[str]:
    """Every text pair of `palette` below 4.5:1 and every derived UI colour below 3:1,
    in the active, inactive and disabled states (empty when the palette passes AA)."""
    out: list[str] = []
    for group in (G.Active, G.Inactive, G.Disabled):
        for what, fg, bg in TEXT_PAIRS:
            r = ratio(palette.color(group, fg), palette.color(group, bg))
            if r < TEXT_MIN:
                out.append(f"{group.name} {what}: {r:.2f}")
        border = border_colour(palette, group)
        for role in (R.Base, R.Window, R.Button):
            r = ratio(border, palette.color(group, role))
            if r < UI_MIN:
                out.append(f"{group.name} border on {role.name}: {r:.2f}")
    focus = focus_colour(palette)
    for role in (R.Base, R.Window, R.Button):
        r = ratio(focus, palette.color(G.Active, role))
        if r < UI_MIN:
            out.append(f"focus ring on {role.name}: {r:.2f}")
    on_fill, on_text = on_colours(palette)
    if ratio(on_fill, _pal(palette, R.Button)) < UI_MIN:
        out.append("toggle on vs off: below 3:1")
    if ratio(on_text, on_fill) < TEXT_MIN:
        out.append("toggle on text: below 4.5:1")
    return out
