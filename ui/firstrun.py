"""First run: language, passphrase, optional duress passphrase, then the starter library.

The screen only collects choices; the window creates the vault and imports the starter
packs on the worker and feeds progress back through `set_progress`. Passphrases live in
this object only until `create_requested` is emitted.
"""

from __future__ import annotations

from ui import i18n
from ui.capslock import CapsLockWarning
from ui.i18n import tr
from ui.meter import StrengthMeter, describe
from ui.qt import (
    QFormLayout,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QStackedWidget,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.strength import estimate
from ui.widgets import PassphraseField, heading, label, push, scrolling, show_toggle

STEP_LANGUAGE, STEP_PASSPHRASE, STEP_DURESS, STEP_PROGRESS = range(4)


def _page(*widgets: QWidget, buttons: list[QWidget] | None = None) -> QWidget:
    page = QWidget()
    box = QVBoxLayout(page)
    box.setContentsMargins(24, 24, 24, 24)
    box.setSpacing(12)
    for w in widgets:
        box.addWidget(w)
    box.addStretch(1)
    if buttons:
        row = QHBoxLayout()
        row.addStretch(1)
        for b in buttons:
            row.addWidget(b)
        box.addLayout(row)
    return scrolling(page)


class FirstRunScreen(QWidget):
    language_chosen = Signal(str)
    create_requested = Signal(str, object)  # passphrase, duress passphrase or None
    skip_samples = Signal()

    def __init__(self, start_step: int = STEP_LANGUAGE, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstrun")
        self.stack = QStackedWidget(self)
        QVBoxLayout(self).addWidget(self.stack)
        self._passphrase = ""
        self.stack.addWidget(self._language_page())
        self.stack.addWidget(self._passphrase_page())
        self.stack.addWidget(self._duress_page())
        self.stack.addWidget(self._progress_page())
        self.go(start_step)

    # -- steps ---------------------------------------------------------------------

    def _language_page(self) -> QWidget:
        self.languages = QListWidget()
        self.languages.setAccessibleName(tr("Language"))
        from ui.fonts import language_label

        for code, name in i18n.LANGUAGES.items():
            item = QListWidgetItem(language_label(code, name))
            item.setData(Qt.ItemDataRole.UserRole, code)
            self.languages.addItem(item)
            if code == i18n.language():
                self.languages.setCurrentItem(item)
        self.languages.itemActivated.connect(lambda _item: self._choose_language())
        self.language_next = push(tr("Continue"), default=True)
        self.language_next.clicked.connect(self._choose_language)
        intro = label(
            tr(
                "Satchel keeps your library encrypted on this computer. "
                "First, choose the language of the interface."
            )
        )
        return _page(heading(tr("Welcome to Satchel")), intro, self.languages, buttons=[self.language_next])

    def _passphrase_page(self) -> QWidget:
        explain = label(
            tr(
                "Your library is locked with a passphrase. Nobody can recover it if you forget it: "
                "not the people who made Satchel, not anyone. Choose several words you will remember, "
                "or write it down and keep it somewhere safe."
            )
        )
        self.pass1 = PassphraseField(tr("New passphrase"))
        self.pass2 = PassphraseField(tr("Type the passphrase again"))
        self.meter = StrengthMeter()
        self.pass_caps = CapsLockWarning().watch(self.pass1, self.pass2)
        self.strength = label("")
        self.strength.setAccessibleName(tr("Passphrase strength"))
        self.mismatch = label("")
        form = QFormLayout()
        form.addRow(tr("Passphrase"), self.pass1)
        form.addRow(tr("Again"), self.pass2)
        form_w = QWidget()
        form_w.setLayout(form)
        self.pass_back = push(tr("Back"))
        self.pass_back.clicked.connect(lambda: self.go(STEP_LANGUAGE))
        self.pass_next = push(tr("Continue"), default=True)
        self.pass_next.clicked.connect(self._passphrase_done)
        for f in (self.pass1, self.pass2):
            f.textChanged.connect(self._update_strength)
            f.returnPressed.connect(self._passphrase_done)
        self._update_strength()
        return _page(
            heading(tr("Create a passphrase")),
            explain,
            form_w,
            self.pass_caps,
            show_toggle(self.pass1, self.pass2),
            self.meter,
            self.strength,
            self.mismatch,
            buttons=[self.pass_back, self.pass_next],
        )

    def _duress_page(self) -> QWidget:
        explain = label(
            tr(
                "If someone forces you to unlock Satchel, you can type a second passphrase instead: "
                "the duress passphrase. Satchel then wipes your library without any sign and opens an "
                "empty one that looks normal. This step is optional; you can also set it later in Settings."
            )
        )
        self.duress1 = PassphraseField(tr("Duress passphrase"))
        self.duress2 = PassphraseField(tr("Type the duress passphrase again"))
        self.duress_msg = label("")
        self.duress_caps = CapsLockWarning().watch(self.duress1, self.duress2)
        form = QFormLayout()
        form.addRow(tr("Duress passphrase"), self.duress1)
        form.addRow(tr("Again"), self.duress2)
        form_w = QWidget()
        form_w.setLayout(form)
        self.duress_skip = push(tr("Skip"))
        self.duress_skip.clicked.connect(lambda: self._create(None))
        self.duress_set = push(tr("Use this duress passphrase"), default=True)
        self.duress_set.clicked.connect(self._duress_done)
        for f in (self.duress1, self.duress2):
            f.returnPressed.connect(self._duress_done)
        return _page(
            heading(tr("A duress passphrase (optional)")),
            explain,
            form_w,
            self.duress_caps,
            show_toggle(self.duress1, self.duress2),
            self.duress_msg,
            buttons=[self.duress_skip, self.duress_set],
        )

    def _progress_page(self) -> QWidget:
        self.progress_label = label(tr("Creating your encrypted library..."))
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setAccessibleName(tr("Progress"))
        self.progress_cancel = push(tr("Skip the sample library"))
        self.progress_cancel.setEnabled(False)
        self.progress_cancel.clicked.connect(self.skip_samples.emit)
        return _page(
            heading(tr("Preparing Satchel")),
            self.progress_label,
            self.progress,
            buttons=[self.progress_cancel],
        )

    # -- behaviour -----------------------------------------------------------------

    def go(self, step: int) -> None:
        self.stack.setCurrentIndex(step)
        focus = {
            STEP_LANGUAGE: self.languages,
            STEP_PASSPHRASE: self.pass1,
            STEP_DURESS: self.duress1,
            STEP_PROGRESS: self.progress_cancel,
        }[step]
        self.setFocusProxy(focus)
        focus.setFocus()

    def step(self) -> int:
        return self.stack.currentIndex()

    def _choose_language(self) -> None:
        item = self.languages.currentItem()
        self.language_chosen.emit(item.data(Qt.ItemDataRole.UserRole) if item else i18n.language())

    def _update_strength(self) -> None:
        s = estimate(self.pass1.text())
        shown = s if self.pass1.text() else None
        self.meter.show_strength(shown)  # one step of five even at "Very weak"
        self.strength.setText(describe(shown))
        matches = self.pass1.text() == self.pass2.text()
        self.mismatch.setText("" if matches or not self.pass2.text() else tr("The two passphrases differ."))
        self.pass_next.setEnabled(s.acceptable and matches)

    def _passphrase_done(self) -> None:
        if not self.pass_next.isEnabled():
            return
        self._passphrase = self.pass1.take()
        self.pass2.clear()
        self.go(STEP_DURESS)

    def _duress_done(self) -> None:
        d1, d2 = self.duress1.text(), self.duress2.text()
        if not d1:
            self.duress_msg.setText(tr("Type a duress passphrase, or choose Skip."))
        elif d1 != d2:
            self.duress_msg.setText(tr("The two passphrases differ."))
        elif d1 == self._passphrase:
            self.duress_msg.setText(tr("The duress passphrase must differ from your passphrase."))
        else:
            self._create(self.duress1.take())
            self.duress2.clear()

    def _create(self, duress: str | None) -> None:
        passphrase, self._passphrase = self._passphrase, ""
        self.duress1.clear()
        self.duress2.clear()
        self.go(STEP_PROGRESS)
        self.create_requested.emit(passphrase, duress)

    def set_stage(self, text: str, can_skip: bool) -> None:
        self.progress_label.setText(text)
        self.progress_cancel.setEnabled(can_skip)

    def set_progress(self, done: int, total: int) -> None:
        if total <= 0:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * min(done, total) / total))

    def failed(self, message: str) -> None:
        """Creating the vault failed: back to the passphrase step with the reason."""
        self.go(STEP_PASSPHRASE)
        self.mismatch.setText(message)
