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
