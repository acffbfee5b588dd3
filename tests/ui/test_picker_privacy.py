"""The app's file picker remembers nothing: after choosing pack files, a folder of packs
and a trainer's key in a process whose HOME and XDG folders are empty, the only files
anywhere are the vault's own (no QtProject.conf with the folders visited, no
~/.local/share/recently-used.xbel), and none of them holds the names that were chosen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from support import ROOT, make_keypair

FLOW = str(Path(__file__).with_name("picker_flow.py"))


def fresh_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    for var, sub in (("HOME", "home"), ("XDG_CONFIG_HOME", "home/.config"), ("XDG_CACHE_HOME", "home/.cache"),
                     ("XDG_DATA_HOME", "home/.local/share"), ("XDG_STATE_HOME", "home/.local/state"),
                     ("XDG_RUNTIME_DIR", "run"), ("TMPDIR", "tmp")):
        (root / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(root / sub)
    (root / "run").chmod(0o700)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("SATCHEL_DEBUG", None)
    return env


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_the_control_a_bare_qt_file_dialog_leaves_the_folder_it_saw(tmp_path: Path) -> None:
    """Without Satchel's picker, Qt writes the folders visited into the user's config:
    the environment below would catch it."""
    root = tmp_path / "user"
    env = fresh_env(root)
    looked_at = tmp_path / "Secret workshop folder"
    looked_at.mkdir()
    proc = subprocess.run([sys.executable, FLOW, "--plain-dialog", str(looked_at)], env=env, cwd=str(ROOT),
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    conf = root / "home" / ".config" / "QtProject.conf"
    assert conf.exists() and b"Secret%20workshop%20folder" in conf.read_bytes()


def test_choosing_files_in_the_app_leaves_nothing_behind(tmp_path: Path, test_packs: Any) -> None:
    root = tmp_path / "user"
    env = fresh_env(root)
    outside = tmp_path / "Secret workshop folder"
    outside.mkdir()
    pack = outside / "rights-guide.satchel"
    shutil.copyfile(test_packs.paths[0], pack)
    pub = outside / "trainer.pub"
    pub.write_text(test_packs.public.to_text())
    other = make_keypair(tmp_path / "keys", "colleague")
    shutil.copyfile(other.pub_path, outside / "colleague.pub")
    home = root / "home" / ".local" / "share" / "Satchel"
    proc = subprocess.run([sys.executable, FLOW, str(home), str(pack), str(pub),
                           str(outside / "colleague.pub")], env=env, cwd=str(ROOT),
                          capture_output=True, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output.decode(errors="replace")[-3000:]
    files = files_under(root)
    vault = {"home/.local/share/Satchel/key", "home/.local/share/Satchel/data",
             "home/.local/share/Satchel/data-wal", "home/.local/share/Satchel/data-shm",
             "home/.local/share/Satchel/.satchel-home"}  # the empty mark of Satchel's own folder
    assert set(files) <= vault, files
    assert not (root / "home" / ".local" / "share" / "recently-used.xbel").exists()
    assert not (root / "home" / ".config" / "QtProject.conf").exists()
    for f in files:
        raw = (root / f).read_bytes()
        for secret in (b"Secret workshop folder", b"Secret%20workshop", b"rights-guide", b"colleague.pub"):
            assert secret not in raw, (f, secret)
    for secret in (b"Secret workshop folder", b"rights-guide"):
        assert secret not in output
