"""What an unlocked session shows: a bar (library, search box, settings) above the
library, the reader or the search results.

The view holds content only while the session lives: `teardown()` empties every widget
that showed content, and the window deletes the whole view on lock or panic.
"""

from __future__ import annotations

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
        bar = QHBoxLayout()
        bar.addWidget(self.home_button)
        bar.addWidget(self.search_box, 1)
        bar.addWidget(self.settings_button)

        self.library = LibraryView(session)
        self.reader = ReaderView(session)
        self.search = SearchView(session)
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
        self.search_box.returnPressed.connect(lambda: self.search.results.setFocus())
        self.library.open_requested.connect(self.open)
        self.search.open_requested.connect(self.open)
        self.reader.back.connect(self.show_library)
        self.reader.changed.connect(self._reader_changed)
        self.reader.gone.connect(self._pack_gone)
        actions = self.library.actions
        actions.open_requested.connect(self.open)
        actions.imported.connect(self._packs_imported)
        actions.removed.connect(self._pack_removed)
        from ui.changewatch import ChangeWatcher

        # Another Satchel (say `satchel import`) changed the vault: show it as it is now.
        self.watcher = ChangeWatcher(session, self)
        self.watcher.changed.connect(self.reload)
        # Ctrl+F and the other keys are the main window's actions (ui/menubar.py).
        self._before_search: QWidget = self.library
        self._library_stale = False
        self.setFocusProxy(self.library.tree)
        self.library.refresh()

    def focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    def _search_changed(self, text: str) -> None:
        if text.strip():
            if self.stack.currentWidget() is not self.search:
                self._before_search = self.stack.currentWidget()
                self.stack.setCurrentWidget(self.search)
            self.search.set_query(text)
        else:
            self.search.set_query("")
            self.stack.setCurrentWidget(self._before_search)

    def open(self, pack_id: str, path: str | None = None) -> None:
        if self.stack.currentWidget() is self.search:
            self.search_box.blockSignals(True)
            self.search_box.clear()
            self.search_box.blockSignals(False)
            self.search.teardown()
        self.stack.setCurrentWidget(self.reader)
        self.reader.open(pack_id, path)
        self.reader.browser.setFocus()

    def show_library(self) -> None:
        self.reader.flush()
        self.stack.setCurrentWidget(self.library)
        if self._library_stale:
            self.library.refresh()
            self._library_stale = False
        self.library.tree.setFocus()

    def _reader_changed(self) -> None:
        self._library_stale = True

    def _packs_imported(self, pack_ids: list[str]) -> None:
        self.library.refresh()
        if self.reader.pack_id in pack_ids:
            self.reader.reload()

    def _pack_removed(self, pack_id: str) -> None:
        if self.reader.pack_id == pack_id:
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
        if self.stack.currentWidget() is self.search and self.search_box.text().strip():
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
