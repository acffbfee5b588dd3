"""`make bench`: run every benchmark and print each figure beside its same-run baseline.

`python -m bench [NAME ...]` runs only the named groups (vault, packs, search, material, ui, usb, library, style,
bundle, tor, share).
"""

from __future__ import annotations

import importlib
import platform
import sys
import time

from bench.common import RESULTS

GROUPS = {
    "vault": "bench.bench_vault",
    "packs": "bench.bench_packs",
    "search": "bench.bench_search",
    "material": "bench.bench_material",
    "ui": "bench.bench_ui",
    "usb": "bench.bench_usb",
    "library": "bench.bench_library",
    "style": "bench.bench_style",
    "bundle": "bench.bench_bundle",
    "tor": "bench.bench_tor",
    "share": "bench.bench_share",
}


def main(argv: list[str]) -> int:
    chosen = argv or list(GROUPS)
    unknown = [name for name in chosen if name not in GROUPS]
    if unknown:
        print(f"Unknown benchmark group(s): {', '.join(unknown)}; choose from {', '.join(GROUPS)}.")
        return 2
    print(f"Satchel benchmarks on {platform.node()} ({platform.machine()}, Python {platform.python_version()})")
    print("Each figure is a median; its baseline was measured in the same run.\n")
    failed = []
    for name in chosen:
        start = time.perf_counter()
        print(f"== {name}", flush=True)
        try:
            importlib.import_module(GROUPS[name]).main()
        except Exception as exc:  # one broken group must not hide the others' figures
            failed.append(name)
            print(f"   {name} failed: {exc}", flush=True)
        print(f"   ({time.perf_counter() - start:.0f} s)\n", flush=True)
    print("Summary")
    for line in RESULTS:
        print("  " + line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
