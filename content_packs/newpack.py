"""`satchel pack new DIR`: a minimal, commented source folder that passes `pack check`.

The folder shows each thing a trainer bringing existing material in needs: pack.toml
with its optional fields explained, a page with front matter, a checklist page, and
where pictures and other language editions go. Nothing is ever overwritten: the folder
must not exist yet, or be empty.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from content_packs.errors import SourceError
from content_packs.limits import LANG_RE, PACK_ID_RE

PACK_TOML = """\
# pack.toml: what this pack is. Every field is explained in docs/trainer-guide.md.
# Check the folder at any time with:   satchel pack check {folder}
# Build and sign it with:              satchel pack build {folder} --key mykey.key --out {name}.satchel

[pack]
id = "{pack_id}"            # never change it once the pack is handed out
version = 1                 # raise it for every new edition
title = "{title}"
language = "{language}"             # BCP 47: ar, fa, ru, zh-Hans, es, fr, en...
kind = "guide"              # "guide", or "course" for something followed in order

# Optional, shown to readers:
# licence = "CC-BY-SA-4.0"                    # an SPDX id, or short text
# attribution = "Adapted from ... by ..."     # who made the material
# translation = "translated"                  # "original", "translated", "reviewed" or "machine-assisted"
# translated_from = "en"                      # the language it was translated from

[[chapters]]
title = "Getting started"
pages = ["pages/01-welcome.md", "pages/02-checklist.md"]

# Another pack this one uses: links to its pages (satchel:PACK_ID/pages/x.md) and, with
# media = true, its pictures (one set of screenshots for every language edition).
# [[uses]]
# pack = "org.example.other-pack"
# source = "../other-pack"     # its source folder, relative to this one
# media = true
"""

WELCOME = """\
---
# Front matter (optional): shown above the page. Satchel keeps title, author,
# duration, level, licence and tags; other fields are left out (pack check says so).
author: Your name or organisation
duration: 10 min
level: beginner
tags: [example]
---

# Welcome

This is the first page. Write in Markdown: **bold**, *italics*, lists, quotes and
[links to other pages](02-checklist.md).

Pictures go in the media/ folder and are shown with a description of what they show:
`![A locked laptop screen](../media/lock-screen.png)`.

A little HTML is allowed: `<br>` for a line break, `<kbd>`, `<sup>`, `<sub>`,
`<img>` with a picture from media/, and simple tables. For example: press
<kbd>Ctrl</kbd> + <kbd>L</kbd> to lock the screen; water is H<sub>2</sub>O.<br>
Anything else is refused by `satchel pack check`, with the line to fix.
"""

CHECKLIST = """\
# Before the workshop

Readers can tick these items; their ticks stay in their own encrypted library.

- [ ] I have read the whole guide.
- [ ] I have charged my laptop.
- [ ] I know where the workshop takes place.
"""


def _default_id(folder: Path) -> str:
    name = re.sub(r"[^a-z0-9]+", "-", folder.name.lower()).strip("-") or "pack"
    return f"org.example.{name}"


def write_new_pack(folder: Path, pack_id: str | None = None, title: str | None = None,
                   language: str = "en") -> list[Path]:
    """Write the folder; raise SourceError (nothing written) if it cannot be done safely."""
    folder = Path(folder)
    pack_id = pack_id or _default_id(folder)
    if not PACK_ID_RE.fullmatch(pack_id) or "." not in pack_id or len(pack_id) > 128:
        raise SourceError("The pack id must be lower-case reverse-DNS, like 'org.example.guide'.")
    if not LANG_RE.fullmatch(language):
        raise SourceError("The language must be a BCP 47 tag, like 'ar' or 'zh-Hans'.")
    title = (title or folder.name.replace("-", " ").replace("_", " ").strip() or "New pack").strip()
    if any(ch in title for ch in '"\\\n\r\t') or len(title) > 300:
        raise SourceError("The title may not contain quotes, backslashes or line breaks.")
    if folder.is_symlink() or (folder.exists() and (not folder.is_dir() or any(folder.iterdir()))):
        raise SourceError(f"'{folder}' already exists and is not an empty folder; nothing was written.")
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "pack.toml": PACK_TOML.format(folder=folder.name or ".", name=folder.name or "pack", pack_id=pack_id,
                                      title=title, language=language),
        "pages/01-welcome.md": WELCOME,
        "pages/02-checklist.md": CHECKLIST,
        "media/README.txt": "Put the pictures your pages show here (PNG, JPEG, GIF or WebP).\n"
                            "Only files a page shows are packed.\n",
    }
    written = []
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        written.append(path)
    return written
