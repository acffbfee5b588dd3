"""Minisign-compatible keys and signatures (Ed25519, no Qt).

What this module guarantees:

* Signatures are always minisign's prehashed ``ED`` kind: Ed25519 over
  BLAKE2b-512 of the data, plus a global signature over the signature and the
  trusted comment. They verify with ``minisign -V -H`` and the reverse.
* Verification accepts nothing else. The legacy ``Ed`` algorithm, a key-id
  mismatch, a changed trusted comment, non-canonical base64, wrong lengths,
  oversized or malformed files and invalid UTF-8 all raise ``BadSignature``.
  ``verify`` returns only when both signatures are valid.
* Public key, secret key and signature files are read and written in
  minisign's formats: files written by the ``minisign`` tool (0.11) are read
  here and files written here are read by it. Encrypted secret keys use
  minisign's scrypt parameters; an unencrypted key is written byte for byte as
  ``minisign -G -W`` writes it.
* Every input is bounded in size before it is parsed, and a secret key file
  that asks for absurd scrypt limits is refused before any work is done.
* Every exception raised on bad input is a ``MinisignError`` (a
  ``ValueError``) whose ``str()`` is one plain sentence that can be shown to
  the user. Messages never contain secret material, and ``SecretKey``'s repr
  hides the seed.

What it does not guarantee: Python cannot reliably wipe memory, so seeds and
passphrases may linger in freed memory until it is reused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

__all__ = [
    "BadSignature",
    "MinisignError",
    "PassphraseRequired",
    "PublicKey",
    "SecretKey",
    "Signature",
    "WrongPassphrase",
    "generate_key",
    "key_needs_passphrase",
    "parse_signature",
    "secret_key_from_text",
    "secret_key_to_text",
    "sign",
    "verify",
    "verify_prehashed",
]


class MinisignError(ValueError):
    """Base class; ``str(e)`` is one plain sentence for the user."""


class WrongPassphrase(MinisignError):
    """The passphrase does not unlock this secret key."""


class PassphraseRequired(MinisignError):
    """The secret key is encrypted and no passphrase was given."""


class BadSignature(MinisignError):
    """Any verification failure, including malformed signature files."""


# --- format constants -------------------------------------------------------

_SIGALG = b"Ed"  # keys, and legacy (unhashed) signatures
_SIGALG_HASHED = b"ED"  # prehashed signatures: the only kind accepted here
_KDF_SCRYPT = b"Sc"
_KDF_NONE = b"\0\0"
_CHKALG = b"B2"

_COMMENT_PREFIX = "untrusted comment: "
_TRUSTED_PREFIX = "trusted comment: "
_PUBLIC_KEY_COMMENT = "minisign public key "
_SECRET_KEY_COMMENT = "minisign encrypted secret key"  # noqa: S105 (a label) minisign 0.11 writes this even with -W

_KEY_ID_LEN = 8
_PUBLIC_LEN = 32
_SEED_LEN = 32
_SIG_LEN = 64
_DIGEST_LEN = 64
_CHK_LEN = 32
_SALT_LEN = 32
_KEYNUM_SK_LEN = _KEY_ID_LEN + 64 + _CHK_LEN  # key id || Ed25519 secret key || checksum
_PUBLIC_KEY_BLOB_LEN = 2 + _KEY_ID_LEN + _PUBLIC_LEN  # 42
_SIG_BLOB_LEN = 2 + _KEY_ID_LEN + _SIG_LEN  # 74
_SECRET_KEY_BLOB_LEN = 2 + 2 + 2 + _SALT_LEN + 8 + 8 + _KEYNUM_SK_LEN  # 158

_MAX_PUBLIC_KEY_FILE = 4 * 1024
_MAX_SECRET_KEY_FILE = 4 * 1024
_MAX_SIGNATURE_FILE = 8 * 1024
_MAX_UNTRUSTED_COMMENT_BYTES = 1000  # minisign reads comment lines into 1024 bytes
_MAX_TRUSTED_COMMENT_BYTES = 6000  # keeps every signature we write under 8 KiB

# minisign's crypto_pwhash_scryptsalsa208sha256 "sensitive" limits.
_OPSLIMIT_SENSITIVE = 33554432
_MEMLIMIT_SENSITIVE = 1073741824
# Refuse key files that ask for more than this (absurd or hostile limits).
_MAX_MEMLIMIT = 2 * 1024 * 1024 * 1024
_MAX_SCRYPT_WORK = 4 * (1 << 20) * 8 * 1  # N*r*p: four times minisign's cost
_MAX_SCRYPT_MEM = 2**31 - 2  # hashlib.scrypt's maxmem must stay below INT_MAX

_LEGACY_MESSAGE = (
    "This signature uses minisign's legacy algorithm, which Satchel does not accept."
)


# --- small helpers ----------------------------------------------------------


def _text_input(value: str | bytes, limit: int, too_large: str, invalid: str,
                error: type[MinisignError]) -> str:
    """Return ``value`` as text after bounding its size and checking UTF-8."""
    if isinstance(value, bytes):
        if len(value) > limit:
            raise error(too_large)
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise error(invalid) from None
    if isinstance(value, str):
        if len(value) > limit:
            raise error(too_large)
        try:
            size = len(value.encode("utf-8"))
        except UnicodeEncodeError:
            raise error(invalid) from None
        if size > limit:
            raise error(too_large)
        return value
    raise TypeError("expected str or bytes")


def _split_lines(text: str) -> list[str]:
    """Split on LF; one final newline is optional and CRLF endings are accepted."""
    if text.endswith("\n"):
        text = text[:-1]
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def _b64_len(n: int) -> int:
    return 4 * ((n + 2) // 3)


def _b64decode_exact(s: str, length: int) -> bytes | None:
    """Decode canonical standard base64 of exactly ``length`` bytes, else None."""
    if len(s) != _b64_len(length) or not s.isascii():
        return None
    try:
        raw = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != length or base64.b64encode(raw).decode("ascii") != s:
        return None
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _forbidden_char(s: str, allow_tab: bool) -> bool:
    """True if ``s`` holds control characters, line/paragraph separators or surrogates."""
    for ch in s:
        if ch == "\t" and allow_tab:
            continue
        if unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs"):
            return True
    return False


def _key_id_hex(key_id: bytes) -> str:
    return f"{int.from_bytes(key_id, 'little'):016X}"


def _public_from_seed(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()


def _smallest_log2_above_half(max_n: int) -> int:
    n_log2 = 1
    while n_log2 < 63 and (1 << n_log2) <= max_n // 2:
        n_log2 += 1
    return n_log2


def _pickparams(opslimit: int, memlimit: int) -> tuple[int, int, int]:
    """libsodium's crypto_pwhash_scryptsalsa208sha256 pickparams: return (N, r, p)."""
    if opslimit < 32768:
        opslimit = 32768
    r = 8
    if opslimit < memlimit // 32:
        p = 1
        n_log2 = _smallest_log2_above_half(opslimit // (r * 4))
    else:
        n_log2 = _smallest_log2_above_half(memlimit // (r * 128))
        max_rp = min((opslimit // 4) // (1 << n_log2), 0x3FFFFFFF)
        p = max_rp // r
    return 1 << n_log2, r, p


def _scrypt_params(opslimit: int, memlimit: int) -> tuple[int, int, int, int]:
    """Return (N, r, p, maxmem) for the stored limits, refusing absurd ones."""
    refuse = MinisignError(
        "This secret key asks for more memory or time to unlock than Satchel allows."
    )
    if memlimit > _MAX_MEMLIMIT or opslimit > 2**40:
        raise refuse
    n, r, p = _pickparams(opslimit, memlimit)
    if p < 1 or n * r * p > _MAX_SCRYPT_WORK:
        raise refuse
    maxmem = 128 * r * (n + 2) + 128 * r * p + 65536
    if maxmem > _MAX_SCRYPT_MEM:
        raise refuse
    return n, r, p, maxmem


def _scrypt_stream(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    n, r, p, maxmem = _scrypt_params(opslimit, memlimit)
    try:
        password = passphrase.encode("utf-8")
    except UnicodeEncodeError:
        raise WrongPassphrase("The passphrase is wrong for this secret key.") from None
    try:
        return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, maxmem=maxmem,
                              dklen=_KEYNUM_SK_LEN)
    except (ValueError, MemoryError):
        raise MinisignError(
            "There is not enough memory to unlock this secret key."
        ) from None


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def _checksum(key_id: bytes, sk64: bytes) -> bytes:
    return hashlib.blake2b(_SIGALG + key_id + sk64, digest_size=_CHK_LEN).digest()


# --- keys -------------------------------------------------------------------


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key with its minisign key id."""

    key_id: bytes  # 8 bytes as stored in the file
    raw: bytes  # 32-byte Ed25519 public key

    def __post_init__(self) -> None:
        if (
            not isinstance(self.key_id, bytes)
            or not isinstance(self.raw, bytes)
            or len(self.key_id) != _KEY_ID_LEN
            or len(self.raw) != _PUBLIC_LEN
        ):
            raise MinisignError("This is not a valid minisign public key.")

    @property
    def key_id_hex(self) -> str:
        """16 upper-case hex digits, the key id read little-endian (as minisign shows it)."""
        return _key_id_hex(self.key_id)

    @classmethod
    def from_text(cls, text: str | bytes) -> PublicKey:
        """Read a ``.pub`` file (comment line + base64 line) or just the base64 line."""
        invalid = "This is not a valid minisign public key."
        s = _text_input(text, _MAX_PUBLIC_KEY_FILE,
                        "This public key file is too large.", invalid, MinisignError)
        lines = _split_lines(s)
        if len(lines) == 1:
            b64 = lines[0].strip(" \t")
        elif len(lines) == 2 and lines[0].startswith(_COMMENT_PREFIX):
            b64 = lines[1]
        else:
            raise MinisignError(invalid)
        blob = _b64decode_exact(b64, _PUBLIC_KEY_BLOB_LEN)
        if blob is None or blob[:2] != _SIGALG:
            raise MinisignError(invalid)
        return cls(key_id=blob[2:10], raw=blob[10:])

    def to_base64(self) -> str:
        return _b64(_SIGALG + self.key_id + self.raw)

    def to_text(self) -> str:
        """The minisign ``.pub`` file text."""
        return f"{_COMMENT_PREFIX}{_PUBLIC_KEY_COMMENT}{self.key_id_hex}\n{self.to_base64()}\n"

    def fingerprint(self) -> str:
        """60 decimal digits in 12 groups of 5, for reading aloud and comparing.

        SHA-256 of ``b"Ed" || key_id || raw``, read as a big-endian integer,
        reduced modulo 10**60 (the bias is below 10**-16) and zero-padded.
        """
        digest = hashlib.sha256(_SIGALG + self.key_id + self.raw).digest()
        digits = f"{int.from_bytes(digest, 'big') % 10**60:060d}"
        return " ".join(digits[i:i + 5] for i in range(0, 60, 5))


@dataclass(frozen=True)
class SecretKey:
    """An Ed25519 seed with its minisign key id. Its repr never shows the seed."""

    key_id: bytes
    seed: bytes = field(repr=False)  # 32-byte Ed25519 seed

    def __post_init__(self) -> None:
        if (
            not isinstance(self.key_id, bytes)
            or not isinstance(self.seed, bytes)
            or len(self.key_id) != _KEY_ID_LEN
            or len(self.seed) != _SEED_LEN
        ):
            raise MinisignError("This is not a valid minisign secret key.")

    @property
    def public(self) -> PublicKey:
        return PublicKey(key_id=self.key_id, raw=_public_from_seed(self.seed))


def generate_key() -> SecretKey:
    """A new random key pair (random 8-byte key id, as minisign does)."""
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    return SecretKey(key_id=secrets.token_bytes(_KEY_ID_LEN), seed=seed)


@dataclass(frozen=True)
class _SecretKeyFile:
    kdf: bytes
    salt: bytes
    opslimit: int
    memlimit: int
    keynum_sk: bytes = field(repr=False)


def _parse_secret_key_file(text: str | bytes) -> _SecretKeyFile:
    invalid = "This is not a valid minisign secret key file."
    s = _text_input(text, _MAX_SECRET_KEY_FILE,
                    "This secret key file is too large.", invalid, MinisignError)
    lines = _split_lines(s)
    if len(lines) != 2 or not lines[0].startswith(_COMMENT_PREFIX):
        raise MinisignError(invalid)
    blob = _b64decode_exact(lines[1], _SECRET_KEY_BLOB_LEN)
    if blob is None or blob[0:2] != _SIGALG or blob[4:6] != _CHKALG:
        raise MinisignError(invalid)
    kdf = blob[2:4]
    if kdf not in (_KDF_SCRYPT, _KDF_NONE):
        raise MinisignError(invalid)
    parsed = _SecretKeyFile(
        kdf=kdf,
        salt=blob[6:38],
        opslimit=int.from_bytes(blob[38:46], "little"),
        memlimit=int.from_bytes(blob[46:54], "little"),
        keynum_sk=blob[54:],
    )
    if kdf == _KDF_SCRYPT:
        _scrypt_params(parsed.opslimit, parsed.memlimit)  # refuse absurd limits early
    return parsed


def key_needs_passphrase(text: str | bytes) -> bool:
    """True if this secret key file is encrypted (raises MinisignError if malformed)."""
    return _parse_secret_key_file(text).kdf == _KDF_SCRYPT


def secret_key_to_text(sk: SecretKey, passphrase: str | None) -> str:
    """The minisign secret key file; encrypted with scrypt unless passphrase is None.

    An empty passphrase is refused: it would look protected without being so.
    """
    pub = sk.public.raw
    sk64 = sk.seed + pub
    if passphrase is None:
        # Exactly what `minisign -G -W` writes: zero salt, limits and checksum.
        blob = (_SIGALG + _KDF_NONE + _CHKALG + bytes(_SALT_LEN) + bytes(16)
                + sk.key_id + sk64 + bytes(_CHK_LEN))
    else:
        if passphrase == "":
            raise MinisignError("Choose a passphrase, or save the key without one.")
        salt = secrets.token_bytes(_SALT_LEN)
        keynum_sk = sk.key_id + sk64 + _checksum(sk.key_id, sk64)
        stream = _scrypt_stream(passphrase, salt, _OPSLIMIT_SENSITIVE, _MEMLIMIT_SENSITIVE)
        blob = (_SIGALG + _KDF_SCRYPT + _CHKALG + salt
                + _OPSLIMIT_SENSITIVE.to_bytes(8, "little")
                + _MEMLIMIT_SENSITIVE.to_bytes(8, "little")
                + _xor(keynum_sk, stream))
    return f"{_COMMENT_PREFIX}{_SECRET_KEY_COMMENT}\n{_b64(blob)}\n"


def secret_key_from_text(text: str | bytes, passphrase: str | None) -> SecretKey:
    """Read a minisign secret key file (encrypted or not).

    Raises PassphraseRequired for an encrypted key without a passphrase and
    WrongPassphrase when the checksum does not match after decryption. The
    passphrase is ignored for an unencrypted key.
    """
    parsed = _parse_secret_key_file(text)
    keynum_sk = parsed.keynum_sk
    if parsed.kdf == _KDF_SCRYPT:
        if passphrase is None:
            raise PassphraseRequired(
                "This secret key is protected by a passphrase; enter it to unlock the key."
            )
        stream = _scrypt_stream(passphrase, parsed.salt, parsed.opslimit, parsed.memlimit)
        keynum_sk = _xor(keynum_sk, stream)
    key_id, sk64, chk = keynum_sk[:8], keynum_sk[8:72], keynum_sk[72:]
    expected = _checksum(key_id, sk64)
    if parsed.kdf == _KDF_SCRYPT:
        if not hmac.compare_digest(chk, expected):
            raise WrongPassphrase("The passphrase is wrong for this secret key.")
    elif chk != bytes(_CHK_LEN) and not hmac.compare_digest(chk, expected):
        # minisign writes zeros here for unencrypted keys; anything else must match.
        raise MinisignError("This secret key file is damaged.")
    seed, pub = sk64[:32], sk64[32:]
    if not hmac.compare_digest(_public_from_seed(seed), pub):
        raise MinisignError("This secret key file is damaged.")
    return SecretKey(key_id=key_id, seed=seed)


# --- signatures -------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    """A parsed prehashed (``ED``) minisign signature."""

    key_id: bytes
    signature: bytes  # 64
    trusted_comment: str
    global_signature: bytes  # 64


def sign(sk: SecretKey, data: bytes, trusted_comment: str,
         untrusted_comment: str = "signature from satchel secret key") -> str:
    """Sign ``data`` (prehashed ``ED``) and return the minisign signature file text.

    Comments must be one line without control characters (tab included);
    the trusted comment may hold at most 6000 UTF-8 bytes and the untrusted one
    at most 1000.
    """
    for comment, limit, name in (
        (trusted_comment, _MAX_TRUSTED_COMMENT_BYTES, "trusted"),
        (untrusted_comment, _MAX_UNTRUSTED_COMMENT_BYTES, "untrusted"),
    ):
        if not isinstance(comment, str) or _forbidden_char(comment, allow_tab=False):
            raise MinisignError(
                f"The {name} comment must be one line without control characters."
            )
        if len(comment.encode("utf-8")) > limit:
            raise MinisignError(f"The {name} comment is too long.")
    private = Ed25519PrivateKey.from_private_bytes(sk.seed)
    digest = hashlib.blake2b(data, digest_size=_DIGEST_LEN).digest()
    signature = private.sign(digest)
    comment_bytes = trusted_comment.encode("utf-8")
    global_signature = private.sign(signature + comment_bytes)
    # Check our own output before it leaves (guards against faulty signing).
    public = private.public_key()
    try:
        public.verify(signature, digest)
        public.verify(global_signature, signature + comment_bytes)
    except InvalidSignature:
        raise MinisignError("Signing failed; the signature did not verify.") from None
    return (
        f"{_COMMENT_PREFIX}{untrusted_comment}\n"
        f"{_b64(_SIGALG_HASHED + sk.key_id + signature)}\n"
        f"{_TRUSTED_PREFIX}{trusted_comment}\n"
        f"{_b64(global_signature)}\n"
    )


def parse_signature(text: str | bytes) -> Signature:
    """Parse a minisign signature file strictly; only prehashed ``ED`` signatures."""
    invalid = "This is not a valid minisign signature file."
    s = _text_input(text, _MAX_SIGNATURE_FILE,
                    "This signature file is too large.", invalid, BadSignature)
    lines = _split_lines(s)
    if len(lines) != 4:
        raise BadSignature(invalid)
    untrusted, sig_line, trusted, global_line = lines
    if not untrusted.startswith(_COMMENT_PREFIX) or not trusted.startswith(_TRUSTED_PREFIX):
        raise BadSignature(invalid)
    blob = _b64decode_exact(sig_line, _SIG_BLOB_LEN)
    if blob is None:
        raise BadSignature(invalid)
    if blob[:2] == _SIGALG:
        raise BadSignature(_LEGACY_MESSAGE)
    if blob[:2] != _SIGALG_HASHED:
        raise BadSignature("This signature uses an algorithm that Satchel does not accept.")
    comment = trusted[len(_TRUSTED_PREFIX):]
    # minisign's own default trusted comment contains a tab; nothing else is allowed.
    if _forbidden_char(comment, allow_tab=True):
        raise BadSignature(invalid)
    global_signature = _b64decode_exact(global_line, _SIG_LEN)
    if global_signature is None:
        raise BadSignature(invalid)
    return Signature(key_id=blob[2:10], signature=blob[10:], trusted_comment=comment,
                     global_signature=global_signature)


def verify(pub: PublicKey, data: bytes, sig: Signature) -> None:
    """Raise BadSignature unless ``sig`` is a valid signature of ``data`` by ``pub``."""
    verify_prehashed(pub, hashlib.blake2b(data, digest_size=_DIGEST_LEN).digest(), sig)


def verify_prehashed(pub: PublicKey, digest: bytes, sig: Signature) -> None:
    """Like ``verify``, given the BLAKE2b-512 digest of the data.

    A digest that is not 64 bytes is a programming error and raises ValueError.
    """
    if not isinstance(digest, bytes) or len(digest) != _DIGEST_LEN:
        raise ValueError("digest must be the 64-byte BLAKE2b-512 digest of the data")
    if (
        not isinstance(sig.key_id, bytes)
        or not isinstance(sig.signature, bytes)
        or not isinstance(sig.global_signature, bytes)
        or not isinstance(sig.trusted_comment, str)
        or len(sig.key_id) != _KEY_ID_LEN
        or len(sig.signature) != _SIG_LEN
        or len(sig.global_signature) != _SIG_LEN
    ):
        raise BadSignature("This is not a valid minisign signature file.")
    if not hmac.compare_digest(sig.key_id, pub.key_id):
        raise BadSignature(
            f"This file was signed with key {_key_id_hex(sig.key_id)}, "
            f"not with the expected key {pub.key_id_hex}."
        )
    try:
        comment_bytes = sig.trusted_comment.encode("utf-8")
    except UnicodeEncodeError:
        raise BadSignature("This is not a valid minisign signature file.") from None
    try:
        public = Ed25519PublicKey.from_public_bytes(pub.raw)
    except ValueError:
        raise BadSignature("The public key is not a valid Ed25519 key.") from None
    try:
        public.verify(sig.signature, digest)
    except InvalidSignature:
        raise BadSignature(
            "The signature does not match this file, which may have been changed or damaged."
        ) from None
    try:
        public.verify(sig.global_signature, sig.signature + comment_bytes)
    except InvalidSignature:
        raise BadSignature(
            "The signature's trusted comment has been changed or damaged."
        ) from None
