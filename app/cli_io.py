"""Terminal input and output for the command line.

Secrets come from the terminal without echo; when standard input is not a terminal,
each secret is one line of standard input, in the order the terminal would ask for
them, with no confirmation lines (DESIGN.md, Command line). Nothing read here is logged.
"""

from __future__ import annotations

import getpass
import json
import sys
from typing import Any

from app.errors import SatchelError

MAX_SECRET_LEN = 1024


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
        print("The two entries differ; try again.", file=sys.stderr)


def confirm(question: str) -> bool:
    """Ask a yes/no question (commands offer --yes instead for scripts)."""
    print(question, end=" ", file=sys.stderr, flush=True)
    if sys.stdin is None:
        return False
    answer = sys.stdin.readline(64)
    return answer.strip().lower() in {"y", "yes"}


def out(text: str = "") -> None:
    print(text)


def out_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))
