"""Core parts of the study details: changing the passphrase needs the current one, a
quiz keeps its first answer, and the tokeniser's segments serve the strength estimate."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import KeyPair, tree_bytes, write_source

from app import progress
from app.errors import WrongPassphrase
from app.trust import TrustStore
from app.textindex import segments
from app.vault import Vault

PASS = "correct horse"  # noqa: S105 (the test vault's passphrase, from tests/conftest.py)


def test_change_passphrase_checks_the_current_one(vault: Vault, home: Path) -> None:
    vault.set_duress("run away now")
    before = tree_bytes(home)
    for wrong in ("not it", "run away now", ""):  # a stranger's guess, the duress passphrase, nothing
        with pytest.raises(WrongPassphrase):
            vault.change_passphrase("a new one", current=wrong)
    assert tree_bytes(home) == before
    assert vault.check_passphrase(PASS) and not vault.check_passphrase("run away now")
    vault.change_passphrase("a new one", current=PASS)
    vault.close()
    with Vault.unlock(home, "a new one") as v:
        assert v.check_passphrase("a new one")


def test_a_quiz_keeps_its_first_answer(vault: Vault, tmp_path: Path, trainer: KeyPair) -> None:
    from content_packs.build import build_pack
    from content_packs.importer import import_pack

    # Traces are kept only for packs in the library (app.progress), so import a real one.
    pack = tmp_path / "q.satchel"
    build_pack(write_source(tmp_path / "src", pack_id="org.x"), trainer.secret, pack)
    TrustStore(vault).add_manual(trainer.public, "trainer")
    import_pack(vault, pack)
    progress.record_answer(vault, "org.x", "pages/q.quiz.md", 0, "wrong", False)
    progress.record_answer(vault, "org.x", "pages/q.quiz.md", 0, "right", True)
    assert progress.answers(vault, "org.x", "pages/q.quiz.md") == {0: ("wrong", False)}


def test_segments_follow_the_search_tokeniser() -> None:
    assert segments("Correct-Horse 1984") == [(True, "correct"), (True, "horse"), (True, "1984")]
    assert segments("我们 学习") == [(False, "我们"), (False, "学习")]
    assert segments("كلمة السر") == [(True, "کلمه"), (True, "السر")]  # Arabic letters folded as in search
    assert segments("!!! ...") == []
