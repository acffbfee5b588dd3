"""Keyboard: Tab follows reading order on every screen and never reaches Wipe; every main
action has keys (one registry: menus, tooltips, the Help sheet, the user guide); Ctrl+L
and the panic keys work with any dialog open; mnemonics are unique in every language."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from uihelp import PASSPHRASE, open_page, satchel_files, wait_idle

from ui import i18n, shortcuts
from ui.firstrun import STEP_DURESS, STEP_PASSPHRASE
from ui.qt import QAbstractButton, QApplication, QDialog, QKeySequence, QMenu, Qt, QWidget
from ui.settings import SettingsDialog
from ui.widgets import without_mnemonic

ROOT = Path(__file__).resolve().parents[2]
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier


def focused() -> QWidget:
    return QApplication.focusWidget()


def walk(qtbot: Any, start: QWidget, backwards: bool = False, limit: int = 60) -> list[QWidget]:
    """Press Tab (or Shift+Tab) from `start` until the focus comes back; the stops seen."""
    start.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(lambda: focused() is start)
    seen = [start]
    for _ in range(limit):
        if backwards:
            qtbot.keyClick(focused(), Qt.Key.Key_Backtab, SHIFT)
        else:
            qtbot.keyClick(focused(), Qt.Key.Key_Tab)
        if focused() is start:
            return seen
        seen.append(focused())
    raise AssertionError(f"Tab never came back to the start: {[name(w) for w in seen]}")


def name(w: QWidget) -> str:
    text = w.text() if isinstance(w, QAbstractButton) else ""
    return without_mnemonic(w.accessibleName() or text) or type(w).__name__


def open_dialogs() -> list[QDialog]:
    return [d for d in QApplication.topLevelWidgets() if isinstance(d, QDialog) and d.isVisible()]


def active(qtbot: Any, window: QWidget) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


def press(qtbot: Any, keys: str) -> None:
    """Type a key sequence (portable text) into whatever has the focus."""
    combo = QKeySequence(keys)[0]
    qtbot.keyClick(focused(), combo.key(), combo.keyboardModifiers())


# -- Tab order ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_library_tab_order_reaches_every_control_and_never_wipe(
    unlocked: Any, qtbot: Any, lang: str
) -> None:
    w = unlocked
    if lang != "en":
        i18n.set_language(lang)
        w._retranslate()
        w._show_session()
    active(qtbot, w)
    open_page(qtbot, w, "org.test.course", "pages/intro.md")  # so Continue reading is on
    w.view.show_library()
    wait_idle(qtbot, w)
    lib = w.view.library
    qtbot.waitUntil(lambda: lib.continue_button.isEnabled())
    order = walk(qtbot, w.sync_button)
    v = w.view
    assert order == [
        w.sync_button, w.usb_button, w.lock_button, v.home_button, v.search_box, v.settings_button,
        # Remove... is disabled (no pack chosen), so it is not a Tab stop; the bookmarks
        # stand above the pack list, in reading order.
        lib.continue_button, lib.filter_box, lib.language_box, lib.sort_box, lib.add_button,
        lib.marks, lib.tree,
    ], [name(x) for x in order]
    assert list(reversed(walk(qtbot, lib.tree, backwards=True))) == [*order[order.index(lib.tree) + 1 :],
                                                                    *order[: order.index(lib.tree) + 1]]
    assert w.wipe_button.focusPolicy() == Qt.FocusPolicy.NoFocus


def test_reader_and_quiz_tab_order(unlocked: Any, qtbot: Any) -> None:
    w = unlocked
    active(qtbot, w)
    r = open_page(qtbot, w, "org.test.course", "pages/long.md")
    order = walk(qtbot, r.outline)
    top = [w.sync_button, w.usb_button, w.lock_button, w.view.home_button, w.view.search_box,
           w.view.settings_button]
    assert order == [
        r.outline, r.back_button, r.prev_button, r.next_button, r.smaller, r.larger,
        r.bookmark, r.note_toggle, r.done_toggle, r.browser, *top,
    ], [name(x) for x in order] + [type(x).__name__ for x in order]
    r = open_page(qtbot, w, "org.test.course", "pages/check.quiz.md")
    q1, q2 = r.quiz.questions
    order = walk(qtbot, r.outline)
    # One stop per question (arrows move between its answers), in reading order.
    after = order.index(r.done_toggle) + 1
    assert order[after : after + 3] == [r.quiz, q1.buttons[0], q2.buttons[0]]  # the quiz scrolls by keys too
    q1.buttons[1].setChecked(True)
    order = walk(qtbot, r.outline)
    assert q1.buttons[1] in order and q1.buttons[0] not in order, " | ".join(name(x) for x in order)


def test_first_run_and_unlock_tab_order(make_window: Any, empty_home: Path, home_path: Path, qtbot: Any) -> None:
    w = make_window(empty_home)
    active(qtbot, w)
    s = w.screen
    assert walk(qtbot, s.languages) == [s.languages, s.language_next]
    w.show_first_run(STEP_PASSPHRASE)
    s = w.screen
    s.pass1.setText(PASSPHRASE)
    s.pass2.setText(PASSPHRASE)
    toggle = s.findChildren(QAbstractButton)
    show = next(b for b in toggle if b.text() == "Show passphrase" and b.isVisible())
    assert walk(qtbot, s.pass1) == [s.pass1, s.pass2, show, s.pass_back, s.pass_next]
    s.pass_next.click()
    assert s.step() == STEP_DURESS
    show = next(b for b in s.findChildren(QAbstractButton) if b.text() == "Show passphrase" and b.isVisible())
    assert walk(qtbot, s.duress1) == [s.duress1, s.duress2, show, s.duress_skip, s.duress_set]
    w.close()
    w = make_window(home_path)
    active(qtbot, w)
    s = w.screen
    assert walk(qtbot, s.field) == [s.field, s.button, s.languages]


def test_shift_tab_and_space_on_the_duress_page_never_wipe(make_window: Any, empty_home: Path, qtbot: Any) -> None:
    w = make_window(empty_home)
    active(qtbot, w)
    w.show_first_run(STEP_PASSPHRASE)
    s = w.screen
    s.pass1.setText(PASSPHRASE)
    s.pass2.setText(PASSPHRASE)
    s.pass_next.click()
    s.duress1.setFocus()
    for _ in range(8):  # what happened by accident: Shift+Tab, then Space, twice over
        qtbot.keyClick(focused(), Qt.Key.Key_Backtab, SHIFT)
        assert focused() is not w.wipe_button
        if isinstance(focused(), QAbstractButton) and focused() is not s.duress_skip:
            qtbot.keyClick(focused(), Qt.Key.Key_Space)
    assert w.wipes == 0 and w.screen is s and s.step() == STEP_DURESS


def test_dialog_tab_order(unlocked: Any, qtbot: Any) -> None:
    d = unlocked.open_settings()
    qtbot.waitUntil(d.isVisible)
    active(qtbot, d)
    order = [name(x) for x in walk(qtbot, d.language)]
    assert order == [
        "Language", "Text size", "High contrast", "Lock automatically", "Wipe after failed unlocks",
        "Ask before wiping", "After a wipe", "Set duress passphrase...", "Change passphrase...", "Close",
    ], order
    d.passphrase.click()
    from ui.passdialog import PassphraseDialog

    p = next(x for x in QApplication.topLevelWidgets() if isinstance(x, PassphraseDialog) and x.isVisible())
    active(qtbot, p)
    order = [name(x) for x in walk(qtbot, p.current)]
    assert order[:4] == ["Current passphrase", "New passphrase", "Type the passphrase again", "Show passphrase"]
    assert order[-1] == "Cancel"


# -- Shortcuts ---------------------------------------------------------------------------


def test_main_actions_have_keys_from_anywhere_in_the_window(unlocked: Any, qtbot: Any) -> None:
    w = unlocked
    active(qtbot, w)
    v = w.view
    v.settings_button.setFocus()  # Ctrl+F did nothing here before
    press(qtbot, "Ctrl+F")
    assert focused() is v.search_box
    v.home_button.setFocus()
    press(qtbot, "Ctrl+,")
    d = next(x for x in QApplication.topLevelWidgets() if isinstance(x, SettingsDialog) and x.isVisible())
    d.close()
    active(qtbot, w)
    v.home_button.setFocus()
    press(qtbot, "Ctrl+I")
    qtbot.waitUntil(lambda: w._usb_dialog is not None and w._usb_dialog.isVisible())
    w._usb_dialog.close()
    active(qtbot, w)
    v.search_box.setFocus()
    press(qtbot, "F1")
    sheet = w.menus._dialogs["help"]
    qtbot.waitUntil(sheet.isVisible)
    sheet.close()
    active(qtbot, w)

    r = open_page(qtbot, w, "org.test.course", "pages/intro.md")
    v.settings_button.setFocus()  # reading keys work from the top bar too
    press(qtbot, "Ctrl+D")
    assert r.bookmark.isChecked()
    press(qtbot, "Ctrl+N")
    assert r.note_toggle.isChecked() and r.note.isVisible()
    v.settings_button.setFocus()
    zoom = w.session.prefs.reader_zoom
    press(qtbot, "Ctrl++")
    assert w.session.prefs.reader_zoom == zoom + 10
    press(qtbot, "Ctrl+-")
    assert w.session.prefs.reader_zoom == zoom
    assert r.page_number.text() == "Page 1 of 4"
    press(qtbot, "Ctrl+PgDown")
    qtbot.waitUntil(lambda: r.path == "pages/long.md")
    assert r.page_number.text() == "Page 2 of 4"
    press(qtbot, "Ctrl+PgUp")
    qtbot.waitUntil(lambda: r.path == "pages/intro.md")
    assert r.done_toggle.isChecked()  # reading on (Ctrl+PgDown) marked it done
    press(qtbot, "Ctrl+M")
    assert not r.done_toggle.isChecked()
    press(qtbot, "Alt+Home")
    assert v.stack.currentWidget() is v.library
    # Reading keys do nothing (and take nothing from the focused widget) in the library.
    assert not w.menus.actions["bookmark"].isEnabled()


def test_mnemonics_press_buttons(unlocked: Any, qtbot: Any) -> None:
    w = unlocked
    active(qtbot, w)
    w.view.search_box.setFocus()
    qtbot.keyClick(focused(), Qt.Key.Key_T, ALT)  # Se&ttings
    qtbot.waitUntil(lambda: any(isinstance(x, SettingsDialog) for x in open_dialogs()))


def test_lock_key_works_with_dialogs_open(unlocked: Any, home_path: Path, qtbot: Any) -> None:
    w = unlocked
    settings = w.open_settings()
    qtbot.waitUntil(settings.isVisible)
    settings.passphrase.click()  # a dialog on a dialog
    qtbot.waitUntil(lambda: len(open_dialogs()) == 2)
    top = next(d for d in open_dialogs() if d is not settings)
    qtbot.keyClick(top.focusWidget() or top, Qt.Key.Key_L, CTRL)
    assert w.session is None
    assert not open_dialogs()
    wait_idle(qtbot, w)
    assert home_path.joinpath("key").exists()  # locked, not wiped
    # Ctrl+L on the unlock screen is just a key.
    qtbot.keyClick(w.screen.field, Qt.Key.Key_L, CTRL)
    assert w.session is None and w.wipes == 0


def test_panic_keys_from_the_help_sheet_and_the_menu(unlocked: Any, home_path: Path, qtbot: Any) -> None:
    w = unlocked
    sheet = w.menus.open_dialog("help")
    qtbot.waitUntil(sheet.isVisible)
    qtbot.keyClick(sheet.table, Qt.Key.Key_Delete, CTRL | SHIFT)
    assert not home_path.joinpath("key").exists() and w.wipes == 1
    wait_idle(qtbot, w)
    assert satchel_files(home_path) == []


# -- One registry --------------------------------------------------------------------------


def test_registry_keys_are_unique_and_actions_show_them(unlocked: Any) -> None:
    used: dict[str, str] = {}
    for s in shortcuts.SHORTCUTS:
        if s.scope == "info":
            continue
        for k in s.keys:
            text = QKeySequence(k).toString()
            assert text not in used, f"{k} is used by {used.get(text)} and {s.name}"
            used[text] = s.name
    for name_, action in unlocked.menus.actions.items():
        assert [x.toString() for x in action.shortcuts()] == [x.toString() for x in shortcuts.sequences(name_)]
        if shortcuts.BY_NAME[name_].keys:
            assert shortcuts.keys_text(name_) in action.toolTip()
    assert "Ctrl+L" in unlocked.lock_button.toolTip()
    assert "Ctrl+Shift+Del" in unlocked.wipe_button.toolTip()
    menus = unlocked.menuBar().findChildren(QMenu)
    listed = {a.objectName() for m in menus for a in m.actions()}
    assert {f"action-{s.name}" for s in shortcuts.SHORTCUTS if s.menu} <= listed


def test_help_sheet_lists_every_shortcut(unlocked: Any, qtbot: Any) -> None:
    sheet = unlocked.menus.open_dialog("help")
    rows = {}
    for i in range(sheet.table.topLevelItemCount()):
        top = sheet.table.topLevelItem(i)
        for j in range(top.childCount()):
            rows[top.child(j).text(0)] = top.child(j).data(1, Qt.ItemDataRole.AccessibleTextRole)
    listed = [s for s in shortcuts.SHORTCUTS if shortcuts.keys_text(s.name)]
    expected = {i18n.tr(s.label): shortcuts.keys_text(s.name) for s in listed}
    assert rows == expected


def test_user_guide_lists_the_registry() -> None:
    guide = (ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8")
    start, end = guide.index(shortcuts.GUIDE_START), guide.index(shortcuts.GUIDE_END)
    table = guide[start + len(shortcuts.GUIDE_START) : end].strip()
    assert table == shortcuts.markdown(), "run `python -m ui.shortcuts` and paste its table into the guide"


# -- Mnemonics in every language -----------------------------------------------------------


def mnemonic(text: str) -> str | None:
    m = re.search(r"&([^&\s])", text.replace("&&", ""))
    return m.group(1).lower() if m else None


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_mnemonics_are_unique_on_each_screen(unlocked: Any, qtbot: Any, lang: str) -> None:
    w = unlocked
    i18n.set_language(lang)
    w._retranslate()
    w._show_session()
    wait_idle(qtbot, w)
    menus = [a.text() for a in w.menuBar().actions()]

    def screen_keys() -> list[tuple[str, str]]:
        texts = menus + [b.text() for b in w.findChildren(QAbstractButton) if b.isVisible()]
        return [(k, t) for t in texts if (k := mnemonic(t))]

    for screen in ("library", "reader"):
        if screen == "reader":
            open_page(qtbot, w, "org.test.course", "pages/intro.md")
        keys = screen_keys()
        letters = [k for k, _ in keys]
        assert len(letters) == len(set(letters)), (lang, screen, keys)
        assert len(keys) >= (8 if screen == "library" else 12), (lang, screen, keys)
    assert w.wipe_button.text().count("&") == 0


def test_search_tab_order(unlocked: Any, qtbot: Any) -> None:
    w = unlocked
    active(qtbot, w)
    v = w.view
    v.search_box.setText("safety")
    qtbot.waitUntil(lambda: v.search.results.count() > 0, timeout=10000)
    order = walk(qtbot, v.search_box)
    assert order == [v.search_box, v.settings_button, v.search.results, w.sync_button, w.usb_button, w.lock_button,
                     v.home_button]


def test_every_dialog_is_walked_in_reading_order(unlocked: Any, qtbot: Any) -> None:
    from ui import taborder
    from ui.browser import ExternalLinkDialog

    w = unlocked
    open_page(qtbot, w, "org.test.course", "pages/intro.md")
    dialogs = [
        w.menus.open_dialog("help"),
        w.menus.open_dialog("about"),
        w.open_usb(),
        ExternalLinkDialog("https://example.org/", lambda _t: None, w),
    ]
    w.menus.actions["overview"].trigger()
    from ui.notes_overview import NotesOverview

    dialogs.append(next(d for d in open_dialogs() if isinstance(d, NotesOverview)))
    for d in dialogs:
        d.show()
        active(qtbot, d)
        expected = taborder.stops(d)
        assert expected, type(d).__name__
        seen = walk(qtbot, expected[0])
        if isinstance(d, taborder.ReadingOrderTabs):
            assert seen == expected, (type(d).__name__, [name(x) for x in seen])
        else:  # Qt's own chain: every control reached once, none missing
            assert sorted(map(id, seen)) == sorted(map(id, expected)), (type(d).__name__, [name(x) for x in seen])
        assert w.wipe_button not in seen
        d.close()
