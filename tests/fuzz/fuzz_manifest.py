"""Fuzz target: the manifest parser (content_packs.manifest.parse_manifest).

Only PackRejected may come out; whatever parses must survive the round trip through its
canonical bytes unchanged."""

from __future__ import annotations

from fuzzlib import instrumented, main, real_manifests

with instrumented():
    from content_packs.errors import PackRejected
    from content_packs.manifest import parse_manifest


def seeds() -> list[bytes]:
    return real_manifests()


def one_input(data: bytes) -> None:
    try:
        manifest = parse_manifest(data)
    except PackRejected:
        return
    assert parse_manifest(manifest.to_bytes()) == manifest


if __name__ == "__main__":
    main(one_input, seeds)
