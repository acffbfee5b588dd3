"""One place that turns a core exception into one translated sentence (OnionShare's
`get_translated_tor_error` idea), and the plain message box that shows it.

The core's own sentence (`str(exc)`) is used when the catalog knows it; otherwise the
type decides. Unexpected exceptions never show their text: it could hold content.
"""

from __future__ import annotations

from app import errors as core
from ui.i18n import N_, tr
from ui.qt import QMessageBox, Qt, QWidget

_BY_TYPE: list[tuple[type[BaseException], str]] = [
    (core.WrongPassphrase, N_("That passphrase does not open this library.")),
    (core.EmptyPassphrase, N_("Please type a passphrase.")),
    (core.NoVault, N_("There is no library here yet.")),
    (core.VaultDamaged, N_("The library's files are damaged or incomplete.")),
    (core.VaultClosed, N_("The library is locked.")),
    (core.VaultExists, N_("A library already exists here; nothing was changed.")),
    (core.DiskFull, N_("The disk is full; nothing was changed.")),
    (core.HomeUnusable, N_("Satchel cannot use its folder on this computer.")),
]


# Sentences the core raises that can reach a dialog as they are: translated verbatim.
CORE_SENTENCES = (
    N_("The passphrase cannot be empty."),
    N_("The duress passphrase must differ from the vault passphrase."),
    N_("The new passphrase must differ from the duress passphrase."),
    N_("The current passphrase is not right; nothing was changed."),
    N_("This vault was made by a newer Satchel; update Satchel to open it."),
    N_("The import was cancelled; nothing was changed."),
    N_("Satchel could not re-encrypt the vault; nothing was changed."),
    N_("The vault's key file is in an older format that this version of Satchel cannot read; nothing was changed."),
)


def message_for(exc: BaseException) -> str:
    """The sentence to show for `exc`, in the interface language."""
    if isinstance(exc, core.SatchelError):
        own = str(exc)
        if own in CORE_SENTENCES:
            return tr(own)  # a sentence that says more than its type (in English too)
        translated = tr(own) if own else own
        if translated != own:  # the catalog knows this exact sentence
            return translated
        for kind, text in _BY_TYPE:
            if isinstance(exc, kind):
                return tr(text)
        # A sentence from the core we have no translation for: still one plain sentence.
        return own or tr("Something went wrong; nothing was changed.")
    return tr("Something went wrong; nothing was changed.")


def show_error(parent: QWidget | None, exc_or_text: BaseException | str) -> QMessageBox:
    """A non-blocking, plain-text message box (never exec(): panic must close it at once)."""
    text = exc_or_text if isinstance(exc_or_text, str) else message_for(exc_or_text)
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle(tr("Satchel"))
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.open()
    return box
