"""The open page shows the searched words, and Ctrl+F finds in it: "x of y", next and
previous with Enter / Shift+Enter, F3 / Shift+F3 and the buttons, Escape to close; the
same in a right-to-left page. Real widgets, offscreen, a real vault."""

from __future__ import annotations

from typing import Any

from uihelp import open_page, wait_idle

from ui.qt import QTextCursor, Qt


def selected(reader: Any) -> str:
    return reader.browser.textCursor().selectedText()


def marked(reader: Any, spans: list[tuple[int, int]]) -> list[str]:
    doc = reader.browser.document()
    out = []
    for a, b in spans:
        cursor = QTextCursor(doc)
        cursor.setPosition(a)
        cursor.setPosition(b, QTextCursor.MoveMode.KeepAnchor)
        out.append(cursor.selectedText())
    return out


def find(qtbot: Any, window: Any, text: str) -> Any:
    finder = window.view.reader.finder
    finder.edit.setText(text)
    qtbot.waitUntil(lambda: not finder._timer.isActive(), timeout=5000)
    wait_idle(qtbot, window)
    return finder


def test_searched_words_are_highlighted_in_the_opened_page(unlocked: Any, qtbot: Any) -> None:
    view = unlocked.view
    view.search_box.setText("learn")
    search = view.search
    qtbot.waitUntil(lambda: not search._timer.isActive() and not search.searching and search.results.count() > 0)
    wait_idle(qtbot, unlocked)
    view.search.open_requested.emit("org.test.course", "pages/long.md")
    reader = view.reader
    qtbot.waitUntil(lambda: reader.path == "pages/long.md" and bool(reader.finder.search_spans), timeout=10000)
    words = marked(reader, reader.finder.search_spans)
    assert len(words) == 300 and set(words) == {"learning"}  # every occurrence, whole words
    assert len(reader.browser.extraSelections()) == 300
    # The next page, reached by reading on, is not marked.
    reader.step(-1)
    qtbot.waitUntil(lambda: reader.path == "pages/intro.md", timeout=10000)
    wait_idle(qtbot, unlocked)
    assert reader.finder.search_spans == [] and reader.browser.extraSelections() == []


def test_arabic_search_words_are_highlighted_with_and_without_the_article(unlocked: Any, qtbot: Any) -> None:
    view = unlocked.view
    view.search_box.setText("الحقوق")
    qtbot.waitUntil(lambda: not view.search._timer.isActive() and not view.search.searching)
    wait_idle(qtbot, unlocked)
    view.search.open_requested.emit("org.test.ar", "pages/first.md")
    reader = view.reader
    qtbot.waitUntil(lambda: reader.path == "pages/first.md" and bool(reader.finder.search_spans), timeout=10000)
    assert marked(reader, reader.finder.search_spans) == ["حقوق", "والحقوق"]


def test_find_in_page_steps_through_matches(unlocked: Any, qtbot: Any) -> None:
    reader = open_page(qtbot, unlocked, "org.test.course", "pages/long.md")
    unlocked.activateWindow()
    reader.browser.setFocus()
    qtbot.keyClick(reader.browser, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    finder = reader.finder
    assert finder.bar.isVisible() and finder.edit.hasFocus()
    find(qtbot, unlocked, "paragraph")
    assert finder.count.text() == "1 of 300"
    assert selected(reader) == "Paragraph"
    first = reader.browser.textCursor().selectionStart()
    qtbot.keyClick(finder.edit, Qt.Key.Key_Return)
    assert finder.count.text() == "2 of 300"
    assert reader.browser.textCursor().selectionStart() > first
    qtbot.keyClick(finder.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert finder.count.text() == "1 of 300"
    qtbot.keyClick(finder.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert finder.count.text() == "300 of 300"  # wraps round
    qtbot.keyClick(finder.edit, Qt.Key.Key_F3)
    assert finder.count.text() == "1 of 300"
    finder.next_button.click()
    finder.next_button.click()
    assert finder.count.text() == "3 of 300"
    finder.prev_button.click()
    assert finder.count.text() == "2 of 300"
    # F3 works from the page itself too.
    reader.browser.setFocus()
    qtbot.keyClick(reader.browser, Qt.Key.Key_F3)
    assert finder.count.text() == "3 of 300"
    qtbot.keyClick(reader.browser, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    assert finder.count.text() == "2 of 300"
    # The matches are what the search would match: words by prefix ("12" marks 12 and
    # 120-129 besides the 300 "Paragraph"), found from where the reader is.
    find(qtbot, unlocked, "paragraph 12")
    assert finder.count.text() == "2 of 311"
    find(qtbot, unlocked, "nothing-like-this")
    assert finder.count.text() == "No matches" and not finder.next_button.isEnabled()
    # Escape closes the bar (and only the bar); a second Escape leaves the page.
    finder.edit.setFocus()
    qtbot.keyClick(finder.edit, Qt.Key.Key_Escape)
    assert not finder.bar.isVisible() and unlocked.view.stack.currentWidget() is reader
    assert reader.browser.extraSelections() == []
    qtbot.keyClick(reader.browser, Qt.Key.Key_Escape)
    assert unlocked.view.stack.currentWidget() is unlocked.view.library


def test_ctrl_f_twice_goes_to_the_library_search(unlocked: Any, qtbot: Any) -> None:
    reader = open_page(qtbot, unlocked, "org.test.course", "pages/long.md")
    unlocked.activateWindow()
    reader.browser.setFocus()
    qtbot.keyClick(reader.browser, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert reader.finder.edit.hasFocus()
    qtbot.keyClick(reader.finder.edit, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert unlocked.view.search_box.hasFocus()
    # In the library, Ctrl+F goes straight to the search box.
    unlocked.view.show_library()
    qtbot.keyClick(unlocked.view.library.tree, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert unlocked.view.search_box.hasFocus()


def test_find_in_a_right_to_left_page(unlocked: Any, qtbot: Any) -> None:
    reader = open_page(qtbot, unlocked, "org.test.ar", "pages/second.md")
    assert reader.browser.layoutDirection() == Qt.LayoutDirection.RightToLeft
    reader.finder.open()
    finder = find(qtbot, unlocked, "الصفحة")
    assert finder.count.text() == "1 of 2"
    assert selected(reader) == "الصفحة"
    qtbot.keyClick(finder.edit, Qt.Key.Key_Return)
    assert finder.count.text() == "2 of 2" and selected(reader) == "الصفحة"
    finder = find(qtbot, unlocked, "صفحه")  # no article, teh marbuta typed as heh
    assert finder.count.text() == "2 of 2" and selected(reader) == "الصفحة"  # from where one is
    qtbot.keyClick(finder.edit, Qt.Key.Key_F3)
    assert finder.count.text() == "1 of 2"


def test_find_follows_the_page_and_forgets_on_lock(unlocked: Any, qtbot: Any) -> None:
    reader = open_page(qtbot, unlocked, "org.test.course", "pages/long.md")
    reader.finder.open()
    find(qtbot, unlocked, "welcome")
    assert reader.finder.count.text() == "No matches"
    reader.step(-1)  # to the introduction: the bar stays open and finds again
    qtbot.waitUntil(lambda: reader.path == "pages/intro.md", timeout=10000)
    wait_idle(qtbot, unlocked)
    assert reader.finder.count.text() == "1 of 1"
    finder = reader.finder
    unlocked.lock()
    assert finder.edit.text() == "" and finder.spans == [] and not finder.bar.isVisible()
