"""Translations for the desktop app (Anki's approach, Electrum's placeholder guard).

Guarantees:
- Every user-visible string goes through `tr("English source {name}", name=...)`; the
  source text is the key, placeholders are named, nothing is built by concatenation.
- A translation whose placeholders differ from its source is rejected when the catalog
  is loaded (the English text is shown instead), so a bad catalog can never raise or
  show the wrong value.
- Qt's own dialogs speak the same language (the `qtbase_<lang>` translator shipped with
  PySide6), QLocale's default follows, and the layout runs right to left for ar, fa, ur,
  he and ug.
- The chosen language is kept inside the vault by the caller, never in QSettings.
- In a right-to-left language, a string that starts with a Latin name ("Satchel ...",
  "USB ...") but holds right-to-left text is laid out right to left: Qt decides a
  label's direction from its first strong character, so such a string gets a leading
  RIGHT-TO-LEFT MARK.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# The interface languages, each named in its own language (shown in that script).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "ar": "العربية",
    "fa": "فارسی",
    "ru": "Русский",
    "zh_CN": "中文（简体）",
    "es": "Español",
    "fr": "Français",
}
DEFAULT_LANGUAGE = "en"
RTL_LANGUAGES = frozenset({"ar", "fa", "ur", "he", "ug"})

_catalog: dict[str, str] = {}
_language = DEFAULT_LANGUAGE
_rtl = False
_qt_translator: Any = None


def resource_dir() -> Path:
    """The folder of the catalogs, from source and from a PyInstaller bundle alike."""
    from app.resources import resource_path

    return resource_path("ui", "i18n")


def placeholders(text: str) -> set[str]:
    """The named fields of a format string ({name}); raises ValueError if malformed."""
    import string

    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def validate(catalog: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Keep the entries whose placeholders match their source; return (kept, rejected)."""
    kept: dict[str, str] = {}
    rejected: list[str] = []
    for source, translated in catalog.items():
        if not isinstance(source, str) or not isinstance(translated, str) or not translated:
            rejected.append(str(source))
            continue
        try:
            ok = placeholders(source) == placeholders(translated)
        except ValueError:
            ok = False
        if ok:
            kept[source] = translated
        else:
            rejected.append(source)
    return kept, rejected


def load_catalog(language: str) -> dict[str, str]:
    if language == DEFAULT_LANGUAGE:
        return {}
    import json

    path = resource_dir() / f"{language}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("no usable catalog for an interface language")
        return {}
    if not isinstance(raw, dict):
        return {}
    kept, rejected = validate(raw)
    if rejected:
        log.warning("%d translations rejected: their placeholders differ from the source", len(rejected))
    return kept


RLM = "\u200f"


def rtl_directed(text: str) -> str:
    """`text` as a right-to-left interface shows it: with a leading RLM when it holds
    right-to-left letters but its first strong character is left to right."""
    import unicodedata

    kinds = [unicodedata.bidirectional(ch) for ch in text]
    first = next((k for k in kinds if k in ("L", "R", "AL")), None)
    return RLM + text if first == "L" and ("R" in kinds or "AL" in kinds) else text


def tr(source: str, /, **values: Any) -> str:
    """The translation of `source`, with its {named} placeholders filled in."""
    text = _catalog.get(source, source)
    if values:
        try:
            text = text.format_map(values)
        except (KeyError, IndexError, ValueError):
            text = source.format_map(values)
    return rtl_directed(text) if _rtl else text


def N_(source: str) -> str:
    """Mark a string for translation where it is defined; translate it with tr() where shown."""
    return source


def language() -> str:
    return _language


def is_rtl(lang: str | None = None) -> bool:
    primary = (lang or _language).replace("-", "_").split("_")[0].lower()
    return primary in RTL_LANGUAGES


def supported(lang: object) -> str | None:
    """`lang` if it is an interface language, else None."""
    return lang if isinstance(lang, str) and lang in LANGUAGES else None


def system_language() -> str:
    """The interface language closest to the system's locale (English if none fits)."""
    from ui.qt import QLocale

    for name in QLocale.system().uiLanguages():
        name = name.replace("-", "_")
        if name in LANGUAGES:
            return name
        primary = name.split("_")[0]
        if primary == "zh":
            if name.startswith(("zh_CN", "zh_Hans", "zh_SG")) or name == "zh":
                return "zh_CN"
            continue
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def qt_translations_dir() -> str:
    from ui.qt import QLibraryInfo

    return QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)


def set_language(lang: str) -> None:
    """Switch the catalog, Qt's own translator, the default locale and the layout direction.

    Widgets built afterwards speak the new language; the window rebuilds its screens.
    """
    global _catalog, _language, _qt_translator, _rtl
    from ui.qt import QApplication, QLocale, Qt, QTranslator

    lang = supported(lang) or DEFAULT_LANGUAGE
    _catalog = load_catalog(lang)
    _language = lang
    _rtl = is_rtl(lang)
    app = QApplication.instance()
    if app is not None:
        if _qt_translator is not None:
            app.removeTranslator(_qt_translator)
            _qt_translator = None
        if lang != DEFAULT_LANGUAGE:
            translator = QTranslator(app)
            if translator.load(f"qtbase_{lang}", qt_translations_dir()):
                app.installTranslator(translator)
                _qt_translator = translator
        app.setLayoutDirection(
            Qt.LayoutDirection.RightToLeft if is_rtl(lang) else Qt.LayoutDirection.LeftToRight
        )
    QLocale.setDefault(QLocale(lang))


def qt_translator_loaded() -> bool:
    return _qt_translator is not None and not _qt_translator.isEmpty()
