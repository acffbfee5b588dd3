"""Strict JSON for documents from outside (manifests, trust lists, stick indexes): a field
named twice is an error, never "the last one wins", so two readers can never disagree
about what a signed document says."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def no_duplicate_keys(
    error: Callable[[str], Exception], message: str
) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    """An `object_pairs_hook` for json.loads that raises `error(message)` on a repeated key."""

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise error(message)
            out[key] = value
        return out

    return hook
