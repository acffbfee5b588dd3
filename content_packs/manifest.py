"""The signed manifest of a pack: its canonical bytes and a strict, bounded parser.

`parse_manifest` is only ever called on bytes whose signature has already been verified
(content_packs.verify); it still trusts nothing: duplicate keys, unknown fields, wrong
types, impossible values, oversized lists and direction controls in titles are refused
with one sentence.

The optional fields (licence, attribution, translation, translated_from, uses,
shared_media) are written only when a pack has them, so a pack without them has exactly
the bytes an earlier Satchel wrote and read.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

from app.bidi import BIDI_CONTROLS
from app.strictjson import no_duplicate_keys
from content_packs.bridges import MAX_BRIDGES, BadBridge, parse_bridge
from content_packs.errors import PackRejected
from content_packs.limits import (
    DEFAULT_LIMITS,
    FORMAT_VERSION,
    LANG_RE,
    MANIFEST_NAME,
    PACK_ID_RE,
    SHA256_RE,
    SIGNATURE_NAME,
    Limits,
    check_member_path,
)

_KEY_ID_RE = re.compile(r"^[0-9A-F]{16}\Z")
_MANIFEST_KEYS = {"format", "id", "version", "title", "language", "kind", "signer", "chapters", "files"}
# A sane bound: fits a signed 32-bit integer everywhere, and a date with a counter
# (2026013101). Nothing larger is needed, and nothing can be frozen far out of reach.
MAX_VERSION = 2**31 - 1
_OPTIONAL_KEYS = {"licence", "attribution", "translation", "translated_from", "uses", "shared_media", "tor"}
TRANSLATION_STATES = ("original", "translated", "reviewed", "machine-assisted")
LICENCE_CHARS = 200
ATTRIBUTION_CHARS = 2000
MAX_USES = 200


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ChapterEntry:
    title: str
    pages: tuple[str, ...]


@dataclass(frozen=True)
class UsedPack:
    """Another pack this one links to or takes pictures from (its title as its source had it)."""

    pack: str
    title: str


@dataclass(frozen=True)
class SharedEntry:
    """A media file this pack shows but does not carry: the pack `pack` carries it."""

    path: str
    pack: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    id: str
    version: int
    title: str
    language: str
    kind: str
    signer: str
    chapters: tuple[ChapterEntry, ...]
    files: tuple[FileEntry, ...]
    licence: str = ""
    attribution: str = ""
    translation: str = ""
    translated_from: str = ""
    uses: tuple[UsedPack, ...] = ()
    shared_media: tuple[SharedEntry, ...] = ()
    bridges: tuple[str, ...] = ()   # Tor bridge lines carried by the pack (content_packs.bridges)

    def file(self, path: str) -> FileEntry | None:
        return self._by_path.get(path)

    @functools.cached_property
    def _by_path(self) -> dict[str, FileEntry]:
        return {f.path: f for f in self.files}  # paths are unique (parse_manifest)

    @property
    def content_size(self) -> int:
        return sum(f.size for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "language": self.language,
            "kind": self.kind,
            "signer": self.signer,
            "chapters": [{"title": c.title, "pages": list(c.pages)} for c in self.chapters],
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
        }
        optional: dict[str, Any] = {
            "licence": self.licence, "attribution": self.attribution, "translation": self.translation,
            "translated_from": self.translated_from,
            "uses": [{"pack": u.pack, "title": u.title} for u in self.uses],
            "shared_media": [{"path": e.path, "pack": e.pack, "size": e.size, "sha256": e.sha256}
                             for e in self.shared_media],
        }
        doc.update({k: v for k, v in optional.items() if v})
        if self.bridges:  # absent unless the pack carries bridges (older packs' bytes unchanged)
            doc["tor"] = {"bridges": list(self.bridges)}
        return doc

    def to_bytes(self) -> bytes:
        """Canonical form: sorted keys, no spaces, UTF-8 (the same input gives the same bytes)."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def trusted_comment(pack_id: str, version: int, timestamp: int) -> str:
    return f"satchel-pack id={pack_id} version={version} time={timestamp}"


_COMMENT_RE = re.compile(r"^satchel-pack id=([a-z0-9.-]+) version=([0-9]{1,16}) time=([0-9]{1,12})\Z")


def parse_trusted_comment(comment: str) -> tuple[str, int, int]:
    m = _COMMENT_RE.fullmatch(comment)
    if not m:
        raise PackRejected("The pack's signature does not name a pack id and version.")
    return m.group(1), int(m.group(2)), int(m.group(3))


_no_duplicates = no_duplicate_keys(PackRejected, "The pack's manifest repeats a field.")


def _reject_constant(name: str) -> Any:
    raise PackRejected("The pack's manifest holds a number that is not a number.")


def _str(value: Any, what: str, max_len: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise PackRejected(f"The pack's manifest has an invalid {what}.")
    # C0, DEL and C1 controls (U+009B starts a terminal escape) and bidi overrides: none
    # belongs in a title.
    if any(((ord(c) < 32 or 0x7F <= ord(c) <= 0x9F) and c != "\t") or c in BIDI_CONTROLS for c in value):
        raise PackRejected(f"The pack's manifest has control characters in its {what}.")
    return value


def _int(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PackRejected(f"The pack's manifest has an invalid {what}.")
    return value


def parse_manifest(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Manifest:
    """Parse verified manifest bytes strictly."""
    if len(data) > limits.manifest_bytes:
        raise PackRejected("The pack's manifest is larger than Satchel accepts.")
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise PackRejected("The pack's manifest is not valid UTF-8.") from None
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise PackRejected("The pack's manifest is not valid JSON.") from None
    if not isinstance(doc, dict) or not _MANIFEST_KEYS <= set(doc) <= _MANIFEST_KEYS | _OPTIONAL_KEYS:
        raise PackRejected("The pack's manifest does not have the fields Satchel expects.")
    _int(doc["format"], "format", FORMAT_VERSION, FORMAT_VERSION)
    pack_id = _str(doc["id"], "pack id", limits.pack_id_chars)
    if not PACK_ID_RE.fullmatch(pack_id):
        raise PackRejected("The pack's manifest has an invalid pack id.")
    version = _int(doc["version"], "version", 1, MAX_VERSION)
    title = _str(doc["title"], "title", limits.title_chars)
    language = _str(doc["language"], "language", 35)
    if not LANG_RE.fullmatch(language):
        raise PackRejected("The pack's manifest has an invalid language tag.")
    kind = doc["kind"]
    if kind not in ("guide", "course"):
        raise PackRejected("The pack's manifest has an invalid kind.")
    signer = doc["signer"]
    if not isinstance(signer, str) or not _KEY_ID_RE.fullmatch(signer):
        raise PackRejected("The pack's manifest has an invalid signer key id.")

    raw_files = doc["files"]
    if not isinstance(raw_files, list) or len(raw_files) > limits.files:
        raise PackRejected("The pack's manifest has an invalid file list.")
    files: list[FileEntry] = []
    seen: set[str] = set()
    for entry in raw_files:
        if not isinstance(entry, dict) or set(entry) != {"path", "size", "sha256"}:
            raise PackRejected("The pack's manifest has an invalid file entry.")
        path = entry["path"]
        if check_member_path(path, limits) is not None or path in (MANIFEST_NAME, SIGNATURE_NAME):
            raise PackRejected("The pack's manifest lists a file with an unsafe path.")
        folded = path.casefold()
        if folded in seen:
            raise PackRejected("The pack's manifest lists the same file twice.")
        seen.add(folded)
        size = _int(entry["size"], "file size", 0, limits.media_bytes)
        sha = entry["sha256"]
        if not isinstance(sha, str) or not SHA256_RE.fullmatch(sha):
            raise PackRejected("The pack's manifest has an invalid file hash.")
        files.append(FileEntry(path, size, sha))
    if sum(f.size for f in files) > limits.pack_bytes:
        raise PackRejected("The pack's content is larger than Satchel accepts.")

    raw_chapters = doc["chapters"]
    if not isinstance(raw_chapters, list) or not raw_chapters or len(raw_chapters) > limits.chapters:
        raise PackRejected("The pack's manifest has an invalid chapter list.")
    listed = {f.path for f in files}
    chapters: list[ChapterEntry] = []
    page_seen: set[str] = set()
    for ch in raw_chapters:
        if not isinstance(ch, dict) or set(ch) != {"title", "pages"}:
            raise PackRejected("The pack's manifest has an invalid chapter.")
        ch_title = _str(ch["title"], "chapter title", limits.title_chars)
        pages = ch["pages"]
        if not isinstance(pages, list) or not pages:
            raise PackRejected("The pack's manifest has a chapter without pages.")
        for page in pages:
            if not isinstance(page, str) or page not in listed or not page.endswith(".md") or page in page_seen:
                raise PackRejected("The pack's manifest lists a page that is not among its files.")
            page_seen.add(page)
        chapters.append(ChapterEntry(ch_title, tuple(pages)))
    extra = _parse_optional(doc, pack_id, files, limits)
    bridges = _bridges(doc["tor"]) if "tor" in doc else ()
    return Manifest(pack_id, version, title, language, kind, signer, tuple(chapters), tuple(files), **extra,
                    bridges=bridges)


def _optional_str(doc: dict[str, Any], key: str, what: str, max_len: int) -> str:
    if key not in doc:
        return ""
    return _str(doc[key], what, max_len)


def _parse_optional(doc: dict[str, Any], pack_id: str, files: list[FileEntry], limits: Limits) -> dict[str, Any]:
    """The optional fields: metadata shown to readers, other packs used, shared media."""
    licence = _optional_str(doc, "licence", "licence", LICENCE_CHARS)
    attribution = _optional_str(doc, "attribution", "attribution", ATTRIBUTION_CHARS)
    translation = _optional_str(doc, "translation", "translation status", 20)
    if translation and translation not in TRANSLATION_STATES:
        raise PackRejected("The pack's manifest has an invalid translation status.")
    translated_from = _optional_str(doc, "translated_from", "source language", 35)
    if translated_from and not LANG_RE.fullmatch(translated_from):
        raise PackRejected("The pack's manifest has an invalid source language.")
    raw_uses = doc.get("uses", [])
    if not isinstance(raw_uses, list) or len(raw_uses) > MAX_USES:
        raise PackRejected("The pack's manifest has an invalid list of packs it uses.")
    uses: list[UsedPack] = []
    for entry in raw_uses:
        if not isinstance(entry, dict) or set(entry) != {"pack", "title"}:
            raise PackRejected("The pack's manifest has an invalid entry in the packs it uses.")
        other = entry["pack"]
        if not isinstance(other, str) or not PACK_ID_RE.fullmatch(other) or len(other) > limits.pack_id_chars \
                or other == pack_id or other in {u.pack for u in uses}:
            raise PackRejected("The pack's manifest names an invalid pack among those it uses.")
        uses.append(UsedPack(other, _str(entry["title"], "title of a pack it uses", limits.title_chars)))
    raw_shared = doc.get("shared_media", [])
    if not isinstance(raw_shared, list) or len(raw_shared) + len(files) > limits.files:
        raise PackRejected("The pack's manifest has an invalid list of shared media.")
    used = {u.pack for u in uses}
    taken = {f.path.casefold() for f in files}
    shared: list[SharedEntry] = []
    for entry in raw_shared:
        if not isinstance(entry, dict) or set(entry) != {"path", "pack", "size", "sha256"}:
            raise PackRejected("The pack's manifest has an invalid shared media entry.")
        path, other, sha = entry["path"], entry["pack"], entry["sha256"]
        if check_member_path(path, limits) is not None or not path.startswith("media/") \
                or path.casefold() in taken:
            raise PackRejected("The pack's manifest lists shared media with an unsafe or repeated path.")
        taken.add(path.casefold())
        if other not in used:
            raise PackRejected("The pack's manifest takes media from a pack it does not name.")
        if not isinstance(sha, str) or not SHA256_RE.fullmatch(sha):
            raise PackRejected("The pack's manifest has an invalid file hash.")
        shared.append(SharedEntry(path, other, _int(entry["size"], "file size", 0, limits.media_bytes), sha))
    return {"licence": licence, "attribution": attribution, "translation": translation,
            "translated_from": translated_from, "uses": tuple(uses), "shared_media": tuple(shared)}


def _bridges(tor: Any) -> tuple[str, ...]:
    """The optional `tor` object: bridge lines, each already in canonical form."""
    if not isinstance(tor, dict) or set(tor) != {"bridges"} or not isinstance(tor["bridges"], list):
        raise PackRejected("The pack's manifest has an invalid tor section.")
    lines = tor["bridges"]
    if not lines or len(lines) > MAX_BRIDGES or len(set(map(str, lines))) != len(lines):
        raise PackRejected("The pack's manifest has an invalid list of bridges.")
    for line in lines:
        try:
            if parse_bridge(line).line != line:
                raise BadBridge("not canonical")
        except BadBridge:
            raise PackRejected("The pack's manifest carries an invalid bridge line.") from None
    return tuple(lines)
