"""Screenshot scenes of managing the library, for `python -m ui.screenshots`: the trust
dialog showing a fingerprint, and "What's new" after importing an update.

The scenes use a throw-away trainer key and a small workshop pack built in memory and
imported into the screenshots' throw-away vault (version 1, then version 2 with a page
added, one changed and one removed), so the view shows what a real import recorded.
Nothing is written to disk but the PNG files.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The workshop pack, in the two screenshot languages: (title, {page: (title, text)}) per version.
_WORKSHOP = {
    "en": ("Workshop notes: Geneva, March", [
        {"welcome": ("Welcome", "Notes from our workshop."), "travel": ("Before you travel", "Pack light."),
         "contacts": ("Contacts", "Ask the trainer.")},
        {"welcome": ("Welcome", "Notes from our workshop."), "travel": ("Before you travel", "Pack light, "
         "and leave the laptop you do not need at home."), "side-events": ("Side events", "How to take part."),
         "follow-up": ("Follow-up at home", "What to do after the session.")},
    ]),
    "ar": ("ملاحظات الورشة: جنيف، آذار", [
        {"welcome": ("مرحبًا", "ملاحظات من ورشتنا."), "travel": ("قبل السفر", "خفّف أمتعتك."),
         "contacts": ("جهات الاتصال", "اسأل المدرّب.")},
        {"welcome": ("مرحبًا", "ملاحظات من ورشتنا."), "travel": ("قبل السفر", "خفّف أمتعتك، واترك في البيت "
         "الحاسوب الذي لا تحتاجه."), "side-events": ("الفعاليات الجانبية", "كيف تشارك فيها."),
         "follow-up": ("المتابعة في بلدك", "ما تفعله بعد الدورة.")},
    ]),
}


def _workshop_pack(lang: str, version: int, key: Any) -> bytes:
    from content_packs.build import pack_bytes
    from content_packs.manifest import ChapterEntry
    from content_packs.source import PackSource

    title, editions = _WORKSHOP[lang]
    pages = editions[version - 1]
    files = {f"pages/{name}.md": f"# {head}\n\n{body}\n".encode() for name, (head, body) in pages.items()}
    src = PackSource(Path("."), f"org.example.workshop.{lang}", version, title, lang, "guide",
                     [ChapterEntry(title, tuple(files))], files)
    return pack_bytes(src, key)


def library_scenes(window: Any, out: Path, lang: str, shoot: Callable[[Any, Path, str], Path],
                   wait_until: Callable[..., None]) -> list[Path]:
    """The trust dialog and "What's new", shot over the unlocked `window`."""
    from app.trust import TrustStore
    from content_packs.importer import import_pack
    from crypto import minisign
    from ui.trust_dialog import TrustKeyDialog
    from ui.whatsnew import WhatsNewDialog, load_entries

    written: list[Path] = []
    session, view = window.session, window.view
    key = minisign.generate_key()
    dialog = TrustKeyDialog(session, key.public, view)
    dialog.name.setText("Amira" if lang == "en" else "أميرة")
    dialog.show()
    wait_until(dialog.isVisible)
    written.append(shoot(dialog, out, f"{lang}-trust-key.png"))
    dialog.close()

    results: list[Any] = []

    def import_workshop(ctx: Any) -> None:
        TrustStore(ctx.vault).add_manual(key.public, "Amira")
        import_pack(ctx.vault, io.BytesIO(_workshop_pack(lang, 1, key)))
        results.append(import_pack(ctx.vault, io.BytesIO(_workshop_pack(lang, 2, key))))

    entries: list[Any] = []
    session.write(import_workshop).run()
    session.op(lambda c: load_entries(c.vault, results)).success(entries.extend).run()
    wait_until(lambda: bool(entries))
    news = WhatsNewDialog(entries, [], "", view)
    news.show()
    wait_until(news.isVisible)
    written.append(shoot(news, out, f"{lang}-whats-new.png"))
    news.close()
    return written
