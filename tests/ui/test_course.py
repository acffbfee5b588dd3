"""Courses: a quiz answered with immediate feedback, its progress kept after a restart;
bookmarks and private notes on pages; where one left off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from uihelp import open_page, plain, unlock, wait_idle

from ui.quiz import QuizView


def course_row(window: Any) -> Any:
    tree = window.view.library.tree
    for i in range(tree.topLevelItemCount()):
        lang = tree.topLevelItem(i)
        for j in range(lang.childCount()):
            kind = lang.child(j)
            for k in range(kind.childCount()):
                if plain(kind.child(k).text(0)) == "Safety course":
                    return kind.child(k)
    return None


def test_quiz_feedback_and_progress_kept_after_restart(make_window: Any, home_path: Path, qtbot: Any) -> None:
    w = make_window(home_path)
    unlock(qtbot, w)
    qtbot.waitUntil(lambda: course_row(w) is not None)
    assert course_row(w).text(3) == "0 of 4 done"
    reader = open_page(qtbot, w, "org.test.course", "pages/check.quiz.md")
    quiz = reader.quiz
    assert isinstance(quiz, QuizView) and reader.content.currentWidget() is quiz
    q1, q2 = quiz.questions
    assert q1.text.text() == "Which passphrase is strongest?"
    q1.buttons[0].click()  # wrong
    assert q1.feedback.text().startswith("✗ Not quite.")
    assert "four random words from a dice list" in q1.feedback.text()
    assert q1.explanation.text() == "Length and randomness matter more than odd characters."
    # The right answer is now shown: the question is locked, the first answer counts.
    assert not any(b.isEnabled() for b in q1.buttons)
    assert q1.buttons[1].text().startswith("✓") and q1.buttons[0].text().startswith("✗")
    q1.buttons[1].click()
    assert q1.buttons[0].isChecked() and q1.feedback.text().startswith("✗ Not quite.")
    assert quiz.score.text() == ""
    q2.buttons[0].click()
    assert q2.feedback.text().startswith("✓ Right.")
    assert quiz.score.text() == "Correct answers: 1 of 2."
    assert reader.done_toggle.isChecked()
    wait_idle(qtbot, w)
    w.view.show_library()
    qtbot.waitUntil(lambda: course_row(w) is not None and course_row(w).text(3) == "1 of 4 done")
    w.lock()
    wait_idle(qtbot, w)
    w.close()

    w2 = make_window(home_path)
    unlock(qtbot, w2)
    qtbot.waitUntil(lambda: course_row(w2) is not None)
    assert course_row(w2).text(3) == "1 of 4 done"
    reader = open_page(qtbot, w2, "org.test.course", "pages/check.quiz.md")
    q1, q2 = reader.quiz.questions
    assert q1.buttons[0].isChecked() and q1.feedback.text().startswith("✗ Not quite.")
    assert not any(b.isEnabled() for b in q1.buttons + q2.buttons)  # locked after a restart too
    assert q2.buttons[0].isChecked()
    assert reader.quiz.score.text() == "Correct answers: 1 of 2."


def test_next_marks_a_page_done(unlocked: Any, qtbot: Any) -> None:
    reader = open_page(qtbot, unlocked, "org.test.course", "pages/intro.md")
    assert not reader.done_toggle.isChecked()
    reader.next_button.click()
    qtbot.waitUntil(lambda: reader.path == "pages/long.md")
    wait_idle(qtbot, unlocked)
    unlocked.view.show_library()
    qtbot.waitUntil(lambda: course_row(unlocked).text(3) == "1 of 4 done")


def test_bookmark_and_note_are_kept(make_window: Any, home_path: Path, qtbot: Any) -> None:
    w = make_window(home_path)
    unlock(qtbot, w)
    reader = open_page(qtbot, w, "org.test.ar", "pages/second.md")
    reader.bookmark.click()
    assert reader.bookmark.isChecked()
    reader.note_toggle.click()
    assert reader.note.isVisible()
    qtbot.keyClicks(reader.note, "Ask the trainer about this")
    w.view.show_library()  # leaving the page saves the note at once
    marks = w.view.library.marks
    qtbot.waitUntil(
        lambda: marks.count() == 1 and "الصفحة الثانية" in plain(marks.item(0).text()), timeout=10000
    )
    # Typing and locking straight away still saves the note (final write before closing).
    reader = open_page(qtbot, w, "org.test.course", "pages/intro.md")
    reader.note_toggle.click()
    qtbot.keyClicks(reader.note, "second note")
    w.lock()
    assert reader.note.toPlainText() == ""  # the widget forgot it
    wait_idle(qtbot, w)
    w.close()

    w2 = make_window(home_path)
    unlock(qtbot, w2)
    marks = w2.view.library.marks
    qtbot.waitUntil(lambda: marks.count() == 1 and "الصفحة الثانية" in plain(marks.item(0).text()))
    marks.setCurrentRow(0)
    marks.itemActivated.emit(marks.item(0))
    reader = w2.view.reader
    qtbot.waitUntil(lambda: reader.path == "pages/second.md" and reader.data is not None, timeout=10000)
    assert reader.bookmark.isChecked()
    assert reader.note.toPlainText() == "Ask the trainer about this"
    assert reader.note.isVisible()
    reader = open_page(qtbot, w2, "org.test.course", "pages/intro.md")
    assert reader.note.toPlainText() == "second note"
    # Removing the bookmark removes it from the library.
    reader = open_page(qtbot, w2, "org.test.ar", "pages/second.md")
    reader.bookmark.click()
    wait_idle(qtbot, w2)
    w2.view.show_library()
    qtbot.waitUntil(lambda: marks.count() == 1 and marks.item(0).text() == "No bookmarks yet.")
