"""Addresses of online repositories: `http://<v3 onion>.onion[:port]/path/`, nothing else.

Satchel follows repositories only as Tor onion services (DESIGN.md: no network
connection except through Tor to repositories the user configured). An onion address
names the service's public key, so Tor itself authenticates the server and encrypts
the connection end to end: `http://` is the right scheme (an https certificate would
add nothing and needs a clearnet certificate authority). Clearnet addresses are
refused: reaching them needs an exit relay, which can watch and change the traffic,
and the address would say what the user reads to whoever controls that relay's DNS.

Guarantees of `parse_repo_url`:
- The host is a version 3 onion address whose checksum and version byte are right
  (a typing mistake is caught here, not after a minute of trying to reach it);
  letters are folded to lower case.
- The port is 1 to 65535 (default 80); no user name, password, query or fragment.
- The path is made of plain segments (letters, digits, '.', '_', '~', '-'), never '.'
  or '..', at most MAX_PATH_CHARS, and always ends with '/'; file names are appended to it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from sync.errors import BadRepositoryUrl

MAX_URL_CHARS = 300
MAX_PATH_CHARS = 200
_ONION_RE = re.compile(r"^[a-z2-7]{56}\.onion\Z")
_SEGMENT_RE = re.compile(r"^[A-Za-z0-9._~-]{1,100}\Z")
_URL_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(/[^?#]*)?([?#].*)?$", re.DOTALL)


def onion_key_ok(host: str) -> bool:
    """True if `host` is a v3 onion name with a valid checksum and version byte."""
    if not _ONION_RE.match(host):
        return False
    raw = base64.b32decode(host[:56].upper())
    pubkey, checksum, version = raw[:32], raw[32:34], raw[34:]
    if version != b"\x03":
        return False
    expected = hashlib.sha3_256(b".onion checksum" + pubkey + version).digest()[:2]
    return checksum == expected


@dataclass(frozen=True)
class RepoUrl:
    host: str
    port: int
    path: str

    def __str__(self) -> str:
        port = "" if self.port == 80 else f":{self.port}"
        return f"http://{self.host}{port}{self.path}"

    @property
    def service_id(self) -> str:
        """The onion name without '.onion' (what tor's control commands take)."""
        return self.host[: -len(".onion")]

    def file_path(self, name: str) -> str:
        if not _SEGMENT_RE.match(name) or name in (".", ".."):
            raise ValueError("not a repository file name")
        return self.path + name


def parse_repo_url(text: str) -> RepoUrl:
    """Check a repository address; raise BadRepositoryUrl with one sentence if it is not one."""
    if not isinstance(text, str) or len(text) > MAX_URL_CHARS:
        raise BadRepositoryUrl("That repository address is too long.")
    text = text.strip()
    if any(not (c.isascii() and c.isprintable()) or c == " " for c in text):
        raise BadRepositoryUrl("A repository address may only use plain letters, digits and punctuation.")
    m = _URL_RE.match(text)
    if not m:
        raise BadRepositoryUrl("A repository address looks like http://<onion address>.onion/path/.")
    scheme, authority, path, rest = m.group(1).lower(), m.group(2), m.group(3) or "/", m.group(4)
    if scheme == "https":
        raise BadRepositoryUrl("Use http:// for an onion repository: Tor already encrypts and "
                               "authenticates the connection to an onion address.")
    if scheme != "http":
        raise BadRepositoryUrl("A repository address must start with http://.")
    if rest:
        raise BadRepositoryUrl("A repository address cannot have a query (?) or fragment (#).")
    if "@" in authority:
        raise BadRepositoryUrl("A repository address cannot carry a user name or password.")
    host, sep, port_text = authority.rpartition(":")
    if not sep:
        host, port_text = authority, ""
    host = host.lower()
    if not host.endswith(".onion"):
        raise BadRepositoryUrl("Satchel follows only onion repositories (addresses ending in .onion), "
                               "so it never connects outside Tor.")
    if not _ONION_RE.match(host):
        raise BadRepositoryUrl("That is not a complete onion address (56 letters and digits before .onion).")
    if not onion_key_ok(host):
        raise BadRepositoryUrl("That onion address has a typing mistake (its checksum does not match).")
    port = 80
    if sep:
        if not port_text.isdigit() or len(port_text) > 5 or not 1 <= int(port_text) <= 65535:
            raise BadRepositoryUrl("The port in that repository address is not a number from 1 to 65535.")
        port = int(port_text)
    if len(path) > MAX_PATH_CHARS:
        raise BadRepositoryUrl("The path in that repository address is too long.")
    segments = [s for s in path.split("/") if s]
    if path.count("//") or any(s in (".", "..") or not _SEGMENT_RE.match(s) for s in segments):
        raise BadRepositoryUrl("The path in that repository address has characters or parts Satchel "
                               "does not accept.")
    clean = "/" + "".join(f"{s}/" for s in segments)
    return RepoUrl(host, port, clean)
