"""Finding words in the open page: the words of a search, and the find bar (Ctrl+F).

A page opened from a search result shows every occurrence of the searched words,
matched exactly as the search matched them (prefixes, word forms in the page's language,
Arabic with or without the article, Traditional and Simplified Chinese alike: the same
app.textquery code). The find bar finds words in the page the same way, shows "x of y",
and steps through the matches with Enter / Shift+Enter, F3 / Shift+F3 or its buttons;
Escape closes it. Matches are located on the worker thread, in the text the page's
document holds, and painted as extra selections: the page itself is never changed.

Nothing typed here is kept beyond the open page: no history, no settings, no log.
"""

from __future__ import annotations

from typing import Any

from ui import shortcuts
from ui.i18n import tr
from ui.qt import (
    QColor,
    QEvent,
    QHBoxLayout,
    QLineEdit,
    QObject,
    QPalette,
    Qt,
    QTextCharFormat,
    QTextCursor,
    QTextEdit,
    QTimer,
    QWidget,
    Signal,
)
from ui.session import Session
from ui.widgets import label, push

DEBOUNCE_MS = 120
SearchTerms = tuple[str, str | None, str | None]  # a search's query, language filter, pack filter
MAX_MARKED = 5000  # more matches than this are counted and stepped through, not all painted


def find_spans(text: str, query: str, language: str | None) -> list[tuple[int, int]]:
    """Worker: where `query` matches `text` (a page in `language`), with the word forms
    of the page's language (find in page)."""
    from app.textquery import Query, highlight_spans

    return highlight_spans(text, Query.parse(query, [language] if language else []), language)


def search_spans(vault: Any, text: str, search: SearchTerms, language: str | None) -> list[tuple[int, int]]:
    """Worker: where a search matched `text` (a page in `language`): the query parsed with
    the word forms of the languages that search covered, so exactly what it found is marked."""
    from app.search import Filters, parse
    from app.textquery import highlight_spans

    query, lang, pack = search
    return highlight_spans(text, parse(vault, query, Filters(lang, pack)), language)


class FindEdit(QLineEdit):
    """The find field: keeps Escape, Enter and F3 for itself, before any shortcut."""

    escape = Signal()
    step = Signal(int)  # +1 next, -1 previous

    _KEYS = (Qt.Key.Key_Escape, Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F3)

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.ShortcutOverride and e.key() in self._KEYS:
            e.accept()
            return True
        return bool(super().event(e))

    def keyPressEvent(self, e: Any) -> None:  # noqa: N802 (Qt's name)
        key = e.key()
        if key == Qt.Key.Key_Escape:
            self.escape.emit()
        elif key in self._KEYS:
            back = bool(e.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.step.emit(-1 if back else 1)
        else:
            super().keyPressEvent(e)


class PageFinder(QObject):
    """Search-word highlights and the find bar of one reader's page browser."""

    def __init__(self, session: Session, browser: QTextEdit, reader: QWidget) -> None:
        super().__init__(reader)
        self.session = session
        self.browser = browser
        self.pending_search: SearchTerms | None = None
        self.search_spans: list[tuple[int, int]] = []
        self.spans: list[tuple[int, int]] = []
        self.current = -1
        self._text = ""
        self._language: str | None = None
        self._page = 0  # increases with every page shown: late results are dropped

        self.edit = FindEdit()
        self.edit.setPlaceholderText(tr("Find in this page"))
        self.edit.setAccessibleName(tr("Find in this page"))
        self.edit.setToolTip(tr("Find in this page (Ctrl+F). Press Ctrl+F again to search the whole library."))
        self.edit.setClearButtonEnabled(True)
        self.count = label("", wrap=False)
        self.count.setAccessibleName(tr("Matches"))
        self.prev_button = push(tr("Find previous"))
        self.prev_button.setToolTip(shortcuts.tip("find_prev"))
        self.next_button = push(tr("Find next"))
        self.next_button.setToolTip(shortcuts.tip("find_next"))
        self.close_button = push(tr("Close"), tr("Close the find bar"))
        self.close_button.setToolTip(tr("Close the find bar (Escape)"))
        self.bar = QWidget()
        self.bar.setObjectName("findbar")
        row = QHBoxLayout(self.bar)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.count)
        for b in (self.prev_button, self.next_button, self.close_button):
            row.addWidget(b)
        self.bar.setVisible(False)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._run)
        self.edit.textChanged.connect(lambda _t: self._timer.start())
        self.edit.escape.connect(self.close)
        self.edit.step.connect(self.step)
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(+1))
        self.close_button.clicked.connect(self.close)
        shortcuts.bind(reader, "find_next", lambda: self.step(+1))  # F3 (ui/shortcuts.py)
        shortcuts.bind(reader, "find_prev", lambda: self.step(-1))  # Shift+F3
        self._show_count()

    # -- the page ------------------------------------------------------------------

    def page_shown(self, language: str | None, has_text: bool = True) -> None:
        """A new page is in the browser (or a quiz: ``has_text`` False)."""
        self._page += 1
        self._text = self.browser.document().toRawText() if has_text else ""
        self._language = language
        self.search_spans, self.spans, self.current = [], [], -1
        search, self.pending_search = self.pending_search, None
        if search and self._text:
            page, text = self._page, self._text
            self.session.op(lambda c: search_spans(c.vault, text, search, language)).latest("highlight").success(
                lambda spans: self._highlighted(page, spans)
            ).run()
        if self.bar.isVisible() and self.edit.text().strip():
            self._run()
        else:
            self._paint()
            self._show_count()

    def _highlighted(self, page: int, spans: list[tuple[int, int]]) -> None:
        if page != self._page:
            return
        self.search_spans = spans
        if spans and not self.spans:  # show the first place the searched words appear
            cursor = QTextCursor(self.browser.document())
            cursor.setPosition(spans[0][0])
            self.browser.setTextCursor(cursor)
            self.browser.ensureCursorVisible()
        self._paint()

    # -- the bar -------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.bar.isVisible()

    def open(self) -> None:
        self.bar.setVisible(True)
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()
        if self.edit.text().strip() and not self.spans:
            self._run()

    def close(self) -> bool:
        """Close the bar (False if it was closed already)."""
        if not self.bar.isVisible():
            return False
        self._timer.stop()
        self.bar.setVisible(False)
        self.spans, self.current = [], -1
        self._paint()
        self.browser.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def step(self, delta: int) -> None:
        """Next (+1) or previous (-1) match, wrapping round; opens the bar if closed."""
        if not self.bar.isVisible():
            self.open()
            return
        if self._timer.isActive():  # Enter right after typing: find first
            self._timer.stop()
            self._run()
            return
        if not self.spans:
            return
        self.current = (self.current + delta) % len(self.spans)
        self._select()

    def _run(self) -> None:
        query = self.edit.text()
        page, text, language = self._page, self._text, self._language
        if not query.strip() or not text:
            self.spans, self.current = [], -1
            self._paint()
            self._show_count()
            return
        self.session.op(lambda _c: find_spans(text, query, language)).latest("find").success(
            lambda spans: self._found(page, query, spans)
        ).run()

    def _found(self, page: int, query: str, spans: list[tuple[int, int]]) -> None:
        if page != self._page or query != self.edit.text():
            return
        self.spans = spans
        if spans:
            at = self.browser.textCursor().selectionStart()
            self.current = next((i for i, (a, _b) in enumerate(spans) if a >= at), 0)
            self._select()
        else:
            self.current = -1
            self._paint()
            self._show_count()

    def _select(self) -> None:
        a, b = self.spans[self.current]
        cursor = QTextCursor(self.browser.document())
        cursor.setPosition(a)
        cursor.setPosition(b, QTextCursor.MoveMode.KeepAnchor)
        self.browser.setTextCursor(cursor)
        self.browser.ensureCursorVisible()
        self._paint()
        self._show_count()

    def _show_count(self) -> None:
        if not self.edit.text().strip():
            self.count.setText("")
        elif not self.spans:
            self.count.setText(tr("No matches"))
        else:
            self.count.setText(tr("{current} of {total}", current=self.current + 1, total=len(self.spans)))
        for b in (self.prev_button, self.next_button):
            b.setEnabled(len(self.spans) > 0)

    # -- painting ------------------------------------------------------------------

    def _formats(self) -> tuple[QTextCharFormat, QTextCharFormat, QTextCharFormat]:
        """Search words, find matches, the current match: the palette's own selection
        colours, readable in every theme, high contrast too."""
        pal = self.browser.palette()
        highlight = pal.color(QPalette.ColorRole.Highlight)
        word = QTextCharFormat()
        soft = QColor(highlight)
        soft.setAlpha(70)
        word.setBackground(soft)
        word.setFontUnderline(True)
        match = QTextCharFormat()
        medium = QColor(highlight)
        medium.setAlpha(130)
        match.setBackground(medium)
        current = QTextCharFormat()
        current.setBackground(highlight)
        current.setForeground(pal.color(QPalette.ColorRole.HighlightedText))
        return word, match, current

    def _paint(self) -> None:
        doc = self.browser.document()
        word, match, current = self._formats()
        selections = []
        for spans, fmt in ((self.search_spans, word), (self.spans, match)):
            for a, b in spans[:MAX_MARKED]:
                selections.append(self._selection(doc, a, b, fmt))
        if 0 <= self.current < len(self.spans):
            a, b = self.spans[self.current]
            selections.append(self._selection(doc, a, b, current))
        self.browser.setExtraSelections(selections)

    @staticmethod
    def _selection(doc: Any, a: int, b: int, fmt: QTextCharFormat) -> Any:
        sel = QTextEdit.ExtraSelection()
        cursor = QTextCursor(doc)
        cursor.setPosition(a)
        cursor.setPosition(b, QTextCursor.MoveMode.KeepAnchor)
        sel.cursor = cursor
        sel.format = fmt
        return sel

    def teardown(self) -> None:
        """Forget the page, the search words and what was typed (lock, panic)."""
        self._timer.stop()
        self._page += 1
        self.pending_search = None
        self._text = ""
        self.search_spans, self.spans, self.current = [], [], -1
        self.edit.blockSignals(True)
        self.edit.clear()
        self.edit.blockSignals(False)
        self.bar.setVisible(False)
        self.browser.setExtraSelections([])
        self._show_count()
