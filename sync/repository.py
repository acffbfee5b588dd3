"""The repository format: pack files plus an index, the same on a stick and over Tor.

A repository is a flat set of files (docs/repository-format.md):

    <16 hex>.bin          a pack, byte for byte as its author signed it; the name is the
                          first 16 hex digits of the file's SHA-256 (lower case)
    index.json            what the writer put there: each pack's id, version, size,
                          SHA-256, signer and file name, plus the newest trust list
    index.json.minisig    the writer's minisign signature over index.json (optional)

Guarantees:
- No name says anything about the content: pack files are named by hash, the index by
  its role, and temporary files are random (`<16 hex>.tmp`).
- The index is a hint, never a reason to accept a pack: every pack is verified on its
  own (content_packs.verify). A stale, forged, unsigned or missing index changes what is
  reported, never what is imported.
- A signed index is parsed only after its signature verified; an unsigned one is parsed
  with the same strict, bounded parser, and only ever used as a hint.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

from app.strictjson import no_duplicate_keys
from app.trust import TrustPolicy
from content_packs.limits import DEFAULT_LIMITS, PACK_ID_RE, SHA256_RE
from content_packs.manifest import MAX_VERSION
from crypto import minisign
from crypto.minisign import MinisignError, PublicKey, SecretKey
from sync.errors import BadIndex

FORMAT = 1
INDEX_TYPE = "pack-repository-index"
INDEX_NAME = "index.json"
INDEX_SIG_NAME = "index.json.minisig"
DEFAULT_FOLDER = "DATA"
PACK_NAME_RE = re.compile(r"^[0-9a-f]{16}\.bin\Z", re.IGNORECASE)
TEMP_NAME_RE = re.compile(r"^[0-9a-f]{16}\.tmp\Z", re.IGNORECASE)
FAT32_MAX_FILE = 4 * 1024**3 - 1
MAX_INDEX_BYTES = 8 * 1024**2
MAX_SIG_BYTES = 4096
MAX_PACKS = 10_000
SIGNER_COMMENT = "repository index signed by public key "
_KEY_ID_RE = re.compile(r"^[0-9A-F]{16}\Z")
_COMMENT_RE = re.compile(r"^pack-repository-index format=([0-9]{1,4}) created=([0-9]{1,16})\Z")
_TOP_KEYS = {"type", "format", "created", "packs", "trust_list"}
_ONLINE_KEYS = {"version", "expires"}   # an online repository's index (satchel repo publish)
_ENTRY_KEYS = {"file", "id", "version", "size", "sha256", "signer"}


class RepoSource(Protocol):
    """Where a repository's files come from: a folder, a sealed file, later an onion site."""

    def names(self) -> list[str]: ...
    def size(self, name: str) -> int: ...
    def open(self, name: str) -> BinaryIO: ...
    def read_small(self, name: str, cap: int) -> bytes | None: ...
    def alive(self) -> bool: ...


def pack_file_name(sha256_hex: str) -> str:
    """The neutral name of a pack file: its hash, nothing else."""
    if not SHA256_RE.fullmatch(sha256_hex):
        raise ValueError("not a SHA-256 hex digest")
    return f"{sha256_hex[:16]}.bin"


def temp_file_name() -> str:
    return f"{secrets.token_hex(8)}.tmp"


def is_pack_name(name: str) -> bool:
    return bool(PACK_NAME_RE.fullmatch(name))


def pack_names(source: RepoSource, names: list[str]) -> list[str]:
    """The pack files among a source's names: `<16 hex>.bin` in the repository format;
    every name of a source of hand-copied pack files (sync.loose), which lists only those."""
    if getattr(source, "loose", False):
        return list(names)
    return [n for n in names if is_pack_name(n)]


@dataclass(frozen=True)
class IndexEntry:
    file: str
    id: str
    version: int
    size: int
    sha256: str
    signer: str

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "id": self.id, "version": self.version, "size": self.size,
                "sha256": self.sha256, "signer": self.signer}


@dataclass(frozen=True)
class Index:
    created: int
    packs: tuple[IndexEntry, ...] = ()
    trust_list: tuple[bytes, bytes] | None = None   # (document, signature), verified on use
    version: int | None = None    # online: goes up with every publication (no rollback)
    expires: int | None = None    # online: Unix time after which it may be frozen or blocked

    def entry_for_file(self, name: str) -> IndexEntry | None:
        low = name.lower()
        return next((e for e in self.packs if e.file == low), None)

    def to_bytes(self) -> bytes:
        doc: dict[str, Any] = {
            "type": INDEX_TYPE, "format": FORMAT, "created": self.created,
            "packs": [e.to_dict() for e in sorted(self.packs, key=lambda e: e.file)],
            "trust_list": None,
        }
        if self.version is not None:
            doc["version"] = self.version
        if self.expires is not None:
            doc["expires"] = self.expires
        if self.trust_list is not None:
            document, signature = self.trust_list
            doc["trust_list"] = {"document": base64.b64encode(document).decode("ascii"),
                                 "signature": signature.decode("utf-8")}
        return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def new_index(entries: Iterable[IndexEntry], trust_list: tuple[bytes, bytes] | None) -> Index:
    return Index(int(time.time()), tuple(entries), trust_list)


def sign_index(data: bytes, key: SecretKey, created: int) -> str:
    """The minisign signature of index bytes; it carries the signer's public key."""
    return minisign.sign(key, data, f"pack-repository-index format={FORMAT} created={created}",
                         untrusted_comment=SIGNER_COMMENT + key.public.to_base64())


# -- parsing -----------------------------------------------------------------------

_no_duplicates = no_duplicate_keys(BadIndex, "The stick's index names a field twice.")


def _int(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadIndex("The stick's index has an invalid number.")
    return value


def parse_index(data: bytes) -> Index:
    """Strict, bounded parser; raises BadIndex with one sentence."""
    if len(data) > MAX_INDEX_BYTES:
        raise BadIndex("The stick's index is larger than Satchel accepts.")
    try:
        doc = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates,
                         parse_constant=lambda _: (_ for _ in ()).throw(ValueError()))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadIndex("The stick's index is not valid JSON.") from None
    if not isinstance(doc, dict) or not _TOP_KEYS <= set(doc) <= _TOP_KEYS | _ONLINE_KEYS \
            or doc["type"] != INDEX_TYPE:
        raise BadIndex("The stick's index is not a repository index.")
    _int(doc["format"], FORMAT, FORMAT)
    created = _int(doc["created"], 0, 2**53)
    version = _int(doc["version"], 1, 2**53) if "version" in doc else None
    expires = _int(doc["expires"], 0, 2**53) if "expires" in doc else None
    raw = doc["packs"]
    if not isinstance(raw, list) or len(raw) > MAX_PACKS:
        raise BadIndex("The stick's index has an invalid pack list.")
    entries: list[IndexEntry] = []
    seen: set[str] = set()
    for e in raw:
        if not isinstance(e, dict) or set(e) != _ENTRY_KEYS:
            raise BadIndex("The stick's index has an invalid pack entry.")
        name, pack_id, sha, signer = e["file"], e["id"], e["sha256"], e["signer"]
        if not (isinstance(name, str) and PACK_NAME_RE.fullmatch(name) and name == name.lower()):
            raise BadIndex("The stick's index lists a file with an invalid name.")
        if not (isinstance(pack_id, str) and len(pack_id) <= DEFAULT_LIMITS.pack_id_chars
                and PACK_ID_RE.fullmatch(pack_id)):
            raise BadIndex("The stick's index lists an invalid pack id.")
        if not (isinstance(sha, str) and SHA256_RE.fullmatch(sha)):
            raise BadIndex("The stick's index lists an invalid hash.")
        if not (isinstance(signer, str) and _KEY_ID_RE.fullmatch(signer)):
            raise BadIndex("The stick's index lists an invalid signer.")
        if name in seen:
            raise BadIndex("The stick's index lists the same file twice.")
        seen.add(name)
        entries.append(IndexEntry(name, pack_id, _int(e["version"], 1, MAX_VERSION),
                                  _int(e["size"], 1, FAT32_MAX_FILE), sha, signer))
    trust = doc["trust_list"]
    trust_list = None
    if trust is not None:
        if not isinstance(trust, dict) or set(trust) != {"document", "signature"} or not all(
                isinstance(v, str) for v in trust.values()):
            raise BadIndex("The stick's index carries an invalid trust list.")
        try:
            trust_list = (base64.b64decode(trust["document"], validate=True),
                          trust["signature"].encode("utf-8"))
        except ValueError:
            raise BadIndex("The stick's index carries an invalid trust list.") from None
    return Index(created, tuple(entries), trust_list, version, expires)


# -- reading and verifying ---------------------------------------------------------

# What an index is worth, from best to worst.
TRUSTED = "trusted"        # signed by a key this vault trusts, signature valid
UNTRUSTED = "untrusted"    # signature valid for the key it names, but that key is not trusted
UNSIGNED = "unsigned"      # no signature (an export without --key)
FORGED = "forged"          # the signature does not match the index
INVALID = "invalid"        # unreadable, malformed, ambiguous
MISSING = "missing"        # no index at all
LOOSE = "loose"            # pack files copied by hand (sync.loose): no index to expect
INDEX_FAILURES = frozenset({FORGED, INVALID, MISSING})

_SENTENCES = {
    TRUSTED: "The index is signed by {signer}, a key you trust.",
    UNTRUSTED: "The index is signed by key {signer}, which you do not trust.",
    UNSIGNED: "The index is not signed.",
    FORGED: "The index's signature does not match it; it may have been tampered with.",
    INVALID: "The index is damaged or unreadable.",
    MISSING: "The stick has no index.",
    LOOSE: "These pack files have no index; each one is checked on its own signature.",
}


@dataclass(frozen=True)
class IndexReport:
    status: str
    index: Index | None = None
    signer: str | None = None
    extra: list[str] = field(default_factory=list)

    @property
    def sentence(self) -> str:
        return _SENTENCES[self.status].format(signer=self.signer or "")

    @property
    def failed(self) -> bool:
        return self.status in INDEX_FAILURES


def _embedded_key(sig_text: bytes, key_id: bytes) -> PublicKey | None:
    first = sig_text.split(b"\n", 1)[0].decode("utf-8", "replace")
    marker = "untrusted comment: " + SIGNER_COMMENT
    if not first.startswith(marker):
        return None
    try:
        key = PublicKey.from_text(first[len(marker):].strip())
    except MinisignError:
        return None
    return key if key.key_id == key_id else None


def _find(names: list[str], wanted: str) -> list[str]:
    return [n for n in names if n.lower() == wanted]


def read_index(source: RepoSource, policy: TrustPolicy | None, names: list[str] | None = None) -> IndexReport:
    """Read and judge the index. Never raises for bad content: it reports it."""
    if getattr(source, "loose", False):
        return IndexReport(LOOSE)
    names = names if names is not None else source.names()
    found, sig_found = _find(names, INDEX_NAME), _find(names, INDEX_SIG_NAME)
    if not found:
        return IndexReport(MISSING)
    if len(found) > 1 or len(sig_found) > 1:   # only possible on a case-sensitive medium
        return IndexReport(INVALID)
    data = source.read_small(found[0], MAX_INDEX_BYTES)
    if data is None:
        return IndexReport(INVALID)
    if not sig_found:
        try:
            return IndexReport(UNSIGNED, parse_index(data))
        except BadIndex:
            return IndexReport(INVALID)
    sig_text = source.read_small(sig_found[0], MAX_SIG_BYTES)
    if sig_text is None:
        return IndexReport(INVALID)
    try:
        sig = minisign.parse_signature(sig_text)
    except MinisignError:
        return IndexReport(FORGED)
    key_id_hex = int.from_bytes(sig.key_id, "little").to_bytes(8, "big").hex().upper()
    grant = policy.grant_for(key_id_hex) if policy is not None else None
    key = grant.key if grant is not None and not grant.revoked else _embedded_key(sig_text, sig.key_id)
    if key is None:
        return IndexReport(UNTRUSTED, None, key_id_hex)   # cannot even check it: not used
    try:
        minisign.verify(key, data, sig)
    except MinisignError:
        return IndexReport(FORGED, None, key_id_hex)
    # Verified: only now is the index parsed.
    m = _COMMENT_RE.fullmatch(sig.trusted_comment)
    try:
        index = parse_index(data)
    except BadIndex:
        return IndexReport(INVALID, None, key_id_hex)
    if not m or int(m.group(1)) != FORMAT or int(m.group(2)) != index.created:
        return IndexReport(FORGED, None, key_id_hex)
    trusted = grant is not None and not grant.revoked
    signer = key_id_hex
    if trusted and grant is not None and grant.name:
        signer = f"{grant.name} ({key_id_hex})"
    return IndexReport(TRUSTED if trusted else UNTRUSTED, index, signer)
