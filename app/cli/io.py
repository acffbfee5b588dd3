"""What every command group shares: secrets from the terminal or stdin, opening the
vault, reading key files, and plain output.

Secrets come from the terminal without echo; when standard input is not a terminal,
each secret is one line of standard input, in the order the terminal would ask for
them, with no confirmation lines (DESIGN.md, Command line). Nothing read here is logged.
Every piece of text that came from outside (a pack, a stick, a network reply) reaches the
terminal through `plain`, which replaces control characters (C0, DEL and C1: U+009B starts
a terminal escape sequence), line and paragraph separators and the bidirectional
embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069: U+202E would turn
"(sample)" around). `out`, `err` and `out_json` apply the same rule to everything they
print, so a piece of outside text that a command forgot to pass through `plain` still
cannot reach the terminal raw. The command groups import this module, never each other.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.errors import NoVault, SatchelError
from app.home import Home

if TYPE_CHECKING:
    from app.vault import Vault
    from crypto.minisign import PublicKey, SecretKey

MAX_SECRET_LEN = 1024
MAX_KEY_FILE = 64 * 1024

Progress = Callable[[int, int], None]


class InputEnded(SatchelError):
    """Standard input ended before a needed secret or answer."""


def _interactive() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _read_line(what: str) -> str:
    if sys.stdin is None:
        raise InputEnded(f"Satchel needs {what}, but there is no input.")
    line = sys.stdin.readline(MAX_SECRET_LEN + 2)
    if not line:
        raise InputEnded(f"Satchel needs {what}, but the input ended.")
    if len(line) > MAX_SECRET_LEN and not line.endswith("\n"):
        raise SatchelError(f"The {what} is too long.")
    return line.rstrip("\r\n")


def read_secret(prompt: str, what: str = "a passphrase", confirm: bool = False) -> str:
    """Ask for a secret: no echo on a terminal, one line of stdin otherwise."""
    if not _interactive():
        return _read_line(what)
    while True:
        try:
            first = getpass.getpass(prompt)
        except EOFError:
            raise InputEnded(f"Satchel needs {what}, but the input ended.") from None
        if not confirm:
            return first
        again = getpass.getpass("Repeat it: ")
        if again == first:
            return first
        err("The two entries differ; try again.")


def read_private_line(prompt: str, what: str) -> str:
    """A line the user may not want seen (a search query): typed without echo on a
    terminal, else one line of standard input. Never an argument, so never in the process
    list or the shell's history."""
    if not _interactive():
        return _read_line(what)
    try:
        return getpass.getpass(prompt)
    except EOFError:
        raise InputEnded(f"Satchel needs {what}, but the input ended.") from None


EXPIRED_LIST = ("Warning: your trust list expired on {day}. Revoked keys may be missing from it: "
                "import a recent pack, a stick's index or a sync to get a newer one.")


def confirm(question: str) -> bool:
    """Ask a yes/no question (commands offer --yes instead for scripts)."""
    print(question, end=" ", file=sys.stderr, flush=True)  # noqa: T201
    if sys.stdin is None:
        return False
    answer = sys.stdin.readline(64)
    return answer.strip().lower() in {"y", "yes"}


# Bidirectional embeddings, overrides and isolates: they reorder the text around them.
# (The marks U+200E, U+200F and U+061C are kept: they are weak, and Persian, Arabic and
# Hebrew titles use them; ZWNJ and ZWJ are kept too, being part of how those words are spelt.)
_BIDI_CONTROLS = frozenset(map(chr, (*range(0x202A, 0x202F), *range(0x2066, 0x206A))))
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def _unsafe(c: str) -> bool:
    return c in _BIDI_CONTROLS or unicodedata.category(c) in _UNSAFE_CATEGORIES


def _neutralise(text: str) -> str:
    return "".join("\ufffd" if _unsafe(c) else c for c in text)


def out(text: str = "") -> None:
    print(_neutralise(text))  # noqa: T201


def err(text: str) -> None:
    print(_neutralise(text), file=sys.stderr)  # noqa: T201


def out_json(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False, indent=2)
    # JSON escapes C0 controls inside strings itself (a raw newline is indentation); C1
    # controls, separators and bidirectional controls can only stand inside strings here,
    # where a \u escape means the same character.
    print("".join(f"\\u{ord(c):04x}" if c != "\n" and _unsafe(c) else c for c in text))  # noqa: T201


def plain(text: object, limit: int = 300) -> str:
    """Text from outside (even verified), safe for a terminal: control characters, line
    separators and bidirectional controls become U+FFFD, and long text is cut."""
    return _neutralise(str(text)[:limit])


def progress_printer() -> Progress | None:
    """A percentage on standard error when it is a terminal, else nothing."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        pct = 100 * done // total if total else 100
        print(f"\r{pct:3d} %", end="", file=sys.stderr, flush=True)  # noqa: T201

    return show


def end_progress() -> None:
    if sys.stderr.isatty():
        print(file=sys.stderr)  # noqa: T201


def positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value[:40]}' is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError("the number must be at least 1")
    return n


def open_vault(home: Home) -> Vault:
    """Ask for the vault passphrase and unlock (used by every command that reads the vault)."""
    from app.vault import Vault

    if not home.has_vault():
        raise NoVault(f"There is no Satchel vault in {home.path}; create one with 'satchel init'.")
    return Vault.unlock(home, read_secret("Vault passphrase: "))


def read_small(path: Path, what: str) -> str:
    """A small text file given on the command line (a key), read with a size cap."""
    try:
        if path.stat().st_size > MAX_KEY_FILE:
            raise SatchelError(f"The {what} {path} is too large.")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SatchelError(f"There is no {what} at {path}.") from None
    except UnicodeDecodeError:
        raise SatchelError(f"The {what} {path} is not a text file.") from None
    except OSError as exc:
        raise SatchelError(f"Satchel cannot read the {what} {path}: {exc.strerror}.") from None


def read_public_key(path: Path) -> PublicKey:
    """A public key file given on the command line: the same check as the app's "Trust a
    trainer's key..." (app.trustkey), which refuses a secret key without reading it."""
    from app.trustkey import KeyFileRefused, read_public_key_file

    try:
        return read_public_key_file(path)
    except KeyFileRefused as exc:
        raise SatchelError(f"{path}: {exc}") from None


def read_secret_key(path: Path) -> SecretKey:
    from crypto import minisign
    from crypto.minisign import MinisignError

    text = read_small(path, "secret key")
    try:
        needs = minisign.key_needs_passphrase(text)
    except MinisignError as exc:
        raise SatchelError(f"{path}: {exc}") from None
    passphrase = read_secret("Secret key passphrase: ", "the secret key's passphrase") if needs else None
    try:
        return minisign.secret_key_from_text(text, passphrase)
    except MinisignError as exc:
        raise SatchelError(str(exc)) from None


def write_new(path: Path, text: str, mode: int) -> None:
    """Write a new file (never over an existing one), flushed to disk."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise SatchelError(f"{path} already exists; nothing was overwritten.") from None
    except OSError as exc:
        raise SatchelError(f"Satchel cannot write {path}: {exc.strerror}.") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
