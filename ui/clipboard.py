"""Remember what Satchel put on the clipboard, to take it back when locking or wiping.

Only a SHA-256 digest of the text is kept. Text lands on the clipboard either through
`copy()` (the "Copy address" offer) or when the person copies from a Satchel window
(the clipboard changes while Satchel is the active application); both are recorded. On
X11 the primary selection (selected text) is handled the same way.
"""

from __future__ import annotations

import hashlib

from ui.qt import QApplication, QClipboard, QObject


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class ClipboardGuard(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ours: dict[QClipboard.Mode, bytes] = {}
        cb = QApplication.clipboard()
        cb.dataChanged.connect(lambda: self._changed(QClipboard.Mode.Clipboard))
        cb.selectionChanged.connect(lambda: self._changed(QClipboard.Mode.Selection))

    def copy(self, text: str) -> None:
        QApplication.clipboard().setText(text, QClipboard.Mode.Clipboard)
        self._ours[QClipboard.Mode.Clipboard] = _digest(text)

    def _changed(self, mode: QClipboard.Mode) -> None:
        if QApplication.activeWindow() is None:
            return  # another application put this there
        text = QApplication.clipboard().text(mode)
        if text:
            self._ours[mode] = _digest(text)

    def holds_ours(self, mode: QClipboard.Mode = QClipboard.Mode.Clipboard) -> bool:
        cb = QApplication.clipboard()
        digest = self._ours.get(mode)
        text = cb.text(mode)
        return bool(text) and digest is not None and _digest(text) == digest

    def clear_ours(self) -> None:
        """Clear the clipboard (and selection) if they still hold what Satchel put there."""
        cb = QApplication.clipboard()
        modes = [QClipboard.Mode.Clipboard]
        if cb.supportsSelection():
            modes.append(QClipboard.Mode.Selection)
        for mode in modes:
            owned = cb.ownsClipboard() if mode == QClipboard.Mode.Clipboard else cb.ownsSelection()
            if owned or self.holds_ours(mode):
                cb.clear(mode)
        self._ours.clear()
