"""Release integrity (issue 9, point 5): `make bundle KEY=NAME.key` signs SHA256SUMS with
a minisign key in the formats packs use, and the standard `minisign` tool verifies it,
as docs/install.md tells a defender to do."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import ROOT, make_keypair

SUMS = ROOT / "dist" / "SHA256SUMS"
SIG = ROOT / "dist" / "SHA256SUMS.minisig"


@pytest.fixture
def minisign_tool() -> str:
    tool = shutil.which("minisign")
    if tool is None:
        pytest.skip("minisign is not installed (build/sysdeps.sh test installs it)")
    return tool


@pytest.fixture
def clean_signature(bundle_dir: Path) -> Iterator[None]:
    SIG.unlink(missing_ok=True)
    yield
    SIG.unlink(missing_ok=True)


def make_bundle(key: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "-s", "bundle", f"KEY={key}"], cwd=str(ROOT), input=stdin, capture_output=True,
                          text=True, timeout=1800)


def test_make_bundle_signs_the_sums_and_minisign_verifies_them(clean_signature: None, minisign_tool: str,
                                                               tmp_path: Path) -> None:
    keys = make_keypair(tmp_path, "release")
    proc = make_bundle(keys.key_path)
    assert proc.returncode == 0, proc.stderr
    check = subprocess.run([minisign_tool, "-V", "-H", "-m", str(SUMS), "-p", str(keys.pub_path)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert "Signature and comment signature verified" in check.stdout
    assert "file:SHA256SUMS satchel" in check.stdout  # the trusted comment names the release
    first = SIG.read_bytes()
    assert make_bundle(keys.key_path).returncode == 0
    assert SIG.read_bytes() == first  # deterministic: the same release signs the same way
    # another key, or a changed list of sums, does not verify
    other = make_keypair(tmp_path / "other", "other")
    assert subprocess.run([minisign_tool, "-V", "-m", str(SUMS), "-p", str(other.pub_path)],
                          capture_output=True).returncode != 0
    tampered = tmp_path / "SHA256SUMS"
    tampered.write_text(SUMS.read_text().replace(SUMS.read_text()[:1], "0" if SUMS.read_text()[0] != "0" else "1", 1))
    shutil.copy(SIG, tmp_path / "SHA256SUMS.minisig")
    assert subprocess.run([minisign_tool, "-V", "-m", str(tampered), "-p", str(keys.pub_path)],
                          capture_output=True).returncode != 0


def test_a_passphrase_protected_key_reads_its_passphrase_like_satchel(clean_signature: None, minisign_tool: str,
                                                                     tmp_path: Path) -> None:
    from crypto import minisign

    sk = minisign.generate_key()
    key = tmp_path / "release.key"
    key.write_text(minisign.secret_key_to_text(sk, "release passphrase"))
    pub = tmp_path / "release.pub"
    pub.write_text(sk.public.to_text())
    proc = make_bundle(key, stdin="release passphrase\n")  # one line of standard input, as satchel reads it
    assert proc.returncode == 0, proc.stderr
    assert subprocess.run([minisign_tool, "-V", "-m", str(SUMS), "-p", str(pub)], capture_output=True).returncode == 0
