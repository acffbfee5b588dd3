"""Repository addresses: only http://<v3 onion>.onion[:port]/path/, checked strictly."""

from __future__ import annotations

import base64
import hashlib

import pytest

from sync.errors import BadRepositoryUrl
from sync.onion import onion_key_ok, parse_repo_url


def onion(seed: bytes = b"k") -> str:
    """A well-formed v3 onion name: a real Ed25519 key (Tor refuses a point off the curve)
    that nobody publishes a service for."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    private = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed).digest())
    pubkey = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    checksum = hashlib.sha3_256(b".onion checksum" + pubkey + b"\x03").digest()[:2]
    return base64.b32encode(pubkey + checksum + b"\x03").decode().lower() + ".onion"


GOOD = onion()


def test_a_good_address_is_normalised() -> None:
    url = parse_repo_url(f"  HTTP://{GOOD.upper()}/library  ")
    assert str(url) == f"http://{GOOD}/library/"
    assert url.port == 80 and url.service_id == GOOD[:-6]
    assert str(parse_repo_url(f"http://{GOOD}")) == f"http://{GOOD}/"
    assert str(parse_repo_url(f"http://{GOOD}:8080/a/b/")) == f"http://{GOOD}:8080/a/b/"
    assert parse_repo_url(f"http://{GOOD}/a/").file_path("index.json") == "/a/index.json"


@pytest.mark.parametrize("text, why", [
    (f"https://{GOOD}/", "Tor already encrypts"),
    (f"ftp://{GOOD}/", "http://"),
    ("http://example.org/repo/", "only onion"),
    ("http://93.184.216.34/repo/", "only onion"),
    ("http://abc.onion/", "not a complete onion"),
    (f"http://{GOOD[:10]}x{GOOD[11:]}/", "typing mistake"),
    (f"http://user:pw@{GOOD}/", "user name"),
    (f"http://{GOOD}/a?b=c", "query"),
    (f"http://{GOOD}/a#frag", "query"),
    (f"http://{GOOD}:0/", "port"),
    (f"http://{GOOD}:65536/", "port"),
    (f"http://{GOOD}/../etc/", "path"),
    (f"http://{GOOD}/a//b/", "path"),
    (f"http://{GOOD}/a b/", "plain letters"),
    (f"http://{GOOD}/\u0627/", "plain letters"),
    (f"http://{GOOD}/" + "a/" * 150, "too long"),
    ("notaurl", "looks like"),
])
def test_bad_addresses_are_refused_with_one_sentence(text: str, why: str) -> None:
    with pytest.raises(BadRepositoryUrl) as err:
        parse_repo_url(text)
    assert why in str(err.value)


def test_the_checksum_and_version_byte_are_checked() -> None:
    assert onion_key_ok(GOOD)
    raw = bytearray(base64.b32decode(GOOD[:56].upper()))
    raw[34] = 2  # a version 2 byte with a v3 length
    assert not onion_key_ok(base64.b32encode(bytes(raw)).decode().lower() + ".onion")
