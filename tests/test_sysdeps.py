"""Set-up that works on a fresh machine (issue 9, point 1): build/system-packages is the
one list of the system packages Satchel needs. The Makefile, .ci/run and the building
guide refer to it and never name packages themselves, and every system tool the tests
run comes from a package on the list, one it depends on, or Debian's required set."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from support import ROOT

LIST = ROOT / "build" / "system-packages"
# Needed before `make` can run at all (the building guide says to install them first).
PREREQUISITES = {"make", "git"}
# Package names that are also the names of programs, which prose may mention.
PROGRAM_NAMES = {"tor", "minisign", "dbus", "nginx", "curl"}
SUBPROCESS_CALLS = {"run", "Popen", "check_output", "check_call", "call"}


def packages(purpose: str | None = None) -> dict[str, set[str]]:
    rows = {}
    for line in LIST.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, purposes = line.split()[:2]
            rows[name] = set(purposes.split(","))
    return {n: p for n, p in rows.items() if purpose is None or purpose in p}


def test_the_list_is_well_formed_and_sysdeps_reads_it() -> None:
    rows = packages()
    assert len(rows) > 20
    for name, purposes in rows.items():
        assert re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", name), name
        assert purposes <= {"run", "test", "bundle"} and purposes, name
    for purpose in ("run", "test", "bundle"):
        listed = subprocess.run([str(ROOT / "build" / "sysdeps.sh"), "--list", purpose], capture_output=True,
                                text=True, check=True).stdout.split()
        assert sorted(listed) == sorted(packages(purpose)), purpose
    assert {"binutils", "fonts-noto-core"} <= set(packages("bundle"))


def test_the_makefile_ci_and_guide_point_to_the_list_and_name_no_package() -> None:
    names = set(packages()) - PROGRAM_NAMES
    makefile = (ROOT / "Makefile").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    guide = (ROOT / "docs" / "building.md").read_text()
    for text, where in ((makefile, "Makefile"), (ci, ".ci/run"), (guide, "docs/building.md")):
        words = set(re.findall(r"[a-z0-9][a-z0-9+.-]+", text))
        assert not names & words, f"{where} names packages itself: {sorted(names & words)}"
        assert not re.search(r"apt-get install (?!\.\.\.)[a-z]", text), f"{where} installs packages itself"
    assert "build/system-packages" in guide and "build/sysdeps.sh" in guide
    # each make target that needs system packages installs its own purpose's list first
    for target, purpose in (("run", "run"), ("test", "test"), ("bundle", "bundle"), ("bench", "test")):
        line = next(line for line in makefile.splitlines() if line.startswith(f"{target}:"))
        assert f"sysdeps-{purpose}" in line, line
    assert "$(SYSDEPS) bundle" in makefile
    assert "make test" in ci and "make bundle" in ci


def _tools_called_by_tests() -> set[str]:
    """First words of the commands the tests and benchmarks run, and the tools they look up."""
    tools: set[str] = set()
    for path in [*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").glob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = getattr(func.value, "id", "") if isinstance(func, ast.Attribute) else ""
            first = node.args[0]
            if owner == "shutil" and name == "which" and isinstance(first, ast.Constant):
                tools.add(str(first.value))
            elif owner == "subprocess" and name in SUBPROCESS_CALLS and isinstance(first, ast.List) and first.elts:
                head = first.elts[0]
                if isinstance(head, ast.Constant) and isinstance(head.value, str):
                    tools.add(head.value)
    return tools


def _owner(tool: str) -> str | None:
    found = shutil.which(tool, path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    if found is None:
        return None
    candidates = {found, os.path.realpath(found)}
    candidates |= {c.replace("/usr/", "/", 1) for c in list(candidates) if c.startswith("/usr/")}
    for path in sorted(candidates):
        proc = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
        if proc.returncode == 0:
            return proc.stdout.split(":")[0].strip()
    return "?"


def test_every_tool_the_tests_run_comes_from_the_list() -> None:
    if shutil.which("dpkg") is None:
        pytest.skip("package ownership is checked on Debian and Ubuntu (dpkg)")
    tools = _tools_called_by_tests()
    assert {"minisign", "Xvfb", "mount", "unshare", "tar"} <= tools  # the scan really sees the tests' commands
    listed = set(packages("test")) | set(packages("bundle"))
    # what a listed package brings with it (dbus brings dbus-daemon; fusefat brings fuse)
    depends = subprocess.run(["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}\n", *sorted(listed)],
                             capture_output=True, text=True).stdout
    brought = {d.strip().split(" ")[0] for d in re.split(r"[,|]", depends) if d.strip()}
    problems = []
    for tool in sorted(tools):
        if tool in PREREQUISITES or "/" in tool:
            continue
        owner = _owner(tool)
        if owner is None:
            problems.append(f"{tool}: not installed")
            continue
        status = subprocess.run(["dpkg-query", "-W", "-f=${Essential} ${Priority}", owner], capture_output=True,
                                text=True).stdout.split()
        always_there = status[:1] == ["yes"] or status[1:2] == ["required"]  # Debian's essential or required set
        if owner not in listed | brought and not always_there:
            problems.append(f"{tool}: from {owner}, which build/system-packages does not list for tests")
    assert problems == []
