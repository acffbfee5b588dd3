"""Word forms for search: Snowball stemmers (PyStemmer), chosen by a pack's language.

"passwords" should find a page about a "password", "wiping" one about how to "wipe",
пароли one about a пароль. The index holds, beside each word, the word's stem under the
stemmer of the pack's language where it differs from the word (app.textindex emits it);
a query asks for the stems of its words under the stemmers of the languages searched.

Guarantees:

* A stemmer is chosen only from a language tag (BCP 47; ISO 639-1 or 639-3 primary
  subtag); an unknown or absent language gets none. Each stemmer applies only to words
  written entirely in its own script (the French stemmer never touches an Arabic
  quotation in a French guide, nor a Russian one an English product name).
* Stems are indexed as plain words, beside the words: a stem that is itself a word (the
  stem of "passwords" is "password") finds that word, and stems of different languages
  meet only where they are spelled alike (mostly cognates: nation, nación). Tagging each
  stem with its stemmer was measured too: it kept the languages apart but made queries
  over a 32-language library 4 times slower (every word became an OR of 2 terms per
  stemmer), for no difference in recall on the UDHR corpus.
* Stemming is a pure function of (stemmer, normalised word): the index and the query
  apply it to text normalised the same way (app.textindex), so they always agree, even
  where accent folding makes a stemmer's output less linguistic.
* Nothing is logged or stored; PyStemmer keeps its own bounded cache per stemmer, and
  ``clear_caches`` drops the stemmers (and so their caches) when the vault locks.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["ALGORITHMS", "StemRule", "clear_caches", "rule_for", "rules_for"]

ALGORITHMS: tuple[str, ...] = (
    "arabic", "armenian", "basque", "catalan", "czech", "danish", "dutch", "english",
    "esperanto", "estonian", "finnish", "french", "german", "greek", "hindi", "hungarian",
    "indonesian", "irish", "italian", "lithuanian", "nepali", "norwegian", "persian",
    "polish", "portuguese", "romanian", "russian", "serbian", "sesotho", "spanish",
    "swedish", "tamil", "turkish", "yiddish",
)  # fmt: skip
"""The Snowball stemmers Satchel uses (all those PyStemmer has, but the two old English
variants)."""

# Primary language subtags (ISO 639-1 and the 639-3 codes in use, macrolanguage members
# included) -> stemmer.
_LANGUAGES: dict[str, str] = {
    "ar": "arabic", "ara": "arabic", "arb": "arabic", "ary": "arabic", "arz": "arabic",
    "apc": "arabic", "ajp": "arabic", "acm": "arabic", "afb": "arabic", "ayl": "arabic",
    "hy": "armenian", "hye": "armenian", "arm": "armenian",
    "eu": "basque", "eus": "basque", "baq": "basque",
    "ca": "catalan", "cat": "catalan",
    "cs": "czech", "ces": "czech", "cze": "czech",
    "da": "danish", "dan": "danish",
    "nl": "dutch", "nld": "dutch", "dut": "dutch",
    "en": "english", "eng": "english",
    "eo": "esperanto", "epo": "esperanto",
    "et": "estonian", "est": "estonian", "ekk": "estonian",
    "fi": "finnish", "fin": "finnish",
    "fr": "french", "fra": "french", "fre": "french",
    "de": "german", "deu": "german", "ger": "german",
    "el": "greek", "ell": "greek", "gre": "greek",
    "hi": "hindi", "hin": "hindi",
    "hu": "hungarian", "hun": "hungarian",
    "id": "indonesian", "ind": "indonesian",
    "ga": "irish", "gle": "irish",
    "it": "italian", "ita": "italian",
    "lt": "lithuanian", "lit": "lithuanian",
    "ne": "nepali", "nep": "nepali", "npi": "nepali",
    "no": "norwegian", "nor": "norwegian", "nb": "norwegian", "nob": "norwegian",
    "nn": "norwegian", "nno": "norwegian",
    "fa": "persian", "fas": "persian", "per": "persian", "pes": "persian", "prs": "persian",
    "pl": "polish", "pol": "polish",
    "pt": "portuguese", "por": "portuguese",
    "ro": "romanian", "ron": "romanian", "rum": "romanian", "mo": "romanian",
    "ru": "russian", "rus": "russian",
    "sr": "serbian", "srp": "serbian",
    "st": "sesotho", "sot": "sesotho",
    "es": "spanish", "spa": "spanish",
    "sv": "swedish", "swe": "swedish",
    "ta": "tamil", "tam": "tamil",
    "tr": "turkish", "tur": "turkish",
    "yi": "yiddish", "yid": "yiddish", "ydd": "yiddish",
}  # fmt: skip

# Letters of each script as they appear in normalised text (case folded, Latin, Greek,
# Cyrillic, Arabic and Hebrew diacritics removed), plus ASCII digits: "sha256" is a word.
_LATIN = (
    "0-9a-z\u00aa\u00b5\u00ba\u00df-\u00f6\u00f8-\u024f\u0250-\u02af\u1d00-\u1dbf\u1e00-\u1eff"
    "\u2c60-\u2c7f\ua720-\ua7ff\uab30-\uab6f"
)
_SCRIPTS: dict[str, str] = {
    "latin": _LATIN,
    "cyrillic": "0-9\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f",
    "greek": "0-9\u0370-\u03ff\u1f00-\u1fff",
    "arabic": "0-9\u0600-\u06ff\u0750-\u077f\u0870-\u089f\u08a0-\u08ff",
    "armenian": "0-9\u0530-\u058f",
    "devanagari": "0-9\u0900-\u097f\ua8e0-\ua8ff",
    "tamil": "0-9\u0b80-\u0bff",
    "hebrew": "0-9\u0590-\u05ff",
}
_ALGORITHM_SCRIPTS: dict[str, str] = {
    "arabic": "arabic", "armenian": "armenian", "greek": "greek", "hindi": "devanagari",
    "nepali": "devanagari", "persian": "arabic", "russian": "cyrillic", "tamil": "tamil",
    "yiddish": "hebrew", "serbian": "cyrillic+latin",
}  # fmt: skip

# Normalisation folds Arabic yeh and kaf to their Persian forms (so Arabic and Persian
# keyboards agree) and teh marbuta to heh; the Arabic stemmer knows only the Arabic
# letters, and strips a final teh marbuta where it keeps a final heh, so a word's final
# heh goes back to teh marbuta (a pronoun suffix heh is stripped either way).
_ARABIC_UNFOLD = str.maketrans({"\u06cc": "\u064a", "\u06a9": "\u0643"})
_FINAL_HEH_RE = re.compile("\u0647(?= |$)")
# The Snowball Arabic stemmer removes plural and feminine endings of short words only
# after removing the article (حكومات and حكومة keep different stems, الحكومات and
# الحكومة the same), so every word is stemmed in its definite form: on the UDHR and a
# list of common plural pairs this matches twice as many pairs as the bare word does.
_NO_ARTICLE_RE = re.compile("(?<![^ ])(?!\u0627\u0644)(?=[^ ])")


@dataclass(frozen=True)
class StemRule:
    algorithm: str
    chars: str  # a regular-expression character set (without brackets) of its script

    @property
    def words_re(self) -> re.Pattern[str]:
        return _words_re(self.chars)

    @property
    def word_re(self) -> re.Pattern[str]:
        return _word_re(self.chars)

    @property
    def only_re(self) -> re.Pattern[str]:
        """Space-separated words all of this rule's script (use with fullmatch)."""
        return _word_re(self.chars + " ")

    def stem_words(self, words: Sequence[str]) -> list[str]:
        """Stems of normalised words of this rule's script (not yet normalised again)."""
        if self.algorithm == "arabic" and words:
            joined = _FINAL_HEH_RE.sub("\u0629", " ".join(words).translate(_ARABIC_UNFOLD))
            words = _NO_ARTICLE_RE.sub("\u0627\u0644", joined).split(" ")
        return list(_stemmer(self.algorithm).stemWords(words))


@functools.cache
def _words_re(chars: str) -> re.Pattern[str]:
    """Space-separated words made only of `chars` (in a string of such words)."""
    return re.compile(f"(?<![^ ])[{chars}]+(?![^ ])")


@functools.cache
def _word_re(chars: str) -> re.Pattern[str]:
    return re.compile(f"[{chars}]+")


def _script_chars(algorithm: str) -> str:
    scripts = _ALGORITHM_SCRIPTS.get(algorithm, "latin").split("+")
    return "".join(_SCRIPTS[s] for s in scripts)


_local = threading.local()


def _stemmer(algorithm: str) -> Any:
    """One stemmer per thread and algorithm (a PyStemmer object is not thread-safe)."""
    stemmers: dict[str, Any] | None = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    stemmer = stemmers.get(algorithm)
    if stemmer is None:
        import Stemmer

        stemmer = stemmers[algorithm] = Stemmer.Stemmer(algorithm, 20000)
    return stemmer


def clear_caches() -> None:
    """Forget this thread's stemmers and the words they cached (call on lock)."""
    _local.stemmers = {}


def rule_for(language: str | None) -> StemRule | None:
    """The stemming rule for a BCP 47 language tag, or None."""
    if not language:
        return None
    primary = language.replace("_", "-").split("-", 1)[0].lower()
    algorithm = _LANGUAGES.get(primary)
    if algorithm is None:
        return None
    return _rule(algorithm)


@functools.cache
def _rule(algorithm: str) -> StemRule:
    return StemRule(algorithm, _script_chars(algorithm))


def rules_for(languages: Sequence[str]) -> tuple[StemRule, ...]:
    """The distinct rules of some languages, in ALGORITHMS order (a query's stemmers)."""
    found = {rule.algorithm: rule for rule in (rule_for(lang) for lang in languages) if rule is not None}
    return tuple(found[a] for a in ALGORITHMS if a in found)
