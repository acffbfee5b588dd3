"""Search figures (issues 3 and 13), each beside a baseline measured in the same run:
- search p50/p95 over 50,000 pages (one pack per UDHR language, its language's stemmer
  on) vs a bare FTS5 query with FTS5's own tokenizer and snippet() on the same text;
- the size of the search index with word forms (stems) vs the same index without them;
- a spelling suggestion for a query that finds nothing, vs the search that found nothing.
"""

from __future__ import annotations

import random
import secrets
import statistics
import time
from pathlib import Path
from typing import Any

from bench.common import percentile, report, workdir

from app import textindex
from app import vault as vault_mod
from app.search import search, suggest
from app.trust import TrustStore
from app.vault import Vault
from content_packs.build import build_pack
from content_packs.importer import import_pack
from crypto import minisign

MB = 1 << 20


def build_library(tmp: Path, pages_total: int) -> tuple[Vault, list[tuple[str, str, str]]]:
    """A vault of about `pages_total` pages: one pack per UDHR language, its articles
    repeated with their sentences shuffled. Returns the vault and (language, title,
    text) of every page."""
    from corpus import languages

    rng = random.Random(2)
    key = minisign.generate_key()
    v = Vault.create(tmp / "h", "pw", iter_time_ms=5)
    store = TrustStore(v, roots=(), bundled=None)
    store.add_manual(key.public)
    langs = languages()
    per_pack = pages_total // len(langs)
    pages: list[tuple[str, str, str]] = []
    for n, lang in enumerate(langs):
        src = tmp / f"src{n}"
        (src / "pages").mkdir(parents=True)
        names = []
        for i in range(per_pack):
            art = lang.articles[i % len(lang.articles)]
            paras = art.text.split(". ")
            rng.shuffle(paras)
            body = ". ".join(paras)
            title = f"{art.title} {n}-{i}"
            name = f"pages/p{i:05d}.md"
            (src / name).write_text(f"# {title}\n\n{body}\n", encoding="utf-8")
            names.append(name)
            pages.append((lang.tag, title, body))
        listed = ", ".join(f'"{p}"' for p in names)
        (src / "pack.toml").write_text(
            f'[pack]\nid = "org.bench.s{n}"\nversion = 1\ntitle = "S{n}"\nlanguage = "{lang.tag}"\n'
            f'kind = "guide"\n\n[[chapters]]\ntitle = "All"\npages = [{listed}]\n', encoding="utf-8")
        out = tmp / f"s{n}.satchel"
        build_pack(src, key, out)
        import_pack(v, out, store=store)
    return v, pages


def _queries(pages: list[tuple[str, str, str]], count: int) -> list[str]:
    from corpus import NO_SPACE_SCRIPTS, languages

    no_space = {lang.tag for lang in languages() if lang.script in NO_SPACE_SCRIPTS}
    rng = random.Random(3)
    words: list[str] = []
    for language, _title, body in rng.sample(pages, count):
        if language in no_space:
            run = "".join(c for c in body[:200] if c.isalpha())
            if len(run) >= 2:
                i = rng.randrange(len(run) - 1)
                words.append(run[i:i + 2])
        else:
            candidates = [w for w in body.split() if len(w) >= 4 and w.isalpha()]
            if candidates:
                words.append(rng.choice(candidates))
    return words


def _index_bytes(conn: Any, table: str) -> int:
    return int(conn.execute(f"SELECT coalesce(sum(length(block)), 0) FROM {table}_data").fetchone()[0])


def bench_index_size(tmp: Path, pages: list[tuple[str, str, str]], label: str) -> None:
    """The same pages indexed twice, as the vault indexes them (same tokenizer, same
    FTS5 settings): with the stems of each pack's language, and without."""
    conn = vault_mod._connect(tmp / f"sizes-{secrets.token_hex(4)}", secrets.token_bytes(32))
    sizes: dict[str, int] = {}
    text_bytes = sum(len(t.encode()) + len(b.encode()) for _, t, b in pages)
    for name, stemmed in (("plain", False), ("stemmed", True)):
        conn.execute(f"CREATE VIRTUAL TABLE {name} USING fts5(title, body, chapter, content='', "
                     f"contentless_delete=1, tokenize=\"{textindex.FTS_TOKENIZE}\")")
        conn.execute(f"INSERT INTO {name} ({name}, rank) VALUES ('pgsz', 16000)")
        conn.execute(f"INSERT INTO {name} ({name}, rank) VALUES ('hashsize', 16777216)")
        conn.execute("BEGIN")
        conn.executemany(
            f"INSERT INTO {name} (title, body, chapter) VALUES (?, ?, ?)",
            ((textindex.index_text(t, lang if stemmed else None), textindex.index_text(b, lang if stemmed else None),
              textindex.index_text("All", lang if stemmed else None)) for lang, t, b in pages),
        )
        conn.execute("COMMIT")
        sizes[name] = _index_bytes(conn, name)
    conn.close()
    report(f"search index of {len(pages)} pages {label} ({text_bytes / MB:.0f} MB of text) with word forms",
           f"{sizes['stemmed'] / MB:.1f} MB", "the same index without word forms", f"{sizes['plain'] / MB:.1f} MB",
           sizes["stemmed"] / sizes["plain"])


def bench_search(pages_total: int = 50_000, queries: int = 300) -> None:
    with workdir() as tmp:
        v, pages = build_library(tmp, pages_total)
        # The same text in a bare FTS5 table (FTS5's own tokenizer, its own snippet()).
        bare = vault_mod._connect(tmp / "bare", secrets.token_bytes(32))
        bare.execute("CREATE VIRTUAL TABLE t USING fts5(body)")
        bare.execute("BEGIN")
        bare.executemany("INSERT INTO t (body) VALUES (?)", ((f"{t}\n{b}",) for _, t, b in pages))
        bare.execute("COMMIT")
        words = _queries(pages, queries)
        for w in words[:20]:  # warm both caches alike
            search(v, w, limit=20)
            bare.execute("SELECT rowid FROM t WHERE t MATCH ? LIMIT 20", (textindex._fts_string(w),)).fetchall()
        ours_t, bare_t = [], []
        for w in words:
            start = time.perf_counter()
            search(v, w, limit=20)
            ours_t.append(time.perf_counter() - start)
            start = time.perf_counter()
            bare.execute("SELECT rowid, snippet(t, 0, '[', ']', '…', 24) FROM t WHERE t MATCH ? "
                         "ORDER BY rank LIMIT 20", (textindex._fts_string(w),)).fetchall()
            bare_t.append(time.perf_counter() - start)
        p50, p95 = percentile(ours_t, 50) * 1000, percentile(ours_t, 95) * 1000
        b50, b95 = percentile(bare_t, 50) * 1000, percentile(bare_t, 95) * 1000
        report(f"search p50 over {len(pages)} pages in 32 languages, word forms on ({len(words)} queries, "
               "top 20 with snippets)", f"{p50:.2f} ms", "bare FTS5 query with snippet()", f"{b50:.2f} ms", p50 / b50)
        report("search p95", f"{p95:.2f} ms", "bare FTS5 p95", f"{b95:.2f} ms", p95 / b95, "<= 2x", p95 / b95 <= 2)

        typos = [w[:2] + w[3:] + "q" for w in words if len(w) >= 6 and w.isascii()][:30]
        miss_t, suggest_t = [], []
        for w in typos:
            start = time.perf_counter()
            search(v, w, limit=20)
            miss_t.append(time.perf_counter() - start)
            start = time.perf_counter()
            suggest(v, w)
            suggest_t.append(time.perf_counter() - start)
        if typos:
            s50, m50 = statistics.median(suggest_t) * 1000, statistics.median(miss_t) * 1000
            report(f"spelling suggestion, median of {len(typos)} misspelt words (bounded at 250 ms)",
                   f"{s50:.1f} ms", "the search that found nothing", f"{m50:.2f} ms", s50 / m50)
        from app.stemming import rule_for

        bench_index_size(tmp, pages, "in 32 languages")
        bench_index_size(tmp, [p for p in pages if rule_for(p[0]) is not None], "in the 10 languages with a stemmer")
        bench_index_size(tmp, [p for p in pages if p[0] == "en"], "in English")
        v.close()
        bare.close()


def main() -> None:
    bench_search()


if __name__ == "__main__":
    main()
