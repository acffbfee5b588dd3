"""A stick holding a folder of pack files copied by hand, in the app's USB dialog: the
packs are listed (not "there are no packs"), a file that is not a pack is one sentence,
an unknown signer can be trusted from the dialog, and the import ends with "What's new"."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from support import make_keypair, write_source
from uihelp import plain, wait_idle

from content_packs.build import build_pack
from ui.usb_dialog import UsbDialog


def test_a_hand_copied_folder_on_a_stick(unlocked: Any, qtbot: Any, tmp_path: Path, test_packs: Any) -> None:
    from crypto import minisign

    w = unlocked
    secret = minisign.secret_key_from_text((test_packs.paths[0].parent / "keys" / "trainer.key").read_text(), None)
    stranger = make_keypair(tmp_path / "keys", "stranger")
    stick = tmp_path / "KINGSTON"
    folder = stick / "Packs for the workshop"
    folder.mkdir(parents=True)
    for pid, key, title in (("org.test.alpha", secret, "Alpha guide"), ("org.other.beta", stranger.secret, "Beta")):
        src = write_source(tmp_path / f"src-{pid}", pid, title=title)
        build_pack(src, key, folder / f"{pid}.satchel")
    (folder / "empty.satchel").write_bytes(b"")
    shutil.copyfile(test_packs.paths[1], folder / "course-again.satchel")   # one the learner has

    dialog = w.open_usb(str(stick))
    assert isinstance(dialog, UsbDialog)
    qtbot.waitUntil(lambda: not dialog.busy() and dialog.import_table.rowCount() == 4, timeout=20000)
    table = dialog.import_table
    shown = {plain(table.item(r, 2).text()): (table.item(r, 1).text(), plain(table.item(r, 5).text()))
             for r in range(table.rowCount())}
    assert shown["org.test.alpha"] == ("new", "Alpha guide")
    assert shown["org.test.course"][0] == "already have"
    assert shown["Packs for the workshop/empty.satchel"] == ("damaged", "The pack file is empty.")
    assert shown["Packs for the workshop/org.other.beta.satchel"][0] == "untrusted signer"
    assert "These pack files have no index" in dialog.status.text()

    # The unknown signer: compare the fingerprint, trust, and the stick is read again.
    assert dialog.trust_button.isVisible() and dialog.trust_button.isEnabled()
    dialog.trust_button.click()
    qtbot.waitUntil(lambda: getattr(dialog, "trust_dialog", None) is not None, timeout=10000)
    trust = dialog.trust_dialog
    assert " ".join(g.text() for g in trust.group_labels) == stranger.public.fingerprint()
    trust.match.setChecked(True)
    trust.trust_button.click()
    qtbot.waitUntil(lambda: not dialog.busy() and any(
        plain(table.item(r, 2).text()) == "org.other.beta" and table.item(r, 1).text() == "new"
        for r in range(table.rowCount())), timeout=20000)

    dialog.import_button.click()
    actions = w.view.library.actions
    qtbot.waitUntil(lambda: actions.whats_new is not None and actions.whats_new.isVisible(), timeout=30000)
    lines = [plain(t) for t in actions.whats_new.texts()]
    assert lines[0] == "New in your library" and sorted(lines[1:]) == [
        "Alpha guide (English (en), version 1, 2 page(s))", "Beta (English (en), version 1, 2 page(s))"]
    actions.whats_new.close()
    dialog.close()
    wait_idle(qtbot, w)
