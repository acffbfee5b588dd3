"""The benchmark's baseline (bench/bench_bundle.py): a bare PySide6 window, QMainWindow +
QTextBrowser, frozen the same way as Satchel (build/bare_window.spec). It reports its
first paint the way Satchel does with SATCHEL_REPORT_FIRST_PAINT=1, then quits."""

import sys
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTextBrowser


class FirstPaint(QObject):
    def eventFilter(self, obj, event):  # noqa: N802
        if event.type() == QEvent.Type.Paint and not getattr(self, "seen", False):
            self.seen = True
            now = time.time()
            status = Path("/proc/self/status").read_text()
            peak = next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")), "0")
            sys.stderr.write(f"Satchel: first paint at {now:.6f}, peak memory {int(peak) // 1024} MB\n")
            QTimer.singleShot(0, app.quit)
        return False


app = QApplication(["bare"])
window = QMainWindow()
window.setCentralWidget(QTextBrowser())
watcher = FirstPaint()
window.installEventFilter(watcher)
window.show()
sys.exit(app.exec())
