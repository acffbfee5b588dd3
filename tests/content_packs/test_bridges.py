"""Bridge lines: the strict parser (fuzzed), and bridges carried inside a signed pack."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import KeyPair, write_source

from app.trust import GivenKey
from content_packs.bridges import MAX_BRIDGES, BadBridge, parse_bridge, parse_bridges, split_lines
from content_packs.build import build_pack
from content_packs.errors import PackRejected, SourceError
from content_packs.manifest import parse_manifest
from content_packs.verify import verify_pack_file

CERT = "ssH+9rP8dG2NLDN2XuFw63hIO/9MNNinLmxQDpVa+7kTOa9/m+tGWT1SmSYpQ9uTBGa6Hw"
FP = "A" * 40
OBFS4 = f"obfs4 192.0.2.3:443 {FP} cert={CERT} iat-mode=0"
SNOWFLAKE = ("snowflake 192.0.2.3:80 2B280B23E1107BB62ABFC40DDCC8824814F80A72 "
             "fingerprint=2B280B23E1107BB62ABFC40DDCC8824814F80A72 url=https://snowflake-broker.torproject.net/ "
             "fronts=foursquare.com,github.githubassets.com ice=stun:stun.l.google.com:19302,stun:stun.antisip.com:3478 "
             "utls-imitate=hellorandomizedalpn")


def test_good_lines_come_back_canonical() -> None:
    assert parse_bridge(OBFS4).line == OBFS4
    assert parse_bridge(OBFS4).transport == "obfs4"
    assert parse_bridge(SNOWFLAKE).transport == "snowflake"
    assert parse_bridge("  Bridge   " + OBFS4.replace(" ", "\t") + "  ").line == OBFS4   # pasted from a torrc
    assert parse_bridge("198.51.100.7:9001").line == "198.51.100.7:9001"
    assert parse_bridge(f"[2001:db8::1]:443 {FP.lower()}").line == f"[2001:db8::1]:443 {FP}"


@pytest.mark.parametrize("line, why", [
    ("", "empty"),
    ("meek_lite 192.0.2.3:80 " + FP, "obfs4 and snowflake"),
    ("webtunnel 192.0.2.3:443 " + FP + " url=https://example.com/x", "obfs4 and snowflake"),
    ("obfs4 bridge.example.com:443 " + FP + f" cert={CERT} iat-mode=0", "IP address"),
    ("obfs4 192.0.2.3:0 " + FP + f" cert={CERT} iat-mode=0", "port"),
    ("obfs4 192.0.2.3:99999 " + FP + f" cert={CERT} iat-mode=0", "port"),
    ("obfs4 192.0.2.3:443 " + FP[:-1] + f" cert={CERT} iat-mode=0", "fingerprint"),
    ("obfs4 192.0.2.3:443 " + f"cert={CERT} iat-mode=0", "fingerprint"),
    ("obfs4 192.0.2.3:443 " + FP + " cert=short iat-mode=0", "cert"),
    ("obfs4 192.0.2.3:443 " + FP + f" cert={CERT} iat-mode=3", "iat-mode"),
    ("obfs4 192.0.2.3:443 " + FP + f" cert={CERT}", "exactly"),
    ("obfs4 192.0.2.3:443 " + FP + f" cert={CERT} iat-mode=0 extra=1", "exactly"),
    ("obfs4 192.0.2.3:443 " + FP + f" cert={CERT} cert={CERT} iat-mode=0", "twice"),
    (OBFS4 + "\nSocksPort 0.0.0.0:9050", "characters"),
    (OBFS4 + " # comment", "characters"),
    ('obfs4 192.0.2.3:443 ' + FP + ' cert="x" iat-mode=0', "characters"),
    ("snowflake 192.0.2.3:80 " + FP + " url=http://broker.example/", "invalid setting"),
    ("snowflake 192.0.2.3:80 " + FP + " evil=1", "does not know"),
    ("198.51.100.7:9001 " + FP + " cert=x", "cannot carry settings"),
    ("obfs4 " + "1" * 1600, "longer"),
    ("obfs4 192.0.2.3:443 " + FP + " cert=" + "A" * 700 + " iat-mode=0", "characters"),
    ("\u0661\u0669\u0662.0.2.3:443", "characters"),
])
def test_bad_lines_are_refused_with_one_sentence(line: str, why: str) -> None:
    with pytest.raises(BadBridge) as err:
        parse_bridge(line)
    text = str(err.value)
    assert why in text
    assert text.endswith((".", "?")) and "\n" not in text and CERT not in text


def test_a_list_skips_blanks_and_comments_and_is_capped() -> None:
    assert [b.line for b in parse_bridges(["", "# from the trainer", OBFS4, OBFS4])] == [OBFS4]
    many = [f"198.51.100.{i}:9001" for i in range(MAX_BRIDGES + 1)]
    with pytest.raises(BadBridge):
        parse_bridges(many)
    with pytest.raises(BadBridge):
        split_lines("x" * 200_000)


_printable = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x2FF), max_size=300)
_tokens = st.lists(st.sampled_from(["obfs4", "snowflake", "Bridge", "192.0.2.3:443", "[::1]:1", FP, f"cert={CERT}",
                                    "iat-mode=0", "url=https://a.b/", "ice=stun:a.b:1", "fronts=a.b", "=", "x=",
                                    "\n", "#", '"', "0.0.0.0:9050", "SocksPort"]), max_size=8)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_printable, _tokens.map(" ".join)))
def test_fuzzed_lines_are_either_refused_or_safe(text: str) -> None:
    """Whatever the input: BadBridge, or a canonical line that parses to itself and can
    only ever be one torrc line of the allowed shape."""
    try:
        bridge = parse_bridge(text)
    except BadBridge as exc:
        assert str(exc).endswith((".", "?"))
        return
    line = bridge.line
    assert all(0x21 <= ord(c) <= 0x7E or c == " " for c in line)
    assert not set(line) & set("#\"'\\\n\r")
    assert parse_bridge(line) == bridge
    assert bridge.transport in ("", "obfs4", "snowflake")


def test_a_pack_carries_bridges_inside_its_signed_manifest(tmp_path: Path, trainer: KeyPair) -> None:
    src = write_source(tmp_path / "src", pack_id="org.example.bridges")
    toml = (src / "pack.toml").read_text()
    (src / "pack.toml").write_text(toml + f'\n[tor]\nbridges = ["{OBFS4}", "Bridge  198.51.100.7:9001"]\n')
    out = tmp_path / "b.satchel"
    build_pack(src, trainer.secret, out)
    manifest = verify_pack_file(out, GivenKey(trainer.public))
    assert manifest.bridges == (OBFS4, "198.51.100.7:9001")
    with zipfile.ZipFile(out) as z:
        doc = json.loads(z.read("manifest.json"))
    assert doc["tor"] == {"bridges": [OBFS4, "198.51.100.7:9001"]}


def test_a_pack_without_bridges_has_no_tor_field(tmp_path: Path, trainer: KeyPair) -> None:
    out = tmp_path / "plain.satchel"
    build_pack(write_source(tmp_path / "src"), trainer.secret, out)
    with zipfile.ZipFile(out) as z:
        assert "tor" not in json.loads(z.read("manifest.json"))


@pytest.mark.parametrize("table", [
    '[tor]\nbridges = ["obfs4 host.example:1"]\n',
    '[tor]\nbridges = []\n',
    '[tor]\nbridges = "not a list"\n',
    '[tor]\nrelays = ["x"]\n',
    '[tor]\nbridges = ["198.51.100.7:9001", "198.51.100.7:9001"]\n',
])
def test_bad_bridges_in_a_source_folder_are_refused(tmp_path: Path, table: str) -> None:
    from content_packs.source import load_source

    src = write_source(tmp_path / "src")
    (src / "pack.toml").write_text((src / "pack.toml").read_text() + "\n" + table)
    with pytest.raises(SourceError) as err:
        load_source(src)
    assert "[tor]" in str(err.value)


@pytest.mark.parametrize("tor", [
    {"bridges": ["obfs4 host.example:1 " + FP]},
    {"bridges": []},
    {"bridges": [OBFS4, OBFS4]},
    {"bridges": ["Bridge " + OBFS4]},          # not canonical
    {"bridges": [OBFS4], "more": 1},
    {"relays": [OBFS4]},
    ["not", "an", "object"],
])
def test_a_signed_manifest_with_bad_bridges_is_refused(tor: object) -> None:
    doc = {"format": 1, "id": "org.example.x", "version": 1, "title": "T", "language": "en", "kind": "guide",
           "signer": "0123456789ABCDEF", "chapters": [{"title": "C", "pages": ["pages/a.md"]}],
           "files": [{"path": "pages/a.md", "size": 1, "sha256": "0" * 64}], "tor": tor}
    with pytest.raises(PackRejected):
        parse_manifest(json.dumps(doc).encode())
