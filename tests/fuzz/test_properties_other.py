"""Property tests (hypothesis) of the other parsers of outside data: trust lists,
repository indexes, sealed sticks and Markdown pages. Never an exception other than the
module's typed error; a changed signed input is never accepted; round trips where a
writer exists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fuzz_markdown
import fuzz_repository_index
import fuzz_sealed
import fuzz_trust_list
import pytest
from fuzzlib import fuzz_key, trust_list_seed
from hypothesis import given, settings
from hypothesis import strategies as st

from app.trust import TrustError, verify_trust_list
from content_packs.limits import SHA256_RE
from sync.errors import SealedError
from sync.repository import Index, IndexEntry, pack_file_name, parse_index
from sync.sealed import SealedSource, container_header, sealed_chunks

DOC, SIG, ROOT_KEY = trust_list_seed()
INDEX_SEEDS = fuzz_repository_index.seeds()
json_scalars = st.none() | st.booleans() | st.integers(-2**64, 2**64) | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)


# -- trust lists ---------------------------------------------------------------------------

@given(st.data())
def test_a_trust_list_with_any_field_changed_is_refused_or_parsed(data: Any) -> None:
    doc = json.loads(DOC)
    holder = data.draw(st.sampled_from([doc, doc["keys"][0]]))
    key = data.draw(st.sampled_from(sorted(holder)) | st.text(max_size=8))
    if data.draw(st.booleans()):
        holder[key] = data.draw(json_values)
    else:
        holder.pop(key, None)
    fuzz_trust_list.one_input(json.dumps(doc).encode())


@given(st.integers(0, len(DOC) - 1), st.integers(1, 255))
def test_a_changed_byte_of_a_signed_trust_list_is_never_accepted(pos: int, delta: int) -> None:
    changed = bytearray(DOC)
    changed[pos] = (changed[pos] + delta) % 256
    with pytest.raises(TrustError):
        verify_trust_list(bytes(changed), SIG, (ROOT_KEY,))  # type: ignore[arg-type]


@given(st.binary(max_size=400))
def test_any_bytes_as_a_trust_list(raw: bytes) -> None:
    fuzz_trust_list.one_input(raw)


# -- repository indexes ----------------------------------------------------------------------

hex64 = st.text("0123456789abcdef", min_size=64, max_size=64)
pack_ids = st.from_regex(r"[a-z0-9]{1,8}(\.[a-z0-9]{1,8}){0,3}", fullmatch=True)
entries = st.builds(lambda sha, pid, v, size: IndexEntry(pack_file_name(sha), pid, v, size, sha,
                                                         fuzz_key().public.key_id_hex),
                    hex64, pack_ids, st.integers(1, 2**31 - 1), st.integers(1, 4 * 1024**3 - 1))


@given(st.lists(entries, max_size=8, unique_by=lambda e: e.file), st.integers(0, 2**53),
       st.booleans())
def test_an_index_round_trips(packs: list[IndexEntry], created: int, with_list: bool) -> None:
    index = Index(created, tuple(packs), (DOC, SIG) if with_list else None)
    again = parse_index(index.to_bytes())
    assert again.to_bytes() == index.to_bytes()
    assert sorted(again.packs, key=repr) == sorted(index.packs, key=repr)
    assert all(SHA256_RE.fullmatch(e.sha256) for e in again.packs)


@given(st.data())
def test_a_changed_index_is_refused_with_a_sentence_or_round_trips(data: Any) -> None:
    seed = data.draw(st.sampled_from(INDEX_SEEDS))
    raw = bytearray(seed)
    for pos, value in data.draw(st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(0, 255)),
                                         min_size=1, max_size=4)):
        raw[pos] = value
    fuzz_repository_index.one_input(bytes(raw))


# -- sealed sticks ---------------------------------------------------------------------------

def seal(path: Path, files: list[tuple[str, bytes]], passphrase: str) -> Path:
    body = container_header([(n, len(b)) for n, b in files]) + b"".join(b for _, b in files)
    with open(path, "wb") as f:
        for part in sealed_chunks(passphrase, [body], len(body)):
            f.write(part)
    return path


sealed_files = st.lists(st.tuples(st.builds(pack_file_name, hex64), st.binary(max_size=2000)),
                        max_size=4, unique_by=lambda t: t[0])


@settings(max_examples=3)   # each example derives a key twice (Argon2id, 64 MiB, about 0.5 s)
@given(sealed_files, st.data())
def test_a_sealed_stick_round_trips_and_any_changed_byte_is_refused(
        tmp_path_factory: Any, files: list[tuple[str, bytes]], data: Any) -> None:
    path = seal(tmp_path_factory.mktemp("sealed") / "0badc0de.dat", files, "words we agreed")
    source = SealedSource(path, "words we agreed")
    try:
        assert source.names() == sorted(n for n, _ in files)
        for name, content in files:
            assert source.read_small(name, 1 << 20) == content
    finally:
        source.close()
    raw = bytearray(path.read_bytes())
    pos = data.draw(st.integers(0, len(raw) - 1))
    raw[pos] ^= data.draw(st.integers(1, 255))
    path.write_bytes(bytes(raw))
    with pytest.raises(SealedError):
        SealedSource(path, "words we agreed").close()


@given(st.binary(max_size=300) | st.builds(lambda d: container_header([("index.json", 2)])[:8] + d,
                                           st.binary(max_size=300)))
def test_any_decrypted_container_is_refused_with_a_sentence_or_in_bounds(raw: bytes) -> None:
    fuzz_sealed.one_input(raw)


# -- Markdown pages ---------------------------------------------------------------------------

markdownish = st.text(alphabet=st.sampled_from(list("#*_`[]()!<>-+.:/\\ \n\t|~=\"'&;%0123456789abcxyz"))
                      | st.characters(), max_size=400)


@given(markdownish)
def test_any_page_renders_within_the_allowed_html(text: str) -> None:
    fuzz_markdown.one_input(text.encode("utf-8", "surrogatepass"))
