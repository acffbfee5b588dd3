"""Language editions that share one set of pictures, links between packs, and media kept
once by hash in the vault: built, verified, imported, read back, re-exported byte for
byte, refused when the editions do not match, and measured for size."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from support import KeyPair, noise_png, vault_snapshot, write_source

from app import library
from app.trust import GivenKey, TrustStore
from app.vault import Vault
from content_packs.build import build_pack
from content_packs.errors import PackRejected
from content_packs.importer import import_pack
from content_packs.source import check_source
from content_packs.verify import verify_pack_file

EN = "org.example.tools-en"
AR = "org.example.tools-ar"


def editions(root: Path, images: int = 6, size: tuple[int, int] = (40, 30), ar_extra: str = "") -> tuple[Path, Path]:
    """An English edition carrying the pictures and an Arabic one that shows them."""
    media = {f"media/step{i:03d}.png": noise_png(*size, seed=i) for i in range(images)}
    steps = "\n\n".join(f"![Step {i}: the settings window](../media/step{i:03d}.png)" for i in range(images))
    en = write_source(root / "en", EN, title="Tools (English)", pages={
        "pages/01-steps.md": f"# Steps\n\n{steps}\n",
        "pages/02-terms.md": "# Terms\n\n## Encryption\n\nScrambling data.\n",
    }, media=media)
    ar_steps = "\n\n".join(f"![الخطوة {i}: نافذة الإعدادات](../media/step{i:03d}.png)" for i in range(images))
    ar = write_source(root / "ar", AR, title="الأدوات", language="ar", pages={
        "pages/01-steps.md": f"# الخطوات\n\n{ar_steps}\n\n[المصطلحات](satchel:{EN}/pages/02-terms.md#encryption)\n"
                             + ar_extra,
    })
    with open(ar / "pack.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[[uses]]\npack = "{EN}"\nsource = "../en"\nmedia = true\n')
    return en, ar


@pytest.fixture
def store(vault: Vault, trainer: KeyPair) -> TrustStore:
    s = TrustStore(vault)
    s.add_manual(trainer.public, "Trainer")
    return s


def built(root: Path, trainer: KeyPair, **kw: object) -> tuple[Path, Path]:
    en_src, ar_src = editions(root, **kw)  # type: ignore[arg-type]
    en, ar = root / "en.satchel", root / "ar.satchel"
    build_pack(en_src, trainer.secret, en)
    build_pack(ar_src, trainer.secret, ar)
    return en, ar


def test_the_edition_that_shares_carries_no_pictures(tmp_path: Path, trainer: KeyPair) -> None:
    en, ar = built(tmp_path, trainer)
    with zipfile.ZipFile(ar) as z:
        assert [n for n in z.namelist() if n.startswith("media/")] == []
        doc = json.loads(z.read("manifest.json"))
    assert doc["uses"] == [{"pack": EN, "title": "Tools (English)"}]
    assert [e["path"] for e in doc["shared_media"]] == [f"media/step{i:03d}.png" for i in range(6)]
    with zipfile.ZipFile(en) as z:
        en_files = {f["path"]: f["sha256"] for f in json.loads(z.read("manifest.json"))["files"]}
    assert all(en_files[e["path"]] == e["sha256"] and e["pack"] == EN for e in doc["shared_media"])
    assert verify_pack_file(ar, GivenKey(trainer.public)).shared_media[0].pack == EN


def test_a_local_copy_with_a_wrong_hash_is_refused_at_build(tmp_path: Path) -> None:
    _, ar = editions(tmp_path)
    (ar / "media").mkdir()
    (ar / "media" / "step002.png").write_bytes(noise_png(40, 30, seed=99))
    (ar / "media" / "step003.png").write_bytes(noise_png(40, 30, seed=3))  # the same bytes: fine
    errors = [str(p) for p in check_source(ar).errors]
    assert len(errors) == 1, errors
    assert errors[0].startswith("pages/01-steps.md line 7: 'media/step002.png' in this folder differs from the copy "
                                f"in '{EN}'")


@pytest.mark.parametrize(("extra", "needle"), [
    ("[x](satchel:org.example.nowhere/pages/a.md)\n", "names the pack 'org.example.nowhere', which pack.toml does "
                                                       "not declare"),
    (f"[x](satchel:{EN}/pages/99-missing.md)\n", f"points to a page that '{EN}' does not have"),
    (f"[x](satchel:{AR}/pages/01-steps.md)\n", "leads into this same pack"),
    ("[x](satchel:Not_An_Id/pages/a.md)\n", "is not a link to another pack's page"),
    ("![x](satchel:org.example.tools-en/media/a.png)\n", "the picture 'satchel:org.example.tools-en/media/a.png' is not allowed"),
])
def test_links_to_other_packs_are_checked(tmp_path: Path, extra: str, needle: str) -> None:
    _, ar = editions(tmp_path, ar_extra="\n" + extra)
    errors = [str(p) for p in check_source(ar).errors]
    assert any(needle in e for e in errors), errors


def test_uses_naming_the_wrong_folder_is_refused(tmp_path: Path) -> None:
    _, ar = editions(tmp_path)
    toml = (ar / "pack.toml").read_text(encoding="utf-8")
    (ar / "pack.toml").write_text(toml.replace('source = "../en"', 'source = "../ar"'), encoding="utf-8")
    assert any("is this pack's own folder" in str(p) for p in check_source(ar).errors)
    write_source(tmp_path / "other", "org.example.other")
    (ar / "pack.toml").write_text(toml.replace('source = "../en"', 'source = "../other"'), encoding="utf-8")
    assert any(f"holds the pack 'org.example.other', not '{EN}'" in str(p) for p in check_source(ar).errors)


def test_shared_pictures_are_shown_once_their_pack_is_in_the_library(
        vault: Vault, store: TrustStore, tmp_path: Path, trainer: KeyPair) -> None:
    en, ar = built(tmp_path, trainer)
    import_pack(vault, ar, store=store)
    paths = [f"media/step{i:03d}.png" for i in range(6)]
    assert library.read_media(vault, AR, paths[0]) is None
    assert library.missing_media_packs(vault, AR, paths) == [(EN, "Tools (English)")]
    import_pack(vault, en, store=store)
    assert library.missing_media_packs(vault, AR, paths) == []
    for i, path in enumerate(paths):
        assert library.read_media(vault, AR, path) == noise_png(40, 30, seed=i)
        assert library.read_media(vault, EN, path) == noise_png(40, 30, seed=i)
    # Each picture is kept once, whatever pack brought it.
    blobs = vault.conn.execute("SELECT count(DISTINCT sha256), count(*) FROM media_blobs").fetchone()
    assert blobs == (6, 6)
    # Both kept packs come back byte for byte, for re-sharing.
    assert library.pack_bytes_reader(vault, EN).read() == en.read_bytes()
    assert library.pack_bytes_reader(vault, AR).read() == ar.read_bytes()
    # Exported with the pack that carries its pictures.
    assert library.media_providers(vault, [AR]) == [EN]
    assert library.media_providers(vault, [EN]) == []


def test_editions_that_both_carry_the_same_pictures_are_kept_once(
        vault: Vault, store: TrustStore, tmp_path: Path, trainer: KeyPair) -> None:
    media = {f"media/p{i}.png": noise_png(60, 40, seed=i) for i in range(4)}
    page = "# P\n\n" + "\n\n".join(f"![Picture {i} of the tool](../media/p{i}.png)" for i in range(4))
    for lang in ("fr", "es"):
        src = write_source(tmp_path / lang, f"org.example.{lang}", language=lang, pages={"pages/a.md": page},
                           media=media)
        build_pack(src, trainer.secret, tmp_path / f"{lang}.satchel")
        import_pack(vault, tmp_path / f"{lang}.satchel", store=store)
    assert vault.conn.execute("SELECT count(*) FROM media_blobs").fetchone()[0] == 4
    for lang in ("fr", "es"):
        assert library.pack_bytes_reader(vault, f"org.example.{lang}").read() == \
            (tmp_path / f"{lang}.satchel").read_bytes()
        assert library.read_media(vault, f"org.example.{lang}", "media/p3.png") == media["media/p3.png"]


def test_an_edition_whose_pictures_the_carrying_pack_lacks_is_refused_at_import(
        vault: Vault, store: TrustStore, tmp_path: Path, trainer: KeyPair) -> None:
    en_src, ar_src = editions(tmp_path)
    build_pack(ar_src, trainer.secret, tmp_path / "ar.satchel")  # made against the first English edition
    (en_src / "media" / "step002.png").write_bytes(noise_png(40, 30, seed=1234))  # a new screenshot
    toml = (en_src / "pack.toml").read_text().replace("version = 1", "version = 2")
    (en_src / "pack.toml").write_text(toml)
    build_pack(en_src, trainer.secret, tmp_path / "en2.satchel")
    import_pack(vault, tmp_path / "en2.satchel", store=store)
    before = vault_snapshot(vault)
    with pytest.raises(PackRejected) as err:
        import_pack(vault, tmp_path / "ar.satchel", store=store)
    assert str(err.value).startswith(f"This pack shows 1 picture(s) from the pack \u201cTools (English)\u201d ({EN}) "
                                     "that your copy of that pack does not have")
    assert vault_snapshot(vault) == before


def test_updating_the_carrying_pack_keeps_pictures_another_edition_shows(
        vault: Vault, store: TrustStore, tmp_path: Path, trainer: KeyPair) -> None:
    en_src, ar_src = editions(tmp_path)
    build_pack(ar_src, trainer.secret, tmp_path / "ar.satchel")
    build_pack(en_src, trainer.secret, tmp_path / "en.satchel")
    import_pack(vault, tmp_path / "en.satchel", store=store)
    import_pack(vault, tmp_path / "ar.satchel", store=store)
    (en_src / "media" / "step002.png").write_bytes(noise_png(40, 30, seed=1234))
    (en_src / "pack.toml").write_text((en_src / "pack.toml").read_text().replace("version = 1", "version = 2"))
    build_pack(en_src, trainer.secret, tmp_path / "en2.satchel")
    import_pack(vault, tmp_path / "en2.satchel", store=store)
    assert library.read_media(vault, AR, "media/step002.png") == noise_png(40, 30, seed=2)
    assert library.read_media(vault, EN, "media/step002.png") == noise_png(40, 30, seed=1234)
    assert library.pack_bytes_reader(vault, EN).read() == (tmp_path / "en2.satchel").read_bytes()


def _vault_bytes(home: Path) -> int:
    return sum(p.stat().st_size for p in home.iterdir() if p.is_file())


def test_two_editions_sharing_media_take_at_most_1_1_times_one_edition(tmp_path: Path, trainer: KeyPair) -> None:
    """The issue's target, measured on real files: 150 screenshot-sized pictures."""
    en, ar = built(tmp_path, trainer, images=150, size=(160, 100))
    sizes = {}
    for name, packs in (("one", [en]), ("two", [en, ar])):
        v = Vault.create(tmp_path / name, "pw", iter_time_ms=5)
        s = TrustStore(v)
        s.add_manual(trainer.public)
        for p in packs:
            import_pack(v, p, store=s)
        v.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        v.close()
        sizes[name] = _vault_bytes(tmp_path / name)
    ratio = sizes["two"] / sizes["one"]
    print(f"vault for one edition {sizes['one']} bytes, two editions {sizes['two']} bytes: ratio {ratio:.3f}")
    assert sizes["one"] > 150 * 160 * 100 * 3  # the pictures really are in it
    assert ratio <= 1.1


def test_usb_export_takes_the_pack_that_carries_the_pictures(vault: Vault, store: TrustStore, tmp_path: Path,
                                                            trainer: KeyPair) -> None:
    from sync.usb_export import vault_packs

    en, ar = built(tmp_path, trainer)
    import_pack(vault, ar, store=store)
    assert [p.id for p in vault_packs(vault, [AR])] == [AR]  # not in the library: the reader says what to get
    import_pack(vault, en, store=store)
    assert [p.id for p in vault_packs(vault, [AR])] == [AR, EN]
