"""Property tests (hypothesis) of pack archives and manifests: never an exception other
than PackError, a mutated signed pack never accepted with content its key did not sign,
and a manifest that parses survives its canonical round trip."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

import fuzz_manifest
import fuzz_pack
import pytest
from fuzzlib import fuzz_key, real_manifests, real_packs
from hypothesis import given
from hypothesis import strategies as st

from app.trust import GivenKey
from content_packs.errors import PackError, PackRejected
from content_packs.manifest import parse_manifest
from content_packs.verify import open_pack

PACKS = real_packs()
MANIFESTS = real_manifests()

json_scalars = st.none() | st.booleans() | st.integers(-2**64, 2**64) | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)


def member_span(pack: bytes, name: str) -> tuple[int, int]:
    """Where a member's stored bytes (compressed or not) lie in the file."""
    with zipfile.ZipFile(io.BytesIO(pack)) as z:
        info = z.getinfo(name)
    start = info.header_offset
    name_len, extra_len = int.from_bytes(pack[start + 26:start + 28], "little"), \
        int.from_bytes(pack[start + 28:start + 30], "little")
    data = start + 30 + name_len + extra_len
    return data, data + info.compress_size


@given(st.data())
def test_a_randomly_mutated_pack_is_refused_or_carries_only_what_was_signed(data: Any) -> None:
    pack = bytearray(data.draw(st.sampled_from(PACKS)))
    for pos, value in data.draw(st.lists(st.tuples(st.integers(0, len(pack) - 1), st.integers(0, 255)),
                                         min_size=1, max_size=6)):
        pack[pos] = value
    cut = data.draw(st.none() | st.integers(0, len(pack)))
    fuzz_pack.one_input(bytes(pack[:cut] if cut is not None else pack))


@given(st.data())
@pytest.mark.parametrize("member", ["manifest.json", "manifest.json.minisig"])
def test_raw_changes_to_the_signed_members_never_get_unsigned_content_in(member: str, data: Any) -> None:
    """A changed byte of the manifest's stored stream or of the signature file: refused,
    or (the padding bits after a DEFLATE stream's end, the signature's untrusted comment)
    accepted with exactly the manifest bytes that were signed."""
    pack = bytearray(data.draw(st.sampled_from(PACKS)))
    start, end = member_span(bytes(pack), member)
    pos = data.draw(st.integers(start, end - 1))
    pack[pos] = (pack[pos] + data.draw(st.integers(1, 255))) % 256
    fuzz_pack.one_input(bytes(pack))


@given(st.data())
def test_a_changed_manifest_is_always_refused(data: Any) -> None:
    """The signed input itself, changed anywhere, however it is then packed."""
    original = data.draw(st.sampled_from(PACKS))
    with zipfile.ZipFile(io.BytesIO(original)) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    manifest = bytearray(next(content for info, content in members if info.filename == "manifest.json"))
    pos = data.draw(st.integers(0, len(manifest) - 1))
    manifest[pos] = (manifest[pos] + data.draw(st.integers(1, 255))) % 256
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for info, content in members:
            out.writestr(info, bytes(manifest) if info.filename == "manifest.json" else content)
    with pytest.raises(PackError):
        with open_pack(io.BytesIO(buf.getvalue()), GivenKey(fuzz_key().public)) as opened:
            opened.verify_all()


names = st.sampled_from(["manifest.json", "manifest.json.minisig", "pages/a.md", "media/p.png", "trust.json",
                         "../x", "/abs", "pages/", "a\\b", "pages/a.md\n"]) | st.text(max_size=30)


@pytest.mark.filterwarnings("ignore:Duplicate name")
@given(st.lists(st.tuples(names, st.binary(max_size=300),
                          st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                                           zipfile.ZIP_LZMA])), max_size=6),
       st.sampled_from(MANIFESTS))
def test_any_zip_archive_is_refused_with_a_sentence_or_verified(members: list, manifest: bytes) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content, method in members:
            info = zipfile.ZipInfo(name or "x", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            z.writestr(info, manifest if name == "manifest.json" else content)
    fuzz_pack.one_input(buf.getvalue())


@given(st.data())
def test_a_manifest_with_any_field_changed_is_refused_or_round_trips(data: Any) -> None:
    doc = json.loads(data.draw(st.sampled_from(MANIFESTS)))
    target = data.draw(st.sampled_from(["top", "file", "chapter"]))
    holder = doc if target == "top" else (doc["files"][0] if target == "file" else doc["chapters"][0])
    key = data.draw(st.sampled_from(sorted(holder)) | st.text(max_size=8))
    if data.draw(st.booleans()):
        holder[key] = data.draw(json_values)
    else:
        holder.pop(key, None)
    fuzz_manifest.one_input(json.dumps(doc, ensure_ascii=data.draw(st.booleans())).encode())


@given(st.binary(max_size=600))
def test_any_bytes_as_a_manifest(raw: bytes) -> None:
    fuzz_manifest.one_input(raw)


def test_the_real_manifests_round_trip_byte_for_byte() -> None:
    for raw in MANIFESTS:
        assert parse_manifest(raw).to_bytes() == raw
        assert hashlib.sha256(raw).hexdigest()
    with pytest.raises(PackRejected):
        parse_manifest(MANIFESTS[0] + b" x")
