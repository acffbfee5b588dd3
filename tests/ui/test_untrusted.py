"""Text from packs is untrusted: titles, quiz text and snippets are plain text, never
rich text; control and bidi-override characters are removed; '&' cannot make mnemonics."""

from __future__ import annotations

from typing import Any

from uihelp import open_page, plain

from ui.qt import QLabel, Qt
from ui.widgets import button_text, clean, label


def test_pack_title_with_markup_is_shown_literally(unlocked: Any, qtbot: Any) -> None:
    tree = unlocked.view.library.tree
    qtbot.waitUntil(lambda: tree.topLevelItemCount() == 3)
    titles = [
        plain(tree.topLevelItem(i).child(j).child(k).text(0))
        for i in range(tree.topLevelItemCount())
        for j in range(tree.topLevelItem(i).childCount())
        for k in range(tree.topLevelItem(i).child(j).childCount())
    ]
    assert "<b>人权</b> <img src=x>" in titles


def test_every_label_showing_content_is_plain_text(unlocked: Any, qtbot: Any) -> None:
    open_page(qtbot, unlocked, "org.test.zh", "pages/zh.md")
    rich = [
        lbl
        for lbl in unlocked.findChildren(QLabel)
        if lbl.textFormat() != Qt.TextFormat.PlainText and lbl.text()
    ]
    assert rich == [], [lbl.text() for lbl in rich]
    lib = unlocked.view.library
    assert lib.continue_label.textFormat() == Qt.TextFormat.PlainText


def test_clean_removes_controls_and_bidi_overrides() -> None:
    assert clean("a\u202eb\u0000c\u2066d\u2069\ne") == "abcd e"
    assert clean("x" * 5000, limit=10) == "x" * 10
    assert clean(None) == ""
    assert button_text("Q&A") == "Q&&A"
    lbl = label("<b>bold</b>")
    assert lbl.textFormat() == Qt.TextFormat.PlainText
