"""Satchel's error tree.

Every expected failure is a `SatchelError` whose `str()` is one plain sentence for the
person using Satchel; the command line prints it and the desktop app shows it (after
translation) without a traceback. Unexpected failures are bugs and are not caught here.
"""

from __future__ import annotations


class SatchelError(Exception):
    """A failure with one sentence for the user."""


class HomeUnusable(SatchelError):
    """The home folder cannot be used (a file, unwritable, full)."""


class NoVault(SatchelError):
    """There is no vault in the home folder."""


class VaultExists(SatchelError):
    """A vault is already there; nothing was changed."""


class EmptyPassphrase(SatchelError):
    """An empty passphrase was given."""


class WrongPassphrase(SatchelError):
    """The passphrase opens no key slot."""


class VaultDamaged(SatchelError):
    """The key file or the database is damaged, missing or from another vault."""


class VaultClosed(SatchelError):
    """The vault was locked or wiped while something still used it."""


class DiskFull(SatchelError):
    """The disk is full; nothing was changed."""


class InvalidArgument(SatchelError):
    """A command-line flag or setting has an impossible value."""
