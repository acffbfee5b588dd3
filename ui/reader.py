"""The reader: one pack's outline, its pages (or quizzes), bookmarks, notes and position.

Pages are prepared on the worker (ui/pageload.py) and shown by ui/browser.py. Page
links open inside the pack, outside addresses are only shown, right-to-left pages are
laid out right to left, and the reading position is saved as one scrolls. Everything
the learner does (answers, bookmarks, notes, completion) goes to the vault on the worker.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from functools import partial
from typing import Any

from ui.browser import ExternalLinkDialog, PageBrowser, external_address
from ui.errors import show_error
from ui.findbar import PageFinder
from ui.i18n import tr
from ui.pageload import PageData, load_page
from ui.qt import (
    QApplication,
    QHBoxLayout,
    QKeySequence,
    QPlainTextEdit,
    QShortcut,
    QSplitter,
    QStackedWidget,
    Qt,
    QTimer,
    QTreeWidget,
    QTreeWidgetItem,
    QUrl,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.quiz import QuizView
from ui.session import Session
from ui.widgets import clean, heading, push

PATH_ROLE = Qt.ItemDataRole.UserRole


def _apply(write: Callable[[Any], None], ctx: Any) -> None:
    write(ctx.vault)


def _outline(vault: Any, pack_id: str) -> tuple[Any, list[Any], set[str], tuple[str, float] | None]:
    from app import library, progress

    chapters = library.pack_outline(vault, pack_id)
    done = {p.path for c in chapters for p in c.pages if progress.is_completed(vault, pack_id, p.path)}
    return library.get_pack(vault, pack_id), chapters, done, progress.get_position(vault, pack_id)


class ReaderView(QWidget):
    back = Signal()
    changed = Signal()  # progress, bookmarks or position changed: the library refreshes

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reader")
        self.session = session
        self.pack_id: str | None = None
        self.path: str | None = None
        self.pages: list[str] = []
        self.data: PageData | None = None
        self._note_dirty = False
        self._pending_scroll: float | None = None

        self.outline = QTreeWidget()
        self.outline.setHeaderHidden(True)
        self.outline.setAccessibleName(tr("Contents"))
        self.outline.itemActivated.connect(self._outline_activated)
        self.outline.itemClicked.connect(self._outline_activated)

        self.back_button = push(tr("Library"), tr("Back to the library"))
        self.prev_button = push(tr("Previous"), tr("Previous page"))
        self.next_button = push(tr("Next"), tr("Next page"))
        self.smaller = push(tr("A-"), tr("Smaller text"))
        self.larger = push(tr("A+"), tr("Larger text"))
        self.bookmark = push(tr("Bookmark"), tr("Bookmark this page"))
        self.bookmark.setCheckable(True)
        self.note_toggle = push(tr("Note"), tr("Private note on this page"))
        self.note_toggle.setCheckable(True)
        self.done_toggle = push(tr("Done"), tr("Mark this page as done"))
        self.done_toggle.setCheckable(True)
        bar = QHBoxLayout()
        for b in (self.back_button, self.prev_button, self.next_button, self.smaller, self.larger):
            bar.addWidget(b)
        bar.addStretch(1)
        for b in (self.bookmark, self.note_toggle, self.done_toggle):
            bar.addWidget(b)

        self.title = heading("", level=2)
        self.browser = PageBrowser()
        self.browser.anchorClicked.connect(self._link)
        self.content = QStackedWidget()
        self.content.addWidget(self.browser)
        self.finder = PageFinder(session, self.browser, self)  # search words, Ctrl+F (ui/findbar.py)
        self.quiz: QuizView | None = None
        self.note = QPlainTextEdit()
        self.note.setAccessibleName(tr("Private note"))
        self.note.setPlaceholderText(
            tr("Your private note on this page. It is kept encrypted in your library.")
        )
        self.note.setTabChangesFocus(True)
        self.note.setVisible(False)
        self.note.textChanged.connect(self._note_changed)

        right = QWidget()
        col = QVBoxLayout(right)
        col.setContentsMargins(0, 0, 0, 0)
        col.addLayout(bar)
        col.addWidget(self.title)
        col.addWidget(self.content, 4)
        col.addWidget(self.finder.bar)
        col.addWidget(self.note, 1)
        split = QSplitter()
        split.addWidget(self.outline)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        split.setSizes([280, 720])
        QVBoxLayout(self).addWidget(split)

        self._note_timer = self._timer(700, self._save_note)
        self._scroll_timer = self._timer(800, self._save_position)
        self.browser.verticalScrollBar().valueChanged.connect(lambda _v: self._scroll_timer.start())
        self.browser.verticalScrollBar().rangeChanged.connect(lambda _a, _b: self._apply_scroll())

        self.back_button.clicked.connect(self.back.emit)
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(+1))
        self.smaller.clicked.connect(lambda: self.zoom(-10))
        self.larger.clicked.connect(lambda: self.zoom(+10))
        self.bookmark.toggled.connect(self._bookmark)
        self.note_toggle.toggled.connect(self._show_note)
        self.done_toggle.toggled.connect(self._done)
        for keys, slot in (
            (QKeySequence.StandardKey.ZoomIn, lambda: self.zoom(+10)),
            (QKeySequence.StandardKey.ZoomOut, lambda: self.zoom(-10)),
            ("Ctrl+PgUp", lambda: self.step(-1)),
            ("Ctrl+PgDown", lambda: self.step(+1)),
            ("Ctrl+D", self.bookmark.toggle),
            ("Escape", lambda: self.finder.close() or self.back.emit()),
        ):
            sc = QShortcut(QKeySequence(keys), self)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(slot)
        self._enable(False)

    def _timer(self, ms: int, slot: Any) -> QTimer:
        t = QTimer(self)
        t.setSingleShot(True)
        t.setInterval(ms)
        t.timeout.connect(slot)
        return t

    def _enable(self, on: bool) -> None:
        for b in (self.bookmark, self.note_toggle, self.done_toggle, self.smaller, self.larger):
            b.setEnabled(on)
        i = self.pages.index(self.path) if on and self.path in self.pages else -1
        self.prev_button.setEnabled(i > 0)
        self.next_button.setEnabled(0 <= i < len(self.pages) - 1)

    # -- opening -------------------------------------------------------------------

    def open(self, pack_id: str, path: str | None = None, fragment: str = "") -> None:
        """Open a pack at `path` (or where the learner left off, or its first page)."""
        self.flush()
        if pack_id == self.pack_id and self.pages:
            self._load(path or self.pages[0], fragment)
            return
        self.session.op(lambda c: _outline(c.vault, pack_id)).success(
            lambda r: self._outline_ready(pack_id, r, path, fragment)
        ).run()

    def _outline_ready(self, pack_id: str, result: Any, path: str | None, fragment: str) -> None:
        pack, chapters, done, position = result
        if pack is None:
            return
        self.pack_id = pack_id
        self.pages = [p.path for c in chapters for p in c.pages]
        self.outline.clear()
        # The contents read in the pack's direction, whatever the interface's.
        from app.library import direction

        rtl = direction(pack.language) == "rtl"
        self.outline.setLayoutDirection(
            Qt.LayoutDirection.RightToLeft if rtl else Qt.LayoutDirection.LeftToRight
        )
        for chapter in chapters:
            top = QTreeWidgetItem([clean(chapter.title)])
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            for ref in chapter.pages:
                mark = "✓ " if ref.path in done else ""
                item = QTreeWidgetItem([mark + clean(ref.title)])
                item.setData(0, PATH_ROLE, ref.path)
                top.addChild(item)
            self.outline.addTopLevelItem(top)
        self.outline.expandAll()
        target = path or (position[0] if position else None) or (self.pages[0] if self.pages else None)
        if target is not None:
            self._load(target, fragment)

    def _load(self, path: str, fragment: str = "") -> None:
        pack_id = self.pack_id
        if pack_id is None:
            return
        self.session.op(lambda c: load_page(c.vault, pack_id, path)).latest("page").success(
            lambda data: self._show(data, fragment)
        ).run()

    def _show(self, data: PageData | None, fragment: str) -> None:
        if data is None:
            show_error(self, tr("This page is not in the library."))
            return
        self.data, self.path = data, data.path
        rtl = data.direction == "rtl"
        self.title.setText(clean(data.title))
        self.title.setVisible(False)  # pages and quizzes show their own first heading
        self.browser.setAccessibleName(tr("Page: {title}", title=clean(data.title)))
        self.title.setLayoutDirection(
            Qt.LayoutDirection.RightToLeft if rtl else Qt.LayoutDirection.LeftToRight
        )
        self.title.setAlignment(Qt.AlignmentFlag.AlignLeading)
        if self.quiz is not None:
            self.content.removeWidget(self.quiz)
            self.quiz.deleteLater()
            self.quiz = None
        if data.kind == "quiz":
            self.quiz = QuizView(data.quiz, data.answers, rtl)
            self.quiz.answered.connect(self._answered)
            self.quiz.all_answered.connect(lambda _r, _t: self.done_toggle.setChecked(True))
            self.content.addWidget(self.quiz)
            self.content.setCurrentWidget(self.quiz)
            self.browser.clear_page()
            self.finder.page_shown(data.language, has_text=False)
        else:
            self._pending_scroll = data.scroll
            self.browser.show_page(data.html, data.images, rtl, self._point_size())
            self.content.setCurrentWidget(self.browser)
            self.finder.page_shown(data.language)
            if fragment:
                self._pending_scroll = None
                QTimer.singleShot(0, lambda: self.browser.scrollToAnchor(fragment))
            else:
                QTimer.singleShot(0, self._apply_scroll)
        for w, value in ((self.bookmark, data.bookmarked), (self.done_toggle, data.completed)):
            w.blockSignals(True)
            w.setChecked(value)
            w.blockSignals(False)
        self.note.blockSignals(True)
        self.note.setPlainText(data.note)
        self.note.blockSignals(False)
        self._note_dirty = False
        self.note_toggle.setChecked(bool(data.note))
        self.note.setVisible(self.note_toggle.isChecked())
        self._select_in_outline(data.path)
        self._enable(True)
        self.changed.emit()

    def _select_in_outline(self, path: str) -> None:
        for i in range(self.outline.topLevelItemCount()):
            top = self.outline.topLevelItem(i)
            for j in range(top.childCount()):
                if top.child(j).data(0, PATH_ROLE) == path:
                    self.outline.setCurrentItem(top.child(j))
                    return

    def _apply_scroll(self) -> None:
        if self._pending_scroll is None:
            return
        bar = self.browser.verticalScrollBar()
        if bar.maximum() > 0 or self._pending_scroll == 0:
            bar.setValue(round(self._pending_scroll * bar.maximum()))
            self._pending_scroll = None

    def _outline_activated(self, item: QTreeWidgetItem, _col: int = 0) -> None:
        path = item.data(0, PATH_ROLE)
        if path and path != self.path:
            self.flush()
            self._load(path)

    def step(self, delta: int) -> None:
        if self.path not in self.pages:
            return
        i = self.pages.index(self.path) + delta
        if 0 <= i < len(self.pages):
            if delta > 0 and self.data is not None and self.data.kind != "quiz":
                self.done_toggle.setChecked(True)  # reading on counts the page as done
            self.flush()
            self._load(self.pages[i])

    # -- links ---------------------------------------------------------------------

    def _link(self, url: QUrl) -> None:
        scheme = url.scheme()
        if scheme == "satchel-page":
            path = urllib.parse.unquote(url.path())
            if not path or path == self.path:
                self.browser.scrollToAnchor(url.fragment())
            elif self.pack_id is not None:
                self.flush()
                self._load(path, url.fragment())
        elif scheme == "satchel-external":
            dialog = ExternalLinkDialog(external_address(url), self.session.clipboard.copy, self)
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.open()
        elif scheme == "satchel-media":
            show_error(self, tr("Satchel cannot show this kind of file."))
        elif not scheme and url.fragment():
            self.browser.scrollToAnchor(url.fragment())

    # -- the learner's traces ------------------------------------------------------

    def _point_size(self) -> float:
        return QApplication.font().pointSizeF() * self.session.prefs.reader_zoom / 100.0

    def zoom(self, delta: int) -> None:
        from ui.prefs import READER_ZOOM, save

        zoom = min(max(self.session.prefs.reader_zoom + delta, READER_ZOOM[0]), READER_ZOOM[1])
        self.session.prefs.reader_zoom = zoom
        self.browser.set_point_size(self._point_size())
        if self.quiz is not None:
            f = self.quiz.font()
            f.setPointSizeF(self._point_size())
            self.quiz.setFont(f)
        self.session.write(lambda c: save(c.vault, "reader_zoom", zoom)).run()

    def _here(self) -> tuple[str, str] | None:
        return (self.pack_id, self.path) if self.pack_id and self.path else None

    def _write(self, fn: Any) -> None:
        here = self._here()
        if here is not None:
            self.session.write(lambda c: fn(c.vault, *here)).success(lambda _r: self.changed.emit()).run()

    def _bookmark(self, on: bool) -> None:
        from app.progress import set_bookmark

        self._write(lambda v, p, q: set_bookmark(v, p, q, on))

    def _done(self, on: bool) -> None:
        from app.progress import set_completed

        self._write(lambda v, p, q: set_completed(v, p, q, on))
        item = self.outline.currentItem()
        if item is not None and item.data(0, PATH_ROLE) == self.path:
            text = item.text(0).removeprefix("✓ ")
            item.setText(0, ("✓ " if on else "") + text)

    def _answered(self, index: int, answer: str, correct: bool) -> None:
        from app.progress import record_answer

        self._write(lambda v, p, q: record_answer(v, p, q, index, answer, correct))

    def _show_note(self, on: bool) -> None:
        self.note.setVisible(on)
        if on:
            self.note.setFocus()

    def _note_changed(self) -> None:
        self._note_dirty = True
        self._note_timer.start()

    def _save_note(self) -> None:
        self._run_writes(self.final_writes(position=False))

    def _save_position(self) -> None:
        self._run_writes(self.final_writes(note=False))

    def _run_writes(self, writes: list[Callable[[Any], None]]) -> None:
        for write in writes:
            self.session.write(partial(_apply, write)).run()

    def final_writes(self, note: bool = True, position: bool = True) -> list[Any]:
        """What is still unsaved, as functions of the vault (run before closing it)."""
        from app.progress import set_note, set_position

        here = self._here()
        if here is None:
            return []
        writes: list[Any] = []
        if note and self._note_dirty:
            text = self.note.toPlainText()
            self._note_dirty = False
            writes.append(lambda v: set_note(v, *here, text))
        if position and self.content.currentWidget() is self.browser:
            bar = self.browser.verticalScrollBar()
            fraction = bar.value() / bar.maximum() if bar.maximum() > 0 else 0.0
            if self._pending_scroll is None:
                writes.append(lambda v: set_position(v, *here, fraction))
        return writes

    def flush(self) -> None:
        """Save the note and position of the page being left."""
        self._note_timer.stop()
        self._scroll_timer.stop()
        self._run_writes(self.final_writes())

    def teardown(self) -> None:
        """Forget every piece of content this view shows (lock, panic)."""
        self._note_timer.stop()
        self._scroll_timer.stop()
        self.finder.teardown()
        self.browser.clear_page()
        self.note.blockSignals(True)
        self.note.clear()
        self.outline.clear()
        self.title.clear()
        self.data = None
