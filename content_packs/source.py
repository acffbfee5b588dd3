"""Reading and validating a pack source folder (pack.toml + pages/*.md + media/*).

`check_source` runs every check and collects every problem (content_packs.problems):
each names the file, the field or line, and what to do, so a trainer fixes a folder in
one round. `load_source` is the same, raising `SourceProblems` when there is any error.
A folder that does not exist, or has no readable pack.toml, is one sentence at once.

Nothing outside the folder is read, except the source folders of other packs that
pack.toml names in [[uses]] (content_packs.uses), which are read the same way: links,
symlinks and '..' paths that would reach elsewhere are refused.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.bidi import bidi_controls
from content_packs.bridges import BadBridge, parse_bridges
from content_packs.errors import SourceError
from content_packs.limits import (
    DEFAULT_LIMITS,
    LANG_RE,
    PACK_ID_RE,
    TRUST_NAME,
    TRUST_SIG_NAME,
    Limits,
    check_member_path,
)
from content_packs.manifest import (
    ATTRIBUTION_CHARS,
    LICENCE_CHARS,
    MAX_VERSION,
    TRANSLATION_STATES,
    ChapterEntry,
    FileEntry,
    SharedEntry,
    UsedPack,
)
from content_packs.problems import Problem, Problems, SourceProblems, shown

_PACK_KEYS = {"id", "version", "title", "language", "kind",
              "licence", "attribution", "translation", "translated_from"}
_TOML = "pack.toml"


@dataclass
class PackSource:
    root: Path
    id: str
    version: int
    title: str
    language: str
    kind: str
    chapters: list[ChapterEntry]
    files: dict[str, bytes] = field(default_factory=dict)   # path in pack -> bytes
    licence: str = ""
    attribution: str = ""
    translation: str = ""
    translated_from: str = ""
    uses: list[UsedPack] = field(default_factory=list)
    shared: dict[str, SharedEntry] = field(default_factory=dict)  # media shown, carried by another pack
    bridges: list[str] = field(default_factory=list)       # [tor] bridges, canonical lines

    def file_entries(self) -> list[FileEntry]:
        return [FileEntry(p, len(b), hashlib.sha256(b).hexdigest()) for p, b in sorted(self.files.items())]

    def shared_entries(self) -> list[SharedEntry]:
        return [self.shared[p] for p in sorted(self.shared)]


@dataclass
class SourceReport:
    source: PackSource | None  # None when pack.toml could not be read at all
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]

    @property
    def ok(self) -> bool:
        return self.source is not None and not self.errors


def read_inside(root: Path, rel: str, cap: int, problems: Problems, file: str, line: int | None = None,
                limits: Limits = DEFAULT_LIMITS) -> bytes | None:
    """A regular file inside `root` (no links anywhere along its path), within a cap; or
    None with the problem recorded against `file` (and `line`)."""
    why = check_member_path(rel, limits)
    if why:
        problems.error(file, f"'{shown(rel, 240)}': {why}", line)
        return None
    path = root / rel
    current = root
    for part in rel.split("/"):
        current = current / part
        if current.is_symlink():
            problems.error(file, f"'{rel}' is a link; packs may only contain plain files (copy the file in)", line)
            return None
    if not path.is_file():
        problems.error(file, f"'{rel}' does not exist in the pack folder (names are case-sensitive)", line)
        return None
    size = path.stat().st_size
    if size > cap:
        problems.error(file, f"'{rel}' is larger than the limit of {cap // (1024 * 1024)} MiB", line)
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        problems.error(file, f"'{rel}' cannot be read ({exc.strerror})", line)
        return None


def _read_toml(root: Path, limits: Limits) -> dict[str, Any]:
    """pack.toml as a table; SourceError (one sentence) when there is nothing to check."""
    if not root.is_dir():
        raise SourceError(f"'{root}' is not a folder.")
    toml_path = root / _TOML
    if not toml_path.is_file() or toml_path.is_symlink():
        raise SourceError(f"'{root}' has no pack.toml.")
    if toml_path.stat().st_size > limits.toml_bytes:
        raise SourceError("pack.toml is too large.")
    try:
        return tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise SourceError("pack.toml is not valid UTF-8.") from None
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(f"pack.toml is not valid TOML: {exc}.") from None


class _Fields:
    """Typed access to one pack.toml table, recording a problem for each bad field."""

    def __init__(self, table: dict[str, Any], where: str, problems: Problems) -> None:
        self.table, self.where, self.problems = table, where, problems

    def get(self, key: str, kind: type, required: bool = True) -> Any:
        if key not in self.table:
            if required:
                self.problems.error(_TOML, f"[{self.where}] is missing the field '{key}'")
            return None
        value = self.table[key]
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            self.problems.error(_TOML, f"[{self.where}] field '{key}' must be a {kind.__name__}")
            return None
        return value

    def text(self, key: str, max_chars: int, required: bool = True) -> str | None:
        value = self.get(key, str, required)
        if value is None:
            return None
        value = str(value).strip()
        if not value or len(value) > max_chars:
            self.problems.error(_TOML, f"[{self.where}] field '{key}' must have 1 to {max_chars} characters")
            return None
        controls = bidi_controls(value)
        if controls:
            self.problems.error(_TOML, f"[{self.where}] field '{key}' contains an invisible direction control "
                                f"({', '.join(controls[:3])}) that can make it look like something else; remove it")
            return None
        if any(ord(c) < 32 and c != "\t" for c in value):
            self.problems.error(_TOML, f"[{self.where}] field '{key}' contains control characters; remove them")
            return None
        return value

    def unknown(self, allowed: set[str]) -> None:
        for key in sorted(set(self.table) - allowed):
            self.problems.error(_TOML, f"[{self.where}] has an unknown field '{shown(key, 40)}' "
                                f"(allowed: {', '.join(sorted(allowed))})")


def _pack_table(doc: dict[str, Any], root: Path, limits: Limits, problems: Problems) -> PackSource:
    pack = doc.get("pack")
    if not isinstance(pack, dict):
        problems.error(_TOML, "the [pack] table is missing")
        pack = {}
    f = _Fields(pack, "pack", problems)
    f.unknown(_PACK_KEYS)
    pack_id = f.get("id", str)
    if pack_id is not None and (not PACK_ID_RE.fullmatch(pack_id) or len(pack_id) > limits.pack_id_chars
                                or "." not in pack_id):
        problems.error(_TOML, "[pack] field 'id' must be lower-case reverse-DNS, like 'org.example.guide'")
    version = f.get("version", int)
    if version is not None and not 1 <= version <= MAX_VERSION:
        problems.error(_TOML, f"[pack] field 'version' must be a whole number from 1 to {MAX_VERSION}")
    title = f.text("title", limits.title_chars)
    language = f.get("language", str)
    if language is not None and not LANG_RE.fullmatch(language):
        problems.error(_TOML, "[pack] field 'language' must be a BCP 47 tag, like 'ar' or 'zh-Hans'")
    kind = f.get("kind", str)
    if kind is not None and kind not in ("guide", "course"):
        problems.error(_TOML, "[pack] field 'kind' must be \"guide\" or \"course\"")
    src = PackSource(root, pack_id or "", version or 1, title or "", language or "en", kind or "guide", [])
    src.licence = f.text("licence", LICENCE_CHARS, required=False) or ""
    src.attribution = f.text("attribution", ATTRIBUTION_CHARS, required=False) or ""
    src.translation = str(f.get("translation", str, required=False) or "")
    if src.translation and src.translation not in TRANSLATION_STATES:
        problems.error(_TOML, "[pack] field 'translation' must be one of "
                       + ", ".join(f'"{s}"' for s in TRANSLATION_STATES))
    src.translated_from = f.get("translated_from", str, required=False) or ""
    if src.translated_from and not LANG_RE.fullmatch(src.translated_from):
        problems.error(_TOML, "[pack] field 'translated_from' must be a BCP 47 tag, like 'en'")
    if src.translated_from and src.translation in ("", "original"):
        problems.error(_TOML, "[pack] field 'translated_from' needs 'translation' to say how it was "
                       "translated (\"translated\", \"reviewed\" or \"machine-assisted\")")
    return src


def _chapters(doc: dict[str, Any], src: PackSource, limits: Limits, problems: Problems) -> None:
    raw_chapters = doc.get("chapters")
    if not isinstance(raw_chapters, list) or not raw_chapters:
        problems.error(_TOML, "at least one [[chapters]] table is needed")
        return
    if len(raw_chapters) > limits.chapters:
        problems.error(_TOML, f"there are more than {limits.chapters} chapters")
        return
    listed: set[str] = set()
    for n, chapter in enumerate(raw_chapters, start=1):
        where = f"chapters #{n}"
        if not isinstance(chapter, dict):
            problems.error(_TOML, f"[{where}] must be a table")
            continue
        f = _Fields(chapter, where, problems)
        f.unknown({"title", "pages"})
        ch_title = f.text("title", limits.title_chars)
        pages = f.get("pages", list) or []
        if "pages" in chapter and isinstance(chapter["pages"], list) and not pages:
            problems.error(_TOML, f"[{where}] field 'pages' must list at least one page")
        kept: list[str] = []
        for page in pages:
            if not isinstance(page, str):
                problems.error(_TOML, f"[{where}] field 'pages' must list file paths as strings")
                continue
            if not page.startswith("pages/") or not page.endswith(".md"):
                problems.error(_TOML, f"[{where}] page '{shown(page)}' must be a .md file under pages/")
                continue
            if page in listed:
                problems.error(_TOML, f"page '{page}' is listed twice; list each page once")
                continue
            listed.add(page)
            data = read_inside(src.root, page, limits.page_bytes, problems, _TOML, limits=limits)
            if data is not None:
                src.files[page] = data
            kept.append(page)
        if ch_title and kept:
            src.chapters.append(ChapterEntry(ch_title, tuple(kept)))


def _tor_bridges(tor: Any, problems: Problems) -> list[str]:
    """The optional [tor] table: bridge lines the pack carries to people who cannot reach Tor."""
    if tor is None:
        return []
    if not isinstance(tor, dict):
        problems.error(_TOML, "[tor] must be a table")
        return []
    for key in sorted(set(tor) - {"bridges"}):
        problems.error(_TOML, f"[tor] has an unknown field '{shown(key, 40)}' (allowed: bridges)")
    lines = tor.get("bridges")
    if not isinstance(lines, list) or not lines or not all(isinstance(x, str) for x in lines):
        problems.error(_TOML, "[tor] field 'bridges' must list bridge lines as strings")
        return []
    try:
        bridges = parse_bridges(lines)
    except BadBridge as exc:
        problems.error(_TOML, f"[tor] bridges: {exc}")
        return []
    if len(bridges) != len(lines):
        problems.error(_TOML, "[tor] bridges: a line is empty, a comment or listed twice")
        return []
    return [b.line for b in bridges]


def check_source(root: Path, limits: Limits = DEFAULT_LIMITS, trust_list: Path | None = None,
                 *, follow_uses: bool = True) -> SourceReport:
    """Every problem of a source folder, and the pack it describes (None if pack.toml
    cannot be read). With `follow_uses`, the folders of packs named in [[uses]] are read
    too, to check links into them and to take shared pictures from them."""
    from content_packs import pagecheck, uses

    root = Path(root)
    doc = _read_toml(root, limits)
    problems = Problems()
    for table in sorted(set(doc) - {"pack", "chapters", "uses", "tor"}):
        problems.error(_TOML, f"unknown table '{shown(table, 40)}' (allowed: [pack], [[chapters]], [[uses]], [tor])")
    src = _pack_table(doc, root, limits, problems)
    src.bridges = _tor_bridges(doc.get("tor"), problems)
    used = uses.read_uses(doc.get("uses"), src, limits, problems, follow=follow_uses)
    _chapters(doc, src, limits, problems)
    pages_listed = {p for c in src.chapters for p in c.pages}
    for page in sorted(pages_listed):
        if page in src.files:
            pagecheck.check_page(pagecheck.PageContext(src, page, pages_listed, used, limits, problems))
    uses.check_used(src, used, problems)
    if trust_list is not None:
        try:
            src.files[TRUST_NAME] = Path(trust_list).read_bytes()
            src.files[TRUST_SIG_NAME] = Path(str(trust_list) + ".minisig").read_bytes()
        except OSError as exc:
            problems.error(str(trust_list), f"the trust list cannot be read ({exc.strerror})")
    folded: dict[str, str] = {}
    for path in [*src.files, *src.shared]:
        if path.casefold() in folded and folded[path.casefold()] != path:
            problems.error(path, f"'{path}' and '{folded[path.casefold()]}' differ only in case; rename one")
        folded[path.casefold()] = path
    if len(src.files) + len(src.shared) > limits.files:
        problems.error(_TOML, f"the pack has more than {limits.files} files; split it into several packs")
    if sum(len(b) for b in src.files.values()) > limits.pack_bytes:
        problems.error(_TOML, "the pack's files are larger than 2 GiB; split it, or make pictures smaller")
    return SourceReport(src, problems.sorted())


def load_source(root: Path, limits: Limits = DEFAULT_LIMITS, trust_list: Path | None = None) -> PackSource:
    """Validate a pack source folder and gather every file that goes into the pack."""
    report = check_source(root, limits, trust_list)
    if report.errors or report.source is None:
        raise SourceProblems(report.problems)
    return report.source
