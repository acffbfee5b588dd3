"""Search: one box, results as you type, found off the GUI thread.

Typing waits 150 ms for a pause, then searches on the worker; a newer query supersedes
an older one, so results never arrive out of order. Next to the box, a language and a
pack filter narrow the search. Each hit shows its page title, the pack it comes from,
the pack's language and the chapter, laid out in the hit's own direction, and a snippet
of plain text with the matches highlighted. A query that finds nothing offers a
spelling from the library's own words ("Did you mean ...?").

The hit's texts are untrusted: they are escaped piece by piece and only our own <b>,
<span> and highlight markup is added, so nothing from a pack is ever interpreted as
rich text. The query and the filters live only in this view's memory: never stored,
never logged, gone when the session ends.
"""

from __future__ import annotations

import html
from typing import Any

from ui.i18n import tr
from ui.library import language_name
from ui.qt import (
    QAbstractTextDocumentLayout,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QModelIndex,
    QPalette,
    QSize,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    Qt,
    QTextDocument,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.session import Session
from ui.widgets import button_text, clean, isolate, label, push

HTML_ROLE = Qt.ItemDataRole.UserRole
HIT_ROLE = Qt.ItemDataRole.UserRole + 1
DEBOUNCE_MS = 150
LIMIT = 50


def snippet_html(snippet: str, spans: list[tuple[int, int]], mark: str) -> str:
    """Escaped snippet with spans wrapped in highlight markup (spans index `snippet`)."""
    out: list[str] = []
    pos = 0
    for start, end in sorted((max(0, int(s)), min(len(snippet), int(e))) for s, e in spans):
        if start < pos or end <= start:
            continue
        out.append(html.escape(snippet[pos:start]))
        out.append(f'<span style="{mark}"><b>{html.escape(snippet[start:end])}</b></span>')
        pos = end
    out.append(html.escape(snippet[pos:]))
    return "".join(out)


def hit_source(hit: Any) -> str:
    """"Pack title · Language · Chapter", each part isolated in its own direction."""
    parts = [clean(hit.pack_title, 300), language_name(clean(hit.language, 40))]
    if clean(hit.chapter, 300):
        parts.append(clean(hit.chapter, 300))
    return " · ".join(isolate(p) for p in parts if p)


def hit_html(hit: Any, mark: str, rtl: bool) -> str:
    direction = "rtl" if rtl else "ltr"
    title = html.escape(clean(hit.title))
    source = html.escape(hit_source(hit))
    body = snippet_html(clean(hit.snippet, 1000), list(hit.spans), mark)
    # Arabic-script typography has no italics (many fonts slant nothing or show boxes).
    source = source if rtl else f"<i>{source}</i>"
    return f'<div dir="{direction}"><b>{title}</b><br/>{source}<br/>{body}</div>'


class HtmlDelegate(QStyledItemDelegate):
    """Paints our escaped HTML for an item; the item's plain text stays for accessibility."""

    def _doc(self, option: QStyleOptionViewItem, index: QModelIndex) -> QTextDocument:
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setHtml(index.data(HTML_ROLE) or "")
        doc.setTextWidth(max(option.rect.width(), 200))
        return doc

    def paint(self, painter: Any, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        doc = self._doc(option, index)
        ctx = QAbstractTextDocumentLayout.PaintContext()
        if option.state & QStyle.StateFlag.State_Selected:
            ctx.palette.setColor(
                QPalette.ColorRole.Text, option.palette.color(QPalette.ColorRole.HighlightedText)
            )
        else:
            ctx.palette.setColor(QPalette.ColorRole.Text, option.palette.color(QPalette.ColorRole.Text))
        painter.save()
        painter.translate(option.rect.topLeft())
        doc.documentLayout().draw(painter, ctx)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        doc = self._doc(option, index)
        return QSize(int(doc.idealWidth()), int(doc.size().height()) + 6)


def load_filters(vault: Any) -> list[tuple[str, str, str]]:
    """Worker: (pack id, title, language) of every pack, for the filters."""
    from app.library import list_packs

    return [(p.id, p.title, p.language) for p in list_packs(vault)]


def run_search(vault: Any, query: str, lang: str | None, pack: str | None) -> tuple[list[Any], str | None]:
    """Worker: the hits, and a suggestion when there are none."""
    from app.search import search, suggest

    hits = search(vault, query, limit=LIMIT, lang=lang, pack=pack)
    return hits, (suggest(vault, query, lang=lang, pack=pack) if not hits else None)


class SearchView(QWidget):
    open_requested = Signal(str, object)  # pack id, page path
    suggestion_chosen = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("search")
        self.session = session
        self.query = ""
        self.packs: list[tuple[str, str, str]] = []
        self.suggestion: str | None = None
        self.status = label("")
        self.status.setAccessibleName(tr("Search status"))
        self.suggest_button = push("", tr("Suggested spelling"))
        self.suggest_button.setVisible(False)
        self.suggest_button.clicked.connect(self._take_suggestion)
        self.results = QListWidget()
        self.results.setAccessibleName(tr("Search results"))
        self.results.setItemDelegate(HtmlDelegate(self.results))
        self.results.setWordWrap(True)
        self.results.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.results.itemActivated.connect(self._activated)
        self.results.itemClicked.connect(self._activated)

        # The filters sit in the session's bar, next to the search box (ui/sessionview.py).
        self.lang_filter = QComboBox()
        self.lang_filter.setAccessibleName(tr("Language filter"))
        self.lang_filter.setToolTip(tr("Search only pages in this language"))
        self.pack_filter = QComboBox()
        self.pack_filter.setAccessibleName(tr("Pack filter"))
        self.pack_filter.setToolTip(tr("Search only this pack"))
        self.pack_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.pack_filter.setMinimumContentsLength(16)
        self.filters = QWidget()
        row = QHBoxLayout(self.filters)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.lang_filter)
        row.addWidget(self.pack_filter)
        self.filters.setVisible(False)
        self._fill_filters()
        self.lang_filter.currentIndexChanged.connect(self._lang_changed)
        self.pack_filter.currentIndexChanged.connect(lambda _i: self._filters_changed())

        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.suggest_button)
        col = QVBoxLayout(self)
        col.addLayout(top)
        col.addWidget(self.results, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._run)
        self.searching = False

    # -- filters -------------------------------------------------------------------

    def refresh_filters(self) -> None:
        """Read the packs for the filters again (on the worker)."""
        self.session.op(lambda c: load_filters(c.vault)).latest("search-filters").success(self._packs_loaded).run()

    def _packs_loaded(self, packs: list[tuple[str, str, str]]) -> None:
        self.packs = packs
        self._fill_filters()

    @property
    def lang(self) -> str | None:
        value = self.lang_filter.currentData()
        return str(value) if value else None

    @property
    def pack(self) -> str | None:
        value = self.pack_filter.currentData()
        return str(value) if value else None

    def _fill_filters(self) -> None:
        lang, pack = self.lang, self.pack
        self.lang_filter.blockSignals(True)
        self.lang_filter.clear()
        self.lang_filter.addItem(tr("All languages"), None)
        for code in sorted({language for _, _, language in self.packs}):
            self.lang_filter.addItem(language_name(clean(code, 40)), code)
        self.lang_filter.setCurrentIndex(max(0, self.lang_filter.findData(lang)) if lang else 0)
        self.lang_filter.blockSignals(False)
        self._fill_packs(pack)

    def _fill_packs(self, pack: str | None) -> None:
        lang = self.lang
        self.pack_filter.blockSignals(True)
        self.pack_filter.clear()
        self.pack_filter.addItem(tr("All packs"), None)
        for pack_id, title, language in sorted(self.packs, key=lambda p: (p[2], p[1].casefold(), p[0])):
            if lang is None or language == lang:
                self.pack_filter.addItem(button_text(clean(title, 200)), pack_id)
        self.pack_filter.setCurrentIndex(max(0, self.pack_filter.findData(pack)) if pack else 0)
        self.pack_filter.blockSignals(False)

    def _lang_changed(self, _index: int) -> None:
        self._fill_packs(self.pack)
        self._filters_changed()

    def _filters_changed(self) -> None:
        if self.query.strip():
            self._timer.start()

    # -- searching -----------------------------------------------------------------

    def set_query(self, text: str) -> None:
        self.query = text
        self._timer.start()

    def _run(self) -> None:
        query = self.query
        if not query.strip():
            self.results.clear()
            self.status.setText("")
            self._set_suggestion(None)
            return
        lang, pack = self.lang, self.pack
        self.searching = True
        self.session.op(lambda c: run_search(c.vault, query, lang, pack)).latest("search").success(
            lambda found: self._show(query, lang, pack, *found)
        ).failure(lambda _e: self._show(query, lang, pack, [], None)).run()

    def _show(self, query: str, lang: str | None, pack: str | None, hits: list[Any],
              suggestion: str | None) -> None:
        self.searching = False
        if (query, lang, pack) != (self.query, self.lang, self.pack):
            return
        self.results.clear()
        # The palette's own selection colours: readable in every theme, high contrast too.
        pal = self.palette()
        mark = (
            f"background-color:{pal.color(QPalette.ColorRole.Highlight).name()};"
            f"color:{pal.color(QPalette.ColorRole.HighlightedText).name()}"
        )
        from app.library import direction

        for hit in hits:
            plain = f"{clean(hit.title)} ({hit_source(hit)}): {clean(hit.snippet, 1000)}"
            item = QListWidgetItem(plain)
            item.setData(HTML_ROLE, hit_html(hit, mark, direction(hit.language) == "rtl"))
            item.setData(HIT_ROLE, (hit.pack, hit.page))
            item.setData(Qt.ItemDataRole.AccessibleTextRole, plain)
            self.results.addItem(item)
        if hits:
            self.status.setText(tr("Pages found: {count}", count=len(hits)))
        else:
            self.status.setText(tr("Nothing found. Try fewer or other words."))
        self._set_suggestion(suggestion)

    def _set_suggestion(self, suggestion: str | None) -> None:
        self.suggestion = suggestion
        if suggestion:
            self.suggest_button.setText(button_text(tr("Did you mean: {words}?", words=isolate(clean(suggestion)))))
            self.suggest_button.setAccessibleName(tr("Search for {words} instead", words=clean(suggestion)))
        self.suggest_button.setVisible(bool(suggestion))

    def _take_suggestion(self) -> None:
        if self.suggestion:
            self.suggestion_chosen.emit(self.suggestion)

    def _activated(self, item: QListWidgetItem) -> None:
        hit = item.data(HIT_ROLE)
        if hit:
            self.open_requested.emit(hit[0], hit[1])

    def teardown(self) -> None:
        self._timer.stop()
        self.query = ""
        self.results.clear()
        self.status.clear()
        self._set_suggestion(None)
        self.packs = []
        self._fill_filters()
