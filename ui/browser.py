"""The page renderer: a QTextBrowser that can reach nothing but the page's own images.

Guarantees:
- Every page gets a fresh PageDocument whose loadResource answers every image request:
  with a `satchel-media:` image prepared on the worker (ui/pageload.py), or else with a
  placeholder (a missing or refused image, another scheme, a bare path). It never answers
  with nothing, because Qt then loads the image itself from a local file of that name.
  Any other resource type gets nothing: no style sheet, no file, no network. The
  browser's own loadResource answers the same way.
- Links never open by themselves (`setOpenLinks(False)`); the reader decides.
- External addresses are shown, as plain text, with an offer to copy them; Satchel never
  opens them.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from ui.i18n import tr
from ui.pageload import media_path
from ui.qt import (
    QColor,
    QDialog,
    QDialogButtonBox,
    QFont,
    QImage,
    QLineEdit,
    QPainter,
    QPen,
    QRect,
    Qt,
    QTextBrowser,
    QTextDocument,
    QTextOption,
    QUrl,
    QVBoxLayout,
    QWidget,
)
from ui.widgets import clean, label, push

_placeholders: dict[str, QImage] = {}


def placeholder_image() -> QImage:
    """A neutral box saying the image is not available (made on the GUI thread, cached)."""
    text = tr("Image not available")
    image = _placeholders.get(text)
    if image is None:
        image = QImage(360, 90, QImage.Format.Format_ARGB32)
        image.fill(QColor(0, 0, 0, 0))
        p = QPainter(image)
        p.setPen(QPen(QColor(128, 128, 128), 2, Qt.PenStyle.DashLine))
        p.drawRect(QRect(1, 1, 357, 87))
        p.setPen(QColor(110, 110, 110))
        p.drawText(QRect(8, 8, 344, 74), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
        p.end()
        _placeholders[text] = image
    return image


class PageDocument(QTextDocument):
    def __init__(self, images: dict[str, QImage | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._images = images

    def loadResource(self, kind: int, url: QUrl) -> Any:  # noqa: N802 (Qt's name)
        if not _is_image(kind):
            return None
        if url.scheme() != "satchel-media":
            return placeholder_image()   # never None: Qt would then read a local file by that name
        image = self._images.get(
            media_path("satchel-media:" + url.path(QUrl.ComponentFormattingOption.FullyEncoded))
        )
        return image if image is not None else placeholder_image()


def _is_image(kind: Any) -> bool:
    image = QTextDocument.ResourceType.ImageResource
    return bool(kind == image.value or kind == image)


class PageBrowser(QTextBrowser):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setUndoRedoEnabled(False)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextBrowserInteraction | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setAccessibleName(tr("Page"))

    def loadResource(self, kind: int, url: QUrl) -> Any:  # noqa: N802
        return placeholder_image() if _is_image(kind) else None

    def show_page(self, html: str, images: dict[str, QImage | None], rtl: bool, point_size: float) -> None:
        old = self.document()
        old_is_ours = isinstance(old, PageDocument)
        doc = PageDocument(images, self)
        option = QTextOption()
        option.setTextDirection(Qt.LayoutDirection.RightToLeft if rtl else Qt.LayoutDirection.LeftToRight)
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        doc.setDefaultTextOption(option)
        font = QFont(self.font())
        font.setPointSizeF(point_size)
        doc.setDefaultFont(font)
        doc.setUndoRedoEnabled(False)
        if rtl:
            # Arabic and Hebrew typography has no italics, and many fonts have no slanted
            # Arabic glyphs at all (boxes instead of letters): show emphasis as bold.
            doc.setDefaultStyleSheet("em, i { font-style: normal; font-weight: bold; }")
        direction = "rtl" if rtl else "ltr"
        doc.setHtml(f'<div dir="{direction}">{html}</div>')
        self.setLayoutDirection(Qt.LayoutDirection.RightToLeft if rtl else Qt.LayoutDirection.LeftToRight)
        self.setDocument(doc)
        if old_is_ours:  # Qt deletes only the document it made itself
            old.deleteLater()

    def set_point_size(self, point_size: float) -> None:
        font = QFont(self.document().defaultFont())
        font.setPointSizeF(point_size)
        self.document().setDefaultFont(font)

    def clear_page(self) -> None:
        self.show_page("", {}, False, self.font().pointSizeF())


def external_address(url: QUrl) -> str:
    """The address behind a `satchel-external:` link, decoded, as plain text."""
    raw = bytes(url.toEncoded().data()).decode("ascii", "replace")
    rest = raw.split(":", 1)[1] if ":" in raw else ""
    return clean(urllib.parse.unquote(rest), limit=4000)


class ExternalLinkDialog(QDialog):
    """Shows an outside address and offers to copy it. Never opens it."""

    def __init__(self, address: str, copy: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("A link outside Satchel"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.address = QLineEdit(address)
        self.address.setReadOnly(True)
        self.address.setAccessibleName(tr("Address"))
        self.address.setCursorPosition(0)
        self.copy_button = push(tr("Copy address"))
        self.copy_button.clicked.connect(lambda: self._copy(copy, address))
        self.done_label = label("")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(
            label(
                tr(
                    "This link leads outside Satchel. Satchel never opens addresses on "
                    "the internet by itself: visiting one can be watched. If you trust it, "
                    "copy the address and open it yourself, in a safe way."
                )
            )
        )
        box.addWidget(self.address)
        box.addWidget(self.done_label)
        box.addWidget(buttons)

    def _copy(self, copy: Any, address: str) -> None:
        copy(address)
        self.done_label.setText(tr("The address was copied. Locking Satchel clears it from the clipboard."))
