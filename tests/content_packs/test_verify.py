"""Hostile packs: each is refused with one sentence and the vault is left exactly as it was."""

from __future__ import annotations

import hashlib
import io
import json
import stat
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from support import KeyPair, craft_pack, make_keypair, manifest_dict, vault_snapshot, write_source

from app.errors import SatchelError
from app.trust import TrustStore, trust_list_comment
from app.vault import Vault
from content_packs.build import build_pack
from content_packs.errors import PackRejected, UntrustedSigner, VersionRefused
from content_packs.importer import import_pack
from content_packs.limits import Limits
from crypto import minisign

PAGE = b"# Hello\n\nSome text.\n"


@pytest.fixture
def store(vault: Vault, trainer: KeyPair) -> TrustStore:
    s = TrustStore(vault, roots=(), bundled=None)
    s.add_manual(trainer.public, "Trainer")
    return s


def refused(vault: Vault, store: TrustStore, pack: Path | io.BytesIO, exc: type = PackRejected,
            limits: Limits | None = None) -> str:
    before = vault_snapshot(vault)
    with pytest.raises(exc) as err:
        if limits is None:
            import_pack(vault, pack, store=store)
        else:
            import_pack(vault, pack, store=store, limits=limits)
    message = str(err.value)
    assert "\n" not in message and message.endswith("."), message
    assert vault_snapshot(vault) == before
    return message


def good_pack(tmp_path: Path, trainer: KeyPair, version: int = 1, pack_id: str = "org.example.guide") -> Path:
    src = write_source(tmp_path / f"src-{pack_id}-{version}", pack_id=pack_id, version=version)
    out = tmp_path / f"{pack_id}-{version}.satchel"
    build_pack(src, trainer.secret, out)
    return out


def rewrite_member(pack: Path, out: Path, name: str, transform) -> Path:
    with zipfile.ZipFile(pack) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == name:
                data = transform(data)
            dst.writestr(info, data)
    return out


def test_good_pack_imports(vault: Vault, store: TrustStore, tmp_path: Path, trainer: KeyPair) -> None:
    result = import_pack(vault, good_pack(tmp_path, trainer), store=store)
    assert (result.pack_id, result.version, result.status) == ("org.example.guide", 1, "installed")


def test_tampered_content_file(vault, store, tmp_path, trainer) -> None:
    bad = rewrite_member(good_pack(tmp_path, trainer), tmp_path / "bad.satchel", "pages/intro.md",
                         lambda b: b.replace(b"safe", b"SAFE"))
    assert "does not match its signature" in refused(vault, store, bad)


def test_tampered_manifest(vault, store, tmp_path, trainer) -> None:
    bad = rewrite_member(good_pack(tmp_path, trainer), tmp_path / "bad.satchel", "manifest.json",
                         lambda b: b.replace(b"A guide", b"A gwide"))
    assert "tampered" in refused(vault, store, bad)


def test_tampered_trusted_comment(vault, store, tmp_path, trainer) -> None:
    def change(sig: bytes) -> bytes:
        return sig.replace(b"version=1", b"version=9")
    bad = rewrite_member(good_pack(tmp_path, trainer), tmp_path / "bad.satchel", "manifest.json.minisig", change)
    refused(vault, store, bad)


def test_trusted_comment_that_names_another_pack(vault, store, tmp_path, trainer) -> None:
    files = {"pages/a.md": PAGE}
    m = manifest_dict(trainer.secret, files)
    bad = craft_pack(tmp_path / "bad.satchel", trainer.secret, m, list(files.items()),
                     comment="satchel-pack id=org.example.other version=1 time=1700000000")
    assert "trusted comment" in refused(vault, store, bad)


def test_untrusted_key(vault, store, tmp_path) -> None:
    stranger = make_keypair(tmp_path / "k", "stranger")
    message = refused(vault, store, good_pack(tmp_path, stranger), UntrustedSigner)
    assert stranger.public.key_id_hex in message


def test_legacy_signature(vault, store, tmp_path, trainer) -> None:
    files = {"pages/a.md": PAGE}
    bad = craft_pack(tmp_path / "bad.satchel", trainer.secret, manifest_dict(trainer.secret, files),
                     list(files.items()), legacy=True)
    assert "legacy" in refused(vault, store, bad)


def test_older_or_equal_version(vault, store, tmp_path, trainer) -> None:
    import_pack(vault, good_pack(tmp_path, trainer, version=2), store=store)
    for version in (1, 2):
        message = refused(vault, store, good_pack(tmp_path, trainer, version=version), VersionRefused)
        assert f"version {version}" in message and "already known" in message


def _members_case(case: str, trainer: KeyPair) -> tuple[dict, list]:
    files = {"pages/a.md": PAGE, "pages/b.md": PAGE.replace(b"Hello", b"Bye")}
    m = manifest_dict(trainer.secret, files)
    members = list(files.items())
    if case == "missing":
        members = members[:1]
    elif case == "extra":
        members.append(("pages/c.md", PAGE))
    elif case == "duplicated":
        members.append(("pages/a.md", PAGE))
    elif case == "absolute":
        members.append(("/etc/cron.d/x", PAGE))
    elif case == "dotdot":
        members.append(("pages/../../x.md", PAGE))
    elif case == "backslash":
        members.append(("pages\\..\\x.md", PAGE))
    return m, members


@pytest.mark.parametrize("case", ["missing", "extra", "duplicated", "absolute", "dotdot", "backslash"])
def test_member_list_must_equal_manifest(vault, store, tmp_path, trainer, case) -> None:
    m, members = _members_case(case, trainer)
    with pytest.warns(UserWarning) if case == "duplicated" else _nothing():
        bad = craft_pack(tmp_path / "bad.satchel", trainer.secret, m, members)
    refused(vault, store, bad)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *a: object) -> None:
        return None


def test_symlink_member(vault, store, tmp_path, trainer) -> None:
    files = {"pages/a.md": b"/etc/passwd"}
    m = manifest_dict(trainer.secret, files)
    info = zipfile.ZipInfo("pages/a.md", date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    bad = craft_pack(tmp_path / "bad.satchel", trainer.secret, m, [], zip_infos=[(info, b"/etc/passwd")])
    assert "link" in refused(vault, store, bad)


def test_zip_bomb_stops_at_declared_size(vault, store, tmp_path, trainer) -> None:
    """A member whose headers claim 1 KiB but whose stream inflates to 512 MiB of zeros."""
    declared = b"# x\n" + b"a" * 1020
    m = manifest_dict(trainer.secret, {"pages/a.md": declared})
    base = craft_pack(tmp_path / "base.satchel", trainer.secret, m, [("pages/a.md", b"placeholder")])
    import zlib
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    payload = b"".join([comp.compress(b"\0" * (1 << 20)) for _ in range(512)] + [comp.flush()])
    bomb = tmp_path / "bomb.satchel"
    bomb.write_bytes(_splice_member(base.read_bytes(), "pages/a.md", payload, declared_size=len(declared)))
    tracemalloc.start()
    message = refused(vault, store, bomb)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 64 * 1024 * 1024, peak
    assert "damaged" in message or "larger than its signed size" in message or "does not match" in message


def _splice_member(archive: bytes, name: str, payload: bytes, declared_size: int) -> bytes:
    """Replace a member's compressed data with `payload`, keeping headers that claim `declared_size`."""
    import struct

    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        infos = z.infolist()
    out = io.BytesIO()
    entries = []
    for info in infos:
        raw_start = info.header_offset
        # local header: fixed 30 bytes + name + extra
        n_len, e_len = struct.unpack("<HH", archive[raw_start + 26:raw_start + 30])
        data_start = raw_start + 30 + n_len + e_len
        comp = archive[data_start:data_start + info.compress_size]
        if info.filename == name:
            comp = payload
        crc = info.CRC if info.filename != name else 0
        size = info.file_size if info.filename != name else declared_size
        offset = out.tell()
        fname = info.filename.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, info.compress_type, 0, 0x21, crc,
                              len(comp), size, len(fname), 0))
        out.write(fname)
        out.write(comp)
        entries.append((info, offset, crc, len(comp), size, fname))
    cd_start = out.tell()
    for info, offset, crc, csize, size, fname in entries:
        out.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, info.compress_type, 0, 0x21,
                              crc, csize, size, len(fname), 0, 0, 0, 0, 0, offset))
        out.write(fname)
    cd_end = out.tell()
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), cd_end - cd_start,
                          cd_start, 0))
    return out.getvalue()


def test_pack_over_the_size_cap(vault, store, tmp_path, trainer) -> None:
    big = tmp_path / "huge.satchel"
    with open(big, "wb") as f:
        f.truncate(Limits().pack_bytes + 1)  # sparse: costs no disk
    assert "larger than Satchel accepts" in refused(vault, store, big)


def test_manifest_over_its_cap(vault, store, tmp_path, trainer) -> None:
    files = {"pages/a.md": PAGE}
    m = manifest_dict(trainer.secret, files)
    m["title"] = "x" * 200
    data = json.dumps(m).encode() + b" " * (4 * 1024 * 1024)
    bad = craft_pack(tmp_path / "bad.satchel", trainer.secret, data, list(files.items()))
    assert "manifest is larger" in refused(vault, store, bad)


@pytest.mark.parametrize("content,expected", [
    (b"", "empty"),
    (b"this is not a zip file at all" * 10, "not a ZIP"),
])
def test_not_a_pack(vault, store, tmp_path, content, expected) -> None:
    bad = tmp_path / "bad.satchel"
    bad.write_bytes(content)
    assert expected in refused(vault, store, bad)


def test_truncated_pack(vault, store, tmp_path, trainer) -> None:
    good = good_pack(tmp_path, trainer)
    data = good.read_bytes()
    for cut in (len(data) // 3, len(data) - 10):
        bad = tmp_path / f"cut{cut}.satchel"
        bad.write_bytes(data[:cut])
        refused(vault, store, bad)


def test_manifest_invalid_utf8(vault, store, tmp_path, trainer) -> None:
    bad = craft_pack(tmp_path / "bad.satchel", trainer.secret, b'{"id": "\xff\xfe"}', [])
    assert "not valid UTF-8" in refused(vault, store, bad)


def test_manifest_invalid_json(vault, store, tmp_path, trainer) -> None:
    bad = craft_pack(tmp_path / "bad.satchel", trainer.secret, b'{"id": "org.example.guide",', [])
    assert "not valid JSON" in refused(vault, store, bad)


@pytest.mark.parametrize("mutate", [
    lambda m: m.update(version="1"),
    lambda m: m.update(version=True),
    lambda m: m.update(version=0),
    lambda m: m.update(id="ORG.Example"),
    lambda m: m.update(language="not a tag!"),
    lambda m: m.update(kind="novel"),
    lambda m: m.update(extra=1),
    lambda m: m.pop("title"),
    lambda m: m["files"][0].update(size=-1),
    lambda m: m["files"][0].update(sha256="zz"),
    lambda m: m["chapters"][0].update(pages=["pages/not-listed.md"]),
])
def test_manifest_strict_fields(vault, store, tmp_path, trainer, mutate) -> None:
    files = {"pages/a.md": PAGE}
    m = manifest_dict(trainer.secret, files)
    mutate(m)
    bad = craft_pack(tmp_path / "bad.satchel", trainer.secret, m, list(files.items()),
                     comment="satchel-pack id=org.example.guide version=1 time=1700000000")
    refused(vault, store, bad)


def test_manifest_duplicate_keys(vault, store, tmp_path, trainer) -> None:
    files = {"pages/a.md": PAGE}
    m = manifest_dict(trainer.secret, files)
    text = json.dumps(m)[:-1] + ', "version": 7}'
    bad = craft_pack(tmp_path / "bad.satchel", trainer.secret, text.encode(), list(files.items()))
    assert "repeats" in refused(vault, store, bad)


def test_nothing_parsed_before_the_signature(vault, store, tmp_path) -> None:
    """An unsigned manifest that would crash a careless parser is never parsed."""
    stranger = make_keypair(tmp_path / "k", "stranger")
    bad = craft_pack(tmp_path / "bad.satchel", stranger.secret, b"[" * 100000, [])
    assert "do not trust" in refused(vault, store, bad, UntrustedSigner)


# -- keys on the trust list: expired, revoked, out of scope ----------------------------------

def signed_list(root: KeyPair, keys: list[dict], version: int = 1, roots: list | None = None) -> tuple[bytes, bytes]:
    doc = json.dumps({"type": "satchel-trust-list", "version": version,
                      "roots": roots or [root.public.to_base64()], "keys": keys}).encode()
    sig = minisign.sign(root.secret, doc, trust_list_comment(version)).encode()
    return doc, sig


def listed(kp: KeyPair, scopes: list[str], **extra) -> dict:
    return {"name": "Publisher", "public_key": kp.public.to_base64(), "scopes": scopes, **extra}


@pytest.mark.parametrize("entry,expected", [
    ({"expires": "2001-01-01"}, "expired on 2001-01-01"),
    ({"revoked": True}, "revoked"),
    ({"scopes": ["org.other."]}, "may not sign packs with this id"),
])
def test_listed_key_expired_revoked_or_out_of_scope(vault, tmp_path, entry, expected) -> None:
    root = make_keypair(tmp_path / "k", "root")
    pub = make_keypair(tmp_path / "k", "pub")
    e = listed(pub, ["org.example."])
    e.update(entry)
    store = TrustStore(vault, roots=(root.public,), bundled=signed_list(root, [e]))
    message = refused(vault, store, good_pack(tmp_path, pub), UntrustedSigner)
    assert expected in message


def test_revocation_wins_over_manual_trust(vault, tmp_path) -> None:
    root = make_keypair(tmp_path / "k", "root")
    pub = make_keypair(tmp_path / "k", "pub")
    store = TrustStore(vault, roots=(root.public,),
                       bundled=signed_list(root, [listed(pub, ["org.example."], revoked=True)]))
    store.add_manual(pub.public)
    assert "revoked" in refused(vault, store, good_pack(tmp_path, pub), UntrustedSigner)


def test_errors_are_satchel_errors() -> None:
    assert issubclass(PackRejected, SatchelError)
    assert hashlib.sha256(b"").hexdigest()


def test_tampered_stored_media_file(vault, store, tmp_path, trainer) -> None:
    """Media are stored uncompressed and read straight from the file: a changed byte is caught."""
    import os as _os
    src = write_source(tmp_path / "src-media", pages={"pages/a.md": "# A\n\n![m](../media/m.png)\n"},
                       media={"media/m.png": b"\x89PNG\r\n\x1a\n" + _os.urandom(50_000)})
    pack = tmp_path / "media.satchel"
    build_pack(src, trainer.secret, pack)
    with zipfile.ZipFile(pack) as z:
        info = z.getinfo("media/m.png")
        assert info.compress_type == zipfile.ZIP_STORED
    data = bytearray(pack.read_bytes())
    data[info.header_offset + 30 + len("media/m.png") + 25_000] ^= 0xFF
    pack.write_bytes(bytes(data))
    assert "does not match its signature" in refused(vault, store, pack)
