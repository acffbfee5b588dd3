"""Small widgets that make the safe way the easy way.

- `clean()` strips control and bidi-override characters from untrusted text (Dangerzone's
  `replace_control_chars`); `label()` always shows text as plain text, never rich text
  (QLabel's default AutoText would render a pack title like "<img src=...>" as HTML).
- `button_text()` doubles '&' so pack text cannot invent keyboard mnemonics.
- `PassphraseField` is an echo-less field with a show/hide toggle and an accessible name.
"""

from __future__ import annotations

import unicodedata

from ui.i18n import tr
from ui.qt import (
    QCheckBox,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    Qt,
    QWidget,
)

# Explicit bidi embeddings/overrides/isolates could reorder what a title appears to say.
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def clean(text: object, limit: int = 2000) -> str:
    """Untrusted text made safe to show: no control characters, no bidi overrides, bounded."""
    s = str(text if text is not None else "")[:limit]
    out = []
    for ch in s:
        if ch in "\n\t":
            out.append(" ")
        elif ch in _BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs"):
            continue
        else:
            out.append(ch)
    return "".join(out).strip()


def isolate(text: str, rtl: bool | None = None) -> str:
    """`text` as a bidi isolate of its own direction (LRI/RLI/FSI ... PDI), so it reads right
    inside a sentence or widget of the other direction (Qt draws button text in the
    application's direction). Safe on pack text: clean() removed any isolates it had."""
    opener = "\u2068" if rtl is None else ("\u2067" if rtl else "\u2066")
    return f"{opener}{text}\u2069"


def button_text(text: str) -> str:
    return text.replace("&", "&&")


def label(
    text: str = "", wrap: bool = True, parent: QWidget | None = None, selectable: bool = False
) -> QLabel:
    w = QLabel(parent)
    w.setTextFormat(Qt.TextFormat.PlainText)
    w.setWordWrap(wrap)
    w.setText(text)
    if selectable:
        w.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
    return w


def heading(text: str, level: int = 1, parent: QWidget | None = None) -> QLabel:
    w = label(text, parent=parent)
    font = w.font()
    font.setPointSizeF(font.pointSizeF() * (1.6 if level == 1 else 1.25))
    font.setBold(True)
    w.setFont(font)
    w.setAccessibleName(text)
    return w


def push(
    text: str, accessible: str | None = None, parent: QWidget | None = None, default: bool = False
) -> QPushButton:
    b = QPushButton(text, parent)
    b.setAccessibleName((accessible or text).replace("&", ""))
    if default:
        b.setDefault(True)
        b.setAutoDefault(True)
    return b


def separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line


class PassphraseField(QLineEdit):
    """A passphrase field: no echo, no drag-out, no context menu, an accessible name."""

    def __init__(self, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEchoMode(QLineEdit.EchoMode.Password)
        self.setAccessibleName(accessible_name)
        self.setDragEnabled(False)
        self.setInputMethodHints(
            Qt.InputMethodHint.ImhHiddenText
            | Qt.InputMethodHint.ImhSensitiveData
            | Qt.InputMethodHint.ImhNoPredictiveText
        )
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)

    def show_text(self, on: bool) -> None:
        self.setEchoMode(QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password)

    def take(self) -> str:
        """Read the passphrase and clear the field (the widget keeps no copy)."""
        text = self.text()
        self.clear()
        return text


def show_toggle(*fields: PassphraseField) -> QCheckBox:
    """A "Show passphrase" check box for one or more fields."""
    box = QCheckBox(tr("Show passphrase"))
    box.setAccessibleName(tr("Show passphrase"))
    for f in fields:
        box.toggled.connect(f.show_text)
    return box
