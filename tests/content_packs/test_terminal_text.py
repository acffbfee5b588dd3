"""Text from packs never reaches a terminal raw, and no validating pattern accepts a
trailing newline (finding 8 of the hardening review)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from support import KeyPair, craft_pack, manifest_dict, write_source

from app.cli.io import plain
from app.trust import TrustError, parse_trust_list
from content_packs.build import build_pack
from content_packs.errors import PackRejected
from content_packs.limits import LANG_RE, PACK_ID_RE, SHA256_RE, check_member_path
from content_packs.manifest import parse_manifest, parse_trusted_comment
from sync.repository import is_pack_name

# Characters a terminal must never receive from a pack: CSI (C1), the bidi override that
# turns "(sample)" around, the isolates, a line separator and a newline.
HOSTILE = ["\u009b", "\u202e", "\u202a", "\u2066", "\u2069", "\u2028", "\n", "\x1b", "\x85"]


def test_plain_neutralises_every_terminal_and_bidi_control() -> None:
    for c in HOSTILE + ["\u202b", "\u202c", "\u202d", "\u2067", "\u2068", "\x7f", "\x9f", "\u2029"]:
        assert c not in plain(f"Title{c}(sample)"), hex(ord(c))
    # What Persian, Arabic and Hebrew titles need is left alone.
    for keep in ["\u200c", "\u200d", "\u200f", "\u200e", "\u061c", "فارسی", "中文"]:
        assert keep in plain(f"a{keep}b")
    assert len(plain("x" * 1000)) == 300


def test_member_path_with_newlines_is_refused() -> None:
    assert check_member_path("media/fake\n/Signer\n/OK.png") is not None
    assert check_member_path("pages/intro.md\n") is not None
    assert check_member_path("pages/intro.md") is None


def test_no_validating_pattern_accepts_a_trailing_newline() -> None:
    for pattern, good in ((PACK_ID_RE, "org.example.guide"), (LANG_RE, "zh-Hans"), (SHA256_RE, "a" * 64)):
        assert pattern.fullmatch(good)
        assert not pattern.fullmatch(good + "\n")
        assert not pattern.match(good + "\n"), "a caller using .match must be safe too"
    assert is_pack_name("0123456789abcdef.bin") and not is_pack_name("0123456789abcdef.bin\n")
    with pytest.raises(PackRejected):
        parse_trusted_comment("satchel-pack id=org.example.guide version=1 time=1700000000\n")
    doc = {"type": "satchel-trust-list", "version": 1,
           "roots": ["RWTgE2ufiAq2Yn1OVl8d3kAAzeS7nbumTsrGfvXJxjtO0eGEmnsQLz13"],
           "keys": [{"public_key": "RWTgE2ufiAq2Yn1OVl8d3kAAzeS7nbumTsrGfvXJxjtO0eGEmnsQLz13",
                     "scopes": ["org.example.\n"]}]}
    with pytest.raises(TrustError):
        parse_trust_list(json.dumps(doc).encode())


def test_manifest_refuses_trailing_newlines_and_c1_controls(trainer: KeyPair) -> None:
    page = b"# Hi\n"
    base = manifest_dict(trainer.secret, {"pages/a.md": page})
    for field, value in (("id", "org.example.guide\n"), ("language", "en\n"), ("signer", base["signer"] + "\n"),
                         ("title", "Update\u009b31m"), ("title", "Bad\x7f")):
        doc = dict(base, **{field: value})
        with pytest.raises(PackRejected):
            parse_manifest(json.dumps(doc).encode())
    doc = dict(base, files=[{"path": "pages/a.md", "size": len(page),
                             "sha256": hashlib.sha256(page).hexdigest() + "\n"}])
    with pytest.raises(PackRejected):
        parse_manifest(json.dumps(doc).encode())


def test_pack_with_a_newline_in_a_member_path_is_refused(cli, tmp_path: Path, trainer: KeyPair) -> None:
    page, fake = b"# Hi\n\nText.\n", b"\x89PNG\r\n\x1a\n"
    files = {"pages/a.md": page, "media/fake\n/Signer\n/OK.png": fake}
    pack = craft_pack(tmp_path / "p.satchel", trainer.secret, manifest_dict(trainer.secret, files),
                      list(files.items()))
    r = cli("pack", "inspect", str(pack), "--trust", str(trainer.pub_path))
    assert r.code == 1
    assert "Signer" not in r.out and "OK.png" not in r.out + r.err


def test_titles_reach_the_terminal_neutralised(cli, tmp_path: Path, trainer: KeyPair) -> None:
    # The builder and the manifest parser refuse direction controls in titles, so they
    # reach the terminal only through a page's text (a search snippet): that text too
    # must arrive neutralised.
    title = "Security alert from the team"
    src = write_source(tmp_path / "src", title=title,
                       pages={"pages/a.md": "# Alert\n\nReplace your keys \u202eelpmas\u202c \u2066x\u2069 \u202a.\n"})
    pack = tmp_path / "p.satchel"
    build_pack(src, trainer.secret, pack)
    assert cli("init", "--iter-time", "5", stdin="pw\n").code == 0
    assert cli("trust", "add", str(trainer.pub_path), "--yes", stdin="pw\n").code == 0
    assert cli("import", str(pack), stdin="pw\n").code == 0
    outputs = [
        cli("list", stdin="pw\n"), cli("list", "--json", stdin="pw\n"),
        cli("search", "keys", stdin="pw\n"), cli("search", "keys", "--json", stdin="pw\n"),
        cli("pack", "inspect", str(pack)), cli("pack", "inspect", str(pack), "--json"),
    ]
    assert "Replace your keys" in outputs[2].out  # the snippet with the controls was printed
    for r in outputs:
        assert r.code == 0, r.err
        for c in HOSTILE[1:5]:
            assert c not in r.out + r.err, (hex(ord(c)), r.out)
    # JSON stays JSON, and the escaped characters mean the same text to a program.
    listed = json.loads(outputs[1].out)
    assert listed[0]["title"] == title
