"""A rough, offline estimate of a passphrase's strength, in bits, for any script.

How it counts (a guide for the person typing, not a guarantee):
1. The whole passphrase, lower-cased and without separators, is looked up among the
   passwords crack lists try first (ui/wordlists.py, several languages): 0 bits.
2. It is cut into words with the search tokeniser (app.textindex.segments), so Arabic,
   Cyrillic, Latin... words split at spaces and punctuation, and runs of scripts written
   without spaces (Chinese, Japanese, Korean, Thai, Khmer...) are cut into pieces of a
   typical word length: 2 characters for Han, Kana and Hangul, 4 for the others.
3. Each word or piece counts:
   - `COMMON_BITS` (8) if it is one of the few hundred most common words of one of the
     seven interface languages (ui/wordlists.py): four of them are about 2^32 guesses;
   - otherwise as a word from a vocabulary of tens of thousands (`WORD_BITS`, 15 bits,
     `CJK_WORD_BITS`, 14 bits, for a two-character piece), plus a little for long words,
     unless a Latin or Cyrillic word has too few vowels to be one (then by characters);
   - never more than its characters would give if typed at random (each new character
     `log2(size of its alphabet)`; repeats and keyboard or alphabet runs about 1 bit);
   - digits as digits (a year is 7 bits), a word repeated as 1 bit.
4. Separators add a few bits when they are not plain spaces, capitals a few more.
Scores: under 28 bits very weak, 40 weak, 60 fair, 80 good, then strong. A passphrase is
acceptable from 35 bits with 8 characters or more (or 50 bits however short it is).
So four common words ("I love you baby", 我们你好中国学习) are weak, four ordinary
words fair or good, and a random string is judged by its characters.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass

MIN_LENGTH = 8
MIN_BITS = 35.0
COMMON_BITS = 8.0
WORD_BITS = 15.0
CJK_WORD_BITS = 14.0
LONG_WORD_CHARS = 8
REPEAT_BITS = 1.0
SEPARATOR_BITS = 4.0
THRESHOLDS = (28.0, 40.0, 60.0, 80.0)

_RUNS = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "azertyuiop",
    "йцукенгшщзхъ",
    "фывапролджэ",
    "ячсмитьбю",
    "абвгдежзийклмнопрстуфхцчшщъыьэюя",
    "ضصثقفغعهخحجد",
    "شسیبلاتنمکگ",
)


@dataclass(frozen=True)
class Strength:
    score: int  # 0 very weak .. 4 strong
    bits: float
    acceptable: bool


@functools.cache
def _common() -> tuple[frozenset[str], frozenset[str]]:
    """(common words, common passwords), normalised the way the tokeniser does it."""
    from app.textindex import segments
    from ui import wordlists

    words: set[str] = set()
    for text in wordlists.ALL_WORDS:
        for raw in text.split():
            words.update(tok for _w, tok in segments(raw))
    passwords = {_squash(p) for p in wordlists.PASSWORDS.split()}
    return frozenset(words), frozenset(passwords)


def _squash(text: str) -> str:
    from app.textindex import segments

    return "".join(tok for _w, tok in segments(text))


def _alphabet(ch: str) -> int:
    if ch.isdigit():
        return 10
    if "a" <= ch <= "z":
        return 26
    if ord(ch) < 128:
        return 33
    if unicodedata.category(ch).startswith("L"):
        # Ideographs and Hangul syllables come from sets of thousands, alphabets of dozens.
        return 3000 if ord(ch) >= 0x3400 else 36
    return 33


def char_bits(text: str) -> float:
    """Bits of `text` typed at random: each new character log2 of its alphabet's size,
    a repeat or the continuation of a keyboard or alphabet run about one bit."""
    bits = 0.0
    seen: set[str] = set()
    low = text.lower()
    for i, ch in enumerate(low):
        pair = low[i - 1 : i + 1] if i else ""
        in_run = bool(pair) and any(pair in run or pair[::-1] in run for run in _RUNS)
        if ch in seen or in_run:
            bits += REPEAT_BITS
        else:
            bits += math.log2(_alphabet(ch))
        seen.add(ch)
    return bits


def _digits_bits(word: str) -> float:
    if re.fullmatch(r"(19|20)\d\d", word):
        return 7.0  # a year
    return min(char_bits(word), len(word) * math.log2(10))


_VOWELS = frozenset("aeiouy\u0430\u0435\u0451\u0438\u043e\u0443\u044b\u044d\u044e\u044f\u0456\u0457\u0454")
_LATIN_CYRILLIC = re.compile("[a-z\u0430-\u044f\u0451\u0456\u0457\u0454]+")


def word_like(word: str) -> bool:
    """Does a Latin or Cyrillic word look like one of a language (vowels between its
    consonants), rather than letters typed at random ("xkcdqzpt")? Other scripts, whose
    vowels may not be written, always count as words."""
    if not _LATIN_CYRILLIC.fullmatch(word) or len(word) < 5:
        return True
    vowels = sum(1 for ch in word if ch in _VOWELS)
    longest = max(len(run) for run in re.split("[" + "".join(_VOWELS) + "]", word))
    return vowels / len(word) >= 0.25 and longest <= 5


def _word_bits(word: str, common: frozenset[str], base: float) -> float:
    if word.isdigit():
        return _digits_bits(word)
    if word in common:
        return min(COMMON_BITS, char_bits(word))
    if not word_like(word):
        return char_bits(word)
    extra = max(0, len(word) - LONG_WORD_CHARS) * 1.5
    return min(char_bits(word), base + extra)


def _piece_size(run: str) -> int:
    """Typical word length of a script written without spaces: 2 for Han, Kana and
    Hangul (most Chinese words have two characters), 4 for Thai, Lao, Khmer, Myanmar
    and Tibetan, whose words are written with several letters."""
    first = ord(run[0])
    return 2 if first >= 0x1100 and not 0x1780 <= first <= 0x19FF else 4


def _separators_bits(text: str) -> float:
    seps = [ch for ch in text if not ch.isalnum() and not ch.isspace() and unicodedata.category(ch)[0] != "M"]
    return SEPARATOR_BITS * len(set(seps))


def _case_bits(text: str) -> float:
    inner = sum(1 for w in text.split() for ch in w[1:] if ch.isupper())
    starts = sum(1 for w in text.split() if w[:1].isupper())
    return min(6.0, inner) + (1.0 if starts else 0.0)


def estimate(passphrase: str) -> Strength:
    text = unicodedata.normalize("NFC", passphrase)
    if not text.strip():
        return Strength(0, 0.0, False)
    from app.textindex import segments

    common, passwords = _common()
    if _squash(text) in passwords or text.lower().strip() in passwords:
        return Strength(0, 0.0, False)
    bits = 0.0
    seen: set[str] = set()
    for is_word, token in segments(text):
        size = _piece_size(token) if not is_word else len(token)
        base = WORD_BITS if is_word or size > 2 else CJK_WORD_BITS
        for part in [token[i : i + size] for i in range(0, len(token), size)]:
            if part in seen:
                bits += REPEAT_BITS
                continue
            seen.add(part)
            if not is_word and len(part) == 1:
                bits += min(char_bits(part), 10.0)  # a character left over
            else:
                bits += _word_bits(part, common, base)
    bits += _separators_bits(text) + _case_bits(text)
    score = sum(1 for t in THRESHOLDS if bits >= t)
    # Eight characters at least, unless each carries a lot (rare ideographs).
    acceptable = bits >= MIN_BITS and (len(text) >= MIN_LENGTH or bits >= 50)
    return Strength(score, round(bits, 1), acceptable)
