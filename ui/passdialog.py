"""A dialog asking for a new passphrase twice (with strength feedback), used for changing
the passphrase and for setting the duress passphrase. It only collects the text; the
settings dialog does the work on the worker thread."""

from __future__ import annotations

from ui.i18n import tr
from ui.qt import QDialog, QDialogButtonBox, QFormLayout, Qt, QVBoxLayout, QWidget, Signal
from ui.strength import estimate
from ui.widgets import PassphraseField, label, show_toggle


class PassphraseDialog(QDialog):
    chosen = Signal(str)

    def __init__(
        self, title: str, explanation: str, parent: QWidget | None = None, check_strength: bool = True
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._check = check_strength
        self.field1 = PassphraseField(tr("New passphrase"))
        self.field2 = PassphraseField(tr("Type the passphrase again"))
        self.message = label("")
        form = QFormLayout()
        form.addRow(tr("Passphrase"), self.field1)
        form.addRow(tr("Again"), self.field2)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(label(explanation))
        box.addLayout(form)
        box.addWidget(show_toggle(self.field1, self.field2))
        box.addWidget(self.message)
        box.addWidget(self.buttons)
        for f in (self.field1, self.field2):
            f.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        a, b = self.field1.text(), self.field2.text()
        ok = bool(a) and a == b
        if a and self._check and not estimate(a).acceptable:
            self.message.setText(tr("This passphrase is too easy to guess. Make it longer."))
            ok = False
        elif b and a != b:
            self.message.setText(tr("The two passphrases differ."))
        else:
            self.message.setText("")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def _accept(self) -> None:
        if not self.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled():
            return
        text = self.field1.take()
        self.field2.clear()
        self.accept()
        self.chosen.emit(text)
