"""Search: one box, results as you type, found off the GUI thread.

Typing waits 150 ms for a pause, then searches on the worker; a newer query supersedes
an older one, so results never arrive out of order. Each hit shows its page title and a
snippet with the matches highlighted. The snippet is untrusted text: it is escaped
piece by piece and only our own <b> and highlight markup is added, so nothing from a
pack is ever interpreted as rich text. The query itself is never stored or logged.
"""

from __future__ import annotations

import html
from typing import Any

from ui.i18n import tr
from ui.qt import (
    QAbstractTextDocumentLayout,
    QApplication,
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
from ui.widgets import clean, label

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


def hit_html(hit: Any, mark: str, rtl: bool) -> str:
    direction = "rtl" if rtl else "ltr"
    title = html.escape(clean(hit.title))
    body = snippet_html(clean(hit.snippet, 1000), list(hit.spans), mark)
    return f'<div dir="{direction}"><b>{title}</b><br/>{body}</div>'


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


class SearchView(QWidget):
    open_requested = Signal(str, object)  # pack id, page path

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("search")
        self.session = session
        self.query = ""
        self.status = label("")
        self.status.setAccessibleName(tr("Search status"))
        self.results = QListWidget()
        self.results.setAccessibleName(tr("Search results"))
        self.results.setItemDelegate(HtmlDelegate(self.results))
        self.results.setWordWrap(True)
        self.results.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.results.itemActivated.connect(self._activated)
        self.results.itemClicked.connect(self._activated)
        col = QVBoxLayout(self)
        col.addWidget(self.status)
        col.addWidget(self.results, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._run)
        self.searching = False

    def set_query(self, text: str) -> None:
        self.query = text
        self._timer.start()

    def _run(self) -> None:
        query = self.query
        if not query.strip():
            self.results.clear()
            self.status.setText("")
            return
        from app.search import search

        self.searching = True
        self.session.op(lambda c: search(c.vault, query, limit=LIMIT)).latest("search").success(
            lambda hits: self._show(query, hits)
        ).failure(lambda _e: self._show(query, [])).run()

    def _show(self, query: str, hits: list[Any]) -> None:
        self.searching = False
        if query != self.query:
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
            plain = f"{clean(hit.title)}: {clean(hit.snippet, 1000)}"
            item = QListWidgetItem(plain)
            item.setData(HTML_ROLE, hit_html(hit, mark, direction(hit.language) == "rtl"))
            item.setData(HIT_ROLE, (hit.pack, hit.page))
            item.setData(Qt.ItemDataRole.AccessibleTextRole, plain)
            self.results.addItem(item)
        if hits:
            self.status.setText(tr("Pages found: {count}", count=len(hits)))
        else:
            self.status.setText(tr("Nothing found. Try fewer or other words."))

    def _activated(self, item: QListWidgetItem) -> None:
        hit = item.data(HIT_ROLE)
        if hit:
            self.open_requested.emit(hit[0], hit[1])

    def teardown(self) -> None:
        self._timer.stop()
        self.query = ""
        self.results.clear()
        self.status.clear()
