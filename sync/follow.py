"""The repositories a vault follows, kept inside the vault (never in a plain file).

An address says what its user reads, so it is stored only in the encrypted vault and
never logged. Each repository also carries its index floor: the highest index version
seen from it (a version floor in `version_floors`, subject ':index:' + address), which
survives removing and adding the repository again, so an old index can never be
replayed to this vault (TUF's rollback attack).

`client_key` is the x25519 key of an onion service with client authorization (what a
trainer's share line carries, issue 15); sync hands it to the tor Satchel starts
before reaching that repository. `signer` is the key id the share line named: that
repository's index must be signed by exactly that key (sync.remote), not merely by
some key the vault trusts.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from app.trust import raise_floor
from app.vault import Vault
from sync.errors import BadRepositoryUrl
from sync.onion import RepoUrl, parse_repo_url
from sync.tor import check_client_key

MAX_REPOSITORIES = 100
_KEY_ID_RE = re.compile(r"^[0-9A-F]{16}\Z")
FLOOR_PREFIX = ":index:"


@dataclass(frozen=True)
class Followed:
    url: RepoUrl
    added_at: int
    client_key: str | None = None
    index_version: int | None = None
    index_expires: int | None = None
    last_sync: int | None = None
    signer: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"url": str(self.url), "added_at": self.added_at, "index_version": self.index_version,
                "index_expires": self.index_expires, "last_sync": self.last_sync,
                "needs_key": self.client_key is not None, "signer": self.signer}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _row(r: tuple[object, ...]) -> Followed:
    return Followed(parse_repo_url(str(r[0])), _int(r[1]) or 0, r[2] if isinstance(r[2], str) else None,
                    _int(r[3]), _int(r[4]), _int(r[5]), r[6] if isinstance(r[6], str) else None)


def list_repositories(vault: Vault) -> list[Followed]:
    with vault.lock:
        rows = vault.conn.execute(
            "SELECT url, added_at, client_key, index_version, index_expires, last_sync, signer FROM repositories "
            "ORDER BY added_at, url").fetchall()
    out = []
    for r in rows:
        try:
            out.append(_row(r))
        except BadRepositoryUrl:
            continue   # written by a newer Satchel with rules this one does not know
    return out


def add_repository(vault: Vault, text: str, client_key: str | None = None,
                   signer: str | None = None) -> tuple[Followed, bool]:
    """Follow a repository; returns it and whether it is new (adding twice changes nothing,
    except that a key or a signer given now replaces the one kept)."""
    url = parse_repo_url(text)
    if client_key is not None:
        try:
            client_key = check_client_key(client_key)
        except ValueError:
            raise BadRepositoryUrl("That is not a valid key for the repository.") from None
    if signer is not None and not _KEY_ID_RE.match(signer):
        raise BadRepositoryUrl("That is not a valid signing key id.")
    with vault.transaction() as conn:
        row = conn.execute("SELECT url FROM repositories WHERE url = ?", (str(url),)).fetchone()
        if row is None:
            count = conn.execute("SELECT count(*) FROM repositories").fetchone()[0]
            if count >= MAX_REPOSITORIES:
                raise BadRepositoryUrl(f"Satchel follows at most {MAX_REPOSITORIES} repositories.")
            conn.execute("INSERT INTO repositories (url, added_at, client_key, signer) VALUES (?, ?, ?, ?)",
                         (str(url), int(time.time()), client_key, signer))
        else:
            if client_key is not None:
                conn.execute("UPDATE repositories SET client_key = ? WHERE url = ?", (client_key, str(url)))
            if signer is not None:
                conn.execute("UPDATE repositories SET signer = ? WHERE url = ?", (signer, str(url)))
    found = next(f for f in list_repositories(vault) if f.url == url)
    return found, row is None


def remove_repository(vault: Vault, text: str) -> bool:
    """Stop following a repository (its index floor and finished imports stay); its
    unfinished downloads are dropped."""
    url = parse_repo_url(text)
    with vault.transaction() as conn:
        conn.execute("DELETE FROM downloads WHERE repository = ?", (str(url),))
        cur = conn.execute("DELETE FROM repositories WHERE url = ?", (str(url),))
    return bool(cur.rowcount > 0)


def index_floor(vault: Vault, url: RepoUrl) -> int | None:
    with vault.lock:
        row = vault.conn.execute("SELECT version FROM version_floors WHERE subject = ?",
                                 (FLOOR_PREFIX + str(url),)).fetchone()
    return int(row[0]) if row else None


def record_index(vault: Vault, url: RepoUrl, version: int, expires: int) -> None:
    """Keep an accepted index's version as the repository's floor (it only goes up)."""
    with vault.transaction() as conn:
        raise_floor(conn, FLOOR_PREFIX + str(url), version, None)
        conn.execute("UPDATE repositories SET index_version = ?, index_expires = ? WHERE url = ?",
                     (version, expires, str(url)))


def record_sync(vault: Vault, url: RepoUrl) -> None:
    with vault.transaction() as conn:
        conn.execute("UPDATE repositories SET last_sync = ? WHERE url = ?", (int(time.time()), str(url)))
