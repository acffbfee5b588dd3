"""The app notices what another Satchel process changed (`satchel import` while the app is
open) and shows the library as it is: new packs, and the new chapter titles of a pack
open in the reader, without locking and unlocking. The check is a counter inside the
database engine (PRAGMA data_version): the app writes and reads no file for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from support import ROOT, write_source
from uihelp import PASSPHRASE, open_page, plain, satchel_files

from content_packs.build import build_pack


def test_a_command_line_import_shows_in_the_open_app(unlocked: Any, qtbot: Any, home_path: Path,
                                                      tmp_path: Path, test_packs: Any) -> None:
    from crypto import minisign

    w = unlocked
    secret = minisign.secret_key_from_text((test_packs.paths[0].parent / "keys" / "trainer.key").read_text(), None)
    reader = open_page(qtbot, w, "org.test.course", "pages/intro.md")
    chapters = [reader.outline.topLevelItem(i).text(0) for i in range(reader.outline.topLevelItemCount())]
    assert chapters == ["Basics", "Quiz"]
    src = write_source(tmp_path / "v2", "org.test.course", version=2, title="Safety course", kind="course",
                       pages={"pages/intro.md": "# Introduction\n\nWelcome to the course.\n",
                              "pages/new.md": "# What changed\n\nA new page.\n"},
                       chapters=[("First steps", ["pages/intro.md"]), ("Going further", ["pages/new.md"])])
    build_pack(src, secret, tmp_path / "course-2.satchel")
    files_before = satchel_files(home_path)
    watcher = w.view.watcher
    checks = watcher.checks
    proc = subprocess.run([sys.executable, "-m", "app.cli", "--home", str(home_path), "import",
                           str(tmp_path / "course-2.satchel")], input=PASSPHRASE + "\n", capture_output=True,
                          text=True, cwd=str(ROOT), timeout=60)
    assert proc.returncode == 0, proc.stderr
    qtbot.waitUntil(lambda: [reader.outline.topLevelItem(i).text(0)
                             for i in range(reader.outline.topLevelItemCount())] == ["First steps", "Going further"],
                    timeout=15000)
    assert watcher.checks > checks
    assert reader.path == "pages/intro.md"                           # the page shown stays
    assert plain(reader.title.text()) == "Introduction"
    w.view.show_library()
    tree = w.view.library.tree
    qtbot.waitUntil(lambda: any("of 2 done" in tree.topLevelItem(i).child(j).child(k).text(3)
                                for i in range(tree.topLevelItemCount())
                                for j in range(tree.topLevelItem(i).childCount())
                                for k in range(tree.topLevelItem(i).child(j).childCount())), timeout=15000)
    # Nothing was written outside the vault's own files to notice it.
    assert set(satchel_files(home_path)) <= set(files_before) | {"data-wal", "data-shm"}


def test_the_apps_own_changes_do_not_count_as_outside_changes(unlocked: Any, qtbot: Any) -> None:
    w = unlocked
    watcher = w.view.watcher
    qtbot.waitUntil(lambda: watcher.counter is not None, timeout=10000)
    fired: list[int] = []
    watcher.changed.connect(lambda: fired.append(1))
    reader = open_page(qtbot, w, "org.test.course", "pages/intro.md")
    reader.bookmark.click()
    checks = watcher.checks
    qtbot.waitUntil(lambda: watcher.checks >= checks + 2, timeout=10000)
    assert fired == []
