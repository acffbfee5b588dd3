"""The unlock screen: neutral, it shows nothing about what the library holds.

A wrong passphrase gets a calm sentence and a pause that doubles after each failure
(1 s, 2 s, 4 s ... capped at a minute), counted down with a QTimer while the field is
disabled; nothing sleeps. The language menu here changes only this session's interface:
the chosen language is stored inside the vault, which is locked.
"""

from __future__ import annotations

from ui import i18n
from ui.capslock import CapsLockWarning
from ui.i18n import tr
from ui.qt import QComboBox, QHBoxLayout, QProgressBar, QTimer, QVBoxLayout, QWidget, Signal
from ui.widgets import PassphraseField, heading, label, push

MAX_DELAY_S = 60


def delay_for(failures: int) -> int:
    """Seconds to wait after `failures` wrong passphrases in a row."""
    if failures <= 0:
        return 0
    return min(2 ** (failures - 1), MAX_DELAY_S)


class UnlockScreen(QWidget):
    unlock_requested = Signal(str)
    language_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unlock")
        self.title = heading(tr("Satchel"))
        self.prompt = label(tr("Type your passphrase to unlock."))
        self.field = PassphraseField(tr("Passphrase"))
        self.field.returnPressed.connect(self._submit)
        self.button = push(tr("&Unlock"), default=True)
        self.button.clicked.connect(self._submit)
        self.message = label("")
        self.message.setAccessibleName(tr("Message"))
        self.caps = CapsLockWarning().watch(self.field)
        # Key derivation takes about half a second on purpose: past that, show it is working.
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setAccessibleName(tr("Unlocking..."))
        self.busy_bar.setVisible(False)
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.timeout.connect(lambda: self.busy_bar.setVisible(True))
        self.languages = QComboBox()
        self.languages.setAccessibleName(tr("Language"))
        from ui.fonts import language_label

        for code, name in i18n.LANGUAGES.items():
            self.languages.addItem(language_label(code, name), code)
        self.languages.setCurrentIndex(list(i18n.LANGUAGES).index(i18n.language()))
        self.languages.activated.connect(lambda i: self.language_changed.emit(self.languages.itemData(i)))

        column = QVBoxLayout()
        column.addStretch(2)
        column.addWidget(self.title)
        column.addWidget(self.prompt)
        row = QHBoxLayout()
        row.addWidget(self.field, 1)
        row.addWidget(self.button)
        column.addLayout(row)
        column.addWidget(self.caps)
        column.addWidget(self.message)
        column.addWidget(self.busy_bar)
        column.addStretch(3)
        lang_row = QHBoxLayout()
        lang_row.addStretch(1)
        lang_row.addWidget(self.languages)
        column.addLayout(lang_row)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(column, 3)
        outer.addStretch(1)

        self._remaining = 0
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self.setFocusProxy(self.field)

    def _submit(self) -> None:
        if not self.field.isEnabled():
            return
        passphrase = self.field.take()
        if not passphrase:
            self.message.setText(tr("Please type a passphrase."))
            return
        self.busy()
        self.unlock_requested.emit(passphrase)

    def busy(self) -> None:
        self.field.setEnabled(False)
        self.button.setEnabled(False)
        self.message.setText(tr("Unlocking..."))
        self._busy_timer.start(500)

    def _not_busy(self) -> None:
        self._busy_timer.stop()
        self.busy_bar.setVisible(False)

    def ready(self, message: str = "") -> None:
        self._not_busy()
        self._timer.stop()
        self._remaining = 0
        self.field.setEnabled(True)
        self.button.setEnabled(True)
        self.message.setText(message)
        self.field.setFocus()

    def wrong(self, failures: int) -> None:
        """Show the calm message and hold the field for delay_for(failures) seconds."""
        self._not_busy()
        self._remaining = delay_for(failures)
        self.field.setEnabled(False)
        self.button.setEnabled(False)
        self._show_wait()
        self._timer.start()

    def waiting(self) -> bool:
        return self._remaining > 0

    def _show_wait(self) -> None:
        self.message.setText(
            tr(
                "That passphrase does not open this library. Check the keyboard layout and Caps Lock. "
                "You can try again in {seconds} s.",
                seconds=self._remaining,
            )
        )

    def _tick(self) -> None:
        self._remaining -= 1
        if self._remaining > 0:
            self._show_wait()
            return
        self.ready(tr("That passphrase does not open this library. You can try again now."))
