"""Link and image targets in pages: what each one is, and where it leads inside a pack.

Guarantees:
* ``classify_target`` puts every target in exactly one class: "page", "media", "pack"
  (a page of another pack, ``satchel:PACK_ID/pages/x.md#part``), "external" (http,
  https, mailto: shown, never opened), "anchor" or "forbidden". Anything it is unsure
  of (other schemes, control or format characters, backslashes, double encoding,
  absolute paths, paths that leave the pack) is forbidden.
* ``resolve`` never returns a path outside the pack root, an absolute path, or a path
  with backslashes, control characters or empty segments.

No Qt, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote

PAGE = "page"
MEDIA = "media"
EXTERNAL = "external"
ANCHOR = "anchor"
FORBIDDEN = "forbidden"
PACK = "pack"

MAX_TARGET_CHARS = 2048


_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_HTTP_RE = re.compile(r"https?://[^/?#\s]+(?:[/?#]\S*)?", re.IGNORECASE)
_MAILTO_RE = re.compile(r"mailto:[^\s/?#][^\s]*", re.IGNORECASE)
_PERCENT_RE = re.compile(r"%[0-9A-Fa-f]{2}")


def _bad_char(ch: str) -> bool:
    if ch == " ":
        return False
    return ch == "\\" or ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn")


def _clean(value: str) -> bool:
    """No control, format or unassigned characters, no backslash, no whitespace other
    than inner ASCII spaces."""
    return not any(_bad_char(ch) for ch in value) and value == value.strip(" ")


def _unquote(value: str) -> str | None:
    """Percent-decode once; None for invalid UTF-8."""
    try:
        return unquote(value, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return None


def _decode(value: str) -> str | None:
    """Percent-decode a path once; None for invalid UTF-8 or double encoding, which
    would let a name mean different things to different readers."""
    decoded = _unquote(value)
    if decoded is None or _PERCENT_RE.search(decoded):
        return None
    return decoded


def _looks_like_scheme(value: str) -> bool:
    """A colon before any '/', '?' or '#': browsers would read a scheme."""
    head = re.split(r"[/?#]", value, maxsplit=1)[0]
    return ":" in head


def _split_relative(target: str) -> tuple[list[str], str] | None:
    """Decoded path segments and raw fragment of a relative target, or None."""
    if not target or len(target) > MAX_TARGET_CHARS or not _clean(target):
        return None
    if target.startswith(("/", "#")):
        return None
    path, _, fragment = target.partition("#")
    if "?" in path:
        return None
    decoded = _decode(path)
    if decoded is None or not decoded or not _clean(decoded):
        return None
    for form in (path, decoded, unicodedata.normalize("NFKC", decoded)):
        if _looks_like_scheme(form) or form.startswith("/") or "\\" in form:
            return None
    segments = decoded.split("/")
    if any(seg == "" for seg in segments) or segments[-1] in (".", ".."):
        return None
    return segments, fragment


_FRAGMENT_PUNCTUATION = frozenset("-_.~=&+!$'*,")


def _fragment_ok(fragment: str) -> bool:
    """Fragments name headings or PDF pages: letters, digits and a little punctuation
    (no colons, parentheses or semicolons that could read as anything else)."""
    decoded = _decode(fragment)
    return decoded is not None and all(
        ch in _FRAGMENT_PUNCTUATION or unicodedata.category(ch)[0] in "LMN" for ch in decoded
    )


_PACK_LINK_RE = re.compile(r"satchel:([a-z0-9]+(?:[.-][a-z0-9]+)*)/([^#]+)(?:#(.*))?")
_SEGMENT_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*\Z")


@dataclass(frozen=True)
class PackLink:
    """A link to a page of another pack: `satchel:PACK_ID/pages/x.md#part`."""

    pack_id: str
    path: str
    fragment: str


def pack_link(target: str) -> PackLink | None:
    """The pack, page and fragment a `satchel:` link names, or None if it is malformed."""
    m = _PACK_LINK_RE.fullmatch(target)
    if m is None:
        return None
    pack_id, path, fragment = m.group(1), m.group(2), m.group(3) or ""
    if len(pack_id) > 128 or len(path) > 200 or not path.lower().endswith(".md"):
        return None
    if not all(_SEGMENT_RE.match(segment) for segment in path.split("/")):
        return None
    if fragment and not _fragment_ok(fragment):
        return None
    return PackLink(pack_id, path, fragment)


def classify_target(target: str, *, page_path: str | None = None) -> str:
    """Classify a link or image target as "page", "media", "pack" (another pack's page),
    "external", "anchor" or "forbidden".

    With ``page_path`` (the page's path inside the pack) a relative target that would
    escape the pack root is "forbidden"; without it only the target itself is judged.
    """
    if not target or len(target) > MAX_TARGET_CHARS or not _clean(target):
        return FORBIDDEN
    decoded = _unquote(target)
    if decoded is None or not _clean(decoded):  # encoded controls, backslashes...
        return FORBIDDEN
    if any(_looks_like_scheme(f) for f in (target, decoded, unicodedata.normalize("NFKC", decoded))):
        scheme = _SCHEME_RE.match(target)
        name = scheme.group(1).lower() if scheme else ""
        if name in ("http", "https") and " " not in target and _HTTP_RE.fullmatch(target):
            return EXTERNAL
        if name == "mailto" and " " not in target and _MAILTO_RE.fullmatch(target):
            return EXTERNAL
        if name == "satchel" and target.startswith("satchel:") and pack_link(target) is not None:
            return PACK
        return FORBIDDEN
    if target.startswith("#"):
        return ANCHOR if _fragment_ok(target[1:]) else FORBIDDEN
    split = _split_relative(target)
    if split is None:
        return FORBIDDEN
    segments, fragment = split
    if fragment and not _fragment_ok(fragment):
        return FORBIDDEN
    if page_path is not None and resolve(page_path, target) is None:
        return FORBIDDEN
    return PAGE if segments[-1].lower().endswith(".md") else MEDIA


def _normalized_pack_path(path: str) -> list[str] | None:
    if not path or not _clean(path) or path.startswith("/") or _looks_like_scheme(path):
        return None
    segments = path.split("/")
    if any(seg in ("", ".", "..") for seg in segments):
        return None
    return segments


def resolve(page_path: str, target: str) -> str | None:
    """Resolve a relative ``target`` against the folder of ``page_path`` inside the
    pack ("pages/a.md" + "../media/x.png" -> "media/x.png"), percent-decoded and
    without its fragment. None if it is not a relative path or escapes the pack root.
    """
    page = _normalized_pack_path(page_path)
    split = _split_relative(target)
    if page is None or split is None:
        return None
    stack = page[:-1]
    for segment in split[0]:
        if segment == ".":
            continue
        if segment == "..":
            if not stack:
                return None
            stack.pop()
            continue
        stack.append(segment)
    return "/".join(stack) if stack else None
