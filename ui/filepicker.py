"""The app's own file picker: pack files, a folder of packs, a public key file, or the
trainer's own secret key file (to sign a share's index).

Guarantees:
- Qt's widget-based file dialog is used (DontUseNativeDialog): a native GTK, KDE or
  portal dialog would add the file to the desktop's recently-used list
  (~/.local/share/recently-used.xbel), outside the vault.
- Qt's file dialog writes its history and last folder into QtProject.conf when it is
  destroyed. Satchel keeps no QSettings of its own, so `forget_settings()` points Qt's
  settings at a place nothing can be written to, before any dialog exists: nothing is
  written (Linux and the BSDs, where Qt's settings are INI files). On Windows and macOS,
  where Qt keeps them in the registry or a property list, the dialog's group is removed
  after each use and the history is emptied first; the user guide says so.
- The dialog is read-only (no new folder, rename or delete) and non-blocking (`open()`,
  never `exec()`): a lock or a panic closes it like every other dialog.
- It starts on the first USB stick Satchel sees, else the home folder, and its side bar
  shows the sticks and the home folder: nothing of a previous use.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from ui.i18n import tr
from ui.qt import QDir, QFileDialog, QSettings, Qt, QUrl, QWidget

PACKS, FOLDER, KEY, SECRET = "packs", "folder", "key", "secret"
_NOWHERE = os.path.join(os.devnull, "satchel-keeps-no-qt-settings")
_INI_PLATFORM = not sys.platform.startswith(("win", "darwin"))


def forget_settings() -> None:
    """Qt's own settings (the file dialog's history) go nowhere."""
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, _NOWHERE)


def _start_places() -> list[Path]:
    try:
        from sync.usb import list_sticks

        sticks = [s.path for s in list_sticks()]
    except Exception:  # finding sticks must never stop the picker from opening
        sticks = []
    return [*sticks, Path.home()]


def _erase_traces(dialog: QFileDialog) -> None:
    dialog.setHistory([])
    dialog.setSidebarUrls([])
    if not _INI_PLATFORM:  # the registry or a plist: remove what Qt keeps there
        settings = QSettings(QSettings.Scope.UserScope, "QtProject")
        settings.remove("FileDialog")
        settings.sync()


def pick(parent: QWidget | None, kind: str, chosen: Callable[[list[Path]], None]) -> QFileDialog:
    """Open the picker; `chosen` receives the picked paths (never called on Cancel)."""
    forget_settings()
    places = _start_places()
    titles = {PACKS: tr("Choose pack files"), FOLDER: tr("Choose a folder of packs"),
              KEY: tr("Choose the trainer's public key file"), SECRET: tr("Choose your secret key file")}
    dialog = QFileDialog(parent, titles[kind], str(places[0]))
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setOption(QFileDialog.Option.ReadOnly, True)
    dialog.setOption(QFileDialog.Option.DontResolveSymlinks, True)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setHistory([])
    dialog.setSidebarUrls([QUrl.fromLocalFile(str(p)) for p in places])
    dialog.setFilter(QDir.Filter.AllDirs | QDir.Filter.Files | QDir.Filter.NoDotAndDotDot | QDir.Filter.Drives)
    if kind == PACKS:
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilters([tr("Satchel packs (*.satchel *.SATCHEL)"), tr("All files (*)")])
    elif kind == FOLDER:
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    elif kind == SECRET:
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters([tr("Secret keys (*.key)"), tr("All files (*)")])
    else:
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters([tr("Public keys (*.pub)"), tr("All files (*)")])

    def finished(result: int) -> None:
        paths = [Path(p) for p in dialog.selectedFiles()] if result == QFileDialog.DialogCode.Accepted else []
        _erase_traces(dialog)
        if paths:
            chosen(paths)

    dialog.finished.connect(finished)
    dialog.open()
    return dialog
