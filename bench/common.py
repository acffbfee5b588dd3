"""Shared helpers for Satchel's benchmarks: medians, peak memory, report lines.

Every figure is printed beside a baseline measured in the same run, as a ratio; these
machines are noisy, so each figure is the median of several runs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
for _p in (str(ROOT), str(ROOT / "tests")):
    if _p not in sys.path:
        sys.path.insert(0, _p)
from support import CORPUS  # noqa: E402,F401  (test and benchmark data only)

RESULTS: list[str] = []


def median_time(fn: Callable[[], object], runs: int = 5, setup: Callable[[], object] | None = None) -> float:
    times = []
    for _ in range(runs):
        if setup is not None:
            setup()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def report(name: str, value: str, baseline_name: str, baseline: str, ratio: float | None,
           target: str = "", ok: bool | None = None) -> None:
    verdict = "" if ok is None else ("  [meets target]" if ok else "  [MISSES target]")
    ratio_text = f"  ratio {ratio:.2f}" if ratio is not None else ""
    target_text = f"  (target {target})" if target else ""
    line = f"{name}: {value}  |  {baseline_name}: {baseline}{ratio_text}{target_text}{verdict}"
    RESULTS.append(line)
    print(line, flush=True)


def vm_hwm_mb() -> float:
    """This process's peak resident memory in MB (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_python(code: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run `code` in a fresh interpreter (for start-up and peak-memory figures)."""
    full_env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests")]))
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=full_env, cwd=str(ROOT), timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return proc.stdout


@contextmanager
def workdir(prefix: str = "satchel-bench-") -> Iterator[Path]:
    """A scratch folder on the same disk as the project (not /tmp, which may be tmpfs)."""
    base = ROOT / "dist" / "bench"
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=prefix, dir=base) as d:
        yield Path(d)


def mb(n: float) -> str:
    return f"{n:.1f} MB"
