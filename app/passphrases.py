"""Passphrase changes on an open vault: a new passphrase (with a new data key), the
duress passphrase, and the failed-unlock limit; and the unlock step that settles a
passphrase change a crash interrupted.

A passphrase change, in three steps, each of which a crash may interrupt:
 1. key file: the new passphrase's slot wraps the new data key and the current one, and
    the record notes "re-key from slot A to slot B" (the old slot still works);
 2. database: every page re-encrypted under the new key, in one SQLite transaction
    (app.vaultdb.rekey), then copied back over the old pages;
 3. key file: the old slot becomes random bytes and the new slot keeps only the new key.
After a crash in 1-3 the database alone says which key is in force (it opens with one
of them, never both), and the first unlock (`resolve_rekey`) finishes or undoes the
change to match: exactly one passphrase opens the vault, the old one while the database
is under the old key, the new one once it is under the new key. The old passphrase with
an old copy of the key file gives the old key, which opens no page written since.

The duress passphrase and the failed-unlock limit change only the key file (in place);
neither touches the data key, so neither needs the database re-encrypted.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

import sqlcipher3

from app import keyfile, vaultdb
from app.errors import DiskFull, SatchelError, VaultDamaged, WrongPassphrase
from app.home import Home
from crypto.keyslots import ROLE_DURESS, ROLE_VAULT, SLOT_COUNT, KeyRecord, Opened, new_data_key
from crypto.secure import wipe

if TYPE_CHECKING:
    from app.vault import Vault

DURESS_SLOT_SETTING = "vault.duress_slot"
Progress = Callable[[int, int], None]


def change_passphrase(vault: Vault, new_passphrase: str, progress: Progress | None = None) -> None:
    """Re-key the vault under a new passphrase (see the module's steps)."""
    from app.vault import check_passphrase

    check_passphrase(new_passphrase)
    home = vault.home
    vault.conn  # noqa: B018 - VaultClosed before half a second of key derivation
    record = keyfile.read(home).record
    derived = record.derive(new_passphrase)
    new_key = new_data_key()
    try:
        hit = record.open_slot(derived)
        if hit is not None:
            role = hit.role
            hit.wipe()
            if role == ROLE_DURESS:
                raise SatchelError("The new passphrase must differ from the duress passphrase.")
        with vault.lock:
            conn = vault.conn
            old_slot = vault.slot
            duress = vault.get_setting(DURESS_SLOT_SETTING)
            new_slot = record.free_slot({old_slot} | ({duress} if isinstance(duress, int) else set()))

            def begin(r: KeyRecord) -> None:
                r.seal_slot(new_slot, derived, ROLE_VAULT, new_key, previous=vault._key)
                r.rekey_from, r.rekey_to = old_slot, new_slot

            keyfile.update(home, begin)
            try:
                fresh, rekeyed = vaultdb.rekey(conn, home.db_path, vault._key, new_key, progress)
            except BaseException:
                vault.lock_now(reason="The vault could not be reopened; unlock it again.")
                raise
            if not vault._swap_conn(conn, fresh):
                fresh.close()  # locked meanwhile: the key file is still settled below
            if not rekeyed:
                # Nothing was re-encrypted: the old passphrase stays the only one.
                keyfile.update(home, lambda r: _undo(r, old_slot, new_slot))
                if vaultdb.free_space(home.path) < os.path.getsize(home.db_path):
                    raise DiskFull("The disk is full; nothing was changed.")
                raise SatchelError("Satchel could not re-encrypt the vault; nothing was changed.")
            vault._adopt(new_key, new_slot)

            def finish(r: KeyRecord) -> None:
                if (r.rekey_from, r.rekey_to) == (old_slot, new_slot):
                    r.clear_slot(old_slot)
                    r.seal_slot(new_slot, derived, ROLE_VAULT, new_key)
                    r.rekey_from = r.rekey_to = None

            keyfile.update(home, finish)
    finally:
        wipe(derived)
        wipe(new_key)


def _undo(r: KeyRecord, old_slot: int, new_slot: int) -> None:
    if (r.rekey_from, r.rekey_to) == (old_slot, new_slot):
        r.clear_slot(new_slot)
        r.rekey_from = r.rekey_to = None


def resolve_rekey(home: Home, record: KeyRecord, opened: Opened, derived: bytearray) -> sqlcipher3.Connection:
    """An unlock met a passphrase change cut short: settle it as the database says.

    Returns the open connection, or raises WrongPassphrase when the passphrase typed is
    the one that lost (the database is under the other key)."""
    old_slot, new_slot = record.rekey_from, record.rekey_to
    assert old_slot is not None and new_slot is not None
    if opened.index == new_slot:
        conn = vaultdb.try_connect(home.db_path, opened.key)
        if conn is not None:  # step 2 completed: finish step 3
            key = opened.key

            def finish(r: KeyRecord) -> None:
                if (r.rekey_from, r.rekey_to) == (old_slot, new_slot):
                    r.clear_slot(old_slot)
                    r.seal_slot(new_slot, derived, ROLE_VAULT, key)
                    r.rekey_from = r.rekey_to = None

            keyfile.update(home, finish)
            return conn
        if opened.previous is not None:
            conn = vaultdb.try_connect(home.db_path, opened.previous)
            if conn is not None:  # step 2 never happened: undo step 1
                conn.close()
                keyfile.update(home, lambda r: _undo(r, old_slot, new_slot))
                raise WrongPassphrase("That passphrase does not open this vault.")
        raise VaultDamaged("The vault's database is damaged; nothing was changed.")
    conn = vaultdb.try_connect(home.db_path, opened.key)
    if conn is not None:  # the old passphrase, and the database is still under its key
        keyfile.update(home, lambda r: _undo(r, old_slot, new_slot))
        return conn

    def retire(r: KeyRecord) -> None:
        # The database is under the new key: the old passphrase's slot goes now; the new
        # one drops its copy of the old key at its next unlock.
        if (r.rekey_from, r.rekey_to) == (old_slot, new_slot):
            r.clear_slot(old_slot)
            r.rekey_from = r.rekey_to = None

    keyfile.update(home, retire)
    raise WrongPassphrase("That passphrase does not open this vault.")


def set_duress(vault: Vault, duress_passphrase: str) -> None:
    """Add (or replace) the duress passphrase."""
    from app.vault import check_passphrase

    check_passphrase(duress_passphrase)
    vault.conn  # noqa: B018
    record = keyfile.read(vault.home).record
    derived = record.derive(duress_passphrase)
    filler = new_data_key()  # what the duress slot wraps: a key that opens nothing
    try:
        hit = record.open_slot(derived)
        if hit is not None:
            role = hit.role
            hit.wipe()
            if role == ROLE_VAULT:
                raise SatchelError("The duress passphrase must differ from the vault passphrase.")
        with vault.lock:
            previous = vault.get_setting(DURESS_SLOT_SETTING)
            if isinstance(previous, int) and 0 <= previous < len(record.slots) and previous != vault.slot:
                slot = previous
            else:
                slot = record.free_slot({vault.slot})
            # Record the slot first: a crash before the key file is written leaves a note
            # pointing at random bytes, which clearing later overwrites harmlessly.
            vault.set_setting(DURESS_SLOT_SETTING, slot)
            keyfile.update(vault.home, lambda r: r.seal_slot(slot, derived, ROLE_DURESS, filler))
    finally:
        wipe(derived)
        wipe(filler)


def clear_duress(vault: Vault) -> bool:
    """Remove the duress passphrase; False if none was set."""
    with vault.lock:
        slot = vault.get_setting(DURESS_SLOT_SETTING)
        if not isinstance(slot, int) or slot == vault.slot or not 0 <= slot < SLOT_COUNT:
            return False
        keyfile.update(vault.home, lambda r: r.clear_slot(slot))
        vault.set_setting(DURESS_SLOT_SETTING, None)
    return True
