"""The app's settings, kept inside the vault (never QSettings, never a file of their own).

`load` and the setters run on the worker thread. Values read from the vault are checked
and clamped: a damaged or doctored value falls back to its default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

AUTOLOCK_CHOICES_S = (60, 120, 300, 600, 900, 1800, 3600)
PANIC_AFTER = ("firstrun", "quit")
TEXT_SCALES = (100, 125, 150, 175, 200)
READER_ZOOM = (70, 300)

KEYS = {
    "language": "ui.language",
    "autolock_s": "ui.autolock_seconds",
    "panic_confirm": "ui.panic_confirm",
    "panic_after": "ui.panic_after",
    "reader_zoom": "ui.reader_zoom",
    "text_scale": "ui.text_scale",
    "high_contrast": "ui.high_contrast",
}


@dataclass
class Prefs:
    language: str | None = None
    autolock_s: int = 300
    panic_confirm: bool = False
    panic_after: str = "firstrun"
    reader_zoom: int = 100
    text_scale: int = 100
    high_contrast: bool = False
    fail_limit: int = 0
    has_duress: bool = False
    disk: Any = None  # app.home's overwrite_in_place(): not a setting, a fact about this disk


def _int(value: Any, default: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return min(max(value, low), high)


def load(vault: Any) -> Prefs:
    g = vault.get_setting
    lang = g(KEYS["language"])
    after = g(KEYS["panic_after"], "firstrun")
    return Prefs(
        language=lang if isinstance(lang, str) else None,
        autolock_s=_int(g(KEYS["autolock_s"]), 300, 1, 24 * 3600),
        panic_confirm=g(KEYS["panic_confirm"]) is True,
        panic_after=after if after in PANIC_AFTER else "firstrun",
        reader_zoom=_int(g(KEYS["reader_zoom"]), 100, *READER_ZOOM),
        text_scale=_int(g(KEYS["text_scale"]), 100, TEXT_SCALES[0], TEXT_SCALES[-1]),
        high_contrast=g(KEYS["high_contrast"]) is True,
        fail_limit=vault.fail_limit(),
        has_duress=vault.has_duress(),
        disk=vault.home.overwrite_in_place(),
    )


def save(vault: Any, name: str, value: Any) -> None:
    vault.set_setting(KEYS[name], value)
