"""Settings, all stored inside the vault: language, text size and contrast, auto-lock,
panic behaviour, wipe after failed unlocks, the duress passphrase, the passphrase.

Each change is saved at once on the worker and reported with `changed(name, value)` so
the window applies it (language, theme, auto-lock, panic behaviour).
"""

from __future__ import annotations

from typing import Any

from ui import i18n
from ui.errors import show_error
from ui.flows import disk_warning
from ui.i18n import tr
from ui.passdialog import PassphraseDialog
from ui.prefs import AUTOLOCK_CHOICES_S, TEXT_SCALES, save
from ui.qt import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.session import Session
from ui.taborder import ReadingOrderTabs
from ui.widgets import FitOnShow, label, push

FAIL_LIMITS = (0, 3, 5, 10, 20)


def _combo(name: str, items: list[tuple[str, Any]], current: Any) -> QComboBox:
    box = QComboBox()
    box.setAccessibleName(name)
    for text, value in items:
        box.addItem(text, value)
    values = [v for _, v in items]
    box.setCurrentIndex(values.index(current) if current in values else 0)
    return box


class SettingsDialog(FitOnShow, ReadingOrderTabs, QDialog):
    changed = Signal(str, object)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        p = session.prefs
        self.setWindowTitle(tr("Settings"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowModality(Qt.WindowModality.WindowModal)

        from ui.fonts import language_label

        self.language = _combo(
            tr("Language"), [(language_label(c, n), c) for c, n in i18n.LANGUAGES.items()], i18n.language()
        )
        self.text_scale = _combo(tr("Text size"), [(f"{s} %", s) for s in TEXT_SCALES], p.text_scale)
        self.contrast = QCheckBox(tr("High contrast"))
        self.contrast.setChecked(p.high_contrast)
        look = QFormLayout()
        look.addRow(tr("Language"), self.language)
        look.addRow(tr("Text size"), self.text_scale)
        look.addRow("", self.contrast)

        minutes = [(tr("After {minutes} min without use", minutes=s // 60), s) for s in AUTOLOCK_CHOICES_S]
        if p.autolock_s not in AUTOLOCK_CHOICES_S:
            minutes.insert(0, (tr("After {seconds} s without use", seconds=p.autolock_s), p.autolock_s))
        self.autolock = _combo(tr("Lock automatically"), minutes, p.autolock_s)
        self.fail_limit = _combo(
            tr("Wipe after failed unlocks"),
            [(tr("Never"), 0)]
            + [(tr("After {count} wrong passphrases", count=n), n) for n in FAIL_LIMITS[1:]],
            p.fail_limit,
        )
        lock = QFormLayout()
        lock.addRow(tr("Lock automatically"), self.autolock)
        lock.addRow(tr("Wipe after failed unlocks"), self.fail_limit)

        self.panic_confirm = QCheckBox(tr("Ask before wiping"))
        self.panic_confirm.setChecked(p.panic_confirm)
        self.panic_after = _combo(
            tr("After a wipe"),
            [(tr("Show the welcome screen"), "firstrun"), (tr("Close Satchel"), "quit")],
            p.panic_after,
        )
        panic = QFormLayout()
        panic.addRow(label(tr("The Wipe button and Ctrl+Shift+Delete destroy the library at once.")))
        self.disk_warning = label(disk_warning(p.disk))
        self.disk_warning.setVisible(bool(self.disk_warning.text()))
        panic.addRow(self.disk_warning)
        panic.addRow("", self.panic_confirm)
        panic.addRow(tr("After a wipe"), self.panic_after)

        self.duress_state = label("")
        self.duress_set = push(tr("Set duress passphrase..."))
        self.duress_clear = push(tr("Remove duress passphrase"))
        self.passphrase = push(tr("Change passphrase..."))
        keys_box = QVBoxLayout()
        keys_box.addWidget(self.duress_state)
        row = QHBoxLayout()
        for b in (self.duress_set, self.duress_clear):
            row.addWidget(b)
        keys_box.addLayout(row)
        keys_box.addWidget(self.passphrase)
        self._show_duress(p.has_duress)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        col = QVBoxLayout(self)
        for title, layout in (
            (tr("Appearance"), look),
            (tr("Locking"), lock),
            (tr("Panic wipe"), panic),
            (tr("Passphrases"), keys_box),
        ):
            group = QGroupBox(title)
            group.setLayout(layout)
            col.addWidget(group)
        col.addWidget(buttons)

        self.language.activated.connect(lambda _i: self._set("language", self.language.currentData()))
        self.text_scale.activated.connect(lambda _i: self._set("text_scale", self.text_scale.currentData()))
        self.contrast.toggled.connect(lambda on: self._set("high_contrast", on))
        self.autolock.activated.connect(lambda _i: self._set("autolock_s", self.autolock.currentData()))
        self.panic_confirm.toggled.connect(lambda on: self._set("panic_confirm", on))
        self.panic_after.activated.connect(
            lambda _i: self._set("panic_after", self.panic_after.currentData())
        )
        self.fail_limit.activated.connect(lambda _i: self._fail_limit(self.fail_limit.currentData()))
        self.duress_set.clicked.connect(self._ask_duress)
        self.duress_clear.clicked.connect(self._clear_duress)
        self.passphrase.clicked.connect(self._ask_passphrase)

    def _set(self, name: str, value: Any) -> None:
        setattr(self.session.prefs, name, value)
        self.session.write(lambda c: save(c.vault, name, value)).run()
        self.changed.emit(name, value)

    def _fail_limit(self, n: int) -> None:
        self.session.prefs.fail_limit = n
        self.session.write(lambda c: c.vault.set_fail_limit(n)).failure(lambda e: show_error(self, e)).run()

    def _show_duress(self, on: bool) -> None:
        self.session.prefs.has_duress = on
        self.duress_state.setText(
            tr("A duress passphrase is set.") if on else tr("No duress passphrase is set.")
        )
        self.duress_clear.setEnabled(on)

    def _ask_duress(self) -> None:
        d = PassphraseDialog(
            tr("Duress passphrase"),
            tr(
                "Unlocking with the duress passphrase wipes your library without any sign and opens an "
                "empty one that looks normal. It must differ from your passphrase."
            ),
            self,
            check_strength=False,
        )
        d.chosen.connect(self._set_duress)
        d.open()

    def _set_duress(self, text: str) -> None:
        self.session.op(lambda c: c.vault.set_duress(text)).with_progress(tr("Saving...")).success(
            lambda _r: self._show_duress(True)
        ).failure(lambda e: show_error(self, e)).run()

    def _clear_duress(self) -> None:
        self.session.op(lambda c: c.vault.clear_duress()).success(
            lambda _r: self._show_duress(False)
        ).failure(lambda e: show_error(self, e)).run()

    def _ask_passphrase(self) -> None:
        d = PassphraseDialog(
            tr("Change passphrase"),
            tr(
                "Type your current passphrase, then choose a new one. "
                "Nobody can recover it if you forget it."
            ),
            self,
            ask_current=True,
        )
        d.chosen_with_current.connect(self._change_passphrase)
        d.open()

    def _change_passphrase(self, current: str, text: str) -> None:
        # Re-encrypts the whole library under a new key: progress, and no Cancel (SQLCipher's
        # re-encryption cannot stop half-way; a lock meanwhile closes the vault when it ends).
        self.session.op(lambda c: c.vault.change_passphrase(text, progress=c.progress, current=current)).with_progress(
            tr("Changing the passphrase...")
        ).success(lambda _r: show_error(self, tr("The passphrase was changed."))).failure(
            lambda e: show_error(self, e)
        ).run()
