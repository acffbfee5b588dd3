"""The command line for the vault: init, passwd, duress, list, wipe (DESIGN.md contract)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from support import ROOT, assert_one_sentence, tree_bytes


def sizes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in folder.iterdir() if not p.name.endswith(("-wal", "-shm"))}


def test_acceptance_sequence(cli, home: Path, tmp_path: Path) -> None:
    r = cli("init", "--iter-time", "5", stdin="pw\n")
    assert r.code == 0, r.err
    r = cli("list", "--json", stdin="pw\n")
    assert r.code == 0 and json.loads(r.out) == []
    plain_sizes = sizes(home)

    other = tmp_path / "other"
    assert cli("init", "--iter-time", "5", stdin="pw\n", home_dir=other).code == 0
    r = cli("duress", "set", stdin="pw\nduress\n", home_dir=other)
    assert r.code == 0, r.err
    assert sizes(other) == plain_sizes

    r = cli("wipe", "--yes")
    assert r.code == 0
    assert not home.exists() or list(home.iterdir()) == []
    r = cli("list", stdin="pw\n")
    assert r.code == 1
    assert_one_sentence(r.err)


def test_duress_unlock_output_matches_a_normal_unlock(cli, home: Path) -> None:
    cli("init", "--iter-time", "5", stdin="pw\n")
    cli("duress", "set", stdin="pw\nduress\n")
    normal = cli("list", "--json", stdin="pw\n")
    duress = cli("list", "--json", stdin="duress\n")
    assert (normal.code, normal.out, normal.err) == (duress.code, duress.out, duress.err)
    # The vault passphrase no longer opens anything: the duress unlock replaced the vault.
    r = cli("list", stdin="pw\n")
    assert r.code == 1 and "does not open" in r.err


def test_passwd(cli, home: Path) -> None:
    cli("init", "--iter-time", "5", stdin="pw\n")
    r = cli("passwd", stdin="pw\nnew\n")
    assert r.code == 0, r.err
    assert cli("list", stdin="new\n").code == 0
    r = cli("list", stdin="pw\n")
    assert r.code == 1
    assert_one_sentence(r.err)


def test_duress_clear(cli) -> None:
    cli("init", "--iter-time", "5", stdin="pw\n")
    cli("duress", "set", stdin="pw\nd\n")
    r = cli("duress", "clear", stdin="pw\n")
    assert r.code == 0 and "removed" in r.out
    assert cli("list", stdin="d\n").code == 1


def test_expected_failures_are_one_sentence(cli, home: Path) -> None:
    r = cli("list", stdin="pw\n")
    assert r.code == 1
    assert_one_sentence(r.err)
    cli("init", "--iter-time", "5", stdin="pw\n")
    before = tree_bytes(home)
    for args, stdin in [
        (("init",), "pw\n"),               # a vault is already there
        (("list",), "wrong\n"),            # wrong passphrase
        (("list",), "\n"),                 # empty passphrase
        (("list",), ""),                   # no passphrase at all
        (("passwd",), "pw\n"),             # the new passphrase is missing
        (("duress", "set"), "pw\npw\n"),   # duress equal to the vault passphrase
    ]:
        r = cli(*args, stdin=stdin)
        assert r.code == 1, (args, r.out, r.err)
        assert_one_sentence(r.err)
    assert tree_bytes(home) == before


def test_bad_flags_exit_2_with_one_sentence(cli, home: Path) -> None:
    for args in [("frobnicate",), ("init", "--iter-time", "soon"), ("list", "--limit")]:
        r = cli(*args, stdin="pw\n")
        assert r.code == 2, args
        assert_one_sentence(r.err)
    r = cli("init", "--iter-time", "0", stdin="pw\n")
    assert r.code == 1
    assert_one_sentence(r.err)
    assert not home.exists()


def test_home_flag_overrides_environment(cli, tmp_path: Path) -> None:
    target = tmp_path / "flag-home"
    r = cli("--home", str(target), "init", "--iter-time", "5", stdin="pw\n")
    assert r.code == 0
    assert (target / "key").exists()


def test_wipe_asks_without_yes(cli, home: Path) -> None:
    cli("init", "--iter-time", "5", stdin="pw\n")
    r = cli("wipe", stdin="n\n")
    assert r.code == 1 and (home / "key").exists()
    r = cli("wipe", stdin="yes\n")
    assert r.code == 0 and not (home / "key").exists()


def test_wipe_needs_no_passphrase_and_is_harmless_twice(cli, home: Path) -> None:
    cli("init", "--iter-time", "5", stdin="pw\n")
    assert cli("wipe", "--yes").code == 0
    r = cli("wipe", "--yes")
    assert r.code == 0 and "nothing" in r.out.lower()


def test_version(cli) -> None:
    r = cli("--version")
    assert r.code == 0 and r.out.startswith("Satchel ")


def test_passwd_killed_midway_keeps_one_working_passphrase(cli, home: Path) -> None:
    """Kill `satchel passwd` at random moments: the old or the new passphrase always works."""
    cli("init", "--iter-time", "200", stdin="old\n")
    rng = random.Random(7)
    current = "old"
    for attempt in range(6):
        env = dict(os.environ, SATCHEL_HOME=str(home))
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "passwd"], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=str(ROOT))
        new = f"new{attempt}"
        assert proc.stdin is not None
        proc.stdin.write(f"{current}\n{new}\n".encode())
        proc.stdin.close()
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        works = [p for p in (current, new) if cli("list", stdin=f"{p}\n").code == 0]
        assert len(works) == 1, (attempt, works)
        current = works[0]
        # A key file half-written by the killed process is destroyed by the next unlock.
        assert not [p for p in home.iterdir() if p.name.startswith(".tmp")]


def test_wipe_after_from_the_command_line(cli, home: Path) -> None:
    cli("init", "--iter-time", "5", stdin="pw\n")
    before = tree_bytes(home)
    for bad in ("-1", "1001"):
        r = cli("wipe-after", bad, stdin="pw\n")
        assert r.code == 1
        assert_one_sentence(r.err)
    assert tree_bytes(home) == before
    r = cli("wipe-after", "2", stdin="pw\n")
    assert r.code == 0 and "after 2 wrong passphrases" in r.out
    assert cli("list", stdin="guess\n").code == 1
    assert cli("list", stdin="pw\n").code == 0  # a success resets the count
    assert cli("list", stdin="guess\n").code == 1
    assert cli("list", stdin="another guess\n").code == 1
    assert not (home / "key").exists()
    r = cli("list", stdin="pw\n")
    assert r.code == 1 and "no Satchel vault" in r.err


def test_a_key_file_of_the_first_format_gives_one_sentence(cli, home: Path) -> None:
    """Satchel has no installed users from before the in-place key file; a file of the
    first layout is refused in one sentence, and nothing is touched."""
    cli("init", "--iter-time", "5", stdin="pw\n")
    (home / "key").write_bytes(bytes([1, 1, 4, 0]) + os.urandom(4092))
    before = tree_bytes(home)
    r = cli("list", stdin="pw\n")
    assert r.code == 1
    assert_one_sentence(r.err)
    assert "older format" in r.err
    assert tree_bytes(home) == before
