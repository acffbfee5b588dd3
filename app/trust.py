"""Who may sign what: pinned roots, the signed trust list, keys trusted by hand, and
version floors.

Invariants (python-tuf's trusted_metadata_set is the model):
- The first trust list must be signed by a pinned root key shipped with Satchel; every
  newer one by a root key named in the list before it; its version only goes up.
- A key on the list may sign only pack ids inside its scopes, until it expires, and never
  once revoked. Revocation wins over a key's being trusted by hand.
- A key trusted by hand may sign ids outside every listed key's scope, never inside one.
- Once a pack id is in the vault, only the key that signed it, or a listed key whose
  scope covers the id, may update it; and only to a strictly higher version. Floors live
  in the vault and never go down; a pack removed by the learner may come back at the
  version it had (or newer), never older.
- A key the list marks as sample has a public secret half (it is in Satchel's source
  history for good), so its signature proves nothing: a pack signed with it is accepted
  only if the SHA-256 of its manifest bytes is pinned in `roots/starter-pins.json`, which
  ships with the app and lists exactly the starter packs built from this release's
  sources (`python -m content_packs.starter --update-pins`). It can therefore bring no new
  id and no other version, and its packs never raise a version floor.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from app.errors import SatchelError
from app.resources import resource_path
from app.strictjson import no_duplicate_keys
from crypto import minisign
from crypto.minisign import MinisignError, PublicKey

ROOTS_DIR = resource_path("app", "roots")
STARTER_PINS = "starter-pins.json"
PINS_TYPE = "satchel-starter-pins"
TRUST_LIST_FLOOR = ":trust-list"
MAX_TRUST_LIST_BYTES = 1024 * 1024
_COMMENT_RE = re.compile(r"^satchel-trust-list version=([0-9]{1,16})\Z")


class TrustError(SatchelError):
    """A trust list or key could not be accepted."""


class UntrustedKey(TrustError):
    """A signature from a key that may not sign this."""


class OlderVersion(TrustError):
    """An older or equal version of something already seen."""


@dataclass(frozen=True)
class ListedKey:
    key: PublicKey
    name: str
    scopes: tuple[str, ...]
    expires: int | None
    revoked: bool
    sample: bool


@dataclass(frozen=True)
class TrustList:
    version: int
    roots: tuple[PublicKey, ...]
    keys: tuple[ListedKey, ...]
    expires: int | None = None   # the end of the day by which a newer list should have come

    def expired(self, now: int) -> bool:
        """Past its date: the list is still used (USB content stays valid however long it
        travelled), but the user is told that revocations may be missing."""
        return self.expires is not None and now > self.expires

    def find(self, key_id_hex: str) -> ListedKey | None:
        for k in self.keys:
            if k.key.key_id_hex == key_id_hex:
                return k
        return None


@dataclass(frozen=True)
class Grant:
    """What a signing key is allowed, as far as this vault knows."""

    key: PublicKey
    name: str
    source: str                      # 'list', 'sample', 'manual' or 'given'
    scopes: tuple[str, ...] | None   # None: any id not claimed by a listed key
    expires: int | None = None
    revoked: bool = False


class TrustPolicy(Protocol):
    def grant_for(self, key_id_hex: str) -> Grant | None: ...
    def check(self, pack_id: str, version: int, grant: Grant) -> None: ...


def in_scope(pack_id: str, scope: str) -> bool:
    if scope.endswith("."):
        return pack_id.startswith(scope)
    return pack_id == scope or pack_id.startswith(scope + ".")


def trust_list_comment(version: int) -> str:
    return f"satchel-trust-list version={version}"


# -- the trust list document ---------------------------------------------------------

def _expiry(value: Any) -> int | None:
    """A key listed as expiring on a day is still valid during that whole day (UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            return int(day.timestamp()) + 86400 - 1
        except ValueError:
            pass
    raise TrustError("The trust list has an invalid expiry date.")


_strict_object = no_duplicate_keys(TrustError, "The trust list repeats a field.")


_LIST_FIELDS = {"type", "version", "roots", "keys", "expires"}
_KEY_FIELDS = {"name", "public_key", "scopes", "expires", "revoked", "sample"}


def parse_trust_list(data: bytes) -> TrustList:
    """Parse a trust list whose signature was already verified."""
    if len(data) > MAX_TRUST_LIST_BYTES:
        raise TrustError("The trust list is larger than Satchel accepts.")
    try:
        doc = json.loads(data.decode("utf-8"), object_pairs_hook=_strict_object)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise TrustError("The trust list is not valid JSON.") from None
    if not isinstance(doc, dict) or doc.get("type") != "satchel-trust-list":
        raise TrustError("This is not a Satchel trust list.")
    if set(doc) - _LIST_FIELDS or not isinstance(doc.get("roots"), list) or not isinstance(doc.get("keys"), list):
        raise TrustError("The trust list does not have the fields Satchel expects.")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= 2**53:
        raise TrustError("The trust list has an invalid version.")
    try:
        roots = tuple(PublicKey.from_text(r) for r in doc["roots"])
        keys: list[ListedKey] = []
        for entry in doc["keys"]:
            if not isinstance(entry, dict) or set(entry) - _KEY_FIELDS:
                raise TrustError("The trust list has a key entry with unknown fields.")
            for flag in ("revoked", "sample"):
                if not isinstance(entry.get(flag, False), bool):
                    raise TrustError(f"The trust list has a key whose '{flag}' is not true or false.")
            scopes = entry.get("scopes")
            if not isinstance(scopes, list) or not scopes or not all(
                isinstance(s, str) and re.fullmatch(r"[a-z0-9.-]{2,128}", s) for s in scopes
            ):
                raise TrustError("The trust list has a key with invalid scopes.")
            name = entry.get("name", "")
            if not isinstance(name, str) or len(name) > 200:
                raise TrustError("The trust list has a key with an invalid name.")
            keys.append(ListedKey(
                key=PublicKey.from_text(entry["public_key"]),
                name=name,
                scopes=tuple(scopes),
                expires=_expiry(entry.get("expires")),
                revoked=entry.get("revoked", False) is True,
                sample=entry.get("sample", False) is True,
            ))
    except (MinisignError, KeyError, TypeError, AttributeError):
        raise TrustError("The trust list has an invalid key.") from None
    if not roots:
        raise TrustError("The trust list names no root keys.")
    return TrustList(version, roots, tuple(keys), _expiry(doc.get("expires")))


def verify_trust_list(data: bytes, signature: bytes | str, signers: tuple[PublicKey, ...]) -> TrustList:
    """Verify a trust list against the keys allowed to sign it, then parse it."""
    if len(data) > MAX_TRUST_LIST_BYTES:
        raise TrustError("The trust list is larger than Satchel accepts.")
    try:
        sig = minisign.parse_signature(signature)
    except MinisignError as exc:
        raise TrustError(f"The trust list's signature is invalid: {exc}") from None
    signer = next((k for k in signers if k.key_id == sig.key_id), None)
    if signer is None:
        raise UntrustedKey("The trust list is not signed by a root key Satchel trusts.")
    try:
        minisign.verify(signer, data, sig)
    except MinisignError:
        raise TrustError("The trust list's signature does not match it.") from None
    m = _COMMENT_RE.fullmatch(sig.trusted_comment)
    if not m:
        raise TrustError("The trust list's signature does not name its version.")
    tl = parse_trust_list(data)
    if tl.version != int(m.group(1)):
        raise TrustError("The trust list's version does not match its signature.")
    return tl


def load_pinned_roots(folder: Path = ROOTS_DIR) -> tuple[PublicKey, ...]:
    return tuple(PublicKey.from_text(p.read_text()) for p in sorted(folder.glob("root-*.pub")))


def load_bundled_list(folder: Path = ROOTS_DIR) -> tuple[bytes, bytes] | None:
    doc, sig = folder / "trust.json", folder / "trust.json.minisig"
    if doc.is_file() and sig.is_file():
        return doc.read_bytes(), sig.read_bytes()
    return None


# -- the starter packs, pinned ---------------------------------------------------------

def starter_pins_document(pins: list[tuple[str, int, str]]) -> bytes:
    """The pins file for (pack id, version, manifest SHA-256) triples: stable bytes, so
    that regenerating it from unchanged sources changes nothing."""
    doc = {"type": PINS_TYPE, "packs": [{"id": i, "version": v, "manifest_sha256": h}
                                        for i, v, h in sorted(pins)]}
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()


@functools.lru_cache(maxsize=4)
def load_starter_pins(folder: Path = ROOTS_DIR) -> frozenset[str]:
    """The manifest hashes of the starter packs this release ships (empty if the file is
    missing or damaged: then no sample-signed pack is accepted at all)."""
    try:
        doc = json.loads((folder / STARTER_PINS).read_bytes())
        if doc.get("type") != PINS_TYPE:
            return frozenset()
        return frozenset(str(e["manifest_sha256"]) for e in doc["packs"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return frozenset()


def check_sample_pin(grant: Grant, manifest_bytes: bytes) -> None:
    """For a pack signed with the sample key: its manifest must be one this release pins."""
    if grant.source != "sample":
        return
    if hashlib.sha256(manifest_bytes).hexdigest() not in load_starter_pins():
        raise UntrustedKey(
            "This pack is signed with Satchel's public sample key but is not one of the starter "
            "packs that came with this Satchel, so it was refused."
        )


# -- the store over a vault ------------------------------------------------------------

class TrustStore:
    """The vault's trust: implements TrustPolicy for imports."""

    def __init__(self, vault: Any, roots: tuple[PublicKey, ...] | None = None,
                 bundled: tuple[bytes, bytes] | bool | None = True) -> None:
        self.vault = vault
        self.roots = roots if roots is not None else load_pinned_roots()
        if bundled is True:
            bundled = load_bundled_list()
        self._bundled = bundled if isinstance(bundled, tuple) else None
        self._list: TrustList | None = None
        self._loaded = False
        self.now: Callable[[], int] = lambda: int(time.time())

    # the current list
    def current_list(self) -> TrustList | None:
        if not self._loaded:
            self._loaded = True
            with self.vault.lock:
                row = self.vault.conn.execute("SELECT document FROM trust_list WHERE id = 1").fetchone()
            stored = parse_trust_list(bytes(row[0])) if row else None
            self._list = stored
            if self._bundled is not None:
                try:
                    bundled = verify_trust_list(*self._bundled, signers=self._signers())
                except TrustError:
                    bundled = None
                if bundled is not None and (stored is None or bundled.version > stored.version):
                    self._list = bundled
        return self._list

    def expired_on(self) -> str | None:
        """The day the current trust list expired ('YYYY-MM-DD'), or None if it has not."""
        tl = self.current_list()
        if tl is None or not tl.expired(self.now()):
            return None
        assert tl.expires is not None
        return datetime.fromtimestamp(tl.expires, UTC).strftime("%Y-%m-%d")

    def _signers(self) -> tuple[PublicKey, ...]:
        tl = self._list
        return tl.roots if tl is not None else self.roots

    def consider_list(self, data: bytes, signature: bytes) -> TrustList | None:
        """A newer trust list, verified against the current one's roots; None if not newer."""
        current = self.current_list()
        tl = verify_trust_list(data, signature, self._signers())
        if current is not None and tl.version <= current.version:
            return None
        return tl

    def store_list(self, conn: Any, tl: TrustList, data: bytes, signature: bytes) -> None:
        """Inside a transaction: keep `tl` as the current list."""
        conn.execute(
            "INSERT INTO trust_list (id, version, document, signature) VALUES (1, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET version = excluded.version, document = excluded.document, "
            "signature = excluded.signature",
            (tl.version, data, signature.decode("utf-8", "replace")),
        )
        _raise_floor(conn, TRUST_LIST_FLOOR, tl.version, None)
        self._list, self._loaded = tl, True

    def adopt_list(self, data: bytes, signature: bytes) -> TrustList | None:
        """Verify and keep a newer trust list in its own transaction (revocations travel)."""
        tl = self.consider_list(data, signature)
        if tl is not None:
            with self.vault.transaction() as conn:
                self.store_list(conn, tl, data, signature)
        return tl

    # keys trusted by hand
    def manual_keys(self) -> list[tuple[PublicKey, str, int]]:
        with self.vault.lock:
            rows = self.vault.conn.execute(
                "SELECT public_key, name, added_at FROM trusted_keys ORDER BY added_at"
            ).fetchall()
        return [(PublicKey.from_text(r[0]), r[1], r[2]) for r in rows]

    def key_id_clash(self, key: PublicKey) -> str | None:
        """Why `key` cannot be trusted by hand because a *different* key already uses its
        key id (on the trust list or trusted by hand), or None. Key ids are 8 bytes that
        anyone can choose: a clash must never keep one key's bytes under another's name."""
        tl = self.current_list()
        listed = tl.find(key.key_id_hex) if tl else None
        if listed is not None and listed.key.raw != key.raw:
            return (f"A different key with the same key id {key.key_id_hex} is on the trust list; "
                    "this key was not trusted.")
        with self.vault.lock:
            row = self.vault.conn.execute(
                "SELECT public_key FROM trusted_keys WHERE key_id = ?", (key.key_id_hex,)).fetchone()
        if row is not None and PublicKey.from_text(row[0]).raw != key.raw:
            return (f"A different key with the same key id {key.key_id_hex} is already trusted; "
                    "remove it first if this one should replace it.")
        return None

    def add_manual(self, key: PublicKey, name: str = "") -> None:
        """Trust `key` by hand (the same key again only renames it); raises UntrustedKey
        on a key-id clash with a different key."""
        problem = self.key_id_clash(key)
        if problem is not None:
            raise UntrustedKey(problem)
        with self.vault.transaction() as conn:
            row = conn.execute("SELECT public_key FROM trusted_keys WHERE key_id = ?",
                               (key.key_id_hex,)).fetchone()
            if row is not None and PublicKey.from_text(row[0]).raw != key.raw:  # raced in since
                raise UntrustedKey(f"A different key with the same key id {key.key_id_hex} is already trusted.")
            conn.execute(
                "INSERT INTO trusted_keys (key_id, public_key, name, added_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(key_id) DO UPDATE SET name = excluded.name",
                (key.key_id_hex, key.to_base64(), name[:200], self.now()),
            )

    def remove_manual(self, key_id_hex: str) -> bool:
        with self.vault.transaction() as conn:
            cur = conn.execute("DELETE FROM trusted_keys WHERE key_id = ?", (key_id_hex.upper(),))
        return bool(cur.rowcount > 0)

    # TrustPolicy
    def grant_for(self, key_id_hex: str) -> Grant | None:
        tl = self.current_list()
        listed = tl.find(key_id_hex) if tl else None
        if listed is not None:
            return Grant(listed.key, listed.name, "sample" if listed.sample else "list",
                         listed.scopes, listed.expires, listed.revoked)
        with self.vault.lock:
            row = self.vault.conn.execute(
                "SELECT public_key, name FROM trusted_keys WHERE key_id = ?", (key_id_hex,)
            ).fetchone()
        if row is None:
            return None
        return Grant(PublicKey.from_text(row[0]), row[1], "manual", None)

    def _installed(self, pack_id: str) -> bool:
        with self.vault.lock:
            return self.vault.conn.execute("SELECT 1 FROM packs WHERE id = ?", (pack_id,)).fetchone() is not None

    def check(self, pack_id: str, version: int, grant: Grant) -> None:
        check_grant(pack_id, grant, self.now(), self.current_list())
        with self.vault.lock:
            row = self.vault.conn.execute(
                "SELECT version, key_id FROM version_floors WHERE subject = ?", (pack_id,)
            ).fetchone()
        if row is None:
            return
        floor, bound = row
        # After a pack was removed (app.remove) its floor stays: the very version the
        # learner had may come back, an older one may not.
        if version < floor or (version == floor and self._installed(pack_id)):
            raise OlderVersion(
                f"This pack is version {version}, but version {floor} is already known; "
                "older or equal versions are refused."
            )
        if bound and bound != grant.key.key_id_hex:
            covered = grant.scopes is not None and grant.source in ("list", "sample") and any(
                in_scope(pack_id, s) for s in grant.scopes)
            if not covered:
                raise UntrustedKey("Only the key that signed this pack before may update it.")


def check_grant(pack_id: str, grant: Grant, now: int, tl: TrustList | None) -> None:
    """Revocation, expiry and scope, without version floors."""
    if grant.revoked:
        raise UntrustedKey("This pack was signed by a key that has been revoked.")
    if grant.expires is not None and now > grant.expires:
        day = datetime.fromtimestamp(grant.expires, UTC).strftime("%Y-%m-%d")
        raise UntrustedKey(f"The key that signed this pack expired on {day}.")
    if grant.scopes is not None and not any(in_scope(pack_id, s) for s in grant.scopes):
        raise UntrustedKey("The key that signed this pack may not sign packs with this id.")
    if grant.source == "manual" and tl is not None:
        for listed in tl.keys:
            if not listed.revoked and listed.key.key_id != grant.key.key_id and any(
                    in_scope(pack_id, s) for s in listed.scopes):
                raise UntrustedKey(
                    "This pack id belongs to a publisher on the trust list; "
                    "a key trusted by hand may not sign it."
                )


def _raise_floor(conn: Any, subject: str, version: int, key_id: str | None) -> None:
    conn.execute(
        "INSERT INTO version_floors (subject, version, key_id) VALUES (?, ?, ?) "
        "ON CONFLICT(subject) DO UPDATE SET version = max(version, excluded.version), "
        "key_id = coalesce(excluded.key_id, key_id)",
        (subject, version, key_id),
    )


raise_floor = _raise_floor


class GivenKey:
    """TrustPolicy for `satchel pack verify --trust KEY.pub`: that key, any id, no floors."""

    def __init__(self, key: PublicKey) -> None:
        self.key = key

    def grant_for(self, key_id_hex: str) -> Grant | None:
        if key_id_hex == self.key.key_id_hex:
            return Grant(self.key, "", "given", None)
        return None

    def check(self, pack_id: str, version: int, grant: Grant) -> None:
        return None
