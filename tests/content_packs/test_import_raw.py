"""Import keeps what it checked: pages stay deflated exactly as signed, the raw pack bytes
are hashed as they are stored (not on a second read of the file), stored media are
checked again when shown, and a cancel or a refusal leaves the vault as it was."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import threading
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from support import KeyPair, vault_snapshot, write_source

from app import library
from app.errors import SatchelError
from app.search import search
from app.seekable import RandomAccessReader
from app.trust import TrustStore
from app.vault import Vault
from content_packs.build import build_pack
from content_packs.errors import ImportCancelled, PackRejected
from content_packs.importer import KEPT_ROW_BYTES, import_pack
from content_packs.verify import CHUNK, open_pack

PACK_ID = "org.example.guide"
PAGE_A = (
    "# Keeping safe\n\n"
    "Stay safe and keep learning. Encrypt your laptop, back up your notes, and check who "
    "you trust before you share a file. " * 6
    + "\n\n![a diagram](../media/m.png)\n"
)
PAGE_B = (
    "# Second page\n\nSee the [first page](a.md \"the first\").\n\n"
    "حرية الرأي و**التعبير**.\n"
)


@pytest.fixture
def store(vault: Vault, trainer: KeyPair) -> TrustStore:
    s = TrustStore(vault, roots=(), bundled=None)
    s.add_manual(trainer.public, "Trainer")
    return s


def make_pack(tmp_path: Path, key: KeyPair, name: str, pages: dict[str, str],
              media: dict[str, bytes] | None = None, pack_id: str = PACK_ID) -> Path:
    src = write_source(tmp_path / f"src-{name}", pack_id=pack_id, pages=pages, media=media)
    out = tmp_path / f"{name}.satchel"
    build_pack(src, key.secret, out)
    return out


def data_offset(f: io.RawIOBase | io.BufferedIOBase, info: zipfile.ZipInfo) -> int:
    """Where a member's (compressed) data starts, from its local header."""
    f.seek(info.header_offset)
    header = f.read(30)
    assert header[:4] == b"PK\x03\x04"
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_len + extra_len


def rewrite_raw(pack: Path, out: Path, name: str, transform) -> Path:
    """Rewrite a pack with one member's raw (compressed) data transformed, keeping its
    method, CRC-32 and uncompressed size, and every other member's bytes as they were
    (so manifest.json and its signature still verify)."""
    archive = pack.read_bytes()
    with zipfile.ZipFile(pack) as z:
        infos = z.infolist()
    out_buf = io.BytesIO()
    entries = []
    for info in infos:
        start = data_offset(io.BytesIO(archive), info)
        raw = archive[start:start + info.compress_size]
        if info.filename == name:
            raw = transform(raw)
        offset = out_buf.tell()
        fname = info.filename.encode()
        out_buf.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, info.compress_type, 0, 0x21,
                                  info.CRC, len(raw), info.file_size, len(fname), 0))
        out_buf.write(fname)
        out_buf.write(raw)
        entries.append((info, offset, len(raw), fname))
    cd_start = out_buf.tell()
    for info, offset, csize, fname in entries:
        out_buf.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, info.compress_type, 0, 0x21,
                                  info.CRC, csize, info.file_size, len(fname), 0, 0, 0, 0, 0, offset))
        out_buf.write(fname)
    cd_end = out_buf.tell()
    out_buf.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries),
                              cd_end - cd_start, cd_start, 0))
    out.write_bytes(out_buf.getvalue())
    return out


def vault_state(vault: Vault) -> dict:
    """What `satchel list` shows plus every row of every table (packs, pages, pack_chunks...)."""
    return {"list": [(p.id, p.version, p.title) for p in library.list_packs(vault)],
            "rows": vault_snapshot(vault)}


def assert_intact(vault: Vault) -> None:
    assert vault.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def assert_refused_unchanged(vault: Vault, store: TrustStore, source, *expected: str) -> str:
    before = vault_state(vault)
    with pytest.raises(SatchelError) as err:
        import_pack(vault, source, store=store)
    assert isinstance(err.value, PackRejected)
    message = str(err.value)
    assert "\n" not in message and message.endswith(".") and message.count(". ") == 0, message
    assert any(e in message for e in expected), message
    assert vault_state(vault) == before
    assert_intact(vault)
    return message


@pytest.fixture
def other_pack_installed(vault: Vault, store: TrustStore, tmp_path: Path, trainer: KeyPair) -> None:
    """A pack already in the vault, so that 'unchanged' means more than 'still empty'."""
    p = make_pack(tmp_path, trainer, "other", {"pages/x.md": "# Other\n\nAlready here.\n"},
                  pack_id="org.example.other")
    import_pack(vault, p, store=store)


# -- a. VerifiedPack.read_page ---------------------------------------------------------------

def test_read_page_returns_the_text_and_the_deflate_stream_as_signed(store, tmp_path, trainer) -> None:
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(4000)
    p = make_pack(tmp_path, trainer, "good", {"pages/a.md": PAGE_A, "pages/b.md": PAGE_B},
                  {"media/m.png": png})
    with open_pack(p, store) as pack, zipfile.ZipFile(p) as z, open(p, "rb") as f:
        for path, text in (("pages/a.md", PAGE_A), ("pages/b.md", PAGE_B)):
            entry = pack.manifest.file(path)
            info = z.getinfo(path)
            assert info.compress_type == zipfile.ZIP_DEFLATED  # build_pack deflates pages
            data, stream = pack.read_page(entry)
            assert data == text.encode("utf-8")
            assert stream is not None
            assert zlib.decompress(stream, -15) == data
            start = data_offset(f, info)
            f.seek(start)
            assert stream == f.read(info.compress_size)  # the very bytes of the signed file
        # A stored member has no stream to keep.
        data, stream = pack.read_page(pack.manifest.file("media/m.png"))
        assert (data, stream) == (png, None)


def test_page_stream_with_trailing_bytes_is_refused(vault, store, tmp_path, trainer,
                                                    other_pack_installed) -> None:
    good = make_pack(tmp_path, trainer, "good", {"pages/a.md": PAGE_A, "pages/b.md": PAGE_B},
                     {"media/m.png": b"\x89PNG\r\n\x1a\n" + os.urandom(1000)})
    bad = rewrite_raw(good, tmp_path / "trailing.satchel", "pages/a.md", lambda raw: raw + b"\x00junk")
    with zipfile.ZipFile(bad) as z:  # still a readable ZIP whose page inflates to the signed text
        assert z.read("pages/a.md") == PAGE_A.encode()
    assert_refused_unchanged(vault, store, bad, "damaged or truncated")


@pytest.mark.parametrize("where", [0.25, 0.5, 0.9])
def test_page_stream_with_a_flipped_byte_is_refused(vault, store, tmp_path, trainer, other_pack_installed,
                                                    where) -> None:
    good = make_pack(tmp_path, trainer, "good", {"pages/a.md": PAGE_A, "pages/b.md": PAGE_B},
                     {"media/m.png": b"\x89PNG\r\n\x1a\n" + os.urandom(1000)})

    def flip(raw: bytes) -> bytes:
        b = bytearray(raw)
        b[int(len(b) * where)] ^= 0x55
        return bytes(b)

    bad = rewrite_raw(good, tmp_path / "flipped.satchel", "pages/a.md", flip)
    assert_refused_unchanged(vault, store, bad, "damaged or truncated", "does not match its signature")


def test_rewritten_pack_without_changes_still_imports(vault, store, tmp_path, trainer) -> None:
    """The ZIP surgery above is sound: with the identity transform the pack imports."""
    good = make_pack(tmp_path, trainer, "good", {"pages/a.md": PAGE_A, "pages/b.md": PAGE_B},
                     {"media/m.png": b"\x89PNG\r\n\x1a\n" + os.urandom(1000)})
    same = rewrite_raw(good, tmp_path / "same.satchel", "pages/a.md", lambda raw: raw)
    assert import_pack(vault, same, store=store).status == "installed"
    assert library.get_page(vault, PACK_ID, "pages/a.md").markdown == PAGE_A


# -- b. pages kept deflated ---------------------------------------------------------------------

def test_pages_are_kept_as_raw_deflate_and_read_back_as_text(vault, store, tmp_path, trainer) -> None:
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(1000)
    p = make_pack(tmp_path, trainer, "good", {"pages/a.md": PAGE_A, "pages/b.md": PAGE_B},
                  {"media/m.png": png})
    import_pack(vault, p, store=store)
    with zipfile.ZipFile(p) as z, open(p, "rb") as f:
        for path, text in (("pages/a.md", PAGE_A), ("pages/b.md", PAGE_B)):
            kind, kept = vault.conn.execute(
                "SELECT typeof(markdown), markdown FROM pages WHERE pack_id = ? AND path = ?", (PACK_ID, path)
            ).fetchone()
            assert kind == "blob" and isinstance(kept, bytes)
            assert zlib.decompress(kept, -15).decode("utf-8") == text
            info = z.getinfo(path)
            f.seek(data_offset(f, info))
            assert kept == f.read(info.compress_size)  # exactly the signed stream
            assert library.stored_markdown(kept) == text
            page = library.get_page(vault, PACK_ID, path)
            assert page is not None and page.markdown == text
    [hit] = search(vault, "encrypt laptop")
    assert hit.page == "pages/a.md" and "Encrypt your laptop" in hit.snippet  # snippet from the kept stream
    assert [h.page for h in search(vault, "التعبير")] == ["pages/b.md"]


def test_stored_markdown_reads_text_from_older_versions_and_raw_deflate() -> None:
    text = "# عنوان\n\nSome *text* with ünïcödé.\n"
    assert library.stored_markdown(text) == text
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = comp.compress(text.encode("utf-8")) + comp.flush()
    assert library.stored_markdown(raw) == text
    assert library.stored_markdown("") == ""


def test_page_kept_as_text_by_an_older_version_still_reads_and_searches(vault, store, tmp_path,
                                                                        trainer) -> None:
    p = make_pack(tmp_path, trainer, "good", {"pages/a.md": PAGE_A, "pages/b.md": PAGE_B},
                  {"media/m.png": b"\x89PNG\r\n\x1a\n" + os.urandom(100)})
    import_pack(vault, p, store=store)
    vault.conn.execute("UPDATE pages SET markdown = ? WHERE pack_id = ? AND path = ?",
                       (PAGE_B, PACK_ID, "pages/b.md"))
    kind = vault.conn.execute("SELECT typeof(markdown) FROM pages WHERE path = 'pages/b.md'").fetchone()[0]
    assert kind == "text"
    assert library.get_page(vault, PACK_ID, "pages/b.md").markdown == PAGE_B
    assert library.get_page(vault, PACK_ID, "pages/a.md").markdown == PAGE_A
    [hit] = search(vault, "second page")
    assert hit.page == "pages/b.md" and "first page" in hit.snippet


# -- c. the bytes kept are the bytes checked ------------------------------------------------

class TwoFacedFile(RandomAccessReader):
    """The real pack file, read honestly by small reads; a read of CHUNK bytes or more
    from a CHUNK boundary (how the importer reads the raw bytes it keeps) gets one byte
    flipped at `flip_at`. Any other read, such as one checking a member from where it
    starts, sees the true bytes."""

    def __init__(self, path: Path, flip_at: int | None) -> None:
        super().__init__(path.stat().st_size)
        self._f = open(path, "rb")
        self.flip_at = flip_at
        self.flipped = 0
        self.large_reads = 0

    def readinto(self, buffer) -> int:
        self._f.seek(self._pos)
        data = self._f.read(len(buffer))
        if len(buffer) >= CHUNK and self._pos % CHUNK == 0:
            self.large_reads += 1
            if self.flip_at is not None and self._pos <= self.flip_at < self._pos + len(data):
                changed = bytearray(data)
                changed[self.flip_at - self._pos] ^= 0xFF
                data = bytes(changed)
                self.flipped += 1
        buffer[:len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._f.close()
        super().close()


@pytest.fixture
def big_media_pack(tmp_path: Path, trainer: KeyPair) -> tuple[Path, bytes, int]:
    """A pack with a 3 MiB stored media file; returns it, the media bytes and a file
    offset in the middle of the media data that the importer reads in a full CHUNK."""
    big = b"\x89PNG\r\n\x1a\n" + os.urandom(3 * CHUNK)
    p = make_pack(tmp_path, trainer, "big", {"pages/a.md": "# Big\n\n![big](../media/big.png)\n"},
                  {"media/big.png": big})
    with zipfile.ZipFile(p) as z, open(p, "rb") as f:
        info = z.getinfo("media/big.png")
        assert info.compress_type == zipfile.ZIP_STORED
        start = data_offset(f, info)
    flip_at = start + CHUNK + CHUNK // 2
    assert (flip_at // CHUNK + 1) * CHUNK < p.stat().st_size  # its raw chunk is a full one
    return p, big, flip_at


def test_bytes_changed_between_check_and_keep_are_refused(vault, store, big_media_pack,
                                                          other_pack_installed) -> None:
    p, _, flip_at = big_media_pack
    before = vault_state(vault)
    with TwoFacedFile(p, flip_at) as f:
        with pytest.raises(PackRejected) as err:
            import_pack(vault, f, store=store)
        assert f.flipped >= 1  # the lie was told, to the read whose bytes are kept
    assert "does not match its signature" in str(err.value)
    assert "\n" not in str(err.value)
    assert vault_state(vault) == before
    chunks = vault.conn.execute("SELECT count(*) FROM pack_chunks WHERE pack_id = ?",
                                (PACK_ID,)).fetchone()[0]
    assert chunks == 0
    assert_intact(vault)


def test_an_honest_file_object_imports(vault, store, big_media_pack) -> None:
    """The same wrapper without the lie: import from a file object works, the media and
    the kept pack are exactly the file's bytes."""
    p, big, _ = big_media_pack
    with TwoFacedFile(p, None) as f:
        result = import_pack(vault, f, store=store)
        assert f.large_reads >= -(-p.stat().st_size // KEPT_ROW_BYTES)  # every kept byte was read once
    assert result.status == "installed"
    assert library.read_media(vault, PACK_ID, "media/big.png") == big
    assert library.pack_bytes_reader(vault, PACK_ID).read() == p.read_bytes()
    sha = vault.conn.execute("SELECT sha256 FROM packs WHERE id = ?", (PACK_ID,)).fetchone()[0]
    assert sha == hashlib.sha256(p.read_bytes()).hexdigest()


# -- d. media checked again when read ------------------------------------------------------

def _media_range(vault: Vault, pack_id: str, path: str) -> tuple[int, int]:
    reader = library.pack_bytes_reader(vault, pack_id)
    with zipfile.ZipFile(library.pack_bytes_reader(vault, pack_id)) as z:
        info = z.getinfo(path)
    start = data_offset(reader, info)
    return start, start + info.file_size


def _central_crc_offset(vault: Vault, pack_id: str, path: str) -> int:
    data = library.pack_bytes_reader(vault, pack_id).read()
    name = path.encode()
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        name_len = struct.unpack("<H", data[pos + 28:pos + 30])[0]
        if data[pos + 46:pos + 46 + name_len] == name:
            return pos + 16
        pos = data.find(b"PK\x01\x02", pos + 4)
    raise AssertionError("no central directory entry")


def _kept_rows(vault: Vault, pack_id: str) -> list[tuple[str, str, int, bytes]]:
    """The rows that hold a kept pack, in file order: its own rows, and for a stored media
    member the rows of the blob it names (app.mediastore)."""
    out = []
    for seq, data, blob in vault.conn.execute(
            "SELECT seq, data, blob FROM pack_chunks WHERE pack_id = ? ORDER BY seq", (pack_id,)).fetchall():
        if blob is None:
            out.append(("pack_chunks", pack_id, seq, bytes(data)))
            continue
        for part, part_data in vault.conn.execute(
                "SELECT seq, data FROM media_blobs WHERE sha256 = ? ORDER BY seq", (blob,)).fetchall():
            out.append(("media_blobs", blob, part, bytes(part_data)))
    return out


def _patch_stored_pack(vault: Vault, pack_id: str, pos: int, new: bytes) -> None:
    """Overwrite bytes of the pack kept in the vault, at file offset `pos`."""
    start = 0
    for table, key, seq, chunk in _kept_rows(vault, pack_id):
        end = start + len(chunk)
        if start <= pos < end:
            b = bytearray(chunk)
            b[pos - start:pos - start + len(new)] = new
            assert len(b) == len(chunk)
            column = "pack_id" if table == "pack_chunks" else "sha256"
            vault.conn.execute(f"UPDATE {table} SET data = ? WHERE {column} = ? AND seq = ?",
                               (bytes(b), key, seq))
            return
        start = end
    raise AssertionError("offset past the stored pack")


@pytest.fixture
def media_imported(vault, store, tmp_path, trainer) -> bytes:
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(int(1.5 * CHUNK))  # spans two stored chunks
    p = make_pack(tmp_path, trainer, "media", {"pages/a.md": "# A\n\n![m](../media/m.png)\n"},
                  {"media/m.png": png})
    import_pack(vault, p, store=store)
    return png


def test_read_media_returns_the_exact_bytes_when_untouched(vault, media_imported) -> None:
    assert library.read_media(vault, PACK_ID, "media/m.png") == media_imported
    assert library.read_media(vault, PACK_ID, "media/none.png") is None


@pytest.mark.parametrize("where", [0, 0.5, 1.0])
def test_read_media_returns_none_when_a_stored_byte_was_altered(vault, media_imported, where) -> None:
    start, end = _media_range(vault, PACK_ID, "media/m.png")
    assert end - start == len(media_imported)
    pos = min(start + int((end - start) * where), end - 1)
    original = bytes([media_imported[pos - start]])
    _patch_stored_pack(vault, PACK_ID, pos, bytes([original[0] ^ 0x01]))
    assert library.read_media(vault, PACK_ID, "media/m.png") is None
    _patch_stored_pack(vault, PACK_ID, pos, original)
    assert library.read_media(vault, PACK_ID, "media/m.png") == media_imported


def test_read_media_returns_none_when_bytes_and_zip_crc_were_both_altered(vault, media_imported) -> None:
    """The stored file's own headers are not trusted: with the CRC-32 in the central
    directory forged to match the altered bytes, the SHA-256 still catches it."""
    start, end = _media_range(vault, PACK_ID, "media/m.png")
    altered = bytearray(media_imported)
    altered[1000] ^= 0x01
    _patch_stored_pack(vault, PACK_ID, start + 1000, bytes([altered[1000]]))
    _patch_stored_pack(vault, PACK_ID, _central_crc_offset(vault, PACK_ID, "media/m.png"),
                       struct.pack("<I", zlib.crc32(altered)))
    with zipfile.ZipFile(library.pack_bytes_reader(vault, PACK_ID)) as z:
        assert z.read("media/m.png") == bytes(altered)  # zipfile itself is satisfied
    assert library.read_media(vault, PACK_ID, "media/m.png") is None


# -- e. RawChecker --------------------------------------------------------------------------

@pytest.fixture
def checked_packs(tmp_path: Path, trainer: KeyPair) -> dict[str, Path]:
    small = make_pack(tmp_path, trainer, "small", {
        "pages/a.md": "# A\n\n![one](../media/one.png) ![two](../media/two.jpg)\n",
        "pages/b.md": "# B\n\n[sound](../media/three.mp3)\n",
    }, {"media/one.png": b"\x89PNG\r\n\x1a\n" + os.urandom(96), "media/two.jpg": b"\xff\xd8\xff" + os.urandom(4997),
        "media/three.mp3": os.urandom(40_000)})
    big = make_pack(tmp_path, trainer, "bigger", {
        "pages/a.md": "# A\n\n![one](../media/one.png) ![big](../media/big.png)\n",
    }, {"media/one.png": b"\x89PNG\r\n\x1a\n" + os.urandom(3000), "media/big.png": b"\x89PNG\r\n\x1a\n" + os.urandom(CHUNK + CHUNK // 5)})
    return {"small": small, "big": big}


def _stored_entries(pack) -> list:
    entries = [e for e in pack.manifest.files if pack.stored_range(e) is not None]
    assert entries and all(e.path.startswith("media/") for e in entries)
    return entries


def _feed(checker, data: bytes, size: int) -> None:
    for i in range(0, len(data), size):
        checker.feed(data[i:i + size])


@pytest.mark.parametrize(("which", "size"), [
    ("small", 1), ("small", 7), ("small", 4096), ("small", CHUNK),
    ("big", 7), ("big", 65_537), ("big", CHUNK),
])
def test_raw_checker_gives_the_file_hash_whatever_the_chunk_size(store, checked_packs, which, size) -> None:
    path = checked_packs[which]
    data = path.read_bytes()
    with open_pack(path, store) as pack:
        checker = pack.raw_checker(_stored_entries(pack))
    _feed(checker, data, size)
    assert checker.finish() == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(("which", "size"), [("small", 1), ("small", 7), ("big", 7), ("big", CHUNK)])
@pytest.mark.parametrize("member", ["first", "last"])
def test_raw_checker_refuses_a_changed_byte_inside_a_member(store, checked_packs, which, size,
                                                            member) -> None:
    path = checked_packs[which]
    data = bytearray(path.read_bytes())
    with open_pack(path, store) as pack:
        entries = _stored_entries(pack)
        ranges = sorted(pack.stored_range(e) for e in entries)
        checker = pack.raw_checker(entries)
    start, end = ranges[0] if member == "first" else ranges[-1]
    data[(start + end) // 2] ^= 0x10
    _feed(checker, bytes(data), size)
    with pytest.raises(PackRejected) as err:
        checker.finish()
    assert "does not match its signature" in str(err.value)


@pytest.mark.parametrize("stop", ["nothing", "before a member", "inside a member", "inside the last member"])
def test_raw_checker_refuses_bytes_that_end_early(store, checked_packs, stop) -> None:
    path = checked_packs["big"]
    data = path.read_bytes()
    with open_pack(path, store) as pack:
        entries = _stored_entries(pack)
        ranges = sorted(pack.stored_range(e) for e in entries)
        checker = pack.raw_checker(entries)
    cut = {"nothing": 0, "before a member": ranges[0][0] - 1, "inside a member": ranges[0][0] + 10,
           "inside the last member": ranges[-1][1] - 1}[stop]
    _feed(checker, data[:cut], 7 if cut < 100_000 else CHUNK)
    with pytest.raises(PackRejected):
        checker.finish()


def test_raw_checker_takes_stored_members_only(store, checked_packs) -> None:
    with open_pack(checked_packs["small"], store) as pack:
        with pytest.raises(ValueError):
            pack.raw_checker([pack.manifest.file("pages/a.md")])  # deflated


# -- f. cancel while the raw bytes are stored -------------------------------------------------

def _import_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name in ("satchel-import-text", "satchel-import-hash")]


@pytest.mark.parametrize("cancel_at", ["first callback", "first callback with raw bytes stored"])
def test_cancel_at_the_first_progress_callback_returns_promptly(vault, store, tmp_path, trainer,
                                                                other_pack_installed, cancel_at) -> None:
    p = make_pack(tmp_path, trainer, "cancel", {"pages/a.md": "# A\n\n![b](../media/big.png)\n"},
                  {"media/big.png": b"\x89PNG\r\n\x1a\n" + os.urandom(6 * CHUNK)})
    before = vault_state(vault)
    cancel = threading.Event()
    seen: list[tuple[int, int]] = []
    outcome: list[BaseException | None] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if cancel_at == "first callback" or done > 0:
            cancel.set()

    def run() -> None:
        try:
            import_pack(vault, p, progress=progress, cancel=cancel, store=store)
            outcome.append(None)
        except BaseException as exc:  # handed to the test
            outcome.append(exc)

    started = time.monotonic()
    t = threading.Thread(target=run, name="test-import")
    t.start()
    t.join(timeout=60)
    assert not t.is_alive(), "the cancelled import hung"
    assert time.monotonic() - started < 60
    [exc] = outcome
    assert isinstance(exc, ImportCancelled), exc
    assert str(exc) == "The import was cancelled; nothing was changed."
    assert seen and cancel.is_set()
    done, total = seen[-1]
    if cancel_at == "first callback":
        assert seen == [(0, total)]
    else:
        assert 0 < done < total  # cancelled while the raw pack was being stored
    deadline = time.monotonic() + 10
    while _import_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _import_threads() == []
    assert vault_state(vault) == before
    assert_intact(vault)
    # And the vault is usable: the same pack imports afterwards.
    assert import_pack(vault, p, store=store).status == "installed"


# -- Manifest.file -------------------------------------------------------------------------------

def test_manifest_file_finds_every_listed_path(store, checked_packs) -> None:
    with open_pack(checked_packs["small"], store) as pack:
        m = pack.manifest
        assert len(m.files) == 5
        for entry in m.files:
            assert m.file(entry.path) is entry
        for unknown in ("pages/zzz.md", "media/one.PNG", "manifest.json", "", "pages/a.md/"):
            assert m.file(unknown) is None
