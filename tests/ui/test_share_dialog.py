"""The share dialog, driven like a trainer would, against the session's private Tor
network: opening it shares nothing; a bad key or nothing ticked is one sentence; Start
shows plainly that sharing is on, the line with its QR code and the fingerprint; a
participant's sync shows up in the counts; Stop turns it off; in the main window the
share outlives its dialog, the bar says so, and a lock stops it at once."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "sync"))

from sharehelp import Trainer, listening_sockets, trainer_home  # noqa: E402
from torenv import PASSPHRASE, TorEnv  # noqa: E402
from uihelp import unlock  # noqa: E402

from app.home import Home  # noqa: E402
from app.trust import TrustStore  # noqa: E402
from app.vault import Vault  # noqa: E402
from support import FAST_MS, make_keypair  # noqa: E402
from sync.follow import add_repository  # noqa: E402
from sync.online import sync_all  # noqa: E402
from sync.shareline import parse_share_line  # noqa: E402
from sync.torproc import ManagedTor  # noqa: E402
from ui.qt import QApplication, Qt  # noqa: E402
from ui.share_dialog import FAILURES, ShareDialog, current_share  # noqa: E402

pytestmark = pytest.mark.tor
PACKS = ["org.example.ui-one", "org.example.ui-two"]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Trainer:
    folder = tmp_path_factory.mktemp("share-ui")
    publisher = make_keypair(folder / "keys", "publisher")
    return trainer_home(folder, make_keypair(folder / "keys", "trainer"), dict.fromkeys(PACKS, 0),
                        {"org.example.ui-publisher": (publisher, 0)})


@pytest.fixture
def trainer(template: Trainer, tmp_path: Path) -> Trainer:
    import shutil

    home = tmp_path / "trainer"
    shutil.copytree(template.home, home)
    return Trainer(home, template.key, template.packs)


@pytest.fixture
def vault(trainer: Trainer) -> Iterator[Vault]:
    v = Vault.unlock(trainer.home, PASSPHRASE)
    yield v
    share = current_share(v)
    if share is not None:
        share.stop()
    v.close()


def click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def open_dialog(qtbot: Any, vault: Vault, env: TorEnv) -> ShareDialog:
    dialog = ShareDialog(vault, tor_extra=env.net.client_options())
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def column(table: Any, col: int) -> list[str]:
    return [table.item(r, col).text() for r in range(table.rowCount())]


def participant_sync(env: TorEnv, home: Path, line: str) -> bool:
    parsed = parse_share_line(line)
    with Vault.create(home, PASSPHRASE, iter_time_ms=FAST_MS) as vault:
        TrustStore(vault).add_manual(parsed.signer)
        add_repository(vault, str(parsed.url), client_key=parsed.client_key_b64, signer=parsed.signer.key_id_hex)
        tor = ManagedTor(Home(home), deadline=120, extra=env.net.client_options())
        tor.start()
        try:
            return sync_all(vault, tor).ok
        finally:
            tor.close()


def test_refusals_are_one_translated_sentence_and_share_nothing(
        qtbot: Any, vault: Vault, tor_env: TorEnv, trainer: Trainer, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, vault, tor_env)
    qtbot.wait(200)
    assert dialog.pages.currentIndex() == 0 and dialog.job is None        # opening shares nothing
    assert dialog.pack_list.count() == 3 and not dialog.pack_list.isEnabled()
    dialog.chosen_radio.setChecked(True)
    click(qtbot, dialog.start_button)
    assert dialog.status.text() == "Tick at least one pack to share."
    dialog.everything_radio.setChecked(True)
    click(qtbot, dialog.start_button)
    assert dialog.status.text() == "Choose your secret key file first."
    not_a_key = tmp_path / "notes.key"
    not_a_key.write_text("shopping list\n")
    dialog.key_path.setText(str(not_a_key))
    click(qtbot, dialog.start_button)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=30_000)
    assert dialog.status.text() == FAILURES["KeyUnreadable"]
    other = make_keypair(tmp_path / "keys", "stranger")                   # signed nothing in this library
    dialog.key_path.setText(str(other.key_path))
    click(qtbot, dialog.start_button)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=30_000)
    assert dialog.status.text() == FAILURES["NothingToShare"]
    assert current_share(vault) is None and dialog.pages.currentIndex() == 0
    assert vault.get_setting("share.key_path") == str(other.key_path)    # kept inside the vault


def test_start_shows_the_line_qr_and_counts_then_stop(
        qtbot: Any, vault: Vault, tor_env: TorEnv, trainer: Trainer, tmp_path: Path) -> None:
    from ui.qrcode import BORDER, qr_matrix

    dialog = open_dialog(qtbot, vault, tor_env)
    dialog.key_path.setText(str(trainer.key.key_path))
    click(qtbot, dialog.start_button)
    assert dialog.busy() and dialog.cancel_button.isEnabled() and not dialog.start_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=180_000)
    assert dialog.state.text() == "Sharing is on"
    assert dialog.until_label.text() == ("Until you stop it or quit Satchel. Locking Satchel stops the share; it "
                                         "locks itself after 5 minute(s) without use (see Settings).")
    line = dialog.line.text()
    assert parse_share_line(line).signer == trainer.key.public
    assert trainer.key.public.fingerprint() in dialog.fingerprint.text()
    assert column(dialog.counts, 0) == PACKS and column(dialog.counts, 1) == ["0", "0"]   # not the publisher's pack

    # The QR code on screen is the line's, module for module.
    import segno

    expected = [[bool(v) for v in row] for row in segno.make(line, error="m", boost_error=False).matrix_iter(
        scale=1, border=BORDER)]
    assert qr_matrix(dialog.qr.pixmap().toImage(), 6) == expected

    click(qtbot, dialog.copy_button)
    assert QApplication.clipboard().text() == line

    assert participant_sync(tor_env, tmp_path / "learner", line)
    qtbot.waitUntil(lambda: column(dialog.counts, 1) == ["1", "1"], timeout=10_000)
    assert dialog.visits.text().startswith("The list of packs was fetched ")

    share = current_share(vault)
    assert share is not None and share.server is not None
    port = share.server.port
    click(qtbot, dialog.stop_button)
    qtbot.waitUntil(lambda: dialog.state.text() == "Sharing is off", timeout=10_000)
    assert dialog.line.text() == "" and dialog.qr.pixmap().isNull() and not dialog.stop_button.isEnabled()
    assert current_share(vault) is None and not share.running
    assert ("127.0.0.1", port) not in listening_sockets(os.getpid())


def test_cancel_while_connecting_shares_nothing(qtbot: Any, vault: Vault, tor_env: TorEnv, trainer: Trainer) -> None:
    dialog = open_dialog(qtbot, vault, tor_env)
    dialog.key_path.setText(str(trainer.key.key_path))
    click(qtbot, dialog.start_button)
    job = dialog.job
    assert job is not None
    qtbot.waitUntil(lambda: job.tor is not None, timeout=30_000)
    click(qtbot, dialog.cancel_button)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=60_000)
    assert dialog.status.text() == FAILURES["TransferCancelled"]
    job.wait(30_000)
    assert current_share(vault) is None and not job.tor.running


def test_in_the_window_the_share_outlives_its_dialog_and_a_lock_stops_it(
        qtbot: Any, make_window: Any, tor_env: TorEnv, trainer: Trainer) -> None:
    w = make_window(trainer.home)
    unlock(qtbot, w, PASSPHRASE)
    assert not w.share_button.isVisible()
    assert "action-share" in {a.objectName() for a in w.actions()}         # Satchel > Share packs over Tor
    dialog = w.open_share()
    dialog.tor_extra = tor_env.net.client_options()
    dialog.key_path.setText(str(trainer.key.key_path))
    dialog.persistent_box.setChecked(True)
    click(qtbot, dialog.start_button)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=180_000)
    assert "Persistent: the same line works next time" in dialog.until_label.text()
    assert dialog.revoke_button.isVisible()
    vault = w.session.vault
    share = current_share(vault)
    assert share is not None and share.server is not None
    port = share.server.port
    dialog.close()                                              # closing the dialog does not stop sharing
    qtbot.waitUntil(lambda: w.share_button.isVisible(), timeout=5_000)
    assert share.running and w.share_button.text() == "Sharing is on"
    again = w.open_share()
    assert again.pages.currentIndex() == 1 and again.line.text() == share.status().line
    w.lock()                                                   # Ctrl+L: everything stops at once
    assert not share.running and share.status().reason == "locked"
    assert ("127.0.0.1", port) not in listening_sockets(os.getpid())
    qtbot.waitUntil(lambda: not w.share_button.isVisible(), timeout=5_000)
    assert not again.isVisible()


def test_a_participant_pastes_the_line_and_trusts_the_key_only_on_yes(qtbot: Any, tmp_path: Path) -> None:
    from crypto import minisign
    from sync.follow import list_repositories
    from sync.shareline import ShareLine, new_client_key
    from ui.qt import QMessageBox
    from ui.sync_dialog import FAILURES as SYNC_FAILURES
    from ui.sync_dialog import SyncDialog

    key = minisign.generate_key().public
    line = ShareLine("pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd", new_client_key(), key)
    with Vault.create(tmp_path / "learner", PASSPHRASE, iter_time_ms=FAST_MS) as vault:
        dialog = SyncDialog(vault)
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.address.setText(line.text[:-3] + "AAA")                       # a typing mistake
        click(qtbot, dialog.follow_button)
        assert dialog.status.text() == SYNC_FAILURES["BadShareLine"]

        dialog.address.setText(line.text)
        click(qtbot, dialog.follow_button)
        box = dialog.question
        assert box is not None and key.fingerprint() in box.text() and key.key_id_hex in box.text()
        box.button(QMessageBox.StandardButton.No).click()
        qtbot.waitUntil(lambda: dialog.question is None)
        assert dialog.status.text().startswith("The share was not added: its key is not trusted.")
        assert list_repositories(vault) == [] and TrustStore(vault).grant_for(key.key_id_hex) is None

        click(qtbot, dialog.follow_button)
        dialog.question.button(QMessageBox.StandardButton.Yes).click()
        qtbot.waitUntil(lambda: dialog.question is None)
        (repo,) = list_repositories(vault)
        assert repo.client_key == line.client_key_b64 and repo.signer == key.key_id_hex
        assert TrustStore(vault).grant_for(key.key_id_hex) is not None
        assert dialog.address.text() == "" and dialog.repo_table.rowCount() == 1
        dialog.close()
