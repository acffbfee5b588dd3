"""The vault's key file as the core sees it: crypto.keystore's records, with every
failure turned into one sentence for the user (app.errors).

Reading never writes, except `settle`, which destroys a half that a crash left behind
(a stale record or a torn write) so that only the current state remains on disk.
"""

from __future__ import annotations

import errno
from collections.abc import Callable

from app.errors import NoVault, VaultClosed, VaultDamaged
from app.home import Home, os_error
from crypto.keyslots import KeyFileError, KeyRecord
from crypto.keystore import KeyFileGone, KeyStore, State


def _store(home: Home) -> KeyStore:
    return KeyStore(home.key_path)


def read(home: Home, settle: bool = False) -> State:
    """The key file's current record (NoVault, VaultDamaged or HomeUnusable if none)."""
    try:
        return _store(home).settle() if settle else _store(home).read()
    except FileNotFoundError:
        raise NoVault(f"There is no Satchel vault in {home.path}.") from None
    except IsADirectoryError:
        raise VaultDamaged("The vault's key file is damaged (it is a folder).") from None
    except KeyFileGone:
        raise NoVault(f"There is no Satchel vault in {home.path}.") from None
    except KeyFileError as exc:
        raise VaultDamaged(str(exc)) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # the key file is a symbolic link
            raise VaultDamaged("The vault's key file is damaged (it is a link).") from None
        raise os_error(exc, home.path) from None


def update(home: Home, change: Callable[[KeyRecord], None]) -> KeyRecord:
    """Change the record in place (crypto.keystore); VaultClosed if the vault was wiped."""
    try:
        return _store(home).update(change)
    except (FileNotFoundError, KeyFileGone):
        raise VaultClosed("The vault was wiped.") from None
    except KeyFileError as exc:
        raise VaultDamaged(str(exc)) from None
    except OSError as exc:
        raise os_error(exc, home.path) from None


def create(home: Home, record: KeyRecord) -> None:
    try:
        KeyStore.create(home.key_path, record)
    except OSError as exc:
        raise os_error(exc, home.path) from None
