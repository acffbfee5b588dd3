"""Every Qt import of the desktop app passes through here (Anki's `aqt.qt` idea).

`from ui.qt import QWidget, Qt, Signal` finds the name in QtWidgets, QtGui or QtCore on
first use (PEP 562). No star import: touching every name would build hundreds of
PySide6 enum classes at start-up (about 150 ms). Only these three modules are loaded:
nothing that can reach the network (QtNetwork, QtWebEngine). Modules that need more
import it lazily where they use it (ui/platform_lock.py loads QtDBus after unlocking).
"""

from __future__ import annotations

from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

_MODULES = (QtWidgets, QtGui, QtCore)


def __getattr__(name: str) -> Any:
    for module in _MODULES:
        value = getattr(module, name, None)
        if value is not None:
            globals()[name] = value
            return value
    raise AttributeError(f"module 'ui.qt' has no attribute {name!r}")
