"""Search: one box, results as you type (found on the worker thread), highlighted
snippets, every script, and queries that are a lone character or only punctuation."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from uihelp import plain, wait_idle

from ui.qt import Qt
from ui.search import HIT_ROLE, HTML_ROLE, snippet_html


def type_query(window: Any, qtbot: Any, text: str) -> Any:
    view = window.view
    view.search_box.clear()
    if text.isascii():
        qtbot.keyClicks(view.search_box, text)
    else:  # QTest cannot type outside ASCII: an input method commits one character at a time
        for i in range(1, len(text) + 1):
            view.search_box.setText(text[:i])
            qtbot.wait(20)
    search = view.search
    qtbot.waitUntil(
        lambda: search.query == text and not search._timer.isActive() and not search.searching, timeout=10000
    )
    wait_idle(qtbot, window)
    return search


def hits(search: Any) -> list[tuple[str, str]]:
    return [search.results.item(i).data(HIT_ROLE) for i in range(search.results.count())]


def test_chinese_search_as_you_type_off_the_gui_thread(
    unlocked: Any, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.search

    threads: list[str] = []
    real = app.search.search

    def recording(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(app.search, "search", recording)
    view = unlocked.view
    search = type_query(unlocked, qtbot, "自由")
    assert view.stack.currentWidget() is search
    assert hits(search) == [("org.test.zh", "pages/zh.md")]
    html = search.results.item(0).data(HTML_ROLE)
    assert "<b>自由</b>" in html
    assert search.status.text() == "Pages found: 1"
    assert threads and set(threads) == {"satchel-db"}
    # Clearing the box goes back to where one was.
    view.search_box.clear()
    assert view.stack.currentWidget() is view.library


@pytest.mark.parametrize("query", ["人", "حرية", "safety", "LEARNING"])
def test_search_in_every_script(unlocked: Any, qtbot: Any, query: str) -> None:
    search = type_query(unlocked, qtbot, query)
    assert hits(search), query
    assert search.status.text().startswith("Pages found")


@pytest.mark.parametrize("query", ["?", "！？。", "...", "«»", "-", " ", "\u200f"])
def test_punctuation_only_finds_nothing_calmly(unlocked: Any, qtbot: Any, query: str) -> None:
    view = unlocked.view
    view.search_box.setText(query)
    search = view.search
    qtbot.waitUntil(lambda: not search._timer.isActive() and not search.searching, timeout=10000)
    wait_idle(qtbot, unlocked)
    assert search.results.count() == 0
    assert search.status.text() in ("", "Nothing found. Try fewer or other words.")


def test_opening_a_result_keeps_the_query_and_the_results(unlocked: Any, qtbot: Any) -> None:
    view = unlocked.view
    search = type_query(unlocked, qtbot, "learning")
    before = hits(search)
    assert ("org.test.course", "pages/long.md") in before
    item = search.results.item(before.index(("org.test.course", "pages/long.md")))
    search.results.itemActivated.emit(item)
    reader = view.reader
    qtbot.waitUntil(lambda: reader.path == "pages/long.md" and reader.data is not None, timeout=10000)
    assert view.search_box.text() == "learning"
    assert view.results_button.isVisible() and not search.filters.isVisible()
    # Back to the results: the button, Alt+Left, or Enter in the search box.
    for go_back in (view.results_button.click,
                    lambda: qtbot.keyClick(reader.browser, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier),
                    lambda: qtbot.keyClick(view.search_box, Qt.Key.Key_Return)):
        view.open_hit("org.test.course", "pages/long.md")
        qtbot.waitUntil(lambda: view.stack.currentWidget() is reader)
        unlocked.activateWindow()
        reader.browser.setFocus()
        go_back()
        assert view.stack.currentWidget() is search
        assert hits(search) == before and search.query == "learning"
        assert search.filters.isVisible() and not view.results_button.isVisible()
    # Opened from the library, a page offers no way back to results it did not come from.
    view.open("org.test.course", "pages/intro.md")
    assert not view.results_button.isVisible()


def test_hits_name_their_pack_language_and_chapter(unlocked: Any, qtbot: Any) -> None:
    search = type_query(unlocked, qtbot, "safety")
    found = dict(zip(hits(search), (search.results.item(i) for i in range(search.results.count())), strict=True))
    item = found[("org.test.course", "pages/long.md")]
    html = item.data(HTML_ROLE)
    assert "Safety course" in html and "English (en)" in html and "Basics" in html
    assert 'dir="ltr"' in html
    accessible = plain(item.data(Qt.ItemDataRole.AccessibleTextRole))
    assert "A long page (Safety course · English (en) · Basics)" in accessible
    search = type_query(unlocked, qtbot, "حرية")
    html = search.results.item(0).data(HTML_ROLE)
    assert 'dir="rtl"' in html and "دليل الحقوق" in html and "العربية (ar)" in html
    # A pack title that looks like markup is shown as text.
    search = type_query(unlocked, qtbot, "自由")
    html = search.results.item(0).data(HTML_ROLE)
    assert "&lt;b&gt;人权&lt;/b&gt; &lt;img src=x&gt;" in html and "<img" not in html


def test_language_and_pack_filters(unlocked: Any, qtbot: Any) -> None:
    view = unlocked.view
    search = type_query(unlocked, qtbot, "人")
    assert search.filters.isVisible()
    langs = [search.lang_filter.itemData(i) for i in range(search.lang_filter.count())]
    assert langs == [None, "ar", "en", "zh"]
    assert [search.lang_filter.itemText(i) for i in range(search.lang_filter.count())][0] == "All languages"
    assert hits(search) == [("org.test.zh", "pages/zh.md")]
    search.lang_filter.setCurrentIndex(langs.index("en"))
    # Only the English packs are offered, and the search runs again, in English only.
    packs = [search.pack_filter.itemData(i) for i in range(search.pack_filter.count())]
    assert packs == [None, "org.test.course"]
    qtbot.waitUntil(lambda: not search._timer.isActive() and not search.searching, timeout=10000)
    wait_idle(qtbot, unlocked)
    assert hits(search) == []
    view.search_box.setText("safety")
    qtbot.waitUntil(lambda: search.query == "safety" and not search._timer.isActive() and not search.searching)
    wait_idle(qtbot, unlocked)
    assert hits(search) and all(p == "org.test.course" for p, _ in hits(search))
    search.lang_filter.setCurrentIndex(0)
    search.pack_filter.setCurrentIndex(search.pack_filter.findData("org.test.ar"))
    qtbot.waitUntil(lambda: not search._timer.isActive() and not search.searching, timeout=10000)
    wait_idle(qtbot, unlocked)
    assert hits(search) == []
    assert search.status.text() == "Nothing found. Try fewer or other words."


def test_a_typo_offers_the_right_spelling(unlocked: Any, qtbot: Any) -> None:
    view = unlocked.view
    search = type_query(unlocked, qtbot, "safty")
    assert hits(search) == []
    assert search.suggest_button.isVisible()
    assert plain(search.suggest_button.text()) == "Did you mean: safety?"
    search.suggest_button.click()
    assert view.search_box.text() == "safety"
    qtbot.waitUntil(lambda: search.query == "safety" and not search._timer.isActive() and not search.searching)
    wait_idle(qtbot, unlocked)
    assert hits(search) and not search.suggest_button.isVisible()


@pytest.mark.parametrize("query", ["NEAR(", '"', "title:safety", "*", "x" * 10_000, "safety 人 حرية"])
def test_hostile_queries_in_the_box(unlocked: Any, qtbot: Any, query: str) -> None:
    view = unlocked.view
    view.search_box.setText(query)
    search = view.search
    qtbot.waitUntil(lambda: not search._timer.isActive() and not search.searching, timeout=10000)
    wait_idle(qtbot, unlocked)
    assert search.status.text() in ("Nothing found. Try fewer or other words.",) or search.results.count()


def test_snippets_are_escaped_not_rich_text() -> None:
    html = snippet_html("<img src=x> & 自由 <b>", [(14, 16)], "color:#000")
    assert "<img" not in html and "&lt;img src=x&gt;" in html
    assert "<b>自由</b>" in html and html.endswith("&lt;b&gt;")
    assert snippet_html("abc", [(5, 9), (2, 1)], "color:#000") == "abc"


def test_tab_goes_from_the_box_to_the_filters(unlocked: Any, qtbot: Any) -> None:
    view = unlocked.view
    search = type_query(unlocked, qtbot, "safety")
    unlocked.activateWindow()
    view.search_box.setFocus()
    qtbot.keyClick(view.search_box, Qt.Key.Key_Tab)
    assert search.lang_filter.hasFocus()
    qtbot.keyClick(search.lang_filter, Qt.Key.Key_Tab)
    assert search.pack_filter.hasFocus()
