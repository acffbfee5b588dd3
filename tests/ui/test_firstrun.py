"""First run: language, passphrase with strength feedback, optional duress passphrase,
then the starter library imported with a progress bar and labelled Sample."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from uihelp import DURESS, PASSPHRASE, unlock, wait_idle

from ui import i18n
from ui.firstrun import STEP_DURESS, STEP_PASSPHRASE, STEP_PROGRESS, FirstRunScreen
from ui.qt import QApplication, Qt
from ui.unlock import UnlockScreen


def choose_passphrase(screen: FirstRunScreen, text: str = PASSPHRASE) -> None:
    screen.pass1.setText(text)
    screen.pass2.setText(text)


def test_first_run_creates_the_vault_and_imports_the_starter_library(
    make_window: Any, empty_home: Path, qtbot: Any
) -> None:
    w = make_window(empty_home)
    screen = w.screen
    assert isinstance(screen, FirstRunScreen) and screen.step() == 0
    screen.language_next.click()
    screen = w.screen
    assert screen.step() == STEP_PASSPHRASE
    # The explanation says plainly that the passphrase cannot be recovered.
    texts = " ".join(lbl.text() for lbl in screen.findChildren(type(screen.strength)))
    assert "Nobody can recover it" in texts
    choose_passphrase(screen)
    assert screen.pass_next.isEnabled()
    screen.pass_next.click()
    assert screen.step() == STEP_DURESS
    seen: list[int] = []
    screen.progress.valueChanged.connect(seen.append)
    screen.duress_skip.click()
    assert screen.step() == STEP_PROGRESS
    qtbot.waitUntil(lambda: w.view is not None, timeout=30000)
    wait_idle(qtbot, w)
    assert seen and max(seen) > 0, "the progress bar never moved"
    assert empty_home.joinpath("key").exists() and empty_home.joinpath("data").exists()
    tree = w.view.library.tree
    qtbot.waitUntil(lambda: tree.topLevelItemCount() > 0)
    packs = [
        tree.topLevelItem(i).child(j).child(k)
        for i in range(tree.topLevelItemCount())
        for j in range(tree.topLevelItem(i).childCount())
        for k in range(tree.topLevelItem(i).child(j).childCount())
    ]
    assert len(packs) >= 2
    assert all(p.text(2) == "Sample" for p in packs), [p.text(2) for p in packs]
    # The passphrase opens the vault it made, and the language was stored inside it.
    from app.vault import Vault

    w.lock()
    wait_idle(qtbot, w)
    with Vault.unlock(empty_home, PASSPHRASE) as v:
        assert v.get_setting("ui.language") == "en"


def test_weak_or_mismatched_passphrase_cannot_continue(make_window: Any, empty_home: Path) -> None:
    w = make_window(empty_home)
    w.screen.go(STEP_PASSPHRASE)
    screen = w.screen
    screen.pass1.setText("password")
    screen.pass2.setText("password")
    assert not screen.pass_next.isEnabled()
    assert "Very weak" in screen.strength.text()
    screen.pass1.setText(PASSPHRASE)
    screen.pass2.setText(PASSPHRASE + "x")
    assert not screen.pass_next.isEnabled()
    assert screen.mismatch.text() == "The two passphrases differ."
    screen.pass2.setText(PASSPHRASE)
    assert screen.pass_next.isEnabled()
    assert screen.meter.value() >= 3


def test_duress_must_differ_and_is_explained(make_window: Any, empty_home: Path, qtbot: Any) -> None:
    w = make_window(empty_home)
    screen = w.screen
    screen.go(STEP_PASSPHRASE)
    choose_passphrase(screen)
    screen.pass_next.click()
    texts = " ".join(lbl.text() for lbl in screen.findChildren(type(screen.strength)))
    assert "wipes your library" in texts and "optional" in texts
    screen.duress1.setText(PASSPHRASE)
    screen.duress2.setText(PASSPHRASE)
    screen.duress_set.click()
    assert screen.step() == STEP_DURESS
    assert "must differ" in screen.duress_msg.text()
    screen.duress1.setText(DURESS)
    screen.duress2.setText(DURESS)
    screen.duress_set.click()
    qtbot.waitUntil(lambda: w.view is not None, timeout=30000)
    wait_idle(qtbot, w)
    assert w.session.prefs.has_duress


def test_choosing_arabic_turns_the_interface_right_to_left(
    make_window: Any, empty_home: Path, qtbot: Any
) -> None:
    w = make_window(empty_home)
    screen = w.screen
    items = [screen.languages.item(i) for i in range(screen.languages.count())]
    arabic = next(i for i in items if i.data(Qt.ItemDataRole.UserRole) == "ar")
    screen.languages.setCurrentItem(arabic)
    screen.language_next.click()
    assert i18n.language() == "ar"
    assert QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert i18n.qt_translator_loaded()
    screen = w.screen
    assert screen.step() == STEP_PASSPHRASE
    assert w.wipe_button.text() == i18n.tr("Wipe") != "Wipe"
    choose_passphrase(screen)
    screen.pass_next.click()
    screen.duress_skip.click()
    qtbot.waitUntil(lambda: w.view is not None, timeout=30000)
    wait_idle(qtbot, w)
    w.lock()
    wait_idle(qtbot, w)
    # A new start speaks the system language until the vault is open, then the stored one.
    i18n.set_language("en")
    w2 = make_window(empty_home)
    assert isinstance(w2.screen, UnlockScreen)
    unlock(qtbot, w2)
    assert i18n.language() == "ar"
    assert QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft
