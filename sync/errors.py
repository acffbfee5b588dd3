"""Why a USB stick or a repository could not be used.

Every error is a SatchelError whose text is one plain sentence for the person at the
keyboard. None of them ever carries a pack's title or page text; a file name on a stick
(which is neutral by construction) or a count may appear.
"""

from __future__ import annotations

from app.errors import SatchelError


class SyncError(SatchelError):
    """A repository (a folder on a stick, a sealed file) could not be used."""


class NotARepository(SyncError):
    """The folder holds no packs in the repository format."""


class BadIndex(SyncError):
    """The repository index is missing, unreadable, forged or stale (only ever a hint)."""


class StickRemoved(SyncError):
    """The stick went away (pulled, unmounted) while Satchel was reading or writing it."""


class StickFull(SyncError):
    """Not enough free space on the stick; said before anything is written."""


class StickReadOnly(SyncError):
    """The stick is write-protected or mounted read-only."""


class TooLargeForStick(SyncError):
    """A file would exceed the FAT32 limit of 4 GiB - 1 bytes."""


class StickWriteFailed(SyncError):
    """Writing to the stick failed for another reason (the sentence names it)."""


class UnknownPack(SyncError):
    """A pack id given for export or import is not there."""


class TransferCancelled(SyncError):
    """The user cancelled; what was complete stays, nothing half-written remains."""


class SealedError(SyncError):
    """A sealed file could not be opened (wrong passphrase, damaged, not a sealed file)."""
