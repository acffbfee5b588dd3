"""A rough, offline estimate of a passphrase's strength, for feedback while typing.

Works in every script: letters outside ASCII count by their script's size, repeated
characters and keyboard or alphabet runs count little, and a handful of the most common
passwords count as nothing. It is a guide for the person typing, not a guarantee.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

MIN_LENGTH = 8
MIN_BITS = 35.0

_COMMON = {
    "password",
    "passw0rd",
    "123456",
    "12345678",
    "123456789",
    "1234567890",
    "qwerty",
    "qwertyuiop",
    "azerty",
    "iloveyou",
    "admin",
    "welcome",
    "letmein",
    "abc123",
    "111111",
    "000000",
    "monkey",
    "dragon",
    "football",
    "baseball",
    "sunshine",
    "princess",
    "secret",
    "satchel",
    "password1",
    "password123",
    "qwerty123",
    "1q2w3e4r",
    "zaq12wsx",
}
_RUNS = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "йцукенгшщзхъ",
    "фывапролджэ",
    "ячсмитьбю",
)


@dataclass(frozen=True)
class Strength:
    score: int  # 0 very weak .. 4 strong
    bits: float
    acceptable: bool


def _pool(ch: str) -> int:
    if "a" <= ch <= "z" or "A" <= ch <= "Z":
        return 26
    if ch.isdigit():
        return 10
    if ch.isspace():
        return 1
    if ord(ch) < 128:
        return 33
    cat = unicodedata.category(ch)
    if cat.startswith("L"):
        # CJK ideographs and Hangul syllables come from much larger sets than alphabets.
        return 2000 if ord(ch) >= 0x3400 else 40
    return 33


def _run_penalty(s: str) -> int:
    """How many characters continue a run of an alphabet or keyboard row (either way)."""
    low = s.lower()
    n = 0
    for i in range(1, len(low)):
        pair = low[i - 1 : i + 1]
        if any(pair in run or pair[::-1] in run for run in _RUNS):
            n += 1
    return n


def estimate(passphrase: str) -> Strength:
    s = unicodedata.normalize("NFC", passphrase)
    if not s:
        return Strength(0, 0.0, False)
    if s.lower().strip() in _COMMON:
        return Strength(0, 0.0, False)
    pools: dict[str, int] = {}
    for ch in s:
        size = _pool(ch)
        key = (
            "ideo"
            if size == 2000
            else (
                "alpha"
                if size == 26 and ch.islower()
                else "ALPHA"
                if size == 26
                else str(size) + ("o" if ord(ch) > 127 else "")
            )
        )
        pools[key] = size
    pool = max(sum(pools.values()), 2)
    # Count each new character fully, a repeat or run continuation as about one bit.
    seen: set[str] = set()
    effective = 0.0
    runs = _run_penalty(s)
    for ch in s:
        effective += 1.0 if ch not in seen else 0.25
        seen.add(ch)
    effective = max(effective - runs * 0.75, 1.0)
    bits = effective * math.log2(pool)
    words = len([w for w in s.split() if w])
    if words >= 4:
        bits = max(bits, 44.0)  # four or more words: a passphrase, as recommended
    if bits < 28:
        score = 0
    elif bits < 40:
        score = 1
    elif bits < 60:
        score = 2
    elif bits < 80:
        score = 3
    else:
        score = 4
    # Eight characters at least, unless each carries a lot (ideographs): 秘密钥匙开门 is fine.
    acceptable = bits >= MIN_BITS and (len(s) >= MIN_LENGTH or bits >= 50)
    return Strength(score, bits, acceptable)
