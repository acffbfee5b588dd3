"""Tor bridge lines: the one strict parser for lines typed by a user, given on the command
line, or carried inside a signed pack (manifest field `tor.bridges`).

A bridge line ends up as a `Bridge` line in the configuration Satchel hands to tor, so a
line that is accepted here can never carry anything else: only printable ASCII without
quotes, backslashes or '#' is allowed, the line is split on whitespace and put back
together with single spaces, and every part must match its own pattern:

    [TRANSPORT] ADDRESS:PORT [FINGERPRINT] [KEY=VALUE ...]

- TRANSPORT is `obfs4` or `snowflake` (the plugins Satchel ships: obfs4proxy and
  snowflake-client), or absent for a plain bridge; anything else is refused with a
  sentence saying which transports work.
- ADDRESS is an IPv4 address or a bracketed IPv6 address, PORT 1 to 65535. Names are
  refused: a bridge line never makes tor resolve a name outside Tor.
- FINGERPRINT is 40 hex digits (required for obfs4 and snowflake).
- obfs4 needs exactly `cert=` (base64, 70 characters) and `iat-mode=` (0, 1 or 2).
- snowflake accepts only its known keys, URLs only over https.

Caps: MAX_LINE_CHARS per line, MAX_BRIDGES lines, MAX_VALUE_CHARS per value. Errors are
BadBridge with one sentence that never repeats the line (it could be long or hostile).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from content_packs.errors import PackError

MAX_LINE_CHARS = 1500
MAX_BRIDGES = 32
MAX_VALUE_CHARS = 600
TRANSPORTS = ("obfs4", "snowflake")

_ALLOWED_CHARS = re.compile(r"^[\x21-\x7e \t]*\Z")
_FORBIDDEN = set("\"'\\#")
_FINGERPRINT = re.compile(r"^[0-9A-Fa-f]{40}\Z")
_PORT = re.compile(r"^[0-9]{1,5}\Z")
_CERT = re.compile(r"^[A-Za-z0-9+/]{70}\Z")
_VALUE = re.compile(r"^[A-Za-z0-9._:/,=+~%?&@-]+\Z")
_HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~%/?&=+-]*)?\Z")
_DOMAINS = re.compile(r"^[A-Za-z0-9.-]{1,253}(?:,[A-Za-z0-9.-]{1,253}){0,15}\Z")
_ICE = re.compile(r"^stuns?:[A-Za-z0-9.-]{1,253}:[0-9]{1,5}(?:,stuns?:[A-Za-z0-9.-]{1,253}:[0-9]{1,5}){0,15}\Z")
_WORD = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")
_BASE64 = re.compile(r"^[A-Za-z0-9+/=_-]{1,600}\Z")
_SNOWFLAKE_KEYS = {
    "fingerprint": _FINGERPRINT, "url": _HTTPS_URL, "ampcache": _HTTPS_URL, "sqsqueue": _HTTPS_URL,
    "sqscreds": _BASE64, "front": _DOMAINS, "fronts": _DOMAINS, "ice": _ICE, "utls-imitate": _WORD,
    "utls-nosni": _WORD,
}


class BadBridge(PackError):
    """A bridge line is not one Satchel can hand to tor."""


@dataclass(frozen=True)
class Bridge:
    """One checked bridge line, in canonical form (single spaces)."""

    transport: str          # 'obfs4', 'snowflake' or '' for a plain bridge
    line: str

    def __str__(self) -> str:
        return self.line


def _address(text: str) -> str:
    if text.startswith("["):
        end = text.find("]:")
        if end < 0:
            raise BadBridge("A bridge line has an invalid address; it must be IP:PORT.")
        host, port = text[1:end], text[end + 2:]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise BadBridge("A bridge line has an invalid IPv6 address.") from None
    else:
        host, _, port = text.rpartition(":")
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise BadBridge("A bridge line must give an IP address and port (names are not allowed).") from None
    if not _PORT.match(port) or not 1 <= int(port) <= 65535:
        raise BadBridge("A bridge line has an invalid port; it must be 1 to 65535.")
    return text


def _arguments(parts: list[str], transport: str) -> dict[str, str]:
    args: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep or not key or not value:
            raise BadBridge("A bridge line has a part that is not KEY=VALUE.")
        if key in args:
            raise BadBridge("A bridge line gives the same setting twice.")
        if len(value) > MAX_VALUE_CHARS or not _VALUE.match(value):
            raise BadBridge("A bridge line has a setting with characters Satchel does not accept.")
        args[key] = value
    if transport == "obfs4":
        if set(args) != {"cert", "iat-mode"}:
            raise BadBridge("An obfs4 bridge line needs exactly cert=... and iat-mode=....")
        if not _CERT.match(args["cert"]):
            raise BadBridge("An obfs4 bridge line has an invalid cert.")
        if args["iat-mode"] not in ("0", "1", "2"):
            raise BadBridge("An obfs4 bridge line has an invalid iat-mode; it must be 0, 1 or 2.")
    elif transport == "snowflake":
        for key, value in args.items():
            pattern = _SNOWFLAKE_KEYS.get(key)
            if pattern is None:
                raise BadBridge("A snowflake bridge line has a setting Satchel does not know.")
            if not pattern.match(value):
                raise BadBridge("A snowflake bridge line has an invalid setting.")
    elif args:
        raise BadBridge("A plain bridge line cannot carry settings; is it missing obfs4 or snowflake?")
    return args


def parse_bridge(text: str) -> Bridge:
    """Check one bridge line; raise BadBridge with one sentence if it is not acceptable."""
    if not isinstance(text, str):
        raise BadBridge("A bridge line must be text.")
    if len(text) > MAX_LINE_CHARS:
        raise BadBridge("A bridge line is longer than Satchel accepts.")
    if not _ALLOWED_CHARS.match(text) or _FORBIDDEN & set(text):
        raise BadBridge("A bridge line has characters Satchel does not accept.")
    parts = text.split()
    if parts and parts[0].lower() == "bridge":   # pasted from a torrc
        parts = parts[1:]
    if not parts:
        raise BadBridge("A bridge line is empty.")
    transport = ""
    if ":" not in parts[0]:
        transport = parts[0]
        if transport not in TRANSPORTS:
            raise BadBridge("Satchel can use obfs4 and snowflake bridges (and plain ones), not this kind.")
        parts = parts[1:]
    if not parts:
        raise BadBridge("A bridge line has no address.")
    canonical = [transport] if transport else []
    canonical.append(_address(parts[0]))
    rest = parts[1:]
    if rest and "=" not in rest[0]:
        if not _FINGERPRINT.match(rest[0]):
            raise BadBridge("A bridge line has an invalid fingerprint; it must be 40 hex digits.")
        canonical.append(rest[0].upper())
        rest = rest[1:]
    elif transport:
        raise BadBridge("A bridge line needs the bridge's fingerprint (40 hex digits).")
    _arguments(rest, transport)
    canonical += rest
    return Bridge(transport, " ".join(canonical))


def parse_bridges(lines: Iterable[str]) -> list[Bridge]:
    """Check several lines (blank lines and '#' comments skipped); duplicates kept once."""
    out: list[Bridge] = []
    seen: set[str] = set()
    for raw in lines:
        if not isinstance(raw, str):
            raise BadBridge("A bridge line must be text.")
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        bridge = parse_bridge(stripped)
        if bridge.line not in seen:
            if len(out) >= MAX_BRIDGES:
                raise BadBridge(f"Satchel accepts at most {MAX_BRIDGES} bridge lines.")
            seen.add(bridge.line)
            out.append(bridge)
    return out


def split_lines(text: str) -> list[str]:
    """The lines of a text box (capped before splitting, so a huge paste cannot cost much)."""
    if len(text) > MAX_LINE_CHARS * MAX_BRIDGES * 2:
        raise BadBridge("That is more bridge text than Satchel accepts.")
    return text.splitlines()
