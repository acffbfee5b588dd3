"""Caps on everything read from a pack, so no pack can exhaust memory or disk.

Each is checked before the bytes are read (declared sizes) and again while reading
(actual sizes): a member that inflates past its declared size stops there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.json.minisig"
TRUST_NAME = "trust.json"
TRUST_SIG_NAME = "trust.json.minisig"
FORMAT_VERSION = 1

PACK_ID_RE = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)*\Z")
# BCP 47, the common shapes: language, optional script, region and variants.
LANG_RE = re.compile(
    r"^[a-zA-Z]{2,3}(?:-[a-zA-Z]{4})?(?:-(?:[a-zA-Z]{2}|[0-9]{3}))?(?:-(?:[a-zA-Z0-9]{5,8}|[0-9][a-zA-Z0-9]{3}))*\Z"
)
PATH_SEGMENT_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*\Z")
SHA256_RE = re.compile(r"^[0-9a-f]{64}\Z")

MEDIA_TYPES = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".opus": "audio/opus",
    ".m4a": "audio/mp4", ".wav": "audio/wav", ".mp4": "video/mp4", ".webm": "video/webm",
    ".pdf": "application/pdf",
}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp"}


@dataclass(frozen=True)
class Limits:
    pack_bytes: int = 2 * 1024**3 - 1          # fits FAT32 (4 GiB - 1) with room to spare
    manifest_bytes: int = 4 * 1024**2
    signature_bytes: int = 4 * 1024
    trust_list_bytes: int = 1024**2
    files: int = 20_000
    page_bytes: int = 8 * 1024**2
    media_bytes: int = 1024**3
    path_chars: int = 200
    title_chars: int = 300
    pack_id_chars: int = 128
    chapters: int = 2_000
    toml_bytes: int = 1024**2
    # Pictures on one page: the largest real guides have about 150 screenshots on a page.
    page_images: int = 250


DEFAULT_LIMITS = Limits()


def check_member_path(path: object, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """Why `path` is not an acceptable path inside a pack, or None if it is.

    Relative, forward slashes, plain ASCII names (no '.', '..', empty or hidden segments),
    bounded length: nothing can escape the pack or surprise a FAT32 or Windows file system.
    """
    if not isinstance(path, str) or not path:
        return "a path must be a non-empty string"
    if len(path) > limits.path_chars:
        return f"the path has {len(path)} characters, more than the {limits.path_chars} allowed; shorten it"
    if path.startswith("/") or "\\" in path or ":" in path:
        return "the path must be relative and use forward slashes"
    for segment in path.split("/"):
        if segment in ("", ".", ".."):
            return "the path has an empty, '.' or '..' part"
        if not PATH_SEGMENT_RE.fullmatch(segment):
            return "the path may only use letters A-Z, digits, '.', '_' and '-'"
    return None
