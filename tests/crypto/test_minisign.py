"""Tests for crypto.minisign, checked against the real `minisign` binary."""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import dataclasses
import hashlib
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from crypto.minisign import (  # noqa: E402
    BadSignature,
    MinisignError,
    PassphraseRequired,
    PublicKey,
    SecretKey,
    Signature,
    WrongPassphrase,
    generate_key,
    key_needs_passphrase,
    parse_signature,
    secret_key_from_text,
    secret_key_to_text,
    sign,
    verify,
    verify_prehashed,
)

MINISIGN = shutil.which("minisign")
needs_minisign = pytest.mark.skipif(MINISIGN is None, reason="the minisign binary is not installed")

PASSWORD = "correct horse battery staple"
LEGACY_SENTENCE = (
    "This signature uses minisign's legacy algorithm, which Satchel does not accept."
)
# A key pair made by `minisign -G -W` (minisign 0.11); it printed key id 9C6C4412F83D54DE.
MINISIGN_PUB_TEXT = (
    "untrusted comment: minisign public key 9C6C4412F83D54DE\n"
    "RWTeVD34EkRsnOGXCgySvESiay8PA7yT3si2VwZXrJt/Zu7+ZNIo0Jda\n"
)


def run_minisign(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    assert MINISIGN is not None
    return subprocess.run(
        [MINISIGN, *args], cwd=cwd, input=stdin if stdin is not None else "",
        capture_output=True, text=True, timeout=120, check=False,
    )


def assert_one_sentence(err: BaseException) -> str:
    msg = str(err)
    assert re.fullmatch(r"[A-Z][^\n]*[.]", msg), msg
    assert ". " not in msg, msg  # one sentence, not two
    return msg


def assert_raises_sentence(exc: type[BaseException], fn: Callable[[], object]) -> str:
    with pytest.raises(exc) as info:
        fn()
    assert type(info.value) is exc, f"expected {exc.__name__}, got {type(info.value).__name__}"
    return assert_one_sentence(info.value)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def unb64(s: str) -> bytes:
    return base64.b64decode(s, validate=True)


def non_canonical(s: str) -> str:
    """Set an unused low bit in the last base64 character (decoders that ignore it agree)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    data = s.rstrip("=")
    assert len(data) < len(s), "needs a padded encoding"
    last = alphabet[alphabet.index(data[-1]) ^ 1]
    out = data[:-1] + last + s[len(data):]
    assert base64.b64decode(out) == base64.b64decode(s)  # same bytes, different text
    return out


def replace_line(text: str, index: int, new: str) -> str:
    lines = text.split("\n")
    lines[index] = new
    return "\n".join(lines)


# --- fixtures ---------------------------------------------------------------


@pytest.fixture(scope="module")
def minisign_plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A key pair made by `minisign -G -W` (unencrypted): dir with k.pub and k.key."""
    if MINISIGN is None:
        pytest.skip("the minisign binary is not installed")
    d = tmp_path_factory.mktemp("minisign_plain")
    r = run_minisign("-G", "-W", "-p", "k.pub", "-s", "k.key", cwd=d)
    assert r.returncode == 0, r.stderr
    return d


@pytest.fixture(scope="module")
def minisign_encrypted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A key pair made by `minisign -G`, password fed on stdin (about 4 s of scrypt)."""
    if MINISIGN is None:
        pytest.skip("the minisign binary is not installed")
    d = tmp_path_factory.mktemp("minisign_encrypted")
    r = run_minisign("-G", "-p", "k.pub", "-s", "k.key", cwd=d, stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert r.returncode == 0, r.stderr + r.stdout
    return d


@pytest.fixture(scope="module")
def our_key() -> SecretKey:
    return generate_key()


@pytest.fixture(scope="module")
def our_encrypted_text(our_key: SecretKey) -> str:
    """Our own encrypted secret key file (about 4 s of scrypt)."""
    return secret_key_to_text(our_key, PASSWORD)


# --- public keys ------------------------------------------------------------


def test_key_id_hex_matches_minisign_known_vector() -> None:
    pub = PublicKey.from_text(MINISIGN_PUB_TEXT)
    assert pub.key_id == bytes.fromhex("de543df812446c9c")  # as stored in the file
    assert pub.key_id_hex == "9C6C4412F83D54DE"
    assert pub.to_base64() == MINISIGN_PUB_TEXT.splitlines()[1]
    # Leading zeros are kept: always 16 digits.
    other = PublicKey(key_id=bytes.fromhex("0102030405060700"), raw=pub.raw)
    assert other.key_id_hex == "0007060504030201"


@needs_minisign
def test_key_id_hex_matches_minisign_generated_key(minisign_plain: Path) -> None:
    text = (minisign_plain / "k.pub").read_text()
    shown = re.fullmatch(r"untrusted comment: minisign public key ([0-9A-F]+)", text.splitlines()[0])
    assert shown is not None
    pub = PublicKey.from_text(text)
    assert int(pub.key_id_hex, 16) == int(shown.group(1), 16)
    assert re.fullmatch(r"[0-9A-F]{16}", pub.key_id_hex)


def test_public_key_text_forms_round_trip() -> None:
    pub = PublicKey.from_text(MINISIGN_PUB_TEXT)
    line = MINISIGN_PUB_TEXT.splitlines()[1]
    assert PublicKey.from_text(line) == pub
    assert PublicKey.from_text(line + "\n") == pub
    assert PublicKey.from_text("  " + line + "  ") == pub  # pasted with spaces
    assert PublicKey.from_text(MINISIGN_PUB_TEXT.encode()) == pub
    assert PublicKey.from_text(MINISIGN_PUB_TEXT.replace("\n", "\r\n")) == pub
    assert pub.to_text() == MINISIGN_PUB_TEXT
    assert PublicKey.from_text(pub.to_text()) == pub


@pytest.mark.parametrize(
    "make_text",
    [
        pytest.param(lambda line: "", id="empty"),
        pytest.param(lambda line: line[:-4], id="truncated"),
        pytest.param(lambda line: b64(b"ED" + unb64(line)[2:]), id="ED-prefix"),
        pytest.param(lambda line: b64(unb64(line)[:41]), id="41-bytes"),
        pytest.param(lambda line: b64(unb64(line) + b"\0"), id="43-bytes"),
        pytest.param(lambda line: line + "=", id="extra-padding"),
        pytest.param(lambda line: line[:10] + "*" + line[11:], id="bad-base64-char"),
        pytest.param(lambda line: "comment: x\n" + line + "\n", id="bad-comment-prefix"),
        pytest.param(lambda line: "untrusted comment: x\n" + line + "\n\n", id="three-lines"),
        pytest.param(lambda line: b"untrusted comment: \xff\n" + line.encode(), id="invalid-utf8"),
        pytest.param(lambda line: "untrusted comment: " + "x" * 4096 + "\n" + line, id="oversized"),
        pytest.param(lambda line: ("untrusted comment: " + "x" * 4096 + "\n" + line).encode(),
                     id="oversized-bytes"),
    ],
)
def test_public_key_from_text_is_strict(make_text: Callable[[str], str | bytes]) -> None:
    line = MINISIGN_PUB_TEXT.splitlines()[1]
    assert_raises_sentence(MinisignError, lambda: PublicKey.from_text(make_text(line)))


def test_fingerprint_is_stable_and_twelve_groups_of_five_digits() -> None:
    pub = PublicKey.from_text(MINISIGN_PUB_TEXT)
    fp = pub.fingerprint()
    assert re.fullmatch(r"\d{5}( \d{5}){11}", fp)
    # Pinned: changing the algorithm would silently break fingerprints read aloud.
    assert fp == (
        "32288 78134 54180 40822 73915 84528 48285 69667 26591 14826 48483 47466"
    )
    flipped_raw = PublicKey(key_id=pub.key_id, raw=bytes([pub.raw[0] ^ 1]) + pub.raw[1:])
    flipped_id = PublicKey(key_id=bytes([pub.key_id[0] ^ 1]) + pub.key_id[1:], raw=pub.raw)
    assert len({fp, flipped_raw.fingerprint(), flipped_id.fingerprint()}) == 3


# --- secret keys: interoperability -------------------------------------------


@needs_minisign
def test_minisign_unencrypted_key_is_read_and_rewritten_byte_for_byte(minisign_plain: Path) -> None:
    key_text = (minisign_plain / "k.key").read_text()
    pub = PublicKey.from_text((minisign_plain / "k.pub").read_text())
    assert key_needs_passphrase(key_text) is False
    sk = secret_key_from_text(key_text, None)
    assert sk.public == pub
    # A passphrase is ignored for an unencrypted key.
    assert secret_key_from_text(key_text, "anything") == sk
    assert secret_key_to_text(sk, None) == key_text


@needs_minisign
def test_our_signature_verifies_with_minisign_strict(tmp_path: Path, our_key: SecretKey) -> None:
    data = b"Know your rights.\n" * 1000
    (tmp_path / "doc.md").write_bytes(data)
    (tmp_path / "k.pub").write_text(our_key.public.to_text())
    comment = "pack:rights-101 version:3 سلام"
    (tmp_path / "doc.md.minisig").write_text(sign(our_key, data, comment))
    r = run_minisign("-V", "-H", "-p", "k.pub", "-m", "doc.md", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"Trusted comment: {comment}" in r.stdout
    # And minisign rejects it once the data changes.
    (tmp_path / "doc.md").write_bytes(data + b"!")
    r = run_minisign("-V", "-H", "-p", "k.pub", "-m", "doc.md", cwd=tmp_path)
    assert r.returncode != 0


@needs_minisign
def test_minisign_rejects_our_signature_with_changed_trusted_comment(
    tmp_path: Path, our_key: SecretKey
) -> None:
    (tmp_path / "f").write_bytes(b"data")
    (tmp_path / "k.pub").write_text(our_key.public.to_text())
    sig_text = sign(our_key, b"data", "version:1")
    (tmp_path / "f.minisig").write_text(replace_line(sig_text, 2, "trusted comment: version:2"))
    r = run_minisign("-V", "-H", "-p", "k.pub", "-m", "f", cwd=tmp_path)
    assert r.returncode != 0
    assert "Comment signature verification failed" in r.stderr


@needs_minisign
def test_minisign_signature_verifies_with_ours(tmp_path: Path, minisign_plain: Path) -> None:
    data = bytes(range(256)) * 100
    (tmp_path / "f.bin").write_bytes(data)
    r = run_minisign("-S", "-s", str(minisign_plain / "k.key"), "-t", "release 1.2",
                     "-m", "f.bin", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    pub = PublicKey.from_text((minisign_plain / "k.pub").read_text())
    sig = parse_signature((tmp_path / "f.bin.minisig").read_text())
    assert sig.trusted_comment == "release 1.2"
    assert sig.key_id == pub.key_id
    verify(pub, data, sig)
    verify_prehashed(pub, hashlib.blake2b(data, digest_size=64).digest(), sig)
    assert_raises_sentence(BadSignature, lambda: verify(pub, data[:-1], sig))


@needs_minisign
def test_minisign_default_trusted_comment_with_tab_verifies(tmp_path: Path, minisign_plain: Path) -> None:
    (tmp_path / "f").write_bytes(b"x")
    r = run_minisign("-S", "-s", str(minisign_plain / "k.key"), "-m", "f", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    sig = parse_signature((tmp_path / "f.minisig").read_bytes())
    assert "\t" in sig.trusted_comment  # "timestamp:...<TAB>file:f<TAB>hashed"
    verify(PublicKey.from_text((minisign_plain / "k.pub").read_text()), b"x", sig)


@needs_minisign
def test_our_unencrypted_key_files_are_read_by_minisign(tmp_path: Path) -> None:
    sk = generate_key()
    (tmp_path / "our.key").write_text(secret_key_to_text(sk, None))
    (tmp_path / "our.pub").write_text(sk.public.to_text())
    # minisign recreates our public key from our secret key file...
    r = run_minisign("-R", "-s", "our.key", "-p", "re.pub", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert PublicKey.from_text((tmp_path / "re.pub").read_text()) == sk.public
    # ...signs with it, and verifies with our public key file.
    (tmp_path / "f").write_bytes(b"hello")
    r = run_minisign("-S", "-s", "our.key", "-m", "f", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = run_minisign("-V", "-H", "-p", "our.pub", "-m", "f", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    verify(sk.public, b"hello", parse_signature((tmp_path / "f.minisig").read_text()))


# --- encrypted secret keys (each scrypt costs about 1 GiB and 4 s) -----------


@needs_minisign
@pytest.mark.slow
def test_minisign_encrypted_key_is_read_with_passphrase(tmp_path: Path, minisign_encrypted: Path) -> None:
    key_text = (minisign_encrypted / "k.key").read_text()
    pub = PublicKey.from_text((minisign_encrypted / "k.pub").read_text())
    assert key_needs_passphrase(key_text) is True
    assert_raises_sentence(PassphraseRequired, lambda: secret_key_from_text(key_text, None))
    sk = secret_key_from_text(key_text, PASSWORD)
    assert sk.public == pub
    # The key works: minisign verifies what we sign with it.
    (tmp_path / "f").write_bytes(b"payload")
    (tmp_path / "f.minisig").write_text(sign(sk, b"payload", "t"))
    r = run_minisign("-V", "-H", "-p", str(minisign_encrypted / "k.pub"), "-m", "f", cwd=tmp_path)
    assert r.returncode == 0, r.stderr


@needs_minisign
@pytest.mark.slow
def test_our_encrypted_key_is_read_by_minisign(
    tmp_path: Path, our_key: SecretKey, our_encrypted_text: str
) -> None:
    assert our_encrypted_text.startswith("untrusted comment: minisign encrypted secret key\n")
    blob = unb64(our_encrypted_text.splitlines()[1])
    assert blob[:6] == b"EdScB2"
    assert int.from_bytes(blob[38:46], "little") == 33554432
    assert int.from_bytes(blob[46:54], "little") == 1073741824
    assert our_key.seed not in blob  # encrypted, not stored in clear
    assert key_needs_passphrase(our_encrypted_text) is True
    (tmp_path / "our.key").write_text(our_encrypted_text)
    (tmp_path / "f").write_bytes(b"signed by minisign with our key")
    r = run_minisign("-S", "-s", "our.key", "-m", "f", cwd=tmp_path, stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr + r.stdout
    verify(our_key.public, b"signed by minisign with our key",
           parse_signature((tmp_path / "f.minisig").read_text()))


@pytest.mark.slow
def test_wrong_and_missing_passphrase(our_encrypted_text: str) -> None:
    assert_raises_sentence(PassphraseRequired, lambda: secret_key_from_text(our_encrypted_text, None))
    assert_raises_sentence(WrongPassphrase,
                           lambda: secret_key_from_text(our_encrypted_text, PASSWORD + "!"))


def test_empty_passphrase_is_refused_when_writing(our_key: SecretKey) -> None:
    assert_raises_sentence(MinisignError, lambda: secret_key_to_text(our_key, ""))


def _libsodium() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("sodium")
    if name is None:
        return None
    lib = ctypes.CDLL(name)
    if lib.sodium_init() < 0:
        return None
    f = lib.crypto_pwhash_scryptsalsa208sha256
    f.argtypes = [ctypes.c_char_p, ctypes.c_ulonglong, ctypes.c_char_p, ctypes.c_ulonglong,
                  ctypes.c_char_p, ctypes.c_ulonglong, ctypes.c_size_t]
    f.restype = ctypes.c_int
    return lib


@pytest.mark.parametrize(
    ("opslimit", "memlimit"),
    [
        (524288, 16777216),  # libsodium's interactive limits: N=2^14, r=8, p=1
        (0, 1 << 24),  # opslimit raised to 32768; first branch
        (100000, 1 << 24),  # first branch, N not a power-of-two boundary
        (1 << 22, 1 << 20),  # second branch with p=128
        (1 << 20, 1 << 25),  # second branch, p=1
    ],
)
def test_pickparams_matches_libsodium(opslimit: int, memlimit: int) -> None:
    """A key encrypted by libsodium itself with these limits must decrypt."""
    lib = _libsodium()
    if lib is None:
        pytest.skip("libsodium is not installed")
    sk = SecretKey(key_id=bytes(range(1, 9)), seed=bytes(range(32)))
    sk64 = sk.seed + sk.public.raw
    chk = hashlib.blake2b(b"Ed" + sk.key_id + sk64, digest_size=32).digest()
    salt = bytes(range(100, 132))
    stream = ctypes.create_string_buffer(104)
    password = b"pickparams"
    assert lib.crypto_pwhash_scryptsalsa208sha256(
        stream, 104, password, len(password), salt, opslimit, memlimit) == 0
    keynum = bytes(a ^ b for a, b in zip(sk.key_id + sk64 + chk, stream.raw, strict=True))
    blob = (b"EdScB2" + salt + opslimit.to_bytes(8, "little") + memlimit.to_bytes(8, "little")
            + keynum)
    text = "untrusted comment: test\n" + b64(blob) + "\n"
    assert secret_key_from_text(text, "pickparams") == sk
    assert_raises_sentence(WrongPassphrase, lambda: secret_key_from_text(text, "pickparamz"))


# --- secret keys: malformed input --------------------------------------------


def _plain_key_blob(sk: SecretKey) -> bytes:
    return unb64(secret_key_to_text(sk, None).splitlines()[1])


def _key_text(blob: bytes) -> str:
    return "untrusted comment: minisign encrypted secret key\n" + b64(blob) + "\n"


@pytest.mark.parametrize(
    ("opslimit", "memlimit"),
    [(33554432, 1 << 40), (1 << 40, 1 << 30), (1 << 33, 1 << 30), (1 << 30, (1 << 31))],
)
def test_absurd_scrypt_limits_are_refused_before_any_work(opslimit: int, memlimit: int) -> None:
    blob = bytearray(_plain_key_blob(generate_key()))
    blob[2:4] = b"Sc"
    blob[38:46] = opslimit.to_bytes(8, "little")
    blob[46:54] = memlimit.to_bytes(8, "little")
    text = _key_text(bytes(blob))
    msg = assert_raises_sentence(MinisignError, lambda: key_needs_passphrase(text))
    assert "memory or time" in msg
    assert_raises_sentence(MinisignError, lambda: secret_key_from_text(text, "x"))


def test_unencrypted_key_checksum_zero_or_correct_is_accepted_wrong_is_refused() -> None:
    sk = generate_key()
    blob = bytearray(_plain_key_blob(sk))
    assert blob[-32:] == bytes(32)  # minisign -W writes zeros
    blob[-32:] = hashlib.blake2b(b"Ed" + blob[54:126], digest_size=32).digest()
    assert secret_key_from_text(_key_text(bytes(blob)), None) == sk
    blob[-1] ^= 1
    assert_raises_sentence(MinisignError, lambda: secret_key_from_text(_key_text(bytes(blob)), None))


def test_secret_key_with_mismatched_public_half_is_refused() -> None:
    blob = bytearray(_plain_key_blob(generate_key()))
    blob[100] ^= 1  # inside the stored public key (offset 54 + 8 + 32 .. 54 + 8 + 64)
    assert_raises_sentence(MinisignError, lambda: secret_key_from_text(_key_text(bytes(blob)), None))


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda b: b[:-1], id="short"),
        pytest.param(lambda b: b + b"\0", id="long"),
        pytest.param(lambda b: b"ED" + b[2:], id="sig-alg"),
        pytest.param(lambda b: b[:2] + b"Ar" + b[4:], id="kdf-alg"),
        pytest.param(lambda b: b[:4] + b"B3" + b[6:], id="chk-alg"),
    ],
)
def test_malformed_secret_key_blob_is_refused(mutate: Callable[[bytes], bytes]) -> None:
    text = _key_text(mutate(_plain_key_blob(generate_key())))
    assert_raises_sentence(MinisignError, lambda: key_needs_passphrase(text))
    assert_raises_sentence(MinisignError, lambda: secret_key_from_text(text, None))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("untrusted comment: x\n", id="comment-only"),
        pytest.param(b"untrusted comment: \xff\nAAAA\n", id="invalid-utf8"),
        pytest.param("x" * 5000, id="oversized"),
        pytest.param("garbage\nRWQAAEIy\n", id="garbage"),
    ],
)
def test_garbage_secret_key_text_is_refused(text: str | bytes) -> None:
    assert_raises_sentence(MinisignError, lambda: secret_key_from_text(text, None))


def test_secret_key_repr_hides_the_seed() -> None:
    sk = generate_key()
    assert sk.seed.hex() not in repr(sk)
    assert repr(sk.seed) not in repr(sk)


# --- signatures: ours --------------------------------------------------------


def test_sign_verify_round_trip_and_format() -> None:
    sk = generate_key()
    text = sign(sk, b"abc", "trusted", untrusted_comment="from test")
    lines = text.split("\n")
    assert lines[0] == "untrusted comment: from test"
    assert unb64(lines[1])[:10] == b"ED" + sk.key_id
    assert lines[2] == "trusted comment: trusted"
    assert lines[4] == "" and len(lines) == 5
    sig = parse_signature(text)
    assert sig == parse_signature(text.encode()) == parse_signature(text.rstrip("\n"))
    assert sig == parse_signature(text.replace("\n", "\r\n"))
    verify(sk.public, b"abc", sig)
    # The untrusted comment is not covered by any signature.
    verify(sk.public, b"abc", parse_signature(replace_line(text, 0, "untrusted comment: other")))


def test_verify_prehashed_matches_streamed_hash() -> None:
    sk = generate_key()
    chunks = [b"chunk-%d" % i * 1000 for i in range(50)]
    sig = parse_signature(sign(sk, b"".join(chunks), ""))
    h = hashlib.blake2b(digest_size=64)
    for c in chunks:
        h.update(c)
    verify_prehashed(sk.public, h.digest(), sig)
    assert_raises_sentence(BadSignature, lambda: verify_prehashed(sk.public, bytes(64), sig))
    with pytest.raises(ValueError):
        verify_prehashed(sk.public, h.digest()[:32], sig)


def test_tampered_data_is_rejected() -> None:
    sk = generate_key()
    sig = parse_signature(sign(sk, b"original", "c"))
    msg = assert_raises_sentence(BadSignature, lambda: verify(sk.public, b"originaL", sig))
    assert "does not match" in msg


def test_tampered_trusted_comment_is_rejected() -> None:
    sk = generate_key()
    text = sign(sk, b"data", "expires:2030")
    tampered = parse_signature(replace_line(text, 2, "trusted comment: expires:2099"))
    msg = assert_raises_sentence(BadSignature, lambda: verify(sk.public, b"data", tampered))
    assert "trusted comment" in msg
    same = dataclasses.replace(parse_signature(text), trusted_comment="expires:2030 ")
    assert_raises_sentence(BadSignature, lambda: verify(sk.public, b"data", same))


def test_wrong_key_is_rejected() -> None:
    signer, other = generate_key(), generate_key()
    sig = parse_signature(sign(signer, b"data", ""))
    msg = assert_raises_sentence(BadSignature, lambda: verify(other.public, b"data", sig))
    assert signer.public.key_id_hex in msg and other.public.key_id_hex in msg
    # A different key that claims the signer's key id still fails.
    impostor = PublicKey(key_id=signer.key_id, raw=other.public.raw)
    assert_raises_sentence(BadSignature, lambda: verify(impostor, b"data", sig))


def test_signature_object_with_bad_lengths_is_rejected() -> None:
    sk = generate_key()
    sig = parse_signature(sign(sk, b"d", ""))
    short = dataclasses.replace(sig, signature=sig.signature[:63])
    assert_raises_sentence(BadSignature, lambda: verify(sk.public, b"d", short))


@pytest.mark.parametrize(
    "comment",
    ["two\nlines", "cr\rhere", "tab\there", "nul\0", "del\x7f", "c1\x85", "ls\u2028", "ps\u2029",
     "surrogate\ud800"],
)
def test_sign_refuses_control_characters_in_comments(comment: str) -> None:
    sk = generate_key()
    assert_raises_sentence(MinisignError, lambda: sign(sk, b"d", comment))
    assert_raises_sentence(MinisignError, lambda: sign(sk, b"d", "ok", untrusted_comment=comment))


def test_sign_refuses_oversized_comments_but_accepts_the_limits() -> None:
    sk = generate_key()
    assert_raises_sentence(MinisignError, lambda: sign(sk, b"d", "x" * 6001))
    assert_raises_sentence(MinisignError, lambda: sign(sk, b"d", "", untrusted_comment="x" * 1001))
    text = sign(sk, b"d", "é" * 3000, untrusted_comment="x" * 1000)  # 6000 bytes of UTF-8
    verify(sk.public, b"d", parse_signature(text))


# --- signatures: legacy and malformed files ----------------------------------


@needs_minisign
def test_legacy_signature_from_minisign_is_refused(tmp_path: Path, minisign_plain: Path) -> None:
    (tmp_path / "f").write_bytes(b"legacy")
    r = run_minisign("-S", "-l", "-s", str(minisign_plain / "k.key"), "-m", "f", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "f.minisig").read_text()
    assert unb64(text.splitlines()[1])[:2] == b"Ed"  # really a legacy signature
    msg = assert_raises_sentence(BadSignature, lambda: parse_signature(text))
    assert msg == LEGACY_SENTENCE


def test_constructed_legacy_signature_is_refused() -> None:
    # Built by hand: a valid legacy signature (Ed25519 over the raw data).
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    sk = generate_key()
    priv = Ed25519PrivateKey.from_private_bytes(sk.seed)
    s = priv.sign(b"raw data")
    text = (f"untrusted comment: legacy\n{b64(b'Ed' + sk.key_id + s)}\n"
            f"trusted comment: t\n{b64(priv.sign(s + b't'))}\n")
    assert assert_raises_sentence(BadSignature, lambda: parse_signature(text)) == LEGACY_SENTENCE


def _valid_sig_text() -> str:
    return sign(generate_key(), b"data", "tc")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: "\n".join(t.split("\n")[:2]), id="two-lines"),
        pytest.param(lambda t: "\n".join(t.split("\n")[:3]), id="three-lines"),
        pytest.param(lambda t: t + "extra\n", id="five-lines"),
        pytest.param(lambda t: t + "\n", id="blank-fifth-line"),
        pytest.param(lambda t: t[: len(t) // 2], id="truncated-mid"),
        pytest.param(lambda t: t[:-3] + "\n", id="truncated-global"),
        pytest.param(lambda t: replace_line(t, 0, "comment: x"), id="untrusted-prefix"),
        pytest.param(lambda t: replace_line(t, 2, "trusted: tc"), id="trusted-prefix"),
        pytest.param(lambda t: replace_line(t, 2, "trusted comment: a\x1bb"), id="escape-in-tc"),
        pytest.param(lambda t: replace_line(t, 1, b64(b"XX" + unb64(t.split("\n")[1])[2:])),
                     id="unknown-alg"),
        pytest.param(lambda t: replace_line(t, 1, b64(unb64(t.split("\n")[1]) + b"\0")),
                     id="75-bytes"),
        pytest.param(lambda t: replace_line(t, 1, t.split("\n")[1][:-2] + "=="), id="bad-padding"),
        pytest.param(lambda t: replace_line(t, 1, t.split("\n")[1].rstrip("=")), id="no-padding"),
        pytest.param(lambda t: replace_line(t, 1, non_canonical(t.split("\n")[1])),
                     id="non-canonical-sig"),
        pytest.param(lambda t: replace_line(t, 3, non_canonical(t.split("\n")[3])),
                     id="non-canonical-global"),
        pytest.param(lambda t: replace_line(t, 3, b64(bytes(63))), id="63-byte-global"),
        pytest.param(lambda t: " " + t, id="leading-space"),
        pytest.param(lambda t: "\ufeff" + t, id="bom"),
        pytest.param(lambda t: b"\xff\xfe" + t.encode(), id="invalid-utf8"),
        pytest.param(lambda t: replace_line(t, 0, "untrusted comment: " + "x" * 8200), id="oversized"),
        pytest.param(lambda t: replace_line(t, 0, "untrusted comment: " + "é" * 4000),
                     id="oversized-in-bytes"),
        pytest.param(lambda t: b"\0" * 100, id="nul-bytes"),
    ],
)
def test_malformed_signature_files_are_refused(make: Callable[[str], str | bytes]) -> None:
    assert_raises_sentence(BadSignature, lambda: parse_signature(make(_valid_sig_text())))


def test_signature_size_limit_boundary() -> None:
    sk = generate_key()
    text = sign(sk, b"d", "x" * 6000, untrusted_comment="y" * 1000)
    assert len(text.encode()) <= 8192
    verify(sk.public, b"d", parse_signature(text))
    padded = replace_line(text, 0, "untrusted comment: " + "y" * (1000 + 8193 - len(text)))
    assert len(padded.encode()) == 8193
    assert_raises_sentence(BadSignature, lambda: parse_signature(padded))


def test_signature_dataclass_fields() -> None:
    sk = generate_key()
    sig = parse_signature(sign(sk, b"d", "hello"))
    assert isinstance(sig, Signature)
    assert (len(sig.key_id), len(sig.signature), len(sig.global_signature)) == (8, 64, 64)
    assert sig.key_id == sk.key_id and sig.trusted_comment == "hello"
