"""The signed manifest of a pack: its canonical bytes and a strict, bounded parser.

`parse_manifest` is only ever called on bytes whose signature has already been verified
(content_packs.verify); it still trusts nothing: duplicate keys, unknown fields, wrong
types, impossible values and oversized lists are refused with one sentence.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

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

_KEY_ID_RE = re.compile(r"^[0-9A-F]{16}$")
_MANIFEST_KEYS = {"format", "id", "version", "title", "language", "kind", "signer", "chapters", "files"}
_OPTIONAL_KEYS = {"tor"}   # absent unless the pack carries something there (older packs' bytes unchanged)
MAX_VERSION = 2**53


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
class Manifest:
    id: str
    version: int
    title: str
    language: str
    kind: str
    signer: str
    chapters: tuple[ChapterEntry, ...]
    files: tuple[FileEntry, ...]
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
        return {
            "format": FORMAT_VERSION,
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "language": self.language,
            "kind": self.kind,
            "signer": self.signer,
            "chapters": [{"title": c.title, "pages": list(c.pages)} for c in self.chapters],
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
        } | ({"tor": {"bridges": list(self.bridges)}} if self.bridges else {})

    def to_bytes(self) -> bytes:
        """Canonical form: sorted keys, no spaces, UTF-8 (the same input gives the same bytes)."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def trusted_comment(pack_id: str, version: int, timestamp: int) -> str:
    return f"satchel-pack id={pack_id} version={version} time={timestamp}"


_COMMENT_RE = re.compile(r"^satchel-pack id=([a-z0-9.-]+) version=([0-9]{1,16}) time=([0-9]{1,12})$")


def parse_trusted_comment(comment: str) -> tuple[str, int, int]:
    m = _COMMENT_RE.match(comment)
    if not m:
        raise PackRejected("The pack's signature does not name a pack id and version.")
    return m.group(1), int(m.group(2)), int(m.group(3))


_no_duplicates = no_duplicate_keys(PackRejected, "The pack's manifest repeats a field.")


def _reject_constant(name: str) -> Any:
    raise PackRejected("The pack's manifest holds a number that is not a number.")


def _str(value: Any, what: str, max_len: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise PackRejected(f"The pack's manifest has an invalid {what}.")
    if any(ord(c) < 32 and c not in "\t" for c in value):
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
    if not PACK_ID_RE.match(pack_id):
        raise PackRejected("The pack's manifest has an invalid pack id.")
    version = _int(doc["version"], "version", 1, MAX_VERSION)
    title = _str(doc["title"], "title", limits.title_chars)
    language = _str(doc["language"], "language", 35)
    if not LANG_RE.match(language):
        raise PackRejected("The pack's manifest has an invalid language tag.")
    kind = doc["kind"]
    if kind not in ("guide", "course"):
        raise PackRejected("The pack's manifest has an invalid kind.")
    signer = doc["signer"]
    if not isinstance(signer, str) or not _KEY_ID_RE.match(signer):
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
        if not isinstance(sha, str) or not SHA256_RE.match(sha):
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
    bridges = _bridges(doc["tor"]) if "tor" in doc else ()
    return Manifest(pack_id, version, title, language, kind, signer, tuple(chapters), tuple(files), bridges)


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
