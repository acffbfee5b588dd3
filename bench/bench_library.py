"""Managing the library: removing a pack (one transaction, with the search index merged so
the removed words leave it) and the app's check for changes made by another Satchel.

Baselines from the same run: importing the same pack (what the learner waited for when it
came in), and a bare `SELECT 1` on the same connection.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from bench.common import median_time, report, workdir

PAGES_PER_PACK = 5000


def _source(folder: Path, pack_id: str, pages: int, texts: list[str], rng: random.Random) -> Path:
    (folder / "pages").mkdir(parents=True)
    names = []
    for i in range(pages):
        name = f"pages/p{i:05d}.md"
        (folder / name).write_text(f"# Page {i}\n\n{rng.choice(texts)}\n", encoding="utf-8")
        names.append(name)
    listed = ", ".join(f'"{n}"' for n in names)
    (folder / "pack.toml").write_text(
        f'[pack]\nid = "{pack_id}"\nversion = 1\ntitle = "{pack_id}"\nlanguage = "und"\nkind = "guide"\n\n'
        f'[[chapters]]\ntitle = "All"\npages = [{listed}]\n', encoding="utf-8")
    return folder


def bench_remove(big_packs: int = 3, runs: int = 3) -> None:
    from app.library import change_counter
    from app.remove import remove_pack
    from app.trust import TrustStore
    from app.vault import Vault
    from content_packs.build import build_pack
    from content_packs.importer import import_pack
    from corpus import languages
    from crypto import minisign

    rng = random.Random(3)
    texts = [a.text for lang in languages() for a in lang.articles if a.text]
    with workdir() as tmp:
        key = minisign.generate_key()
        v = Vault.create(tmp / "h", "pw", iter_time_ms=5)
        store = TrustStore(v, roots=(), bundled=None)
        store.add_manual(key.public)
        for p in range(big_packs):
            out = tmp / f"big{p}.satchel"
            build_pack(_source(tmp / f"big{p}", f"org.bench.big{p}", PAGES_PER_PACK, texts, rng), key, out)
            if p < big_packs - 1:   # the last one is imported before each timed removal
                import_pack(v, out, store=store)
        small = tmp / "small.satchel"
        build_pack(_source(tmp / "small", "org.bench.small", 20, texts, rng), key, small)
        total = big_packs * PAGES_PER_PACK

        # Each run imports the pack again (a removed pack may come back at its version).
        imports: list[float] = []

        def again(path: Path) -> None:
            start = time.perf_counter()
            import_pack(v, path, store=store)
            imports.append(time.perf_counter() - start)

        removed = median_time(lambda: remove_pack(v, "org.bench.small"), runs, setup=lambda: again(small))
        imported = sorted(imports)[len(imports) // 2]
        report(f"remove a 20-page pack from a library of {total} pages", f"{removed * 1000:.0f} ms",
               "importing that pack", f"{imported * 1000:.0f} ms", removed / imported)
        imports.clear()
        last = tmp / f"big{big_packs - 1}.satchel"
        removed = median_time(lambda: remove_pack(v, f"org.bench.big{big_packs - 1}"), runs,
                              setup=lambda: again(last))
        imported = sorted(imports)[len(imports) // 2]
        report(f"remove a {PAGES_PER_PACK}-page pack from a library of {total + 20} pages",
               f"{removed:.2f} s", "importing that pack", f"{imported:.2f} s", removed / imported)

        check = median_time(lambda: change_counter(v), 200)
        bare = median_time(lambda: v.conn.execute("SELECT 1").fetchone(), 200)
        report("the app's check for another Satchel's changes (PRAGMA data_version)",
               f"{check * 1e6:.0f} µs", "SELECT 1 on the same connection", f"{bare * 1e6:.0f} µs", check / bare)
        v.close()


def main() -> None:
    bench_remove()
