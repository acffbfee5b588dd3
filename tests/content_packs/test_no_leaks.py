"""After build, import, search and exit, nothing outside the vault holds the imported
text, titles, pack ids or search terms: not the home's other files, not the temporary
folder, not caches or configuration folders. The same flow runs with `satchel` from
source and with the self-contained app (dist/satchel)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import ROOT, KeyPair, write_source

MARKERS = ["quetzalcoatlfeather", "Quetzal title marker", "org.leaktest.unique", "Зеленаясова", "秘密集会地点"]


def scan(folder: Path) -> list[tuple[str, str]]:
    found = []
    for p in folder.rglob("*"):
        if not p.is_file() or p.is_symlink():
            continue
        data = p.read_bytes()
        for m in MARKERS:
            for enc in ("utf-8", "utf-16-le"):
                if m.encode(enc) in data:
                    found.append((str(p), m))
    return found


@pytest.mark.parametrize("satchel", ["source", pytest.param("bundle", marks=pytest.mark.bundle)])
def test_nothing_readable_outside_the_vault(tmp_path: Path, trainer: KeyPair, satchel: str,
                                            request: pytest.FixtureRequest) -> None:
    fake_home = tmp_path / "user"
    tmpdir = tmp_path / "tmp"
    vault_home = fake_home / "vault"
    for d in (fake_home, tmpdir):
        d.mkdir()
    watched = dict(HOME=str(fake_home), TMPDIR=str(tmpdir), SATCHEL_HOME=str(vault_home),
                   XDG_CACHE_HOME=str(fake_home / ".cache"), XDG_CONFIG_HOME=str(fake_home / ".config"),
                   XDG_DATA_HOME=str(fake_home / ".local/share"))
    if satchel == "bundle":  # an empty environment, run from a folder outside the checkout
        command, cwd = [str(request.getfixturevalue("bundle_dir") / "satchel")], tmpdir
        env = dict(watched, PATH="/usr/bin:/bin")
    else:
        command, cwd = [sys.executable, "-m", "app.cli"], ROOT
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", **watched)

    def run(*args: str, stdin: str = "pw\n") -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([*command, *args], input=stdin, capture_output=True,
                              text=True, env=env, cwd=str(cwd))
        assert proc.returncode == 0, proc.stderr
        return proc

    inputs = tmp_path / "inputs"  # the trainer's own files: outside Satchel's care
    src = write_source(inputs / "src", pack_id=MARKERS[2], title=MARKERS[1], pages={
        "pages/a.md": f"# {MARKERS[1]}\n\nThe word {MARKERS[0]} and {MARKERS[3]} and {MARKERS[4]}.\n",
    })
    pack = inputs / "p.satchel"
    run("pack", "build", str(src), "--key", str(trainer.key_path), "--out", str(pack))
    run("init", "--iter-time", "5")
    run("trust", "add", str(trainer.pub_path), "--yes")
    run("import", str(pack))
    out = run("search", MARKERS[0], "--json").stdout
    assert MARKERS[2] in out  # the search really found it
    run("search", MARKERS[4], "--json")
    assert "Did you mean" in run("search", MARKERS[0][:-1] + "x").stdout  # the suggestion path too
    run("list", "--json")
    leaks = scan(fake_home) + scan(tmpdir)
    assert leaks == [], leaks
    assert {p.name for p in vault_home.iterdir()} <= {"data", "data-shm", "data-wal", "key", ".satchel-home"}
    outside = [p for p in [*fake_home.rglob("*"), *tmpdir.rglob("*")] if p.is_file() and vault_home not in p.parents]
    assert outside == [], outside
