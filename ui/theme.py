"""Text size and a high-contrast palette, applied application-wide.

Nothing in the interface sets fixed colours or pixel font sizes, so a larger font and
the palette below (or the system's own high-contrast theme) reach every widget.
"""

from __future__ import annotations

from ui.qt import QApplication, QColor, QFont, QPalette

_base: tuple[QFont, QPalette] | None = None


def _remember() -> tuple[QFont, QPalette]:
    global _base
    if _base is None:
        app = QApplication.instance()
        _base = (QFont(app.font()), QPalette(app.palette()))
    return _base


def high_contrast_palette() -> QPalette:
    p = QPalette()
    black, white, yellow, cyan = (
        QColor(0, 0, 0),
        QColor(255, 255, 255),
        QColor(255, 255, 0),
        QColor(0, 255, 255),
    )
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        for role, color in (
            (QPalette.ColorRole.Window, black),
            (QPalette.ColorRole.WindowText, white),
            (QPalette.ColorRole.Base, black),
            (QPalette.ColorRole.AlternateBase, QColor(30, 30, 30)),
            (QPalette.ColorRole.Text, white),
            (QPalette.ColorRole.Button, black),
            (QPalette.ColorRole.ButtonText, white),
            (QPalette.ColorRole.Highlight, yellow),
            (QPalette.ColorRole.HighlightedText, black),
            (QPalette.ColorRole.Link, cyan),
            (QPalette.ColorRole.LinkVisited, cyan),
            (QPalette.ColorRole.ToolTipBase, black),
            (QPalette.ColorRole.ToolTipText, white),
            (QPalette.ColorRole.PlaceholderText, QColor(200, 200, 200)),
            (QPalette.ColorRole.BrightText, yellow),
            (QPalette.ColorRole.Light, white),
            (QPalette.ColorRole.Mid, QColor(160, 160, 160)),
            (QPalette.ColorRole.Dark, white),
        ):
            p.setColor(group, role, color)
    for role, color in (
        (QPalette.ColorRole.WindowText, QColor(170, 170, 170)),
        (QPalette.ColorRole.Text, QColor(170, 170, 170)),
        (QPalette.ColorRole.ButtonText, QColor(170, 170, 170)),
        (QPalette.ColorRole.Window, black),
        (QPalette.ColorRole.Base, black),
        (QPalette.ColorRole.Button, black),
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, color)
    return p


def apply(text_scale: int = 100, high_contrast: bool = False) -> None:
    font, palette = _remember()
    app = QApplication.instance()
    scaled = QFont(font)
    scaled.setPointSizeF(font.pointSizeF() * max(50, min(int(text_scale), 300)) / 100.0)
    app.setFont(scaled)
    app.setPalette(high_contrast_palette() if high_contrast else palette)


def current() -> tuple[int, bool]:
    """(text scale in percent, high contrast?) as applied now."""
    font, _palette = _remember()
    app = QApplication.instance()
    scale = round(100 * app.font().pointSizeF() / font.pointSizeF()) if font.pointSizeF() > 0 else 100
    hc = app.palette().color(QPalette.ColorRole.Window) == QColor(0, 0, 0) and app.palette().color(
        QPalette.ColorRole.Highlight
    ) == QColor(255, 255, 0)
    return scale, hc
