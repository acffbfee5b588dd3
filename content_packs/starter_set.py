"""Which starter packs a learner gets: the first run brings the editions in the language of
the interface and in English; the rest of the bundled set can be added later from the
library ("Add packs from the starter set...").

- `languages_for_ui` maps an interface language to the starter editions to import first:
  its own (if the set has one) and English. Persian has no edition yet, so it gets English
  alone, and will get its own as soon as `content_packs/default/<topic>/fa/` exists.
- `StarterSource` has the shape of a repository source (sync.repository.RepoSource) over
  the bundled packs: the files `make starter` built (dist/starter, or inside the bundle)
  or, from a checkout without them, packs built in memory (never into a temporary file).
  The library lists and imports them through the same listing and verifier as a stick,
  so a starter pack is checked exactly like any other pack.
- Names are `<topic>-<language folder>.satchel`; the language is read from the name only
  to choose which files to offer first, never to decide anything about trust.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from content_packs import starter
from content_packs.build import pack_bytes
from content_packs.source import load_source

ENGLISH = "en"
# Interface language (ui.i18n.LANGUAGES) -> starter edition folder (content_packs/default/<topic>/<folder>).
UI_TO_EDITION = {"en": "en", "ar": "ar", "fa": "fa", "ru": "ru", "zh_CN": "zh-hans", "zh_TW": "zh-hant",
                 "es": "es", "fr": "fr"}
_SCRIPT_SUBTAG_LEN = 4   # zh-hans, sr-latn...: the edition folder keeps its script


def edition_of(name: str) -> str:
    """The edition folder a starter file name ends with: "laptop-security-zh-hans.satchel" -> "zh-hans"."""
    stem = name[: -len(".satchel")] if name.lower().endswith(".satchel") else name
    parts = stem.split("-")
    if len(parts) >= 3 and len(parts[-1]) == _SCRIPT_SUBTAG_LEN:
        return "-".join(parts[-2:]).lower()
    return parts[-1].lower()


def languages_for_ui(ui_language: str) -> list[str]:
    """The starter editions a first run imports: the interface language's, then English."""
    own = UI_TO_EDITION.get(ui_language, ui_language.replace("_", "-").lower())
    return list(dict.fromkeys([own, ENGLISH]))


class StarterSource:
    """The bundled starter packs as a source of loose pack files (no index)."""

    loose = True

    def __init__(self, entries: dict[str, Path | bytes]) -> None:
        self._entries = dict(entries)
        self.leftovers: list[str] = []

    def names(self) -> list[str]:
        return sorted(self._entries)

    def editions(self) -> set[str]:
        return {edition_of(n) for n in self._entries}

    def size(self, name: str) -> int:
        entry = self._entries[name]
        return len(entry) if isinstance(entry, bytes) else entry.stat().st_size

    def open(self, name: str) -> BinaryIO:
        entry = self._entries[name]
        return io.BytesIO(entry) if isinstance(entry, bytes) else open(entry, "rb")

    def read_small(self, name: str, cap: int) -> bytes | None:
        with self.open(name) as f:
            data = f.read(cap + 1)
        return data if len(data) <= cap else None

    def alive(self) -> bool:
        return True


def starter_source(editions: Iterable[str] | None = None) -> StarterSource:
    """The bundled starter packs (of the given editions only, if given)."""
    wanted = None if editions is None else {e.lower() for e in editions}
    built = sorted(starter.resource_dir("starter").glob("*.satchel"))
    if built:
        return StarterSource({p.name: p for p in built if wanted is None or edition_of(p.name) in wanted})
    entries: dict[str, Path | bytes] = {}
    sources = [d for d in starter.starter_sources() if wanted is None or d.name.lower() in wanted]
    if sources:
        key = starter._sample_key()
        for d in sources:
            entries[f"{d.parent.name}-{d.name}.satchel"] = pack_bytes(load_source(d), key)
    return StarterSource(entries)
