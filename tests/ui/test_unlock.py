"""Unlocking: wrong (calm message, growing delay), right, and duress (looks the same);
a damaged or half-missing vault at start gets a clear screen and nothing is destroyed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import tree_bytes
from uihelp import DURESS, PASSPHRASE, satchel_files, wait_idle

from ui.damaged import DamagedScreen
from ui.firstrun import FirstRunScreen
from ui.sessionview import SessionView
from ui.unlock import UnlockScreen, delay_for


def test_wrong_passphrase_gets_a_calm_message_and_a_growing_delay(
    make_window: Any, home_path: Path, qtbot: Any
) -> None:
    w = make_window(home_path)
    screen = w.screen
    assert isinstance(screen, UnlockScreen)
    screen.field.setText("not the passphrase")
    screen.button.click()
    qtbot.waitUntil(lambda: w.failures == 1, timeout=20000)
    assert not screen.field.isEnabled() and not screen.button.isEnabled()
    assert "does not open this library" in screen.message.text()
    assert "1 s" in screen.message.text()
    assert screen.field.text() == ""  # the field kept no copy
    qtbot.waitUntil(lambda: screen.field.isEnabled(), timeout=3000)
    assert "try again now" in screen.message.text()
    screen.field.setText("still wrong")
    screen.button.click()
    qtbot.waitUntil(lambda: w.failures == 2, timeout=20000)
    assert "2 s" in screen.message.text()
    assert [delay_for(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    # Enter while waiting does nothing.
    screen.field.setText(PASSPHRASE)
    screen._submit()
    assert w.session is None
    assert isinstance(w.screen, UnlockScreen)


def test_right_passphrase_opens_the_library(unlocked: Any, qtbot: Any) -> None:
    w = unlocked
    assert isinstance(w.screen, SessionView)
    assert w.lock_button.isVisible()
    tree = w.view.library.tree
    qtbot.waitUntil(lambda: tree.topLevelItemCount() == 3)  # Arabic, Chinese, English
    names = sorted(tree.topLevelItem(i).text(0) for i in range(3))
    assert names[0].startswith("English") and "(ar)" in names[1] + names[2] and "(zh)" in names[1] + names[2]


def test_unlock_screen_shows_nothing_about_the_content(make_window: Any, home_path: Path) -> None:
    w = make_window(home_path)
    from ui.qt import QLabel

    shown = " ".join(lbl.text() for lbl in w.findChildren(QLabel) if lbl.isVisible())
    assert "حقوق" not in shown and "Safety" not in shown and "org.test" not in shown
    assert not w.lock_button.isVisible() and w.wipe_button.isVisible()


def test_duress_unlock_looks_like_a_normal_unlock(make_window: Any, home_path: Path, qtbot: Any) -> None:
    from app.errors import WrongPassphrase
    from app.vault import Vault

    with Vault.unlock(home_path, PASSPHRASE) as v:
        v.set_duress(DURESS)
    w = make_window(home_path)
    screen = w.screen
    screen.field.setText(DURESS)
    screen.button.click()
    qtbot.waitUntil(lambda: w.view is not None, timeout=20000)
    wait_idle(qtbot, w)
    # The same screens as a normal unlock, no message, same language, and the sample
    # library that a first run imports: the replaced vault looks like any new one.
    assert isinstance(w.screen, SessionView)
    assert w.view.library.tree.topLevelItemCount() > 0
    assert {"data", "key"} <= set(satchel_files(home_path)) <= {"data", "data-shm", "data-wal", "key", ".satchel-home"}
    w.lock()
    wait_idle(qtbot, w)
    # The real passphrase opens nothing any more; the duress one opens the empty vault.
    with pytest.raises(WrongPassphrase):
        Vault.unlock(home_path, PASSPHRASE)
    with Vault.unlock(home_path, DURESS) as v:
        assert v.get_setting("ui.language") == "en"
        from app.library import list_packs
        from content_packs.starter_set import languages_for_ui, starter_source

        packs = list_packs(v)   # what a first run in English imports
        assert len(packs) == len(starter_source(languages_for_ui("en")).names()) and all(p.sample for p in packs)
        assert {p.language for p in packs} == {"en"}
        assert not any(p.id.startswith("org.test.") for p in packs)


@pytest.mark.parametrize("remove", ["key", "data"])
def test_half_missing_vault_shows_a_clear_screen_and_destroys_nothing(
    make_window: Any, home_path: Path, remove: str, qtbot: Any
) -> None:
    (home_path / remove).unlink()
    before = tree_bytes(home_path)
    w = make_window(home_path)
    assert isinstance(w.screen, DamagedScreen)
    assert "Nothing has been deleted" in w.screen.message.text()
    assert str(home_path) in w.screen.message.text()
    w.screen.retry_button.click()
    assert isinstance(w.screen, DamagedScreen)
    wait_idle(qtbot, w)
    assert tree_bytes(home_path) == before


def test_corrupted_key_file_leads_to_the_damaged_screen(
    make_window: Any, home_path: Path, qtbot: Any
) -> None:
    (home_path / "key").write_bytes(b"\0" * 100)
    before = tree_bytes(home_path)
    w = make_window(home_path)
    unlock_screen = w.screen
    assert isinstance(unlock_screen, UnlockScreen)
    unlock_screen.field.setText(PASSPHRASE)
    unlock_screen.button.click()
    qtbot.waitUntil(lambda: isinstance(w.screen, DamagedScreen), timeout=20000)
    wait_idle(qtbot, w)
    assert tree_bytes(home_path) == before


def test_damaged_vault_offers_a_fresh_start_that_keeps_the_old_files(
    make_window: Any, home_path: Path, qtbot: Any
) -> None:
    (home_path / "key").unlink()
    before = tree_bytes(home_path)
    w = make_window(home_path)
    assert w.screen.start_button.isVisibleTo(w.screen)
    w.screen.start_button.click()
    qtbot.waitUntil(lambda: isinstance(w.screen, FirstRunScreen), timeout=20000)
    kept = tree_bytes(home_path)
    assert sorted(before.values()) == sorted(v for k, v in kept.items() if v in before.values())
