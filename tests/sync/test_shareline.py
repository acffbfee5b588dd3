"""The share line a trainer reads out or shows as a QR code: it carries the onion
address, the client key and the trainer's signing key, and every typing mistake or
foreign text is one sentence."""

from __future__ import annotations

import base64
import re

import pytest

from crypto import minisign
from support import assert_one_sentence
from sync.errors import BadShareLine
from sync.shareline import (
    PREFIX,
    ShareLine,
    client_public_b32,
    looks_like_share_line,
    new_client_key,
    parse_share_line,
)

ONION = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd"   # a valid v3 address


def line() -> ShareLine:
    return ShareLine(ONION, new_client_key(), minisign.generate_key().public)


def test_a_line_reads_back_exactly() -> None:
    original = line()
    text = original.text
    assert re.fullmatch(r"SATCHEL-SHARE:1:[A-Z2-7]{56}:[A-Z2-7]{52}:[A-Z2-7]{68}:[A-Z2-7]{8}", text)
    back = parse_share_line(text)
    assert back == original
    assert str(back.url) == f"http://{ONION}.onion/"
    assert base64.b64decode(back.client_key_b64) == original.client_key


def test_case_and_white_space_do_not_matter() -> None:
    original = line()
    broken = original.text.lower()
    broken = " " + broken[:40] + "\n" + broken[40:90] + "\t " + broken[90:] + "\r\n"
    assert parse_share_line(broken) == original
    assert looks_like_share_line(broken)


def test_the_qr_code_uses_alphanumeric_mode() -> None:
    import segno

    qr = segno.make(line().text, error="m")
    assert qr.mode == "alphanumeric"
    assert qr.version <= 10          # small enough to read off a projector with a phone


def test_the_key_never_shows_in_a_repr() -> None:
    original = line()
    assert original.text.split(":")[3] not in repr(original)
    assert "client_key" not in repr(original)


@pytest.mark.parametrize("field", [2, 3, 4, 5])
def test_one_wrong_letter_anywhere_is_a_typing_mistake(field: int) -> None:
    parts = line().text.split(":")
    value = parts[field]
    parts[field] = value[:3] + ("A" if value[3] != "A" else "B") + value[4:]
    with pytest.raises(BadShareLine) as err:
        parse_share_line(":".join(parts))
    assert "typing mistake" in str(err.value) or "not valid" in str(err.value)
    assert_one_sentence(str(err.value))


@pytest.mark.parametrize("text, words", [
    ("http://example.onion/", "not a share line"),
    ("", "not a share line"),
    ("SATCHEL-SHARE:2:AAAA", "newer Satchel"),
    ("SATCHEL-SHARE:1:AAAA:BBBB", "incomplete"),
    ("SATCHEL-SHARE:1:" + "A" * 56 + ":" + "B" * 52 + ":" + "C" * 68 + ":" + "0" * 8, "incomplete"),
    ("SATCHEL-SHARE:1:" + "A" * 56 + ":" + "B" * 52 + ":" + "C" * 68 + ":" + "D" * 8, "typing mistake"),
    ("SATCHEL-SHARE:1:" + "A" * 1000, "too long"),
    ("SATCHEL-SHARE:1:" + "é" * 56, "incomplete"),
])
def test_malformed_lines_are_one_sentence(text: str, words: str) -> None:
    with pytest.raises(BadShareLine) as err:
        parse_share_line(text)
    assert words in str(err.value)
    assert_one_sentence(str(err.value))


def test_a_line_with_a_broken_signing_key_is_refused() -> None:
    """The checksum is right but the key blob is not a minisign Ed25519 key."""
    from sync.shareline import VERSION, _b32, _check, _unb32

    client = new_client_key()
    blob = b"XX" + bytes(40)
    text = ":".join((PREFIX, VERSION, ONION.upper(), _b32(client), _b32(blob), _check(_unb32(ONION.upper()), client, blob)))
    with pytest.raises(BadShareLine) as err:
        parse_share_line(text)
    assert "signing key" in str(err.value)


def test_the_client_public_key_is_what_tor_wants() -> None:
    key = new_client_key()
    public = client_public_b32(key)
    assert len(key) == 32 and re.fullmatch(r"[A-Z2-7]{52}", public)
    assert client_public_b32(key) == public
