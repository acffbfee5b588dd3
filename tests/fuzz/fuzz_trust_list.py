"""Fuzz target: trust lists (app.trust.parse_trust_list and verify_trust_list).

Only TrustError may come out; a document that verifies against the seed's signature must
be the signed document itself."""

from __future__ import annotations

from fuzzlib import instrumented, main, trust_list_seed

with instrumented():
    from app.trust import TrustError, parse_trust_list, verify_trust_list

_SEED = trust_list_seed()


def seeds() -> list[bytes]:
    return [_SEED[0], b'{"type":"satchel-trust-list","version":1,"roots":[],"keys":[]}']


def one_input(data: bytes) -> None:
    doc, sig, root = _SEED
    try:
        parse_trust_list(data)
    except TrustError:
        pass
    try:
        verify_trust_list(data, sig, (root,))  # type: ignore[arg-type]
    except TrustError:
        return
    assert data == doc, "a trust list was accepted that its root did not sign"


if __name__ == "__main__":
    main(one_input, seeds)
