"""The public sample key can neither replace nor freeze the starter packs (finding 5 of
the hardening review): a sample-signed pack is accepted only if its manifest is pinned
in the app, it never raises a version floor, and versions have a sane bound."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from support import KeyPair, vault_snapshot, write_source

from app.library import list_packs
from app.trust import ROOTS_DIR, STARTER_PINS, TrustStore, load_starter_pins
from app.vault import Vault
from content_packs.build import build_pack, manifest_for, pack_bytes
from content_packs.errors import PackRejected, SourceError, UntrustedSigner
from content_packs.importer import import_pack
from content_packs.manifest import MAX_VERSION, parse_manifest
from content_packs.source import PackSource, load_source
from content_packs.starter import SAMPLE_KEY, starter_packs, starter_pins, starter_sources
from crypto import minisign


def sample_key() -> minisign.SecretKey:
    return minisign.secret_key_from_text(SAMPLE_KEY.read_text(), None)


def laptop_source() -> PackSource:
    """'Securing your laptop', whatever folder layout the starter library has."""
    wanted = ("org.satchel.starter.laptop-security", "org.satchel.starter.laptop-security.en")
    found = [d for d in starter_sources() if load_source(d).id in wanted]   # one folder, or one per language
    assert len(found) == 1
    return load_source(found[0])


def resigned(src: PackSource) -> io.BytesIO:
    return io.BytesIO(pack_bytes(src, sample_key()))


def refused(vault: Vault, pack: io.BytesIO) -> str:
    before = vault_snapshot(vault)
    with pytest.raises(UntrustedSigner) as err:
        import_pack(vault, pack, store=TrustStore(vault))
    assert vault_snapshot(vault) == before
    return str(err.value)


def test_committed_pins_match_the_starter_sources() -> None:
    committed = (ROOTS_DIR / STARTER_PINS).read_bytes()
    assert committed == starter_pins(), (
        "app/roots/starter-pins.json does not match the starter sources: run "
        "'python -m content_packs.starter --update-pins' and commit the file")


def test_manifest_bytes_do_not_depend_on_when_the_pack_was_built() -> None:
    src, key = laptop_source(), sample_key()
    a, b = pack_bytes(src, key, timestamp=1_700_000_000), pack_bytes(src, key, timestamp=1_800_000_000)
    assert a != b   # the signature's time differs...
    import zipfile

    with zipfile.ZipFile(io.BytesIO(a)) as za, zipfile.ZipFile(io.BytesIO(b)) as zb:
        assert za.read("manifest.json") == zb.read("manifest.json")   # ...the manifest does not
    assert manifest_for(src, key).to_bytes() == manifest_for(load_source(src.root), key).to_bytes()


def test_the_real_bundled_starters_import_and_raise_no_floor(vault: Vault) -> None:
    store = TrustStore(vault)
    for source in starter_packs():
        result = import_pack(vault, source, store=store)
        assert result.pack_id.startswith("org.satchel.starter.")
    packs = list_packs(vault)
    assert len(packs) == len(starter_sources()) and all(p.sample for p in packs)
    floors = vault.conn.execute(
        "SELECT subject FROM version_floors WHERE subject LIKE 'org.satchel.starter.%'").fetchall()
    assert floors == []


def test_a_resigned_altered_starter_is_refused(vault: Vault) -> None:
    for source in starter_packs():
        import_pack(vault, source, store=TrustStore(vault))
    src = laptop_source()
    first = src.chapters[0].pages[0]
    src.files[first] = src.files[first] + b"\n\nInstall the 'security update' from this stick.\n"
    src.version = 2
    assert "sample key" in refused(vault, resigned(src))
    pack = next(p for p in list_packs(vault) if p.id == src.id)
    assert pack.version == 1


def test_a_huge_version_is_refused_and_cannot_freeze_a_starter(vault: Vault) -> None:
    src = laptop_source()
    src.version = 2**53
    refused(vault, resigned(src))
    # The real starter still imports afterwards: nothing was frozen.
    for source in starter_packs():
        import_pack(vault, source, store=TrustStore(vault))
    assert any(p.id == src.id and p.version == 1 for p in list_packs(vault))


def test_a_new_id_under_the_sample_scope_is_refused(vault: Vault, tmp_path: Path) -> None:
    src = load_source(write_source(tmp_path / "alert", pack_id="org.satchel.starter.security-alert",
                                   title="Security alert from the Satchel team"))
    assert "sample key" in refused(vault, resigned(src))


def test_a_sample_pack_with_no_pins_shipped_is_refused(vault: Vault, monkeypatch) -> None:
    """A damaged or missing pins file fails closed."""
    monkeypatch.setattr("app.trust.load_starter_pins", lambda folder=ROOTS_DIR: frozenset())
    refused(vault, resigned(laptop_source()))


def test_versions_have_a_sane_upper_bound(trainer: KeyPair, tmp_path: Path) -> None:
    page = b"# Hi\n"
    doc = {"format": 1, "id": "org.example.guide", "version": MAX_VERSION + 1, "title": "T", "language": "en",
           "kind": "guide", "signer": trainer.public.key_id_hex,
           "chapters": [{"title": "C", "pages": ["pages/a.md"]}],
           "files": [{"path": "pages/a.md", "size": len(page), "sha256": hashlib.sha256(page).hexdigest()}]}
    with pytest.raises(PackRejected):
        parse_manifest(json.dumps(doc).encode())
    assert parse_manifest(json.dumps(dict(doc, version=MAX_VERSION)).encode()).version == MAX_VERSION
    with pytest.raises(SourceError):
        build_pack(write_source(tmp_path / "src", version=2**53), trainer.secret, tmp_path / "p.satchel")
    assert MAX_VERSION == 2**31 - 1
