"""What an unlocked session shows: a bar (library, search box, settings) above the
library, the reader or the search results.

Opening a search result keeps the query and the results: "Back to results" (Alt+Left)
or Enter in the search box returns to them, and the page shows the searched words.
Ctrl+F in the open page finds in it (ReaderView.handle_shortcut); pressed again, or
anywhere else, it goes to the search box (the window's action, ui/shortcuts.py).

The view holds content only while the session lives: `teardown()` empties every widget
that showed content, and the window deletes the whole view on lock or panic.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from ui import shortcuts
from ui.i18n import tr
from ui.library import LibraryView
from ui.qt import (
    QHBoxLayout,
    QLineEdit,
    QStackedWidget,
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
        self.home_button = push(tr("&Library"), tr("Show the library"))
        self.home_button.setToolTip(shortcuts.tip("library"))
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText(tr("Search the library"))
        self.search_box.setAccessibleName(tr("Search the library"))
        self.search_box.setToolTip(shortcuts.tip("search"))
        self.search_box.setClearButtonEnabled(True)
        self.settings_button = push(tr("Se&ttings"))
        self.settings_button.setToolTip(shortcuts.tip("settings"))
        self.results_button = push(tr("Back to results"), tr("Back to the search results"))
        self.results_button.setToolTip(shortcuts.tip("results"))
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
        self.stack = QStackedWidget()
        for w in (self.library, self.reader, self.search):
            self.stack.addWidget(w)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.addLayout(bar)
        col.addWidget(self.stack, 1)
        # Tab follows the bar as it reads: the filters right after the box they narrow
        # (set once every widget is in this view: Qt orders only widgets of one window).
        chain = (self.home_button, self.results_button, self.search_box, self.search.lang_filter,
                 self.search.pack_filter, self.settings_button)
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

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
        self.reader.gone.connect(self._pack_gone)
        actions = self.library.actions
        actions.open_requested.connect(self.open)
        actions.imported.connect(self._packs_imported)
        actions.removed.connect(self._pack_removed)
        from ui.changewatch import ChangeWatcher

        # Another Satchel (say `satchel import`) changed the vault: show it as it is now.
        self.watcher = ChangeWatcher(session, self)
        self.watcher.changed.connect(self.reload)
        # Ctrl+F, Alt+Left and the other keys are the main window's actions (ui/menubar.py);
        # the reader claims Ctrl+F for its find bar while the focus is in the page.
        self._before_search: QWidget = self.library
        self._library_stale = False
        self.setFocusProxy(self.library.tree)
        self.library.refresh()
        self.search.refresh_filters()

    def focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

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

    def _packs_imported(self, pack_ids: list[str]) -> None:
        self.library.refresh()
        self._search_again()
        if self.reader.pack_id in pack_ids:
            self.reader.reload()

    def _pack_removed(self, pack_id: str) -> None:
        self._search_again()
        if self.reader.pack_id == pack_id:
            self._from_search = False
            self.reader.close_pack()
            self.stack.setCurrentWidget(self.library)

    def _pack_gone(self, _pack_id: str) -> None:
        self.reader.close_pack()
        self.stack.setCurrentWidget(self.library)
        self.library.say(tr("The pack you were reading is no longer in your library."))
        self.library.refresh()
        self.library.tree.setFocus()

    def reload(self) -> None:
        """The vault changed under the app: read again what is shown."""
        self.library.refresh()
        if self.reader.pack_id is not None:
            self.reader.reload()
        self._search_again()

    def _search_again(self) -> None:
        """Packs came or went: the filters and the kept results (Back to results) follow."""
        self.search.refresh_filters()
        if self.search_box.text().strip():
            self.search.set_query(self.search_box.text())

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
        self.watcher.stop()
        self.search_box.blockSignals(True)
        self.search_box.clear()
        self.library.teardown()
        self.reader.teardown()
        self.search.teardown()
