"""Run as a child process by test_memory.py: create a vault, lock it, unlock it, change
its passphrase (a new data key), lock again (the data keys and the keys derived from
both passphrases are what the test looks for), then wait while the test reads this
process's memory from outside (/proc/PID/mem: nothing in here runs meanwhile, so nothing
overwrites what a lock left behind); then search its own memory too (/proc/self/maps and
/proc/self/mem) and print what it found.

The data keys are handed to the test masked (XOR with a random mask sent alongside), so
that no copy of a key exists in this process except those Satchel itself made. The
self-search cannot avoid copies of its own needles: hits inside the needles and the
reading buffer are not counted, and that buffer is zeroed after each read.

Protocol on stdout/stdin, one line each: "keys <mask hex> <masked key hex>..." and
"dumpable <0|1>", then "locked"; the test answers "scan"; then "self <json list>".
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from app import keyfile  # noqa: E402
from app.home import Home  # noqa: E402
from app.vault import Vault  # noqa: E402
from crypto.secure import harden_process, is_dumpable, wipe  # noqa: E402

HEX = b"0123456789abcdef"


def address(buf: bytearray) -> int:
    return ctypes.addressof(ctypes.c_char.from_buffer(buf))


def scan_self(needles: list[bytearray]) -> list[str]:
    chunk = bytearray(1 << 20)
    own = [(address(n), len(n)) for n in needles] + [(address(chunk), len(chunk))]
    view = memoryview(chunk)
    found: list[str] = []
    maps = Path("/proc/self/maps").read_text().splitlines()
    fd = os.open("/proc/self/mem", os.O_RDONLY)
    try:
        for line in maps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            if not m or m.group(3)[0] != "r" or "[vvar" in line or "[vsyscall]" in line:
                continue
            pos, end = int(m.group(1), 16), int(m.group(2), 16)
            while pos < end:
                size = min(len(chunk), end - pos)
                try:
                    got = os.preadv(fd, [view[:size]], pos)
                except OSError:
                    break
                if got <= 0:
                    break
                for n, needle in enumerate(needles):
                    i = chunk.find(needle, 0, got)
                    while i >= 0:
                        if not any(a <= pos + i < a + s for a, s in own):
                            found.append(f"needle {n} at {pos + i:#x}")
                        i = chunk.find(needle, i + 1, got)
                ctypes.memset(address(chunk), 0, len(chunk))
                pos += got if pos + got >= end or got < size else got - 128  # needles may straddle
    finally:
        os.close(fd)
    return found


def main() -> None:
    home = Path(sys.argv[1])
    harden_process()
    mask = bytearray(secrets.token_bytes(32))
    masked: list[bytearray] = []

    def remember(key: bytearray) -> None:
        masked.append(bytearray(b ^ m for b, m in zip(key, mask, strict=True)))

    v = Vault.create(home, "first passphrase", iter_time_ms=5)
    v.set_setting("note", "something private")
    remember(v._key)
    v.close()
    v = Vault.unlock(home, "first passphrase")
    v.change_passphrase("second passphrase")
    remember(v._key)
    v.close()
    with Vault.unlock(home, "second passphrase") as v:
        assert v.get_setting("note") == "something private"
    # The keys Argon2id derives from both passphrases: derived again here (into buffers
    # wiped at once), to look for any copy the unlocks above left behind.
    record = keyfile.read(Home(home)).record
    for passphrase in ("first passphrase", "second passphrase"):
        derived = record.derive(passphrase)
        remember(derived)
        wipe(derived)
    print("keys", mask.hex(), *(k.hex() for k in masked), flush=True)
    print("dumpable", int(bool(is_dumpable())), flush=True)
    print("locked", flush=True)
    if sys.stdin.readline().strip() != "scan":
        return
    needles: list[bytearray] = []
    for k in masked:
        raw = bytearray(b ^ m for b, m in zip(k, mask, strict=True))
        for digits in (HEX, HEX.upper()):
            text = bytearray(64)
            for i, b in enumerate(raw):
                text[2 * i], text[2 * i + 1] = digits[b >> 4], digits[b & 15]
            needles.append(text)
        needles.append(raw)
    print("self", json.dumps(scan_self(needles)), flush=True)


if __name__ == "__main__":
    main()
