"""Checklists in ordinary pages: `- [ ] item` lines the learner can tick.

A list item whose text starts with `[ ]`, `[x]` or `[X]` and a space is a checklist item
(GitHub's task lists). Quiz pages (`*.quiz.md`) use the same marks for their choices and
are never read as checklists.

Guarantees:
* ``task_mark`` decides from markdown-it tokens alone, so the renderer (which gives the
  item its box) and ``items`` (which gives the reader each box's key) always agree on
  which items are checklist items and in which order.
* An item's key is a hash of its text (whitespace folded) and how many items with the
  same text came before it on the page: a tick stays with its item when a pack update
  inserts, removes or reorders other items, as notes stay with their page; an item
  whose wording changes starts unticked.

No Qt, no I/O.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it.token import Token

__all__ = ["ChecklistItem", "item_key", "task_mark"]

_MARK_RE = re.compile(r"^\[([ xX])\](?:[ \t]+|$)")


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    checked: bool  # as the page was written (`[x]`)
    text: str


def _item_inline(tokens: Sequence[Token], index: int) -> Token | None:
    """The inline token holding the first line of the list item opened at `index`."""
    nxt = index + 1
    if nxt < len(tokens) and tokens[nxt].type == "paragraph_open":
        nxt += 1
    if nxt < len(tokens) and tokens[nxt].type == "inline":
        return tokens[nxt]
    return None


def task_mark(tokens: Sequence[Token], index: int) -> tuple[bool, Token] | None:
    """For a `list_item_open` at `index`: (checked, its inline token) when the item is a
    checklist item, else None."""
    if tokens[index].type != "list_item_open":
        return None
    inline = _item_inline(tokens, index)
    if inline is None or not inline.children:
        return None
    first = inline.children[0]
    if first.type != "text":
        return None
    m = _MARK_RE.match(first.content)
    if m is None:
        return None
    return m.group(1) != " ", inline


def strip_mark(text: str) -> str:
    """The first text of a checklist item without its `[ ]` mark."""
    return _MARK_RE.sub("", text, count=1)


def item_key(text: str, occurrence: int) -> str:
    """The key a tick is stored under: hash of the folded text, and its occurrence."""
    folded = " ".join(text.split()).casefold()
    return f"{hashlib.sha256(folded.encode('utf-8')).hexdigest()[:32]}:{occurrence}"
