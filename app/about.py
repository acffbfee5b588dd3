"""What Satchel is made of: its version and licence, and every component it runs on.

Guarantees:
- The Python components are read at run time from the installed distributions'
  metadata, starting from Satchel's own requirements and following theirs (extras and
  requirements whose environment markers do not apply are left out), so the list can
  neither drift from what is installed nor from requirements.lock, which installs them.
- Each component's licence comes from its metadata (License-Expression, else a short
  License field, else the trove classifiers); `LICENCE_FALLBACK` names the few that
  publish none, and a component with none at all says "see its distribution".
- The parts that are not Python distributions (Qt itself, SQLCipher, the fonts) are
  listed with their versions where the library reports one (`sqlcipher_version`).
- No network, no files written; nothing here touches a vault.
"""

from __future__ import annotations

import importlib.metadata as md
import platform
import re
import sys
from dataclasses import dataclass

SATCHEL = "satchel"
SATCHEL_LICENCE = "GPL-3.0-or-later"
# Distributions whose metadata names no licence (checked against their source).
LICENCE_FALLBACK = {"sqlcipher3": "Zlib"}
UNKNOWN_LICENCE = "see its distribution"


@dataclass(frozen=True)
class Component:
    name: str
    version: str
    licence: str


def version() -> str:
    try:
        return md.version(SATCHEL)
    except md.PackageNotFoundError:
        return "unknown"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


_MARKER = re.compile(r"""\s*(\w+)\s*(==|!=|<=|>=|<|>|~=|===)\s*(['"])(.*?)\3\s*""")


def _environment() -> dict[str, str]:
    return {
        "python_version": "{}.{}".format(*sys.version_info[:2]),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "implementation_name": sys.implementation.name,
        "sys_platform": sys.platform,
        "platform_system": platform.system(),
        "os_name": __import__("os").name,
        "platform_machine": platform.machine(),
        "extra": "",
    }


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:4])


def _compare(left: str, op: str, right: str, versions: bool) -> bool:
    if versions:
        a, b = _version_key(left), _version_key(right)
        return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}.get(op, a >= b)
    return {"==": left == right, "!=": left != right}.get(op, False)


def marker_applies(marker: str, env: dict[str, str] | None = None) -> bool:
    """A PEP 508 environment marker of the simple kind requirements use (comparisons
    joined by `and` / `or`, no parentheses); an unknown form counts as applying."""
    env = env or _environment()
    if "(" in marker:
        return "extra" not in marker
    results: list[bool] = []
    for alternative in re.split(r"\bor\b", marker):
        ok = True
        for clause in re.split(r"\band\b", alternative):
            m = _MARKER.fullmatch(clause)
            if m is None:
                continue
            var, op, _q, value = m.groups()
            versions = var.startswith("python_")
            ok = ok and _compare(env.get(var, ""), op, value, versions)
        results.append(ok)
    return any(results)


def _requirement_names(dist: md.Distribution) -> list[str]:
    names = []
    for req in dist.requires or []:
        spec, _, marker = req.partition(";")
        if marker.strip() and not marker_applies(marker.strip()):
            continue
        m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
        if m:
            names.append(m.group(1))
    return names


def _field(dist: md.Distribution, key: str) -> str:
    meta = dist.metadata
    return str(meta[key] or "").strip() if key in meta else ""


def licence_of(dist: md.Distribution) -> str:
    expression = _field(dist, "License-Expression")
    if expression:
        return expression
    text = _field(dist, "License")
    if text and "\n" not in text and len(text) <= 80 and text.upper() != "UNKNOWN":
        return text
    trove = [c for c in dist.metadata.get_all("Classifier") or [] if c.startswith("License ::")]
    if trove:
        return ", ".join(c.rsplit("::", 1)[-1].strip() for c in trove)
    return LICENCE_FALLBACK.get(_canonical(_field(dist, "Name")), UNKNOWN_LICENCE)


def python_components() -> list[Component]:
    """Satchel's runtime Python dependencies and theirs, sorted by name."""
    try:
        root = md.distribution(SATCHEL)
    except md.PackageNotFoundError:
        return []
    seen: dict[str, Component] = {}
    queue = _requirement_names(root)
    while queue:
        name = queue.pop()
        key = _canonical(name)
        if key in seen:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        seen[key] = Component(_field(dist, "Name") or name, dist.version, licence_of(dist))
        queue.extend(_requirement_names(dist))
    return sorted(seen.values(), key=lambda c: c.name.lower())


def sqlcipher_version() -> str:
    """The SQLCipher library's own version (PRAGMA cipher_version on a memory database)."""
    try:
        import sqlcipher3

        conn = sqlcipher3.connect(":memory:")
        try:
            row = conn.execute("PRAGMA cipher_version").fetchone()
        finally:
            conn.close()
        return str(row[0]) if row and row[0] else "unknown"
    except Exception:  # a missing or odd build must not stop the About box
        return "unknown"
