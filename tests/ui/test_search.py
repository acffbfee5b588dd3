"""Search: one box, results as you type (found on the worker thread), highlighted
snippets, every script, and queries that are a lone character or only punctuation."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from uihelp import wait_idle

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


def test_opening_a_result_opens_the_page(unlocked: Any, qtbot: Any) -> None:
    search = type_query(unlocked, qtbot, "自由")
    item = search.results.item(0)
    search.results.itemActivated.emit(item)
    reader = unlocked.view.reader
    qtbot.waitUntil(lambda: reader.path == "pages/zh.md" and reader.data is not None, timeout=10000)
    assert unlocked.view.search_box.text() == ""


def test_snippets_are_escaped_not_rich_text() -> None:
    html = snippet_html("<img src=x> & 自由 <b>", [(14, 16)], "color:#000")
    assert "<img" not in html and "&lt;img src=x&gt;" in html
    assert "<b>自由</b>" in html and html.endswith("&lt;b&gt;")
    assert snippet_html("abc", [(5, 9), (2, 1)], "color:#000") == "abc"
