"""`satchel usb ...` run for real (a subprocess) against a real FAT32 stick."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT, KeyPair, assert_one_sentence, tree_bytes
from usb_support import make_pack

pytestmark = pytest.mark.fat32
MiB = 1024 * 1024
PW = "pw\n"


def setup_vault(cli, trainer: KeyPair, home: Path, packs: list[Path] = ()) -> None:
    assert cli("init", "--iter-time", "5", stdin=PW, home_dir=home).code == 0
    r = cli("trust", "add", str(trainer.pub_path), "--yes", stdin=PW, home_dir=home)
    assert r.code == 0, r.err
    for p in packs:
        r = cli("import", str(p), stdin=PW, home_dir=home)
        assert r.code == 0, r.err


def listed(cli, home: Path) -> list[dict]:
    r = cli("list", "--json", stdin=PW, home_dir=home)
    assert r.code == 0, r.err
    return [{k: v for k, v in p.items() if k != "imported_at"} for p in json.loads(r.out)]


@pytest.fixture
def built(tmp_path: Path, trainer: KeyPair) -> list[Path]:
    return [make_pack(tmp_path / "built", trainer, "org.example.alpha", 1, title="Alpha", media=MiB),
            make_pack(tmp_path / "built", trainer, "org.example.beta", 3, title="Beta", language="ar"),
            make_pack(tmp_path / "built", trainer, "org.example.gamma", 2, title="Gamma")]


def test_export_from_one_vault_import_into_another_gives_the_same_list(
        cli, stick, tmp_path, trainer, built) -> None:
    a, b = tmp_path / "trainer-home", tmp_path / "learner-home"
    setup_vault(cli, trainer, a, built)
    setup_vault(cli, trainer, b)
    r = cli("usb", "export", str(stick.path), "--key", str(trainer.key_path), stdin=PW, home_dir=a)
    assert r.code == 0, r.err
    assert "Wrote 3 pack(s)" in r.out and trainer.public.key_id_hex in r.out

    r = cli("usb", "list", stdin="", home_dir=b)                  # no passphrase needed to find sticks
    assert r.code == 0 and str(stick.path) in r.out and "packs in" in r.out
    r = cli("usb", "list", str(stick.path), "--json", stdin=PW, home_dir=b)
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["index"]["status"] == "trusted"
    assert sorted((p["id"], p["state"]) for p in doc["packs"]) == [
        ("org.example.alpha", "new"), ("org.example.beta", "new"), ("org.example.gamma", "new")]

    r = cli("usb", "import", str(stick.path), stdin=PW, home_dir=b)
    assert r.code == 0, r.err
    assert r.out.count("Imported") == 3
    assert listed(cli, b) == listed(cli, a)

    r = cli("usb", "check", str(stick.path), stdin=PW, home_dir=b)
    assert r.code == 0, r.out + r.err
    assert "Everything on the stick is intact (3 pack(s))." in r.out
    r = cli("usb", "check", str(stick.path), "--trust", str(trainer.pub_path), stdin="", home_dir=b)
    assert r.code == 0, r.out + r.err
    r = cli("usb", "import", str(stick.path), stdin=PW, home_dir=b)
    assert r.code == 0 and "Nothing new" in r.out


def test_top_up_through_the_command_line(cli, stick, tmp_path, trainer, built) -> None:
    a, b = tmp_path / "trainer-home", tmp_path / "learner-home"
    setup_vault(cli, trainer, a, built)
    setup_vault(cli, trainer, b)
    assert cli("usb", "export", str(stick.path), stdin=PW, home_dir=a).code == 0
    assert cli("usb", "import", str(stick.path), stdin=PW, home_dir=b).code == 0
    v2 = make_pack(tmp_path / "v", trainer, "org.example.gamma", 3, title="Gamma")
    assert cli("import", str(v2), stdin=PW, home_dir=a).code == 0
    r = cli("usb", "export", str(stick.path), stdin=PW, home_dir=a)
    assert r.code == 0 and "Wrote 1 pack(s)" in r.out and "2 were already there" in r.out
    assert "removed 1 old" in r.out and "not signed" in r.out
    r = cli("usb", "list", str(stick.path), "--json", stdin=PW, home_dir=b)
    states = {p["id"]: p["state"] for p in json.loads(r.out)["packs"]}
    assert states == {"org.example.alpha": "have", "org.example.beta": "have", "org.example.gamma": "update"}
    r = cli("usb", "import", str(stick.path), "org.example.gamma", stdin=PW, home_dir=b)
    assert r.code == 0 and "Updated org.example.gamma version 3." in r.out
    assert listed(cli, b) == listed(cli, a)


def test_check_and_import_report_a_tampered_pack(cli, stick, tmp_path, trainer, built) -> None:
    a, b = tmp_path / "trainer-home", tmp_path / "learner-home"
    setup_vault(cli, trainer, a, built)
    setup_vault(cli, trainer, b)
    assert cli("usb", "export", str(stick.path), stdin=PW, home_dir=a).code == 0
    victim = max((stick.path / "DATA").glob("*.bin"), key=lambda p: p.stat().st_size)
    with open(victim, "r+b") as f:
        f.seek(victim.stat().st_size // 2)
        f.write(b"\0\1\2")
    r = cli("usb", "check", str(stick.path), stdin=PW, home_dir=b)
    assert r.code == 1
    assert re.search(rf"^damaged\s+{victim.name}", r.out, re.M), r.out
    assert_one_sentence(r.err)
    r = cli("usb", "check", str(stick.path), "--json", stdin=PW, home_dir=b)
    assert r.code == 1 and json.loads(r.out)["intact"] is False
    r = cli("usb", "import", str(stick.path), stdin=PW, home_dir=b)
    assert r.code == 1
    assert victim.name in r.err and r.out.count("Imported") == 2
    assert "Traceback" not in r.err


def test_failures_are_one_sentence_and_leave_the_stick_alone(cli, fat_stick, tmp_path, trainer, built) -> None:
    a = tmp_path / "trainer-home"
    setup_vault(cli, trainer, a, built)
    stick = fat_stick(40)
    before = tree_bytes(stick.path)
    r = cli("usb", "export", str(stick.path), "org.example.nothere", stdin=PW, home_dir=a)
    assert r.code == 1 and tree_bytes(stick.path) == before
    assert_one_sentence(r.err)

    st = os.statvfs(stick.path)
    with open(stick.path / "film.mkv", "wb") as f:
        f.write(b"\0" * (st.f_ffree * 512 - 512 * 1024))
    before = tree_bytes(stick.path)
    r = cli("usb", "export", str(stick.path), stdin=PW, home_dir=a)
    assert r.code == 1 and "nothing was written" in r.err and tree_bytes(stick.path) == before
    assert_one_sentence(r.err)

    stick.remount(read_only=True)
    r = cli("usb", "export", str(stick.path), stdin=PW, home_dir=a)
    assert r.code == 1 and "read-only" in r.err
    assert_one_sentence(r.err)
    r = cli("usb", "check", str(stick.path), stdin=PW, home_dir=a)
    assert r.code == 1
    assert_one_sentence(r.err)                                  # "There are no Satchel packs in ..."
    r = cli("usb", "import", str(tmp_path / "nowhere"), stdin=PW, home_dir=a)
    assert r.code == 1
    assert_one_sentence(r.err)


def test_sealed_stick_through_the_command_line(cli, stick, tmp_path, trainer, built) -> None:
    a, b = tmp_path / "trainer-home", tmp_path / "learner-home"
    setup_vault(cli, trainer, a, built)
    setup_vault(cli, trainer, b)
    r = cli("usb", "export", str(stick.path), "--sealed", stdin=PW + "heron\n", home_dir=a)
    assert r.code == 0, r.err
    (sealed,) = os.listdir(stick.path)
    assert re.match(r"^[0-9a-f]{8}\.dat$", sealed)
    r = cli("usb", "import", str(stick.path), stdin=PW + "wrong\n", home_dir=b)
    assert r.code == 1
    assert_one_sentence(r.err)
    r = cli("usb", "import", str(stick.path), stdin=PW + "heron\n", home_dir=b)
    assert r.code == 0, r.err
    assert listed(cli, b) == listed(cli, a)
    r = cli("usb", "check", str(stick.path / sealed), "--trust", str(trainer.pub_path), stdin="heron\n")
    assert r.code == 0, r.out + r.err


MARKERS = ["quetzalfeathermark", "Quetzal title marker", "org.leaktest.unique", "Зеленаясова", "秘密集会"]


def test_nothing_readable_outside_the_vault_or_in_names_on_the_stick(stick, tmp_path, trainer) -> None:
    """After export and import through the command line, no name on the stick and no file
    in the temporary folder, the user's folders or the homes holds a title, id or text."""
    from support import write_source

    from content_packs.build import build_pack

    user, tmpdir = tmp_path / "user", tmp_path / "tmp"
    user.mkdir()
    tmpdir.mkdir()
    env = dict(os.environ, HOME=str(user), TMPDIR=str(tmpdir), XDG_CACHE_HOME=str(user / ".cache"),
               XDG_CONFIG_HOME=str(user / ".config"), XDG_DATA_HOME=str(user / ".local/share"),
               PYTHONDONTWRITEBYTECODE="1")
    src = write_source(tmp_path / "inputs" / "src", pack_id=MARKERS[2], title=MARKERS[1], language="ru",
                       pages={"pages/a.md": f"# {MARKERS[1]}\n\n{MARKERS[0]} {MARKERS[3]} {MARKERS[4]}\n"})
    pack = tmp_path / "inputs" / "p.satchel"
    build_pack(src, trainer.secret, pack)

    def run(home: Path, *args: str, stdin: str = PW) -> str:
        proc = subprocess.run([sys.executable, "-m", "app.cli", *args], input=stdin, capture_output=True,
                              text=True, env=dict(env, SATCHEL_HOME=str(home)), cwd=str(ROOT))
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    for home in (user / "a", user / "b"):
        run(home, "init", "--iter-time", "5")
        run(home, "trust", "add", str(trainer.pub_path), "--yes")
    run(user / "a", "import", str(pack))
    run(user / "a", "usb", "export", str(stick.path), "--key", str(trainer.key_path))
    run(user / "b", "usb", "list", str(stick.path))
    run(user / "b", "usb", "import", str(stick.path))
    assert MARKERS[2] in run(user / "b", "list", "--json")
    run(user / "b", "usb", "check", str(stick.path))

    names = [p.name for p in stick.path.rglob("*")]
    assert names and all(re.match(r"^(DATA|[0-9a-f]{16}\.bin|index\.json(\.minisig)?)$", n) for n in names), names
    for folder in (user, tmpdir):
        for p in folder.rglob("*"):
            if p.is_file() and not p.is_symlink():
                data = p.read_bytes()
                for m in MARKERS:
                    assert m.encode() not in data and m.encode("utf-16-le") not in data, (p, m)
    assert list(tmpdir.iterdir()) == []
