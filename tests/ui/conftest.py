"""Fixtures for the desktop app's tests: real widgets (offscreen), real vaults, real
signed packs. A template vault holding the test packs is built once per session and
copied per test (Anki's getEmptyCol idea), so each test starts from the same state.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil  # noqa: E402
import struct  # noqa: E402
import sys  # noqa: E402
import zlib  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import FAST_MS, make_keypair, write_source  # noqa: E402
from uihelp import PASSPHRASE, unlock  # noqa: E402

# -- packs ---------------------------------------------------------------------------


def png(width: int, height: int, rgb: tuple[int, int, int] = (200, 40, 40), bits1: bool = False) -> bytes:
    """A real PNG: RGB, or 1-bit grayscale (tiny on disk however large its pixel size)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    if bits1:
        ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
        row = b"\0" + b"\0" * ((width + 7) // 8)
    else:
        ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
        row = b"\0" + bytes(rgb) * width
    comp = zlib.compressobj(9)
    data = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


AR_PAGE1 = """# حقوق الإنسان للجميع

يولد جميع الناس أحرارًا ومتساوين في الكرامة والحقوق.

![صورة](../media/photo.png)

![مفقودة](../media/missing.png)

![كبيرة جدا](../media/huge.png)

انظر [الصفحة الثانية](second.md#part) أو [موقعًا خارجيًا](https://example.org/path?q=1&x=2).
"""
AR_PAGE2 = """# الصفحة الثانية

نص الصفحة الثانية.

## part

حرية الرأي والتعبير.
"""
BROKEN = """# Broken page

```python
an unclosed fence
* [a link with no end](
<div onclick="x()"><script>alert(1)</script></div>
| a | b
|---
> > > > > deep
\u202eevil\u202c **unclosed *emphasis
"""
LONG_PAGE = "# A long page\n\n" + "\n\n".join(f"Paragraph {i} about safety and learning." for i in range(300))
QUIZ = """# Check yourself

## Which passphrase is strongest?
- [ ] password123
- [x] four random words from a dice list
- [ ] your date of birth

> Length and randomness matter more than odd characters.

## Should you lock Satchel when you step away?
- [x] Yes
- [ ] No
"""
ZH_PAGE = """# 人权指南

人人生而自由，在尊严和权利上一律平等。言论自由是基本人权。
"""


@dataclass
class Packs:
    public: Any
    name: str
    paths: list[Path]


@pytest.fixture(scope="session")
def test_packs(tmp_path_factory: pytest.TempPathFactory) -> Packs:
    from content_packs.build import write_pack
    from content_packs.source import load_source

    root = tmp_path_factory.mktemp("packs")
    key = make_keypair(root / "keys", "trainer")
    out: list[Path] = []

    src = write_source(
        root / "ar",
        "org.test.ar",
        title="دليل الحقوق",
        language="ar",
        kind="guide",
        pages={"pages/first.md": AR_PAGE1, "pages/second.md": AR_PAGE2},
        media={
            "media/photo.png": png(40, 30),
            "media/missing.png": png(2, 2),
            "media/huge.png": png(30000, 30000, bits1=True),
        },
    )
    s = load_source(src)
    del s.files["media/missing.png"]  # a page that refers to an image the pack lacks
    write_pack(s, key.secret, root / "ar.satchel")
    out.append(root / "ar.satchel")

    src = write_source(
        root / "course",
        "org.test.course",
        title="Safety course",
        language="en",
        kind="course",
        pages={
            "pages/intro.md": "# Introduction\n\nWelcome to the course.\n",
            "pages/long.md": LONG_PAGE,
            "pages/broken.md": BROKEN,
            "pages/check.quiz.md": QUIZ,
        },
        chapters=[
            ("Basics", ["pages/intro.md", "pages/long.md", "pages/broken.md"]),
            ("Quiz", ["pages/check.quiz.md"]),
        ],
    )
    write_pack(load_source(src), key.secret, root / "course.satchel")
    out.append(root / "course.satchel")

    src = write_source(
        root / "zh",
        "org.test.zh",
        title="<b>人权</b> <img src=x>",
        language="zh",
        kind="guide",
        pages={"pages/zh.md": ZH_PAGE},
    )
    write_pack(load_source(src), key.secret, root / "zh.satchel")
    out.append(root / "zh.satchel")
    return Packs(key.public, "Test Trainer", out)


@pytest.fixture(scope="session")
def template_home(tmp_path_factory: pytest.TempPathFactory, test_packs: Packs) -> Path:
    """A closed vault (passphrase PASSPHRASE) holding the test packs, language English."""
    from app.home import Home
    from app.trust import TrustStore
    from app.vault import Vault
    from content_packs.importer import import_pack

    path = tmp_path_factory.mktemp("template") / "home"
    with Vault.create(Home(path), PASSPHRASE, iter_time_ms=FAST_MS) as vault:
        vault.set_setting("ui.language", "en")
        store = TrustStore(vault)
        store.add_manual(test_packs.public, test_packs.name)
        for p in test_packs.paths:
            import_pack(vault, p, store=store)
    return path


@pytest.fixture
def home_path(tmp_path: Path, template_home: Path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(template_home, target)
    return target


@pytest.fixture
def empty_home(tmp_path: Path) -> Path:
    return tmp_path / "fresh-home"


# -- the app -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def english_and_plain(qapp: Any) -> Iterator[None]:
    """Every test starts (and ends) in English, left to right, default look, empty clipboard."""
    from ui import i18n, theme
    from ui.pageload import ALLOCATION_LIMIT_MB
    from ui.qt import QImageReader

    QImageReader.setAllocationLimit(ALLOCATION_LIMIT_MB)
    i18n.set_language("en")
    theme.apply(100, False)
    qapp.clipboard().clear()
    yield
    i18n.set_language("en")
    theme.apply(100, False)
    qapp.clipboard().clear()


@pytest.fixture
def make_window(qtbot: Any) -> Iterator[Callable[[Path], Any]]:
    from app.home import Home
    from ui.window import MainWindow

    made: list[Any] = []

    def make(path: Path) -> Any:
        w = MainWindow(Home(path), iter_time_ms=FAST_MS)
        qtbot.addWidget(w)
        w.show()
        made.append(w)
        qtbot.waitUntil(lambda: w.filter is not None)  # the panic key is armed
        return w

    yield make
    for w in made:
        try:
            w.close()
            w.shutdown()
        except RuntimeError:
            pass  # already deleted by Qt


@pytest.fixture
def unlocked(make_window: Callable[[Path], Any], home_path: Path, qtbot: Any) -> Any:
    w = make_window(home_path)
    unlock(qtbot, w)
    return w
