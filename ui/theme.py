"""Text size, the drawing style and a high-contrast palette, applied application-wide.

Guarantees:
- Nothing in the interface sets fixed colours or pixel font sizes, so a larger font and
  the palette below (or the system's own theme) reach every widget; headings
  (ui/widgets.py `Heading`) follow the text size and stay larger than body text.
- The drawing style (ui/style.py) shows focus, borders and toggle states in colours
  measured against the palette in use. The high-contrast theme draws with Fusion, whose
  drawing follows the palette (some platform styles ignore it).
- The high-contrast palette passes WCAG AA in every state (4.5:1 for text, 3:1 for
  control parts and the focus ring), checked by `contrast.palette_failures`.
- Links already on screen take the new palette's link colour at once, and every widget
  with a `theme_changed()` method (headings, coloured labels, the strength meter) is
  told: Qt does not pass font and palette changes on to a widget that set its own.
"""

from __future__ import annotations

from typing import Any

from ui.qt import QApplication, QColor, QFont, QPalette, QTextBrowser

_base: tuple[QFont, QPalette, str] | None = None
_style: Any = None

R = QPalette.ColorRole
G = QPalette.ColorGroup
SCALE_RANGE = (50, 300)


def _remember() -> tuple[QFont, QPalette, str]:
    global _base
    if _base is None:
        app = QApplication.instance()
        style = app.style()
        name = getattr(style, "base_name", None) or style.name() or "Fusion"
        _base = (QFont(app.font()), QPalette(app.palette()), name)
    return _base


def high_contrast_palette() -> QPalette:
    p = QPalette()
    black, white, yellow, cyan = QColor(0, 0, 0), QColor(255, 255, 255), QColor(255, 255, 0), QColor(0, 255, 255)
    grey = QColor(170, 170, 170)  # disabled text: 9:1 on black, and clearly not white
    common = (
        (R.Window, black),
        (R.Base, black),
        (R.AlternateBase, QColor(28, 28, 28)),
        (R.Button, black),
        (R.ToolTipBase, black),
        (R.ToolTipText, white),
        (R.Link, cyan),
        (R.LinkVisited, QColor(255, 128, 255)),
        (R.BrightText, yellow),
        (R.Light, white),
        (R.Midlight, QColor(200, 200, 200)),
        (R.Mid, QColor(160, 160, 160)),
        (R.Dark, white),
        (R.Shadow, white),
    )
    for group in (G.Active, G.Inactive):
        for role, color in (
            *common,
            (R.WindowText, white),
            (R.Text, white),
            (R.ButtonText, white),
            (R.Highlight, yellow),
            (R.HighlightedText, black),
            (R.PlaceholderText, QColor(200, 200, 200)),
            (R.Accent, yellow),
        ):
            p.setColor(group, role, color)
    for role, color in (
        *common,
        (R.WindowText, grey),
        (R.Text, grey),
        (R.ButtonText, grey),
        (R.Highlight, grey),
        (R.HighlightedText, black),
        (R.PlaceholderText, grey),
        (R.Accent, grey),
    ):
        p.setColor(G.Disabled, role, color)
    return p


def _install_style(name: str) -> None:
    global _style
    from ui.style import SatchelStyle

    app = QApplication.instance()
    if isinstance(_style, SatchelStyle) and app.style() is _style and _style.base_name == name:
        return
    _style = SatchelStyle(name)
    app.setStyle(_style)


def ensure() -> None:
    """Install Satchel's drawing style if it is not yet (the window does at start, so the
    unlock screen shows focus as clearly as the rest), leaving size and colours alone."""
    name = _remember()[2]
    if _style is None or QApplication.instance().style() is not _style:
        _install_style(name)


def apply(text_scale: int = 100, high_contrast: bool = False) -> None:
    font, palette, style_name = _remember()
    app = QApplication.instance()
    _install_style("Fusion" if high_contrast else style_name)
    scaled = QFont(font)
    scaled.setPointSizeF(font.pointSizeF() * max(SCALE_RANGE[0], min(int(text_scale), SCALE_RANGE[1])) / 100.0)
    app.setFont(scaled)
    new = high_contrast_palette() if high_contrast else QPalette(palette)
    app.setPalette(new)
    from ui.contrast import recolour_links

    for w in app.allWidgets():
        if isinstance(w, QTextBrowser):
            recolour_links(w.document(), new.color(R.Link))
        hook = getattr(w, "theme_changed", None)
        if callable(hook):
            hook()


def current() -> tuple[int, bool]:
    """(text scale in percent, high contrast?) as applied now."""
    font, _palette, _name = _remember()
    app = QApplication.instance()
    scale = round(100 * app.font().pointSizeF() / font.pointSizeF()) if font.pointSizeF() > 0 else 100
    hc = app.palette().color(R.Window) == QColor(0, 0, 0) and app.palette().color(R.Highlight) == QColor(255, 255, 0)
    return scale, hc
