"""What an unlocked session shows: a bar (library, search box, settings) above the
library, the reader or the search results.

Opening a search result keeps the query and the results: "Back to results" (Alt+Left)
or Enter in the search box returns to them, and the page shows the searched words.
Ctrl+F finds in the open page; pressed again (or anywhere else) it goes to the search box.

The view holds content only while the session lives: `teardown()` empties every widget
that showed content, and the window deletes the whole view on lock or panic.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from ui.i18n import tr
from ui.library import LibraryView
from ui.qt import (
    QHBoxLayout,
    QKeySequence,
    QLineEdit,
    QShortcut,
    QStackedWidget,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.reader import ReaderView
from ui.search import SearchView
from ui.session import Session
from ui.widgets import push


class SessionView(QWidget):
    settings_requested = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("session")
        self.session = session
        self.home_button = push(tr("Library"), tr("Show the library"))
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText(tr("Search the library"))
        self.search_box.setAccessibleName(tr("Search the library"))
        self.search_box.setClearButtonEnabled(True)
        self.settings_button = push(tr("Settings"))
        self.results_button = push(tr("Back to results"), tr("Back to the search results"))
        self.results_button.setToolTip(tr("Back to the search results (Alt+Left)"))
        self.results_button.setVisible(False)

        self.library = LibraryView(session)
        self.reader = ReaderView(session)
        self.search = SearchView(session)
        bar = QHBoxLayout()
        bar.addWidget(self.home_button)
        bar.addWidget(self.results_button)
        bar.addWidget(self.search_box, 1)
        bar.addWidget(self.search.filters)
        bar.addWidget(self.settings_button)
        self._from_search = False
        # Tab follows the bar as it reads: the filters right after the box they narrow.
        chain = (self.home_button, self.results_button, self.search_box, self.search.lang_filter,
                 self.search.pack_filter, self.settings_button)
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)
        self.stack = QStackedWidget()
        for w in (self.library, self.reader, self.search):
            self.stack.addWidget(w)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.addLayout(bar)
        col.addWidget(self.stack, 1)

        self.home_button.clicked.connect(self.show_library)
        self.settings_button.clicked.connect(self.settings_requested.emit)
        self.search_box.textChanged.connect(self._search_changed)
        self.search_box.returnPressed.connect(self.show_results)
        self.library.open_requested.connect(self.open)
        self.search.open_requested.connect(self.open_hit)
        self.search.suggestion_chosen.connect(self.search_box.setText)
        self.results_button.clicked.connect(self.show_results)
        self.reader.back.connect(self.show_library)
        self.reader.changed.connect(self._reader_changed)
        self.stack.currentChanged.connect(lambda _i: self._update_bar())
        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(self.find)
        back = QShortcut(QKeySequence(QKeySequence.StandardKey.Back), self)
        back.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        back.activated.connect(self.show_results)
        self._before_search: QWidget = self.library
        self._library_stale = False
        self.setFocusProxy(self.library.tree)
        self.library.refresh()
        self.search.refresh_filters()

    def focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    def find(self) -> None:
        """Ctrl+F: find in the open page; again, or anywhere else, the search box."""
        finder = self.reader.finder
        reader = self.reader
        in_page = self.stack.currentWidget() is reader and reader.content.currentWidget() is reader.browser
        if in_page and not finder.edit.hasFocus():
            finder.open()
        else:
            self.focus_search()

    def _search_changed(self, text: str) -> None:
        if text.strip():
            if self.stack.currentWidget() is not self.search:
                self._before_search = self.stack.currentWidget()
                self.stack.setCurrentWidget(self.search)
                self.search.refresh_filters()  # packs may have come or gone since
            self.search.set_query(text)
        else:
            self.search.set_query("")
            self._from_search = False
            if self.stack.currentWidget() is self.search:
                self.stack.setCurrentWidget(self._before_search)
        self._update_bar()

    def show_results(self) -> None:
        """Back to the search results, exactly as they were (if there is a query)."""
        if not self.search_box.text().strip():
            return
        if self.stack.currentWidget() is self.reader:
            self.reader.flush()
        self.stack.setCurrentWidget(self.search)
        self.search.results.setFocus()
        if self.search.results.currentRow() < 0 and self.search.results.count():
            self.search.results.setCurrentRow(0)

    def open_hit(self, pack_id: str, path: str | None = None) -> None:
        """Open a search result: the query and results stay, the page shows the words."""
        self.reader.finder.pending_search = (self.search.query, self.search.lang, self.search.pack)
        self._open(pack_id, path)
        self._from_search = True
        self._update_bar()

    def open(self, pack_id: str, path: str | None = None) -> None:
        self._open(pack_id, path)
        self._from_search = False
        self._update_bar()

    def _open(self, pack_id: str, path: str | None) -> None:
        self.stack.setCurrentWidget(self.reader)
        self.reader.open(pack_id, path)
        self.reader.browser.setFocus()

    def _update_bar(self) -> None:
        current = self.stack.currentWidget()
        self.search.filters.setVisible(current is self.search)
        self.results_button.setVisible(
            current is self.reader and self._from_search and bool(self.search_box.text().strip())
        )

    def show_library(self) -> None:
        self.reader.flush()
        self._from_search = False
        self.stack.setCurrentWidget(self.library)
        if self._library_stale:
            self.library.refresh()
            self._library_stale = False
        self.library.tree.setFocus()

    def _reader_changed(self) -> None:
        self._library_stale = True

    def state(self) -> dict[str, Any]:
        """What to reopen after the view is rebuilt (a language change)."""
        current = self.stack.currentWidget()
        if current is self.reader and self.reader.pack_id:
            return {"pack": self.reader.pack_id, "path": self.reader.path}
        return {}

    def restore(self, state: dict[str, Any]) -> None:
        if state.get("pack"):
            self.open(state["pack"], state.get("path"))

    def final_writes(self) -> list[Any]:
        return self.reader.final_writes()

    def teardown(self) -> None:
        self.search_box.blockSignals(True)
        self.search_box.clear()
        self.library.teardown()
        self.reader.teardown()
        self.search.teardown()
