"""The reader: one pack's outline, its pages (or quizzes), bookmarks, notes and position.

Pages are prepared on the worker (ui/pageload.py) and shown by ui/browser.py. Page
links open inside the pack, links to another pack's page open it when the library has
it (otherwise a notice names the pack to get), outside addresses are only shown, each
paragraph is laid out in its own direction, and the reading position is saved as one
scrolls. What the pack says about itself (licence, credit, translation) and a page's
front matter (author, duration, level, licence, tags) are shown as plain text; so is a
notice naming the pack that carries pictures the library lacks. Everything the learner
does (answers, ticks, bookmarks, notes, completion) goes to the vault on the worker.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from functools import partial
from typing import Any

from ui import shortcuts
from ui.browser import ExternalLinkDialog, PageBrowser, external_address
from ui.errors import show_error
from ui.findbar import PageFinder
from ui.i18n import N_, tr
from ui.pageload import PageData, load_page
from ui.qt import (
    QApplication,
    QHBoxLayout,
    QLocale,
    QPlainTextEdit,
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
from ui.widgets import clean, heading, isolate, label, push

PATH_ROLE = Qt.ItemDataRole.UserRole


def _apply(write: Callable[[Any], None], ctx: Any) -> None:
    write(ctx.vault)


def _pack_page(vault: Any, current: str | None, pack_id: str, path: str) -> tuple[str, bool, str]:
    """For a link into another pack: (its title to show, whether the page is there,
    'page', 'pack' or 'missing')."""
    from app import library

    info = library.get_pack(vault, pack_id)
    if info is None:
        title = library.used_pack_title(vault, current, pack_id) if current else pack_id
        return title, False, "missing"
    return info.title, library.get_page(vault, pack_id, path) is not None, "pack"


def _outline(vault: Any, pack_id: str) -> tuple[Any, list[Any], set[str], tuple[str, float] | None]:
    from app import library, progress

    chapters = library.pack_outline(vault, pack_id)
    done = {p.path for c in chapters for p in c.pages if progress.is_completed(vault, pack_id, p.path)}
    return library.get_pack(vault, pack_id), chapters, done, progress.get_position(vault, pack_id)


class ReaderView(QWidget):
    back = Signal()
    changed = Signal()  # progress, bookmarks or position changed: the library refreshes
    gone = Signal(str)  # the pack asked for is not in the library (removed meanwhile)

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
        self.prev_button = push(tr("&Previous"), tr("Previous page"))
        self.next_button = push(tr("&Next"), tr("Next page"))
        self.smaller = push(tr("A-"), tr("Smaller text"))
        self.larger = push(tr("A+"), tr("Larger text"))
        self.bookmark = push(tr("&Bookmark"), tr("Bookmark this page"))
        self.bookmark.setCheckable(True)
        self.note_toggle = push(tr("N&ote"), tr("Private note on this page"))
        self.note_toggle.setCheckable(True)
        self.done_toggle = push(tr("&Done"), tr("Mark this page as done"))
        self.done_toggle.setCheckable(True)
        for b, name in (
            (self.back_button, "back"),
            (self.prev_button, "prev_page"),
            (self.next_button, "next_page"),
            (self.smaller, "smaller"),
            (self.larger, "larger"),
            (self.bookmark, "bookmark"),
            (self.note_toggle, "note"),
            (self.done_toggle, "done"),
        ):
            b.setToolTip(shortcuts.tip(name))
        self.page_number = label("", wrap=False)  # "Page 3 of 12"
        self.page_number.setAccessibleName(tr("Page number"))
        bar = QHBoxLayout()
        for b in (self.back_button, self.prev_button, self.next_button, self.smaller, self.larger):
            bar.addWidget(b)
        bar.addWidget(self.page_number)
        bar.addStretch(1)
        for b in (self.bookmark, self.note_toggle, self.done_toggle):
            bar.addWidget(b)

        self.title = heading("", level=2)
        self.meta = label("", selectable=True)
        self.meta.setAccessibleName(tr("About this page"))
        self.meta.setVisible(False)
        self.notice = label("", selectable=True)
        self.notice.setAccessibleName(tr("Notice"))
        self.notice.setObjectName("notice")
        self.notice.setVisible(False)
        self.about = label("", selectable=True)
        self.about.setAccessibleName(tr("About this pack"))
        self.about.setVisible(False)
        # Which scripts of this page no font can show (no CJK font, damaged font files).
        self.font_notice = label("")
        self.font_notice.setVisible(False)
        self.browser = PageBrowser()
        self.browser.anchorClicked.connect(self._link)
        self.browser.ticked.connect(self._ticked)
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
        col.addWidget(self.notice)
        col.addWidget(self.meta)
        col.addWidget(self.font_notice)
        col.addWidget(self.content, 4)
        col.addWidget(self.finder.bar)
        col.addWidget(self.note, 1)
        left = QWidget()
        lcol = QVBoxLayout(left)
        lcol.setContentsMargins(0, 0, 0, 0)
        lcol.addWidget(self.outline, 1)
        lcol.addWidget(self.about)
        split = QSplitter()
        split.addWidget(left)
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
        # Page, bookmark, note and text-size keys are the main window's (ui/menubar.py);
        # Escape closes the find bar first, then goes back to the library.
        shortcuts.bind(self, "back", lambda: self.finder.close() or self.back.emit())
        self._enable(False)

    def handle_shortcut(self, name: str) -> bool:
        """Claim the window's Ctrl+F (ui/shortcuts.py "find") while the focus is in the
        open page: it opens the find bar. Pressed in the find bar, or on a quiz, it is
        left to the window, which goes to the library's search box."""
        if name != "search" or self.data is None or self.content.currentWidget() is not self.browser:
            return False
        if self.finder.edit.hasFocus():
            return False
        self.finder.open()
        return True

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
        self.page_number.setText(tr("Page {number} of {total}", number=i + 1, total=len(self.pages)) if i >= 0 else "")

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
            self.gone.emit(pack_id)
            return
        self.pack_id = pack_id
        self.pages = [p.path for c in chapters for p in c.pages]
        if path is not None and path not in self.pages:
            path = None  # a page the new version no longer has: where one left off, or the start
        self.outline.clear()
        # The contents read in the pack's direction, whatever the interface's.
        from app.library import direction

        rtl = direction(pack.language) == "rtl"
        self.outline.setLayoutDirection(
            Qt.LayoutDirection.RightToLeft if rtl else Qt.LayoutDirection.LeftToRight
        )
        about = pack_about(pack)
        self.about.setText(about)
        self.about.setVisible(bool(about))
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
            self.browser.show_page(data.html, data.images, rtl, self._point_size(), data.ticks)
            self.content.setCurrentWidget(self.browser)
            self.finder.page_shown(data.language)
            if fragment:
                self._pending_scroll = None
                QTimer.singleShot(0, lambda: self.browser.scrollToAnchor(fragment))
            else:
                QTimer.singleShot(0, self._apply_scroll)
        self._check_fonts(data)
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
        meta = page_about(data.meta)
        self.meta.setText(meta)
        self.meta.setVisible(bool(meta))
        self._show_notice(" ".join(
            tr("Some pictures on this page are in the pack \u201c{title}\u201d ({pack}), which is not in your "
               "library. Ask the person who gave you this pack for it too.", title=isolate(clean(title, 300)),
               pack=isolate(clean(pack, 130), False))
            for pack, title in data.missing_packs[:3]))
        self._select_in_outline(data.path)
        self._enable(True)
        self.changed.emit()

    def _show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def _check_fonts(self, data: PageData) -> None:
        from ui.fonts import missing_scripts, notice

        if data.kind == "quiz" and data.quiz is not None:
            quiz = data.quiz
            parts = [quiz.title, quiz.intro]
            for q in quiz.questions:
                parts += [q.text, q.explanation, *q.choices]
            text = "\n".join(parts)
        else:
            text = self.browser.document().toPlainText()
        missing = missing_scripts(data.title + "\n" + text)
        self.font_notice.setText(notice(missing) if missing else "")
        self.font_notice.setVisible(bool(missing))

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
        elif scheme == "satchel-pack":
            self._pack_link(urllib.parse.unquote(url.path()), url.fragment())
        elif scheme == "satchel-external":
            dialog = ExternalLinkDialog(external_address(url), self.session.clipboard.copy, self)
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.open()
        elif scheme == "satchel-media":
            show_error(self, tr("Satchel cannot show this kind of file."))
        elif not scheme and url.fragment():
            self.browser.scrollToAnchor(url.fragment())

    def _pack_link(self, target: str, fragment: str) -> None:
        pack_id, _, path = target.partition("/")
        if not pack_id or not path:
            return
        current = self.pack_id
        self.session.op(lambda c: _pack_page(c.vault, current, pack_id, path)).success(
            lambda r: self._pack_link_ready(pack_id, path, fragment, r)
        ).run()

    def _pack_link_ready(self, pack_id: str, path: str, fragment: str, result: tuple[str, bool, str]) -> None:
        title, has_page, state = result
        name = isolate(clean(title, 300))
        if state == "missing":
            self._show_notice(tr(
                "This link leads to the pack \u201c{title}\u201d ({pack}), which is not in your library. Ask "
                "the person who gave you this pack for it.", title=name, pack=isolate(clean(pack_id, 130), False)))
        elif not has_page:
            self._show_notice(tr("The pack \u201c{title}\u201d in your library does not have this page; it may "
                                 "be another edition.", title=name))
        else:
            self.open(pack_id, path, fragment)

    # -- the learner's traces ------------------------------------------------------

    def _ticked(self, index: int, on: bool) -> None:
        from app.progress import set_tick

        data = self.data
        if data is None or not 0 <= index < len(data.checklist):
            return
        key = data.checklist[index].key
        if index < len(data.ticks):
            data.ticks[index] = on
        self._write(lambda v, p, q: set_tick(v, p, q, key, on))

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

    def reload(self) -> None:
        """Read the open pack again (another Satchel changed the library): its outline,
        and the page shown if it is still there."""
        if self.pack_id is not None:
            pack_id, path = self.pack_id, self.path
            self.flush()
            self.pages = []
            self.open(pack_id, path)

    def close_pack(self) -> None:
        """The open pack was removed: forget it, and what was still unsaved on it."""
        self._note_dirty = False
        self.teardown()
        if self.quiz is not None:
            self.content.removeWidget(self.quiz)
            self.quiz.deleteLater()
            self.quiz = None
        self.pack_id, self.path, self.pages = None, None, []
        self._enable(False)

    def teardown(self) -> None:
        """Forget every piece of content this view shows (lock, panic)."""
        self._note_timer.stop()
        self._scroll_timer.stop()
        self.finder.teardown()
        self.browser.clear_page()
        for w in (self.meta, self.notice, self.about):
            w.clear()
            w.setVisible(False)
        self.note.blockSignals(True)
        self.note.clear()
        self.outline.clear()
        self.title.clear()
        self.page_number.clear()
        self.font_notice.clear()
        self.data = None


_TRANSLATION = {
    "original": N_("Original edition"),
    "translated": N_("Translated"),
    "reviewed": N_("Translated and reviewed"),
    "machine-assisted": N_("Machine-assisted translation"),
}


# Qt names a language without a region after its default region ("American English").
_PLAIN_NAMES = {"en": "English", "es": "español", "pt": "português"}


def language_name(tag: str) -> str:
    """A language tag's name in that language ("fr" -> "français"), or the tag itself."""
    parts = tag.replace("_", "-").split("-")
    if len(parts) == 1 and parts[0].lower() in _PLAIN_NAMES:
        return _PLAIN_NAMES[parts[0].lower()]
    return QLocale(tag.replace("-", "_")).nativeLanguageName() or tag


def pack_about(pack: Any) -> str:
    """What the pack says about itself, one line each, as plain text."""
    lines = []
    if pack.translation in _TRANSLATION:
        line = tr(_TRANSLATION[pack.translation])
        if pack.translated_from and pack.translation != "original":
            name = language_name(pack.translated_from)
            line = tr("{status} (original: {language})", status=line, language=isolate(clean(name, 60)))
        lines.append(line)
    if pack.licence:
        lines.append(tr("Licence: {licence}", licence=isolate(clean(pack.licence, 200))))
    if pack.attribution:
        lines.append(tr("Credit: {text}", text=isolate(clean(pack.attribution, 2000))))
    return "\n".join(lines)


_META = {
    "author": N_("By {value}"),
    "duration": N_("Time: {value}"),
    "level": N_("Level: {value}"),
    "licence": N_("Licence: {licence}"),
    "tags": N_("Topics: {value}"),
}


def page_about(meta: list[tuple[str, str]]) -> str:
    """A page's front-matter fields on one line, as plain text."""
    parts = []
    for name, value in meta:
        text = isolate(clean(value, 300))
        parts.append(tr(_META[name], licence=text) if name == "licence" else tr(_META[name], value=text))
    return " \u00b7 ".join(parts)
