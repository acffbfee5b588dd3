"""The library opens in the user's language: a first run imports the starter editions of
the chosen interface language and English (Persian, which has no edition yet: English
alone), and "Add packs from the starter set..." offers the rest of the bundled set.

Data-driven from the starter set present: every UN language whose edition exists is
checked (Spanish too, as soon as its edition is in content_packs/default/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from uihelp import PASSPHRASE, wait_idle

from content_packs.starter_set import UI_TO_EDITION, edition_of, languages_for_ui, starter_source
from ui import i18n
from ui.firstrun import FirstRunScreen
from ui.qt import Qt

UN_LANGUAGES = ("en", "ar", "zh_CN", "fr", "ru", "es")
AVAILABLE = starter_source().editions()
PRESENT = [lang for lang in UN_LANGUAGES if UI_TO_EDITION[lang] in AVAILABLE]


def test_the_starter_set_has_the_un_languages_written_so_far() -> None:
    assert {"en", "ar", "zh-hans", "fr", "ru"} <= AVAILABLE
    assert languages_for_ui("zh_CN") == ["zh-hans", "en"] and languages_for_ui("en") == ["en"]
    assert languages_for_ui("fa") == ["fa", "en"]            # used as soon as a Persian edition exists
    assert edition_of("laptop-security-zh-hans.satchel") == "zh-hans"
    assert edition_of("un-system-en.satchel") == "en"


def first_run(make_window: Any, home: Path, qtbot: Any, lang: str) -> Any:
    w = make_window(home)
    screen = w.screen
    assert isinstance(screen, FirstRunScreen)
    item = next(screen.languages.item(i) for i in range(screen.languages.count())
                if screen.languages.item(i).data(Qt.ItemDataRole.UserRole) == lang)
    screen.languages.setCurrentItem(item)
    screen.language_next.click()
    screen = w.screen
    screen.pass1.setText(PASSPHRASE)
    screen.pass2.setText(PASSPHRASE)
    screen.pass_next.click()
    seen: list[int] = []
    screen.progress.valueChanged.connect(seen.append)
    screen.duress_skip.click()
    qtbot.waitUntil(lambda: w.view is not None, timeout=60000)
    wait_idle(qtbot, w)
    assert seen and max(seen) > 0, "the progress bar never moved"
    return w


@pytest.mark.parametrize("lang", PRESENT + ["fa"])
def test_first_run_imports_the_chosen_language_and_english(make_window: Any, tmp_path: Path, qtbot: Any,
                                                            lang: str) -> None:
    from app.library import list_packs

    w = first_run(make_window, tmp_path / "home", qtbot, lang)
    assert i18n.language() == lang
    packs = list_packs(w.session.vault)
    own = UI_TO_EDITION[lang]
    expected = {own, "en"} & AVAILABLE
    assert {p.id.rsplit(".", 1)[1] for p in packs} == expected
    for edition in expected:
        mine = [p for p in packs if p.id.endswith("." + edition)]
        topics = {p.id.split(".")[3] for p in mine}
        bundled = {n.rsplit("-" + edition, 1)[0] for n in starter_source([edition]).names()}
        assert topics == bundled and {"laptop-security", "un-system", "satchel-guide"} <= topics, (edition, topics)
        assert {p.kind for p in mine} == {"course", "guide"} and all(p.sample for p in mine)
    # The library shows them, grouped under the language's own name.
    tree = w.view.library.tree
    qtbot.waitUntil(lambda: tree.topLevelItemCount() == len(expected))
    # The rest of the bundled set can be added later, from the library.
    actions = w.view.library.actions
    dialog = actions.starter_set()
    qtbot.waitUntil(lambda: dialog.op is None and dialog.table.rowCount() > 0, timeout=60000)
    offered = {edition_of(p.file) for p in dialog.rows}
    assert offered == AVAILABLE - expected
    assert all(p.state == "new" for p in dialog.rows)


def test_add_the_rest_from_the_starter_set(make_window: Any, tmp_path: Path, qtbot: Any) -> None:
    from app.library import list_packs

    w = first_run(make_window, tmp_path / "home", qtbot, "fr")
    actions = w.view.library.actions
    dialog = actions.starter_set()
    qtbot.waitUntil(lambda: dialog.op is None and dialog.table.rowCount() > 0, timeout=60000)
    # Choose only the Russian editions.
    for row, p in enumerate(dialog.rows):
        if edition_of(p.file) != "ru":
            dialog.table.item(row, 0).setCheckState(Qt.CheckState.Unchecked)
    assert all(edition_of(f) == "ru" for f in dialog.chosen_files()) and len(dialog.chosen_files()) == 4
    dialog.import_button.click()
    qtbot.waitUntil(lambda: actions.whats_new is not None and actions.whats_new.isVisible(), timeout=60000)
    assert actions.whats_new.summary.text() == i18n.tr("{n} new pack(s), {m} updated.", n=4, m=0)
    assert i18n.language() == "fr" and "nouveau" in actions.whats_new.summary.text()
    wait_idle(qtbot, w)
    assert {p.id.rsplit(".", 1)[1] for p in list_packs(w.session.vault)} == {"fr", "en", "ru"}
    # Offered again: only what is still missing.
    actions.whats_new.close()
    dialog = actions.starter_set()
    qtbot.waitUntil(lambda: dialog.op is None and dialog.table.rowCount() > 0, timeout=60000)
    assert {edition_of(p.file) for p in dialog.rows} == AVAILABLE - {"fr", "en", "ru"}
