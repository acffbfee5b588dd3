"""Pictures are decoded in a separate process, as the format their name and first bytes
agree on, within caps in bytes, pixels and time; a hostile picture, a hanging decoder or
a crashing one costs that picture only (finding 2 of the hardening review)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from hostile_images import png, png_claiming, svg_drawing_a_local_file, svg_nested_use, tiff
from support import ROOT, make_keypair, write_source
from uihelp import open_page, wait_idle

from ui.browser import PageDocument, placeholder_image
from ui.imagedecode import DECODER_FLAG, ImageDecoder
from ui.qt import QColor, QImage, QPainter, QTextDocument, QUrl

HOSTILE = {
    "media/tiff.png": tiff(64, 64),
    "media/svg-file.png": None,   # filled in with a real local file's path per test
    "media/svg-nested.png": svg_nested_use(8),
    "media/claims-200-megapixels.png": png_claiming(20000, 10000),
}


@pytest.fixture
def decoder() -> Any:
    d = ImageDecoder()
    yield d
    d.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(") ", 1)[1][0] != "Z"


def test_hostile_files_are_refused_and_the_decoder_stays_up(decoder: ImageDecoder, tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(png(50, 50, (255, 0, 0)))
    assert decoder.decode(png(40, 30), "png", 1200).size().width() == 40
    pid = decoder.pid
    hostile = [tiff(64, 64), svg_drawing_a_local_file(str(secret)), svg_nested_use(8),
               png_claiming(20000, 10000), b"\x89PNG\r\n\x1a\n" + os.urandom(4000)]
    for data in hostile:
        for fmt in ("png", "jpeg", "gif", "webp"):   # whatever format is claimed, no guessing
            assert decoder.decode(data, fmt, 1200) is None
    assert decoder.decode(tiff(64, 64), "tiff", 1200) is None   # not a format the decoder knows
    assert decoder.decode(svg_nested_use(8), "svg", 1200) is None
    assert decoder.pid == pid and decoder.started == 1   # no crash, no hang: the same child
    image = decoder.decode(png(3000, 2000), "png", 1200)
    assert (image.width(), image.height()) == (1200, 800)
    assert image.pixelColor(5, 5) == QColor(200, 40, 40)


def test_a_hanging_decoder_is_killed_and_replaced(decoder: ImageDecoder) -> None:
    decoder.decode(png(4, 4), "png", 1200)
    pid = decoder.pid
    os.kill(pid, signal.SIGSTOP)   # the child now hangs, as on a pathological picture
    assert decoder.decode(png(40, 30), "png", 1200, timeout=1.0) is None
    assert not alive(pid)
    assert decoder.decode(png(40, 30), "png", 1200).width() == 40
    assert decoder.started == 2 and decoder.pid != pid


@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGKILL, signal.SIGABRT])
def test_a_decoder_that_crashes_mid_decode_costs_one_picture(decoder: ImageDecoder, sig: int) -> None:
    decoder.decode(png(4, 4), "png", 1200)
    pid = decoder.pid
    os.kill(pid, signal.SIGSTOP)
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(decoder.decode(png(2000, 2000), "png", 1200,
                                                                           timeout=60)))
    worker.start()
    worker.join(0.3)   # the request is on its way to the stopped child
    os.kill(pid, sig)
    os.kill(pid, signal.SIGCONT)
    worker.join(60)
    assert result == [None]
    assert not alive(pid)
    assert decoder.decode(png(40, 30), "png", 1200).width() == 40
    assert decoder.started == 2


def test_the_decoder_entry_is_handled_before_the_command_line(tmp_path: Path) -> None:
    """`satchel --image-decoder` is the child's entry (the frozen bundle starts itself with
    it); with no request it ends quietly, without touching a vault or opening a window."""
    env = dict(os.environ, SATCHEL_HOME=str(tmp_path / "nothing-here"))
    proc = subprocess.run([sys.executable, "-m", "app.cli", DECODER_FLAG], input=b"", capture_output=True,
                          env=env, cwd=str(ROOT), timeout=60)
    assert proc.returncode == 0 and proc.stdout == b""
    assert not (tmp_path / "nothing-here").exists()


def test_a_local_file_is_never_drawn_into_a_page(qapp: Any, tmp_path: Path) -> None:
    """An image request Satchel does not know gets the placeholder, never nothing: Qt would
    then read a local file of that name and draw it."""
    red = tmp_path / "red.png"
    red.write_bytes(png(60, 60, (255, 0, 0)))
    for src in (str(red), red.as_uri()):
        doc = PageDocument({})
        doc.setHtml(f'<p>before</p><img src="{src}"><p>after</p>')
        canvas = QImage(400, 300, QImage.Format.Format_ARGB32)
        canvas.fill(QColor(255, 255, 255))
        painter = QPainter(canvas)
        doc.drawContents(painter)
        painter.end()
        reds = sum(1 for x in range(0, 400, 3) for y in range(0, 300, 3)
                   if canvas.pixelColor(x, y) == QColor(255, 0, 0))
        assert reds == 0, f"the local file {src} was drawn"
        kind = QTextDocument.ResourceType.ImageResource.value
        assert doc.resource(kind, QUrl(src)) == placeholder_image()


def test_a_page_of_hostile_pictures_shows_placeholders_and_the_vault_stays_up(
        make_window: Any, home_path: Path, qtbot: Any, tmp_path: Path, monkeypatch) -> None:
    """A vault that holds such a pack (imported by an earlier Satchel, before imports
    checked image types): the page opens, hostile pictures become placeholders, the good
    one is shown, and the app and its vault carry on."""
    from app.home import Home
    from app.trust import TrustStore
    from app.vault import Vault
    from content_packs import importer
    from content_packs.build import write_pack
    from content_packs.source import load_source
    from uihelp import PASSPHRASE, unlock

    secret = tmp_path / "secret.png"
    secret.write_bytes(png(50, 50, (255, 0, 0)))
    media = dict(HOSTILE, **{"media/svg-file.png": svg_drawing_a_local_file(str(secret)),
                             "media/good.png": png(40, 30)})
    page = "# Pictures\n\n" + "".join(f"![{p}](../{p})\n\n" for p in media)
    src = write_source(tmp_path / "src", "org.test.pictures", pages={"pages/p.md": "# Pictures\n"})
    source = load_source(src)
    source.files.update(media)   # past the builder's own check, as a hostile tool would
    source.files["pages/p.md"] = page.encode()
    key = make_keypair(tmp_path / "keys", "old")
    write_pack(source, key.secret, tmp_path / "pictures.satchel")
    monkeypatch.setattr(importer, "image_format", lambda path, head: "png")   # the earlier Satchel
    with Vault.unlock(Home(home_path), PASSPHRASE) as vault:
        store = TrustStore(vault)
        store.add_manual(key.public, "Old")
        importer.import_pack(vault, tmp_path / "pictures.satchel", store=store)
    monkeypatch.undo()

    window = make_window(home_path)
    unlock(qtbot, window)
    reader = open_page(qtbot, window, "org.test.pictures", "pages/p.md")
    images = reader.data.images
    assert set(images) == set(media)
    assert images["media/good.png"] is not None and images["media/good.png"].width() == 40
    for path in HOSTILE:
        assert images[path] is None, path
    doc = reader.browser.document()
    kind = QTextDocument.ResourceType.ImageResource.value
    assert doc.resource(kind, QUrl("satchel-media:media/tiff.png")) == placeholder_image()
    # The app and its vault carry on: another page opens.
    reader = open_page(qtbot, window, "org.test.ar", "pages/first.md")
    assert reader.data.images["media/photo.png"] is not None
    wait_idle(qtbot, window)
