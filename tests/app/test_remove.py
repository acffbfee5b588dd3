"""Removing one pack: one transaction takes the pack and every trace the learner kept on
it, leaves the other packs exactly as they were, keeps the version floor, and is refused
with one sentence while an import holds the library (in this process or another)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from support import ROOT, KeyPair, assert_one_sentence, write_source

from app import library, progress
from app.remove import BUSY, LibraryBusy, NoSuchPack, pack_tables, removal_summary, remove_pack
from app.search import search
from app.trust import TrustStore
from app.vault import Vault
from content_packs.build import build_pack
from content_packs.errors import VersionRefused
from content_packs.importer import import_pack

GUIDE, OTHER = "org.example.guide", "org.example.other"


def pack(tmp_path: Path, key: KeyPair, pack_id: str = GUIDE, version: int = 1, word: str = "lantern") -> Path:
    src = write_source(tmp_path / f"src-{pack_id}-{version}", pack_id=pack_id, version=version,
                       title=f"Title of {pack_id}",
                       pages={"pages/a.md": f"# Alpha {word}\n\nThe {word} page.\n",
                              "pages/b.md": f"# Beta\n\nMore about {word}s.\n",
                              "pages/q.quiz.md": "# Check\n\n## Yes?\n- [x] Yes\n- [ ] No\n"})
    out = tmp_path / f"{pack_id}-{version}.satchel"
    build_pack(src, key.secret, out)
    return out


@pytest.fixture
def library_with_traces(vault: Vault, trainer: KeyPair, tmp_path: Path) -> Vault:
    TrustStore(vault).add_manual(trainer.public, "Trainer")
    import_pack(vault, pack(tmp_path, trainer, GUIDE, 3, "lantern"))
    import_pack(vault, pack(tmp_path, trainer, OTHER, 1, "copper"))
    for pid in (GUIDE, OTHER):
        progress.mark_visited(vault, pid, "pages/a.md")
        progress.set_completed(vault, pid, "pages/a.md")
        progress.record_answer(vault, pid, "pages/q.quiz.md", 0, "Yes", True)
        progress.set_bookmark(vault, pid, "pages/b.md", True)
        progress.set_note(vault, pid, "pages/a.md", f"PRIVATE NOTE on {pid}")
        progress.set_position(vault, pid, "pages/b.md", 0.5)
    return vault


def rows_of(vault: Vault, pack_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but the floors) that mentions `pack_id` in any column."""
    conn = vault.conn
    out: dict[str, list[tuple[Any, ...]]] = {}
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                 "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'page_search%'"):
        if table == "version_floors":
            continue
        hits = [r for r in conn.execute(f"SELECT * FROM {table}")
                if any(isinstance(v, (str, bytes)) and pack_id.encode() in (v if isinstance(v, bytes) else v.encode())
                       for v in r)]
        if hits:
            out[table] = hits
    return out


def test_remove_takes_the_pack_and_every_trace_and_nothing_else(library_with_traces: Vault) -> None:
    vault = library_with_traces
    other_before = rows_of(vault, OTHER)
    summary = removal_summary(vault, GUIDE)
    assert summary is not None
    assert (summary.title, summary.version, summary.pages, summary.completed, summary.answers,
            summary.notes, summary.bookmarks) == (f"Title of {GUIDE}", 3, 3, 1, 1, 1, 1)
    assert [h.pack for h in search(vault, "lantern")] == [GUIDE, GUIDE]

    removed = remove_pack(vault, GUIDE)
    assert removed == summary
    assert rows_of(vault, GUIDE) == {}
    assert library.get_pack(vault, GUIDE) is None
    assert search(vault, "lantern") == []
    assert search(vault, "copper") != []
    assert rows_of(vault, OTHER) == other_before
    assert {"progress", "quiz_answers", "bookmarks", "notes", "reading_position", "pages"} <= set(
        pack_tables(vault.conn))
    floor = vault.conn.execute("SELECT version FROM version_floors WHERE subject = ?", (GUIDE,)).fetchone()
    assert floor == (3,)


def test_the_floor_stays_an_older_copy_is_refused_the_same_version_comes_back(
        library_with_traces: Vault, tmp_path: Path, trainer: KeyPair) -> None:
    vault = library_with_traces
    remove_pack(vault, GUIDE)
    with pytest.raises(VersionRefused, match="older or equal versions are refused"):
        import_pack(vault, pack(tmp_path / "old", trainer, GUIDE, 2))
    assert library.get_pack(vault, GUIDE) is None
    result = import_pack(vault, pack(tmp_path, trainer, GUIDE, 3))   # the very version the learner had
    assert (result.version, result.previous_version) == (3, None)
    assert progress.get_note(vault, GUIDE, "pages/a.md") == ""      # its traces did not come back
    with pytest.raises(VersionRefused):                             # once in, equal is refused as always
        import_pack(vault, pack(tmp_path, trainer, GUIDE, 3))


def test_traces_written_after_a_removal_are_dropped(library_with_traces: Vault) -> None:
    """A note or position still pending when the pack goes (perhaps removed by another
    Satchel) is never left behind for a pack that is not there."""
    vault = library_with_traces
    remove_pack(vault, GUIDE)
    progress.set_note(vault, GUIDE, "pages/a.md", "typed while it was removed")
    progress.set_position(vault, GUIDE, "pages/a.md", 0.9)
    progress.set_bookmark(vault, GUIDE, "pages/a.md", True)
    progress.set_completed(vault, GUIDE, "pages/a.md")
    progress.mark_visited(vault, GUIDE, "pages/a.md")
    progress.record_answer(vault, GUIDE, "pages/q.quiz.md", 0, "No", False)
    assert rows_of(vault, GUIDE) == {}


def test_an_unknown_pack_is_one_sentence(vault: Vault) -> None:
    with pytest.raises(NoSuchPack, match="There is no pack org.nothing in the library."):
        remove_pack(vault, "org.nothing")


class PausedImport(threading.Thread):
    """An import that stops inside its transaction until told to go on."""

    def __init__(self, vault: Vault, path: Path) -> None:
        super().__init__(daemon=True)
        self.vault, self.path = vault, path
        self.inside, self.go = threading.Event(), threading.Event()
        self.error: BaseException | None = None

    def progress(self, done: int, total: int) -> None:
        if self.vault.conn.in_transaction and not self.inside.is_set():
            self.inside.set()
            self.go.wait(30)

    def run(self) -> None:
        try:
            import_pack(self.vault, self.path, progress=self.progress)
        except BaseException as exc:  # handed to the test
            self.error = exc


def test_removing_a_pack_while_it_is_being_imported_is_refused(
        library_with_traces: Vault, tmp_path: Path, trainer: KeyPair) -> None:
    """The same vault, another thread (the app's USB dialog imports on its own thread)."""
    vault = library_with_traces
    job = PausedImport(vault, pack(tmp_path, trainer, GUIDE, 4, "whisper"))
    job.start()
    assert job.inside.wait(30)
    try:
        with pytest.raises(LibraryBusy) as caught:
            remove_pack(vault, GUIDE)
        assert str(caught.value) == BUSY
    finally:
        job.go.set()
        job.join(30)
    assert job.error is None
    assert library.get_pack(vault, GUIDE).version == 4               # the import went through whole
    assert progress.get_note(vault, GUIDE, "pages/a.md") == f"PRIVATE NOTE on {GUIDE}"


def test_removing_while_another_satchel_imports_is_refused(
        library_with_traces: Vault, tmp_path: Path, trainer: KeyPair, home: Path) -> None:
    """Another process's import holds the database's write lock: `satchel remove` says so."""
    vault = library_with_traces
    job = PausedImport(vault, pack(tmp_path, trainer, OTHER, 2, "velvet"))
    job.start()
    assert job.inside.wait(30)
    try:
        proc = subprocess.run([sys.executable, "-m", "app.cli", "--home", str(home), "remove", GUIDE, "--yes"],
                              input="correct horse\n", capture_output=True, text=True, cwd=str(ROOT), timeout=60)
    finally:
        job.go.set()
        job.join(30)
    assert proc.returncode == 1
    assert_one_sentence(proc.stderr)
    assert proc.stderr.strip() == BUSY
    assert library.get_pack(vault, GUIDE) is not None
    assert library.get_pack(vault, OTHER).version == 2


def test_satchel_remove_asks_and_says_what_goes(library_with_traces: Vault, cli: Any, home: Path) -> None:
    library_with_traces.close()
    r = cli("remove", GUIDE, stdin="correct horse\nn\n")
    assert r.code == 1 and "Nothing was removed." in r.out
    assert "Your progress, notes, ticks and bookmarks in it go too" in r.err
    assert "1 note(s) and 1 bookmark(s)" in r.err and "an older copy cannot come back unnoticed" in r.err
    r = cli("list", "--json", stdin="correct horse\n")
    assert GUIDE in r.out
    r = cli("remove", GUIDE, stdin="correct horse\ny\n")
    assert r.code == 0 and f"Removed {GUIDE} version 3" in r.out, r.err
    r = cli("remove", GUIDE, "--yes", stdin="correct horse\n")
    assert r.code == 1
    assert_one_sentence(r.err)
    with Vault.unlock(home, "correct horse") as v:
        assert [p.id for p in library.list_packs(v)] == [OTHER]
        assert rows_of(v, GUIDE) == {}

