"""Other packs a pack uses: links into their pages, and pictures it shows but does not carry.

pack.toml names each one in a [[uses]] table:

    [[uses]]
    pack = "org.example.guide-en"   # the other pack's id
    source = "../en"                # its source folder (relative to this one), to check
                                    # links into it and read its pictures' hashes
    media = true                    # show its pictures instead of carrying copies

With `media = true`, a picture this pack's pages show that the other pack carries (the
same path under media/) goes into the manifest as a shared entry (path, pack, size,
SHA-256) and not into this pack: seven language editions carry one set of screenshots.
A copy of it in this folder that differs from the other pack's is an error (a wrong
hash), so editions never drift apart silently. Pictures the other pack does not carry
are carried by this pack as usual.

A link `satchel:PACK_ID/pages/x.md#part` must name a pack declared here; with a source
folder, the page must be one of its pages.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from content_packs.limits import PACK_ID_RE, Limits
from content_packs.manifest import MAX_USES, SharedEntry, UsedPack
from content_packs.problems import Problems, shown

if TYPE_CHECKING:
    from app.markdown import PackLink
    from content_packs.source import PackSource

_TOML = "pack.toml"


@dataclass
class UsedSource:
    pack: str
    title: str
    media: bool
    folder: Path | None
    pages: set[str] | None = None  # the other pack's pages (None: no source folder read)
    files: dict[str, bytes] | None = None  # the media it carries
    taken: int = 0  # pictures shown from it
    linked: int = 0  # links into it


def _folder(root: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else root / path


def read_uses(raw: Any, src: PackSource, limits: Limits, problems: Problems, follow: bool) -> dict[str, UsedSource]:
    """The [[uses]] tables, checked; with `follow`, each source folder is read too."""
    from content_packs.source import check_source

    used: dict[str, UsedSource] = {}
    if raw is None:
        return used
    if not isinstance(raw, list) or len(raw) > MAX_USES:
        problems.error(_TOML, f"[[uses]] must be a list of at most {MAX_USES} tables")
        return used
    for n, table in enumerate(raw, start=1):
        where = f"[[uses]] #{n}"
        if not isinstance(table, dict):
            problems.error(_TOML, f"{where} must be a table")
            continue
        for key in sorted(set(table) - {"pack", "source", "media", "title"}):
            problems.error(_TOML, f"{where} has an unknown field '{shown(key, 40)}' (allowed: media, pack, source, "
                           "title)")
        pack, source, media, title = table.get("pack"), table.get("source"), table.get("media", False), \
            table.get("title")
        if not isinstance(pack, str) or not PACK_ID_RE.fullmatch(pack) or "." not in pack \
                or len(pack) > limits.pack_id_chars:
            problems.error(_TOML, f"{where} field 'pack' must be the other pack's id, like 'org.example.glossary'")
            continue
        if pack == src.id:
            problems.error(_TOML, f"{where} names this pack itself; link to its pages as other.md instead")
            continue
        if pack in used:
            problems.error(_TOML, f"{where} names '{pack}' a second time; name each pack once")
            continue
        if not isinstance(media, bool):
            problems.error(_TOML, f"{where} field 'media' must be true or false")
            media = False
        if title is not None and (not isinstance(title, str) or not title.strip()
                                  or len(title) > limits.title_chars):
            problems.error(_TOML, f"{where} field 'title' must be text of 1 to {limits.title_chars} characters")
            title = None
        entry = UsedSource(pack, (title or "").strip(), media, None)
        if source is not None and not isinstance(source, str):
            problems.error(_TOML, f"{where} field 'source' must be the path of the other pack's source folder")
            source = None
        if source is None:
            if media:
                problems.error(_TOML, f"{where}: 'media = true' needs 'source', the folder of '{pack}' to read "
                               "the shared pictures from")
        else:
            entry.folder = _folder(src.root, source)
            if follow:
                _read_other(entry, where, src, limits, problems, check_source)
        if not entry.title:
            entry.title = pack
        used[pack] = entry
        src.uses.append(UsedPack(pack, entry.title))
    return used


def _read_other(entry: UsedSource, where: str, src: PackSource, limits: Limits, problems: Problems,
                check_source: Any) -> None:
    from content_packs.errors import SourceError

    folder = entry.folder
    assert folder is not None
    if folder.resolve() == src.root.resolve():
        problems.error(_TOML, f"{where} field 'source' is this pack's own folder")
        return
    try:
        report = check_source(folder, limits, follow_uses=False)
    except SourceError as exc:
        problems.error(_TOML, f"{where}: the source folder of '{entry.pack}' cannot be read: {exc}")
        return
    other = report.source
    if other is None:
        return
    if other.id != entry.pack:
        problems.error(_TOML, f"{where}: '{folder}' holds the pack '{other.id}', not '{entry.pack}'; "
                       "fix 'pack' or 'source'")
        return
    if report.errors:
        problems.error(_TOML, f"{where}: the source folder of '{entry.pack}' has {len(report.errors)} problem(s); "
                       f"run 'satchel pack check {folder}'")
    entry.title = entry.title or other.title
    entry.pages = {p for c in other.chapters for p in c.pages}
    entry.files = {path: data for path, data in other.files.items() if path.startswith("media/")}


def check_pack_link(src: PackSource, used: dict[str, UsedSource], link: PackLink, page: str,
                    line: int | None, problems: Problems) -> None:
    target = f"satchel:{link.pack_id}/{link.path}"
    if link.pack_id == src.id:
        problems.error(page, f"the link '{shown(target)}' leads into this same pack; write it as a path relative "
                       "to the page (like other.md)", line)
        return
    other = used.get(link.pack_id)
    if other is None:
        problems.error(page, f"the link '{shown(target)}' names the pack '{link.pack_id}', which pack.toml does "
                       f"not declare; add a [[uses]] table with pack = \"{link.pack_id}\" and its source folder",
                       line)
        return
    other.linked += 1
    if other.pages is None:
        problems.warn(page, f"the link '{shown(target)}' is not checked: give the source folder of "
                      f"'{link.pack_id}' in its [[uses]] table", line)
    elif link.path not in other.pages:
        problems.error(page, f"the link '{shown(target)}' points to a page that '{link.pack_id}' does not have",
                       line)


def take_shared(src: PackSource, used: dict[str, UsedSource], target: str, page: str, line: int | None,
                problems: Problems) -> bool:
    """Record `target` as shared when a pack used with `media = true` carries it."""
    for other in used.values():
        if not other.media or other.files is None or target not in other.files:
            continue
        data = other.files[target]
        digest = hashlib.sha256(data).hexdigest()
        local = src.root / target
        if local.is_file() and not local.is_symlink():
            try:
                mine = hashlib.sha256(local.read_bytes()).hexdigest()
            except OSError:
                mine = digest
            if mine != digest:
                problems.error(page, f"'{target}' in this folder differs from the copy in '{other.pack}' (its hash "
                               f"does not match); give this edition's own picture another name, or delete it to "
                               "show the shared one", line)
                return True
        src.shared[target] = SharedEntry(target, other.pack, len(data), digest)
        other.taken += 1
        return True
    return False


def check_used(src: PackSource, used: dict[str, UsedSource], problems: Problems) -> None:
    for other in used.values():
        if other.folder is not None and other.pages is not None and not other.taken and not other.linked:
            problems.warn(_TOML, f"[[uses]] names '{other.pack}', but no page links to it or shows its pictures")
