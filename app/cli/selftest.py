"""`satchel --self-test`: does this installation work, end to end, on this machine?

In a throw-away home (a fresh folder under the temporary folder, wiped at the end) it
checks the shipped files, creates a vault, imports the bundled starter packs, verifies
them against the bundled trust list, searches in English and in Arabic, draws a page
offscreen through the desktop app's own renderer and fonts, and wipes. One line per
step; the last line says whether it passed and, if not, which step failed. Exit 0 only
on pass.

Guarantees:
- Nothing is read from or written to the user's own home or vault; the throw-away home
  is destroyed by the panic wipe, whatever happened before, and then removed.
- A failure is one sentence naming the step (a damaged bundle file, a missing library,
  a folder that cannot be written), never a traceback.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app import __version__
from app.cli.io import out
from app.errors import SatchelError
from app.resources import resource_path

Renderer = Callable[[Any, str, str], "str | None"]
ENGLISH_QUERY = "passphrase"
ARABIC_QUERY = "المسح"  # "wiping", in the Arabic guide to Satchel
ENGLISH_PAGE = ("org.satchel.starter.satchel-guide.en", "pages/03-panic-wipe.md")
ARABIC_PAGE = ("org.satchel.starter.satchel-guide.ar", "pages/03-panic-wipe.md")


class StepFailed(Exception):
    """A step's one-sentence failure."""


@dataclass
class State:
    home: Path | None = None
    vault: Any = None
    packs: list[Path] = field(default_factory=list)
    store: Any = None
    fonts: list[str] = field(default_factory=list)   # the font files the app expects


def check_shipped_files(state: State) -> str:
    """The starter packs, the trust list and roots, the catalogs and the fonts are there."""
    from app.trust import load_bundled_list, load_pinned_roots
    from content_packs.starter import resource_dir

    packs = sorted(resource_dir("starter").glob("*.satchel"))
    if not packs:
        raise StepFailed("The bundled starter packs are missing.")
    state.packs = packs
    if not load_pinned_roots():
        raise StepFailed("The pinned root keys are missing.")
    if load_bundled_list() is None:
        raise StepFailed("The bundled trust list is missing.")
    catalogs = sorted(resource_path("ui", "i18n").glob("*.json"))
    if len(catalogs) < 6:
        raise StepFailed("Some translations are missing.")
    folder = resource_path("fonts")
    missing = [name for name in state.fonts if not (folder / name).is_file()]
    if missing:
        raise StepFailed(f"{len(missing)} font files are missing: {', '.join(missing[:4])}"
                         f"{', ...' if len(missing) > 4 else ''}.")
    return f"{len(packs)} starter packs, {len(catalogs)} translations, {len(state.fonts)} fonts"


def create_vault(state: State) -> str:
    from app.vault import Vault

    # TMPDIR as set, never a silent fallback elsewhere (tempfile.gettempdir would pick /tmp).
    base = Path(os.environ.get("TMPDIR") or tempfile.gettempdir())
    try:
        state.home = Path(tempfile.mkdtemp(prefix="satchel-selftest-", dir=base))
    except OSError as exc:
        raise StepFailed(f"Satchel cannot write to the temporary folder {base}: {exc.strerror}.") from None
    state.vault = Vault.create(state.home / "home", secrets.token_urlsafe(24), iter_time_ms=50)
    return ""


def import_packs(state: State) -> str:
    from app.trust import TrustStore
    from content_packs.importer import import_pack

    state.store = TrustStore(state.vault)
    for pack in state.packs:
        try:
            import_pack(state.vault, pack, store=state.store)
        except SatchelError as exc:
            raise StepFailed(f"{pack.name}: {exc}") from None
    return f"{len(state.packs)} packs"


class _ListedKeysOnly:
    """TrustPolicy: the vault's trust (the bundled list), without its version floors, so
    the packs just imported verify again on their own."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def grant_for(self, key_id_hex: str) -> Any:
        return self.store.grant_for(key_id_hex)

    def check(self, pack_id: str, version: int, grant: Any) -> None:
        import time

        from app.trust import check_grant

        check_grant(pack_id, grant, int(time.time()), self.store.current_list())


def verify_packs(state: State) -> str:
    from app.library import list_packs
    from content_packs.verify import verify_pack_file

    ids = set()
    policy = _ListedKeysOnly(state.store)
    for pack in state.packs:
        try:
            ids.add(verify_pack_file(pack, policy).id)
        except SatchelError as exc:
            raise StepFailed(f"{pack.name}: {exc}") from None
    listed = {p.id: p for p in list_packs(state.vault)}
    if not ids <= set(listed):
        raise StepFailed("The library does not hold every starter pack.")
    if not all(listed[i].sample for i in ids):
        raise StepFailed("A starter pack is not labelled as a sample.")
    return ""


def _search(state: State, query: str, lang: str) -> str:
    from app.search import search

    hits = search(state.vault, query, lang=lang)
    if not hits:
        raise StepFailed("The search found nothing.")
    return f"{len(hits)} pages"


def search_english(state: State) -> str:
    return _search(state, ENGLISH_QUERY, "en")


def search_arabic(state: State) -> str:
    return _search(state, ARABIC_QUERY, "ar")


def wipe(state: State) -> str:
    from app.wipe import panic_wipe

    if state.vault is not None:
        state.vault.close()
        state.vault = None
    if state.home is None:
        return "nothing to wipe"
    panic_wipe(state.home / "home")
    shutil.rmtree(state.home, ignore_errors=True)
    if state.home.exists():
        raise StepFailed(f"The throw-away folder {state.home} could not be removed.")
    state.home = None
    return ""


def run(render: Renderer, font_files: list[str]) -> int:
    """Run every step; returns the exit status (0 only on pass). The desktop app's parts
    come from the caller (this package's top, the one place that may reach ui/): how to
    draw a page, and which font files the app expects."""

    def render_pages(state: State) -> str:
        for pack_id, path in (ENGLISH_PAGE, ARABIC_PAGE):
            problem = render(state.vault, pack_id, path)
            if problem:
                raise StepFailed(problem)
        return "English and Arabic"

    steps: list[tuple[str, Callable[[State], str]]] = [
        ("check the shipped files", check_shipped_files),
        ("create a vault", create_vault),
        ("import the starter packs", import_packs),
        ("verify the starter packs", verify_packs),
        ("search in English", search_english),
        ("search in Arabic", search_arabic),
        ("render a page offscreen", render_pages),
    ]
    out(f"Satchel {__version__} self-test, in a throw-away folder")
    state = State(fonts=list(font_files))
    failed: str | None = None
    total = len(steps) + 1
    for n, (name, step) in enumerate(steps, 1):
        detail = _attempt(n, total, name, step, state)
        if detail is None:
            failed = name
            break
    # The wipe always runs: whatever happened, nothing of the test stays behind.
    if _attempt(total, total, "wipe", wipe, state) is None and failed is None:
        failed = "wipe"
    if failed is None:
        out("Self-test passed.")
        return 0
    out(f"Self-test failed at: {failed}.")
    return 1


def _attempt(n: int, total: int, name: str, step: Callable[[State], str], state: State) -> str | None:
    """Run one step and print its line; the detail on success, None on failure."""
    try:
        detail = step(state)
    except StepFailed as exc:
        out(f"[{n}/{total}] {name}: FAILED: {exc}")
        return None
    except SatchelError as exc:
        out(f"[{n}/{total}] {name}: FAILED: {exc}")
        return None
    except Exception as exc:  # a damaged bundle can fail in any way; the user gets one line
        # The kind of failure, and for a missing module its name (a part of Satchel,
        # never anything from a vault); the message itself could quote anything.
        missing = f" ({exc.name})" if isinstance(exc, ImportError) and exc.name else ""
        out(f"[{n}/{total}] {name}: FAILED: unexpected {type(exc).__name__}{missing}.")
        return None
    out(f"[{n}/{total}] {name}: ok" + (f" ({detail})" if detail else ""))
    return detail
