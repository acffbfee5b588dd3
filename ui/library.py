"""The library: where one left off, bookmarks, and the packs, sorted and filtered.

Each pack shows its publisher and how it was verified (a key on the publisher's signed
trust list, a key the learner trusted by hand, or the published sample key: "Sample"),
and each course its progress. Everything is read on the worker and shown as plain text.

Sorting (by language, the default, grouped by language and kind; by kind; by title; by
when a pack was last opened or imported), the filter box and the language filter work on
what was read, without asking the vault again, and are kept only in this view (nothing is
remembered on disk). The Progress column always fits: the title and the publisher give
way (elided, the whole title in the tooltip), never the progress.

"Add packs" (pack files, a folder of packs, the starter set, trusting a trainer's key)
and "Remove..." are ui/library_actions.py.
"""

from __future__ import annotations

import html
import unicodedata
from typing import Any

from ui.i18n import N_, tr
from ui.library_actions import LibraryActions
from ui.qt import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QKeySequence,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QLocale,
    QShortcut,
    QSplitter,
    Qt,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.session import Session
from ui.widgets import clean, heading, isolate, label, push

PACK_ROLE = Qt.ItemDataRole.UserRole
PAGE_ROLE = Qt.ItemDataRole.UserRole + 1
COL_TITLE, COL_PUBLISHER, COL_TRUST, COL_PROGRESS, COL_LANGUAGE = range(5)

KINDS = {"course": N_("Courses"), "guide": N_("Guides")}
TRUST = {  # (short label, full explanation)
    "list": (N_("Verified publisher"), N_("Verified: signed by a publisher on Satchel's signed trust list")),
    "manual": (N_("Trusted by you"), N_("Verified: signed by a key you chose to trust")),
    "sample": (N_("Sample"), N_("Sample content: signed with the public sample key, which anyone could use")),
}
SORTS = (("language", N_("By language")), ("kind", N_("By kind")), ("title", N_("By title")),
         ("opened", N_("Recently opened")), ("imported", N_("Recently imported")))


def language_name(code: str) -> str:
    """A language's own name for itself ("العربية" for ar), or the code if Qt has none."""
    locale = QLocale(code.replace("-", "_"))
    if locale.language() == QLocale.Language.C:
        return code
    if code == "en":
        return "English (en)"  # Qt calls bare "en" "American English"
    name = locale.nativeLanguageName()
    return f"{name} ({code})" if name else code


def load_library(vault: Any) -> dict[str, Any]:
    """Worker: packs, course progress, where one left off, bookmarks, when each was opened."""
    from app import library, progress

    packs = library.list_packs(vault)
    course = {p.id: progress.course_progress(vault, p.id) for p in packs if p.kind == "course"}
    last = progress.last_read(vault)
    last_info = None
    if last is not None:
        page = library.get_page(vault, *last)
        pack = library.get_pack(vault, last[0])
        if page is not None and pack is not None:
            last_info = (last[0], last[1], page.title, pack.title)
    titles = {p.id: p.title for p in packs}
    marks = [(p, q, t, titles.get(p, "")) for p, q, t in progress.bookmarks(vault)]
    from app.trust import TrustStore

    return {"packs": packs, "course": course, "last": last_info, "bookmarks": marks,
            "opened": library.last_opened(vault), "trust_expired": TrustStore(vault).expired_on()}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def arrange(data: dict[str, Any], sort: str, query: str, language: str | None) -> list[Any]:
    """The packs to show, filtered and in order (groups are made by the view)."""
    words = _fold(query).split()
    packs = []
    for p in data["packs"]:
        if language is not None and p.language != language:
            continue
        haystack = _fold(f"{p.title} {p.signer_name} {p.id}")
        if all(w in haystack for w in words):
            packs.append(p)
    by_title = sorted(packs, key=lambda p: (_fold(p.title), p.id))
    if sort == "opened":
        opened = data.get("opened", {})
        return sorted(by_title, key=lambda p: -opened.get(p.id, 0))
    if sort == "imported":
        return sorted(by_title, key=lambda p: -p.imported_at)
    if sort == "kind":
        return sorted(by_title, key=lambda p: (p.kind != "course", p.kind))
    if sort == "language":
        return sorted(by_title, key=lambda p: (p.language, p.kind))
    return by_title


class LibraryView(QWidget):
    open_requested = Signal(str, object)  # pack id, page path or None

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("library")
        self.session = session
        self.actions = LibraryActions(session, self)
        self._data: dict[str, Any] = {"packs": [], "course": {}, "last": None, "bookmarks": [], "opened": {}}
        self.continue_label = label(tr("You have not started reading yet."))
        self.continue_button = push(tr("&Continue reading"))
        self.continue_button.setEnabled(False)
        self.continue_button.clicked.connect(self._continue)
        self._last: tuple[str, str] | None = None

        self.filter_box = QLineEdit()
        self.filter_box.setPlaceholderText(tr("Filter the library"))
        self.filter_box.setAccessibleName(tr("Filter the library"))
        self.filter_box.setClearButtonEnabled(True)
        self.language_box = QComboBox()
        self.language_box.setAccessibleName(tr("Language"))
        self.sort_box = QComboBox()
        self.sort_box.setAccessibleName(tr("Sort"))
        for key, text in SORTS:
            self.sort_box.addItem(tr(text), key)
        for box in (self.language_box, self.sort_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.add_button = push(tr("Add packs"))
        self.add_button.setMenu(self.actions.menu(self.add_button))
        self.remove_button = push(tr("Remove..."), tr("Remove the chosen pack"))
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self.remove_current)
        self.notice = label("")
        self.notice.setVisible(False)
        # A trust list past its expiry stays in force, but revocations may be withheld.
        self.trust_notice = label("")
        self.trust_notice.setObjectName("notice")
        self.trust_notice.setVisible(False)

        self.tree = QTreeWidget()
        self.tree.setAccessibleName(tr("Packs"))
        self.tree.setColumnCount(5)
        self.tree.setHeaderLabels([tr("Title"), tr("Publisher"), tr("Verification"), tr("Progress"), tr("Language")])
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.tree.header()
        # The title and the publisher give way (elided); verification, progress and the
        # language are always whole, and _fit() keeps the tree wide enough for them.
        header.setSectionResizeMode(COL_TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_PUBLISHER, QHeaderView.ResizeMode.Stretch)
        for col in (COL_TRUST, COL_PROGRESS, COL_LANGUAGE):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(60)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tree.itemActivated.connect(self._activated)
        self.tree.itemDoubleClicked.connect(self._activated)
        self.tree.currentItemChanged.connect(lambda *_: self._update_remove())
        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.tree)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.remove_current)

        self.marks = QListWidget()
        self.marks.setAccessibleName(tr("Bookmarks"))
        self.marks.itemActivated.connect(self._mark_activated)
        self.marks.itemDoubleClicked.connect(self._mark_activated)
        self.empty = label("")

        top = QHBoxLayout()
        top.addWidget(self.continue_label, 1)
        top.addWidget(self.continue_button)
        tools = QHBoxLayout()
        tools.addWidget(self.filter_box, 1)
        tools.addWidget(self.language_box)
        tools.addWidget(self.sort_box)
        tools.addWidget(self.add_button)
        tools.addWidget(self.remove_button)
        left = QWidget()
        lcol = QVBoxLayout(left)
        lcol.setContentsMargins(0, 0, 0, 0)
        lcol.addWidget(heading(tr("Library"), level=2))
        lcol.addLayout(tools)
        lcol.addWidget(self.notice)
        lcol.addWidget(self.trust_notice)
        lcol.addWidget(self.tree)
        lcol.addWidget(self.empty)
        right = QWidget()
        rcol = QVBoxLayout(right)
        rcol.setContentsMargins(0, 0, 0, 0)
        rcol.addWidget(heading(tr("Bookmarks"), level=2))
        rcol.addWidget(self.marks)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([760, 240])
        split.setChildrenCollapsible(False)
        col = QVBoxLayout(self)
        col.addLayout(top)
        col.addWidget(split, 1)
        self.setFocusProxy(self.tree)
        self.filter_box.textChanged.connect(lambda _t: self._populate())
        self.language_box.currentIndexChanged.connect(lambda _i: self._populate())
        self.sort_box.currentIndexChanged.connect(lambda _i: self._populate())
        self.actions.removed.connect(self._removed)

    def refresh(self) -> None:
        self.session.op(lambda c: load_library(c.vault)).latest("library").success(self._show).run()

    def say(self, text: str) -> None:
        """A sentence above the packs (a pack removed, for instance); empty hides it."""
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    # -- showing -------------------------------------------------------------------

    def _show(self, data: dict[str, Any]) -> None:
        self._data = data
        expired = data.get("trust_expired")
        self.trust_notice.setText(tr(
            "Your list of trusted keys expired on {day}. Keys withdrawn since then may be missing "
            "from it: import a recent pack, a stick or a sync to get a newer one.", day=expired) if expired else "")
        self.trust_notice.setVisible(bool(expired))
        self._fill_languages()
        self._populate()
        self.empty.setText("" if data["packs"] else tr("The library is empty."))
        self._last = None
        last = data["last"]
        if last is not None:
            self._last = (last[0], last[1])
            self.continue_label.setText(
                tr(
                    "You left off at “{page}” in “{pack}”.",
                    page=isolate(clean(last[2])),
                    pack=isolate(clean(last[3])),
                )
            )
            self.continue_button.setText(tr("&Continue reading"))
        else:
            self.continue_label.setText(tr("You have not started reading yet."))
        self.continue_button.setEnabled(self._last is not None)
        self.marks.clear()
        for pack_id, path, title, pack_title in data["bookmarks"]:
            item = QListWidgetItem(f"{isolate(clean(title))} — {isolate(clean(pack_title))}")
            item.setData(PACK_ROLE, pack_id)
            item.setData(PAGE_ROLE, path)
            self.marks.addItem(item)
        if not data["bookmarks"]:
            item = QListWidgetItem(tr("No bookmarks yet."))
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.marks.addItem(item)

    def _fill_languages(self) -> None:
        chosen = self.language_box.currentData()
        codes = sorted({p.language for p in self._data["packs"]}, key=lambda c: language_name(clean(c, 40)))
        self.language_box.blockSignals(True)
        self.language_box.clear()
        self.language_box.addItem(tr("All languages"), None)
        for code in codes:
            self.language_box.addItem(language_name(clean(code, 40)), code)
        index = self.language_box.findData(chosen) if chosen is not None else 0
        self.language_box.setCurrentIndex(max(index, 0))
        self.language_box.blockSignals(False)

    def _item(self, p: Any) -> QTreeWidgetItem:
        publisher = clean(p.signer_name) or tr("Key {key}", key=clean(p.signer)[:16])
        short, full = TRUST["sample"] if p.sample else TRUST.get(p.trust_source, TRUST["manual"])
        progress = ""
        if p.kind == "course":
            done, total = self._data["course"].get(p.id, (0, 0))
            progress = tr("{done} of {total} done", done=done, total=total)
        title = clean(p.title)
        item = QTreeWidgetItem([isolate(title), publisher, tr(short), progress, language_name(clean(p.language, 40))])
        item.setData(COL_TITLE, Qt.ItemDataRole.AccessibleTextRole, title)
        item.setData(COL_TITLE, PACK_ROLE, p.id)
        item.setToolTip(COL_TITLE, f"<p>{html.escape(title)}</p>")  # escaped: never markup from a pack
        item.setToolTip(COL_TRUST, tr(full))
        item.setData(COL_TRUST, Qt.ItemDataRole.AccessibleDescriptionRole, tr(full))
        return item

    def _group(self, parent: QTreeWidgetItem | None, text: str) -> QTreeWidgetItem:
        group = QTreeWidgetItem([text])
        group.setFlags(Qt.ItemFlag.ItemIsEnabled)
        if parent is None:
            self.tree.addTopLevelItem(group)
        else:
            parent.addChild(group)
        return group

    def _populate(self) -> None:
        current = self.current_pack()
        sort = self.sort_box.currentData() or "language"
        packs = arrange(self._data, sort, self.filter_box.text(), self.language_box.currentData())
        self.tree.clear()
        groups: dict[tuple[str, ...], QTreeWidgetItem] = {}
        for p in packs:
            kind_name = tr(KINDS.get(p.kind, KINDS["guide"]))
            if sort == "language":
                lang = groups.get((p.language,))
                if lang is None:
                    lang = groups[(p.language,)] = self._group(None, language_name(clean(p.language, 40)))
                parent: QTreeWidgetItem | None = groups.get((p.language, kind_name))
                if parent is None:
                    parent = groups[(p.language, kind_name)] = self._group(lang, kind_name)
            elif sort == "kind":
                parent = groups.get((kind_name,))
                if parent is None:
                    parent = groups[(kind_name,)] = self._group(None, kind_name)
            else:
                parent = None
            item = self._item(p)
            if parent is None:
                self.tree.addTopLevelItem(item)
            else:
                parent.addChild(item)
            if p.id == current:
                self.tree.setCurrentItem(item)
        self.tree.setColumnHidden(COL_LANGUAGE, sort == "language")
        self.tree.expandAll()
        if self._data["packs"] and not packs:
            self.empty.setText(tr("No pack matches the filter."))
        elif self._data["packs"]:
            self.empty.setText("")
        self._fit()
        self._update_remove()

    def _fit(self) -> None:
        """Keep the tree wide enough for the columns that must stay whole."""
        header = self.tree.header()
        whole = sum(self.tree.sizeHintForColumn(c) for c in (COL_TRUST, COL_PROGRESS, COL_LANGUAGE)
                    if not self.tree.isColumnHidden(c))
        whole = max(whole, sum(header.sectionSizeHint(c) for c in (COL_TRUST, COL_PROGRESS)))
        frame = 2 * self.tree.frameWidth() + self.tree.verticalScrollBar().sizeHint().width()
        self.tree.setMinimumWidth(whole + 2 * header.minimumSectionSize() + frame + 24)

    # -- choosing ------------------------------------------------------------------

    def current_pack(self) -> str | None:
        item = self.tree.currentItem()
        value = item.data(COL_TITLE, PACK_ROLE) if item is not None else None
        return value if isinstance(value, str) else None

    def _update_remove(self) -> None:
        self.remove_button.setEnabled(self.current_pack() is not None)

    def remove_current(self) -> None:
        pack_id = self.current_pack()
        if pack_id is not None:
            self.say("")
            self.actions.remove(pack_id)

    def _removed(self, pack_id: str) -> None:
        title = next((p.title for p in self._data["packs"] if p.id == pack_id), pack_id)
        self.say(tr("“{title}” was removed from your library, with your progress and notes in it.",
                    title=isolate(clean(title))))
        self.refresh()

    def _activated(self, item: QTreeWidgetItem, _col: int = 0) -> None:
        pack_id = item.data(COL_TITLE, PACK_ROLE)
        if pack_id:
            self.open_requested.emit(pack_id, None)

    def _mark_activated(self, item: QListWidgetItem) -> None:
        pack_id = item.data(PACK_ROLE)
        if pack_id:
            self.open_requested.emit(pack_id, item.data(PAGE_ROLE))

    def _continue(self) -> None:
        if self._last is not None:
            self.open_requested.emit(*self._last)

    def teardown(self) -> None:
        self._data = {"packs": [], "course": {}, "last": None, "bookmarks": [], "opened": {}}
        self.tree.clear()
        self.marks.clear()
        self.language_box.clear()
        self.filter_box.clear()
        self.notice.clear()
        self.continue_label.clear()
