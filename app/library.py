"""Reading the library out of the vault: packs, their outlines, pages and media.

The facade the command line and the desktop app share; neither writes SQL. Everything
returned here came from a pack that was verified before import, but it is still text
from outside: callers show titles as plain text and pages through app.markdown.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import asdict, dataclass, field
from typing import Any

from app import mediastore
from app.vault import Vault


def stored_markdown(value: str | bytes) -> str:
    """A page's Markdown from the vault's `pages.markdown` column: text, or the raw
    DEFLATE stream of its UTF-8 bytes exactly as the signed pack held it (what the
    importer keeps for deflated pages: it costs nothing to keep and a third of the
    bytes to store)."""
    return value if isinstance(value, str) else zlib.decompress(value, -15).decode("utf-8")

RTL_LANGUAGES = {"ar", "arb", "fa", "pes", "ur", "he", "iw", "ug", "ps", "sd", "ckb", "dv", "yi"}
MAX_MEDIA_BYTES = 256 * 1024 * 1024


def direction(language: str) -> str:
    """'rtl' for languages written right to left (by BCP 47 primary subtag or script)."""
    parts = language.replace("_", "-").split("-")
    primary = parts[0].lower()
    scripts = {p.lower() for p in parts[1:]}
    if scripts & {"arab", "hebr", "thaa", "syrc", "nkoo"}:
        return "rtl"
    if scripts & {"latn", "cyrl"}:
        return "ltr"
    return "rtl" if primary in RTL_LANGUAGES else "ltr"


@dataclass(frozen=True)
class PackInfo:
    id: str
    version: int
    title: str
    language: str
    kind: str
    signer: str
    signer_name: str
    trust_source: str
    sample: bool
    imported_at: int
    size: int = 0
    licence: str = ""
    attribution: str = ""
    translation: str = ""  # "original", "translated", "reviewed", "machine-assisted" or ""
    translated_from: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PageRef:
    path: str
    title: str
    kind: str


@dataclass(frozen=True)
class Chapter:
    title: str
    pages: list[PageRef] = field(default_factory=list)


@dataclass(frozen=True)
class Page:
    pack_id: str
    path: str
    title: str
    kind: str
    markdown: str
    language: str

    @property
    def direction(self) -> str:
        return direction(self.language)


_PACK_COLUMNS = (
    "id, version, title, language, kind, signer, signer_name, trust_source, sample, imported_at, size, "
    "licence, attribution, translation, translated_from"
)


def _pack(row: tuple[Any, ...]) -> PackInfo:
    return PackInfo(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], bool(row[8]),
                    row[9], row[10], row[11], row[12], row[13], row[14])


def list_packs(vault: Vault) -> list[PackInfo]:
    with vault.lock:
        rows = vault.conn.execute(
            f"SELECT {_PACK_COLUMNS} FROM packs ORDER BY language, kind, title, id"
        ).fetchall()
    return [_pack(r) for r in rows]


def get_pack(vault: Vault, pack_id: str) -> PackInfo | None:
    with vault.lock:
        row = vault.conn.execute(f"SELECT {_PACK_COLUMNS} FROM packs WHERE id = ?", (pack_id,)).fetchone()
    return _pack(row) if row else None


def pack_outline(vault: Vault, pack_id: str) -> list[Chapter]:
    with vault.lock:
        chapters = vault.conn.execute(
            "SELECT id, title FROM chapters WHERE pack_id = ? ORDER BY seq", (pack_id,)
        ).fetchall()
        pages = vault.conn.execute(
            "SELECT chapter_id, path, title, kind FROM pages WHERE pack_id = ? ORDER BY seq", (pack_id,)
        ).fetchall()
    by_chapter: dict[int, list[PageRef]] = {}
    for chapter_id, path, title, kind in pages:
        by_chapter.setdefault(chapter_id, []).append(PageRef(path, title, kind))
    return [Chapter(title, by_chapter.get(cid, [])) for cid, title in chapters]


def page_paths(vault: Vault, pack_id: str) -> list[str]:
    """Every page of a pack in reading order (for previous / next)."""
    with vault.lock:
        rows = vault.conn.execute(
            "SELECT path FROM pages WHERE pack_id = ? ORDER BY seq", (pack_id,)
        ).fetchall()
    return [r[0] for r in rows]


def get_page(vault: Vault, pack_id: str, path: str) -> Page | None:
    with vault.lock:
        row = vault.conn.execute(
            "SELECT p.title, p.kind, p.markdown, k.language FROM pages p JOIN packs k ON k.id = p.pack_id "
            "WHERE p.pack_id = ? AND p.path = ?",
            (pack_id, path),
        ).fetchone()
    if row is None:
        return None
    return Page(pack_id, path, row[0], row[1], stored_markdown(row[2]), row[3])


def pack_bytes_reader(vault: Vault, pack_id: str) -> io.BufferedReader:
    """The original signed pack, exactly as imported (for re-sharing on a USB stick)."""
    return mediastore.kept_pack_reader(vault, pack_id)


def read_media(vault: Vault, pack_id: str, path: str, limit: int = MAX_MEDIA_BYTES) -> bytes | None:
    """A media file a pack shows, checked against its signed hash (None if absent, too
    big, or carried by another pack that is not in the library)."""
    # The import checked these bytes; checking them again costs little and means no
    # unverified byte is ever shown, whatever the stored rows say.
    return mediastore.read_media(vault, pack_id, path, limit)


def missing_media_packs(vault: Vault, pack_id: str, paths: list[str]) -> list[tuple[str, str]]:
    """(pack id, title) of the packs that carry pictures among `paths` which this pack
    only shows and the library does not hold: the packs the learner should get."""
    missing: dict[str, str] = {}
    for path in paths:
        entry = mediastore.media_entry(vault, pack_id, path)
        if entry is None or entry.from_pack is None or entry.from_pack in missing:
            continue
        if not mediastore.media_available(vault, entry.sha256):
            missing[entry.from_pack] = used_pack_title(vault, pack_id, entry.from_pack)
    return sorted(missing.items())


def used_pack_title(vault: Vault, pack_id: str, other: str) -> str:
    """The title `pack_id` gives for another pack it uses (its id if it gives none)."""
    with vault.lock:
        row = vault.conn.execute(
            "SELECT title FROM pack_uses WHERE pack_id = ? AND other = ?", (pack_id, other)
        ).fetchone()
    return str(row[0]) if row else other


def media_providers(vault: Vault, pack_ids: list[str]) -> list[str]:
    """The packs in the library that carry media the given packs only show (copy them
    along, or the pictures are missing wherever the packs go)."""
    if not pack_ids:
        return []
    marks = ",".join("?" * len(pack_ids))
    with vault.lock:
        rows = vault.conn.execute(
            f"SELECT DISTINCT m.from_pack FROM media m JOIN packs p ON p.id = m.from_pack "
            f"WHERE m.pack_id IN ({marks}) AND m.from_pack IS NOT NULL ORDER BY m.from_pack",
            pack_ids,
        ).fetchall()
    return [r[0] for r in rows if r[0] not in pack_ids]


def last_opened(vault: Vault) -> dict[str, int]:
    """When each pack was last read (the newest visit or reading position), for sorting
    the library by "recently opened"; packs never opened are absent."""
    with vault.lock:
        rows = vault.conn.execute(
            "SELECT pack_id, max(t) FROM (SELECT pack_id, visited_at AS t FROM progress "
            "UNION ALL SELECT pack_id, updated_at AS t FROM reading_position) GROUP BY pack_id"
        ).fetchall()
    return {r[0]: int(r[1]) for r in rows}


def change_counter(vault: Vault) -> int:
    """A number that changes when another connection (another Satchel process, such as
    `satchel import` while the app is open) commits to the vault; this connection's own
    commits leave it as it is. SQLite's `PRAGMA data_version`: kept inside the database
    engine, never in a file of its own."""
    with vault.lock:
        return int(vault.conn.execute("PRAGMA data_version").fetchone()[0])
