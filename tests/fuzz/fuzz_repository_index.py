"""Fuzz target: a repository index from a stick or an onion site
(sync.repository.parse_index).

Only BadIndex may come out; whatever parses survives the round trip through the bytes
`usb export` writes (which list the packs sorted by file name)."""

from __future__ import annotations

import hashlib

from fuzzlib import fuzz_key, instrumented, main, real_packs, trust_list_seed

with instrumented():
    from sync.errors import BadIndex
    from sync.repository import Index, IndexEntry, pack_file_name, parse_index


def seeds() -> list[bytes]:
    entries = []
    for i, data in enumerate(real_packs()):
        sha = hashlib.sha256(data).hexdigest()
        entries.append(IndexEntry(pack_file_name(sha), f"org.example.p{i}", i + 1, len(data), sha,
                                  fuzz_key().public.key_id_hex))
    doc, sig, _ = trust_list_seed()
    return [Index(1_700_000_000, tuple(entries), (doc, sig)).to_bytes(), Index(1, ()).to_bytes()]


def one_input(data: bytes) -> None:
    try:
        index = parse_index(data)
    except BadIndex:
        return
    again = parse_index(index.to_bytes())
    assert again.to_bytes() == index.to_bytes()
    assert (again.created, again.trust_list) == (index.created, index.trust_list)
    assert sorted(again.packs, key=repr) == sorted(index.packs, key=repr)


if __name__ == "__main__":
    main(one_input, seeds)
