""""What's new" after an import, from any channel (a USB stick, pack files, a folder, the
starter set, and Tor sync later): `show_whats_new(parent, session, results, failures)`
takes the ImportResults of content_packs.importer and the files that did not import.

Guarantees:
- The changes are read on the worker from what each import recorded in the vault
  (app.changes): new packs; updated packs with the pages added, changed and removed
  against the version they replaced. Nothing is computed from the files again.
- Everything from a pack (titles, page titles) is shown as plain text through clean();
  a file that did not import is shown by its name and one sentence.
- Activating a new pack, or an added or changed page, opens it in the reader.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ui.i18n import tr
from ui.qt import QDialog, QHBoxLayout, Qt, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget, Signal
from ui.session import Session
from ui.widgets import clean, heading, isolate, label, push

PACK_ROLE = Qt.ItemDataRole.UserRole
PAGE_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass
class Entry:
    pack_id: str
    title: str
    language: str
    version: int
    previous_version: int | None
    added: list[tuple[str, str]] = field(default_factory=list)
    changed: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    pages: int = 0


def load_entries(vault: Any, results: Sequence[Any]) -> list[Entry]:
    """Worker: what each import (an ImportResult) brought, from the vault's records."""
    from app import changes, library

    out = []
    for r in results:
        pack = library.get_pack(vault, r.pack_id)
        if pack is None or pack.version != r.version:
            continue  # replaced or removed since: nothing true to say about this import
        rec = changes.get_changes(vault, r.pack_id)
        entry = Entry(r.pack_id, pack.title, pack.language, r.version, r.previous_version,
                      pages=len(library.page_paths(vault, r.pack_id)))
        if rec is not None and rec.version == r.version:
            entry.added, entry.changed, entry.removed = rec.added, rec.changed, rec.removed
        out.append(entry)
    return out


def summary(entries: Sequence[Entry], failures: Sequence[tuple[str, str]]) -> str:
    new = sum(1 for e in entries if e.previous_version is None)
    parts = [tr("{n} new pack(s), {m} updated.", n=new, m=len(entries) - new)]
    if failures:
        parts.append(tr("{n} file(s) could not be imported.", n=len(failures)))
    if not entries and not failures:
        parts = [tr("Nothing was imported.")]
    return " ".join(parts)


class WhatsNewDialog(QDialog):
    open_requested = Signal(str, object)  # pack id, page path or None

    def __init__(self, entries: Sequence[Entry], failures: Sequence[tuple[str, str]] = (),
                 note: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from ui.library import language_name

        self.setWindowTitle(tr("What's new"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.entries = list(entries)
        self.summary = label(summary(entries, failures) + (f" {note}" if note else ""))
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setAccessibleName(tr("What's new"))
        new = [e for e in entries if e.previous_version is None]
        updated = [e for e in entries if e.previous_version is not None]
        if new:
            group = self._group(tr("New in your library"))
            for e in new:
                item = QTreeWidgetItem([tr("{title} ({language}, version {version}, {pages} page(s))",
                                           title=isolate(clean(e.title)), language=language_name(e.language),
                                           version=e.version, pages=e.pages)])
                item.setData(0, PACK_ROLE, e.pack_id)
                group.addChild(item)
        if updated:
            group = self._group(tr("Updated"))
            for e in updated:
                item = QTreeWidgetItem([tr("{title}: version {old} to {new}", title=isolate(clean(e.title)),
                                           old=e.previous_version, new=e.version)])
                item.setData(0, PACK_ROLE, e.pack_id)
                group.addChild(item)
                lines: list[tuple[list[tuple[str, str]], Callable[[str], str], bool]] = [
                    (e.added, lambda t: tr("Added: {page}", page=t), True),
                    (e.changed, lambda t: tr("Changed: {page}", page=t), True),
                    (e.removed, lambda t: tr("Removed: {page}", page=t), False)]
                for pages, line, openable in lines:
                    for path, title in pages:
                        child = QTreeWidgetItem([line(isolate(clean(title)))])
                        if openable:
                            child.setData(0, PACK_ROLE, e.pack_id)
                            child.setData(0, PAGE_ROLE, path)
                        item.addChild(child)
                if not (e.added or e.changed or e.removed):
                    item.addChild(QTreeWidgetItem([tr("No page changed.")]))
        if failures:
            group = self._group(tr("Not imported"))
            for name, sentence in failures:
                group.addChild(QTreeWidgetItem([f"{clean(name, 300)}: {clean(sentence, 600)}"]))
        self.tree.expandAll()
        self.tree.itemActivated.connect(self._activated)
        self.tree.itemDoubleClicked.connect(self._activated)
        self.open_button = push(tr("Open"))
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(lambda: self._activated(self.tree.currentItem()))
        self.tree.currentItemChanged.connect(
            lambda item, _prev: self.open_button.setEnabled(bool(item is not None and item.data(0, PACK_ROLE))))
        close = push(tr("Close"), default=True)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(close)
        col = QVBoxLayout(self)
        col.addWidget(heading(tr("What's new"), level=2))
        col.addWidget(self.summary)
        col.addWidget(self.tree, 1)
        col.addLayout(buttons)
        self.resize(640, 480)
        close.setFocus()

    def _group(self, text: str) -> QTreeWidgetItem:
        group = QTreeWidgetItem([text])
        group.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = group.font(0)
        font.setBold(True)
        group.setFont(0, font)
        self.tree.addTopLevelItem(group)
        return group

    def _activated(self, item: QTreeWidgetItem | None, _col: int = 0) -> None:
        if item is None or not item.data(0, PACK_ROLE):
            return
        self.open_requested.emit(item.data(0, PACK_ROLE), item.data(0, PAGE_ROLE))
        self.accept()

    def texts(self) -> list[str]:
        """Every line shown, depth first (for tests and screen readers' users alike)."""
        out: list[str] = []

        def walk(item: QTreeWidgetItem) -> None:
            out.append(item.text(0))
            for i in range(item.childCount()):
                walk(item.child(i))

        for i in range(self.tree.topLevelItemCount()):
            walk(self.tree.topLevelItem(i))
        return out


def show_whats_new(parent: QWidget | None, session: Session, results: Sequence[Any],
                   failures: Sequence[tuple[str, str]] = (), note: str = "",
                   shown: Callable[[WhatsNewDialog], None] | None = None) -> None:
    """Load what `results` changed on the worker, then show it (non-blocking)."""
    chosen = list(results)

    def show(entries: list[Entry]) -> None:
        dialog = WhatsNewDialog(entries, failures, note, parent)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.open()
        if shown is not None:
            shown(dialog)

    session.op(lambda c: load_entries(c.vault, chosen)).success(show).run()
