"""Run by test_privacy.py in a fresh process whose HOME, XDG folders and TMPDIR are
empty folders: a whole session (first run, reading, search, notes, copying an address,
lock, unlock), with logging at DEBUG. Prints nothing itself."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

logging.basicConfig(level=logging.DEBUG)


def main(home_dir: str, packs: list[str]) -> int:
    from app.home import Home
    from ui.main import create_application, harden_logging

    harden_logging()
    create_application([sys.argv[0]])
    from ui import i18n
    from ui.qt import QUrl
    from ui.screenshots import wait_until
    from ui.window import MainWindow

    i18n.set_language("en")
    w = MainWindow(Home(home_dir), iter_time_ms=5)
    w.show()
    screen = w.screen
    screen.language_next.click()
    screen = w.screen
    screen.pass1.setText("privacy flow passphrase words")
    screen.pass2.setText("privacy flow passphrase words")
    screen.pass_next.click()
    screen.duress_skip.click()
    wait_until(lambda: w.view is not None)
    wait_until(lambda: not w.runner.worker.busy())

    def import_test_packs(ctx: object) -> None:
        from app.trust import TrustStore
        from content_packs.importer import import_pack
        from crypto.minisign import PublicKey

        store = TrustStore(ctx.vault)  # type: ignore[attr-defined]
        store.add_manual(PublicKey.from_text(Path(packs[0]).read_text()), "Test Trainer")
        for p in packs[1:]:
            import_pack(ctx.vault, Path(p), store=store)  # type: ignore[attr-defined]

    w.session.write(import_test_packs).run()
    wait_until(lambda: not w.runner.worker.busy())
    w.view.search_box.setText("自由")
    wait_until(lambda: w.view.search.results.count() > 0)
    w.view.search_box.setText("SECRETQUERYWORD")  # finds nothing: the suggestion path runs too
    wait_until(lambda: w.view.search.status.text() != "" and not w.view.search.searching)
    w.view.search_box.setText("حقوق")
    wait_until(lambda: w.view.search.results.count() > 0 and not w.view.search.searching)
    w.view.open_hit("org.test.ar", "pages/first.md")  # the page marks the searched words
    reader = w.view.reader
    wait_until(lambda: reader.data is not None and bool(reader.finder.search_spans))
    reader.finder.open()
    reader.finder.edit.setText("SECRETFINDWORD")
    wait_until(lambda: reader.finder.count.text() != "" and not w.runner.worker.busy())
    reader.note_toggle.click()
    reader.note.setPlainText("PRIVATENOTETEXT")
    href = next(
        p.split('"')[0] for p in reader.data.html.split('href="')[1:] if p.startswith("satchel-external:")
    )
    reader.browser.anchorClicked.emit(QUrl(href))
    w.lock()
    wait_until(lambda: not w.runner.worker.busy())
    w.screen.field.setText("privacy flow passphrase words")
    w.screen.button.click()
    wait_until(lambda: w.view is not None)
    wait_until(lambda: not w.runner.worker.busy())
    w.close()
    w.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
