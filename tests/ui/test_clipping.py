"""No clipped labels: every screen and dialog, in each of the seven interface languages,
at 100 % and 200 % text, shows the whole text of every label and button (tests/ui/fit.py
measures each against the font, word wrap considered)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fit import clipped
from uihelp import PASSPHRASE, open_page, unlock, wait_idle

from ui import i18n, theme
from ui.notes_overview import NotesOverview
from ui.passdialog import PassphraseDialog
from ui.qt import QApplication, QMessageBox

LANGS = list(i18n.LANGUAGES)


def settle(qtbot: Any) -> None:
    qtbot.wait(40)
    QApplication.processEvents()


def dialog(kind: type) -> Any:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
    assert len(found) == 1, found
    return found[0]


def check(qtbot: Any, name: str, widget: Any, problems: list[str]) -> None:
    settle(qtbot)
    problems.extend(f"{name}: {p}" for p in clipped(widget))


def close(widget: Any) -> None:
    widget.close()
    QApplication.processEvents()


def set_vault_look(home: Path, lang: str, scale: int) -> None:
    from app.vault import Vault

    with Vault.unlock(home, PASSPHRASE) as v:
        v.set_setting("ui.language", lang)
        v.set_setting("ui.text_scale", scale)


@pytest.mark.slow
@pytest.mark.parametrize("scale", [100, 200])
@pytest.mark.parametrize("lang", LANGS)
def test_every_screen_and_dialog_shows_its_whole_text(
    make_window: Any, empty_home: Path, home_path: Path, qtbot: Any, lang: str, scale: int
) -> None:
    problems: list[str] = []
    i18n.set_language(lang)
    theme.apply(scale, False)
    w = make_window(empty_home)
    for step in range(4):
        w.screen.go(step)
        check(qtbot, f"first run {step}", w, problems)
    w.show_damaged()
    check(qtbot, "damaged", w, problems)
    w.close()

    set_vault_look(home_path, lang, scale)
    w = make_window(home_path)
    check(qtbot, "unlock", w, problems)
    unlock(qtbot, w)
    assert i18n.language() == lang
    qtbot.waitUntil(lambda: w.view.library.tree.topLevelItemCount() > 0)
    check(qtbot, "library", w, problems)
    open_page(qtbot, w, "org.test.course", "pages/intro.md")
    check(qtbot, "reader", w, problems)
    reader = open_page(qtbot, w, "org.test.course", "pages/check.quiz.md")
    reader.quiz.questions[0].buttons[0].click()
    check(qtbot, "quiz", w, problems)
    w.view.search_box.setText("safety")
    qtbot.waitUntil(lambda: w.view.search.status.text() != "", timeout=10000)
    check(qtbot, "search", w, problems)
    w.view.search_box.clear()

    settings = w.open_settings()
    check(qtbot, "settings", settings, problems)
    settings.passphrase.click()
    check(qtbot, "change passphrase", dialog(PassphraseDialog), problems)
    close(dialog(PassphraseDialog))
    settings.duress_set.click()
    check(qtbot, "duress passphrase", dialog(PassphraseDialog), problems)
    close(dialog(PassphraseDialog))
    close(settings)
    for name in ("help", "about"):
        d = w.menus.open_dialog(name)
        check(qtbot, name, d, problems)
        close(d)
    usb = w.open_usb()
    check(qtbot, "usb", usb, problems)
    close(usb)
    open_page(qtbot, w, "org.test.course", "pages/intro.md")
    w.menus.actions["overview"].trigger()
    wait_idle(qtbot, w)
    check(qtbot, "notes overview", dialog(NotesOverview), problems)
    close(dialog(NotesOverview))
    from ui.errors import show_error

    box = show_error(w, "x")
    check(qtbot, "message", box, problems)
    close(box)
    w.panic_confirm = True
    w.panic()
    assert isinstance(w._confirm, QMessageBox)
    check(qtbot, "wipe question", w._confirm, problems)
    w._confirm.button(QMessageBox.StandardButton.Cancel).click()
    assert not problems, "\n".join(problems)
