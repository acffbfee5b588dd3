"""A QR code drawn by Satchel itself: segno (pure Python) makes the matrix, QPainter
paints it, black on white with the quiet zone the standard asks for, whatever the
theme (a phone's camera needs the contrast; a dark theme would invert it).

Nothing is written to disk: the image lives in memory, in the widget that shows it.
"""

from __future__ import annotations

from ui.qt import QColor, QImage, QPainter, QPixmap, Qt

BORDER = 4          # modules of quiet zone (ISO/IEC 18004)


def qr_image(text: str, module: int = 6) -> QImage:
    """The QR code of `text` (error correction M), `module` pixels per module."""
    import segno

    code = segno.make(text, error="m", boost_error=False)
    rows = list(code.matrix_iter(scale=1, border=BORDER))
    size = len(rows) * module
    image = QImage(size, size, QImage.Format.Format_RGB32)
    image.fill(QColor(255, 255, 255))
    painter = QPainter(image)
    try:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0))
        for y, row in enumerate(rows):
            for x, dark in enumerate(row):
                if dark:
                    painter.drawRect(x * module, y * module, module, module)
    finally:
        painter.end()
    return image


def qr_pixmap(text: str, module: int = 6) -> QPixmap:
    return QPixmap.fromImage(qr_image(text, module))


def qr_matrix(image: QImage, module: int) -> list[list[bool]]:
    """Read the modules back out of an image made by `qr_image` (for tests: what is on
    the screen is the code of the line, module for module)."""
    n = image.width() // module
    return [[QColor(image.pixel(x * module + module // 2, y * module + module // 2)).lightness() < 128
             for x in range(n)] for y in range(n)]
