"""Problems found in a pack source folder, collected rather than raised one at a time.

`satchel pack check` and `satchel pack build` run every check and report every problem
in one run: each names its file, its line where there is one, what is wrong and what to
do. Errors stop a build; warnings (a picture without a description, a front-matter
field Satchel does not show) do not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from content_packs.errors import SourceError

# Long targets and values are cut for messages, never in the middle of a %XX escape.
SHOWN_CHARS = 80


@dataclass(frozen=True)
class Problem:
    file: str  # relative to the source folder: "pack.toml", "pages/intro.md"
    line: int | None
    message: str  # one clause: what is wrong and what to do (no final full stop)
    warning: bool = False

    @property
    def where(self) -> str:
        return self.file + (f" line {self.line}" if self.line else "")

    def __str__(self) -> str:
        return f"{self.where}: {self.message}."


@dataclass
class Problems:
    items: list[Problem] = field(default_factory=list)

    def error(self, file: str, message: str, line: int | None = None) -> None:
        self.items.append(Problem(file, line, message))

    def warn(self, file: str, message: str, line: int | None = None) -> None:
        self.items.append(Problem(file, line, message, warning=True))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.warning]

    def sorted(self) -> list[Problem]:
        """Errors first, then by file and line, each problem once."""
        unique = list(dict.fromkeys(self.items))
        return sorted(unique, key=lambda p: (p.warning, p.file != "pack.toml", p.file, p.line or 0))


class SourceProblems(SourceError):
    """A source folder has errors; `problems` lists all of them (errors and warnings).
    Its message is the first error's sentence."""

    def __init__(self, problems: list[Problem]) -> None:
        errors = [p for p in problems if not p.warning]
        super().__init__(str(errors[0]) if errors else "The pack folder has problems.")
        self.problems = problems


def shown(text: str, limit: int = SHOWN_CHARS) -> str:
    """A target or value for a message: invisible characters spelled out (<U+2009>),
    cut at `limit` characters without splitting a %XX escape."""
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if ch.isprintable() and ch != "\u00a0" and not (0x200B <= code <= 0x200F or 0x2028 <= code <= 0x202F
                                                         or 0x2060 <= code <= 0x206F or code == 0xFEFF):
            out.append(ch)
        else:
            out.append(f"<U+{code:04X}>")
    result = "".join(out)
    if len(result) <= limit:
        return result
    # Never end inside a run of %XX escapes: one character's escapes stay whole or go.
    cut = re.sub(r"(?:%[0-9A-Fa-f]{0,2})+$", "", result[:limit])
    return cut + "…"
