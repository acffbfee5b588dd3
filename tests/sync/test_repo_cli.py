"""`satchel repo add | list | remove`: the repositories a vault follows live inside it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from support import assert_one_sentence
from test_onion_url import onion

from app.vault import Vault

PASS = "correct horse\n"


def test_add_list_remove(vault: Vault, home: Path, cli: Callable[..., object]) -> None:
    vault.close()
    url = f"http://{onion(b'a')}/library/"
    r = cli("repo", "add", url.replace("/library/", "/library"), stdin=PASS)
    assert r.code == 0 and "Now following" in r.out, r.err  # type: ignore[attr-defined]
    r = cli("repo", "add", url.upper().replace("HTTP://", "http://").replace("/LIBRARY/", "/library/"), stdin=PASS)
    assert r.code == 0 and "Already following" in r.out  # type: ignore[attr-defined]
    r = cli("repo", "list", "--json", stdin=PASS)
    rows = json.loads(r.out)  # type: ignore[attr-defined]
    assert [row["url"] for row in rows] == [url] and rows[0]["index_version"] is None
    r = cli("repo", "list", stdin=PASS)
    assert url in r.out and "never reached" in r.out  # type: ignore[attr-defined]
    r = cli("repo", "remove", url, stdin=PASS)
    assert r.code == 0  # type: ignore[attr-defined]
    r = cli("repo", "remove", url, stdin=PASS)
    assert r.code == 1  # type: ignore[attr-defined]
    r = cli("repo", "list", "--json", stdin=PASS)
    assert json.loads(r.out) == []  # type: ignore[attr-defined]


def test_a_bad_address_is_refused_before_the_passphrase(vault: Vault, cli: Callable[..., object]) -> None:
    vault.close()
    r = cli("repo", "add", "http://example.org/repo/", stdin="")
    assert r.code == 1  # type: ignore[attr-defined]
    assert_one_sentence(r.err)  # type: ignore[attr-defined]
    assert "only onion" in r.err  # type: ignore[attr-defined]


def test_addresses_are_never_in_a_plain_file(vault: Vault, home: Path, cli: Callable[..., object]) -> None:
    vault.close()
    address = onion(b"secret")
    assert cli("repo", "add", f"http://{address}/", stdin=PASS).code == 0  # type: ignore[attr-defined]
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert address.encode() not in data and address[:20].encode() not in data, path.name
