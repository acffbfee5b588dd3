"""Small widgets that make the safe way the easy way.

- `clean()` strips control and bidi-override characters from untrusted text (Dangerzone's
  `replace_control_chars`); `label()` always shows text as plain text, never rich text
  (QLabel's default AutoText would render a pack title like "<img src=...>" as HTML).
- `button_text()` doubles '&' so pack text cannot invent keyboard mnemonics.
- `PassphraseField` is an echo-less field with a show/hide toggle and an accessible name.
"""

from __future__ import annotations

import re
import unicodedata

from ui.i18n import tr
from ui.qt import (
    QAbstractButton,
    QApplication,
    QCheckBox,
    QEvent,
    QFont,
    QFrame,
    QLabel,
    QLineEdit,
    QPalette,
    QPushButton,
    QScrollArea,
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


# "设置(&T)": Chinese and Japanese put the Latin mnemonic in (full-width) brackets.
_MNEMONIC_SUFFIX = re.compile("\\s*[(\uff08]&[^&)\uff09][)\uff09]\\s*$")


def without_mnemonic(text: str) -> str:
    """Interface text without its mnemonic marker: "Se&ttings" -> "Settings", and the
    CJK form "设置(&T)" -> "设置"; a doubled "&&" stays one "&"."""
    text = _MNEMONIC_SUFFIX.sub("", text)
    return re.sub(r"&(.)", r"\1", text)


def set_button_text(button: QAbstractButton, text: str, accessible: str | None = None) -> None:
    """Interface text with a mnemonic (Alt + the underlined letter presses the button);
    the accessible name is the text without the marker unless given."""
    button.setText(text)
    button.setAccessibleName(accessible or without_mnemonic(text))


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


HEADING_SCALE = {1: 1.6, 2: 1.25}


class Heading(QLabel):
    """A bold heading whose size follows the text size setting: 1.6 (level 1) or 1.25
    (level 2) times the application font, recomputed whenever the theme changes (an
    explicitly set font would otherwise stay at the size it had when it was made)."""

    def __init__(self, text: str, level: int = 1, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setText(text)
        self.setAccessibleName(text)
        self.factor = HEADING_SCALE.get(level, HEADING_SCALE[2])
        self._rescale()

    def _rescale(self) -> None:
        font = QFont(QApplication.font())
        font.setPointSizeF(font.pointSizeF() * self.factor)
        font.setBold(True)
        self.setFont(font)

    def theme_changed(self) -> None:
        """Called by ui.theme.apply (Qt skips widgets that set their own font)."""
        self._rescale()


def heading(text: str, level: int = 1, parent: QWidget | None = None) -> QLabel:
    return Heading(text, level, parent)


def push(
    text: str, accessible: str | None = None, parent: QWidget | None = None, default: bool = False
) -> QPushButton:
    b = QPushButton(text, parent)
    b.setAccessibleName(accessible or without_mnemonic(text))
    if default:
        b.setDefault(True)
        b.setAutoDefault(True)
    return b


class ToneLabel(QLabel):
    """A plain-text label whose text is coloured for a meaning ("good", "bad", "warn"),
    in a colour readable (4.5:1) on the palette in use, recomputed when the theme
    changes. Colour is never the only signal: callers put the meaning in words and a
    symbol too (✓, ✗, ⚠)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setText(text)
        self.tone: str | None = None

    def set_tone(self, tone: str | None) -> None:
        self.tone = tone
        self._recolour()

    def _recolour(self) -> None:
        from ui import contrast

        palette = QPalette(QApplication.palette())
        pick = {"good": contrast.good_colour, "bad": contrast.bad_colour, "warn": contrast.warn_colour}
        if self.tone in pick:
            for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
                palette.setColor(group, QPalette.ColorRole.WindowText, pick[self.tone](palette))
        self.setPalette(palette)

    def theme_changed(self) -> None:
        """Called by ui.theme.apply (Qt skips widgets that set their own palette)."""
        self._recolour()


def scrolling(page: QWidget) -> QScrollArea:
    """`page` in a frameless scroll area: at a large text size a screen taller than the
    window scrolls instead of squeezing its word-wrapped labels until lines are cut."""
    area = QScrollArea()
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setWidget(page)
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the page's own controls take the focus
    return area


def fit_height(window: QWidget) -> None:
    """Grow a dialog to the height its word-wrapped text needs at its width (Qt sizes a
    new dialog from its size hint, which ignores wrapping: a label that wraps to two
    lines in Chinese or Arabic got the height of one), and keep it from shrinking below."""
    layout = window.layout()
    if layout is None or not layout.hasHeightForWidth():
        return
    layout.activate()
    needed = layout.totalHeightForWidth(window.width())
    if needed > window.height():
        window.resize(window.width(), needed)
    window.setMinimumHeight(min(needed, window.screen().availableGeometry().height() if window.screen() else needed))


class FitOnShow:
    """Mixin for Satchel's dialogs: fitted to their wrapped text when shown."""

    def showEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)  # type: ignore[misc]
        fit_height(self)


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
