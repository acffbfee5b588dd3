"""Only what changed: the rebuild plan, checked on real packs built by `pack build`.

No network here: "net" pieces are read from the new file itself, which is exactly what
Range requests would return. The Tor tests run the same plan over the private network.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from support import KeyPair
from torenv import build

from app.trust import GivenKey
from content_packs.limits import MANIFEST_NAME, SIGNATURE_NAME
from content_packs.verify import open_pack
from sync.zipdelta import Plan, Unusable, find_directory, member_data, parse_directory, plan_rebuild


def layout_of(data: bytes):  # type: ignore[no-untyped-def]
    tail_start = max(0, len(data) - 65536)
    cd_offset, cd_size, entries = find_directory(data[tail_start:], tail_start, len(data))
    return parse_directory(data[cd_offset:cd_offset + cd_size], entries, cd_offset, len(data))


def manifest_of(path: Path, key: KeyPair):  # type: ignore[no-untyped-def]
    with open_pack(path, GivenKey(key.public)) as pack:
        return pack.manifest


def rebuild(plan: Plan, old: bytes, new: bytes) -> tuple[bytes, int]:
    out, net = bytearray(), 0
    for p in plan.pieces:
        if p.kind == "old":
            out += old[p.at:p.at + p.length]
        elif p.kind == "mem":
            out += plan.blocks[p.block][p.at:p.at + p.length]
        else:
            out += new[p.start:p.end]
            net += p.length
    return bytes(out), net


def plan_for(tmp_path: Path, trainer: KeyPair, old_path: Path, new_path: Path) -> tuple[Plan, bytes, bytes]:
    old, new = old_path.read_bytes(), new_path.read_bytes()
    new_layout = layout_of(new)
    head_end = max(new_layout.member(MANIFEST_NAME).end, new_layout.member(SIGNATURE_NAME).end)
    fetched = [(len(new) - 65536, new[-65536:]), (0, new[:head_end])]
    plan = plan_rebuild(new_layout, manifest_of(new_path, trainer), layout_of(old), manifest_of(old_path, trainer),
                        fetched)
    return plan, old, new


def test_one_changed_page_of_a_big_pack_is_all_that_is_fetched(tmp_path: Path, trainer: KeyPair) -> None:
    v1 = build(tmp_path, trainer, "org.example.big", 1, pages=120, media=3_000_000)
    v2 = build(tmp_path, trainer, "org.example.big", 2, pages=120, media=3_000_000, change=60)
    plan, old, new = plan_for(tmp_path, trainer, v1, v2)
    rebuilt, net = rebuild(plan, old, new)
    assert rebuilt == new
    assert net < 8192 < plan.old_bytes     # one deflated page record; the film comes from the old file
    assert net / len(new) < 0.005


def test_a_changed_film_is_fetched_and_the_pages_are_not(tmp_path: Path, trainer: KeyPair) -> None:
    v1 = build(tmp_path, trainer, "org.example.film", 1, pages=50, media=1_000_000, seed=1)
    v2 = build(tmp_path, trainer, "org.example.film", 2, pages=50, media=1_000_000, seed=2)
    plan, old, new = plan_for(tmp_path, trainer, v1, v2)
    rebuilt, net = rebuild(plan, old, new)
    assert rebuilt == new
    assert 1_000_000 <= net < 1_000_000 + 70_000


def test_small_gaps_between_fetches_are_fetched_too(tmp_path: Path, trainer: KeyPair) -> None:
    """Two pages changed a few records apart: one request covers both (a round trip over
    Tor costs more than the few KiB between them)."""
    v1 = build(tmp_path, trainer, "org.example.gaps", 1, pages=40)
    v2 = build(tmp_path, trainer, "org.example.gaps", 2, pages=40, change=(10, 12))
    plan, old, new = plan_for(tmp_path, trainer, v1, v2)
    assert rebuild(plan, old, new)[0] == new
    assert sum(1 for p in plan.pieces if p.kind == "net") == 1
    far = build(tmp_path, trainer, "org.example.gaps", 3, pages=40, media=200_000, change=(1, 39))
    plan, old, new = plan_for(tmp_path, trainer, v1, far)
    assert rebuild(plan, old, new)[0] == new


@pytest.mark.parametrize("damage", ["no-eocd", "zip64", "comment-mismatch", "gap", "duplicate"])
def test_a_layout_that_does_not_tile_is_unusable(tmp_path: Path, trainer: KeyPair, damage: str) -> None:
    data = bytearray(build(tmp_path, trainer, "org.example.d", 1, pages=3).read_bytes())
    at = data.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack("<II", data[at + 12:at + 20])
    if damage == "no-eocd":
        data[at:at + 4] = b"XXXX"
    elif damage == "zip64":
        data[at + 16:at + 20] = b"\xff\xff\xff\xff"
    elif damage == "comment-mismatch":
        data[at + 20:at + 22] = (5).to_bytes(2, "little")
    elif damage == "gap":
        first = cd_offset
        data[first + 42:first + 46] = (7).to_bytes(4, "little")    # first record does not start at 0
    elif damage == "duplicate":
        # the second directory entry gets the first one's name (same length: both 13 bytes)
        n1 = int.from_bytes(data[cd_offset + 28:cd_offset + 30], "little")
        second = cd_offset + 46 + n1 + int.from_bytes(data[cd_offset + 30:cd_offset + 32], "little")
        n2 = int.from_bytes(data[second + 28:second + 30], "little")
        name = bytes(data[cd_offset + 46:cd_offset + 46 + n1])
        if n2 == n1:
            data[second + 46:second + 46 + n2] = name
        else:
            data[at:at + 4] = b"XXXX"
    with pytest.raises(Unusable):
        layout_of(bytes(data))


def test_member_data_refuses_a_record_under_another_name(tmp_path: Path, trainer: KeyPair) -> None:
    data = build(tmp_path, trainer, "org.example.n", 1, pages=2).read_bytes()
    layout = layout_of(data)
    m, s = layout.member(MANIFEST_NAME), layout.member(SIGNATURE_NAME)
    assert member_data(data[s.offset:s.end], s).startswith(b"untrusted comment:")
    with pytest.raises(Unusable):
        member_data(data[s.offset:s.end], m)
