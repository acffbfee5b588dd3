"""USB figures (issue 5): export to and import from a real FAT32 stick (an image made
with mkfs.vfat, mounted with fusefat), each beside a plain `cp` of the same pack files
to or from the same stick, measured in the same run. Target: at least 50 % of cp.

Export includes everything a trainer waits for: reading the packs out of the vault,
hashing, writing under temporary names, fsync and rename, the signed index. `cp` only
copies (no fsync). Import starts from a freshly mounted stick (cold cache), as does the
`cp` it is compared with, and includes verifying every file and the vault transaction.
The image lives on this machine's disk (and page cache), so reading it is far faster
than a real stick; the import is then bound by the vault's own write speed, which the
third line shows by importing the same files from local disk.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path

from bench.common import mb, report, workdir

MiB = 1 << 20
PACKS = 6
MEDIA = 10 * MiB
RUNS = 3


class _Stick:
    def __init__(self, image: Path, path: Path) -> None:
        self.image, self.path = image, path
        self.proc: subprocess.Popen[bytes] | None = None

    def mount(self) -> None:
        self.path.mkdir(exist_ok=True)
        self.proc = subprocess.Popen(["fusefat", "-f", "-o", "rw+", str(self.image), str(self.path)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not os.path.ismount(self.path):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("fusefat did not mount the image")
            time.sleep(0.01)

    def unmount(self) -> None:
        subprocess.run(["fusermount", "-u", str(self.path)], check=False, capture_output=True)
        if self.proc is not None:
            self.proc.wait(timeout=30)
            self.proc = None

    def fresh(self, template: Path) -> None:
        self.unmount()
        subprocess.run(["cp", "--sparse=always", str(template), str(self.image)], check=True)
        self.mount()


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    missing = [t for t in ("mkfs.vfat", "fusefat", "fusermount") if shutil.which(t) is None]
    if missing or not os.path.exists("/dev/fuse"):
        print(f"   usb: skipped, needs {', '.join(missing) or '/dev/fuse'} (.ci/run installs them)")
        return
    from support import FAST_MS, make_keypair, write_source

    from app.trust import TrustStore
    from app.vault import Vault
    from bench.bench_packs import blob_insert_rate
    from content_packs.build import build_pack
    from content_packs.importer import import_pack
    from sync.source import open_folder
    from sync.usb_export import export_to_stick
    from sync.usb_import import import_from_stick

    with workdir("usb-") as w:
        key = make_keypair(w / "keys", "trainer")
        files = w / "files"
        files.mkdir()
        trainer = Vault.create(w / "trainer", "pw", iter_time_ms=FAST_MS)
        TrustStore(trainer).add_manual(key.public)
        for i in range(PACKS):
            src = write_source(w / f"src{i}", pack_id=f"org.bench.p{i}", title=f"Pack {i}",
                               pages={"pages/a.md": f"# Pack {i}\n\n[clip](../media/clip.mp4)\n"},
                               media={"media/clip.mp4": os.urandom(MEDIA)})
            build_pack(src, key.secret, files / f"{i:02d}.satchel")
            import_pack(trainer, files / f"{i:02d}.satchel")
        total = sum(p.stat().st_size for p in files.iterdir())

        template = w / "template.img"
        subprocess.run(["truncate", "-s", "512M", str(template)], check=True)
        subprocess.run(["mkfs.vfat", "-F", "32", "-s", "8", str(template)], check=True, capture_output=True)
        stick = _Stick(w / "stick.img", w / "mnt")
        exp, exp_cp, imp, imp_cp, local, blobs = [], [], [], [], [], []
        try:
            for run in range(RUNS):
                stick.fresh(template)
                exp_cp.append(_timed(lambda: subprocess.run(["cp", "-r", str(files), str(stick.path / "X")],
                                                            check=True)))
                stick.fresh(template)
                exp.append(_timed(lambda: export_to_stick(trainer, stick.path, key=key.secret)))
                stick.unmount()
                stick.mount()                                   # cold cache for the reads
                out = w / f"out{run}"
                imp_cp.append(_timed(lambda: subprocess.run(["cp", "-r", str(stick.path / "DATA"), str(out)],
                                                            check=True)))
                shutil.rmtree(out)
                stick.unmount()
                stick.mount()
                learner = Vault.create(w / f"learner{run}", "pw", iter_time_ms=FAST_MS)
                TrustStore(learner).add_manual(key.public)
                imp.append(_timed(lambda: import_from_stick(learner, open_folder(stick.path))))
                learner.close()
                plain = Vault.create(w / f"local{run}", "pw", iter_time_ms=FAST_MS)
                TrustStore(plain).add_manual(key.public)
                local.append(_timed(lambda: [import_pack(plain, f) for f in sorted(files.iterdir())]))
                plain.close()
                blobs.append(blob_insert_rate(w, total))
        finally:
            stick.unmount()
            trainer.close()

    def rate(t: list[float]) -> float:
        return total / MiB / statistics.median(t)

    e, ec, i, ic, lo = rate(exp), rate(exp_cp), rate(imp), rate(imp_cp), rate(local)
    size = mb(total / 1e6)
    report(f"USB export of {PACKS} packs ({size}) to FAT32", f"{e:.1f} MiB/s", "cp to the same stick",
           f"{ec:.1f} MiB/s", e / ec, ">= 0.50", e / ec >= 0.5)
    report(f"USB import of {PACKS} packs ({size}) from FAT32", f"{i:.1f} MiB/s", "cp from the same stick",
           f"{ic:.1f} MiB/s", i / ic, ">= 0.50", i / ic >= 0.5)
    # What bounds the import: the vault's own import of the same files from local disk,
    # and SQLCipher's blob inserts (every byte of a pack is kept in the vault), against
    # which even an import that did nothing else could not reach half of cp's rate here.
    report(f"USB import of {PACKS} packs ({size}) from FAT32", f"{i:.1f} MiB/s",
           "the same packs imported from local disk", f"{lo:.1f} MiB/s", i / lo)
    blob = statistics.median(blobs)
    report(f"USB import of {PACKS} packs ({size}) from FAT32", f"{i:.1f} MiB/s",
           "SQLCipher blob inserts of as many bytes", f"{blob:.1f} MiB/s", i / blob)
    report("highest USB import / cp ratio the vault's write speed allows here", f"{blob / ic:.2f}",
           "cp from the same stick", f"{ic:.1f} MiB/s", None)


if __name__ == "__main__":
    main()
