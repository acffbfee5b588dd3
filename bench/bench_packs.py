"""Pack figures (issue 3), each beside a baseline measured in the same run:
- import throughput of a 200 MB pack (text and media) vs SQLCipher blob inserts;
- verification throughput vs hashlib SHA-256 over the same file;
- peak memory while importing vs an idle process that opened the vault;
(search figures are in bench/bench_search.py).
"""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import statistics
import time
from pathlib import Path

from bench.common import report, run_python, workdir

from app import vault as vault_mod
from app.trust import GivenKey, TrustStore
from app.vault import Vault
from content_packs.build import build_pack
from content_packs.importer import import_pack
from content_packs.verify import verify_pack_file
from crypto import minisign

MB = 1 << 20


def _udhr_paragraphs(keys: set[str] | None = None) -> list[str]:
    from corpus import languages
    return [a.text for lang in languages() if keys is None or lang.key in keys for a in lang.articles if a.text]


def make_big_source(folder: Path, total: int = 200 * MB, text_share: float = 0.05,
                    languages: set[str] | None = None, language: str = "en") -> Path:
    """A pack source of about `total` bytes: Markdown pages (UDHR text of the given
    languages, all 32 if None) and media files; `language` is the pack's language tag
    (it chooses the stemmer the import applies)."""
    rng = random.Random(1)
    paras = _udhr_paragraphs(languages)
    (folder / "pages").mkdir(parents=True)
    (folder / "media").mkdir()
    text_budget = int(total * text_share)
    pages, written, n = [], 0, 0
    media_count = 40
    while written < text_budget:
        body = "\n\n".join(rng.choice(paras) for _ in range(8))
        name = f"pages/p{n:05d}.md"
        extra = f"\n\n![figure](../media/m{n % media_count:03d}.png)\n" if n < media_count else ""
        text = f"# Page {n}\n\n{body}{extra}\n"
        (folder / name).write_text(text, encoding="utf-8")
        pages.append(name)
        written += len(text.encode())
        n += 1
    per_media = (total - written) // media_count
    for i in range(media_count):
        (folder / "media" / f"m{i:03d}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(per_media - 8))
    listed = ", ".join(f'"{p}"' for p in pages)
    (folder / "pack.toml").write_text(
        f'[pack]\nid = "org.bench.big"\nversion = 1\ntitle = "Bench"\nlanguage = "{language}"\nkind = "guide"\n\n'
        f'[[chapters]]\ntitle = "All"\npages = [{listed}]\n')
    return folder


def blob_insert_rate(tmp: Path, size: int) -> float:
    conn = vault_mod._connect(tmp / f"blobs-{secrets.token_hex(4)}", secrets.token_bytes(32))
    chunk = os.urandom(MB)
    start = time.perf_counter()
    conn.execute("BEGIN")
    conn.execute("CREATE TABLE b (data BLOB)")
    for _ in range(size // MB):
        conn.execute("INSERT INTO b VALUES (?)", (chunk,))
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return size / elapsed / MB


def bench_import_and_verify(runs: int = 3, text_share: float = 0.05, verify: bool = True,
                            languages: set[str] | None = None, label: str = "all 32 languages mixed",
                            language: str = "en") -> None:
    with workdir() as tmp:
        key = minisign.generate_key()
        src = make_big_source(tmp / "src", text_share=text_share, languages=languages, language=language)
        pack = tmp / "big.satchel"
        build_pack(src, key, pack)
        size = pack.stat().st_size
        os.sync()  # the build's writes must not land on disk during the first timed run

        import_rates, blob_rates = [], []
        for i in range(runs):
            v = Vault.create(tmp / f"h{i}", "pw", iter_time_ms=5)
            store = TrustStore(v, roots=(), bundled=None)
            store.add_manual(key.public)
            start = time.perf_counter()
            import_pack(v, pack, store=store)
            import_rates.append(size / (time.perf_counter() - start) / MB)
            v.close()
            blob_rates.append(blob_insert_rate(tmp, size))
        imp, blob = statistics.median(import_rates), statistics.median(blob_rates)
        report(f"import a {size / MB:.0f} MB pack ({text_share:.0%} Markdown: {label}; rest media)",
               f"{imp:.0f} MB/s", "SQLCipher blob inserts", f"{blob:.0f} MB/s", imp / blob, ">= 0.50",
               imp / blob >= 0.5)
        if not verify:
            return

        def sha() -> None:
            h = hashlib.sha256()
            with open(pack, "rb") as f:
                while chunk := f.read(MB):
                    h.update(chunk)

        ver_rates, sha_rates = [], []
        for _ in range(runs):
            start = time.perf_counter()
            verify_pack_file(pack, GivenKey(key.public))
            ver_rates.append(size / (time.perf_counter() - start) / MB)
            start = time.perf_counter()
            sha()
            sha_rates.append(size / (time.perf_counter() - start) / MB)
        ver, sh = statistics.median(ver_rates), statistics.median(sha_rates)
        report("verify the same pack", f"{ver:.0f} MB/s", "hashlib SHA-256 of the file", f"{sh:.0f} MB/s",
               ver / sh, ">= 0.50", ver / sh >= 0.5)

        (tmp / "key.pub").write_text(key.public.to_text())
        code_import = (
            "import sys\nfrom bench.common import vm_hwm_mb\nfrom app.vault import Vault\n"
            "from app.trust import TrustStore\nfrom content_packs.importer import import_pack\n"
            "from crypto.minisign import PublicKey\n"
            "v = Vault.create(sys.argv[1], 'pw', iter_time_ms=5)\n"
            "s = TrustStore(v, roots=(), bundled=None)\n"
            "s.add_manual(PublicKey.from_text(open(sys.argv[3]).read()))\n"
            "if sys.argv[2] != '-': import_pack(v, sys.argv[2], store=s)\n"
            "print(vm_hwm_mb())\n"
        )
        peak = float(run_python(code_import, str(tmp / "mem1"), str(pack), str(tmp / "key.pub")))
        idle = float(run_python(code_import, str(tmp / "mem2"), "-", str(tmp / "key.pub")))
        report(f"peak memory importing the {size / MB:.0f} MB pack", f"{peak:.0f} MB",
               "same process without the import", f"{idle:.0f} MB", peak / idle)


def main() -> None:
    bench_import_and_verify()
    bench_import_and_verify(text_share=0.05, verify=False, languages={"eng"}, label="English")
    bench_import_and_verify(text_share=0.05, verify=False, languages={"arb"}, label="Arabic", language="ar")
    bench_import_and_verify(text_share=0.05, verify=False, languages={"cmn_hans"}, label="Chinese",
                            language="zh-Hans")
    bench_import_and_verify(text_share=0.01, verify=False)


if __name__ == "__main__":
    main()
