"""Run by test_picker_privacy.py in a fresh process whose HOME, XDG folders and TMPDIR are
empty folders: the library's "Add packs" with the app's own file picker (pack files, a
folder of packs, a trainer's key), importing, "What's new". Prints nothing itself.

With `--plain-dialog` it only opens and accepts a bare Qt file dialog, without Satchel's
picker: the control that shows what Qt would otherwise leave in the user's folders."""

from __future__ import annotations

import sys
from pathlib import Path


def choose(picker: object, paths: list[Path]) -> None:
    from ui.qt import QFileDialog, QLineEdit

    assert isinstance(picker, QFileDialog)
    picker.setDirectory(str(paths[0].parent))
    if picker.fileMode() == QFileDialog.FileMode.Directory:
        picker.selectFile(str(paths[0]))
    else:
        picker.findChild(QLineEdit, "fileNameEdit").setText(" ".join(f'"{p.name}"' for p in paths))
    picker.accept()


def plain_dialog(folder: Path) -> int:
    import shiboken6

    from ui.main import create_application
    from ui.qt import QFileDialog

    create_application([sys.argv[0]])
    dialog = QFileDialog(None, "x", str(folder))
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.show()
    dialog.accept()
    shiboken6.delete(dialog)
    return 0


def main(home_dir: str, pack: str, pub: str, other_pub: str) -> int:
    from app.home import Home
    from app.trust import TrustStore
    from app.vault import Vault
    from crypto.minisign import PublicKey
    from ui.main import create_application, harden_logging

    harden_logging()
    create_application([sys.argv[0]])
    from ui import i18n
    from ui.packs_dialog import ImportPacksDialog
    from ui.screenshots import wait_until
    from ui.trust_dialog import TrustKeyDialog
    from ui.window import MainWindow

    with Vault.create(Home(home_dir), "picker flow passphrase words", iter_time_ms=5) as v:
        v.set_setting("ui.language", "en")
        TrustStore(v).add_manual(PublicKey.from_text(Path(pub).read_text()), "Trainer")
    i18n.set_language("en")
    w = MainWindow(Home(home_dir), iter_time_ms=5)
    w.show()
    w.screen.field.setText("picker flow passphrase words")
    w.screen.button.click()
    wait_until(lambda: w.view is not None)
    wait_until(lambda: not w.runner.worker.busy())
    actions = w.view.library.actions
    choose(actions.import_files(), [Path(pack)])
    wait_until(lambda: isinstance(actions.dialog, ImportPacksDialog) and actions.dialog.op is None
               and bool(actions.dialog.rows))
    actions.dialog.import_button.click()
    wait_until(lambda: actions.whats_new is not None and actions.whats_new.isVisible())
    actions.whats_new.close()
    choose(actions.import_folder(), [Path(pack).parent])
    wait_until(lambda: isinstance(actions.dialog, ImportPacksDialog) and actions.dialog.op is None
               and bool(actions.dialog.rows))
    actions.dialog.close()
    choose(actions.trust_key(), [Path(other_pub)])
    wait_until(lambda: isinstance(actions.dialog, TrustKeyDialog))
    actions.dialog.close()
    w.lock()
    wait_until(lambda: not w.runner.worker.busy())
    w.close()
    w.shutdown()
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--plain-dialog":
        sys.exit(plain_dialog(Path(sys.argv[2])))
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]))
