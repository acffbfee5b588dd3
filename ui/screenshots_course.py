"""Screenshot scenes of the starter course "Engaging the UN human rights system", for
`python -m ui.screenshots`: a page of the Universal Periodic Review module, its quiz with
an answer chosen, and a search for the module's key term, each in the edition of the
interface language (English, Arabic, Chinese), so the documentation shows what a
defender's first run shows in those scripts.

The scenes read only the starter packs already imported into the screenshots' throw-away
vault; nothing is written to disk but the PNG files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

COURSE = "org.satchel.starter.un-system.{edition}"
PAGE = "pages/10-upr-cycle.md"
QUIZ = "pages/14-check-upr.quiz.md"

# The module's key term as a defender would type it, per interface language.
SEARCH_TERMS = {
    "en": "Universal Periodic Review",
    "ar": "الاستعراض الدوري الشامل",
    "zh_CN": "普遍定期审议",
}


def course_scenes(window: Any, out: Path, lang: str, shoot: Callable[[Any, Path, str], Path],
                  wait_until: Callable[..., None]) -> list[Path]:
    """The course page, its quiz and a search, shot over the unlocked `window`."""
    from content_packs.starter_set import languages_for_ui

    edition = languages_for_ui(lang)[0]
    pack_id = COURSE.format(edition=edition)
    written: list[Path] = []
    view = window.view
    reader = view.reader
    view.open(pack_id, PAGE)
    wait_until(lambda: reader.data is not None and reader.pack_id == pack_id and reader.path == PAGE)
    written.append(shoot(window, out, f"{lang}-course-page.png"))
    view.open(pack_id, QUIZ)
    wait_until(lambda: reader.quiz is not None and reader.path == QUIZ)
    reader.quiz.questions[0].buttons[0].click()
    written.append(shoot(window, out, f"{lang}-course-quiz.png"))
    view.search_box.setText(SEARCH_TERMS[lang])
    search = view.search
    wait_until(lambda: search.results.count() > 0 or search.status.text() != "")
    written.append(shoot(window, out, f"{lang}-course-search.png"))
    view.search_box.clear()
    return written
