"""`satchel` with no sub-command: the desktop app.

Start-up is kept lean: only QtCore, QtGui and QtWidgets and the small start screens are
imported here; the vault, the library, the reader and search load after the window is
shown. Nothing is written to disk at start, and nothing from a vault can reach a log:
Qt's messages and uncaught exceptions are reported by kind and place only (their text
could hold content), unless SATCHEL_DEBUG=1 asks for the full text on a developer's
machine.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.home import Home

log = logging.getLogger("satchel")


def iter_time_from_env() -> int | None:
    raw = os.environ.get("SATCHEL_ITER_TIME_MS", "")
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if 1 <= value <= 60_000 else None


def _excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    frames = traceback.extract_tb(tb)
    place = ", ".join(f"{os.path.basename(f.filename)}:{f.lineno}" for f in frames[-5:])
    sys.stderr.write(f"Satchel: unexpected {kind.__name__} at {place}\n")


def _qt_message(mode: Any, context: Any, message: str) -> None:
    # Qt's warnings can quote a URL or text from a page; keep only where they came from.
    log.debug("Qt message (%s) from %s", mode, getattr(context, "category", "?"))


def harden_logging() -> None:
    from ui.qt import qInstallMessageHandler

    if os.environ.get("SATCHEL_DEBUG") != "1":
        import threading

        sys.excepthook = _excepthook
        threading.excepthook = lambda a: _excepthook(a.exc_type, a.exc_value or a.exc_type(), a.exc_traceback)
        qInstallMessageHandler(_qt_message)


def create_application(argv: list[str] | None = None, all_fonts: bool = False) -> Any:
    """The QApplication with Satchel's names and fonts (`all_fonts`: every shipped face at
    once, for tools that render straight away; the app loads most of them just after its
    window appears)."""
    from ui.qt import QApplication

    app = QApplication.instance()
    if app is None:  # Qt 6 scales for high-DPI screens by itself (fractional, pass-through)
        # "satchel", not the interpreter's or a script's path: it becomes the X11 window class
        app = QApplication(argv if argv is not None else ["satchel"])
    app.setApplicationName("Satchel")
    app.setApplicationDisplayName("Satchel")
    app.setDesktopFileName("satchel")
    _set_icon(app)
    from ui import fonts

    fonts.install(everything=all_fonts)  # before any widget measures text: every script reads
    return app


def _set_icon(app: Any) -> None:
    """The window icon (a plain bag; the files load only when a size is drawn)."""
    from app.resources import resource_path
    from ui.qt import QIcon

    icon = QIcon()
    for size in (16, 32, 48, 64, 128, 256):
        icon.addFile(str(resource_path("ui", "icons", f"satchel-{size}.png")))
    app.setWindowIcon(icon)


def report_fonts(report: Any = None) -> None:
    """One line on standard error when shipped fonts are missing, naming the scripts left
    without any font (script names only: nothing from a vault)."""
    from ui import fonts

    report = report or fonts.report()
    if report is None or not report.failed:
        return
    stems = {name.rsplit("-", 1)[0] for name in report.failed}
    lacking = fonts.lacking_scripts(s for s in fonts.SCRIPTS if s.stem in stems)
    names = ", ".join(s.name for s in lacking) or "none (the system's own fonts stand in)"
    sys.stderr.write(f"Satchel: {len(report.failed)} of its font files are missing or damaged; "
                     f"scripts without a font: {names}.\n")


def _report_first_paint(app: Any, window: Any) -> None:
    """For the bundle's benchmark and tests (SATCHEL_REPORT_FIRST_PAINT=1): when the window
    is first painted, write the wall-clock time and peak memory to standard error, then
    quit once the remaining fonts have loaded. Numbers only, nothing from a vault."""
    import time

    from ui import fonts
    from ui.qt import QEvent, QObject, QTimer

    class FirstPaint(QObject):
        def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 (Qt's name)
            if event.type() == QEvent.Type.Paint and not getattr(self, "seen", False):
                self.seen = True
                now = time.time()
                try:
                    status = Path("/proc/self/status").read_text()
                except OSError:
                    status = ""
                peak = next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")), "0")
                sys.stderr.write(f"Satchel: first paint at {now:.6f}, peak memory {int(peak) // 1024} MB\n")
                sys.stderr.flush()
                fonts.when_complete(lambda _r: QTimer.singleShot(0, app.quit))
            return False

    watcher = FirstPaint(window)
    window.installEventFilter(watcher)


def run_app(home: Home, argv: list[str] | None = None) -> int:
    """Open the desktop app on `home`; returns the exit code (1, after one sentence on
    standard error, when Qt could not start here)."""
    from crypto.secure import harden_process
    from ui.preflight import check

    harden_process()  # no core dumps, no debugger of the same user (also when run as ui.main)
    problem = check()  # before any Qt import: Qt would abort the process instead
    if problem:
        sys.stderr.write(problem + "\n")
        return 1
    harden_logging()
    app = create_application(argv)
    from ui import fonts, i18n

    fonts.when_complete(report_fonts)
    from ui.window import MainWindow

    i18n.set_language(i18n.system_language())
    window = MainWindow(home, iter_time_ms=iter_time_from_env())
    if os.environ.get("SATCHEL_REPORT_FIRST_PAINT") == "1":
        _report_first_paint(app, window)
    window.show()
    try:
        return int(app.exec())
    finally:
        window.shutdown()


if __name__ == "__main__":
    from app.home import Home as _Home

    sys.exit(run_app(_Home()))
