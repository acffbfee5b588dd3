"""The vault's key file: a fixed number of key slots that wrap one random data key.

Layout (always exactly KEYFILE_SIZE bytes, whatever it holds):

    0   u8   format version (1)
    1   u8   kdf (1 = Argon2id)
    2   u8   Argon2id lanes
    3   u8   reserved (0)
    4   u32  Argon2id memory in KiB (little-endian)
    8   u32  Argon2id passes
    12  u16  wipe after this many failed unlocks (0 = never)
    14  u16  failed unlocks so far
    16  32   salt
    48  SLOT_COUNT x SLOT_SIZE slots
    ... random padding to KEYFILE_SIZE

Each slot is nonce (12) || AES-256-GCM(role (1) || 3 zero bytes || data key (32)) || tag
(16), under the key that Argon2id derives from a passphrase with the file's salt and
parameters; the slot's index and the header's cost fields are authenticated data, so a
slot cannot be moved or its costs lowered unnoticed. Unused slots are random bytes of
the same size: without a passphrase nobody can tell how many slots are in use, or
whether one of them is a duress slot. One derivation per unlock tries every slot.
"""

from __future__ import annotations

import os
import secrets
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.kdf import KdfParams, derive

FORMAT_VERSION = 1
KDF_ARGON2ID = 1
HEADER_SIZE = 48
SLOT_COUNT = 8
NONCE_SIZE = 12
PLAIN_SIZE = 36
SLOT_SIZE = NONCE_SIZE + PLAIN_SIZE + 16
KEYFILE_SIZE = 4096
DATA_KEY_SIZE = 32
SALT_SIZE = 32

ROLE_VAULT = 1
ROLE_DURESS = 2

_HEADER = struct.Struct("<BBBBIIHH32s")


class KeyFileError(ValueError):
    """The key file is damaged, truncated or not a Satchel key file."""


@dataclass
class KeyFile:
    """A parsed key file. Slots stay opaque bytes until a derived key opens one."""

    params: KdfParams
    salt: bytes
    slots: list[bytes]
    fail_limit: int = 0
    fail_count: int = 0
    padding: bytes = field(default_factory=lambda: secrets.token_bytes(
        KEYFILE_SIZE - HEADER_SIZE - SLOT_COUNT * SLOT_SIZE))

    @classmethod
    def new(cls, params: KdfParams, salt: bytes | None = None) -> KeyFile:
        return cls(
            params=params,
            salt=salt if salt is not None else secrets.token_bytes(SALT_SIZE),
            slots=[secrets.token_bytes(SLOT_SIZE) for _ in range(SLOT_COUNT)],
        )

    @classmethod
    def parse(cls, data: bytes) -> KeyFile:
        if len(data) != KEYFILE_SIZE:
            raise KeyFileError("The vault's key file is damaged (wrong size).")
        version, kdf, lanes, reserved, memory, passes, limit, count, salt = _HEADER.unpack_from(data)
        if version != FORMAT_VERSION or kdf != KDF_ARGON2ID or reserved != 0:
            raise KeyFileError("The vault's key file is damaged or of an unknown kind.")
        params = KdfParams(memory_kib=memory, iterations=passes, lanes=lanes)
        if not params.is_sane():
            raise KeyFileError("The vault's key file is damaged (impossible key-derivation settings).")
        slots = [
            data[HEADER_SIZE + i * SLOT_SIZE: HEADER_SIZE + (i + 1) * SLOT_SIZE]
            for i in range(SLOT_COUNT)
        ]
        return cls(params, salt, slots, limit, count, data[HEADER_SIZE + SLOT_COUNT * SLOT_SIZE:])

    def to_bytes(self) -> bytes:
        header = _HEADER.pack(
            FORMAT_VERSION, KDF_ARGON2ID, self.params.lanes, 0, self.params.memory_kib,
            self.params.iterations, self.fail_limit, self.fail_count, self.salt,
        )
        out = header + b"".join(self.slots) + self.padding
        assert len(out) == KEYFILE_SIZE
        return out

    def _aad(self, index: int) -> bytes:
        return struct.pack(
            "<BBBIIB", FORMAT_VERSION, KDF_ARGON2ID, self.params.lanes,
            self.params.memory_kib, self.params.iterations, index,
        ) + self.salt

    def derive(self, passphrase: str) -> bytes:
        return derive(passphrase, self.salt, self.params)

    def open_slot(self, derived: bytes) -> tuple[int, int, bytes] | None:
        """Try every slot with a derived key: (index, role, data key) or None."""
        aead = AESGCM(derived)
        for index, slot in enumerate(self.slots):
            try:
                plain = aead.decrypt(slot[:NONCE_SIZE], slot[NONCE_SIZE:], self._aad(index))
            except InvalidTag:
                continue
            role = plain[0]
            if role in (ROLE_VAULT, ROLE_DURESS) and len(plain) == PLAIN_SIZE:
                return index, role, plain[4:]
        return None

    def seal_slot(self, index: int, derived: bytes, role: int, data_key: bytes) -> None:
        if len(data_key) != DATA_KEY_SIZE:
            raise ValueError("data key must be 32 bytes")
        nonce = secrets.token_bytes(NONCE_SIZE)
        plain = bytes([role, 0, 0, 0]) + data_key
        self.slots[index] = nonce + AESGCM(derived).encrypt(nonce, plain, self._aad(index))

    def clear_slot(self, index: int) -> None:
        self.slots[index] = secrets.token_bytes(SLOT_SIZE)

    def free_slot(self, exclude: set[int]) -> int:
        """A random slot index not in `exclude`, so slot positions say nothing."""
        choices = [i for i in range(SLOT_COUNT) if i not in exclude]
        return choices[secrets.randbelow(len(choices))]

    def refresh_padding(self) -> None:
        self.padding = os.urandom(len(self.padding))
