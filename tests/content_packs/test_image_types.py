"""Images are PNG, JPEG, GIF or WebP by their first bytes, matching their names, when a
pack is built and when it is imported (finding 2 of the hardening review)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hostile_images import png, png_claiming, svg_drawing_a_local_file, svg_nested_use, tiff
from support import KeyPair, craft_pack, manifest_dict, vault_snapshot, write_source

from app.trust import TrustStore
from app.vault import Vault
from content_packs.build import build_pack
from content_packs.errors import PackRejected, SourceError
from content_packs.images import IMAGE_REFUSED, image_format, sniff_image
from content_packs.importer import import_pack

PAGE = "# Pictures\n\n![a picture](../media/picture.png)\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"

HOSTILE = {
    "tiff": tiff(),
    "svg-local-file": svg_drawing_a_local_file("/etc/hostname"),
    "svg-nested-use": svg_nested_use(),
    "empty": b"",
    "jpeg-named-png": JPEG,
}


def test_sniffing_knows_the_four_formats_and_nothing_else() -> None:
    assert [sniff_image(b) for b in (png(1, 1), JPEG, GIF, WEBP)] == ["png", "jpeg", "gif", "webp"]
    for data in (tiff(), b"MM\0*", svg_drawing_a_local_file("/x"), b"%PDF-1.7", b"BM", b"RIFF\0\0\0\0WAVE"):
        assert sniff_image(data[:12]) is None
    assert image_format("media/a.PNG", png(1, 1)[:12]) == "png"
    assert image_format("media/a.jpg", JPEG) == "jpeg" and image_format("media/a.jpeg", JPEG) == "jpeg"
    assert image_format("media/a.png", JPEG) is None   # the name and the bytes must agree
    assert image_format("media/a.tiff", tiff()[:12]) is None


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_build_refuses_an_image_that_is_not_what_its_name_says(tmp_path: Path, trainer: KeyPair,
                                                             name: str) -> None:
    src = write_source(tmp_path / "src", pages={"pages/a.md": PAGE}, media={"media/picture.png": HOSTILE[name]})
    with pytest.raises(SourceError) as err:
        build_pack(src, trainer.secret, tmp_path / "p.satchel")
    assert "media/picture.png" in str(err.value) and "PNG" in str(err.value)
    assert not (tmp_path / "p.satchel").exists()


def test_build_accepts_the_four_formats(tmp_path: Path, trainer: KeyPair) -> None:
    media = {"media/a.png": png(2, 2), "media/b.jpg": JPEG, "media/c.gif": GIF, "media/d.webp": WEBP,
             "media/e.png": png_claiming(20000, 10000)}   # huge, but a real PNG: the reader caps it
    page = "# P\n\n" + "".join(f"![x](../{p})\n" for p in media)
    build_pack(write_source(tmp_path / "src", pages={"pages/a.md": page}, media=media), trainer.secret,
               tmp_path / "p.satchel")


def test_an_image_reference_to_another_media_type_is_refused(tmp_path: Path, trainer: KeyPair) -> None:
    src = write_source(tmp_path / "src", pages={"pages/a.md": "# P\n\n![a](../media/talk.mp3)\n"},
                       media={"media/talk.mp3": b"ID3\x03\x00"})
    with pytest.raises(SourceError):
        build_pack(src, trainer.secret, tmp_path / "p.satchel")


def crafted(tmp_path: Path, trainer: KeyPair, image: bytes, method: int) -> Path:
    """A pack signed by a trusted key whose media/picture.png holds `image`, written by
    another tool (stored, as Satchel writes media, or deflated)."""
    files = {"pages/a.md": PAGE.encode(), "media/picture.png": image}
    infos = []
    for path, data in sorted(files.items()):
        info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = method if path.startswith("media/") else zipfile.ZIP_DEFLATED
        infos.append((info, data))
    return craft_pack(tmp_path / f"p-{method}.satchel", trainer.secret, manifest_dict(trainer.secret, files),
                      zip_infos=infos)


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_import_refuses_an_image_that_is_not_what_its_name_says(
        vault: Vault, tmp_path: Path, trainer: KeyPair, name: str, method: int) -> None:
    store = TrustStore(vault, roots=(), bundled=None)
    store.add_manual(trainer.public, "Trainer")
    before = vault_snapshot(vault)
    with pytest.raises(PackRejected) as err:
        import_pack(vault, crafted(tmp_path, trainer, HOSTILE[name], method), store=store)
    assert str(err.value) == IMAGE_REFUSED
    assert vault_snapshot(vault) == before


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_import_keeps_a_real_png(vault: Vault, tmp_path: Path, trainer: KeyPair, method: int) -> None:
    store = TrustStore(vault, roots=(), bundled=None)
    store.add_manual(trainer.public, "Trainer")
    result = import_pack(vault, crafted(tmp_path, trainer, png(3, 3), method), store=store)
    assert result.version == 1
