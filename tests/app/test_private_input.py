"""Search terms need not appear in the process list or the shell's history, and a trust
list past its date is announced but never blocks content (finding 10 of the hardening
review)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import ROOT, KeyPair, write_source

from app.trust import TrustError, TrustStore, parse_trust_list, trust_list_comment
from app.vault import Vault
from content_packs.build import build_pack
from crypto import minisign


@pytest.fixture
def library(cli, tmp_path: Path, trainer: KeyPair) -> Path:
    src = write_source(tmp_path / "src", pages={"pages/a.md": "# Rights\n\nFreedom of assembly matters.\n"})
    pack = tmp_path / "p.satchel"
    build_pack(src, trainer.secret, pack)
    assert cli("init", "--iter-time", "5", stdin="pw\n").code == 0
    assert cli("trust", "add", str(trainer.pub_path), "--yes", stdin="pw\n").code == 0
    assert cli("import", str(pack), stdin="pw\n").code == 0
    return pack


def test_the_query_can_come_from_standard_input(cli, library: Path) -> None:
    for args in ((), ("-",)):
        r = cli("search", *args, "--json", stdin="pw\nassembly\n")
        assert r.code == 0, r.err
        assert [h["page"] for h in json.loads(r.out)] == ["pages/a.md"]
    # The positional query keeps working for scripts.
    assert json.loads(cli("search", "assembly", "--json", stdin="pw\n").out)[0]["page"] == "pages/a.md"
    r = cli("search", stdin="pw\n")
    assert r.code == 1 and "search query" in r.err


def test_the_query_typed_at_a_terminal_is_not_echoed(home: Path, library: Path) -> None:
    """A real pseudo-terminal: the passphrase and then the query are asked for, and the
    query never appears on the screen, nor in the command's arguments."""
    import pty

    env = dict(os.environ, SATCHEL_HOME=str(home))
    pid, fd = pty.fork()
    if pid == 0:   # the child: the real command, on the terminal
        os.chdir(str(ROOT))
        os.execve(sys.executable, [sys.executable, "-m", "app.cli", "search"], env)
    screen = b""

    def read_until(marker: bytes, limit: float = 60) -> None:
        nonlocal screen
        end = time.monotonic() + limit
        while marker not in screen and time.monotonic() < end:
            try:
                screen += os.read(fd, 4096)
            except OSError:
                break

    read_until(b"passphrase")
    os.write(fd, b"pw\n")
    read_until(b"Search for")
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        assert b"assembly" not in f.read()
    os.write(fd, b"assembly\n")
    read_until(b"pages/a.md")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, screen
    assert b"pages/a.md" in screen
    assert b"assembly" not in screen.split(b"Search for", 1)[1].split(b"pages/a.md", 1)[0]


# -- the trust list's own expiry ------------------------------------------------------------

def signed_list(root: minisign.SecretKey, version: int, expires: str | None, key: minisign.PublicKey) -> tuple[bytes, bytes]:
    doc = {"type": "satchel-trust-list", "version": version, "roots": [root.public.to_base64()],
           "keys": [{"name": "Publisher", "public_key": key.to_base64(), "scopes": ["org.pub."]}]}
    if expires is not None:
        doc["expires"] = expires
    data = json.dumps(doc).encode()
    return data, minisign.sign(root, data, trust_list_comment(version)).encode()


def test_the_expiry_is_parsed_strictly() -> None:
    root = minisign.generate_key()
    data, _ = signed_list(root, 2, "2030-06-01", root.public)
    assert parse_trust_list(data).expires is not None
    assert parse_trust_list(signed_list(root, 2, None, root.public)[0]).expires is None
    for bad in ("soon", "2030-13-01", 20300601):
        with pytest.raises(TrustError):
            parse_trust_list(data.replace(b'"2030-06-01"', json.dumps(bad).encode()))


def test_an_expired_list_warns_and_never_blocks(cli, home: Path, library: Path, tmp_path: Path,
                                                trainer: KeyPair) -> None:
    from app.home import Home

    root = minisign.generate_key()
    with Vault.unlock(Home(home), "pw") as vault:
        # A list adopted earlier (signed by a root this test makes), valid until 2020.
        assert TrustStore(vault, roots=(root.public,)).adopt_list(
            *signed_list(root, 5, "2020-01-01", root.public)) is not None
    r = cli("trust", "list", stdin="pw\n")
    assert r.code == 0
    assert "valid until 2020-01-01" in r.out
    assert "expired on 2020-01-01" in r.err
    listed = json.loads(cli("trust", "list", "--json", stdin="pw\n").out)
    assert listed["trust_list_expires"] == "2020-01-01" and listed["trust_list_expired"] is True
    # Content still imports: a pack stays valid however long it travelled.
    src = write_source(tmp_path / "src2", pack_id="org.example.other")
    build_pack(src, trainer.secret, tmp_path / "other.satchel")
    r = cli("import", str(tmp_path / "other.satchel"), stdin="pw\n")
    assert r.code == 0, r.err
    assert "expired on 2020-01-01" in r.err and "Imported org.example.other" in r.out


def test_a_list_within_its_date_says_nothing(vault: Vault) -> None:
    root = minisign.generate_key()
    store = TrustStore(vault, roots=(root.public,), bundled=None)
    store.adopt_list(*signed_list(root, 2, "2999-12-31", root.public))
    assert store.expired_on() is None
    store.now = lambda: 32_503_680_000 + 2 * 86_400   # 3000-01-02
    assert store.expired_on() == "2999-12-31"
