"""`satchel repo publish`: an online repository in the stick format, signed, versioned,
with an expiry; topped up without breaking what mirrors already copied."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support import KeyPair, assert_one_sentence, make_keypair, tree_bytes
from torenv import build

from app.cli.repo import DEFAULT_EXPIRY_DAYS as CLI_DEFAULT
from sync.publish import DEFAULT_EXPIRY_DAYS
from sync.repository import PACK_NAME_RE, parse_index


def test_publish_writes_neutral_names_and_a_signed_versioned_index(
        tmp_path: Path, trainer: KeyPair, cli: Callable[..., object]) -> None:
    packs = [build(tmp_path / "b", trainer, f"org.example.p{i}", 1) for i in range(3)]
    out = tmp_path / "www" / "repo"
    before = int(time.time())
    r = cli("repo", "publish", str(out), *map(str, packs), "--key", str(trainer.key_path), "--expires", "7")
    assert r.code == 0, r.err  # type: ignore[attr-defined]
    names = sorted(p.name for p in out.iterdir())
    assert names[-2:] == ["index.json", "index.json.minisig"]
    assert all(PACK_NAME_RE.match(n) for n in names[:-2]) and len(names) == 5
    index = parse_index((out / "index.json").read_bytes())
    assert sorted(e.id for e in index.packs) == ["org.example.p0", "org.example.p1", "org.example.p2"]
    assert index.version is not None and index.version >= before
    assert index.expires is not None and abs(index.expires - (index.created + 7 * 86400)) < 5
    if shutil.which("minisign"):
        subprocess.run(["minisign", "-V", "-q", "-p", str(trainer.pub_path), "-m", str(out / "index.json")],
                       check=True)
    assert "org.example" not in " ".join(names)
    assert CLI_DEFAULT == DEFAULT_EXPIRY_DAYS


def test_a_top_up_replaces_one_pack_and_keeps_the_others(tmp_path: Path, trainer: KeyPair) -> None:
    from sync.publish import publish

    packs = [build(tmp_path / "b", trainer, f"org.example.p{i}", 1) for i in range(3)]
    out = tmp_path / "repo"
    first = publish(out, packs, trainer.secret, now=1_800_000_000)
    newer = build(tmp_path / "b", trainer, "org.example.p1", 2)
    second = publish(out, [newer], trainer.secret, now=1_700_000_000)   # even with a clock set back
    assert second.version == first.version + 1
    index = parse_index((out / "index.json").read_bytes())
    assert sorted((e.id, e.version) for e in index.packs) == [
        ("org.example.p0", 1), ("org.example.p1", 2), ("org.example.p2", 1)]
    assert len(list(out.glob("*.bin"))) == 3 and second.removed == 1


def test_an_older_version_than_the_folder_holds_is_refused(tmp_path: Path, trainer: KeyPair) -> None:
    from sync.errors import SyncError
    from sync.publish import publish

    out = tmp_path / "repo"
    publish(out, [build(tmp_path / "b", trainer, "org.example.p", 2)], trainer.secret)
    before = tree_bytes(out)
    with pytest.raises(SyncError) as err:
        publish(out, [build(tmp_path / "b", trainer, "org.example.p", 1)], trainer.secret)
    assert "newer" in str(err.value)
    assert tree_bytes(out) == before


def test_a_damaged_pack_is_refused_before_anything_is_written(
        tmp_path: Path, trainer: KeyPair, cli: Callable[..., object]) -> None:
    good = build(tmp_path / "b", trainer, "org.example.good", 1)
    bad = build(tmp_path / "b", trainer, "org.example.bad", 1)
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    out = tmp_path / "repo"
    r = cli("repo", "publish", str(out), str(good), str(bad), "--key", str(trainer.key_path))
    assert r.code == 1  # type: ignore[attr-defined]
    assert_one_sentence(r.err)  # type: ignore[attr-defined]
    assert not out.exists()


def test_the_index_is_signed_by_the_given_key_not_the_packs_signer(tmp_path: Path, trainer: KeyPair) -> None:
    from sync.publish import publish

    publisher = make_keypair(tmp_path / "k", "publisher")
    out = tmp_path / "repo"
    report = publish(out, [build(tmp_path / "b", trainer, "org.example.p", 1)], publisher.secret)
    assert report.signer == publisher.public.key_id_hex
    sig = (out / "index.json.minisig").read_text()
    assert publisher.public.to_base64() in sig.splitlines()[0]
    assert json.loads((out / "index.json").read_bytes())["packs"][0]["signer"] == trainer.public.key_id_hex


def test_publishing_no_packs_signs_the_index_again(tmp_path: Path, trainer: KeyPair,
                                                   cli: Callable[..., object]) -> None:
    """Before the expiry, with nothing new: a new version and expiry, the same packs."""
    from sync.publish import publish

    out = tmp_path / "repo"
    first = publish(out, [build(tmp_path / "b", trainer, "org.example.p", 1)], trainer.secret, 30,
                    now=int(time.time()) - 86400)
    bins = sorted(p.name for p in out.glob("*.bin"))
    r = cli("repo", "publish", str(out), "--key", str(trainer.key_path), "--expires", "60")
    assert r.code == 0, r.err  # type: ignore[attr-defined]
    index = parse_index((out / "index.json").read_bytes())
    assert index.version is not None and index.version > first.version
    assert index.expires is not None and index.expires > first.expires
    assert [e.id for e in index.packs] == ["org.example.p"] and sorted(p.name for p in out.glob("*.bin")) == bins
