"""Run by test_fonts.py in a fresh process, usually with the system's fonts hidden (an
empty fontconfig configuration): lays text out through the reader's own renderer and the
app's own font set-up, and prints what it found as one JSON object. Prints nothing else.

    font_probe.py corpus                  every UDHR language and every UAX #31 sample
    font_probe.py reader HOME PACK PAGE   the reader's font notice on a real page
    font_probe.py window LANG             the window's notice for an interface language

SATCHEL_TEST_FONT_DIR, when set, is the font folder to load instead of Satchel's own
(a damaged install).
"""

from __future__ import annotations

import html
import json
import os
import sys
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(TESTS.parent), str(TESTS)]


def _app() -> Any:
    from ui import fonts

    folder = os.environ.get("SATCHEL_TEST_FONT_DIR")
    if folder:
        fonts.font_dir = lambda: Path(folder)  # type: ignore[assignment]
    from ui.main import create_application, harden_logging

    harden_logging()  # Qt's font warnings stay out of the output
    app = create_application([sys.argv[0]], all_fonts=True)
    from ui.main import report_fonts

    report_fonts()  # as the app does at start: one line on stderr if fonts are missing
    return app


def missing_glyphs(browser: Any) -> tuple[int, list[str]]:
    """Glyphs drawn as boxes in the reader's laid-out page (ui.fonts.missing_glyphs)."""
    from ui.fonts import missing_glyphs as count

    browser.document().setTextWidth(700)
    return count(browser.document())


def render(browser: Any, title: str, text: str, rtl: bool) -> dict[str, Any]:
    from ui import fonts

    body = f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p><p><b>{html.escape(text[:400])}</b></p>"
    browser.show_page(body, {}, rtl, 11.0)
    count, used = missing_glyphs(browser)
    plain = browser.document().toPlainText()
    return {"missing": count, "fonts": used, "lacking": [s.name for s in fonts.missing_scripts(plain)]}


def corpus() -> dict[str, Any]:
    from corpus import languages

    from app.library import direction
    from ui import fonts
    from ui.browser import PageBrowser

    _app()
    browser = PageBrowser()
    result: dict[str, Any] = {"families": fonts.report().families if fonts.report() else []}
    for lang in languages():
        text = " ".join(a.title + " " + a.text for a in lang.articles)
        result[f"udhr:{lang.key}"] = render(browser, lang.title, text, direction(lang.tag) == "rtl")
    for script in fonts.SCRIPTS:
        result[f"script:{script.name}"] = render(browser, script.sample, script.sample * 3,
                                                 script.name in ("Arabic", "Hebrew", "Thaana"))
    return result


def reader(home: str, pack_id: str, page: str) -> dict[str, Any]:
    _app()
    from app.home import Home
    from ui import i18n
    from ui.screenshots import wait_until
    from ui.window import MainWindow

    i18n.set_language("en")
    w = MainWindow(Home(home), iter_time_ms=5)
    w.show()
    w.screen.field.setText("correct horse battery staple")
    w.screen.button.click()
    wait_until(lambda: w.view is not None and not w.runner.worker.busy())
    w.view.open(pack_id, page)
    r = w.view.reader
    wait_until(lambda: r.data is not None and r.path == page)
    result = {"notice": r.font_notice.text(), "shown": not r.font_notice.isHidden()}
    w.close()
    w.shutdown()
    return result


def window(lang: str) -> dict[str, Any]:
    _app()
    import tempfile

    from app.home import Home
    from ui import i18n
    from ui.window import MainWindow

    i18n.set_language(lang)
    with tempfile.TemporaryDirectory() as tmp:
        w = MainWindow(Home(Path(tmp) / "home"), iter_time_ms=5)
        w.show()
        items = w.screen.languages
        result = {"notice": w.font_notice.text(), "shown": not w.font_notice.isHidden(),
                  "languages": [items.item(i).text() for i in range(items.count())]}
        w.close()
        w.shutdown()
    return result


def main(argv: list[str]) -> None:
    mode, args = argv[0], argv[1:]
    result = {"corpus": corpus, "reader": reader, "window": window}[mode](*args)
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    # The probe never ran the application's event loop to its end; Qt's teardown of such a
    # half-run application can abort under load ("QThread: Destroyed while ..."), which says
    # nothing about fonts. The result is out: leave without it.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
