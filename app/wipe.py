"""Panic wipe: make the vault unrecoverable, then remove every file Satchel wrote.

Order matters. First the key file is overwritten in place with random bytes, flushed,
unlinked and its folder flushed: from that moment the database cannot be decrypted,
even with the passphrase (the data key existed only wrapped inside that file; flash
wear-levelling defeats overwriting large files, so destroying the small key is what
counts). Key files set aside from a damaged vault, and one whose creation a crash cut
short, go in the same step. Then every open vault in this process forgets its key (at
once, whatever it is doing: app.vault.Vault.lock_now), and the hooks of rooms above
the core run (sync stops the tor process it started). Only then is everything else in
the home removed, which may take longer on a large vault: under a home that Satchel
marked as its own (app.home), every file and folder, whatever later features put
there; small files are overwritten first, in case they hold secrets of their own (the
encrypted database and its journals are not: their key is gone). Under a folder without
the mark (a mistyped `--home`), only the names Satchel itself uses.

`panic_wipe` never raises: a missing, half-written or half-wiped home is wiped as far as
it goes, and running it twice is harmless. It may be called from any thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from crypto.secure import destroy_file, fsync_dir

log = logging.getLogger(__name__)

OVERWRITE_LIMIT = 1 << 20  # files up to 1 MiB are overwritten before they are unlinked


class KeyHolder(Protocol):
    def drop_keys(self) -> None: ...


_holders: weakref.WeakSet[KeyHolder] = weakref.WeakSet()
_holders_lock = threading.Lock()
_hooks: list[Callable[[], None]] = []
SMALL_FILE = 1 << 20   # files of a home folder up to this size are overwritten before unlinking


def register_key_holder(holder: KeyHolder) -> None:
    """Anything holding key material in memory registers here to be told to forget it."""
    with _holders_lock:
        _holders.add(holder)


def register_wipe_hook(hook: Callable[[], None]) -> None:
    """A room above the core that must act on a wipe registers here (the core never
    imports it): sync stops the tor process it started, so that tor's folder can go and
    no connection outlives the vault. Hooks run right after the keys in memory are
    dropped, before files are removed; each must be quick, and a failing one is skipped."""
    with _holders_lock:
        if hook not in _hooks:
            _hooks.append(hook)


def _remove_tree(folder: Path, report: WipeReport) -> None:
    """Remove a home folder without following links: small files are overwritten first
    (tor's state file names its guards), larger ones (directory caches) unlinked."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    except OSError:
        report.failed.append(folder.name)
        return
    for entry in entries:
        path = Path(entry.path)
        try:
            if entry.is_dir(follow_symlinks=False):
                _remove_tree(path, report)
            elif entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_size <= SMALL_FILE:
                destroy_file(path)
            else:
                path.unlink()
        except FileNotFoundError:
            pass
        except Exception:
            report.failed.append(entry.name)
    try:
        folder.rmdir()
        report.removed.append(folder.name)
    except FileNotFoundError:
        pass
    except OSError:
        report.failed.append(folder.name)


@dataclass
class WipeReport:
    """What the wipe did: the names of the files removed and the key-destruction time."""

    key_destroyed: bool = False
    key_seconds: float = 0.0
    removed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    total_seconds: float = 0.0


def _destroy_keys(home: object, report: WipeReport) -> None:
    from app.home import KEY_NAME, Home

    assert isinstance(home, Home)
    key_like = [p for p in home.aside_paths() if p.name.startswith(KEY_NAME)]
    for path in [home.key_path, *home.temp_paths(), *key_like]:
        try:
            if path.is_dir() and not path.is_symlink():
                continue
            if destroy_file(path):
                report.removed.append(path.name)
                if path == home.key_path:
                    report.key_destroyed = True
        except Exception:  # never stop a wipe
            report.failed.append(path.name)


def _remove(path: Path, report: WipeReport, encrypted: set[Path]) -> None:
    """Remove one entry of the home (a folder with everything in it), never raising."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError:
        report.failed.append(path.name)
        return
    try:
        if stat.S_ISDIR(st.st_mode):
            with os.scandir(path) as entries:
                children = sorted(Path(e.path) for e in entries)
            for child in children:
                _remove(child, report, encrypted)
            os.rmdir(path)
        elif stat.S_ISREG(st.st_mode) and path not in encrypted and st.st_size <= OVERWRITE_LIMIT:
            if not destroy_file(path, lock_wait_s=0):
                report.failed.append(path.name)
                return
        else:
            os.unlink(path)  # a link is removed, never followed
        report.removed.append(path.name)
    except FileNotFoundError:
        pass
    except OSError:
        report.failed.append(path.name)


def panic_wipe(home_path: Path | str | None = None) -> WipeReport:
    """Destroy the vault in `home_path` (default: the configured home). Never raises."""
    report = WipeReport()
    start = time.perf_counter()
    try:
        from app.home import MARKER, Home

        home = Home(home_path)
        # Step 1: the key material.
        _destroy_keys(home, report)
        report.key_seconds = time.perf_counter() - start
        # Step 2: keys in memory.
        with _holders_lock:
            holders = list(_holders)
        for holder in holders:
            with contextlib.suppress(Exception):
                holder.drop_keys()
        with contextlib.suppress(Exception):
            from app import textindex

            textindex.clear_caches()  # words of recently highlighted pages
        with _holders_lock:
            hooks = list(_hooks)
        for hook in hooks:
            with contextlib.suppress(Exception):
                hook()
        # Step 3: everything else.
        encrypted = {home.db_path, *home.db_side_paths()}
        if home.is_own():
            try:
                entries = sorted(home.path.iterdir(), key=lambda p: p.name)
            except OSError:
                entries = []
            for path in entries:
                if path.name != MARKER:
                    _remove(path, report, encrypted)
            if not report.failed:
                with contextlib.suppress(OSError):
                    home.marker_path.unlink()  # last: an interrupted wipe still knows the home
        else:
            for path in [home.db_path, *home.db_side_paths(), *home.temp_paths(), *home.aside_paths()]:
                _remove(path, report, encrypted)
        fsync_dir(home.path)
        with contextlib.suppress(OSError):
            home.path.rmdir()  # only if nothing else is left in it
    except Exception:  # pragma: no cover - the last line of defence
        log.exception("panic wipe hit an unexpected error")
    report.total_seconds = time.perf_counter() - start
    return report


def wipe_in_background(home_path: Path | str | None = None) -> threading.Thread:
    """Start a wipe on its own thread (the GUI uses this; the key goes first, in ms)."""
    thread = threading.Thread(target=panic_wipe, args=(home_path,), name="satchel-wipe", daemon=False)
    thread.start()
    return thread
