"""YAML front matter at the top of a page: found, bounded, parsed safely, or refused.

A page may start with a block of `field: value` lines between two `---` lines (the
closing line may also be `...`), as Jekyll, Hugo and most lesson libraries write it:

    ---
    title: Location tracking
    author: Training team
    duration: 30 min
    level: beginner
    licence: CC-BY-SA-4.0
    tags: [phones, travel]
    ---

Guarantees:
* ``split`` finds the block without parsing YAML; a block larger than ``MAX_BYTES`` or
  without a closing line within it is a ``FrontMatterError``.
* ``parse`` reads the block with PyYAML's SafeLoader, extended so that the composer
  refuses anchors and aliases (no "billion laughs"), explicit tags, nesting deeper than
  ``MAX_DEPTH`` and more than ``MAX_NODES`` values; the document must be a mapping.
  Whatever the input, it returns or raises ``FrontMatterError``, never anything else.
* Only the documented fields (``FIELDS``) are kept, as short plain strings (tags as a
  tuple of them); other fields are listed by name so ``pack check`` can warn, and are
  never shown to a reader.

No Qt, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = ["FIELDS", "FrontMatter", "FrontMatterError", "parse", "read", "split", "strip", "title"]

MAX_BYTES = 64 * 1024
MAX_DEPTH = 6
MAX_NODES = 1000
MAX_VALUE_CHARS = 300
MAX_TAGS = 30
MAX_TAG_CHARS = 60
FIELDS = ("title", "author", "duration", "level", "licence", "tags")
_ALIASES = {"license": "licence"}  # the American spelling is common in real material

_OPEN_RE = re.compile(r"\A\ufeff?---[ \t]*\r?\n")
_CLOSE_RE = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE)


class FrontMatterError(ValueError):
    """The page's front matter cannot be used (the message says why; `line` is 1-based)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class FrontMatter:
    """The kept fields, the names of the others, and problems with kept fields' values."""

    fields: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    unknown: tuple[tuple[str, int], ...] = ()  # (field name, line)
    problems: tuple[tuple[str, int], ...] = ()  # (what is wrong, line)

    def text(self, name: str) -> str | None:
        value = self.fields.get(name)
        return value if isinstance(value, str) else None

    @property
    def tags(self) -> tuple[str, ...]:
        value = self.fields.get("tags")
        return value if isinstance(value, tuple) else ()


def split(text: str) -> tuple[str | None, str, int]:
    """(the YAML between the lines or None, the page's body, lines before the body).

    Raises FrontMatterError for a block that is too large or never closed."""
    opened = _OPEN_RE.match(text)
    if opened is None:
        return None, text, 0
    start = opened.end()
    window = text[start : start + MAX_BYTES + 8]
    close = _CLOSE_RE.search(window)
    if close is None:
        if len(text) - start > MAX_BYTES:
            raise FrontMatterError(
                f"the front matter is larger than {MAX_BYTES // 1024} KiB, or has no closing '---' line", 1
            )
        raise FrontMatterError("the front matter has no closing '---' line", 1)
    if len(window[: close.start()].encode("utf-8")) > MAX_BYTES:
        raise FrontMatterError(f"the front matter is larger than {MAX_BYTES // 1024} KiB", 1)
    block = window[: close.start()]
    end = start + close.end()
    if text[end : end + 1] == "\n":
        end += 1
    return block, text[end:], text.count("\n", 0, end)


def strip(text: str) -> tuple[str, int]:
    """The page without its front matter (for reading and indexing) and the lines removed.

    Never raises: a block that `split` refuses is left in place (it is then ordinary
    Markdown text, which `pack check` reports)."""
    try:
        _, body, offset = split(text)
    except FrontMatterError:
        return text, 0
    return body, offset


def title(text: str) -> str | None:
    """The front matter's `title`, or None (also for front matter that cannot be read)."""
    try:
        meta, _, _ = parse(text)
    except FrontMatterError:
        return None
    return meta.text("title") if meta is not None else None


def read(text: str) -> FrontMatter | None:
    """The page's front matter for display: None when it has none, or it cannot be read."""
    try:
        return parse(text)[0]
    except FrontMatterError:
        return None


# libyaml's parser (C) produces the events when it is there, PyYAML's own otherwise; the
# composer that turns events into nodes is always PyYAML's Python one, extended below to
# refuse what front matter must not hold. (CSafeLoader would compose in C, out of reach.)
_CParser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None)  # None without libyaml


class _CBase(yaml.composer.Composer, yaml.constructor.SafeConstructor, yaml.resolver.Resolver,
             _CParser or object):  # type: ignore[misc]
    def __init__(self, stream: str) -> None:
        _CParser.__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)


def loader_class(base: Any) -> Any:
    """A loader on `base` (libyaml's parser, or PyYAML's SafeLoader) whose composer
    refuses aliases, anchors, tags, depth and size."""

    class _Loader(base):  # type: ignore[misc]
        """A SafeLoader whose composer refuses aliases, anchors, tags, depth and size."""

        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self._depth = 0
            self._nodes = 0

        @staticmethod
        def _line(event: Any) -> int | None:
            mark = getattr(event, "start_mark", None)
            return mark.line + 2 if mark is not None else None  # the block starts on line 2

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()
            line = self._line(event)
            if isinstance(event, yaml.AliasEvent):
                raise FrontMatterError("anchors and aliases ('&' and '*') are not allowed in front matter", line)
            if getattr(event, "anchor", None) is not None:
                raise FrontMatterError("anchors and aliases ('&' and '*') are not allowed in front matter", line)
            if getattr(event, "tag", None) not in (None, "!"):
                raise FrontMatterError("YAML tags ('!!...') are not allowed in front matter", line)
            self._depth += 1
            self._nodes += 1
            if self._depth > MAX_DEPTH:
                raise FrontMatterError(f"the front matter is nested more than {MAX_DEPTH} levels deep", line)
            if self._nodes > MAX_NODES:
                raise FrontMatterError(f"the front matter has more than {MAX_NODES} values", line)
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

    return _Loader


_Loader = loader_class(_CBase if _CParser is not None else yaml.SafeLoader)


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict, bytes)):
        return None
    text = " ".join("".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in str(value)).split())
    return text[:MAX_VALUE_CHARS] if text else None


def _tags(value: Any) -> tuple[str, ...] | None:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        return None
    tags = []
    for item in items[:MAX_TAGS]:
        text = _scalar_text(item)
        if text is None:
            return None
        tags.append(text[:MAX_TAG_CHARS])
    return tuple(tags)


def parse(text: str) -> tuple[FrontMatter | None, str, int]:
    """(the page's front matter or None, its body, lines before the body)."""
    block, body, offset = split(text)
    if block is None:
        return None, body, offset
    loader: Any = None
    try:
        loader = _Loader(block)  # the reader checks characters as it is made
        node = loader.get_single_node()
        if node is None:
            return FrontMatter(), body, offset
        if not isinstance(node, yaml.MappingNode):
            raise FrontMatterError("the front matter must be 'field: value' lines", 2)
        kept: dict[str, str | tuple[str, ...]] = {}
        unknown: list[tuple[str, int]] = []
        problems: list[tuple[str, int]] = []
        seen: set[str] = set()
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 2
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str) or not key.strip():
                raise FrontMatterError("every front-matter line must start with a field name", line)
            name = _ALIASES.get(key.strip().lower(), key.strip().lower())
            if name in seen:
                raise FrontMatterError(f"the field '{key[:40]}' is given twice", line)
            seen.add(name)
            if name not in FIELDS:
                unknown.append((key[:60], line))
                continue
            value = loader.construct_object(value_node, deep=True)
            converted = _tags(value) if name == "tags" else _scalar_text(value)
            if converted is None:
                want = "a list of words" if name == "tags" else "plain text"
                problems.append((f"the field '{name}' must be {want}; it is left out", line))
            else:
                kept[name] = converted
    except FrontMatterError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark is not None else 1
        problem = (exc.problem or "it is not valid YAML").strip()
        if "nesting" in problem:  # libyaml's own cap, met before the composer's
            raise FrontMatterError(f"the front matter is nested more than {MAX_DEPTH} levels deep", line) from None
        raise FrontMatterError(f"the front matter is not valid YAML ({problem[:120]})", line) from None
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError, TypeError, UnicodeError):
        raise FrontMatterError("the front matter is not valid YAML", 1) from None
    finally:
        if loader is not None:
            loader.dispose()
    return FrontMatter(kept, tuple(unknown), tuple(problems)), body, offset
