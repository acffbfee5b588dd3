"""Worker-side steps of the window's flows: create a vault, unlock one, load its
settings, import the starter library. Plain functions of an OpContext, run by
ui/ops.py on the database thread; nothing here touches a widget."""

from __future__ import annotations

import logging
from typing import Any

from app.errors import SatchelError
from ui.ops import OpContext
from ui.prefs import Prefs

log = logging.getLogger(__name__)


def create_vault(
    ctx: OpContext,
    home: Any,
    passphrase: str,
    duress: str | None,
    iter_time_ms: int | None,
    look: tuple[str, int, bool],
) -> Any:
    """A new vault holding the chosen language and look (and the duress passphrase)."""
    from app.vault import Vault

    vault = Vault.create(home, passphrase, iter_time_ms=iter_time_ms)
    try:
        ctx.check()
        save_look(vault, look)
        if duress:
            vault.set_duress(duress)
        ctx.check()
    except BaseException:
        vault.close()
        raise
    return vault


def disk_warning(found: Any) -> str:
    """One translated sentence when the disk may keep old copies of the key file
    (app.home.Home.overwrite_in_place), else ""."""
    from ui.i18n import tr

    if found is None or found.honoured is True:
        return ""
    if found.honoured is False:
        return tr(
            "This disk ({filesystem}) keeps old copies of changed data: after a wipe or a passphrase change, "
            "an expert may still recover the old key from it.",
            filesystem=found.filesystem,
        )
    return tr(
        "Satchel cannot tell whether this disk ({filesystem}) overwrites data in place: after a wipe or a "
        "passphrase change, an expert may still recover the old key from it.",
        filesystem=found.filesystem,
    )


def unlock_vault(_ctx: OpContext, home: Any, passphrase: str) -> Any:
    from app.vault import Vault

    return Vault.unlock(home, passphrase)


def save_look(vault: Any, look: tuple[str, int, bool]) -> None:
    from ui.prefs import save

    lang, scale, contrast = look
    save(vault, "language", lang)
    save(vault, "text_scale", scale)
    save(vault, "high_contrast", contrast)


def load_prefs(ctx: OpContext, look: tuple[str, int, bool]) -> Prefs:
    """The vault's settings. A vault without any (new, or opened with the duress
    passphrase) takes the language and look the unlock screen showed, so nothing changes,
    and receives the sample library a first run imports: a vault that the duress
    passphrase replaced looks like any new one."""
    from ui.prefs import load

    prefs = load(ctx.vault)
    if prefs.language is None:
        save_look(ctx.vault, look)
        prefs.language, prefs.text_scale, prefs.high_contrast = look
        from app.library import list_packs

        if not list_packs(ctx.vault):
            import_starter(ctx, look[0])
    return prefs


def import_starter(ctx: OpContext, ui_language: str | None = None) -> int:
    """Import the starter packs (labelled Sample) with progress; cancel skips the rest.
    With `ui_language`, only the editions in that language and in English (the first run);
    without, every edition."""
    from content_packs.errors import ImportCancelled
    from content_packs.importer import import_pack
    from content_packs.starter_set import languages_for_ui, starter_source

    source = starter_source(None if ui_language is None else languages_for_ui(ui_language))
    names = source.names()
    n = max(len(names), 1)
    imported = 0
    for i, name in enumerate(names):
        if ctx.cancel.is_set():
            break  # "Skip the sample library": keep what is in, show the library

        def progress(done: int, total: int, i: int = i) -> None:
            ctx.progress(i * 1000 + (1000 * done // total if total else 0), n * 1000)

        try:
            with source.open(name) as f:
                import_pack(ctx.vault, f, progress=progress, cancel=ctx.cancel)
            imported += 1
        except ImportCancelled:
            break
        except SatchelError as exc:
            log.warning("a starter pack was not imported (%s)", type(exc).__name__)
    return imported
