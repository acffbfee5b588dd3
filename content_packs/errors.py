"""Why a pack was refused. Each error's text is one sentence for the user; none of them
ever carries a page's text (a title or path may appear where it helps a trainer)."""

from __future__ import annotations

from app.errors import SatchelError


class PackError(SatchelError):
    """A pack or pack source could not be used."""


class SourceError(PackError):
    """A pack source folder is invalid (the message names the file and the field)."""


class PackRejected(PackError):
    """A pack failed verification; nothing inside it was used."""


class UntrustedSigner(PackRejected):
    """The pack's signer is unknown, expired, revoked or out of scope. `unknown_key` is
    the key id of a signer this vault does not know at all (the one case where trusting
    the key by hand can help), else None."""

    def __init__(self, message: str, unknown_key: str | None = None) -> None:
        super().__init__(message)
        self.unknown_key = unknown_key


class VersionRefused(PackRejected):
    """The pack is older than, or the same as, a version already seen."""


class ImportCancelled(PackError):
    """The user cancelled; the vault is as it was."""
