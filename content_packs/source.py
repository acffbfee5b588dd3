"""Reading and validating a pack source folder (pack.toml + pages/*.md + media/*).

Every problem is reported as one sentence naming the file and the field, so a trainer
can fix it. Nothing outside the folder is ever read: links, symlinks and '..' paths that
would reach outside it are refused.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app import markdown as md
from app.quiz import is_quiz_path, quiz_problems
from content_packs.bridges import BadBridge, parse_bridges
from content_packs.errors import SourceError
from content_packs.limits import (
    DEFAULT_LIMITS,
    LANG_RE,
    MEDIA_TYPES,
    PACK_ID_RE,
    TRUST_NAME,
    TRUST_SIG_NAME,
    Limits,
    check_member_path,
)
from content_packs.manifest import ChapterEntry, FileEntry

_PACK_KEYS = {"id", "version", "title", "language", "kind"}


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
    bridges: list[str] = field(default_factory=list)       # [tor] bridges, canonical lines

    def file_entries(self) -> list[FileEntry]:
        return [FileEntry(p, len(b), hashlib.sha256(b).hexdigest()) for p, b in sorted(self.files.items())]


def _field(table: dict[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in table:
        raise SourceError(f"pack.toml: [{where}] is missing the field '{key}'.")
    value = table[key]
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise SourceError(f"pack.toml: [{where}] field '{key}' must be a {kind.__name__}.")
    return value


def _read_inside(root: Path, rel: str, cap: int, what: str) -> bytes:
    """Read a file that must be a regular file inside `root` (no links), within a cap."""
    problem = check_member_path(rel)
    if problem:
        raise SourceError(f"{what}: '{rel}': {problem}.")
    path = root / rel
    # Refuse links anywhere along the way, so nothing outside the folder can be pulled in.
    current = root
    for part in rel.split("/"):
        current = current / part
        if current.is_symlink():
            raise SourceError(f"{what}: '{rel}' is a link; packs may only contain plain files.")
    if not path.is_file():
        raise SourceError(f"{what}: '{rel}' does not exist in the pack folder.")
    size = path.stat().st_size
    if size > cap:
        raise SourceError(f"{what}: '{rel}' is larger than the limit of {cap // (1024 * 1024)} MiB.")
    return path.read_bytes()


def load_source(root: Path, limits: Limits = DEFAULT_LIMITS, trust_list: Path | None = None) -> PackSource:
    """Validate a pack source folder and gather every file that goes into the pack."""
    root = Path(root)
    if not root.is_dir():
        raise SourceError(f"'{root}' is not a folder.")
    toml_path = root / "pack.toml"
    if not toml_path.is_file() or toml_path.is_symlink():
        raise SourceError(f"'{root}' has no pack.toml.")
    if toml_path.stat().st_size > limits.toml_bytes:
        raise SourceError("pack.toml is too large.")
    try:
        doc = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise SourceError("pack.toml is not valid UTF-8.") from None
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(f"pack.toml is not valid TOML: {exc}.") from None

    unknown = set(doc) - {"pack", "chapters", "tor"}
    if unknown:
        raise SourceError(f"pack.toml: unknown table '{sorted(unknown)[0]}'.")
    pack = doc.get("pack")
    if not isinstance(pack, dict):
        raise SourceError("pack.toml: the [pack] table is missing.")
    extra = set(pack) - _PACK_KEYS
    if extra:
        raise SourceError(f"pack.toml: [pack] has an unknown field '{sorted(extra)[0]}'.")
    pack_id = _field(pack, "id", str, "pack")
    if not PACK_ID_RE.match(pack_id) or len(pack_id) > limits.pack_id_chars or "." not in pack_id:
        raise SourceError("pack.toml: [pack] field 'id' must be lower-case reverse-DNS, like 'org.example.guide'.")
    version = _field(pack, "version", int, "pack")
    if not 1 <= version <= 2**53:
        raise SourceError("pack.toml: [pack] field 'version' must be a whole number from 1 up.")
    title = _field(pack, "title", str, "pack").strip()
    if not title or len(title) > limits.title_chars:
        raise SourceError(f"pack.toml: [pack] field 'title' must have 1 to {limits.title_chars} characters.")
    language = _field(pack, "language", str, "pack")
    if not LANG_RE.match(language):
        raise SourceError("pack.toml: [pack] field 'language' must be a BCP 47 tag, like 'ar' or 'zh-Hans'.")
    kind = _field(pack, "kind", str, "pack")
    if kind not in ("guide", "course"):
        raise SourceError("pack.toml: [pack] field 'kind' must be \"guide\" or \"course\".")

    raw_chapters = doc.get("chapters")
    if not isinstance(raw_chapters, list) or not raw_chapters:
        raise SourceError("pack.toml: at least one [[chapters]] table is needed.")
    if len(raw_chapters) > limits.chapters:
        raise SourceError("pack.toml: too many chapters.")
    src = PackSource(root, pack_id, version, title, language, kind, [])
    for n, chapter in enumerate(raw_chapters, start=1):
        where = f"chapters #{n}"
        if not isinstance(chapter, dict):
            raise SourceError(f"pack.toml: [{where}] must be a table.")
        extra = set(chapter) - {"title", "pages"}
        if extra:
            raise SourceError(f"pack.toml: [{where}] has an unknown field '{sorted(extra)[0]}'.")
        ch_title = _field(chapter, "title", str, where).strip()
        if not ch_title or len(ch_title) > limits.title_chars:
            raise SourceError(f"pack.toml: [{where}] field 'title' must not be empty.")
        pages = _field(chapter, "pages", list, where)
        if not pages:
            raise SourceError(f"pack.toml: [{where}] field 'pages' must list at least one page.")
        for page in pages:
            if not isinstance(page, str):
                raise SourceError(f"pack.toml: [{where}] field 'pages' must list file paths as strings.")
            if not page.startswith("pages/") or not page.endswith(".md"):
                raise SourceError(f"pack.toml: [{where}] page '{page}' must be a .md file under pages/.")
            if page in src.files:
                raise SourceError(f"pack.toml: page '{page}' is listed twice.")
            src.files[page] = _read_inside(root, page, limits.page_bytes, "pack.toml")
        src.chapters.append(ChapterEntry(ch_title, tuple(pages)))

    src.bridges = _tor_bridges(doc.get("tor"))
    pages_listed = {p for c in src.chapters for p in c.pages}
    for page in sorted(pages_listed):
        _check_page(src, page, pages_listed, limits)
    if trust_list is not None:
        src.files[TRUST_NAME] = Path(trust_list).read_bytes()
        src.files[TRUST_SIG_NAME] = Path(str(trust_list) + ".minisig").read_bytes()
    folded: dict[str, str] = {}
    for path in src.files:
        if path.casefold() in folded:
            raise SourceError(f"'{path}' and '{folded[path.casefold()]}' differ only in case; rename one.")
        folded[path.casefold()] = path
    if len(src.files) > limits.files:
        raise SourceError("The pack has more files than Satchel accepts.")
    if sum(len(b) for b in src.files.values()) > limits.pack_bytes:
        raise SourceError("The pack's files are larger than Satchel accepts.")
    return src


def _tor_bridges(tor: Any) -> list[str]:
    """The optional [tor] table: bridge lines the pack carries to people who cannot reach Tor."""
    if tor is None:
        return []
    if not isinstance(tor, dict):
        raise SourceError("pack.toml: [tor] must be a table.")
    extra = set(tor) - {"bridges"}
    if extra:
        raise SourceError(f"pack.toml: [tor] has an unknown field '{sorted(extra)[0]}'.")
    lines = tor.get("bridges")
    if not isinstance(lines, list) or not lines or not all(isinstance(x, str) for x in lines):
        raise SourceError("pack.toml: [tor] field 'bridges' must list bridge lines as strings.")
    try:
        bridges = parse_bridges(lines)
    except BadBridge as exc:
        raise SourceError(f"pack.toml: [tor] bridges: {exc}") from None
    if len(bridges) != len(lines):
        raise SourceError("pack.toml: [tor] bridges: a line is empty, a comment or listed twice.")
    return [b.line for b in bridges]


def _check_page(src: PackSource, page: str, pages_listed: set[str], limits: Limits) -> None:
    try:
        text = src.files[page].decode("utf-8")
    except UnicodeDecodeError:
        raise SourceError(f"{page}: the page is not valid UTF-8 text.") from None
    if md.page_title(text) is None:
        raise SourceError(f"{page}: the page needs a heading for its title (a line starting with '# ').")
    if is_quiz_path(page):
        problems = quiz_problems(text)
        if problems:
            raise SourceError(f"{page}: {problems[0]}.")
    for ref in md.references(text):
        where = f"{page}" + (f" line {ref.line}" if ref.line else "")
        kind = md.classify_target(ref.target)
        shown = ref.target[:80]
        if kind == "forbidden":
            raise SourceError(f"{where}: the {ref.kind} '{shown}' is not allowed "
                              "(only pages, media in the pack, http, https and mailto).")
        if ref.kind == "image" and kind != "media":
            raise SourceError(f"{where}: the image '{shown}' must be a file under media/ in the pack "
                              "(remote images are never loaded).")
        if kind == "page":
            target = md.resolve(page, ref.target.split("#", 1)[0])
            if target is None or target not in pages_listed:
                raise SourceError(f"{where}: the link '{shown}' points to a page that is not listed in pack.toml.")
        elif kind == "media":
            target = md.resolve(page, ref.target.split("#", 1)[0])
            if target is None or not target.startswith("media/"):
                raise SourceError(f"{where}: '{shown}' must point to a file under media/ inside the pack folder.")
            suffix = Path(target).suffix.lower()
            if suffix not in MEDIA_TYPES:
                kinds = ", ".join(sorted(MEDIA_TYPES))
                raise SourceError(f"{where}: '{shown}' is not a media type Satchel shows ({kinds}).")
            if target not in src.files:
                src.files[target] = _read_inside(src.root, target, limits.media_bytes, where)
