"""What an import changed, recorded inside the import's own transaction: pages added,
changed (by the SHA-256 of their signed bytes) and removed against the version replaced."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from support import KeyPair, write_source

from app.changes import get_changes
from app.remove import remove_pack
from app.trust import TrustStore
from app.vault import Vault
from content_packs.build import build_pack
from content_packs.errors import ImportCancelled
from content_packs.importer import import_pack

GUIDE = "org.example.guide"


def pack(tmp_path: Path, key: KeyPair, version: int, pages: dict[str, str]) -> Path:
    src = write_source(tmp_path / f"src-{version}", pack_id=GUIDE, version=version, pages=pages,
                       chapters=[("One", list(pages))])
    out = tmp_path / f"guide-{version}.satchel"
    build_pack(src, key.secret, out)
    return out


V1 = {"pages/same.md": "# Same\n\nUnchanged.\n", "pages/edit.md": "# Edited\n\nOld words.\n",
      "pages/gone.md": "# Going away\n\nBye.\n"}
V2 = {"pages/same.md": "# Same\n\nUnchanged.\n", "pages/edit.md": "# Edited, better\n\nNew words.\n",
      "pages/new.md": "# Brand new\n\nHello.\n"}


@pytest.fixture
def trusting(vault: Vault, trainer: KeyPair) -> Vault:
    TrustStore(vault).add_manual(trainer.public)
    return vault


def test_a_new_pack_then_an_update(trusting: Vault, tmp_path: Path, trainer: KeyPair) -> None:
    import_pack(trusting, pack(tmp_path, trainer, 1, V1))
    first = get_changes(trusting, GUIDE)
    assert first is not None and first.is_new and (first.version, first.previous_version) == (1, None)
    assert first.added == first.changed == first.removed == []

    import_pack(trusting, pack(tmp_path, trainer, 2, V2))
    second = get_changes(trusting, GUIDE)
    assert second is not None and not second.is_new
    assert (second.version, second.previous_version) == (2, 1)
    assert second.added == [("pages/new.md", "Brand new")]
    assert second.changed == [("pages/edit.md", "Edited, better")]
    assert second.removed == [("pages/gone.md", "Going away")]


def test_a_failed_import_leaves_the_record_as_it_was(trusting: Vault, tmp_path: Path, trainer: KeyPair) -> None:
    import_pack(trusting, pack(tmp_path, trainer, 1, V1))
    import_pack(trusting, pack(tmp_path, trainer, 2, V2))
    before = get_changes(trusting, GUIDE)
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if trusting.conn.in_transaction:
            cancel.set()

    with pytest.raises(ImportCancelled):
        import_pack(trusting, pack(tmp_path, trainer, 3, V1), progress=progress, cancel=cancel)
    assert get_changes(trusting, GUIDE) == before


def test_the_record_goes_with_the_pack(trusting: Vault, tmp_path: Path, trainer: KeyPair) -> None:
    import_pack(trusting, pack(tmp_path, trainer, 1, V1))
    remove_pack(trusting, GUIDE)
    assert get_changes(trusting, GUIDE) is None
    assert trusting.conn.execute("SELECT count(*) FROM pack_changes").fetchone() == (0,)
