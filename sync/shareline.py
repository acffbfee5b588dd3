"""The share line: the one line a trainer gives participants (copied, or scanned as a QR
code), holding everything needed to follow the trainer's share.

    SATCHEL-SHARE:1:<ONION>:<CLIENT KEY>:<SIGNING KEY>:<CHECK>

- ONION: the onion service's 56-character v3 address (without ".onion");
- CLIENT KEY: the x25519 private key of onion client authorization, base32 (52
  characters, as Tor's own `.auth_private` files write it): without it Tor cannot even
  find the service;
- SIGNING KEY: the trainer's minisign public key (its 42-byte blob, base32, 68
  characters); the participant compares its fingerprint, read aloud by the trainer,
  before trusting it, and the share's index must be signed by exactly this key;
- CHECK: the first 5 bytes of SHA-256 over the version and the three decoded fields
  (base32, 8 characters): a typing mistake is caught at once, not after a minute of
  trying to reach the service.

Guarantees of `parse_share_line`:
- Letters are upper- or lower-case alike and all white space is ignored (a line broken
  by a chat program still reads); everything else must be exactly as above.
- Every failure is one sentence (BadShareLine), and nothing of the line is logged.
- The whole line stays within QR alphanumeric mode (A-Z, 0-9, ':'), so its QR code is
  small enough for a phone to read off a projector.

The line is a secret: anyone who holds it can fetch the shared packs (they still have
to trust the signing key for anything to be imported).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from crypto.minisign import MinisignError, PublicKey
from sync.errors import BadShareLine
from sync.onion import RepoUrl, onion_key_ok

PREFIX = "SATCHEL-SHARE"
VERSION = "1"
_CHECK_BYTES = 5
_FIELDS_RE = re.compile(r"^[A-Z2-7]+\Z")
_WHITE_RE = re.compile(r"\s+")
MAX_LINE_CHARS = 400


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def _unb32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


def _check(onion: bytes, client_key: bytes, signer_blob: bytes) -> str:
    digest = hashlib.sha256(f"{PREFIX}:{VERSION}:".encode("ascii") + onion + client_key + signer_blob).digest()
    return _b32(digest[:_CHECK_BYTES])


def _signer_blob(key: PublicKey) -> bytes:
    return base64.b64decode(key.to_base64())


@dataclass(frozen=True)
class ShareLine:
    """What a share line carries."""

    service_id: str        # the onion address without ".onion", lower case
    client_key: bytes      # x25519 private key, 32 bytes
    signer: PublicKey      # the trainer's signing key

    @property
    def url(self) -> RepoUrl:
        return RepoUrl(f"{self.service_id}.onion", 80, "/")

    @property
    def client_key_b64(self) -> str:
        """The client key as tor's ONION_CLIENT_AUTH_ADD takes it (and the vault keeps it)."""
        return base64.b64encode(self.client_key).decode("ascii")

    @property
    def text(self) -> str:
        onion = _unb32(self.service_id.upper())
        blob = _signer_blob(self.signer)
        return ":".join((PREFIX, VERSION, self.service_id.upper(), _b32(self.client_key), _b32(blob),
                         _check(onion, self.client_key, blob)))

    def __repr__(self) -> str:   # never the client key in a log or a traceback
        return "ShareLine(...)"


def looks_like_share_line(text: str) -> bool:
    """Whether `text` is meant as a share line (to tell it from a repository address)."""
    return isinstance(text, str) and _WHITE_RE.sub("", text)[: len(PREFIX) + 1].upper() == PREFIX + ":"


def parse_share_line(text: str) -> ShareLine:
    """Check a share line; raise BadShareLine with one sentence if it is not one."""
    if not isinstance(text, str) or len(text) > MAX_LINE_CHARS * 2:
        raise BadShareLine("That share line is too long; copy it again.")
    line = _WHITE_RE.sub("", text).upper()
    if not looks_like_share_line(line):
        raise BadShareLine(f"That is not a share line from a trainer's Satchel (a share line starts with {PREFIX}:).")
    parts = line.split(":")
    if len(parts) >= 2 and parts[1] != VERSION and parts[1].isdigit():
        raise BadShareLine("That share line comes from a newer Satchel; update Satchel to follow it.")
    if len(parts) != 6 or not all(_FIELDS_RE.match(p) for p in parts[2:]):
        raise BadShareLine("That share line is incomplete or has characters a share line never has; "
                           "copy it again.")
    _, _, onion_text, key_text, signer_text, check = parts
    if len(onion_text) != 56 or len(key_text) != 52 or len(signer_text) != 68 or len(check) != 8:
        raise BadShareLine("That share line is incomplete or has characters a share line never has; "
                           "copy it again.")
    try:
        onion, client_key, blob = _unb32(onion_text), _unb32(key_text), _unb32(signer_text)
    except (binascii.Error, ValueError):
        raise BadShareLine("That share line has a typing mistake; copy it again.") from None
    if _check(onion, client_key, blob) != check or not onion_key_ok(onion_text.lower() + ".onion"):
        raise BadShareLine("That share line has a typing mistake (its checksum does not match); copy it again.")
    try:
        signer = PublicKey.from_text(base64.b64encode(blob).decode("ascii"))
    except MinisignError:
        raise BadShareLine("The signing key in that share line is not valid; ask the trainer for the line "
                           "again.") from None
    return ShareLine(onion_text.lower(), client_key, signer)


# -- client authorization keys --------------------------------------------------------

def new_client_key() -> bytes:
    """A new x25519 private key for onion client authorization (32 bytes)."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    return X25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def client_public_b32(private: bytes) -> str:
    """The public half of a client key, base32, as ADD_ONION's ClientAuthV3 takes it."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    public = X25519PrivateKey.from_private_bytes(private).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return _b32(public)
