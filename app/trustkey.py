"""Reading the file someone gives to "trust a key" (`satchel trust add`, and the app's
"Trust a trainer's key..."): the one place that decides whether a file is a public key.

Guarantees:
- The file is opened without following links and must be a regular file; at most
  MAX_KEY_FILE_BYTES are read.
- A secret key is recognised before it is read: by its first line (minisign writes
  "... secret key" there) or, for a file without that line, by the first six bytes of the
  key line (algorithm, key derivation and checksum tags). It is then refused with a
  sentence that says so; not one byte of the key material is read, decoded or kept, and
  nothing of the file is logged.
- Anything else that is not exactly a minisign public key (a `.pub` file, or its one
  base64 line) is refused with one sentence. The sentences never quote the file.
"""

from __future__ import annotations

import base64
import binascii
import errno
import os
import stat
from pathlib import Path

from app.errors import SatchelError
from crypto.minisign import MinisignError, PublicKey

MAX_KEY_FILE_BYTES = 4096
_MAX_LINE = 1024
_COMMENT = b"untrusted comment:"
_SECRET_TAGS = {(b"Ed", b"Sc", b"B2"), (b"Ed", b"\0\0", b"B2")}  # encrypted, then unencrypted
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)

PRIVATE_HALF_GIVEN = (
    "This file is a secret key, not a public key: Satchel did not read it any further. "
    "Ask the trainer for their public key (the .pub file), and never share a secret key.")
NOT_A_KEY_SENTENCE = ("This file is not a public key: "
                      "Satchel expects a minisign public key file (ending in .pub).")


class KeyFileRefused(SatchelError):
    """The file given as a public key is not one (or is a secret key)."""


def _secret_header(key_line_start: bytes) -> bool:
    """Do the first 8 base64 characters of a key line name a secret key?"""
    try:
        head = base64.b64decode(key_line_start[:8], validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(head) == 6 and (head[:2], head[2:4], head[4:6]) in _SECRET_TAGS


def _open(path: Path) -> int:
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise KeyFileRefused("There is no file there.") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise KeyFileRefused("This is a link, not a key file; Satchel does not follow links.") from None
        raise KeyFileRefused(f"Satchel cannot read this file: {exc.strerror}.") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise KeyFileRefused("This is a folder or a device, not a key file.")
    return fd


def read_public_key_file(path: Path) -> PublicKey:
    """The public key in `path`; raises KeyFileRefused with one sentence otherwise."""
    with os.fdopen(_open(Path(path)), "rb", buffering=0) as f:
        try:
            first = f.readline(_MAX_LINE)
            if first.startswith(_COMMENT):
                comment = first.lower()
                # minisign: "minisign encrypted secret key"; its signatures say "signature
                # from minisign secret key", and are refused below as not a key.
                if b"secret key" in comment and not comment.startswith(_COMMENT + b" signature"):
                    raise KeyFileRefused(PRIVATE_HALF_GIVEN)
                head = f.read(8)
                if _secret_header(head):
                    raise KeyFileRefused(PRIVATE_HALF_GIVEN)
            else:
                head = b""
                if _secret_header(first):
                    raise KeyFileRefused(PRIVATE_HALF_GIVEN)
            rest = f.read(MAX_KEY_FILE_BYTES + 1 - len(first) - len(head))
        except OSError as exc:
            raise KeyFileRefused(f"Satchel cannot read this file: {exc.strerror}.") from None
    data = first + head + rest
    if len(data) > MAX_KEY_FILE_BYTES:
        raise KeyFileRefused("This file is too large to be a public key.")
    try:
        return PublicKey.from_text(data)
    except MinisignError:
        raise KeyFileRefused(NOT_A_KEY_SENTENCE) from None
