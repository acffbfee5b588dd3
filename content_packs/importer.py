"""Importing a verified pack into the vault: all or nothing.

The pack is verified first (content_packs.verify). A newer trust list it carries is
verified against the current one's roots and kept in its own transaction, so
revocations travel even on a pack that is then refused. Everything else happens in one
write transaction: the original signed bytes (kept unchanged for re-sharing), chapters,
pages, media index and search index; a previous version is replaced and the learner's
progress on pages that still exist is kept. A failure, a cancel, or the process being
killed at any point leaves the vault exactly as it was (SQLite's WAL does the rest).
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from app import changes, mediastore
from app import markdown as md
from app.errors import SatchelError
from app.progress import forget_missing_pages
from app.quiz import is_quiz_path
from app.searchindex import forget_pages, page_tokens, store_rows
from app.trust import TrustError, TrustStore, raise_floor
from app.vault import Vault
from content_packs.errors import ImportCancelled, PackError, PackRejected
from content_packs.images import HEAD_BYTES, IMAGE_REFUSED, image_format, is_image_path
from content_packs.limits import DEFAULT_LIMITS, Limits
from content_packs.manifest import FileEntry, Manifest
from content_packs.verify import CHUNK, RawChecker, VerifiedPack, open_pack

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportResult:
    pack_id: str
    version: int
    title: str
    previous_version: int | None
    trust_list_version: int | None = None

    @property
    def status(self) -> str:
        return "updated" if self.previous_version is not None else "installed"


def import_pack(vault: Vault, source: Path | BinaryIO, progress: Progress | None = None,
                cancel: threading.Event | None = None, store: TrustStore | None = None,
                limits: Limits = DEFAULT_LIMITS) -> ImportResult:
    """Verify `source` and import it in one transaction. The archive is opened and its
    directory parsed once: a carried trust list is read from it before the pack's own
    signature is checked (content_packs.verify, step 2)."""
    store = store or TrustStore(vault)
    adopted: list[int] = []

    def carried(doc: bytes, sig: bytes) -> None:
        """Keep a newer, validly signed trust list (its own transaction, so revocations
        travel even on a pack that is then refused); a stale or invalid one is ignored."""
        try:
            tl = store.adopt_list(doc, sig)
        except (PackError, TrustError):
            return
        if tl is not None:
            adopted.append(tl.version)

    with open_pack(source, store, limits, carried=carried) as pack:
        result = _import_verified(vault, pack, progress, cancel)
    return ImportResult(result.pack_id, result.version, result.title, result.previous_version,
                        adopted[-1] if adopted else None)


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise ImportCancelled("The import was cancelled; nothing was changed.")


@dataclass(frozen=True)
class _PreparedPage:
    path: str
    title: str
    kind: str
    markdown: str | bytes  # as kept (app.library.stored_markdown)
    title_tokens: str
    body_tokens: str
    chapter_tokens: str


_DONE = object()


QUEUE_BYTES = 64 * 1024 * 1024
BATCH_BYTES = 1024 * 1024
BATCH_PAGES = 64
RAW_QUEUE_CHUNKS = 4
# The signed pack is kept in rows of this size (app.mediastore.KeptPackReader reads rows of
# any size). Each row costs the importing thread a few turns of the GIL, which the text
# worker holds most of the time: 4 MiB rows import 5-8 % faster than 1 MiB rows, while
# showing a small picture still decrypts only the row or two that hold it.
KEPT_ROW_BYTES = 4 * CHUNK


class _TextWorker(threading.Thread):
    """Reads, verifies and tokenises pages (then checks compressed non-page members) on
    its own thread while the importing thread stores the raw pack: SQLCipher releases
    the GIL while it encrypts and writes, so the two overlap on a second core.

    Pages travel in batches (BATCH_PAGES pages or BATCH_BYTES, whichever comes first).
    The importing thread stores them once the raw pack is in, or earlier only when the
    queue (bounded by QUEUE_BYTES, so memory stays bounded whatever the pack) fills up:
    storing a page while this thread tokenises means handing the GIL back and forth
    several times per page, which costs more than the inserts themselves."""

    def __init__(self, pack: VerifiedPack, others: list[FileEntry], cancel: threading.Event | None) -> None:
        super().__init__(name="satchel-import-text", daemon=True)
        self.pack = pack
        self.others = others
        self.cancel = cancel
        self.stop = threading.Event()
        self.out: queue.Queue[object] = queue.Queue()
        self.error: BaseException | None = None
        self.done_bytes = 0
        self.queued_bytes = 0
        self._room = threading.Condition()

    def _put(self, item: object, size: int = 0) -> bool:
        with self._room:
            while self.queued_bytes > QUEUE_BYTES and not self._stopped():
                self._room.wait(timeout=0.1)
            if self._stopped() and item is not _DONE:
                return False
            self.queued_bytes += size
        self.out.put((item, size))
        return True

    def taken(self, size: int) -> None:
        with self._room:
            self.queued_bytes -= size
            self._room.notify_all()

    @property
    def crowded(self) -> bool:
        return self.queued_bytes > QUEUE_BYTES // 2

    def run(self) -> None:
        try:
            m = self.pack.manifest
            batch: list[_PreparedPage] = []
            batch_bytes = 0
            for chapter, path in ((c, p) for c in m.chapters for p in c.pages):
                entry = m.file(path)
                assert entry is not None  # parse_manifest guarantees listed pages are files
                if entry.size > self.pack.limits.page_bytes:
                    raise PackRejected("A page in the pack is larger than Satchel accepts; the pack was refused.")
                raw, deflated = self.pack.read_page(entry)
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise PackRejected("A page in the pack is not valid UTF-8 text; the pack was refused.") from None
                title, plain = md.index_page(text)
                title = (title or path.rsplit("/", 1)[-1])[:300]
                kept: str | bytes = text if deflated is None else deflated  # see app.library.stored_markdown
                batch.append(_PreparedPage(path, title, "quiz" if is_quiz_path(path) else "page", kept,
                                           *page_tokens(title, plain, chapter.title, m.language)))
                batch_bytes += sys.getsizeof(kept) + sys.getsizeof(batch[-1].body_tokens)  # in memory
                self.done_bytes += entry.size
                if len(batch) >= BATCH_PAGES or batch_bytes >= BATCH_BYTES:
                    if not self._put(batch, batch_bytes):
                        return
                    batch, batch_bytes = [], 0
            if batch and not self._put(batch, batch_bytes):
                return
            for entry in self.others:
                head = b""
                for chunk in self.pack.iter_member(entry):
                    if len(head) < HEAD_BYTES:
                        head += chunk[:HEAD_BYTES - len(head)]
                    self.done_bytes += len(chunk)
                    if self._stopped():
                        return
                if is_image_path(entry.path) and image_format(entry.path, head) is None:
                    raise PackRejected(IMAGE_REFUSED)
        except BaseException as exc:  # handed to the importing thread
            self.error = exc
        finally:
            self._put(_DONE)

    def _stopped(self) -> bool:
        return self.stop.is_set() or (self.cancel is not None and self.cancel.is_set())


class _RawCheckThread(threading.Thread):
    """Hashes the raw pack bytes the importing thread stores (the whole file, and the
    stored members on those very bytes) on a third thread: hashlib releases the GIL."""

    def __init__(self, checker: RawChecker) -> None:
        super().__init__(name="satchel-import-hash", daemon=True)
        self.checker = checker
        self.chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=RAW_QUEUE_CHUNKS)
        self.sha256: str | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        ended = False
        try:
            while (chunk := self.chunks.get()) is not None:
                self.checker.feed(chunk)
            ended = True
            self.sha256 = self.checker.finish()
        except BaseException as exc:  # handed to the importing thread
            self.error = exc
            while not ended and self.chunks.get() is not None:  # until the importing thread closes
                pass

    def close(self) -> None:
        """End the input (always once, also on failure) and wait for the result."""
        self.chunks.put(None)
        self.join()


def _import_verified(vault: Vault, pack: VerifiedPack, progress: Progress | None,
                     cancel: threading.Event | None) -> ImportResult:
    m = pack.manifest
    pages = {p for c in m.chapters for p in c.pages}
    # Stored members other than pages (media, mostly) are checked on the raw bytes as
    # they are kept; compressed ones are read and checked by the text worker.
    stored_members: list[FileEntry] = []
    others: list[FileEntry] = []
    for entry in m.files:
        if entry.path not in pages:
            (others if pack.stored_range(entry) is None else stored_members).append(entry)
    total = pack.size + sum(e.size for e in m.files if e.path in pages) + sum(e.size for e in others)
    stored = 0

    def report() -> None:
        if progress is not None:
            progress(min(stored + worker.done_bytes, total), total)
        _check_cancel(cancel)

    worker = _TextWorker(pack, others, cancel)
    hasher = _RawCheckThread(pack.raw_checker(stored_members))
    report()
    worker.start()
    hasher.start()
    hasher_open = True
    try:
        with vault.transaction() as conn:
            row = conn.execute("SELECT version FROM packs WHERE id = ?", (m.id,)).fetchone()
            previous = row[0] if row else None
            before = changes.snapshot(conn, m.id)  # for "What's new" (app.changes)
            forget_pages(conn, [r[0] for r in conn.execute("SELECT id FROM pages WHERE pack_id = ?", (m.id,))])
            conn.execute("DELETE FROM packs WHERE id = ?", (m.id,))
            conn.execute(
                "INSERT INTO packs (id, version, title, language, kind, signer, signer_name, trust_source, "
                "sample, manifest, signature, size, sha256, imported_at, licence, attribution, translation, "
                "translated_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?)",
                (m.id, m.version, m.title, m.language, m.kind, m.signer, pack.grant.name, pack.grant.source,
                 int(pack.grant.source == "sample"), pack.manifest_bytes, pack.signature_text, pack.size,
                 int(time.time()), m.licence, m.attribution, m.translation, m.translated_from),
            )
            conn.executemany("INSERT INTO pack_uses (pack_id, other, title) VALUES (?, ?, ?)",
                             [(m.id, u.pack, u.title) for u in m.uses])
            check_shared_media(conn, m)
            chapter_of: dict[str, int] = {}
            for ch_seq, chapter in enumerate(m.chapters):
                cur = conn.execute(
                    "INSERT INTO chapters (pack_id, seq, title) VALUES (?, ?, ?)", (m.id, ch_seq, chapter.title)
                )
                for path in chapter.pages:
                    chapter_of[path] = cur.lastrowid
            next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM pages").fetchone()[0]
            seq = 0
            finished = False

            def store(batch: list[_PreparedPage]) -> None:
                """One batch of pages and their search rows, with the ids chosen here."""
                nonlocal seq, next_id
                ids = range(next_id, next_id + len(batch))
                conn.executemany(
                    "INSERT INTO pages (id, pack_id, path, chapter_id, seq, title, kind, markdown) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(page_id, m.id, p.path, chapter_of[p.path], seq + i, p.title, p.kind, p.markdown)
                     for i, (page_id, p) in enumerate(zip(ids, batch, strict=True))],
                )
                store_rows(conn, [(page_id, p.title_tokens, p.body_tokens, p.chapter_tokens)
                                  for page_id, p in zip(ids, batch, strict=True)])
                seq += len(batch)
                next_id += len(batch)

            def take(block: bool) -> None:
                """Store the batches the worker has ready (all of them, when `block`)."""
                nonlocal finished
                while not finished:
                    try:
                        got = worker.out.get(timeout=0.2) if block else worker.out.get_nowait()
                    except queue.Empty:
                        if block:
                            report()
                            continue
                        return
                    item, size = cast(tuple[object, int], got)
                    worker.taken(size)
                    if item is _DONE:
                        finished = True
                        return
                    assert isinstance(item, list)
                    store(item)

            # Stored media go into the vault once by hash (app.mediastore); the rest of
            # the signed bytes are kept in rows, so the pack can be rebuilt as signed.
            keeper = mediastore.Keeper(conn, m.id)
            spans = [mediastore.Span(*where, e.sha256) for e in stored_members
                     if e.path.startswith("media/") and (where := pack.stored_range(e)) is not None]
            for piece in mediastore.split(pack.raw_chunks(KEPT_ROW_BYTES), spans):
                keeper.add(piece)
                hasher.chunks.put(piece.data)
                stored += len(piece.data)
                if worker.crowded:
                    take(block=False)
                report()
            keeper.finish()
            hasher_open = False
            hasher.close()
            if hasher.error is not None:
                raise hasher.error
            heads = hasher.checker.heads()
            if any(is_image_path(e.path) and image_format(e.path, heads.get(e.path, b"")) is None
                   for e in stored_members):
                raise PackRejected(IMAGE_REFUSED)
            conn.execute("UPDATE packs SET sha256 = ? WHERE id = ?", (hasher.sha256, m.id))
            take(block=True)
            worker.join()
            if worker.error is not None:
                raise worker.error
            report()
            conn.executemany(
                "INSERT INTO media (pack_id, path, size, sha256, from_pack) VALUES (?, ?, ?, ?, ?)",
                [(m.id, e.path, e.size, e.sha256, None) for e in m.files if e.path.startswith("media/")]
                + [(m.id, e.path, e.size, e.sha256, e.pack) for e in m.shared_media],
            )
            mediastore.drop_unused_blobs(conn)
            if pack.grant.source != "sample":   # pinned starter packs never raise a floor
                raise_floor(conn, m.id, m.version, m.signer)
            forget_missing_pages(conn, m.id)
            changes.record(conn, m.id, m.version, previous, before, {e.path: e.sha256 for e in m.files})
            _check_cancel(cancel)
    finally:
        worker.stop.set()
        if hasher_open:
            hasher.close()
        worker.join()
    log.info("pack imported")
    return ImportResult(m.id, m.version, m.title, previous)


def check_shared_media(conn: Any, m: Manifest) -> None:
    """Inside the import: refuse a pack whose shared pictures the pack that should carry
    them, present in the vault, does not have (the two editions do not match). When that
    pack is absent, the reader says which pack to get."""
    wrong: dict[str, int] = {}
    present: dict[str, bool] = {}
    for entry in m.shared_media:
        if entry.pack not in present:
            present[entry.pack] = conn.execute("SELECT 1 FROM packs WHERE id = ?", (entry.pack,)).fetchone() is not None
        if not present[entry.pack]:
            continue
        if mediastore.has_blob(conn, entry.sha256) or conn.execute(
            "SELECT 1 FROM media WHERE sha256 = ? AND size = ? AND from_pack IS NULL LIMIT 1",
            (entry.sha256, entry.size),
        ).fetchone() is not None:
            continue
        wrong[entry.pack] = wrong.get(entry.pack, 0) + 1
    if wrong:
        other, count = sorted(wrong.items())[0]
        title = next((u.title for u in m.uses if u.pack == other), other)
        raise PackRejected(
            f"This pack shows {count} picture(s) from the pack \u201c{title}\u201d ({other}) that your copy of "
            "that pack does not have: the two editions do not match. Get matching editions of both packs; "
            "nothing was changed."
        )


@dataclass(frozen=True)
class FolderOutcome:
    name: str
    result: ImportResult | None
    error: str | None


def import_folder(vault: Vault, folder: Path, progress: Progress | None = None,
                  cancel: threading.Event | None = None, store: TrustStore | None = None,
                  limits: Limits = DEFAULT_LIMITS) -> list[FolderOutcome]:
    """Import every `.satchel` file in a folder, going on past bad ones."""
    store = store or TrustStore(vault)
    outcomes: list[FolderOutcome] = []
    for path in sorted(Path(folder).glob("*.satchel")):
        _check_cancel(cancel)
        try:
            result = import_pack(vault, path, progress, cancel, store, limits)
            outcomes.append(FolderOutcome(path.name, result, None))
        except ImportCancelled:
            raise
        except SatchelError as exc:
            outcomes.append(FolderOutcome(path.name, None, str(exc)))
    return outcomes
