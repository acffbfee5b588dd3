"""Desktop figures (issue 4), each beside a baseline measured in the same run:
- process start to the unlock window painted vs a bare QMainWindow + QTextBrowser (and
  the same start without the platform check that runs before Qt: ui/preflight.py);
- peak memory of both at that moment;
- resident memory while reading a page with a 1 GB library open (target <= 200 MB).
"""

from __future__ import annotations

import os
import statistics
import struct
import subprocess
import sys
import time
import zlib

from bench.common import ROOT, report, workdir

_ENV = dict(os.environ, QT_QPA_PLATFORM="offscreen",
            PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests")]))

_PAINT_WATCH = """
import sys, time
t0 = float(sys.argv[1])
def hwm():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1]) / 1024
    return 0.0
from PySide6.QtCore import QObject, QEvent, QTimer
class Watch(QObject):
    def eventFilter(self, obj, ev):
        if ev.type() == QEvent.Type.Paint and not getattr(self, 'done', False):
            self.done = True
            print(time.time() - t0, hwm(), flush=True)
            QTimer.singleShot(0, app.quit)
        return False
"""

BARE = _PAINT_WATCH + """
from PySide6.QtWidgets import QApplication, QMainWindow, QTextBrowser
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.setCentralWidget(QTextBrowser())
watch = Watch(); w.installEventFilter(watch); w.show()
app.exec()
"""

OURS = _PAINT_WATCH + """
if sys.argv[3] == "check":  # as run_app does: can Qt's platform plugin load here?
    from ui.preflight import check
    assert check() is None
from ui.main import create_application, harden_logging
harden_logging()
app = create_application(sys.argv[:1])
from app.home import Home
from ui import i18n
from ui.window import MainWindow
i18n.set_language(i18n.system_language())
w = MainWindow(Home(sys.argv[2]))
watch = Watch(); w.installEventFilter(watch); w.show()
app.exec()
w.shutdown()
"""

READING = """
import sys
from ui.main import create_application
app = create_application(sys.argv[:1])
from app.home import Home
from ui.qt import QTimer
from ui.window import MainWindow
w = MainWindow(Home(sys.argv[1]))
w.show()
state = {"step": 0}
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
def finish():
    print(rss(), flush=True)
    app.quit()
def tick():
    if state["step"] == 0 and hasattr(w.screen, "field"):
        w.screen.field.setText("pw"); w.screen.button.click(); state["step"] = 1
    elif state["step"] == 1 and w.view is not None and not w.runner.worker.busy():
        w.view.open("org.bench.big", "pages/p00000.md"); state["step"] = 2
    elif state["step"] == 2 and w.view.reader.data is not None and not w.runner.worker.busy():
        state["step"] = 3
        w.view.reader.step(1)
        QTimer.singleShot(1500, finish)
timer = QTimer(); timer.timeout.connect(tick); timer.start(50)
app.exec()
w.shutdown()
"""


def _run(code: str, *args: str) -> list[float]:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=_ENV,
                          cwd=str(ROOT), timeout=600)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(proc.stderr[-1500:])
    return [float(x) for x in proc.stdout.split()]


def bench_startup(runs: int = 7) -> None:
    from app.vault import Vault

    with workdir() as tmp:
        Vault.create(tmp / "home", "pw", iter_time_ms=5).close()
        ours, bare, unchecked = [], [], []
        for _ in range(runs):  # interleaved, so all see the same machine
            ours.append(_run(OURS, repr(time.time()), str(tmp / "home"), "check"))
            bare.append(_run(BARE, repr(time.time())))
            unchecked.append(_run(OURS, repr(time.time()), str(tmp / "home"), "no-check"))
        t_ours = statistics.median(r[0] for r in ours)
        t_bare = statistics.median(r[0] for r in bare)
        m_ours = statistics.median(r[1] for r in ours)
        m_bare = statistics.median(r[1] for r in bare)
        report("process start to unlock window painted", f"{t_ours * 1000:.0f} ms",
               "bare QMainWindow + QTextBrowser", f"{t_bare * 1000:.0f} ms", t_ours / t_bare, "<= 1.5x",
               t_ours / t_bare <= 1.5)
        report("peak memory at that moment", f"{m_ours:.0f} MB", "bare window", f"{m_bare:.0f} MB",
               m_ours / m_bare, "<= 2x", m_ours / m_bare <= 2)
        t_unchecked = statistics.median(r[0] for r in unchecked)
        report("start to paint with the platform check before Qt", f"{t_ours * 1000:.0f} ms",
               "the same without the check", f"{t_unchecked * 1000:.0f} ms", t_ours / t_unchecked,
               "no measurable cost")


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    row = b"\0" + bytes(range(256)) * (width * 3 // 256) + b"\0" * (width * 3 % 256)
    comp = zlib.compressobj(6)
    data = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def bench_reading_memory(library_bytes: int = 1 << 30) -> None:
    from app.trust import TrustStore
    from app.vault import Vault
    from bench.bench_packs import make_big_source
    from content_packs.build import build_pack
    from content_packs.importer import import_pack
    from crypto import minisign

    with workdir() as tmp:
        key = minisign.generate_key()
        src = make_big_source(tmp / "src", total=library_bytes, text_share=0.02)
        (src / "media" / "m000.png").write_bytes(_png(1600, 1200))  # a real picture on the first page
        pack = tmp / "big.satchel"
        build_pack(src, key, pack)
        v = Vault.create(tmp / "home", "pw", iter_time_ms=5)
        store = TrustStore(v, roots=(), bundled=None)
        store.add_manual(key.public)
        import_pack(v, pack, store=store)
        size = (tmp / "home" / "data").stat().st_size
        v.close()
        pack.unlink()
        rss = statistics.median(_run(READING, str(tmp / "home"))[0] for _ in range(3))
        bare = statistics.median(_run(BARE, repr(time.time()))[1] for _ in range(3))
        report(f"resident memory reading a page, {size / (1 << 30):.2f} GB library open", f"{rss:.0f} MB",
               "bare window", f"{bare:.0f} MB", rss / bare, "<= 200 MB", rss <= 200)


def main() -> None:
    bench_startup()
    bench_reading_memory()


if __name__ == "__main__":
    main()
