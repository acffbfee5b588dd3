"""The fonts Satchel ships, loaded from memory at start-up, so every script reads on a bare machine.

Guarantees:
- Fonts come only from Satchel's own folder (`app.resources.resource_path("fonts")`):
  Noto faces (SIL Open Font License), regular and bold, copied at build time from
  Debian's fonts-noto-core and checked against `build/fonts.sha256`. They are read into
  memory and handed to Qt with `QFontDatabase.addApplicationFontFromData`: nothing is
  installed, cached or written, and no font file is kept open.
- Start-up stays cheap: the faces of the first screens (Latin, Cyrillic, Arabic) load
  at once, the others a moment after the window appears (`load_rest`).
- The application font becomes a list of families: Noto Sans (Latin, Greek, Cyrillic),
  then one face per script, then the system's own default. Qt takes each character from
  the first family that has it, so a script is never shaped with a system font that lacks
  some of its letters (DejaVu Sans and Urdu), and a bare machine shows every script of
  UAX #31's recommended list except Han, Hangul, Kana and Bopomofo.
- Those four come from the system's CJK font when one is installed; `missing_scripts`
  names the scripts of a text that no font can show, and `notice` says so in one
  translated sentence, so the reader shows words instead of boxes.
- A damaged install (a font file missing or unreadable) still starts: `install` returns
  the files it could not load, and `lacking_scripts` the scripts left without any font.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ui.i18n import N_, tr

log = logging.getLogger(__name__)

WEIGHTS = ("Regular", "Bold")
CJK_PACKAGE = "fonts-noto-cjk"


@dataclass(frozen=True)
class Script:
    name: str                              # English name, translated where shown
    stem: str | None                       # the shipped face (file stem); None: the system's CJK font
    ranges: tuple[tuple[int, int], ...]    # its letters (inclusive code point ranges)
    sample: str                            # a few of its letters: the script's name in it


_LATIN_SAMPLE = "Latin ÀéŞƏđ"
SCRIPTS: tuple[Script, ...] = (
    Script(N_("Latin"), "NotoSans", ((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x1E00, 0x1EFF)), _LATIN_SAMPLE),
    Script(N_("Greek"), "NotoSans", ((0x370, 0x3FF), (0x1F00, 0x1FFF)), "Ελληνικά"),
    Script(N_("Cyrillic"), "NotoSans", ((0x400, 0x52F), (0x1C80, 0x1C8F), (0x2DE0, 0x2DFF), (0xA640, 0xA69F)),
           "Кириллица ҷӣӯ"),
    Script(N_("Arabic"), "NotoNaskhArabic",
           ((0x600, 0x6FF), (0x750, 0x77F), (0x8A0, 0x8FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
           "العربية اردو ٹڈڑںۓ"),
    Script(N_("Armenian"), "NotoSansArmenian", ((0x530, 0x58F), (0xFB13, 0xFB17)), "Հայերեն"),
    Script(N_("Bengali"), "NotoSansBengali", ((0x980, 0x9FF),), "বাংলা"),
    Script(N_("Devanagari"), "NotoSansDevanagari", ((0x900, 0x97F), (0xA8E0, 0xA8FF)), "हिन्दी"),
    Script(N_("Ethiopic"), "NotoSansEthiopic", ((0x1200, 0x139F), (0x2D80, 0x2DDF), (0xAB00, 0xAB2F)), "አማርኛ ትግርኛ"),
    Script(N_("Georgian"), "NotoSansGeorgian", ((0x10A0, 0x10FF), (0x1C90, 0x1CBF), (0x2D00, 0x2D2F)), "ქართული"),
    Script(N_("Gujarati"), "NotoSansGujarati", ((0xA80, 0xAFF),), "ગુજરાતી"),
    Script(N_("Gurmukhi"), "NotoSansGurmukhi", ((0xA00, 0xA7F),), "ਪੰਜਾਬੀ"),
    Script(N_("Hebrew"), "NotoSansHebrew", ((0x591, 0x5FF), (0xFB1D, 0xFB4F)), "עברית"),
    Script(N_("Kannada"), "NotoSansKannada", ((0xC80, 0xCFF),), "ಕನ್ನಡ"),
    Script(N_("Khmer"), "NotoSansKhmer", ((0x1780, 0x17FF), (0x19E0, 0x19FF)), "ភាសាខ្មែរ"),
    Script(N_("Lao"), "NotoSansLao", ((0xE80, 0xEFF),), "ພາສາລາວ"),
    Script(N_("Malayalam"), "NotoSansMalayalam", ((0xD00, 0xD7F),), "മലയാളം"),
    Script(N_("Myanmar"), "NotoSansMyanmar", ((0x1000, 0x109F), (0xA9E0, 0xA9FF), (0xAA60, 0xAA7F)), "မြန်မာဘာသာ"),
    Script(N_("Oriya"), "NotoSansOriya", ((0xB00, 0xB7F),), "ଓଡ଼ିଆ"),
    Script(N_("Sinhala"), "NotoSansSinhala", ((0xD80, 0xDFF),), "සිංහල"),
    Script(N_("Tamil"), "NotoSansTamil", ((0xB80, 0xBFF),), "தமிழ்"),
    Script(N_("Telugu"), "NotoSansTelugu", ((0xC00, 0xC7F),), "తెలుగు"),
    Script(N_("Thaana"), "NotoSansThaana", ((0x780, 0x7BF),), "ދިވެހި"),
    Script(N_("Thai"), "NotoSansThai", ((0xE00, 0xE7F),), "ภาษาไทย"),
    Script(N_("Tibetan"), "NotoSerifTibetan", ((0xF00, 0xFFF),), "བོད་སྐད"),
    # From the system's CJK font when there is one (CJK faces are 20 to 60 MB).
    Script(N_("Chinese"), None,
           ((0x2E80, 0x2FDF), (0x3005, 0x3007), (0x3021, 0x3029), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
            (0xF900, 0xFAFF), (0x20000, 0x3FFFF)), "中文漢字"),
    Script(N_("Japanese"), None, ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F)), "ひらがなカタカナ"),
    Script(N_("Korean"), None, ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF)), "한국어"),
    Script(N_("Bopomofo"), None, ((0x3100, 0x312F), (0x31A0, 0x31BF)), "ㄅㄆㄇㄈ"),
)
BY_NAME = {s.name: s for s in SCRIPTS}
# The shipped faces, Noto Sans first: it is the application's primary family.
STEMS: tuple[str, ...] = tuple(dict.fromkeys(s.stem for s in SCRIPTS if s.stem))

_starts: list[int] = []
_spans: list[tuple[int, int, Script]] = []
for _script in SCRIPTS:
    for _lo, _hi in _script.ranges:
        _spans.append((_lo, _hi, _script))
_spans.sort(key=lambda s: s[0])
_starts = [s[0] for s in _spans]


def font_files() -> list[str]:
    """The file names Satchel ships, in loading order."""
    return [f"{stem}-{weight}.ttf" for stem in STEMS for weight in WEIGHTS]


def font_dir() -> Path:
    from app.resources import resource_path

    return resource_path("fonts")


@dataclass
class FontReport:
    families: list[str] = field(default_factory=list)   # the application font's shipped families
    loaded: list[str] = field(default_factory=list)     # files Qt accepted
    failed: list[str] = field(default_factory=list)     # shipped files missing or unreadable
    loaded_bytes: int = 0
    complete: bool = False                              # every file has been tried


def family_name(stem: str) -> str:
    """'NotoSansArmenian' -> 'Noto Sans Armenian' (the family each shipped face declares)."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", stem)


# The faces the first screens need: the interface in Latin, Cyrillic and Arabic script,
# and the language list (each language named in its own script). The others load just
# after the window appears, before anyone can have typed a passphrase and opened a page.
EAGER_STEMS = ("NotoSans", "NotoNaskhArabic")
REST_DELAY_MS = 250

_report: FontReport | None = None
_folder: Path | None = None
_renders: dict[str, bool] = {}
_when_complete: list[Callable[[FontReport], None]] = []


def install(folder: Path | None = None, everything: bool = False) -> FontReport:
    """Make the shipped fonts the application font (needs a QGuiApplication): the first
    screens' faces now, the others `REST_DELAY_MS` later from the event loop, or now as
    well when `everything` is asked for (tools and tests that render at once). Safe to
    call again: no file is loaded twice."""
    global _report, _folder
    from ui.qt import QApplication, QFont, QTimer

    if _report is None:
        _folder = folder or font_dir()
        _report = FontReport(families=[family_name(stem) for stem in STEMS])
        _load([n for n in font_files() if n.rsplit("-", 1)[0] in EAGER_STEMS])
        app = QApplication.instance()
        if app is not None:
            font = QFont(app.font())
            system = [f for f in font.families() if f not in _report.families]
            font.setFamilies(_report.families + system)
            app.setFont(font)
            if not everything:
                QTimer.singleShot(REST_DELAY_MS, load_rest)
    if everything:
        load_rest()
    return _report


def _load(names: list[str]) -> None:
    from ui.qt import QFontDatabase

    report, folder = _report, _folder
    assert report is not None and folder is not None
    for name in names:
        if name in report.loaded or name in report.failed:
            continue
        try:
            data = (folder / name).read_bytes()
        except OSError:
            report.failed.append(name)
            continue
        font_id = QFontDatabase.addApplicationFontFromData(data)
        report.loaded_bytes += len(data)
        del data  # Qt keeps its own copy; do not hold two
        if font_id < 0 or family_name(name.rsplit("-", 1)[0]) not in QFontDatabase.applicationFontFamilies(font_id):
            report.failed.append(name)
        else:
            report.loaded.append(name)
    _renders.clear()


def load_rest() -> None:
    """Load every shipped face not loaded yet, then tell those waiting for it."""
    if _report is None or _report.complete:
        return
    _load(font_files())
    _report.complete = True
    if _report.failed:
        log.info("%d of Satchel's font files are missing or unreadable", len(_report.failed))
    waiting = list(_when_complete)
    _when_complete.clear()
    for callback in waiting:
        callback(_report)


def when_complete(callback: Callable[[FontReport], None]) -> None:
    """Call `callback(report)` once every shipped face has been tried (now if it has)."""
    if _report is not None and _report.complete:
        callback(_report)
    else:
        _when_complete.append(callback)


def report() -> FontReport | None:
    return _report


def scripts_in(text: str) -> list[Script]:
    """The scripts of SCRIPTS that `text` uses (its letters; digits and punctuation are shared)."""
    found: dict[str, Script] = {}
    for ch in set(text):
        cp = ord(ch)
        i = bisect.bisect_right(_starts, cp) - 1
        if i >= 0:
            lo, hi, script = _spans[i]
            if lo <= cp <= hi:
                found.setdefault(script.name, script)
    return [s for s in SCRIPTS if s.name in found]


def renders(script: Script) -> bool:
    """Whether any font (shipped or the system's) has the letters of `script`."""
    cached = _renders.get(script.name)
    if cached is None:
        from ui.qt import QApplication, QFontMetrics

        # The application font's fallback chain: shipped families, then the system's.
        metrics = QFontMetrics(QApplication.font())
        cached = all(metrics.inFontUcs4(ord(ch)) for ch in script.sample if not ch.isspace())
        _renders[script.name] = cached
    return cached


def missing_scripts(text: str) -> list[Script]:
    """The scripts `text` uses that no installed font can show (Japanese text names
    Japanese only, though its kanji are Han)."""
    missing = [s for s in scripts_in(text) if not renders(s)]
    if any(s.name == "Japanese" for s in missing):
        missing = [s for s in missing if s.name != "Chinese"]
    return missing


def lacking_scripts(scripts: Iterable[Script] = SCRIPTS) -> list[Script]:
    """Of `scripts`, those no font can show (a damaged install, or no CJK font)."""
    return [s for s in scripts if not renders(s)]


_NEEDS_FONT = N_("{scripts} text needs a font that is not installed: install {package}.")
_DAMAGED = N_("{scripts} text cannot be shown: Satchel's font files are damaged. Reinstall Satchel.")


def notice(scripts: Iterable[Script], english: bool = False) -> str:
    """One sentence per cause, saying which scripts cannot be shown and what helps. In
    English when asked: for an interface language whose own script cannot be shown."""

    def say(text: str, **values: str) -> str:
        return text.format_map(values) if english else tr(text, **values)

    scripts = list(scripts)
    system = [say(s.name) for s in scripts if s.stem is None]
    shipped = [say(s.name) for s in scripts if s.stem is not None]
    parts = []
    if system:
        parts.append(say(_NEEDS_FONT, scripts=", ".join(system), package=CJK_PACKAGE))
    if shipped:
        parts.append(say(_DAMAGED, scripts=", ".join(shipped)))
    return " ".join(parts)


# The scripts each interface language is written in.
INTERFACE_SCRIPTS: dict[str, tuple[str, ...]] = {
    "en": ("Latin",), "es": ("Latin",), "fr": ("Latin",), "ru": ("Cyrillic",),
    "ar": ("Arabic",), "fa": ("Arabic",), "zh_CN": ("Chinese",),
}


# Each interface language's name in English, said where its own script cannot be shown.
ENGLISH_NAMES = {"en": "English", "es": "Spanish", "fr": "French", "ru": "Russian", "ar": "Arabic",
                 "fa": "Persian", "zh_CN": "Chinese (Simplified)"}


def language_label(code: str, name: str) -> str:
    """`name` (the language in its own script), with its English name and what it needs
    added when no font can show that script: a language list never shows only boxes."""
    lacking = lacking_scripts(BY_NAME[n] for n in INTERFACE_SCRIPTS.get(code, ()))
    if not lacking:
        return name
    needs = CJK_PACKAGE if any(s.stem is None for s in lacking) else "a reinstall of Satchel"
    return f"{name} ({ENGLISH_NAMES.get(code, code)}: needs {needs})"


def interface_notice(lang: str) -> str:
    """In English, when the interface language's own script has no font; else ''."""
    lacking = lacking_scripts(BY_NAME[n] for n in INTERFACE_SCRIPTS.get(lang, ()))
    return notice(lacking, english=True) if lacking else ""


def missing_glyphs(document: Any) -> tuple[int, list[str]]:
    """Glyphs a laid-out QTextDocument draws as boxes (.notdef, glyph index 0, or no font
    at all), and the families it draws with: what a reader would see, counted."""
    document.documentLayout().documentSize()  # lays the whole document out
    missing, used = 0, set()
    block = document.begin()
    while block.isValid():
        layout = block.layout()
        for i in range(layout.lineCount()):
            for run in layout.lineAt(i).glyphRuns():
                raw = run.rawFont()
                if not raw.isValid():  # Qt's box engine: no font at all for these glyphs
                    missing += len(run.glyphIndexes())
                    continue
                used.add(raw.familyName())
                missing += sum(1 for g in run.glyphIndexes() if g == 0)
        block = block.next()
    return missing, sorted(used)
