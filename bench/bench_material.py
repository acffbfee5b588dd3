"""Real training material (issue 12): how long a trainer waits for `satchel pack check`
and `satchel pack build` on a folder the size of a real lesson library (600 pages with
front matter, <br> and <img> in Markdown, checklists, 560 screenshots of about 50 KB),
beside the time to read the same files (`cat` of the folder) in the same run.

Both commands run as a trainer runs them: the real `satchel` in a fresh process (so
Python's start-up is included), `pack build` with an unencrypted key so no passphrase
is typed. Medians of several runs; the files are in the page cache for all of them.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, report, workdir

PAGES = 600
IMAGES = 560
IMAGE_BYTES = 52 * 1024  # 29 MB of screenshots over 560 files in the real library
RUNS = 5


def _png(rng: random.Random, size: int) -> bytes:
    """A real PNG whose pixels are random (as incompressible as a screenshot's)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    width = 160
    height = max(1, size // (width * 3))
    rows = b"".join(b"\0" + rng.randbytes(width * 3) for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b"")


def make_library(folder: Path) -> Path:
    """A source folder shaped like the real lesson library."""
    from corpus import languages

    rng = random.Random(12)
    paras = [a.text for lang in languages() if lang.key in {"eng", "fra", "spa", "rus", "arb"}
             for a in lang.articles if a.text]
    (folder / "pages").mkdir(parents=True)
    (folder / "media").mkdir()
    for i in range(IMAGES):
        (folder / "media" / f"shot{i:04d}.png").write_bytes(_png(rng, IMAGE_BYTES))
    names = []
    shot = 0
    for n in range(PAGES):
        body = [rng.choice(paras) for _ in range(6)]
        if n % 4 == 0:
            body[1] = body[1].replace(". ", ".<br>", 2)
        pictures = 0 if shot >= IMAGES else (2 if n % 3 else 1)
        for _ in range(pictures):
            if shot % 2:
                body.append(f'<img src="../media/shot{shot:04d}.png" alt="Step {shot}: the settings window">')
            else:
                body.append(f"![Step {shot}: the settings window](../media/shot{shot:04d}.png)")
            shot += 1
        if n % 10 == 0:
            body.append("\n".join(f"- [ ] {rng.choice(paras)[:60]}" for _ in range(8)))
        text = (f"---\ntitle: Lesson {n}\nauthor: Training team\nduration: {10 + n % 30} min\nlevel: beginner\n"
                f"index: {n}\ntags: [security, lesson]\n---\n\n# Lesson {n}\n\n" + "\n\n".join(body) + "\n")
        name = f"pages/lesson-{n:04d}.md"
        (folder / name).write_text(text, encoding="utf-8")
        names.append(name)
    listed = ", ".join(f'"{p}"' for p in names)
    (folder / "pack.toml").write_text(
        '[pack]\nid = "org.bench.lessons"\nversion = 1\ntitle = "Lessons"\nlanguage = "en"\nkind = "guide"\n'
        f'licence = "CC-BY-SA-4.0"\n\n[[chapters]]\ntitle = "All"\npages = [{listed}]\n', encoding="utf-8")
    return folder


def _timed(cmd: list[str], env: dict[str, str], stdout: int | None = subprocess.DEVNULL) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=stdout, stderr=subprocess.PIPE, cwd=str(ROOT), timeout=900)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.decode("utf-8", "replace")[-2000:])
    return elapsed


def main() -> None:
    with workdir() as tmp:
        src = make_library(tmp / "lessons")
        files = sum(1 for p in src.rglob("*") if p.is_file())
        size = sum(p.stat().st_size for p in src.rglob("*") if p.is_file())
        env = dict(os.environ, SATCHEL_HOME=str(tmp / "home"),
                   PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests")]))
        satchel = [sys.executable, "-m", "app.cli"]
        _timed([*satchel, "keys", "generate", "--out", str(tmp / "bench"), "--no-passphrase"], env)
        cat = ["sh", "-c", f"find '{src}' -type f -exec cat {{}} + > /dev/null"]
        for _ in range(2):  # warm the page cache and the interpreter's own files
            _timed(cat, env)
            _timed([*satchel, "pack", "check", str(src)], env)
        cats, checks, builds = [], [], []
        for _ in range(RUNS):
            cats.append(_timed(cat, env))
            checks.append(_timed([*satchel, "pack", "check", str(src)], env))
            builds.append(_timed([*satchel, "pack", "build", str(src), "--key", str(tmp / "bench.key"),
                                  "--out", str(tmp / "lessons.satchel")], env))
        c, k, b = statistics.median(cats), statistics.median(checks), statistics.median(builds)
        label = f"{PAGES} pages, {IMAGES} images, {files} files, {size / 2**20:.0f} MB"
        report(f"satchel pack check ({label})", f"{k:.2f} s", "cat of the folder", f"{c:.2f} s", k / c)
        report(f"satchel pack build ({label}, signed)", f"{b:.2f} s", "cat of the folder", f"{c:.2f} s", b / c)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        startup = time.perf_counter() - start
        report("a bare Python start-up, for scale", f"{startup:.2f} s", "cat of the folder",
               f"{c:.2f} s", startup / c)


if __name__ == "__main__":
    main()
