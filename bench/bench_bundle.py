"""The self-contained app (issue 9), each figure beside a baseline from the same run:
- process start to the unlock window painted, and peak memory then, for the bundled
  Satchel against a bare PySide6 window (QMainWindow + QTextBrowser) frozen the same way
  (build/bare_window.spec): targets 1.5x and 2x;
- the bundle's size unpacked and as the release archive, against the budget (120 MB and
  60 MB without tor), with the bare frozen window's size for scale.

Builds what is missing first: `make bundle` (incremental) and the bare window's bundle.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import time
from pathlib import Path

from bench.common import ROOT, report, workdir

BUNDLE = ROOT / "dist" / "satchel" / "satchel"
BARE_DIR = ROOT / "build" / "out" / "bare"
BARE = BARE_DIR / "dist" / "bare" / "bare"
BUDGET_UNPACKED_MB = 120
BUDGET_PACKED_MB = 60
_PAINT = re.compile(r"first paint at ([0-9.]+), peak memory ([0-9]+) MB")


def ensure_built() -> None:
    subprocess.run(["make", "-s", "bundle"], cwd=str(ROOT), check=True, stdout=subprocess.DEVNULL)
    spec = ROOT / "build" / "bare_window.spec"
    if not BARE.exists() or BARE.stat().st_mtime < spec.stat().st_mtime:
        subprocess.run([str(ROOT / ".venv" / "bin" / "pyinstaller"), "--noconfirm", "--log-level", "ERROR",
                        "--workpath", str(BARE_DIR / "work"), "--distpath", str(BARE_DIR / "dist"), str(spec)],
                       cwd=str(ROOT), check=True)


def first_paint(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(seconds from process start to first paint, peak memory in MB then)."""
    start = time.time()
    proc = subprocess.run(command, env=env, cwd=str(cwd), capture_output=True, text=True, timeout=120)
    m = _PAINT.search(proc.stderr)
    if m is None:
        raise RuntimeError(f"no paint reported: {proc.stderr[-800:]}")
    return float(m.group(1)) - start, float(m.group(2))


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def bench_start(runs: int = 9) -> None:
    with workdir("satchel-bench-bundle-") as tmp:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp), "TMPDIR": str(tmp),
               "QT_QPA_PLATFORM": "offscreen", "SATCHEL_HOME": str(tmp / "home"), "SATCHEL_REPORT_FIRST_PAINT": "1"}
        subprocess.run([str(BUNDLE), "init", "--iter-time", "5"], input="pw\n", text=True, env=env, cwd=str(tmp),
                       check=True, capture_output=True)
        ours, bare = [], []
        for _ in range(runs):  # interleaved, so both see the same machine
            ours.append(first_paint([str(BUNDLE)], env, tmp))
            bare.append(first_paint([str(BARE)], env, tmp))
    t_ours, t_bare = statistics.median(r[0] for r in ours), statistics.median(r[0] for r in bare)
    m_ours, m_bare = statistics.median(r[1] for r in ours), statistics.median(r[1] for r in bare)
    report("bundle: process start to unlock window painted", f"{t_ours * 1000:.0f} ms",
           "bare window bundled the same way", f"{t_bare * 1000:.0f} ms", t_ours / t_bare, "<= 1.5x",
           t_ours / t_bare <= 1.5)
    report("bundle: peak memory at that moment", f"{m_ours:.0f} MB", "bare window bundled the same way",
           f"{m_bare:.0f} MB", m_ours / m_bare, "<= 2x", m_ours / m_bare <= 2)


def bench_size() -> None:
    unpacked = size_of(BUNDLE.parent) / 1e6
    archives = sorted((ROOT / "dist").glob("satchel-*-linux-x86_64.tar.gz"))
    packed = archives[-1].stat().st_size / 1e6 if archives else float("nan")
    bare = size_of(BARE.parent) / 1e6
    tor = BUNDLE.parent / "_internal" / "tor"
    without_tor = unpacked - (size_of(tor) / 1e6 if tor.is_dir() else 0.0)
    report("bundle size unpacked (without tor)", f"{without_tor:.1f} MB", "bare window bundled the same way",
           f"{bare:.1f} MB", without_tor / bare, f"<= {BUDGET_UNPACKED_MB} MB", without_tor <= BUDGET_UNPACKED_MB)
    report("bundle size compressed (.tar.gz)", f"{packed:.1f} MB", "unpacked", f"{unpacked:.1f} MB",
           packed / unpacked, f"<= {BUDGET_PACKED_MB} MB", packed <= BUDGET_PACKED_MB)


def main() -> None:
    ensure_built()
    bench_size()
    bench_start()


if __name__ == "__main__":
    main()
