"""Study details: page x of y, the notes and bookmarks overview, About with every
component's licence, Change passphrase asks for the current one and shows the meter,
the Caps Lock warning (key events everywhere; X11's keyboard state on a real X server),
and a strength estimate that is honest in any script."""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pixels import at, grab, text_contrast
from uihelp import PASSPHRASE, open_page, unlock, wait_idle

from app import about
from ui import capslock, i18n, theme
from ui.about import AboutDialog, components
from ui.contrast import TEXT_MIN, UI_MIN, ratio
from ui.meter import StrengthMeter
from ui.notes_overview import NotesOverview
from ui.passdialog import PassphraseDialog
from ui.qt import QApplication, QDialogButtonBox, QEvent, QKeyEvent, QMessageBox, QPalette, QRect, Qt
from ui.strength import estimate
from ui.unlock import UnlockScreen
from ui.widgets import ToneLabel

R = QPalette.ColorRole

ROOT = Path(__file__).resolve().parents[2]


def visible(kind: type) -> Any:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
    return found[0] if len(found) == 1 else None


# -- reading ------------------------------------------------------------------------------


def test_page_x_of_y(unlocked: Any, qtbot: Any) -> None:
    r = open_page(qtbot, unlocked, "org.test.course", "pages/intro.md")
    assert r.page_number.text() == "Page 1 of 4" and r.page_number.isVisible()
    r = open_page(qtbot, unlocked, "org.test.course", "pages/check.quiz.md")
    assert r.page_number.text() == "Page 4 of 4"
    r = open_page(qtbot, unlocked, "org.test.ar", "pages/second.md")
    assert r.page_number.text() == "Page 2 of 2"
    unlocked.lock()
    assert r.page_number.text() == ""  # nothing of the pack stays on screen


def test_notes_and_bookmarks_overview_jumps_to_the_page(unlocked: Any, qtbot: Any) -> None:
    w = unlocked
    r = open_page(qtbot, w, "org.test.course", "pages/long.md")
    r.bookmark.click()
    r = open_page(qtbot, w, "org.test.course", "pages/broken.md")
    r.note_toggle.click()
    r.note.setPlainText("Remember <b>this</b>\nand that")  # typed just now: not saved yet
    w.menus.actions["overview"].trigger()
    qtbot.waitUntil(lambda: visible(NotesOverview) is not None)
    d = visible(NotesOverview)
    qtbot.waitUntil(lambda: d.list.topLevelItemCount() == 2, timeout=10000)
    rows = [d.list.topLevelItem(i) for i in range(2)]
    assert [x.data(0, Qt.ItemDataRole.AccessibleTextRole) for x in rows] == ["A long page", "Broken page"]
    assert rows[0].text(1) == "✓ Bookmarked" and rows[0].text(2) == ""
    assert rows[1].text(1) == "" and rows[1].text(2) == "Remember <b>this</b> and that"  # plain text
    assert d.status.text() == "Pages with a note or a bookmark: 2"
    d.list.setCurrentItem(rows[0])
    d.open_button.click()
    qtbot.waitUntil(lambda: r.path == "pages/long.md")
    assert visible(NotesOverview) is None
    # A pack with nothing noted says so; locking closes the overview.
    open_page(qtbot, w, "org.test.ar", "pages/first.md")
    w.menus.actions["overview"].trigger()
    d = visible(NotesOverview)
    qtbot.waitUntil(lambda: d.status.text() == "No notes or bookmarks in this pack yet.")
    w.lock()
    assert visible(NotesOverview) is None


def test_overview_only_while_reading(unlocked: Any) -> None:
    unlocked.menus.refresh()
    assert not unlocked.menus.actions["overview"].isEnabled()


def inner(widget: Any, margin: int = 5) -> QRect:
    return widget.rect().adjusted(margin, margin, -margin, -margin)


def test_reader_toggles_and_quiz_feedback_in_high_contrast(unlocked: Any, qtbot: Any) -> None:
    theme.apply(100, True)
    r = open_page(qtbot, unlocked, "org.test.course", "pages/intro.md")
    off = grab(r.bookmark)
    r.bookmark.click()
    wait_idle(qtbot, unlocked)
    on = grab(r.bookmark)
    assert ratio(at(on, 4, 4), at(off, 4, 4)) >= UI_MIN  # Bookmark on and off look different
    assert text_contrast(r.bookmark, inner(r.bookmark)) >= TEXT_MIN
    r = open_page(qtbot, unlocked, "org.test.course", "pages/check.quiz.md")
    q1, q2 = r.quiz.questions
    q1.buttons[0].click()
    q2.buttons[0].click()
    QApplication.processEvents()
    for fb in (q1.feedback, q2.feedback):
        assert isinstance(fb, ToneLabel)
        assert text_contrast(fb) >= TEXT_MIN
    wrong = q1.feedback.palette().color(R.WindowText)
    right = q2.feedback.palette().color(R.WindowText)
    assert wrong != right and q1.feedback.text()[0] == "✗" and q2.feedback.text()[0] == "✓"
    theme.apply(100, False)  # the colours follow the theme
    assert ratio(q1.feedback.palette().color(R.WindowText), QApplication.palette().color(R.Window)) >= TEXT_MIN


# -- About --------------------------------------------------------------------------------


def runtime_requirements() -> list[str]:
    text = (ROOT / "requirements.in").read_text(encoding="utf-8")
    part = text.split("# Runtime", 1)[1].split("# Tests", 1)[0]
    lines = [line.strip() for line in part.splitlines()]
    return [re.split(r"[=<>~ ]", line)[0] for line in lines if line and not line.startswith("#")]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_pyproject_runtime_dependencies_follow_requirements_in() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert sorted(map(canonical, project["dependencies"])) == sorted(map(canonical, runtime_requirements()))


def test_about_lists_version_and_every_licence(unlocked: Any, qtbot: Any) -> None:
    d = unlocked.menus.open_dialog("about")
    assert isinstance(d, AboutDialog)
    assert d.title.text() == f"Satchel {about.version()}" and about.version() != "unknown"
    assert "GPL-3.0-or-later" in d.summary.text()
    items = [d.parts.topLevelItem(i) for i in range(d.parts.topLevelItemCount())]
    marks = "\u2066\u2069"
    rows = {
        x.data(0, Qt.ItemDataRole.AccessibleTextRole): (x.text(1).strip(marks), x.text(2).strip(marks)) for x in items
    }
    assert rows["Satchel"][1] == "GPL-3.0-or-later"
    assert "LGPL" in rows["Qt"][1] and rows["Qt"][0].startswith("6.")
    assert "BSD" in rows["SQLCipher"][1] and re.match(r"\d+\.\d+", rows["SQLCipher"][0])
    assert rows["Noto fonts"][1] == "OFL-1.1"
    pins = dict(re.findall(r"^([A-Za-z0-9._-]+)==([^ \\\n]+)", (ROOT / "requirements.lock").read_text(), re.M))
    pins = {canonical(k): v for k, v in pins.items()}
    listed = {canonical(k): v for k, v in rows.items()}
    for req in runtime_requirements():
        assert canonical(req) in listed, f"About does not list {req}"
        assert listed[canonical(req)][0] == pins[canonical(req)], req  # the version the lock installs
        assert listed[canonical(req)][1] not in ("", about.UNKNOWN_LICENCE), req
    assert not any(canonical(n) in listed for n in ("pytest", "mypy", "ruff", "hypothesis", "pyinstaller"))
    assert len(components()) == d.parts.topLevelItemCount()


def test_environment_markers() -> None:
    env = {"python_version": "3.11", "python_full_version": "3.11.9", "platform_python_implementation": "CPython",
           "implementation_name": "cpython", "sys_platform": "linux", "extra": ""}
    assert about.marker_applies("python_full_version < '3.11'", env) is False
    assert about.marker_applies("platform_python_implementation != 'PyPy'", env) is True
    assert about.marker_applies('extra == "ssh"', env) is False
    assert about.marker_applies("sys_platform == 'win32' or python_version >= '3.10'", env) is True


# -- passphrases --------------------------------------------------------------------------


def open_change_dialog(w: Any) -> PassphraseDialog:
    settings = w.open_settings()
    settings.passphrase.click()
    d = visible(PassphraseDialog)
    assert d is not None and d.current is not None
    return d


def test_change_passphrase_refuses_a_wrong_current_one(make_window: Any, home_path: Path, qtbot: Any) -> None:
    w = make_window(home_path)
    unlock(qtbot, w)
    d = open_change_dialog(w)
    ok = d.buttons.button(QDialogButtonBox.StandardButton.Ok)
    d.field1.setText("four ordinary words here")
    assert d.meter.isVisible() and d.meter.value() >= 1 and "Strength:" in d.strength.text()
    d.field2.setText("four ordinary words here")
    assert not ok.isEnabled()
    d.current.setText("not my passphrase at all")
    ok.click()
    wait_idle(qtbot, w)
    box = visible(QMessageBox)
    qtbot.waitUntil(lambda: visible(QMessageBox) is not None)
    box = visible(QMessageBox)
    assert box.text() == "The current passphrase is not right; nothing was changed."
    w.lock()
    wait_idle(qtbot, w)
    unlock(qtbot, w, PASSPHRASE)  # unchanged


def test_strength_meter_shows_very_weak_and_the_dialog_uses_it(unlocked: Any) -> None:
    d = open_change_dialog(unlocked)
    d.field1.setText("abc")
    assert d.meter.value() == 1 and "Very weak" in d.strength.text()  # one step of five, not empty
    d.field1.setText("")
    assert d.meter.value() == 0
    meter = StrengthMeter()
    meter.show_strength(estimate("我们你好中国学习"))
    assert meter.value() <= 2


def test_caps_lock_warning_from_key_events(make_window: Any, home_path: Path, qtbot: Any) -> None:
    w = make_window(home_path)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    screen = w.screen
    assert isinstance(screen, UnlockScreen)
    screen.field.setFocus()
    qtbot.waitUntil(screen.field.hasFocus)
    assert not screen.caps.isVisible()
    qtbot.keyClicks(screen.field, "C")  # an upper-case letter without Shift: Caps Lock is on
    assert screen.caps.isVisible() and screen.caps.text() == "⚠ Caps Lock is on."
    qtbot.keyClicks(screen.field, "c")
    assert not screen.caps.isVisible()
    qtbot.keyClick(screen.field, Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier)  # Shift + lower case: on
    assert screen.caps.isVisible()
    qtbot.keyClick(screen.field, Qt.Key.Key_CapsLock)  # pressing Caps Lock turns it off
    assert not screen.caps.isVisible()
    for ch in "7ب中":  # no case: nothing learnt
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(screen.field, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))
    assert not screen.caps.isVisible() and screen.field.text().endswith("7ب中")
    screen.field.clear()
    w.show_first_run(1)
    s = w.screen
    s.pass1.setFocus()
    qtbot.keyClicks(s.pass1, "Q")
    assert s.pass_caps.isVisible()


@pytest.fixture
def xvfb() -> Any:
    """A real X server of our own (Xvfb, with the keyboard extension): Xvfb picks a free
    display number and tells us through -displayfd, so other X servers are never touched."""
    exe = shutil.which("Xvfb")
    assert exe, "Xvfb is in build/system-packages (test)"
    read_end, write_end = os.pipe()
    proc = subprocess.Popen(  # noqa: S603 (the system's Xvfb, fixed arguments)
        [exe, "-displayfd", str(write_end), "-noreset", "-nolisten", "tcp", "-screen", "0", "640x480x24"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(write_end,),
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end) as pipe:
            number = pipe.readline().strip()
        assert number.isdigit(), "Xvfb did not start"
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(10)


def lock_caps(display: str, on: bool) -> None:
    lib = capslock._libx11()
    lib.XkbLockModifiers.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint]
    lib.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
    dpy = lib.XOpenDisplay(display.encode())
    assert dpy
    try:
        lib.XkbLockModifiers(dpy, capslock.XKB_USE_CORE_KBD, capslock.LOCK_MASK, capslock.LOCK_MASK if on else 0)
        lib.XSync(dpy, 0)
    finally:
        lib.XCloseDisplay(dpy)


def test_caps_lock_state_from_a_real_x_server(xvfb: str) -> None:
    assert capslock.x11_caps_lock(xvfb) is False
    lock_caps(xvfb, True)
    assert capslock.x11_caps_lock(xvfb) is True
    lock_caps(xvfb, False)
    assert capslock.x11_caps_lock(xvfb) is False
    assert capslock.x11_caps_lock(":1234") is None  # no server there: no answer, no error
    assert os.environ.get("QT_QPA_PLATFORM") == "offscreen" and capslock.query() is None  # offscreen: key events only


# -- strength in any script ---------------------------------------------------------------

COMMON_FOUR = {
    "en": "i love you baby",
    "es": "te quiero mucho amor",
    "fr": "le chat noir maison",
    "ru": "любовь дом семья друг",
    "ar": "الحب قلب بيت سلام",
    "fa": "عشق دل خانه دوست",
    "zh_CN": "我们你好中国学习",
}
ORDINARY_FOUR = {
    "en": "lantern copper whisper orchard",
    "es": "farol cobre susurro huerto",
    "fr": "lanterne cuivre murmure verger",
    "ru": "фонарь медь шёпот сад",
    "ar": "فانوس نحاس همسة بستان",
    "fa": "فانوس مس نجوا باغچه",
    "zh_CN": "灯笼铜器耳语果园",
}


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_four_common_words_are_weak_in_every_language(lang: str) -> None:
    s = estimate(COMMON_FOUR[lang])
    assert s.score <= 1 and not s.acceptable, (lang, s)
    o = estimate(ORDINARY_FOUR[lang])
    assert o.acceptable and o.score >= 2 and o.bits > s.bits + 15, (lang, o)
    assert estimate(COMMON_FOUR[lang] + " " + ORDINARY_FOUR[lang]).score >= 3


def test_strength_estimate_cases() -> None:
    assert estimate("").score == 0 and not estimate("").acceptable
    assert estimate("password").bits == 0 and estimate("Пароль").bits == 0 and estimate("密码").bits == 0
    assert estimate("12345678").bits == 0 and estimate("1984").bits <= 7
    assert estimate("love love love love").bits < estimate("love hope rain door").bits  # repeats count little
    assert estimate("xkcdqzptrwmvbn").acceptable  # random letters are judged by their letters
    assert estimate("Kd8#mQ2!vL9@xR4%").score >= 3
    assert not estimate("aaaaaaaaaaaaaaaa").acceptable
    assert estimate("ภาษาไทยง่ายมากนะครับผม").acceptable  # Thai, written without spaces
    assert estimate("사랑해요 고마워요").bits > 20  # Hangul
