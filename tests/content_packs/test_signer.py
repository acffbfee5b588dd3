"""The signer's public key a pack carries ("Trust this signer..."): given only when it
is the key that really signed the pack's manifest."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from support import KeyPair, make_keypair, write_source

from content_packs.build import SIGNER_COMMENT, build_pack
from content_packs.limits import MANIFEST_NAME, SIGNATURE_NAME
from content_packs.signer import embedded_signer
from crypto import minisign


def built(tmp_path: Path, key: KeyPair) -> Path:
    out = tmp_path / "guide.satchel"
    build_pack(write_source(tmp_path / "src"), key.secret, out)
    return out


def rewrite_signature(pack: Path, out: Path, signature: str) -> Path:
    with zipfile.ZipFile(pack) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = signature.encode() if info.filename == SIGNATURE_NAME else src.read(info)
            dst.writestr(info, data)
    return out


def test_the_key_that_signed_the_pack(tmp_path: Path, trainer: KeyPair) -> None:
    pack = built(tmp_path, trainer)
    assert embedded_signer(pack) == trainer.public
    assert embedded_signer(io.BytesIO(pack.read_bytes())) == trainer.public


def test_a_carried_key_that_did_not_sign_is_not_offered(tmp_path: Path, trainer: KeyPair) -> None:
    pack = built(tmp_path, trainer)
    mallory = make_keypair(tmp_path / "keys", "mallory")
    with zipfile.ZipFile(pack) as z:
        manifest, sig = z.read(MANIFEST_NAME), z.read(SIGNATURE_NAME).decode()
    # The trainer's signature, but the comment names Mallory's key.
    swapped = sig.replace(trainer.public.to_base64(), mallory.public.to_base64())
    assert embedded_signer(rewrite_signature(pack, tmp_path / "a.satchel", swapped)) is None
    # Mallory's key in the comment and a signature by Mallory over other bytes.
    forged = minisign.sign(mallory.secret, manifest + b" ", "x",
                           untrusted_comment=SIGNER_COMMENT + mallory.public.to_base64())
    assert embedded_signer(rewrite_signature(pack, tmp_path / "b.satchel", forged)) is None
    # No key in the comment at all.
    bare = minisign.sign(trainer.secret, manifest, "x", untrusted_comment="signature")
    assert embedded_signer(rewrite_signature(pack, tmp_path / "c.satchel", bare)) is None


def test_not_packs(tmp_path: Path) -> None:
    (tmp_path / "empty.satchel").write_bytes(b"")
    (tmp_path / "text.satchel").write_text("hello")
    (tmp_path / "dir.satchel").mkdir()
    for name in ("empty.satchel", "text.satchel", "dir.satchel"):
        assert embedded_signer(tmp_path / name) is None
