"""A dialog asking for a new passphrase twice, with the strength meter and a Caps Lock
warning; for changing the passphrase it first asks for the current one. Used for
changing the passphrase and for setting the duress passphrase. It only collects the
text; the settings dialog does the work (and checks the current passphrase) on the
worker thread, and calls `failed` if the current passphrase was wrong."""

from __future__ import annotations

from ui.capslock import CapsLockWarning
from ui.i18n import tr
from ui.meter import StrengthMeter, describe
from ui.qt import QDialog, QDialogButtonBox, QFormLayout, Qt, QVBoxLayout, QWidget, Signal
from ui.strength import estimate
from ui.taborder import ReadingOrderTabs
from ui.widgets import FitOnShow, PassphraseField, label, show_toggle


class PassphraseDialog(FitOnShow, ReadingOrderTabs, QDialog):
    chosen = Signal(str)
    chosen_with_current = Signal(str, str)  # current, new (when asked for the current one)

    def __init__(
        self,
        title: str,
        explanation: str,
        parent: QWidget | None = None,
        check_strength: bool = True,
        ask_current: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._check = check_strength
        self.current = PassphraseField(tr("Current passphrase")) if ask_current else None
        self.field1 = PassphraseField(tr("New passphrase"))
        self.field2 = PassphraseField(tr("Type the passphrase again"))
        self.meter = StrengthMeter()
        self.meter.setVisible(check_strength)
        self.strength = label("")
        self.strength.setAccessibleName(tr("Passphrase strength"))
        self.strength.setVisible(check_strength)
        self.message = label("")
        fields = [f for f in (self.current, self.field1, self.field2) if f is not None]
        self.caps = CapsLockWarning().watch(*fields)
        form = QFormLayout()
        if self.current is not None:
            form.addRow(tr("Current passphrase"), self.current)
        form.addRow(tr("New passphrase") if ask_current else tr("Passphrase"), self.field1)
        form.addRow(tr("Again"), self.field2)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(label(explanation))
        box.addLayout(form)
        box.addWidget(self.caps)
        box.addWidget(show_toggle(*fields))
        box.addWidget(self.meter)
        box.addWidget(self.strength)
        box.addWidget(self.message)
        box.addWidget(self.buttons)
        for f in fields:
            f.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        a, b = self.field1.text(), self.field2.text()
        ok = bool(a) and a == b and (self.current is None or bool(self.current.text()))
        s = estimate(a) if a else None
        if self._check:
            self.meter.show_strength(s)
            self.strength.setText(describe(s))
        if s is not None and self._check and not s.acceptable:
            self.message.setText(tr("This passphrase is too easy to guess. Make it longer."))
            ok = False
        elif b and a != b:
            self.message.setText(tr("The two passphrases differ."))
        elif self.current is not None and a and a == self.current.text():
            self.message.setText(tr("The new passphrase is the same as the current one."))
            ok = False
        else:
            self.message.setText("")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def _accept(self) -> None:
        if not self.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled():
            return
        text = self.field1.take()
        self.field2.clear()
        if self.current is not None:
            current = self.current.take()
            self.accept()
            self.chosen_with_current.emit(current, text)
            return
        self.accept()
        self.chosen.emit(text)
