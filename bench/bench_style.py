"""Drawing cost of Satchel's style (issue 13), beside plain Fusion in the same run:
the unlocked library window repainted whole (a resize or an expose), and the library
list alone (what scrolling repaints). Satchel's style is a Python proxy, so each drawing
call crosses into Python; these figures say what that costs. Medians of 40 repaints,
the median of three alternating rounds."""

from __future__ import annotations

from bench.common import report, run_python, workdir

SCRIPT = """
import statistics, sys, threading, time
from ui.main import create_application
app = create_application(sys.argv[:1])
from app.home import Home
from app.vault import Vault
from ui import theme
from ui.flows import import_starter
from ui.ops import OpContext, Token
from ui.qt import QApplication, QStyleFactory
from ui.window import MainWindow
home = Home(sys.argv[1])
words = "bench passphrase for drawing only"
with Vault.create(home, words, iter_time_ms=5) as v:
    import_starter(OpContext(v, threading.Event(), Token(), lambda d, t: None))
w = MainWindow(home, iter_time_ms=5)
w.resize(1100, 760)
w.show()
w.screen.field.setText(words)
w.screen.button.click()
end = time.monotonic() + 60
while (w.view is None or w.view.library.tree.topLevelItemCount() == 0) and time.monotonic() < end:
    app.processEvents()
    time.sleep(0.01)
tree = w.view.library.tree
def median_ms(widget, n=40):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        widget.grab()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000
rounds = {"fusion": ([], []), "satchel": ([], []), "contrast": ([], [])}
for _ in range(3):
    for name in rounds:
        if name == "fusion":
            QApplication.setStyle(QStyleFactory.create("Fusion"))
            theme._style = None
            QApplication.setPalette(QApplication.style().standardPalette())
        else:
            theme.apply(100, name == "contrast")
        app.processEvents()
        rounds[name][0].append(median_ms(w))
        rounds[name][1].append(median_ms(tree.viewport()))
for name, (whole, tree_ms) in rounds.items():
    print(name, statistics.median(whole), statistics.median(tree_ms))
w.lock()
w.close()
w.shutdown()
"""


def main() -> None:
    with workdir("satchel-bench-style-") as tmp:
        out = run_python(SCRIPT, str(tmp / "home"), env={"QT_QPA_PLATFORM": "offscreen"})
    figures = {line.split()[0]: (float(line.split()[1]), float(line.split()[2])) for line in out.splitlines()
               if line.split() and line.split()[0] in ("fusion", "satchel", "contrast")}
    fusion = figures["fusion"]
    for name, label in (("satchel", "Satchel's style"), ("contrast", "Satchel's style, high contrast")):
        whole, tree = figures[name]
        report(f"repaint of the library window, {label}", f"{whole:.1f} ms", "plain Fusion",
               f"{fusion[0]:.1f} ms", whole / fusion[0])
        report(f"repaint of the library list, {label}", f"{tree:.1f} ms", "plain Fusion",
               f"{fusion[1]:.1f} ms", tree / fusion[1])


if __name__ == "__main__":
    main()
