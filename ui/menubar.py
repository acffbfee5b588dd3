"""The main window's menu bar and keyboard actions, made from ui/shortcuts.py.

Menus: Satchel (library, search, back to results, USB stick, sync and share over Tor,
settings, lock, wipe, quit), Reading (page by page, bookmark, note, done, notes and
bookmarks, text size) and Help (keyboard shortcuts, about). Each action shows its keys;
an action is enabled only when it can do something (the Reading menu while a page is
open, the library actions while unlocked), so a key that cannot act is left to the
focused widget.

The menus show no content: no titles, no pack names, nothing a glance could read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ui import shortcuts
from ui.i18n import tr
from ui.qt import QAction, QMainWindow, QMenu

Handler = tuple[Callable[[], object], Callable[[], bool]]


class MenuBar:
    def __init__(self, window: QMainWindow) -> None:
        self.window: Any = window
        self.actions: dict[str, QAction] = {}
        self.menus: dict[str, QMenu] = {}
        self._dialogs: dict[str, Any] = {}
        self.build()

    # -- what each action does, and when it can ---------------------------------------

    def _view(self) -> Any:
        return self.window.view if self.window.session is not None else None

    def _reader(self) -> Any:
        view = self._view()
        if view is None or view.stack.currentWidget() is not view.reader or view.reader.data is None:
            return None
        return view.reader

    def _reader_button(self, name: str) -> Any:
        reader = self._reader()
        button = getattr(reader, name, None) if reader is not None else None
        return button if button is not None and button.isEnabled() else None

    def _click(self, name: str) -> Callable[[], object]:
        def click() -> None:
            button = self._reader_button(name)
            if button is not None:
                button.click()

        return click

    def _handlers(self) -> dict[str, Handler]:
        w = self.window
        unlocked: Callable[[], bool] = lambda: self._view() is not None  # noqa: E731
        return {
            "wipe": (w.panic, lambda: True),
            "lock": (w.lock, lambda: w.session is not None),
            "library": (lambda: self._view().show_library(), unlocked),
            "search": (lambda: self._view().focus_search(), unlocked),
            "results": (lambda: self._view().show_results(), self._results_kept),
            "usb": (w.open_usb, unlocked),
            "sync": (w.open_sync, unlocked),
            "share": (w.open_share, unlocked),
            "settings": (w.open_settings, unlocked),
            "quit": (w.close, lambda: True),
            "help": (lambda: self.open_dialog("help"), lambda: True),
            "about": (lambda: self.open_dialog("about"), lambda: True),
            "prev_page": (self._click("prev_button"), lambda: self._reader_button("prev_button") is not None),
            "next_page": (self._click("next_button"), lambda: self._reader_button("next_button") is not None),
            "bookmark": (self._click("bookmark"), lambda: self._reader_button("bookmark") is not None),
            "note": (self._click("note_toggle"), lambda: self._reader_button("note_toggle") is not None),
            "done": (self._click("done_toggle"), lambda: self._reader_button("done_toggle") is not None),
            "larger": (self._click("larger"), lambda: self._reader_button("larger") is not None),
            "smaller": (self._click("smaller"), lambda: self._reader_button("smaller") is not None),
            "overview": (self._overview, lambda: self._reader() is not None),
        }

    def _results_kept(self) -> bool:
        """A search's results are kept while its query is in the box (ui/sessionview.py),
        and there is somewhere else to come back from."""
        view = self._view()
        if view is None:
            return False
        return bool(view.search_box.text().strip()) and view.stack.currentWidget() is not view.search

    def _overview(self) -> None:
        reader = self._reader()
        if reader is not None and reader.pack_id:
            from ui.notes_overview import NotesOverview

            reader.flush()  # the note being typed is written before the list is read
            dialog = NotesOverview(self.window.session, reader.pack_id, self.window)
            dialog.open_requested.connect(lambda pack, path: self._view().open(pack, path))
            dialog.open()
            self._dialogs["overview"] = dialog

    def open_dialog(self, name: str) -> Any:
        if name == "help":
            from ui.helpsheet import ShortcutSheet

            dialog: Any = ShortcutSheet(self.window)
        else:
            from ui.about import AboutDialog

            dialog = AboutDialog(self.window)
        dialog.open()
        self._dialogs[name] = dialog
        return dialog

    # -- building ----------------------------------------------------------------------

    def build(self) -> None:
        bar = self.window.menuBar()
        bar.clear()
        for old in self.menus.values():
            old.deleteLater()
        self.actions.clear()
        self.menus.clear()
        handlers = self._handlers()
        self._enabled = {name: h[1] for name, h in handlers.items()}
        for key, title in shortcuts.MENUS.items():
            menu = bar.addMenu(tr(title))
            menu.setObjectName(f"menu-{key}")
            menu.aboutToShow.connect(self.refresh)
            self.menus[key] = menu
        for s in shortcuts.SHORTCUTS:
            if s.name not in handlers:
                continue
            action = shortcuts.make_action(self.window, s.name, handlers[s.name][0])
            self.actions[s.name] = action
            if s.menu is not None:
                menu = self.menus[s.menu]
                if s.name in ("wipe", "quit", "about"):
                    menu.addSeparator()
                menu.addAction(action)
        self.refresh()

    def retranslate(self) -> None:
        for action in self.actions.values():
            self.window.removeAction(action)
            action.deleteLater()
        self.build()

    def refresh(self) -> None:
        if self.window.session is None:
            self._dialogs.clear()  # locking closed and deleted them; keep no wrappers
        for name, action in self.actions.items():
            action.setEnabled(bool(self._enabled[name]()))
