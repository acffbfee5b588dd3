"""Building packs from a trainer's folder: strict validation, deterministic output,
and signatures the reference minisign tool accepts (and the reverse)."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from support import KeyPair, write_source

from app.trust import GivenKey
from content_packs.build import build_pack
from content_packs.errors import SourceError
from content_packs.manifest import parse_trusted_comment
from content_packs.verify import verify_pack_file

MINISIGN = shutil.which("minisign")


def built(tmp_path: Path, trainer: KeyPair, **kw) -> Path:
    src = write_source(tmp_path / "src", **kw)
    out = tmp_path / "pack.satchel"
    build_pack(src, trainer.secret, out)
    return out


def test_layout_of_a_built_pack(tmp_path: Path, trainer: KeyPair) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    out = built(tmp_path, trainer, pages={"pages/intro.md": "# Hi\n\n![map](../media/map.png)\n"},
                media={"media/map.png": png})
    with zipfile.ZipFile(out) as z:
        names = [i.filename for i in z.infolist()]
        assert names[:2] == ["manifest.json", "manifest.json.minisig"]
        assert sorted(names[2:]) == ["media/map.png", "pages/intro.md"]
        manifest = json.loads(z.read("manifest.json"))
        assert z.getinfo("media/map.png").compress_type == zipfile.ZIP_STORED
        sig = z.read("manifest.json.minisig").decode()
    assert manifest["id"] == "org.example.guide" and manifest["signer"] == trainer.public.key_id_hex
    assert {f["path"] for f in manifest["files"]} == {"media/map.png", "pages/intro.md"}
    trusted = sig.splitlines()[2].removeprefix("trusted comment: ")
    assert parse_trusted_comment(trusted)[:2] == ("org.example.guide", 1)
    assert verify_pack_file(out, GivenKey(trainer.public)).id == "org.example.guide"


def test_same_folder_and_key_give_the_same_bytes_but_the_timestamp(tmp_path: Path, trainer: KeyPair) -> None:
    src = write_source(tmp_path / "src")
    a, b = tmp_path / "a.satchel", tmp_path / "b.satchel"
    build_pack(src, trainer.secret, a, timestamp=1_700_000_000)
    build_pack(src, trainer.secret, b, timestamp=1_700_000_000)
    assert a.read_bytes() == b.read_bytes()
    build_pack(src, trainer.secret, b, timestamp=1_800_000_000)
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        for name in za.namelist():
            if name != "manifest.json.minisig":
                assert za.read(name) == zb.read(name)


@pytest.mark.skipif(MINISIGN is None, reason="the minisign tool is installed by .ci/run")
def test_reference_minisign_accepts_the_manifest(tmp_path: Path, trainer: KeyPair) -> None:
    out = built(tmp_path, trainer)
    with zipfile.ZipFile(out) as z:
        (tmp_path / "manifest.json").write_bytes(z.read("manifest.json"))
        (tmp_path / "manifest.json.minisig").write_bytes(z.read("manifest.json.minisig"))
    proc = subprocess.run([MINISIGN, "-V", "-H", "-p", str(trainer.pub_path), "-m", str(tmp_path / "manifest.json")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    # And it notices tampering.
    (tmp_path / "manifest.json").write_bytes(b" " + (tmp_path / "manifest.json").read_bytes())
    proc = subprocess.run([MINISIGN, "-V", "-H", "-p", str(trainer.pub_path), "-m", str(tmp_path / "manifest.json")],
                          capture_output=True, text=True)
    assert proc.returncode != 0


@pytest.mark.skipif(MINISIGN is None, reason="the minisign tool is installed by .ci/run")
def test_a_manifest_signed_by_the_minisign_tool_is_accepted(tmp_path: Path) -> None:
    """A publisher may sign with the standard minisign tool and its own key files."""
    kdir = tmp_path / "mk"
    kdir.mkdir()
    subprocess.run([MINISIGN, "-G", "-W", "-p", str(kdir / "pub.pub"), "-s", str(kdir / "sec.key")],
                   check=True, capture_output=True)
    from crypto import minisign
    sk = minisign.secret_key_from_text((kdir / "sec.key").read_text(), None)
    src = write_source(tmp_path / "src")
    ours = tmp_path / "ours.satchel"
    build_pack(src, sk, ours)
    with zipfile.ZipFile(ours) as z:
        manifest = z.read("manifest.json")
        members = [(n, z.read(n)) for n in z.namelist() if not n.startswith("manifest.json")]
    (tmp_path / "manifest.json").write_bytes(manifest)
    subprocess.run([MINISIGN, "-S", "-s", str(kdir / "sec.key"), "-m", str(tmp_path / "manifest.json"),
                    "-t", "satchel-pack id=org.example.guide version=1 time=1700000000"],
                   check=True, capture_output=True, input=b"")
    theirs = tmp_path / "theirs.satchel"
    with zipfile.ZipFile(theirs, "w") as z:
        z.writestr("manifest.json", manifest)
        z.writestr("manifest.json.minisig", (tmp_path / "manifest.json.minisig").read_bytes())
        for name, data in members:
            z.writestr(name, data)
    pub = minisign.PublicKey.from_text((kdir / "pub.pub").read_text())
    assert verify_pack_file(theirs, GivenKey(pub)).version == 1


@pytest.mark.parametrize("toml,needle", [
    ('[pack]\nversion = 1\ntitle = "t"\nlanguage = "en"\nkind = "guide"\n', "missing the field 'id'"),
    ('[pack]\nid = "org.x.y"\nversion = "1"\ntitle = "t"\nlanguage = "en"\nkind = "guide"\n', "'version' must be a int"),
    ('[pack]\nid = "org.x.y"\nversion = true\ntitle = "t"\nlanguage = "en"\nkind = "guide"\n', "'version' must be a int"),
    ('[pack]\nid = "Org.X"\nversion = 1\ntitle = "t"\nlanguage = "en"\nkind = "guide"\n', "reverse-DNS"),
    ('[pack]\nid = "org.x.y"\nversion = 1\ntitle = "t"\nlanguage = "english!"\nkind = "guide"\n', "BCP 47"),
    ('[pack]\nid = "org.x.y"\nversion = 1\ntitle = "t"\nlanguage = "en"\nkind = "novel"\n', "'kind'"),
    ('[pack]\nid = "org.x.y"\nversion = 1\ntitle = 5\nlanguage = "en"\nkind = "guide"\n', "'title' must be a str"),
    ('[pack]\nid = "org.x.y"\nversion = 1\ntitle = "t"\nlanguage = "en"\nkind = "guide"\nauthor = "me"\n', "unknown field 'author'"),
    ('[pack]\nid = "org.x.y"\nversion = 1\ntitle = "t"\nlanguage = "en"\nkind = "guide"\n', "[[chapters]]"),
    ('this is = not toml [', "not valid TOML"),
])
def test_pack_toml_errors_name_the_file_and_field(tmp_path: Path, trainer: KeyPair, toml: str, needle: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "pack.toml").write_text(toml)
    with pytest.raises(SourceError) as err:
        build_pack(src, trainer.secret, tmp_path / "out.satchel")
    assert "pack.toml" in str(err.value) and needle in str(err.value), str(err.value)
    assert not (tmp_path / "out.satchel").exists()


@pytest.mark.parametrize("page,needle", [
    ("# T\n\n[click](javascript:alert(1))\n", "not allowed"),
    ("# T\n\n<javascript:alert(1)>\n", "not allowed"),
    ("# T\n\n![x](https://tracker.example/pixel.png)\n", "remote images are never loaded"),
    ("# T\n\n![x](../media/missing.png)\n", "does not exist"),
    ("# T\n\n![x](../../outside.png)\n", "inside the pack folder"),
    ("# T\n\n[next](nowhere.md)\n", "not listed in pack.toml"),
    ("No heading here.\n", "needs a heading"),
])
def test_page_errors_name_the_page(tmp_path: Path, trainer: KeyPair, page: str, needle: str) -> None:
    src = write_source(tmp_path / "src", pages={"pages/a.md": page})
    (tmp_path / "outside.png").write_bytes(b"\x89PNG")
    with pytest.raises(SourceError) as err:
        build_pack(src, trainer.secret, tmp_path / "out.satchel")
    assert "pages/a.md" in str(err.value) and needle in str(err.value), str(err.value)


def test_listed_page_that_does_not_exist(tmp_path: Path, trainer: KeyPair) -> None:
    src = write_source(tmp_path / "src", chapters=[("One", ["pages/intro.md", "pages/ghost.md"])])
    with pytest.raises(SourceError) as err:
        build_pack(src, trainer.secret, tmp_path / "out.satchel")
    assert "pages/ghost.md" in str(err.value) and "does not exist" in str(err.value)


def test_symlinked_page_is_refused(tmp_path: Path, trainer: KeyPair) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("# Not for the pack\n")
    src = write_source(tmp_path / "src", pages={"pages/a.md": "# A\n"})
    (src / "pages" / "a.md").unlink()
    (src / "pages" / "a.md").symlink_to(secret)
    with pytest.raises(SourceError) as err:
        build_pack(src, trainer.secret, tmp_path / "out.satchel")
    assert "link" in str(err.value)


def test_oversized_media_is_refused(tmp_path: Path, trainer: KeyPair) -> None:
    from content_packs.limits import Limits
    src = write_source(tmp_path / "src", pages={"pages/a.md": "# A\n\n![big](../media/big.png)\n"},
                       media={"media/big.png": b"\x89PNG" + b"\0" * 5000})
    with pytest.raises(SourceError) as err:
        build_pack(src, trainer.secret, tmp_path / "out.satchel", limits=Limits(media_bytes=1000))
    assert "media/big.png" in str(err.value) and "larger than the limit" in str(err.value)


def test_names_differing_only_in_case(tmp_path: Path, trainer: KeyPair) -> None:
    src = write_source(tmp_path / "src", pages={"pages/a.md": "# A\n", "pages/A.md": "# B\n"})
    with pytest.raises(SourceError) as err:
        build_pack(src, trainer.secret, tmp_path / "out.satchel")
    assert "differ only in case" in str(err.value)


def test_broken_quiz_is_refused(tmp_path: Path, trainer: KeyPair) -> None:
    quiz = "# Quiz\n\n## Which?\n- [ ] a\n- [ ] b\n"
    src = write_source(tmp_path / "src", kind="course", pages={"pages/q.quiz.md": quiz})
    with pytest.raises(SourceError) as err:
        build_pack(src, trainer.secret, tmp_path / "out.satchel")
    assert "pages/q.quiz.md" in str(err.value) and "exactly one" in str(err.value)
