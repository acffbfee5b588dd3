"""Fuzz target: a sealed stick's container, as it comes out of decryption
(sync.sealed.parse_directory). Decryption itself is AES-GCM per chunk (a changed byte
fails the tag; the property tests check that on real sealed files); what it lets through
is exactly what someone holding the passphrase chose, so the container is outside data.

Only SealedError may come out, and every file found lies inside the plaintext."""

from __future__ import annotations

import hashlib

from fuzzlib import instrumented, main, real_packs

with instrumented():
    from sync.errors import SealedError
    from sync.repository import pack_file_name
    from sync.sealed import container_header, parse_directory


def seeds() -> list[bytes]:
    packs = real_packs()[:2]
    files = [(pack_file_name(hashlib.sha256(p).hexdigest()), len(p)) for p in packs]
    return [container_header(files) + b"".join(packs), container_header([("index.json", 2)]) + b"{}"]


def one_input(data: bytes) -> None:
    def read_at(pos: int, n: int) -> bytes:
        return data[pos:pos + n]

    try:
        files = parse_directory(read_at, len(data))
    except SealedError:
        return
    for offset, size in files.values():
        assert 0 <= offset and offset + size <= len(data)


if __name__ == "__main__":
    main(one_input, seeds)
