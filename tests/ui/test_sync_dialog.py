"""The Tor sync dialog, driven like a person would, against the session's private Tor
network: follow a repository, sync through a Tor port, see what arrived, then nothing
new; Satchel's own tor with its bootstrap percentage; Cancel; closing mid-sync kills
the tor it started; each failure is one translated sentence."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "sync"))

from torenv import PASSPHRASE, TorEnv, build, new_learner  # noqa: E402
from webserve import Rule  # noqa: E402

from app.library import list_packs  # noqa: E402
from app.vault import Vault  # noqa: E402
from sync.downloads import held_bytes  # noqa: E402
from sync.follow import list_repositories  # noqa: E402
from ui import i18n  # noqa: E402
from ui.qt import Qt  # noqa: E402
from ui.sync_dialog import FAILURES, SyncDialog, failure_sentence  # noqa: E402

pytestmark = pytest.mark.tor


@pytest.fixture
def learner(tmp_path: Path, tor_env: TorEnv) -> Iterator[Vault]:
    home = tmp_path / "home"
    new_learner(home, tor_env.publisher)
    vault = Vault.unlock(home, PASSPHRASE)
    yield vault
    vault.close()


def open_dialog(qtbot: Any, vault: Vault, **kw: Any) -> SyncDialog:
    dialog = SyncDialog(vault, **kw)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def column(table: Any, col: int) -> list[str]:
    return [table.item(r, col).text() for r in range(table.rowCount())]


def click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_follow_a_repository_and_sync_it_through_a_tor_port(qtbot: Any, learner: Vault, tor_env: TorEnv) -> None:
    dialog = open_dialog(qtbot, learner)
    qtbot.wait(200)
    assert dialog.job is None and dialog.tor_state.text() == "Not connected."   # opening never connects
    dialog.address.setText("http://example.org/")
    click(qtbot, dialog.follow_button)
    assert dialog.status.text() == failure_sentence("BadRepositoryUrl")
    dialog.address.setText(tor_env.url("base"))
    click(qtbot, dialog.follow_button)
    assert column(dialog.repo_table, 0) == [tor_env.url("base")]
    assert [str(r.url) for r in list_repositories(learner)] == [tor_env.url("base")]

    dialog.socks_radio.setChecked(True)
    dialog.port.setValue(tor_env.client.socks_port)
    click(qtbot, dialog.sync_button)
    assert dialog.busy() and dialog.cancel_button.isEnabled() and not dialog.follow_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=120_000)
    assert dialog.status.text() == "3 pack(s) installed or updated, 0 failed."
    assert sorted(column(dialog.pack_table, 0)) == [f"org.example.guide{i}" for i in range(3)]
    assert column(dialog.pack_table, 3) == ["Installed"] * 3
    assert all(text.endswith(" MB") for text in column(dialog.pack_table, 2))
    assert column(dialog.repo_table, 1) == ["Reached"]
    assert sorted(p.id for p in list_packs(learner)) == [f"org.example.guide{i}" for i in range(3)]

    click(qtbot, dialog.sync_button)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=120_000)
    assert dialog.status.text() == "Nothing new: you have everything your repositories offer."
    assert learner.get_setting("sync.connection")["mode"] == "socks"   # kept inside the vault


def test_own_tor_shows_its_bootstrap_and_closing_mid_sync_kills_it(
        qtbot: Any, learner: Vault, tor_env: TorEnv, tmp_path: Path) -> None:
    pack = build(tmp_path / "built", tor_env.publisher, "org.example.uiclose", 1, media=3_000_000)
    tor_env.publish("uiclose", [pack], hostile=True)
    rule = tor_env.hostile.rules["uiclose"] = Rule(slow=0.05)
    from sync.follow import add_repository

    add_repository(learner, tor_env.url("uiclose", hostile=True))
    dialog = open_dialog(qtbot, learner, tor_extra=tor_env.net.client_options())
    assert dialog.own_radio.isChecked()
    seen: list[str] = []
    click(qtbot, dialog.sync_button)
    job = dialog.job
    assert job is not None
    job.torProgress.connect(lambda _p: seen.append(dialog.tor_state.text()))
    qtbot.waitUntil(lambda: bool(rule.sent) and dialog.pack_table.rowCount() == 1
                    and dialog.pack_table.item(0, 3).text().startswith("Downloading"), timeout=120_000)
    assert seen and seen[-1] == "Connected to Tor."
    assert all(s.startswith("Connecting to Tor: ") for s in seen[:-1])
    tor = job.connection
    assert tor is not None and tor.running
    started = time.monotonic()
    dialog.close()                                    # what a lock or a panic does to every dialog
    assert time.monotonic() - started < 3             # without waiting for the work
    qtbot.waitUntil(lambda: not tor.running, timeout=5000)
    job.wait(30_000)
    import hashlib

    sha = hashlib.sha256(pack.read_bytes()).hexdigest()
    assert held_bytes(learner, tor_env.url("uiclose", hostile=True), sha) > 0      # kept for next time
    assert list_packs(learner) == []


def test_cancel_keeps_what_arrived(qtbot: Any, learner: Vault, tor_env: TorEnv, tmp_path: Path) -> None:
    import hashlib

    pack = build(tmp_path / "built", tor_env.publisher, "org.example.uicancel", 1, media=3_000_000)
    tor_env.publish("uicancel", [pack], hostile=True)
    rule = tor_env.hostile.rules["uicancel"] = Rule(slow=0.03)
    from sync.follow import add_repository

    add_repository(learner, tor_env.url("uicancel", hostile=True))
    dialog = open_dialog(qtbot, learner)
    dialog.socks_radio.setChecked(True)
    dialog.port.setValue(tor_env.client.socks_port)
    click(qtbot, dialog.sync_button)
    qtbot.waitUntil(lambda: sum(rule.sent.values()) > 1_500_000, timeout=120_000)
    click(qtbot, dialog.cancel_button)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=30_000)
    assert dialog.status.text() == failure_sentence("TransferCancelled")
    sha = hashlib.sha256(pack.read_bytes()).hexdigest()
    assert held_bytes(learner, tor_env.url("uicancel", hostile=True), sha) >= 1 << 20
    assert list_packs(learner) == []


def test_failures_are_one_translated_sentence(qtbot: Any, learner: Vault, tor_env: TorEnv) -> None:
    from sync.follow import add_repository

    dialog = open_dialog(qtbot, learner)
    click(qtbot, dialog.sync_button)
    assert dialog.status.text() == "You follow no repositories yet. Add the address of one above."
    add_repository(learner, tor_env.url("base"))
    dialog._load()
    dialog.use_bridges.setChecked(True)
    dialog.bridges.setPlainText("obfs4 not-an-address")
    click(qtbot, dialog.sync_button)
    assert not dialog.busy() and dialog.status.text() == failure_sentence("BadBridge")
    dialog.use_bridges.setChecked(False)
    dialog.socks_radio.setChecked(True)
    from tornet import free_port

    dialog.port.setValue(free_port())                # nothing listens there
    click(qtbot, dialog.sync_button)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=30_000)
    assert dialog.status.text() == failure_sentence("SocksUnreachable")
    i18n.set_language("fr")
    try:
        assert failure_sentence("TorBlocked") == ("Tor n’a pas pu se connecter. Le réseau bloque peut-être Tor : "
                                                  "essayez des ponts.")
        assert all(failure_sentence(kind) != FAILURES[kind] for kind in FAILURES)
    finally:
        i18n.set_language("en")
