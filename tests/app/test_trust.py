"""The trust list document: strict parsing and expiry through the whole day."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from app.trust import Grant, TrustError, check_grant, parse_trust_list, UntrustedKey
from crypto import minisign


def doc(**key_fields: object) -> bytes:
    key = minisign.generate_key().public
    entry = {"name": "P", "public_key": key.to_base64(), "scopes": ["org.p."], **key_fields}
    return json.dumps({"type": "satchel-trust-list", "version": 1, "roots": [key.to_base64()],
                       "keys": [entry]}).encode()


@pytest.mark.parametrize("fields", [{"revoked": "true"}, {"revoked": 1}, {"sample": "yes"},
                                    {"scopes": []}, {"scopes": ["Org.P"]}, {"expires": "next year"},
                                    {"colour": "red"}])
def test_doubtful_key_entries_are_refused(fields: dict) -> None:
    with pytest.raises(TrustError):
        parse_trust_list(doc(**fields))


def test_repeated_or_unknown_top_level_fields_are_refused() -> None:
    good = doc()
    parse_trust_list(good)
    with pytest.raises(TrustError):
        parse_trust_list(good[:-1] + b', "version": 2}')
    with pytest.raises(TrustError):
        parse_trust_list(good[:-1] + b', "mirrors": []}')


def test_a_key_is_valid_through_its_expiry_day() -> None:
    tl = parse_trust_list(doc(expires="2030-06-01"))
    listed = tl.keys[0]
    grant = Grant(listed.key, listed.name, "list", listed.scopes, listed.expires, listed.revoked)
    during = int(datetime(2030, 6, 1, 23, 59, tzinfo=timezone.utc).timestamp())
    after = int(datetime(2030, 6, 2, 0, 0, 1, tzinfo=timezone.utc).timestamp())
    check_grant("org.p.guide", grant, during, tl)
    with pytest.raises(UntrustedKey):
        check_grant("org.p.guide", grant, after, tl)


# -- finding 7: a key-id clash never keeps the wrong key --------------------------------

def _same_id_as(key: minisign.SecretKey) -> minisign.SecretKey:
    """A different key that claims `key`'s key id (ids are chosen by whoever makes the key)."""
    other = minisign.generate_key()
    return minisign.SecretKey(key_id=key.key_id, seed=other.seed)


def test_trust_add_refuses_a_different_key_with_a_trusted_key_id(cli, tmp_path) -> None:
    from support import assert_one_sentence

    first = minisign.generate_key()
    second = _same_id_as(first)
    assert second.public.key_id_hex == first.public.key_id_hex and second.public.raw != first.public.raw
    (tmp_path / "first.pub").write_text(first.public.to_text())
    (tmp_path / "second.pub").write_text(second.public.to_text())
    assert cli("init", "--iter-time", "5", stdin="pw\n").code == 0
    assert cli("trust", "add", str(tmp_path / "first.pub"), "--name", "Amina", "--yes", stdin="pw\n").code == 0
    r = cli("trust", "add", str(tmp_path / "second.pub"), "--name", "Impostor", "--yes", stdin="pw\n")
    assert r.code == 1
    assert_one_sentence(r.err)
    assert "same key id" in r.err
    listed = cli("trust", "list", stdin="pw\n")
    assert first.public.fingerprint() in listed.out      # the text listing shows fingerprints
    assert second.public.fingerprint() not in listed.out
    assert "Impostor" not in listed.out and "Amina" in listed.out
    # The same key again only renames it.
    assert cli("trust", "add", str(tmp_path / "first.pub"), "--name", "Amina K.", "--yes", stdin="pw\n").code == 0
    assert "Amina K." in cli("trust", "list", stdin="pw\n").out


def test_a_clash_with_a_listed_key_is_refused_in_the_store(vault) -> None:
    from app.trust import TrustStore

    store = TrustStore(vault)   # the bundled list: the sample key is listed
    listed = store.current_list().keys[0].key
    impostor = minisign.PublicKey(key_id=listed.key_id, raw=minisign.generate_key().public.raw)
    with pytest.raises(UntrustedKey):
        store.add_manual(impostor, "Starter")
    assert store.manual_keys() == []
    grant = store.grant_for(listed.key_id_hex)
    assert grant is not None and grant.key == listed
