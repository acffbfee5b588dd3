"""The library sorted and filtered, on real widgets: by language (grouped, the default),
by kind, by title, by when a pack was opened or imported; a filter box and a language
filter; and a Progress column that is never clipped, in any direction or text size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import write_source
from uihelp import open_page, plain, wait_idle

from ui import i18n, theme
from ui.library import COL_PROGRESS, COL_TITLE, PACK_ROLE


def pack_rows(tree: Any) -> list[Any]:
    """Every pack row, in the order shown (groups skipped)."""
    out: list[Any] = []

    def walk(item: Any) -> None:
        if item.data(COL_TITLE, PACK_ROLE):
            out.append(item)
        for i in range(item.childCount()):
            walk(item.child(i))

    for i in range(tree.topLevelItemCount()):
        walk(tree.topLevelItem(i))
    return out


def ids(tree: Any) -> list[str]:
    return [r.data(COL_TITLE, PACK_ROLE) for r in pack_rows(tree)]


def long_course(home: Path, tmp_path: Path) -> None:
    """A course whose title and publisher are long enough to crowd any column."""
    from app.trust import TrustStore
    from app.vault import Vault
    from content_packs.build import build_pack
    from content_packs.importer import import_pack
    from support import make_keypair
    from uihelp import PASSPHRASE

    key = make_keypair(tmp_path / "keys", "long")
    title = "A very long course title about staying safe while travelling to Geneva " * 3
    src = write_source(tmp_path / "long", "org.test.long", title=title.strip(), kind="course")
    build_pack(src, key.secret, tmp_path / "long.satchel")
    with Vault.unlock(home, PASSPHRASE) as v:
        TrustStore(v).add_manual(key.public, "A trainer with a remarkably long name " * 4)
        import_pack(v, tmp_path / "long.satchel")


def set_sort(lib: Any, key: str) -> None:
    lib.sort_box.setCurrentIndex(lib.sort_box.findData(key))


def test_sort_and_filter(unlocked: Any, qtbot: Any) -> None:
    lib = unlocked.view.library
    tree = lib.tree
    qtbot.waitUntil(lambda: len(ids(tree)) == 3)
    # By language (default): language groups holding kind groups.
    assert tree.topLevelItemCount() == 3 and tree.isColumnHidden(4)
    assert [tree.topLevelItem(i).child(0).text(0) for i in range(3)] == ["Guides", "Courses", "Guides"]
    set_sort(lib, "title")
    assert tree.topLevelItemCount() == 3 and not tree.isColumnHidden(4)          # flat, language shown
    assert [plain(r.text(0)) for r in pack_rows(tree)] == ["<b>人权</b> <img src=x>", "Safety course", "دليل الحقوق"]
    set_sort(lib, "kind")
    assert [tree.topLevelItem(i).text(0) for i in range(2)] == ["Courses", "Guides"]
    assert ids(tree)[0] == "org.test.course"
    # The filter box matches words of the title, the publisher or the id, in any case.
    lib.filter_box.setText("SAFETY")
    assert ids(tree) == ["org.test.course"]
    lib.filter_box.setText("حقوق")
    assert ids(tree) == ["org.test.ar"]
    lib.filter_box.setText("nothing like this")
    assert ids(tree) == [] and lib.empty.text() == "No pack matches the filter."
    lib.filter_box.clear()
    # The language filter offers the languages in the library.
    codes = [lib.language_box.itemData(i) for i in range(lib.language_box.count())]
    assert codes[0] is None and sorted(codes[1:]) == ["ar", "en", "zh"]
    lib.language_box.setCurrentIndex(lib.language_box.findData("zh"))
    assert ids(tree) == ["org.test.zh"]
    lib.language_box.setCurrentIndex(0)
    assert len(ids(tree)) == 3


def test_recently_opened_and_recently_imported(unlocked: Any, qtbot: Any) -> None:
    w = unlocked
    lib = w.view.library
    qtbot.waitUntil(lambda: len(ids(lib.tree)) == 3)
    with w.session.vault.transaction() as conn:   # the worker may be reading: take the vault's lock
        for pid, when in (("org.test.ar", 3000), ("org.test.course", 1000), ("org.test.zh", 2000)):
            conn.execute("UPDATE packs SET imported_at = ? WHERE id = ?", (when, pid))
    open_page(qtbot, w, "org.test.zh", "pages/zh.md")
    w.view.show_library()
    w.view.library.refresh()
    wait_idle(qtbot, w)
    set_sort(lib, "imported")
    assert ids(lib.tree) == ["org.test.ar", "org.test.zh", "org.test.course"]
    set_sort(lib, "opened")
    assert ids(lib.tree)[0] == "org.test.zh"
    # The choice survives a refresh (and is kept nowhere else).
    lib.refresh()
    wait_idle(qtbot, w)
    assert lib.sort_box.currentData() == "opened" and ids(lib.tree)[0] == "org.test.zh"


@pytest.mark.parametrize(("lang", "scale"), [("en", 100), ("ar", 100), ("en", 200), ("ar", 200)])
def test_the_progress_column_is_never_clipped(make_window: Any, home_path: Path, qtbot: Any, tmp_path: Path,
                                              lang: str, scale: int) -> None:
    from uihelp import unlock

    long_course(home_path, tmp_path)
    i18n.set_language(lang)
    theme.apply(scale, False)
    w = make_window(home_path)
    unlock(qtbot, w)
    lib = w.view.library
    qtbot.waitUntil(lambda: len(ids(lib.tree)) == 4)
    for sort in ("language", "title"):
        set_sort(lib, sort)
        for width in (300, 700, 1000):
            w.resize(width, 600)
            qtbot.wait(50)
            tree, header = lib.tree, lib.tree.header()
            start = header.sectionViewportPosition(COL_PROGRESS)
            size = header.sectionSize(COL_PROGRESS)
            assert start >= 0 and start + size <= tree.viewport().width(), (sort, width, start, size)
            metrics = tree.fontMetrics()
            for row in pack_rows(tree):
                text = row.text(COL_PROGRESS)
                assert metrics.horizontalAdvance(text) <= size, (text, size)
            assert metrics.horizontalAdvance(tree.headerItem().text(COL_PROGRESS)) <= size


