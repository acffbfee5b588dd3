"""Render Satchel's icon (ui/icons/satchel.svg) into the PNG sizes desktops ask for.

    .venv/bin/python build/icons.py        # writes ui/icons/satchel-<size>.png

The PNGs are committed: the app sets its window icon from them and the bundle installs
them beside its .desktop file, so neither needs Qt's SVG module at run time. Run this
again after changing the SVG.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICONS = Path(__file__).resolve().parent.parent / "ui" / "icons"


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "satchel.svg"))
    if not renderer.isValid():
        sys.stderr.write("ui/icons/satchel.svg is not a valid SVG.\n")
        return 1
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        image.save(str(ICONS / f"satchel-{size}.png"), "PNG")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
