"""Does every label and button show its whole text? (imported as `fit` by the tests)

A QLabel's text must fit its contents rectangle as the font measures it: on one line if
it does not wrap, within the rectangle's width and height once wrapped if it does. A
button (push, check box, radio) must be at least as large as the size its style asks
for its text. Only what is visible is checked; text from a pack is checked the same way.
"""

from __future__ import annotations

from typing import Any

from ui.qt import QAbstractButton, QLabel, QRect, Qt, QWidget

SLACK = 1  # a pixel of rounding between font metrics and layout


def _label_problem(w: QLabel) -> str | None:
    text = w.text()
    if not text.strip() or (w.pixmap() is not None and not w.pixmap().isNull()):
        return None
    rect = w.contentsRect()
    margin = w.margin()
    indent = max(w.indent(), 0)
    rect = rect.adjusted(margin + indent, margin, -margin, -margin)
    fm = w.fontMetrics()
    plain = text
    if w.wordWrap():
        flags = int(w.alignment().value) | int(Qt.TextFlag.TextWordWrap.value)
        need = fm.boundingRect(QRect(0, 0, max(rect.width(), 1), 100000), flags, plain)
        if need.width() > rect.width() + SLACK or need.height() > rect.height() + SLACK:
            return f"needs {need.width()}x{need.height()}, has {rect.width()}x{rect.height()}"
        return None
    lines = plain.split("\n")
    width = max(fm.horizontalAdvance(line) for line in lines)
    height = fm.height() * len(lines)
    if width > rect.width() + SLACK or height > rect.height() + SLACK:
        return f"needs {width}x{height}, has {rect.width()}x{rect.height()}"
    return None


def _button_problem(w: QAbstractButton) -> str | None:
    if not w.text().strip():
        return None
    hint = w.sizeHint()
    if w.width() + SLACK < hint.width() or w.height() + SLACK < hint.height():
        return f"needs {hint.width()}x{hint.height()}, has {w.width()}x{w.height()}"
    return None


def clipped(root: QWidget) -> list[str]:
    """Every visible label or button under `root` (and `root` itself) whose text is cut."""
    out: list[str] = []
    widgets: list[Any] = [root, *root.findChildren(QWidget)]
    for w in widgets:
        if not w.isVisible() or w.width() <= 0:
            continue
        if type(w).__module__.startswith("PySide6") and w.objectName().startswith("qt_"):
            continue  # Qt's own internals (a message box's icon label...)
        problem = None
        if isinstance(w, QLabel):
            problem = _label_problem(w)
        elif isinstance(w, QAbstractButton):
            problem = _button_problem(w)
        if problem:
            out.append(f"{type(w).__name__} {w.text()[:50]!r}: {problem}")
    return out
