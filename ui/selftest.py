"""The self-test's rendering step: one page drawn offscreen through the reader's own
renderer and fonts, checked for what a reader would see.

Guarantees:
- Runs on Qt's offscreen platform, set for this process only, after the same platform
  check the app makes (ui/preflight.py): a missing library is one sentence, not an abort.
- Draws the page with ui.browser.PageBrowser and the shipped fonts (all of them loaded
  at once), into an image that stays in memory: nothing is written.
- Returns None when the page drew text without a single box and the image is not blank,
  else one sentence saying what went wrong.
"""

from __future__ import annotations

import os
from typing import Any


def render_page(vault: Any, pack_id: str, path: str) -> str | None:
    """Draw `path` of `pack_id` offscreen; None if it reads, else the problem."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from ui.preflight import check

    problem = check()
    if problem:
        return problem
    from ui.main import create_application, harden_logging

    harden_logging()
    create_application(["satchel"], all_fonts=True)
    from ui import fonts
    from ui.browser import PageBrowser
    from ui.pageload import load_page
    from ui.qt import QImage

    data = load_page(vault, pack_id, path, mark=False)
    if data is None:
        return "The page is not in the library."
    browser = PageBrowser()
    try:
        browser.resize(800, 600)
        browser.show_page(data.html, data.images, data.direction == "rtl", 11.0)
        browser.document().setTextWidth(760)
        missing, _families = fonts.missing_glyphs(browser.document())
        lacking = fonts.missing_scripts(browser.document().toPlainText())
        image = QImage(browser.size(), QImage.Format.Format_RGB32)
        browser.render(image)
        colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    finally:
        browser.clear_page()
        browser.deleteLater()
    if lacking:
        return fonts.notice(lacking, english=True)
    if missing:
        return f"The page drew {missing} characters as boxes: a font is missing."
    if len(colours) < 3:
        return "The page drew nothing."
    return None
