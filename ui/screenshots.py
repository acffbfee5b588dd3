"""`python -m ui.screenshots --out DIR`: render each main screen, in English and Arabic,
and the library and starter course in Chinese.

Runs under Xvfb (it re-runs itself through `xvfb-run` when there is no display, and
falls back to Qt's offscreen platform if Xvfb or Qt's X11 libraries are missing). The
system's fonts are hidden (an empty fontconfig configuration), so the pictures show what
Satchel's own fonts draw on a bare machine. It uses a throw-away vault in a temporary
folder holding the starter library, wipes it afterwards, and writes only the PNG files
into DIR: `<lang>-<screen>.png`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

LANGS = ("en", "ar")
# Languages shown only through the first run's library and the starter course.
COURSE_ONLY_LANGS = ("zh_CN",)
PASSPHRASE = "screenshots only, not a real passphrase"
SIZE = (1100, 760)


EMPTY_FONTCONFIG = (
    '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig></fontconfig>\n'
)


def _hide_system_fonts() -> None:
    """Only Satchel's own fonts: a fontconfig configuration that names no font folder."""
    if os.environ.get("SATCHEL_SCREENSHOTS_CHILD"):
        return  # set up by the parent before it re-ran itself under Xvfb
    from app.resources import ROOT

    conf = ROOT / "build" / "out" / "screenshots-fonts.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(EMPTY_FONTCONFIG)
    os.environ["FONTCONFIG_FILE"] = str(conf)


def _ensure_display(argv: list[str]) -> None:
    if os.environ.get("QT_QPA_PLATFORM"):
        return
    from ui.preflight import examine

    xcb = examine("xcb", {**os.environ, "DISPLAY": os.environ.get("DISPLAY") or ":0"})
    if xcb.missing or xcb.error:
        print(f"ui.screenshots: Qt's xcb plugin cannot load ({', '.join(xcb.missing) or xcb.error}); "
              "rendering offscreen instead.", file=sys.stderr)
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return
    if shutil.which("xvfb-run") and not os.environ.get("SATCHEL_SCREENSHOTS_CHILD"):
        os.environ["SATCHEL_SCREENSHOTS_CHILD"] = "1"
        os.execvp(
            "xvfb-run",
            ["xvfb-run", "-a", "-s", "-screen 0 1280x900x24", sys.executable, "-m", "ui.screenshots", *argv],
        )
    os.environ["QT_QPA_PLATFORM"] = "offscreen"


def wait_until(cond: Callable[[], bool], timeout: float = 30.0) -> None:
    """Run the event loop until `cond()` holds (a tool's wait, not app code)."""
    from ui.qt import QEventLoop, QTimer

    end = time.monotonic() + timeout
    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(lambda: loop.quit() if cond() or time.monotonic() > end else None)
    timer.start(20)
    if not cond():
        loop.exec()
    timer.stop()
    if not cond():
        raise TimeoutError("a screen did not appear in time")


def settle(ms: int = 150) -> None:
    deadline = time.monotonic() + ms / 1000
    wait_until(lambda: time.monotonic() >= deadline, timeout=ms / 1000 + 5)


def prepare_home(folder: Path, lang: str) -> Any:
    import threading

    from app.home import Home
    from app.vault import Vault
    from ui.flows import import_starter
    from ui.ops import OpContext, Token

    home = Home(folder)
    with Vault.create(home, PASSPHRASE, iter_time_ms=5) as vault:
        vault.set_setting("ui.language", lang)
        import_starter(OpContext(vault, threading.Event(), Token(), lambda d, t: None), lang)
    return home


MIXED_ID = "org.example.screenshots.mixed"
MIXED_PAGE = """---
author: فريق التدريب
duration: 20 دقيقة
level: مبتدئ
---
# تشفير القرص قبل السفر

يحمي تشفير القرص ملفاتك إذا صودر حاسوبك أو سُرق.

Open VeraCrypt and choose Create Volume, then follow the wizard step by step.

- افتح البرنامج من قائمة التطبيقات.
- Choose "Encrypt the system partition" and press Next.
- احفظ قرص الإنقاذ في مكان آمن.

| English | العربية |
|---|---|
| Volume | المجلد |
| Passphrase | عبارة المرور |

## قبل أن تغادر

- [x] نسختُ ملفاتي احتياطيًا.
- [ ] Test the passphrase twice.
- [ ] أغلقتُ الحاسوب تمامًا قبل نقطة التفتيش.
"""


def add_mixed_pack(home: Any) -> None:
    """A pack whose Arabic page holds English paragraphs, list items and table cells,
    built and signed in memory with a throw-away key trusted by hand."""
    import io
    import threading

    from app.trust import TrustStore
    from app.vault import Vault
    from content_packs.build import pack_bytes
    from content_packs.importer import import_pack
    from content_packs.manifest import ChapterEntry
    from content_packs.source import PackSource
    from crypto import minisign

    key = minisign.generate_key()
    src = PackSource(Path("."), MIXED_ID, 1, "السفر بأمان", "ar", "guide",
                     [ChapterEntry("قبل السفر", ("pages/01-disk.md",))],
                     {"pages/01-disk.md": MIXED_PAGE.encode("utf-8")})
    src.licence = "CC-BY-SA-4.0"
    src.translation = "reviewed"
    src.translated_from = "en"
    with Vault.unlock(home, PASSPHRASE) as vault:
        store = TrustStore(vault)
        store.add_manual(key.public, "Screenshots")
        import_pack(vault, io.BytesIO(pack_bytes(src, key)), store=store, cancel=threading.Event())


def shoot(widget: Any, out: Path, name: str) -> Path:
    settle()
    path = out / name
    widget.grab().save(str(path), "PNG")
    return path


def run(out: Path) -> list[Path]:
    from ui.main import create_application

    app = create_application(["satchel"], all_fonts=True)
    from app.wipe import panic_wipe
    from ui import i18n, theme
    from ui.firstrun import STEP_PASSPHRASE
    from ui.window import MainWindow

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for lang in LANGS:
        tmp = Path(tempfile.mkdtemp(prefix="satchel-shots-"))
        try:
            i18n.set_language(lang)
            theme.apply(100, False)
            # First run, on an empty home.
            w = MainWindow(_home(tmp / "empty"), iter_time_ms=5)
            w.resize(*SIZE)
            w.show()
            written.append(shoot(w, out, f"{lang}-firstrun-language.png"))
            w.show_first_run(STEP_PASSPHRASE)
            screen: Any = w.screen
            screen.pass1.setText("river lantern copper whisper")
            screen.pass2.setText("river lantern copper whisper")
            written.append(shoot(w, out, f"{lang}-firstrun-passphrase.png"))
            w.show_first_run(2)
            written.append(shoot(w, out, f"{lang}-firstrun-duress.png"))
            w.close()
            w.shutdown()

            home = prepare_home(tmp / "home", lang)
            add_mixed_pack(home)
            w = MainWindow(home, iter_time_ms=5)
            w.resize(*SIZE)
            w.show()
            written.append(shoot(w, out, f"{lang}-unlock.png"))
            screen = w.screen
            screen.field.setText(PASSPHRASE)
            screen.button.click()
            wait_until(lambda: w.view is not None and w.view.library.tree.topLevelItemCount() > 0)
            written.append(shoot(w, out, f"{lang}-library.png"))
            if lang == "en":  # readable at 200 % text and in high contrast
                theme.apply(200, True)
                written.append(shoot(w, out, f"{lang}-library-200-contrast.png"))
                theme.apply(100, False)
            # The keyboard: the shortcuts sheet, and the focus ring in high contrast.
            sheet = w.menus.open_dialog("help")
            wait_until(sheet.isVisible)
            sheet.activateWindow()
            sheet.table.setFocus()
            sheet.table.setCurrentItem(sheet.table.topLevelItem(0).child(0))
            written.append(shoot(sheet, out, f"{lang}-shortcuts.png"))
            sheet.close()
            theme.apply(100, True)
            w.activateWindow()
            w.view.library.tree.setFocus()
            tree = w.view.library.tree
            tree.setCurrentItem(tree.topLevelItem(0).child(0).child(0))
            written.append(shoot(w, out, f"{lang}-library-contrast.png"))
            theme.apply(100, False)
            guide = (
                "org.satchel.starter.satchel-guide.ar"
                if lang == "ar"
                else "org.satchel.starter.satchel-guide.en"
            )
            from ui.screenshots_course import course_scenes
            from ui.screenshots_library import library_scenes

            written += library_scenes(w, out, lang, shoot, wait_until)
            written += course_scenes(w, out, lang, shoot, wait_until)
            w.view.open(guide, "pages/03-panic-wipe.md")
            reader = w.view.reader
            wait_until(lambda: reader.data is not None and reader.path == "pages/03-panic-wipe.md")
            written.append(shoot(w, out, f"{lang}-reader.png"))
            # Each paragraph, list item and table cell in its own direction.
            w.view.open(MIXED_ID, "pages/01-disk.md")
            wait_until(lambda: reader.data is not None and reader.pack_id == MIXED_ID)
            written.append(shoot(w, out, f"{lang}-reader-mixed-direction.png"))
            theme.apply(100, True)  # a bookmarked page, the focus on Next
            reader.bookmark.setChecked(True)
            w.activateWindow()
            reader.next_button.setFocus()
            written.append(shoot(w, out, f"{lang}-reader-contrast.png"))
            reader.bookmark.setChecked(False)
            theme.apply(100, False)
            w.view.open("org.satchel.starter.laptop-security.en", "pages/04-check-storage.quiz.md")
            wait_until(lambda: reader.quiz is not None)
            reader.quiz.questions[0].buttons[0].click()
            written.append(shoot(w, out, f"{lang}-quiz.png"))
            theme.apply(100, True)
            written.append(shoot(w, out, f"{lang}-quiz-contrast.png"))
            theme.apply(100, False)
            w.view.search_box.setText("المسح" if lang == "ar" else "passphrase")
            search = w.view.search
            wait_until(lambda: search.results.count() > 0 or search.status.text() != "")
            written.append(shoot(w, out, f"{lang}-search.png"))
            w.view.search_box.clear()
            dialog = w.open_settings()
            wait_until(lambda: dialog is not None and dialog.isVisible())
            written.append(shoot(dialog, out, f"{lang}-settings.png"))
            theme.apply(100, True)
            dialog.contrast.setFocus()
            written.append(shoot(dialog, out, f"{lang}-settings-contrast.png"))
            theme.apply(100, False)
            dialog.close()
            about = w.menus.open_dialog("about")
            wait_until(about.isVisible)
            written.append(shoot(about, out, f"{lang}-about.png"))
            about.close()
            w.lock()
            w.close()
            w.shutdown()
            (tmp / "damaged").mkdir()
            (tmp / "damaged" / "data").write_bytes(b"\0" * 64)
            w = MainWindow(_home(tmp / "damaged"), iter_time_ms=5)
            w.resize(*SIZE)
            w.show()
            written.append(shoot(w, out, f"{lang}-damaged.png"))
            w.close()
            w.shutdown()
        finally:
            for sub in ("home", "damaged", "empty"):
                panic_wipe(tmp / sub)
            shutil.rmtree(tmp, ignore_errors=True)
    for lang in COURSE_ONLY_LANGS:
        written += _course_only(out, lang)
    i18n.set_language("en")
    app.processEvents()
    return written


def _course_only(out: Path, lang: str) -> list[Path]:
    """A first run's library and the starter course in `lang`, without the other scenes."""
    from app.wipe import panic_wipe
    from ui import i18n, theme
    from ui.screenshots_course import course_scenes
    from ui.window import MainWindow

    _add_system_cjk_font()
    tmp = Path(tempfile.mkdtemp(prefix="satchel-shots-"))
    written: list[Path] = []
    try:
        i18n.set_language(lang)
        theme.apply(100, False)
        home = prepare_home(tmp / "home", lang)
        w = MainWindow(home, iter_time_ms=5)
        w.resize(*SIZE)
        w.show()
        screen: Any = w.screen
        screen.field.setText(PASSPHRASE)
        screen.button.click()
        wait_until(lambda: w.view is not None and w.view.library.tree.topLevelItemCount() > 0)
        written.append(shoot(w, out, f"{lang}-library.png"))
        written += course_scenes(w, out, lang, shoot, wait_until)
        w.lock()
        w.close()
        w.shutdown()
    finally:
        panic_wipe(tmp / "home")
        shutil.rmtree(tmp, ignore_errors=True)
    return written


# Satchel ships no CJK face (20 to 60 MB each): Han comes from the system's CJK font, which
# the app asks a Chinese reader to install (fonts-noto-cjk). The Chinese pictures show a
# machine that has it; the English and Arabic ones a bare machine.
SYSTEM_CJK = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
)


def _add_system_cjk_font() -> None:
    from ui import fonts
    from ui.qt import QApplication, QFont, QFontDatabase

    added: list[str] = []
    for path in SYSTEM_CJK:
        if path.is_file():
            font_id = QFontDatabase.addApplicationFontFromData(path.read_bytes())
            added += [f for f in QFontDatabase.applicationFontFamilies(font_id) if f.endswith(" SC")]
    if not added:
        print("ui.screenshots: no system CJK font (install fonts-noto-cjk); Chinese shows as boxes.",
              file=sys.stderr)
        return
    app = QApplication.instance()
    font = QFont(app.font())
    font.setFamilies(list(dict.fromkeys([*font.families(), *added])))
    app.setFont(font)
    fonts._renders.clear()


def _home(path: Path) -> Any:
    from app.home import Home

    return Home(path)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description="Render Satchel's main screens into PNG files.")
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    args = parser.parse_args(argv)
    _hide_system_fonts()
    _ensure_display(argv)
    for path in run(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
