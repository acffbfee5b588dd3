"""The library: where one left off, bookmarks, and the packs grouped by language and kind.

Each pack shows its publisher and how it was verified (a key on the publisher's signed
trust list, a key the learner trusted by hand, or the published sample key: "Sample"),
and each course its progress. Everything is read on the worker and shown as plain text.
"""

from __future__ import annotations

from typing import Any

from ui.i18n import N_, tr
from ui.qt import (
    QHBoxLayout,
    QHeaderView,
    QListWidget,
    QListWidgetItem,
    QLocale,
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

KINDS = {"course": N_("Courses"), "guide": N_("Guides")}
TRUST = {  # (short label, full explanation)
    "list": (N_("Verified publisher"), N_("Verified: signed by a publisher on Satchel's signed trust list")),
    "manual": (N_("Trusted by you"), N_("Verified: signed by a key you chose to trust")),
    "sample": (N_("Sample"), N_("Sample content: signed with the public sample key, which anyone could use")),
}


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
    """Worker: packs, course progress, where one left off, bookmarks."""
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
    return {"packs": packs, "course": course, "last": last_info, "bookmarks": marks}


class LibraryView(QWidget):
    open_requested = Signal(str, object)  # pack id, page path or None

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("library")
        self.session = session
        self.continue_label = label(tr("You have not started reading yet."))
        self.continue_button = push(tr("&Continue reading"))
        self.continue_button.setEnabled(False)
        self.continue_button.clicked.connect(self._continue)
        self._last: tuple[str, str] | None = None

        self.tree = QTreeWidget()
        self.tree.setAccessibleName(tr("Packs"))
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels([tr("Title"), tr("Publisher"), tr("Verification"), tr("Progress")])
        header = self.tree.header()
        # The title is what matters: always whole; the publisher gives way (then a scroll bar).
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for col in (2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(80)
        self.tree.itemActivated.connect(self._activated)
        self.tree.itemDoubleClicked.connect(self._activated)

        self.marks = QListWidget()
        self.marks.setAccessibleName(tr("Bookmarks"))
        self.marks.itemActivated.connect(self._mark_activated)
        self.marks.itemDoubleClicked.connect(self._mark_activated)
        self.empty = label("")

        top = QHBoxLayout()
        top.addWidget(self.continue_label, 1)
        top.addWidget(self.continue_button)
        left = QWidget()
        lcol = QVBoxLayout(left)
        lcol.setContentsMargins(0, 0, 0, 0)
        lcol.addWidget(heading(tr("Library"), level=2))
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
        col = QVBoxLayout(self)
        col.addLayout(top)
        col.addWidget(split, 1)
        self.setFocusProxy(self.tree)

    def refresh(self) -> None:
        self.session.op(lambda c: load_library(c.vault)).latest("library").success(self._show).run()

    def _show(self, data: dict[str, Any]) -> None:
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for p in data["packs"]:
            lang = groups.get(p.language)
            if lang is None:
                lang = groups[p.language] = QTreeWidgetItem([language_name(clean(p.language, 40))])
                lang.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.tree.addTopLevelItem(lang)
            kind_name = tr(KINDS.get(p.kind, KINDS["guide"]))
            kind = next(
                (lang.child(i) for i in range(lang.childCount()) if lang.child(i).text(0) == kind_name), None
            )
            if kind is None:
                kind = QTreeWidgetItem([kind_name])
                kind.setFlags(Qt.ItemFlag.ItemIsEnabled)
                lang.addChild(kind)
            publisher = clean(p.signer_name) or tr("Key {key}", key=clean(p.signer)[:16])
            short, full = TRUST["sample"] if p.sample else TRUST.get(p.trust_source, TRUST["manual"])
            progress = ""
            if p.kind == "course":
                done, total = data["course"].get(p.id, (0, 0))
                progress = tr("{done} of {total} done", done=done, total=total)
            item = QTreeWidgetItem([isolate(clean(p.title)), publisher, tr(short), progress])
            item.setData(0, Qt.ItemDataRole.AccessibleTextRole, clean(p.title))
            item.setData(0, PACK_ROLE, p.id)
            item.setToolTip(2, tr(full))
            item.setData(2, Qt.ItemDataRole.AccessibleDescriptionRole, tr(full))
            kind.addChild(item)
        self.tree.expandAll()
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

    def _activated(self, item: QTreeWidgetItem, _col: int = 0) -> None:
        pack_id = item.data(0, PACK_ROLE)
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
        self.tree.clear()
        self.marks.clear()
        self.continue_label.clear()
