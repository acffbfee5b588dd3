"""One record of the vault's key file: a fixed number of key slots that wrap the random
data key, with the key-derivation settings, the failed-unlock counter and a sequence
number. crypto.keystore keeps two such records in one file and overwrites them in place.

Record layout (always exactly RECORD_SIZE bytes, whatever it holds):

    0   u8   format version (2)
    1   u8   kdf (1 = Argon2id)
    2   u8   Argon2id lanes
    3   u8   reserved (0)
    4   u32  Argon2id memory in KiB (little-endian)
    8   u32  Argon2id passes
    12  u16  wipe after this many failed unlocks (0 = never)
    14  u16  failed unlocks so far
    16  u64  sequence number (starts at a random value; +1 per update)
    24  u8   re-key in progress: slot of the old passphrase + 1 (0 = none)
    25  u8   re-key in progress: slot of the new passphrase + 1 (0 = none)
    26  6    reserved (0)
    32  32   salt
    64  SLOT_COUNT x SLOT_SIZE slots
    ... random padding
    RECORD_SIZE-32  32  SHA-256 of everything before it

Each slot is nonce (12) || AES-256-GCM(role (1) || 3 zero bytes || data key (32) ||
previous data key (32)) || tag (16), under the key that Argon2id derives from a
passphrase with the record's salt and costs; the slot's index and the costs are
authenticated data, so a slot cannot be moved or its costs lowered unnoticed. The
previous data key is zeros except in the new passphrase's slot while the database is
being re-encrypted (app.vault). Unused slots are random bytes of the same size: without a
passphrase nobody can tell how many slots are in use, or whether one of them is a duress
slot. One derivation per unlock tries every slot.

The SHA-256 tells a whole record from a torn write or from random bytes; it
authenticates nothing (whoever holds the disk can rewrite the counter, and the slots'
own tags protect the keys). A half of the key file that holds no record is "blank":
random bytes whose last 32 bytes are SHA-256("blank" || the rest), so that a half that
is neither (a write cut short) can be recognised and destroyed.

Every buffer that holds a derived key or a data key is a bytearray the caller wipes.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import struct
from dataclasses import dataclass, field, replace

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.kdf import KdfParams, derive
from crypto.secure import random_buffer, wipe

FORMAT_VERSION = 2
OLD_FORMAT_VERSION = 1
OLD_KEYFILE_SIZE = 4096
KDF_ARGON2ID = 1
RECORD_SIZE = 4096
HEADER_SIZE = 64
SLOT_COUNT = 8
NONCE_SIZE = 12
DATA_KEY_SIZE = 32
PLAIN_SIZE = 4 + 2 * DATA_KEY_SIZE
SLOT_SIZE = NONCE_SIZE + PLAIN_SIZE + 16
CHECK_SIZE = 32
SALT_SIZE = 32
BODY_SIZE = RECORD_SIZE - CHECK_SIZE
SLOTS_END = HEADER_SIZE + SLOT_COUNT * SLOT_SIZE

ROLE_VAULT = 1
ROLE_DURESS = 2

_HEADER = struct.Struct("<BBBBIIHHQBB6x32s")
_BLANK = b"blank"
assert _HEADER.size == HEADER_SIZE and SLOTS_END < BODY_SIZE


class KeyFileError(ValueError):
    """The key file is damaged, truncated or not a Satchel key file."""


class OldKeyFile(KeyFileError):
    """The key file has the layout of an earlier, unsupported Satchel."""


@dataclass
class Opened:
    """A slot that a derived key opened. `key` and `previous` must be wiped after use."""

    index: int
    role: int
    key: bytearray
    previous: bytearray | None

    def wipe(self) -> None:
        wipe(self.key)
        if self.previous is not None:
            wipe(self.previous)


def _check(body: bytes | bytearray | memoryview) -> bytes:
    return hashlib.sha256(body).digest()


def blank() -> bytes:
    """A half of the key file that holds nothing: random, marked as deliberately blank."""
    body = os.urandom(BODY_SIZE)
    return body + hashlib.sha256(_BLANK + body).digest()


def is_blank(block: bytes) -> bool:
    return len(block) == RECORD_SIZE and hashlib.sha256(_BLANK + block[:BODY_SIZE]).digest() == block[BODY_SIZE:]


def is_record(block: bytes) -> bool:
    return len(block) == RECORD_SIZE and _check(block[:BODY_SIZE]) == block[BODY_SIZE:]


@dataclass
class KeyRecord:
    """A parsed record. Slots stay opaque bytes until a derived key opens one."""

    params: KdfParams
    salt: bytes
    slots: list[bytes]
    fail_limit: int = 0
    fail_count: int = 0
    sequence: int = field(default_factory=lambda: secrets.randbelow(1 << 62))
    rekey_from: int | None = None
    rekey_to: int | None = None

    @classmethod
    def new(cls, params: KdfParams, salt: bytes | None = None) -> KeyRecord:
        return cls(
            params=params,
            salt=salt if salt is not None else secrets.token_bytes(SALT_SIZE),
            slots=[secrets.token_bytes(SLOT_SIZE) for _ in range(SLOT_COUNT)],
        )

    @classmethod
    def parse(cls, block: bytes) -> KeyRecord:
        """A record from one half of the key file; KeyFileError if it is not a whole one."""
        if not is_record(block):
            raise KeyFileError("The vault's key file is damaged.")
        (version, kdf, lanes, reserved, memory, passes, limit, count, sequence,
         rekey_from, rekey_to, salt) = _HEADER.unpack_from(block)
        if version != FORMAT_VERSION or kdf != KDF_ARGON2ID or reserved != 0:
            raise KeyFileError("The vault's key file is damaged or of an unknown kind.")
        params = KdfParams(memory_kib=memory, iterations=passes, lanes=lanes)
        if not params.is_sane():
            raise KeyFileError("The vault's key file is damaged (impossible key-derivation settings).")
        if rekey_from > SLOT_COUNT or rekey_to > SLOT_COUNT or (rekey_from == 0) != (rekey_to == 0):
            raise KeyFileError("The vault's key file is damaged.")
        slots = [bytes(block[HEADER_SIZE + i * SLOT_SIZE: HEADER_SIZE + (i + 1) * SLOT_SIZE])
                 for i in range(SLOT_COUNT)]
        return cls(params, bytes(salt), slots, limit, count, sequence,
                   rekey_from - 1 if rekey_from else None, rekey_to - 1 if rekey_to else None)

    def to_block(self) -> bytes:
        header = _HEADER.pack(
            FORMAT_VERSION, KDF_ARGON2ID, self.params.lanes, 0, self.params.memory_kib,
            self.params.iterations, self.fail_limit, self.fail_count, self.sequence,
            self.rekey_from + 1 if self.rekey_from is not None else 0,
            self.rekey_to + 1 if self.rekey_to is not None else 0, self.salt,
        )
        # Fresh padding every time: the only bytes two versions share are the slots that
        # did not change.
        body = header + b"".join(self.slots) + os.urandom(BODY_SIZE - SLOTS_END)
        assert len(body) == BODY_SIZE
        return body + _check(body)

    def copy(self) -> KeyRecord:
        return replace(self, slots=list(self.slots))

    @property
    def rekeying(self) -> bool:
        return self.rekey_from is not None

    def _aad(self, index: int) -> bytes:
        return struct.pack(
            "<BBBIIB", FORMAT_VERSION, KDF_ARGON2ID, self.params.lanes,
            self.params.memory_kib, self.params.iterations, index,
        ) + self.salt

    def derive(self, passphrase: str) -> bytearray:
        """The key a passphrase derives under this record's salt and costs (wipe it)."""
        return derive(passphrase, self.salt, self.params)

    def open_slot(self, derived: bytearray) -> Opened | None:
        """Try every slot with a derived key; the first that opens, or None."""
        aead = AESGCM(derived)
        plain = bytearray(PLAIN_SIZE)
        try:
            for index, slot in enumerate(self.slots):
                try:
                    aead.decrypt_into(slot[:NONCE_SIZE], slot[NONCE_SIZE:], self._aad(index), plain)
                except (InvalidTag, ValueError):
                    continue
                role = plain[0]
                if role not in (ROLE_VAULT, ROLE_DURESS):
                    continue
                view = memoryview(plain)  # slices of a view copy nothing
                key = bytearray(view[4:4 + DATA_KEY_SIZE])
                previous: bytearray | None = bytearray(view[4 + DATA_KEY_SIZE:])
                view.release()
                if previous is not None and not any(previous):
                    previous = None
                return Opened(index, role, key, previous)
            return None
        finally:
            wipe(plain)
            del aead

    def seal_slot(self, index: int, derived: bytearray, role: int, key: bytearray,
                  previous: bytearray | None = None) -> None:
        if len(key) != DATA_KEY_SIZE or (previous is not None and len(previous) != DATA_KEY_SIZE):
            raise ValueError("data keys are 32 bytes")
        plain = bytearray(PLAIN_SIZE)
        try:
            plain[0] = role
            plain[4:4 + DATA_KEY_SIZE] = key
            if previous is not None:
                plain[4 + DATA_KEY_SIZE:] = previous
            nonce = secrets.token_bytes(NONCE_SIZE)
            self.slots[index] = nonce + AESGCM(derived).encrypt(nonce, plain, self._aad(index))
        finally:
            wipe(plain)

    def clear_slot(self, index: int) -> None:
        self.slots[index] = secrets.token_bytes(SLOT_SIZE)

    def free_slot(self, exclude: set[int]) -> int:
        """A random slot index not in `exclude`, so slot positions say nothing."""
        choices = [i for i in range(SLOT_COUNT) if i not in exclude]
        return choices[secrets.randbelow(len(choices))]


def new_data_key() -> bytearray:
    """A fresh random data key in a buffer the caller wipes."""
    return random_buffer(DATA_KEY_SIZE)
