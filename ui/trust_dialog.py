"""Trusting a trainer's key in the app: from a public key file, or from a pack signed by a
key the library does not know ("Trust this signer...").

Guarantees:
- The key is read on the worker by the same core functions as the command line:
  app.trustkey (a `.pub` file; a secret key or anything else is refused with one sentence,
  the secret key unread) and content_packs.signer (the key a pack carries, only if it
  really signed that pack). Trusting calls TrustStore.add_manual, like `satchel trust add`.
- The fingerprint is shown as the 12 groups of 5 digits people read aloud, large, left to
  right in every interface language, each group numbered; the learner must tick that all
  12 groups match what the trainer read out before "Trust this key" is enabled, and
  Cancel is the default button.
- A key the library already knows is not offered again: the learner is told why
  (trusted already, on the publisher's list, or revoked).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from ui.errors import show_error
from ui.i18n import N_, tr
from ui.qt import (
    QCheckBox,
    QDialog,
    QFont,
    QFontDatabase,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.session import Session
from ui.widgets import clean, heading, label, push

GROUPS, PER_ROW = 12, 4
# Core sentences the dialogs can show, translated through the catalog (ui.errors.message_for).
_SENTENCES = (
    N_("This file is a secret key, not a public key: Satchel did not read it any further. "
       "Ask the trainer for their public key (the .pub file), and never share a secret key."),
    N_("This file is not a public key: Satchel expects a minisign public key file (ending in .pub)."),
    N_("This file is too large to be a public key."),
    N_("This is a folder or a device, not a key file."),
    N_("This is a link, not a key file; Satchel does not follow links."),
)


def key_status(vault: Any, key: Any) -> str | None:
    """Worker: why a key need not (or cannot) be trusted by hand, or None."""
    from app.trust import TrustStore

    grant = TrustStore(vault).grant_for(key.key_id_hex)
    if grant is None:
        return None
    if grant.revoked:
        return tr("The publisher has revoked this key: Satchel will not trust it.")
    if grant.source == "manual":
        return tr("You already trust this key.")
    return tr("This key is already on Satchel's trust list.")


class TrustKeyDialog(QDialog):
    """Compare a key's fingerprint with its owner, then trust it."""

    trusted = Signal(str)  # the key id

    def __init__(self, session: Session, key: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.key = key
        self.setWindowTitle(tr("Trust a trainer's key"))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        intro = label(tr(
            "Trust a key only after checking it with its owner, in person. Ask the trainer to read "
            "out the fingerprint of their key from their own computer, group by group, and compare "
            "each group with the numbers below. Trust the key only if all 12 groups are the same."))
        self.groups = key.fingerprint().split()
        grid_box = QWidget()
        grid_box.setLayoutDirection(Qt.LayoutDirection.LeftToRight)   # digits read left to right
        grid = QGridLayout(grid_box)
        grid.setHorizontalSpacing(28)
        grid.setVerticalSpacing(4)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(self.font().pointSizeF() * 2.0)
        mono.setBold(True)
        mono.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 112)
        self.group_labels = []
        for i, digits in enumerate(self.groups):
            row, col = divmod(i, PER_ROW)
            number = label(str(i + 1), wrap=False)
            number.setAlignment(Qt.AlignmentFlag.AlignCenter)
            number.setAccessibleName(tr("Group {n}", n=i + 1))
            group = label(digits, wrap=False, selectable=True)
            group.setFont(mono)
            group.setAlignment(Qt.AlignmentFlag.AlignCenter)
            # Read digit by digit, as the trainer reads them.
            group.setAccessibleName(tr("Group {n}: {digits}", n=i + 1, digits=" ".join(digits)))
            self.group_labels.append(group)
            grid.addWidget(number, row * 2, col)
            grid.addWidget(group, row * 2 + 1, col)
        self.key_id = label(tr("Key id {key}", key=key.key_id_hex), wrap=False, selectable=True)
        self.name = QLineEdit()
        self.name.setMaxLength(200)
        self.name.setPlaceholderText(tr("Whose key is this? (optional, for example the trainer's name)"))
        self.name.setAccessibleName(tr("Whose key is this?"))
        self.match = QCheckBox(tr("All 12 groups match what the trainer read out"))
        self.status = label("")
        self.cancel_button = push(tr("Cancel"), default=True)
        self.trust_button = push(tr("Trust this key"))
        self.trust_button.setEnabled(False)
        self.match.toggled.connect(self.trust_button.setEnabled)
        self.cancel_button.clicked.connect(self.reject)
        self.trust_button.clicked.connect(self._trust)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.trust_button)
        col = QVBoxLayout(self)
        col.addWidget(heading(tr("Trust this trainer's key?"), level=2))
        col.addWidget(intro)
        col.addWidget(grid_box, 0, Qt.AlignmentFlag.AlignHCenter)
        col.addWidget(self.key_id, 0, Qt.AlignmentFlag.AlignHCenter)
        col.addWidget(self.name)
        col.addWidget(self.match)
        col.addWidget(self.status)
        col.addLayout(buttons)
        # Wide enough for the four groups of a row and for the explanation to wrap
        # into a few full lines (a word-wrapped label otherwise squeezes a small dialog).
        self.setMinimumWidth(max(560, grid_box.sizeHint().width() + 48))
        self.cancel_button.setFocus()

    def _trust(self) -> None:
        if not self.match.isChecked():
            return
        from app.trust import TrustStore

        key, name = self.key, clean(self.name.text(), 200)
        self.trust_button.setEnabled(False)
        self.session.write(lambda c: TrustStore(c.vault).add_manual(key, name)).success(
            lambda _r: self._done()).failure(self._failed).run()

    def _done(self) -> None:
        self.trusted.emit(self.key.key_id_hex)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        from ui.errors import message_for

        self.status.setText(message_for(exc))
        self.trust_button.setEnabled(self.match.isChecked())


def _offer(parent: QWidget | None, session: Session, found: tuple[Any, str | None] | str,
           trusted: Callable[[str], None] | None) -> TrustKeyDialog | None:
    if isinstance(found, str):
        show_error(parent, found)
        return None
    key, known = found
    if known is not None:
        show_error(parent, known)
        return None
    dialog = TrustKeyDialog(session, key, parent)
    if trusted is not None:
        dialog.trusted.connect(trusted)
    dialog.open()
    return dialog


def trust_key_file(parent: QWidget | None, session: Session, path: Path,
                   trusted: Callable[[str], None] | None = None,
                   shown: Callable[[TrustKeyDialog], None] | None = None) -> None:
    """Read `path` on the worker, then offer the key (or say in one sentence why not)."""

    def work(ctx: Any) -> tuple[Any, str | None] | str:
        from app.trustkey import KeyFileRefused, read_public_key_file

        try:
            key = read_public_key_file(path)
        except KeyFileRefused as exc:
            return tr(str(exc))
        return key, key_status(ctx.vault, key)

    def done(found: tuple[Any, str | None] | str) -> None:
        dialog = _offer(parent, session, found, trusted)
        if dialog is not None and shown is not None:
            shown(dialog)

    session.op(work).success(done).run()


def trust_pack_signer(parent: QWidget | None, session: Session, open_pack: Callable[[], BinaryIO],
                      trusted: Callable[[str], None] | None = None,
                      shown: Callable[[TrustKeyDialog], None] | None = None) -> None:
    """Offer the key that signed a pack the library does not trust yet."""

    def work(ctx: Any) -> tuple[Any, str | None] | str:
        from app.errors import SatchelError
        from content_packs.signer import embedded_signer

        try:
            with open_pack() as f:
                key = embedded_signer(f)
        except (OSError, ValueError, SatchelError):
            key = None
        if key is None:
            return tr("This pack does not say which key signed it; "
                      "ask the trainer for their public key file (.pub) instead.")
        return key, key_status(ctx.vault, key)

    def done(found: tuple[Any, str | None] | str) -> None:
        dialog = _offer(parent, session, found, trusted)
        if dialog is not None and shown is not None:
            shown(dialog)

    session.op(work).success(done).run()
