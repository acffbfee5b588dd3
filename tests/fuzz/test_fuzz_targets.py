"""Every fuzz target (`fuzz_*.py` here) runs under atheris for FUZZ_SECONDS (3 in `make
test`, 60 in `make fuzz`) from its seeds, and fails on a crash, a hang or a memory
blow-up; every saved finding in `regressions/<target>/` is replayed. Adding a target is
adding its file (README.md)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent
TARGETS = sorted(p.stem for p in HERE.glob("fuzz_*.py"))
SECONDS = int(os.environ.get("FUZZ_SECONDS", "3"))


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_there_is_a_target_for_every_parser_of_outside_data() -> None:
    assert {"fuzz_pack", "fuzz_manifest", "fuzz_trust_list", "fuzz_repository_index", "fuzz_sealed",
            "fuzz_markdown"} <= set(TARGETS)


@pytest.mark.parametrize("name", TARGETS)
def test_seeds_and_saved_findings_pass(name: str) -> None:
    """The seeds are valid inputs the target accepts without error, and every finding
    saved under regressions/ stays fixed (run without atheris: plain Python)."""
    target = load(name)
    seeds = target.seeds()
    assert seeds, "a target needs seeds built from real data"
    for data in seeds:
        target.one_input(data)
    for finding in sorted((HERE / "regressions" / name).glob("*")):
        target.one_input(finding.read_bytes())


@pytest.mark.parametrize("name", TARGETS)
def test_target_survives_coverage_guided_fuzzing(name: str, tmp_path: Path) -> None:
    corpus, artifacts = tmp_path / "corpus", tmp_path / "artifacts"
    artifacts.mkdir()
    cmd = [sys.executable, str(HERE / f"{name}.py"), f"-max_total_time={SECONDS}", "-timeout=20",
           "-rss_limit_mb=3072", "-print_final_stats=1", f"-artifact_prefix={artifacts}/", str(corpus)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=SECONDS + 240, cwd=str(HERE.parents[1]))
    found = sorted(artifacts.iterdir())
    assert proc.returncode == 0 and not found, (
        f"{name} found a problem; fix it, then copy {[str(f) for f in found]} into "
        f"tests/fuzz/regressions/{name}/ so it stays fixed.\n{proc.stderr[-4000:]}")
    assert "stat::number_of_executed_units" in proc.stderr, proc.stderr[-2000:]
