"""Passphrase key derivation for the vault's key slots.

Argon2id with parameters calibrated on the machine that creates the vault, so that one
derivation takes about the time asked for (cryptsetup's `--iter-time`). The parameters
are stored beside the salt in the key file, so a vault made on a fast machine still
opens on a slow one. Passphrases are normalised to Unicode NFC first: the same
passphrase typed on two keyboards derives the same key.

The derived key is written into a bytearray that the caller wipes, and the passphrase's
UTF-8 bytes are zeroed as soon as Argon2id has read them. The passphrase itself is a
Python string, which cannot be wiped (docs/threat-model.md says so).
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from crypto.secure import wipe_bytes

KEY_LEN = 32
DEFAULT_ITER_TIME_MS = 500
MIN_MEMORY_KIB = 8 * 1024
MAX_MEMORY_KIB = 1024 * 1024
MAX_ITERATIONS = 64
LANES = 4


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost parameters, as stored in the key file."""

    memory_kib: int
    iterations: int
    lanes: int = LANES

    def is_sane(self) -> bool:
        """Bounds that a genuine key file never leaves (a doctored file could ask for 4 TiB)."""
        return (
            MIN_MEMORY_KIB // 8 <= self.memory_kib <= MAX_MEMORY_KIB
            and 1 <= self.iterations <= MAX_ITERATIONS
            and 1 <= self.lanes <= 16
            and self.memory_kib >= 8 * self.lanes
        )


def normalise(passphrase: str) -> bytes:
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def derive(passphrase: str, salt: bytes, params: KdfParams) -> bytearray:
    """The key Argon2id derives from `passphrase`, in a buffer the caller must wipe."""
    kdf = Argon2id(
        salt=salt,
        length=KEY_LEN,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    out = bytearray(KEY_LEN)
    secret = normalise(passphrase)
    try:
        kdf.derive_into(secret, out)
    finally:
        wipe_bytes(secret)
    return out


def _time_once(params: KdfParams) -> float:
    start = time.perf_counter()
    derive("calibration", b"\0" * 16, params)
    return time.perf_counter() - start


def calibrate(iter_time_ms: int = DEFAULT_ITER_TIME_MS) -> KdfParams:
    """Pick parameters that take about `iter_time_ms` on this machine.

    Memory hardness comes first (128 MiB for the default half second), then passes; for
    the tiny times tests ask for, memory shrinks down to 8 MiB with a single pass.
    """
    target = max(iter_time_ms, 1) / 1000.0
    if iter_time_ms >= 250:
        memory = 128 * 1024
    elif iter_time_ms >= 50:
        memory = 32 * 1024
    else:
        memory = MIN_MEMORY_KIB
    while True:
        one_pass = _time_once(KdfParams(memory, 1))
        if one_pass <= target or memory <= MIN_MEMORY_KIB:
            break
        memory //= 2
    iterations = max(1, min(MAX_ITERATIONS, round(target / max(one_pass, 1e-6))))
    if iterations > 1:
        # One pass alone carries fixed costs (allocating the memory): measure the choice
        # once and correct it, so the real unlock takes about the time asked for.
        took = _time_once(KdfParams(memory, iterations))
        iterations = max(1, min(MAX_ITERATIONS, round(iterations * target / max(took, 1e-6))))
    return KdfParams(memory, iterations)
