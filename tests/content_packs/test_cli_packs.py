"""The command line for keys, packs, trust, import and search."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from support import KeyPair, assert_one_sentence, make_keypair, tree_bytes, write_source

from crypto import minisign


def init(cli) -> None:
    assert cli("init", "--iter-time", "5", stdin="pw\n").code == 0


def test_keys_generate_writes_minisign_files(cli, tmp_path: Path) -> None:
    r = cli("keys", "generate", "--out", str(tmp_path / "me"), "--no-passphrase")
    assert r.code == 0, r.err
    sk = minisign.secret_key_from_text((tmp_path / "me.key").read_text(), None)
    pub = minisign.PublicKey.from_text((tmp_path / "me.pub").read_text())
    assert sk.public == pub
    assert (tmp_path / "me.key").stat().st_mode & 0o077 == 0
    assert pub.fingerprint() in r.out
    again = cli("keys", "generate", "--out", str(tmp_path / "me"), "--no-passphrase")
    assert again.code == 1
    assert_one_sentence(again.err)


def test_keys_generate_with_passphrase_and_build_with_it(cli, tmp_path: Path) -> None:
    r = cli("keys", "generate", "--out", str(tmp_path / "me"), stdin="secret words\n")
    assert r.code == 0, r.err
    assert minisign.key_needs_passphrase((tmp_path / "me.key").read_text())
    src = write_source(tmp_path / "src")
    r = cli("pack", "build", str(src), "--key", str(tmp_path / "me.key"), "--out", str(tmp_path / "p.satchel"),
            stdin="wrong words\n")
    assert r.code == 1 and not (tmp_path / "p.satchel").exists()
    assert_one_sentence(r.err)
    r = cli("pack", "build", str(src), "--key", str(tmp_path / "me.key"), "--out", str(tmp_path / "p.satchel"),
            stdin="secret words\n")
    assert r.code == 0, r.err
    r = cli("pack", "verify", str(tmp_path / "p.satchel"), "--trust", str(tmp_path / "me.pub"))
    assert r.code == 0 and "Valid" in r.out


def test_verify_exit_status(cli, tmp_path: Path, trainer: KeyPair) -> None:
    src = write_source(tmp_path / "src")
    pack = tmp_path / "p.satchel"
    assert cli("pack", "build", str(src), "--key", str(trainer.key_path), "--out", str(pack)).code == 0
    assert cli("pack", "verify", str(pack), "--trust", str(trainer.pub_path)).code == 0
    other = make_keypair(tmp_path / "k", "other")
    r = cli("pack", "verify", str(pack), "--trust", str(other.pub_path))
    assert r.code == 1
    assert_one_sentence(r.err)
    bad = tmp_path / "bad.satchel"
    with zipfile.ZipFile(pack) as z, zipfile.ZipFile(bad, "w") as out:
        for info in z.infolist():
            data = z.read(info)
            out.writestr(info, data.replace(b"Stay safe", b"Stay SAFE"))
    r = cli("pack", "verify", str(bad), "--trust", str(trainer.pub_path))
    assert r.code == 1
    assert_one_sentence(r.err)


def test_inspect(cli, tmp_path: Path, trainer: KeyPair) -> None:
    src = write_source(tmp_path / "src", title="Guía de seguridad", language="es")
    pack = tmp_path / "p.satchel"
    cli("pack", "build", str(src), "--key", str(trainer.key_path), "--out", str(pack))
    r = cli("pack", "inspect", str(pack), "--json")
    assert r.code == 0, r.err
    info = json.loads(r.out)
    assert (info["id"], info["version"], info["title"], info["language"]) == (
        "org.example.guide", 1, "Guía de seguridad", "es")
    assert info["signer"] == trainer.public.key_id_hex
    assert {f["path"] for f in info["files"]} == {"pages/intro.md", "pages/second.md"}
    r = cli("pack", "inspect", str(pack))
    assert r.code == 0 and "Guía de seguridad" in r.out


def test_trust_add_list_remove_and_import(cli, home: Path, tmp_path: Path, trainer: KeyPair) -> None:
    init(cli)
    src = write_source(tmp_path / "src")
    pack = tmp_path / "p.satchel"
    cli("pack", "build", str(src), "--key", str(trainer.key_path), "--out", str(pack))
    r = cli("import", str(pack), stdin="pw\n")
    assert r.code == 1 and "do not trust" in r.err
    assert_one_sentence(r.err)
    r = cli("trust", "add", str(trainer.pub_path), stdin="pw\nno\n")
    assert r.code == 1 and trainer.public.fingerprint() in r.out
    r = cli("trust", "add", str(trainer.pub_path), stdin="pw\nyes\n")
    assert r.code == 0, r.err
    r = cli("trust", "list", "--json", stdin="pw\n")
    keys = json.loads(r.out)["keys"]
    assert trainer.public.key_id_hex in {k["key_id"] for k in keys if k["source"] == "manual"}
    assert any(k["source"] == "sample" for k in keys)
    r = cli("import", str(pack), stdin="pw\n")
    assert r.code == 0 and "Imported org.example.guide version 1" in r.out
    r = cli("list", "--json", stdin="pw\n")
    [p] = json.loads(r.out)
    assert {"id", "version", "title", "language"} <= set(p)
    assert (p["id"], p["version"], p["title"], p["language"]) == ("org.example.guide", 1, "A guide", "en")
    before = tree_bytes(home)
    r = cli("import", str(pack), stdin="pw\n")
    assert r.code == 1 and "already known" in r.err
    assert_one_sentence(r.err)
    assert cli("trust", "remove", trainer.public.key_id_hex, stdin="pw\n").code == 0
    r = cli("trust", "remove", "nonsense", stdin="pw\n")
    assert r.code == 1
    assert_one_sentence(r.err)
    _ = before


def test_import_folder_reports_each_pack(cli, tmp_path: Path, trainer: KeyPair) -> None:
    init(cli)
    cli("trust", "add", str(trainer.pub_path), "--yes", stdin="pw\n")
    folder = tmp_path / "stick"
    folder.mkdir()
    for name in ("one", "two"):
        src = write_source(tmp_path / name, pack_id=f"org.example.{name}")
        cli("pack", "build", str(src), "--key", str(trainer.key_path), "--out", str(folder / f"{name}.satchel"))
    (folder / "broken.satchel").write_bytes(b"PK\x03\x04 not really")
    r = cli("import", str(folder), stdin="pw\n")
    assert r.code == 1
    assert "one.satchel: installed" in r.out and "two.satchel: installed" in r.out
    assert "broken.satchel:" in r.err
    r = cli("search", "safe", "--json", stdin="pw\n")
    assert {h["pack"] for h in json.loads(r.out)} == {"org.example.one", "org.example.two"}


def test_build_errors_are_one_sentence(cli, tmp_path: Path, trainer: KeyPair) -> None:
    src = write_source(tmp_path / "src", pages={"pages/a.md": "# A\n\n[x](javascript:alert(1))\n"})
    r = cli("pack", "build", str(src), "--key", str(trainer.key_path), "--out", str(tmp_path / "o.satchel"))
    assert r.code == 1 and "pages/a.md" in r.err
    assert_one_sentence(r.err)
    r = cli("pack", "build", str(tmp_path / "nowhere"), "--key", str(trainer.key_path), "--out", str(tmp_path / "o.satchel"))
    assert r.code == 1
    assert_one_sentence(r.err)
    r = cli("pack", "build", str(src), "--key", str(tmp_path / "missing.key"), "--out", str(tmp_path / "o.satchel"))
    assert r.code == 1
    assert_one_sentence(r.err)


def test_keys_fingerprint_shows_what_the_owner_reads_aloud(cli, tmp_path: Path) -> None:
    from crypto import minisign

    made = cli("keys", "generate", "--out", str(tmp_path / "pub"), "--no-passphrase")
    assert made.code == 0
    key = minisign.PublicKey.from_text((tmp_path / "pub.pub").read_text())
    r = cli("keys", "fingerprint", str(tmp_path / "pub.pub"))
    assert r.code == 0, r.err
    assert r.out.splitlines() == [f"Key id {key.key_id_hex}", f"Fingerprint: {key.fingerprint()}"]
    groups = key.fingerprint().split(" ")
    assert len(groups) == 12 and all(len(g) == 5 and g.isdigit() for g in groups)
    bad = cli("keys", "fingerprint", str(tmp_path / "pub.key"))  # a secret key is not a public key
    assert bad.code == 1 and "Traceback" not in bad.err and len(bad.err.strip().splitlines()) == 1
