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


# -- sync over Tor ----------------------------------------------------------------------

class TorError(SyncError):
    """Tor could not be used (the sentence says what to try)."""


class TorNotFound(TorError):
    """The tor program (or a bridge plugin) is not installed where Satchel looks."""


class TorFailed(TorError):
    """The tor process Satchel started stopped or could not start."""


class TorBlocked(TorError):
    """Tor did not finish connecting in time: the network may block it (try bridges)."""


class SocksUnreachable(TorError):
    """Nothing answers at the SOCKS port Satchel was told to use."""


class NeedsOwnTor(TorError):
    """Something needs tor's control connection, which a foreign SOCKS port does not give."""


class BadRepositoryUrl(SyncError):
    """A repository address is not one Satchel follows."""


class RepositoryUnreachable(SyncError):
    """The repository's onion service could not be reached (offline, unknown, lost)."""


class TransferFailed(SyncError):
    """The repository's answer broke the rules (status, sizes, ranges, encoding)."""


class HttpStatusError(TransferFailed):
    """The repository answered with an HTTP error."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Redirected(TransferFailed):
    """The repository answered with a redirect, which Satchel never follows."""


class TooLarge(TransferFailed):
    """The repository sent, or announced, more bytes than the index or the cap allows."""


class RangeIgnored(TransferFailed):
    """The repository answered a range request with the whole file."""


class Stalled(TransferFailed):
    """The transfer stopped or became too slow; what arrived is kept for next time."""


class IndexRefused(SyncError):
    """The repository's index is not signed by a trusted key, or older than one seen."""


# -- sharing packs from the app (issue 15) --------------------------------------------

class BadShareLine(BadRepositoryUrl):
    """A share line is malformed, mistyped or from a newer Satchel."""


class ShareError(SyncError):
    """A share could not start or keep running (the sentence says why and what to do)."""


class ShareKeyMismatch(ShareError):
    """A persistent share is signed with another key than the one given."""


class NothingToShare(ShareError):
    """No pack to share: none named is in the library, or none is signed by the key."""


class ShareAlreadyRunning(ShareError):
    """A share from this library is already running (here or in another Satchel)."""


class SharePublishFailed(ShareError):
    """Tor could not publish the share's onion service."""
