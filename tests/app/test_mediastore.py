"""app.mediastore: cutting a pack's bytes at its media members, and keeping them."""

from __future__ import annotations

import hashlib
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from app.mediastore import Keeper, Span, split


def _span(data: bytes, start: int, end: int) -> Span:
    return Span(start, end, hashlib.sha256(data[start:end]).hexdigest())


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4000), st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 600)), max_size=8),
       st.integers(1, 700))
def test_split_keeps_every_byte_in_order_and_cuts_at_disjoint_spans(size: int, raw: list[tuple[int, int]],
                                                                     chunk: int) -> None:
    data = os.urandom(size)
    spans = [_span(data, min(a, size), min(a + n, size)) for a, n in raw]
    pieces = list(split(_chunks(data, chunk), spans))
    assert b"".join(p.data for p in pieces) == data
    # Each member's bytes, gathered from its pieces, are exactly its span's bytes.
    gathered: dict[tuple[str, int], bytes] = {}
    pos, current = 0, None
    for p in pieces:
        if p.blob is not None:
            if p.first:
                current = (p.blob, pos)
                gathered[current] = b""
            assert current is not None and current[0] == p.blob
            gathered[current] += p.data
        else:
            current = None
        pos += len(p.data)
    for (sha, start), content in gathered.items():
        assert hashlib.sha256(content).hexdigest() == sha
        assert data[start:start + len(content)] == content


def test_overlapping_members_never_make_a_blob_of_the_wrong_bytes() -> None:
    """A crafted archive pointing two members at overlapping bytes: only the first
    becomes a blob, holding exactly its own bytes."""
    data = os.urandom(1000)
    a, b = _span(data, 100, 300), _span(data, 200, 400)
    pieces = list(split(_chunks(data, 64), [b, a]))
    assert {p.blob for p in pieces} == {None, a.sha256}
    assert b"".join(p.data for p in pieces if p.blob) == data[100:300]


class _Conn:
    """Records the rows a Keeper writes (the SQL is exercised by the import tests)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, tuple[object, ...]]] = []

    def execute(self, sql: str, params: tuple[object, ...] = ()) -> "_Conn":
        self.rows.append((sql.split()[2] if sql.startswith("INSERT") else sql, params))
        self.result = None
        return self

    def fetchone(self) -> None:
        return None


def test_keeper_writes_one_blob_per_hash_and_names_it_in_the_kept_rows() -> None:
    data = os.urandom(3000)
    same = data[500:700]
    data = data[:1500] + same + data[1700:]  # the same bytes twice, as two members
    spans = [_span(data, 500, 700), _span(data, 1500, 1700)]
    conn = _Conn()
    keeper = Keeper(conn, "org.example.x")
    for piece in split(_chunks(data, 256), spans):
        keeper.add(piece)
    keeper.finish()
    blob_rows = [p for t, p in conn.rows if t == "media_blobs"]
    named = [p for t, p in conn.rows if t == "pack_chunks" and len(p) == 5]
    assert len(blob_rows) == 1 and blob_rows[0][2] == same
    assert [p[3] for p in named] == [spans[0].sha256, spans[1].sha256]
    raw = b"".join(p[2] for t, p in conn.rows if t == "pack_chunks" and len(p) == 3)
    assert raw == data[:500] + data[700:1500] + data[1700:]
