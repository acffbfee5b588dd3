"""Fuzz target: a whole pack file (content_packs.zipcheck and content_packs.verify: the
ZIP records, the signature, the manifest, the member list and every member's bytes).

Only PackError may come out. The seeds are real signed packs; a pack that is accepted
must carry one of their manifests byte for byte (a mutated signed pack is never accepted
with anything the key did not sign), and every member read back matches it."""

from __future__ import annotations

import hashlib
import io

from fuzzlib import fuzz_key, instrumented, main, real_packs

with instrumented():
    from app.trust import GivenKey
    from content_packs.errors import PackError
    from content_packs.verify import open_pack

_POLICY = None
_SIGNED: set[bytes] = set()


def seeds() -> list[bytes]:
    return real_packs()


def _setup() -> GivenKey:
    global _POLICY
    if _POLICY is None:
        import zipfile

        for data in real_packs():
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                _SIGNED.add(z.read("manifest.json"))
        _POLICY = GivenKey(fuzz_key().public)
    return _POLICY


def one_input(data: bytes) -> None:
    policy = _setup()
    try:
        with open_pack(io.BytesIO(data), policy) as pack:
            assert pack.manifest_bytes in _SIGNED, "a pack was accepted with a manifest nobody signed"
            for entry in pack.manifest.files:
                content = pack.read_member(entry)
                assert hashlib.sha256(content).hexdigest() == entry.sha256
    except PackError:
        return


if __name__ == "__main__":
    main(one_input, seeds)
