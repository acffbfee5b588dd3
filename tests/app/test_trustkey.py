""""Trust a key" accepts exactly a public key: a secret key (Satchel's or minisign's own,
encrypted or not) is refused from its first bytes and nothing after them is read; any
other file is refused with one sentence; `satchel trust add` uses the same check and
leaves the vault as it was."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import KeyPair, assert_one_sentence, vault_snapshot

from app.trustkey import MAX_KEY_FILE_BYTES, NOT_A_KEY_SENTENCE, PRIVATE_HALF_GIVEN, KeyFileRefused, read_public_key_file
from app.vault import Vault
from crypto import minisign

MINISIGN = shutil.which("minisign")


def refused(path: Path) -> str:
    with pytest.raises(KeyFileRefused) as caught:
        read_public_key_file(path)
    return str(caught.value)


def test_a_public_key_file_and_its_bare_line(tmp_path: Path, trainer: KeyPair) -> None:
    assert read_public_key_file(trainer.pub_path) == trainer.public
    bare = tmp_path / "bare.pub"
    bare.write_text(trainer.public.to_base64() + "\r\n")
    assert read_public_key_file(bare) == trainer.public


@pytest.mark.skipif(MINISIGN is None, reason="the minisign binary is not installed")
def test_keys_made_by_the_real_minisign(tmp_path: Path) -> None:
    pub, sec = tmp_path / "m.pub", tmp_path / "m.key"
    subprocess.run([MINISIGN, "-G", "-W", "-p", str(pub), "-s", str(sec)], check=True, capture_output=True)
    key = read_public_key_file(pub)
    assert pub.read_text().split("\n")[1].strip() == key.to_base64()
    assert refused(sec) == PRIVATE_HALF_GIVEN


@pytest.mark.parametrize("passphrase", [None, "a secret key passphrase"])
def test_a_secret_key_is_refused_without_reading_further(tmp_path: Path, passphrase: str | None) -> None:
    sk = minisign.generate_key()
    text = minisign.secret_key_to_text(sk, passphrase)
    whole = tmp_path / "whole.key"
    whole.write_text(text)
    assert refused(whole) == PRIVATE_HALF_GIVEN
    # The comment line alone decides: what follows it (here junk far past any size cap,
    # which reading on would report as "too large") is never read.
    comment_first = tmp_path / "comment.key"
    comment_first.write_bytes(text.split("\n")[0].encode() + b"\n" + os.urandom(MAX_KEY_FILE_BYTES * 4))
    assert refused(comment_first) == PRIVATE_HALF_GIVEN
    # Without the comment (or under a misleading one), the key line's first six bytes decide.
    key_line = text.split("\n")[1]
    for name, data in (("bare.key", key_line[:8].encode() + os.urandom(MAX_KEY_FILE_BYTES * 4)),
                       ("renamed.pub", b"untrusted comment: minisign public key 0000\n"
                                       + key_line[:8].encode() + b"\xff" * (MAX_KEY_FILE_BYTES * 4))):
        (tmp_path / name).write_bytes(data)
        assert refused(tmp_path / name) == PRIVATE_HALF_GIVEN


def test_files_that_are_not_public_keys(tmp_path: Path, trainer: KeyPair) -> None:
    cases: dict[str, bytes] = {
        "empty.pub": b"",
        "photo.pub": b"\xff\xd8\xff\xe0" + os.urandom(2000),
        "text.pub": "Ceci n'est pas une clé.\n".encode(),
        "signature.pub": minisign.sign(trainer.secret, b"data", "x").encode(),
        "short.pub": b"untrusted comment: minisign public key\n" + base64.b64encode(b"Ed" + os.urandom(20)) + b"\n",
        "huge.pub": b"untrusted comment: minisign public key\n" + b"A" * (MAX_KEY_FILE_BYTES * 2),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        sentence = refused(tmp_path / name)
        assert sentence in (NOT_A_KEY_SENTENCE, "This file is too large to be a public key."), (name, sentence)
    (tmp_path / "folder.pub").mkdir()
    assert refused(tmp_path / "folder.pub") == "This is a folder or a device, not a key file."
    os.symlink(trainer.pub_path, tmp_path / "link.pub")
    assert refused(tmp_path / "link.pub") == "This is a link, not a key file; Satchel does not follow links."
    assert refused(tmp_path / "missing.pub") == "There is no file there."


def test_satchel_trust_add_refuses_them_and_changes_nothing(cli: Any, vault: Vault, tmp_path: Path,
                                                            trainer: KeyPair, home: Path) -> None:
    vault.close()
    with Vault.unlock(home, "correct horse") as v:
        before = vault_snapshot(v)
    secret = tmp_path / "secret.key"
    secret.write_text(minisign.secret_key_to_text(minisign.generate_key(), None))
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    for path, sentence in ((secret, PRIVATE_HALF_GIVEN), (text, NOT_A_KEY_SENTENCE)):
        r = cli("trust", "add", str(path), "--yes", stdin="correct horse\n")
        assert r.code == 1
        assert_one_sentence(r.err)
        assert r.err.strip() == f"{path}: {sentence}"
    with Vault.unlock(home, "correct horse") as v:
        assert vault_snapshot(v) == before
    r = cli("trust", "add", str(trainer.pub_path), "--yes", stdin="correct horse\n")
    assert r.code == 0, r.err
