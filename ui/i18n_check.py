"""Developer tool and test helper: every string the interface translates, and what each
catalog lacks or gets wrong.

    python -m ui.i18n_check            # list missing or bad entries per language

Strings are found by reading ui/*.py: the first argument of every `tr("...")` and
`N_("...")` call. Catalog entries whose placeholders differ from the source are bad.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

from ui.i18n import DEFAULT_LANGUAGE, LANGUAGES, placeholders, resource_dir

UI_DIR = Path(__file__).resolve().parent


def source_strings() -> dict[str, str]:
    """Every translatable source string -> the file it first appears in."""
    found: dict[str, str] = {}
    for path in sorted(UI_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("tr", "N_")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.setdefault(node.args[0].value, path.name)
    return found


def problems(language: str) -> tuple[list[str], list[str]]:
    """(missing sources, sources whose translation has other placeholders)."""
    catalog = json.loads((resource_dir() / f"{language}.json").read_text(encoding="utf-8"))
    missing, bad = [], []
    for source in source_strings():
        text = catalog.get(source)
        if not text:
            missing.append(source)
        elif placeholders(text) != placeholders(source):
            bad.append(source)
    return missing, bad


def main() -> int:
    status = 0
    for lang in LANGUAGES:
        if lang == DEFAULT_LANGUAGE:
            continue
        missing, bad = problems(lang)
        for s in missing:
            print(f"{lang}: missing: {s}")
        for s in bad:
            print(f"{lang}: placeholders differ: {s}")
        status |= bool(missing or bad)
    return status


if __name__ == "__main__":
    sys.exit(main())
