"""Start-up stays lean: the unlock window appears without loading the vault, SQLCipher,
the crypto library, the library or search code, or any Qt module beyond the widgets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support import ROOT

SCRIPT = """
import sys
from app.home import Home
from ui.main import create_application
app = create_application([sys.argv[0]])
from ui import i18n
from ui.window import MainWindow
i18n.set_language(i18n.system_language())
w = MainWindow(Home(sys.argv[1]))
w.show()
app.processEvents()
heavy = sorted(m for m in sys.modules if m.split('.')[0] in {
    'sqlcipher3', 'cryptography', 'markdown_it'} or m in {
    'app.vault', 'app.library', 'app.search', 'content_packs.importer', 'ui.reader', 'ui.search',
    'ui.library', 'PySide6.QtNetwork', 'PySide6.QtDBus', 'PySide6.QtWebEngineWidgets'})
print(type(w.screen).__name__, heavy)
"""


def test_unlock_window_loads_nothing_heavy(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "key").write_bytes(b"\0" * 4096)
    (home / "data").write_bytes(b"\0" * 4096)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(home)],
        env=env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "UnlockScreen []"


def test_core_packages_do_not_import_qt() -> None:
    code = (
        "import sys, app.vault, app.library, app.search, app.progress, app.wipe, content_packs.importer;"
        "print('PySide6' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=str(ROOT), capture_output=True, text=True, timeout=120
    )
    assert out.stdout.strip() == "False", out.stderr
