"""Accessible: every control has an accessible name or its own text; the whole first
run and unlock can be done with the keyboard alone; the library and reader are reachable
by keyboard; screens still fit at 200 % text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from uihelp import PASSPHRASE, open_page, wait_idle

from ui import theme
from ui.firstrun import STEP_DURESS, STEP_PASSPHRASE, FirstRunScreen
from ui.qt import QAbstractButton, QComboBox, QLineEdit, QListWidget, QPlainTextEdit, Qt, QTreeWidget, QWidget
from ui.sessionview import SessionView


def unnamed(root: QWidget) -> list[str]:
    missing = []
    for w in root.findChildren(QWidget):
        if not isinstance(
            w, (QAbstractButton, QLineEdit, QComboBox, QListWidget, QTreeWidget, QPlainTextEdit)
        ):
            continue
        if type(w).__name__ in ("QLineEdit",) and isinstance(w.parent(), QComboBox):
            continue
        if (
            w.objectName().startswith("qt_")
            or type(w).__module__.startswith("PySide6")
            and type(w).__name__ in ("QToolButton",)
            and not w.isVisibleTo(root)
        ):
            continue
        text = w.text() if isinstance(w, QAbstractButton) else ""
        if not (w.accessibleName() or text.replace("&", "").strip()):
            missing.append(f"{type(w).__name__} {w.objectName()!r}")
    return missing


def test_every_control_is_named(unlocked: Any, qtbot: Any) -> None:
    assert unnamed(unlocked) == []
    open_page(qtbot, unlocked, "org.test.course", "pages/check.quiz.md")
    assert unnamed(unlocked) == []
    d = unlocked.open_settings()
    assert unnamed(d) == []


def test_first_run_by_keyboard_alone(make_window: Any, empty_home: Path, qtbot: Any) -> None:
    w = make_window(empty_home)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    screen = w.screen
    assert screen.focusWidget() is screen.languages
    qtbot.keyClick(screen.languages, Qt.Key.Key_Return)
    screen = w.screen
    assert isinstance(screen, FirstRunScreen) and screen.step() == STEP_PASSPHRASE
    assert screen.focusWidget() is screen.pass1
    qtbot.keyClicks(screen.pass1, PASSPHRASE)
    qtbot.keyClick(screen.pass1, Qt.Key.Key_Tab)
    focused = screen.focusWidget()
    assert focused is screen.pass2
    qtbot.keyClicks(screen.pass2, PASSPHRASE)
    qtbot.keyClick(screen.pass2, Qt.Key.Key_Return)
    assert screen.step() == STEP_DURESS
    assert screen.focusWidget() is screen.duress1
    while screen.focusWidget() is not screen.duress_skip:
        qtbot.keyClick(screen.focusWidget(), Qt.Key.Key_Tab)
    qtbot.keyClick(screen.duress_skip, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: isinstance(w.screen, SessionView), timeout=30000)
    wait_idle(qtbot, w)
    # The library: arrows choose a pack, Enter opens it; Escape goes back.
    tree = w.view.library.tree
    tree.setFocus()
    qtbot.waitUntil(lambda: tree.topLevelItemCount() > 0)
    for _ in range(3):
        qtbot.keyClick(tree, Qt.Key.Key_Down)
    assert tree.currentItem() is not None
    qtbot.keyClick(tree, Qt.Key.Key_Return)
    reader = w.view.reader
    qtbot.waitUntil(lambda: reader.data is not None, timeout=10000)
    qtbot.keyClick(reader.browser, Qt.Key.Key_Escape)
    assert w.view.stack.currentWidget() is w.view.library
    qtbot.keyClick(tree, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert w.view.search_box.hasFocus() or w.focusWidget() is w.view.search_box


def test_unlock_by_keyboard(make_window: Any, home_path: Path, qtbot: Any) -> None:
    w = make_window(home_path)
    screen = w.screen
    qtbot.keyClicks(screen.field, PASSPHRASE)
    qtbot.keyClick(screen.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.view is not None, timeout=20000)


def test_screens_fit_at_200_percent_text(make_window: Any, empty_home: Path, qtbot: Any) -> None:
    theme.apply(200, True)
    w = make_window(empty_home)
    w.resize(1280, 900)
    for step in range(3):
        w.screen.go(step)
        hint = w.centralWidget().minimumSizeHint()
        assert hint.width() <= 1280 and hint.height() <= 900, (step, hint)


def test_quiz_by_keyboard(unlocked: Any, qtbot: Any) -> None:
    unlocked.activateWindow()
    qtbot.waitUntil(unlocked.isActiveWindow)
    reader = open_page(qtbot, unlocked, "org.test.course", "pages/check.quiz.md")
    q1 = reader.quiz.questions[0]
    q1.buttons[0].setFocus()
    qtbot.keyClick(q1.buttons[0], Qt.Key.Key_Space)
    assert q1.buttons[0].isChecked() and q1.feedback.text().startswith("✗ Not quite.")
    # The answer is locked once the right one is shown: arrows cannot change it.
    qtbot.keyClick(q1.buttons[0], Qt.Key.Key_Down)
    assert q1.buttons[0].isChecked() and not q1.buttons[1].isChecked()
    assert q1.feedback.text().startswith("✗ Not quite.")
    q2 = reader.quiz.questions[1]
    q2.buttons[0].setFocus()
    qtbot.keyClick(q2.buttons[0], Qt.Key.Key_Space)
    assert q2.feedback.text().startswith("✓ Right.")
