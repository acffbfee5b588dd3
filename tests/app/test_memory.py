"""After locking, no data key is left in the process's memory, raw or as hex digits (the
`PRAGMA key` string of earlier versions left two copies), nor any key derived from a
passphrase, and the process is not dumpable. The process is read from outside while it waits (memscan.py), and searches
itself as well."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT, is_root

SCRIPT = Path(__file__).with_name("memscan.py")


def read_memory(pid: int, needles: list[bytes]) -> list[str]:
    found: list[str] = []
    maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            if not m or m.group(3)[0] != "r" or "[vvar" in line or "[vsyscall]" in line:
                continue
            start, end = int(m.group(1), 16), int(m.group(2), 16)
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except (OSError, ValueError):
                continue
            for n, needle in enumerate(needles):
                i = data.find(needle)
                while i >= 0:
                    found.append(f"needle {n} at {start + i:#x} ({line.split()[-1] if len(line.split()) > 5 else 'anon'})")
                    i = data.find(needle, i + 1)
    return found


def test_no_data_key_is_left_in_memory_after_locking(tmp_path: Path) -> None:
    if not is_root():
        pytest.fail("reading another process's memory needs root (CI runs as root)")
    proc = subprocess.Popen([sys.executable, str(SCRIPT), str(tmp_path / "home")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(ROOT))
    try:
        assert proc.stdout is not None and proc.stdin is not None
        lines: dict[str, list[str]] = {}
        while "locked" not in lines:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
            word, *rest = line.split()
            lines[word] = rest
        mask = bytes.fromhex(lines["keys"][0])
        keys = [bytes(a ^ b for a, b in zip(bytes.fromhex(k), mask, strict=True)) for k in lines["keys"][1:]]
        assert len(keys) == 4 and keys[0] != keys[1]  # the passphrase change made a new data key
        needles = [form for k in keys for form in (k, k.hex().encode(), k.hex().upper().encode())]
        outside = read_memory(proc.pid, needles)
        assert lines["dumpable"] == ["0"]  # PR_SET_DUMPABLE 0: no core file, no debugger of the same user
        proc.stdin.write("scan\n")
        proc.stdin.flush()
        reply = proc.stdout.readline().split(maxsplit=1)
        assert reply and reply[0] == "self", proc.stderr.read() if proc.stderr else ""
        inside = json.loads(reply[1])
    finally:
        proc.kill()
        proc.wait()
    assert outside == [], outside
    assert inside == [], inside


def test_the_scan_sees_a_key_that_is_there(tmp_path: Path) -> None:
    """The search is not blind: a key held in a bytearray is found."""
    if not is_root():
        pytest.fail("reading another process's memory needs root (CI runs as root)")
    code = ("import os, sys; k = bytearray(os.urandom(32)); m = bytes(32 * [0x5a]); "
            "print(bytes(a ^ b for a, b in zip(k, m)).hex(), flush=True); sys.stdin.readline()")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        key = bytes(b ^ 0x5A for b in bytes.fromhex(proc.stdout.readline().strip()))
        assert read_memory(proc.pid, [key])
    finally:
        proc.kill()
        proc.wait()
