"""Nothing readable leaves the vault: after a whole session in a process whose HOME, XDG
folders and temporary folder are empty, the only files anywhere are the vault's own,
none holds a title, a search term, a note or a pack id in the clear, and the process's
output (logging at DEBUG) holds none of them either."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from support import ROOT

SECRETS = [
    "SECRETQUERYWORD",
    "SECRETFINDWORD",
    "PRIVATENOTETEXT",
    "org.test.ar",
    "Safety course",
    "دليل الحقوق",
    "自由",
    "example.org",
    "Securing your laptop",
    "org.satchel.starter",
]


def test_a_whole_session_leaves_only_the_vault(tmp_path: Path, test_packs: Any) -> None:
    root = tmp_path / "user"
    env = dict(os.environ)
    for var, sub in (
        ("HOME", "home"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_RUNTIME_DIR", "run"),
        ("TMPDIR", "tmp"),
    ):
        (root / sub).mkdir(parents=True)
        env[var] = str(root / sub)
    (root / "run").chmod(0o700)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("SATCHEL_DEBUG", None)
    home = root / "data" / "Satchel"
    pub = tmp_path / "trainer.pub"
    pub.write_text(test_packs.public.to_text())
    proc = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("privacy_flow.py")),
            str(home),
            str(pub),
            *map(str, test_packs.paths),
        ],
        env=env,
        cwd=str(ROOT),
        capture_output=True,
        timeout=300,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output.decode(errors="replace")[-3000:]
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    allowed = {"data/Satchel/key", "data/Satchel/data", "data/Satchel/data-wal", "data/Satchel/data-shm",
               "data/Satchel/.satchel-home"}
    assert set(files) <= allowed, files
    assert "data/Satchel/key" in files
    for f in files:
        raw = (root / f).read_bytes()
        for s in SECRETS:
            assert s.encode() not in raw, (f, s)
    for s in SECRETS:
        assert s.encode() not in output, s
