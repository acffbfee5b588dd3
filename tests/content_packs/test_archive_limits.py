"""The ZIP directory is bounded before zipfile reads it (finding 4 of the hardening
review), members may only be stored or deflated, checked before any is read (finding 9),
and an import opens the archive once."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from support import ROOT, KeyPair, vault_snapshot, write_source

from app.trust import GivenKey, TrustStore
from app.vault import Vault
from content_packs.build import build_pack
from content_packs.errors import PackRejected
from content_packs.importer import import_pack
from content_packs.verify import open_pack

HUGE = 519 * 1024 * 1024
ENTRIES = 10_000_000


def sparse_bomb(path: Path, size: int = HUGE, entries: int = ENTRIES) -> Path:
    """A sparse file shaped like a ZIP whose ZIP64 end record lists `entries` entries in a
    central directory filling the whole file: zipfile would read all of it into memory
    (and, had the directory been filled in, build ten million ZipInfo objects)."""
    cd_size = size - 56 - 20 - 22
    with open(path, "wb") as f:
        f.truncate(size)
        f.seek(cd_size)
        f.write(struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, cd_size, 0))
        f.write(struct.pack("<4sLQL", b"PK\x06\x07", 0, cd_size, 1))
        f.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
    return path


def peak_while(fn) -> tuple[int, BaseException | None]:
    tracemalloc.start()
    try:
        fn()
        raised = None
    except BaseException as exc:  # noqa: BLE001 - the caller asserts on it
        raised = exc
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak, raised


def test_a_directory_of_ten_million_entries_is_refused_before_zipfile_reads_it(
        vault: Vault, tmp_path: Path) -> None:
    bomb = sparse_bomb(tmp_path / "bomb.satchel")
    before = vault_snapshot(vault)
    store = TrustStore(vault)
    peak, raised = peak_while(lambda: import_pack(vault, bomb, store=store))
    assert isinstance(raised, PackRejected), raised
    assert str(raised) == "The pack holds more files than Satchel accepts."
    assert peak < 4 * 1024 * 1024, f"refusing the pack cost {peak} bytes"
    assert vault_snapshot(vault) == before


def test_a_lying_end_record_is_refused_by_the_walk(tmp_path: Path, trainer: KeyPair) -> None:
    """The end record says 3 entries; the directory really lists 30,000 (zipfile ignores
    the count and parses them all)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(30_000):
            z.writestr(f"pages/p{i}.md", b"")
    data = bytearray(buf.getvalue())
    eocd = data.rfind(b"PK\x05\x06")
    struct.pack_into("<2H", data, eocd + 8, 3, 3)
    path = tmp_path / "lying.satchel"
    path.write_bytes(bytes(data))
    peak, raised = peak_while(lambda: open_pack(path, GivenKey(trainer.public)))
    assert isinstance(raised, PackRejected) and "more files" in str(raised), raised
    assert peak < 8 * 1024 * 1024


def test_a_huge_central_directory_with_few_entries_is_refused(tmp_path: Path, trainer: KeyPair) -> None:
    path = sparse_bomb(tmp_path / "wide.satchel", size=300 * 1024 * 1024, entries=5)
    peak, raised = peak_while(lambda: open_pack(path, GivenKey(trainer.public)))
    assert isinstance(raised, PackRejected) and "list of files is larger" in str(raised), raised
    assert peak < 4 * 1024 * 1024


def test_usb_list_on_a_stick_holding_a_directory_bomb_stays_small(cli, tmp_path: Path) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    sparse_bomb(stick / "0123456789abcdef.bin")
    assert cli("init", "--iter-time", "5", stdin="pw\n").code == 0
    # Run the real command in a fresh interpreter that reports its own peak memory.
    # VmHWM, not getrusage: Linux carries ru_maxrss across exec, so the child would report
    # the (large) pytest process it was forked from.
    probe = ("import sys\nfrom app.cli import main\ncode = main(sys.argv[1:])\n"
             "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0].split()[1]\n"
             "print('MAXRSS', hwm, file=sys.stderr)\n"
             "sys.exit(code)\n")
    env = dict(os.environ, SATCHEL_HOME=str(tmp_path / "home"))
    proc = subprocess.run([sys.executable, "-c", probe, "usb", "list", str(stick)], input="pw\n",
                          capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    maxrss_kib = int(proc.stderr.rsplit("MAXRSS", 1)[1].split()[0])
    assert maxrss_kib < 400 * 1024, f"usb list used {maxrss_kib} KiB for one hostile file"
    assert "0123456789abcdef.bin" in proc.stdout
    assert "more files than Satchel accepts" in proc.stdout


# -- finding 9: compression methods, checked before anything is read --------------------

def rewrite(pack: Path, out: Path, methods: dict[str, int]) -> Path:
    with zipfile.ZipFile(pack) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename in methods:
                info.compress_type = methods[info.filename]
            dst.writestr(info, data)
    return out


@pytest.mark.parametrize("member,method", [
    ("manifest.json", zipfile.ZIP_LZMA), ("manifest.json.minisig", zipfile.ZIP_BZIP2),
    ("manifest.json", zipfile.ZIP_BZIP2), ("pages/intro.md", zipfile.ZIP_LZMA),
])
def test_other_compression_methods_are_refused_before_reading(
        vault: Vault, tmp_path: Path, trainer: KeyPair, member: str, method: int, monkeypatch) -> None:
    good = tmp_path / "good.satchel"
    build_pack(write_source(tmp_path / "src"), trainer.secret, good)
    bad = rewrite(good, tmp_path / "bad.satchel", {member: method})
    store = TrustStore(vault, roots=(), bundled=None)
    store.add_manual(trainer.public, "Trainer")
    before = vault_snapshot(vault)
    opened: list[str] = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open",
                        lambda self, name, *a, **k: opened.append(str(getattr(name, "filename", name)))
                        or real_open(self, name, *a, **k))
    with pytest.raises(PackRejected) as err:
        import_pack(vault, bad, store=store)
    assert str(err.value) == "The pack uses a compression method Satchel does not accept."
    assert opened == [], "no member may be read (or decompressed) before the methods are checked"
    assert vault_snapshot(vault) == before


def test_an_import_parses_the_archive_once(vault: Vault, tmp_path: Path, trainer: KeyPair,
                                           monkeypatch) -> None:
    good = tmp_path / "good.satchel"
    build_pack(write_source(tmp_path / "src"), trainer.secret, good)
    store = TrustStore(vault, roots=(), bundled=None)
    store.add_manual(trainer.public, "Trainer")
    parses: list[int] = []
    real = zipfile.ZipFile._RealGetContents
    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", lambda self: parses.append(1) or real(self))
    result = import_pack(vault, good, store=store)
    assert result.version == 1
    assert len(parses) == 1


def test_packs_the_builder_writes_pass_the_directory_check(tmp_path: Path, trainer: KeyPair) -> None:
    media = {f"media/m{i}.png": b"\x89PNG\r\n\x1a\n" + bytes(40) for i in range(3)}
    pages = {"pages/intro.md": "# Hi\n\n" + "".join(f"![m](../media/m{i}.png)\n" for i in range(3))}
    pack = tmp_path / "p.satchel"
    build_pack(write_source(tmp_path / "src", pages=pages, media=media), trainer.secret, pack)
    with open_pack(pack, GivenKey(trainer.public)) as opened:
        assert len(opened.manifest.files) == 4
