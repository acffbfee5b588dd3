"""`satchel --self-test` from source (the bundle's own run is in tests/bundle/): one line
per step, a final pass, exit 0, and nothing left in the temporary folder."""

from __future__ import annotations

from pathlib import Path


def test_the_self_test_passes_from_source_and_leaves_nothing(cli, tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    r = cli("--self-test", env={"TMPDIR": str(tmp), "QT_QPA_PLATFORM": ""})
    assert r.code == 0, r.out + r.err
    lines = r.out.strip().splitlines()
    assert lines[0].startswith("Satchel ") and lines[-1] == "Self-test passed."
    assert len([line for line in lines if line.startswith("[")]) == 8
    assert list(tmp.iterdir()) == []


def test_the_self_test_takes_no_command(cli) -> None:
    r = cli("--self-test", "list")
    assert r.code == 2
    assert r.err.strip() == "satchel: --self-test takes no command."
