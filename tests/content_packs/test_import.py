"""Import: one transaction into the vault, updates keep progress, trust rules hold."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from support import ROOT, KeyPair, make_keypair, vault_snapshot, write_source

from app import library, progress
from app.trust import TrustStore, trust_list_comment
from app.vault import Vault
from content_packs.build import build_pack
from content_packs.errors import ImportCancelled, UntrustedSigner
from content_packs.importer import import_folder, import_pack
from crypto import minisign


@pytest.fixture
def store(vault: Vault, trainer: KeyPair) -> TrustStore:
    s = TrustStore(vault, roots=(), bundled=None)
    s.add_manual(trainer.public, "Trainer")
    return s


def pack(tmp_path: Path, key: KeyPair, version: int = 1, pack_id: str = "org.example.guide",
         pages: dict[str, str] | None = None, media: dict[str, bytes] | None = None,
         trust_list: Path | None = None, language: str = "en") -> Path:
    src = write_source(tmp_path / f"src-{pack_id}-{version}-{key.public.key_id_hex}", pack_id=pack_id,
                       version=version, pages=pages, media=media, language=language)
    out = tmp_path / f"{pack_id}-{version}-{key.public.key_id_hex}.satchel"
    build_pack(src, key.secret, out, trust_list=trust_list)
    return out


def test_import_fills_library_and_keeps_original_bytes(vault, store, tmp_path, trainer) -> None:
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(3000)
    p = pack(tmp_path, trainer, pages={"pages/a.md": "# First\n\n![m](../media/m.png)\n",
                                       "pages/b.md": "# Second\n\n[back](a.md)\n"},
             media={"media/m.png": png})
    result = import_pack(vault, p, store=store)
    assert result.status == "installed"
    [info] = library.list_packs(vault)
    assert (info.id, info.version, info.title, info.trust_source) == ("org.example.guide", 1, "A guide", "manual")
    outline = library.pack_outline(vault, "org.example.guide")
    assert [pg.title for pg in outline[0].pages] == ["First", "Second"]
    assert library.get_page(vault, "org.example.guide", "pages/b.md").markdown.startswith("# Second")
    assert library.read_media(vault, "org.example.guide", "media/m.png") == png
    assert library.pack_bytes_reader(vault, "org.example.guide").read() == p.read_bytes()


def test_update_keeps_progress_on_pages_that_still_exist(vault, store, tmp_path, trainer) -> None:
    v1 = {"pages/a.md": "# A\n\nold\n", "pages/b.md": "# B\n\ngoing away\n"}
    import_pack(vault, pack(tmp_path, trainer, 1, pages=v1), store=store)
    progress.set_completed(vault, "org.example.guide", "pages/a.md")
    progress.set_note(vault, "org.example.guide", "pages/a.md", "my note")
    progress.set_bookmark(vault, "org.example.guide", "pages/a.md", True)
    progress.set_note(vault, "org.example.guide", "pages/b.md", "note on a page that goes")
    v2 = {"pages/a.md": "# A\n\nnew text\n", "pages/c.md": "# C\n"}
    result = import_pack(vault, pack(tmp_path, trainer, 2, pages=v2), store=store)
    assert (result.status, result.previous_version) == ("updated", 1)
    assert library.get_pack(vault, "org.example.guide").version == 2
    assert progress.is_completed(vault, "org.example.guide", "pages/a.md")
    assert progress.get_note(vault, "org.example.guide", "pages/a.md") == "my note"
    assert progress.is_bookmarked(vault, "org.example.guide", "pages/a.md")
    assert progress.get_note(vault, "org.example.guide", "pages/b.md") == ""
    from app.search import search
    assert search(vault, "going") == []
    assert [h.page for h in search(vault, "new text")] == ["pages/a.md"]


def test_folder_import_goes_on_past_a_bad_pack(vault, store, tmp_path, trainer) -> None:
    folder = tmp_path / "stick"
    folder.mkdir()
    pack(tmp_path, trainer, pack_id="org.example.one").rename(folder / "1.satchel")
    (folder / "2.satchel").write_bytes(b"garbage")
    pack(tmp_path, trainer, pack_id="org.example.three").rename(folder / "3.satchel")
    outcomes = import_folder(vault, folder, store=store)
    assert [(o.name, o.result is not None) for o in outcomes] == [
        ("1.satchel", True), ("2.satchel", False), ("3.satchel", True)]
    assert "not a ZIP" in outcomes[1].error
    assert {p.id for p in library.list_packs(vault)} == {"org.example.one", "org.example.three"}


def test_cancel_leaves_the_vault_as_it_was(vault, store, tmp_path, trainer) -> None:
    p = pack(tmp_path, trainer, media={"media/big.png": b"\x89PNG\r\n\x1a\n" + os.urandom(5 << 20)},
             pages={"pages/a.md": "# A\n\n![b](../media/big.png)\n"})
    before = vault_snapshot(vault)
    cancel = threading.Event()
    seen: list[int] = []

    def progress_cb(done: int, total: int) -> None:
        seen.append(done)
        if done > total // 3:
            cancel.set()

    with pytest.raises(ImportCancelled):
        import_pack(vault, p, progress=progress_cb, cancel=cancel, store=store)
    assert len(seen) >= 2  # progress was reported before the cancel took effect
    assert vault_snapshot(vault) == before


_CHILD = """
import sys
from app.vault import Vault
from content_packs.importer import import_pack
vault = Vault.unlock(sys.argv[1], "pw")
def progress(done, total):
    print(done * 100 // max(total, 1), flush=True)
import_pack(vault, sys.argv[2], progress=progress)
print("done", flush=True)
"""


def test_killed_mid_import_leaves_the_vault_unchanged(cli, home, tmp_path, trainer) -> None:
    """SIGKILL an import at several points of its progress; the vault is as before, and intact."""
    assert cli("init", "--iter-time", "5", stdin="pw\n").code == 0
    assert cli("trust", "add", str(trainer.pub_path), "--yes", stdin="pw\n").code == 0
    first = pack(tmp_path, trainer, pack_id="org.example.first")
    assert cli("import", str(first), stdin="pw\n").code == 0
    big = pack(tmp_path, trainer, pack_id="org.example.big", media={"media/big.png": b"\x89PNG\r\n\x1a\n" + os.urandom(40 << 20)},
               pages={"pages/a.md": "# Big\n\n![b](../media/big.png)\n"})
    for threshold in (5, 50, 99):
        proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(home), str(big)], stdout=subprocess.PIPE,
                                text=True, cwd=str(ROOT))
        assert proc.stdout is not None
        reached = 0
        for line in proc.stdout:
            if line.strip() == "done":
                break
            reached = int(line)
            if reached >= threshold:
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait()
        assert threshold <= reached < 100 or threshold == 99, (threshold, reached)
        r = cli("list", "--json", stdin="pw\n")
        assert r.code == 0
        assert [p["id"] for p in json.loads(r.out)] == ["org.example.first"], threshold
    with Vault.unlock(home, "pw") as v:
        assert v.conn.execute("PRAGMA cipher_integrity_check").fetchall() == []
        assert v.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert v.conn.execute("SELECT count(*) FROM pack_chunks WHERE pack_id = 'org.example.big'").fetchone()[0] == 0
    assert cli("import", str(big), stdin="pw\n").code == 0


# -- who may update what ------------------------------------------------------------------

def test_another_trusted_trainer_cannot_hijack_a_pack(vault, store, tmp_path, trainer) -> None:
    other = make_keypair(tmp_path / "k", "other")
    store.add_manual(other.public, "Other trainer")
    import_pack(vault, pack(tmp_path, trainer, 1), store=store)
    before = vault_snapshot(vault)
    with pytest.raises(UntrustedSigner) as err:
        import_pack(vault, pack(tmp_path, other, 2), store=store)
    assert "Only the key that signed this pack before" in str(err.value)
    assert vault_snapshot(vault) == before


def signed_list(root: KeyPair, keys: list[dict], version: int, roots: list[str] | None = None,
                folder: Path | None = None) -> tuple[bytes, bytes]:
    doc = json.dumps({"type": "satchel-trust-list", "version": version,
                      "roots": roots or [root.public.to_base64()], "keys": keys}).encode()
    sig = minisign.sign(root.secret, doc, trust_list_comment(version)).encode()
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "trust.json").write_bytes(doc)
        (folder / "trust.json.minisig").write_bytes(sig)
    return doc, sig


def entry(kp: KeyPair, scopes: list[str], **extra) -> dict:
    return {"name": "Publisher", "public_key": kp.public.to_base64(), "scopes": scopes, **extra}


def test_hand_trusted_key_may_not_sign_inside_a_listed_scope(vault, tmp_path, trainer) -> None:
    root = make_keypair(tmp_path / "k", "root")
    publisher = make_keypair(tmp_path / "k", "publisher")
    store = TrustStore(vault, roots=(root.public,), bundled=signed_list(root, [entry(publisher, ["org.example."])], 1))
    store.add_manual(trainer.public)
    with pytest.raises(UntrustedSigner) as err:
        import_pack(vault, pack(tmp_path, trainer, pack_id="org.example.fake"), store=store)
    assert "belongs to a publisher" in str(err.value)
    # Outside every listed scope, the trainer's own packs are fine.
    import_pack(vault, pack(tmp_path, trainer, pack_id="net.trainer.workshop"), store=store)


def test_listed_publisher_may_take_over_its_own_scope(vault, tmp_path, trainer) -> None:
    root = make_keypair(tmp_path / "k", "root")
    old = make_keypair(tmp_path / "k", "old")
    new = make_keypair(tmp_path / "k", "new")
    store = TrustStore(vault, roots=(root.public,), bundled=signed_list(
        root, [entry(old, ["org.example."]), entry(new, ["org.example."])], 1))
    import_pack(vault, pack(tmp_path, old, 1), store=store)
    assert import_pack(vault, pack(tmp_path, new, 2), store=store).status == "updated"


def test_revocation_travels_inside_a_pack(vault, tmp_path) -> None:
    root = make_keypair(tmp_path / "k", "root")
    lost = make_keypair(tmp_path / "k", "lost")
    good = make_keypair(tmp_path / "k", "good")
    store = TrustStore(vault, roots=(root.public,), bundled=signed_list(
        root, [entry(lost, ["org.lost."]), entry(good, ["org.good."])], 1))
    import_pack(vault, pack(tmp_path, lost, 1, pack_id="org.lost.a"), store=store)
    # The publisher revokes the lost key; the news arrives inside an ordinary pack.
    v2 = tmp_path / "tl2"
    signed_list(root, [entry(lost, ["org.lost."], revoked=True), entry(good, ["org.good."])], 2, folder=v2)
    result = import_pack(vault, pack(tmp_path, good, 1, pack_id="org.good.b", trust_list=v2 / "trust.json"),
                         store=store)
    assert result.trust_list_version == 2
    fresh = TrustStore(vault, roots=(root.public,), bundled=None)  # after a restart
    assert fresh.current_list().version == 2
    with pytest.raises(UntrustedSigner) as err:
        import_pack(vault, pack(tmp_path, lost, 2, pack_id="org.lost.a"), store=fresh)
    assert "revoked" in str(err.value)


def test_trust_list_chain_and_versions(vault, tmp_path) -> None:
    root = make_keypair(tmp_path / "k", "root")
    root2 = make_keypair(tmp_path / "k", "root2")
    store = TrustStore(vault, roots=(root.public,), bundled=None)
    v1 = signed_list(root, [], 1)
    assert store.adopt_list(*v1).version == 1
    # Version 2 hands the root role to root2.
    v2 = signed_list(root, [], 2, roots=[root2.public.to_base64()])
    assert store.adopt_list(*v2).version == 2
    # The old root may no longer sign; the new one may.
    from app.trust import UntrustedKey
    with pytest.raises(UntrustedKey):
        store.adopt_list(*signed_list(root, [], 3))
    v3 = signed_list(root2, [], 3, roots=[root2.public.to_base64()])
    assert store.adopt_list(*v3).version == 3
    # Older or equal versions are ignored, and the floor lives in the vault.
    assert store.adopt_list(*v3) is None
    row = vault.conn.execute("SELECT version FROM version_floors WHERE subject = ':trust-list'").fetchone()
    assert row[0] == 3


def test_the_bundled_trust_list_verifies_against_the_pinned_root(vault) -> None:
    store = TrustStore(vault)
    tl = store.current_list()
    assert tl is not None and tl.version >= 1
    [sample] = [k for k in tl.keys if k.sample]
    assert sample.scopes == ("org.satchel.starter.",)
