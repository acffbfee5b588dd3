"""What a pack says about itself and its pages, from the signed manifest into the vault:
licence, attribution, translation, the packs it uses, front-matter titles; the strict
parser's answer to forged optional fields; ticks that survive an update; vaults made
before media were kept by hash."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from support import KeyPair, craft_pack, noise_png, write_source

from app import library, progress
from app.markdown import checklist_items
from app.trust import GivenKey, TrustStore
from app.vault import Vault
from content_packs.build import build_pack
from content_packs.errors import PackRejected
from content_packs.importer import import_pack
from content_packs.verify import verify_pack_file

SHA = "0" * 64


@pytest.fixture
def store(vault: Vault, trainer: KeyPair) -> TrustStore:
    s = TrustStore(vault)
    s.add_manual(trainer.public, "Trainer")
    return s


def _with_fields(src: Path, fields: str) -> Path:
    toml = (src / "pack.toml").read_text(encoding="utf-8")
    (src / "pack.toml").write_text(toml.replace('kind = "guide"\n', 'kind = "guide"\n' + fields, 1),
                                   encoding="utf-8")
    return src


def test_metadata_and_front_matter_reach_the_library(vault: Vault, store: TrustStore, tmp_path: Path,
                                                     trainer: KeyPair) -> None:
    src = _with_fields(write_source(tmp_path / "src", pages={
        "pages/a.md": "---\ntitle: Location tracking\nauthor: Team\nindex: 4\n---\n\nText only, no heading.\n",
        "pages/b.md": "---\ntitle: Ignored when there is a heading\n---\n# Phones\n\nBody words here.\n",
    }), 'licence = "CC-BY-SA-4.0"\nattribution = "Adapted from Example Org"\ntranslation = "machine-assisted"\n'
        'translated_from = "en"\n')
    build_pack(src, trainer.secret, tmp_path / "p.satchel")
    import_pack(vault, tmp_path / "p.satchel", store=store)
    info = library.get_pack(vault, "org.example.guide")
    assert info is not None
    assert (info.licence, info.attribution, info.translation, info.translated_from) == (
        "CC-BY-SA-4.0", "Adapted from Example Org", "machine-assisted", "en")
    outline = library.pack_outline(vault, "org.example.guide")
    assert [p.title for p in outline[0].pages] == ["Location tracking", "Phones"]
    from app.search import search

    hits = search(vault, "words")
    assert [h.page for h in hits] == ["pages/b.md"]
    assert search(vault, "index") == [] and search(vault, "Ignored") == []  # front matter is not indexed


def test_inspect_shows_what_the_pack_says_about_itself(cli, tmp_path: Path, trainer: KeyPair) -> None:
    src = _with_fields(write_source(tmp_path / "src"), 'licence = "CC-BY-4.0"\nattribution = "Example Org"\n'
                       'translation = "translated"\ntranslated_from = "fr"\n')
    pack = tmp_path / "p.satchel"
    build_pack(src, trainer.secret, pack)
    r = cli("pack", "inspect", str(pack))
    assert r.code == 0, r.err
    assert "Licence: CC-BY-4.0" in r.out and "Credit:  Example Org" in r.out
    assert "Edition: translated from fr" in r.out
    doc = json.loads(cli("pack", "inspect", str(pack), "--json").out)
    assert doc["licence"] == "CC-BY-4.0" and doc["translation"] == "translated" and doc["uses"] == []


def _manifest(trainer: KeyPair, page: bytes, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": 1, "id": "org.example.guide", "version": 1, "title": "T", "language": "en", "kind": "guide",
        "signer": trainer.public.key_id_hex, "chapters": [{"title": "C", "pages": ["pages/a.md"]}],
        "files": [{"path": "pages/a.md", "size": len(page), "sha256": hashlib.sha256(page).hexdigest()}],
    }
    doc.update(extra)
    return doc


USES = [{"pack": "org.example.other", "title": "Other"}]


@pytest.mark.parametrize(("extra", "needle"), [
    ({"translation": "perfect"}, "invalid translation status"),
    ({"translated_from": "not a tag"}, "invalid source language"),
    ({"licence": ""}, "invalid licence"),
    ({"attribution": "x" * 3000}, "invalid attribution"),
    ({"uses": [{"pack": "org.example.guide", "title": "Me"}]}, "invalid pack among those it uses"),
    ({"uses": [{"pack": "Bad Id", "title": "x"}]}, "invalid pack among those it uses"),
    ({"uses": USES + USES}, "invalid pack among those it uses"),
    ({"uses": [{"pack": "org.example.other"}]}, "invalid entry in the packs it uses"),
    ({"shared_media": [{"path": "media/a.png", "pack": "org.example.other", "size": 1, "sha256": SHA}]},
     "takes media from a pack it does not name"),
    ({"uses": USES, "shared_media": [{"path": "pages/a.md", "pack": "org.example.other", "size": 1,
                                      "sha256": SHA}]}, "unsafe or repeated path"),
    ({"uses": USES, "shared_media": [{"path": "media/../x.png", "pack": "org.example.other", "size": 1,
                                      "sha256": SHA}]}, "unsafe or repeated path"),
    ({"uses": USES, "shared_media": [{"path": "media/a.png", "pack": "org.example.other", "size": 1,
                                      "sha256": "XYZ"}]}, "invalid file hash"),
    ({"uses": USES, "shared_media": [{"path": "media/a.png", "pack": "org.example.other", "size": -1,
                                      "sha256": SHA}]}, "invalid file size"),
    ({"title": "Guide \u202egnp.exe"}, "control characters in its title"),
    ({"torrc": {}}, "does not have the fields"),
    ({"tor": {}}, "invalid tor section"),
])
def test_forged_optional_fields_are_refused(tmp_path: Path, trainer: KeyPair, extra: dict[str, Any],
                                           needle: str) -> None:
    page = b"# A\n"
    pack = craft_pack(tmp_path / "p.satchel", trainer.secret, _manifest(trainer, page, **extra),
                      [("pages/a.md", page)])
    with pytest.raises(PackRejected) as err:
        verify_pack_file(pack, GivenKey(trainer.public))
    assert needle in str(err.value)


def test_ticks_survive_an_update_that_moves_and_adds_items(vault: Vault, store: TrustStore, tmp_path: Path,
                                                          trainer: KeyPair) -> None:
    page1 = "# Before\n\n- [ ] Charge the laptop\n- [ ] Check the *passphrase*\n- [ ] Pack the stick\n"
    src = write_source(tmp_path / "src", pages={"pages/a.md": page1, "pages/b.md": "# B\n\n- [ ] Gone soon\n"})
    build_pack(src, trainer.secret, tmp_path / "v1.satchel")
    import_pack(vault, tmp_path / "v1.satchel", store=store)
    items = checklist_items(page1)
    progress.set_tick(vault, "org.example.guide", "pages/a.md", items[1].key, True)
    progress.set_tick(vault, "org.example.guide", "pages/a.md", items[2].key, True)
    progress.set_tick(vault, "org.example.guide", "pages/b.md", checklist_items("- [ ] Gone soon")[0].key, True)
    page2 = ("# Before\n\n- [ ] A new first step\n- [ ] Check the *passphrase*\n- [ ] Charge the laptop\n"
             "- [ ] Pack the USB stick\n")
    write_source(tmp_path / "src", version=2, pages={"pages/a.md": page2},
                 chapters=[("One", ["pages/a.md"])])
    build_pack(tmp_path / "src", trainer.secret, tmp_path / "v2.satchel")
    import_pack(vault, tmp_path / "v2.satchel", store=store)
    ticks = progress.ticks(vault, "org.example.guide", "pages/a.md")
    ticked = [item.text for item in checklist_items(page2) if ticks.get(item.key)]
    assert ticked == ["Check the passphrase"]  # moved with its item; a reworded item starts afresh
    assert progress.ticks(vault, "org.example.guide", "pages/b.md") == {}  # the page is gone


def test_a_vault_kept_before_media_blobs_still_reads_its_pictures(vault: Vault, store: TrustStore,
                                                                  tmp_path: Path, trainer: KeyPair) -> None:
    """Packs imported by an earlier Satchel hold their media inside the kept pack rows;
    those are read from there, checked against the signed hash."""
    png = noise_png(50, 40, seed=7)
    src = write_source(tmp_path / "src", pages={"pages/a.md": "# A\n\n![A picture of a key](../media/k.png)\n"},
                       media={"media/k.png": png})
    build_pack(src, trainer.secret, tmp_path / "p.satchel")
    import_pack(vault, tmp_path / "p.satchel", store=store)
    kept = library.pack_bytes_reader(vault, "org.example.guide").read()
    with vault.transaction() as conn:  # the layout an earlier Satchel wrote
        conn.execute("DELETE FROM pack_chunks WHERE pack_id = ?", ("org.example.guide",))
        conn.execute("INSERT INTO pack_chunks (pack_id, seq, data) VALUES (?, 0, ?)", ("org.example.guide", kept))
        conn.execute("DELETE FROM media_blobs")
    assert library.read_media(vault, "org.example.guide", "media/k.png") == png
    assert library.pack_bytes_reader(vault, "org.example.guide").read() == (tmp_path / "p.satchel").read_bytes()
