"""Tab order by reading order: Tab moves through a window's controls the way the eye
reads them (rows from top to bottom; in a row, from the start of the line to its end,
which is right to left in Arabic and Persian).

Why not Qt's chain: Qt orders controls by when they were made, and a focus proxy moves
its target in the chain, so in the library forward Tab skipped Library, Search,
Settings and Continue reading; a quiz built later landed at the end of the chain.
Reading order is computed at the moment Tab is pressed, from the controls visible then,
so screens and pages that change (the reader, a quiz) need no bookkeeping.

Guarantees:
- `stops(window)` lists every control of `window` that can take focus by Tab and is
  visible and enabled, in reading order, except the Wipe button (never a Tab stop, so
  no stray Space can wipe: the panic keys and the menu reach it), the menu bar, and all
  but one radio button of an exclusive group (the checked one, else the first; the
  arrow keys move inside a group, as on every desktop).
- `move(window, forward)` gives focus to the next (or previous) stop, wrapping around,
  scrolls it into view, and returns False only if there is nothing to move to.
- Widgets that handle Tab themselves first (a page's links in the reader) still do:
  they call up to the window only when they are done.
"""

from __future__ import annotations

from typing import Any

from ui.qt import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QMenuBar,
    QPoint,
    QRadioButton,
    QScrollArea,
    Qt,
    QWidget,
)

NEVER_TAB = "satchelNoTab"  # a widget property: set on controls that must never be a Tab stop


def _exclusive_group(w: QWidget) -> Any:
    group = w.group() if isinstance(w, QRadioButton) else None
    return group if group is not None and group.exclusive() else None


def _tabbable(w: QWidget, window: QWidget) -> bool:
    # Qt takes Tab focus away from the radio buttons of a group that the focus left, and
    # gives it back only when one is focused again: for them, any keyboard focus counts.
    wanted = Qt.FocusPolicy.ClickFocus if _exclusive_group(w) is not None else Qt.FocusPolicy.TabFocus
    if not (w.focusPolicy() & wanted) or not w.isEnabled():
        return False
    if not w.isVisibleTo(window) or w.property(NEVER_TAB):
        return False
    if isinstance(w, QMenuBar) or isinstance(w.parentWidget(), QComboBox):
        return False
    return w.focusProxy() is None


def _group_member_ok(w: QWidget) -> bool:
    """One stop per exclusive group of radio buttons: the checked one, else the one Qt
    last gave Tab focus, else the first."""
    group = _exclusive_group(w)
    if group is None:
        return True
    buttons = [b for b in group.buttons() if b.isEnabled() and b.isVisible()]
    chosen = next((b for b in buttons if b.isChecked()), None)
    chosen = chosen or next((b for b in buttons if b.focusPolicy() & Qt.FocusPolicy.TabFocus), None)
    return w is (chosen or (buttons[0] if buttons else w))


def stops(window: QWidget) -> list[QWidget]:
    """The Tab stops of `window`, in reading order."""
    rtl = window.layoutDirection() == Qt.LayoutDirection.RightToLeft
    found: list[tuple[int, int, int, QWidget]] = []
    for w in window.findChildren(QWidget):
        if w.window() is not window or not _tabbable(w, window) or not _group_member_ok(w):
            continue
        top_left = w.mapTo(window, QPoint(0, 0))
        start = -(top_left.x() + w.width()) if rtl else top_left.x()
        found.append((top_left.y(), w.height(), start, w))
    found.sort(key=lambda t: (t[0], t[2]))
    # Rows: a control whose top lies within the upper half of the row's shortest control
    # belongs to that row (buttons beside a field, a list beside a tree); a page below a
    # toolbar starts a new row even if a tall contents list spans both.
    rows: list[list[tuple[int, int, int, QWidget]]] = []
    for item in found:
        if rows and item[0] < rows[-1][0][0] + max(min(i[1] for i in rows[-1]) // 2, 4):
            rows[-1].append(item)
        else:
            rows.append([item])
    return [item[3] for row in rows for item in sorted(row, key=lambda t: t[2])]


def move(window: QWidget, forward: bool) -> bool:
    order = stops(window)
    if not order:
        return False
    current = QApplication.focusWidget()
    index = -1
    w: Any = current
    while w is not None and index < 0:
        if w in order:
            index = order.index(w)
        w = w.parentWidget() if w is not window else None
    step = 1 if forward else -1
    target = order[(index + step) % len(order)] if index >= 0 else order[0 if forward else -1]
    reason = Qt.FocusReason.TabFocusReason if forward else Qt.FocusReason.BacktabFocusReason
    target.setFocus(reason)
    parent = target.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            parent.ensureWidgetVisible(target)
        parent = parent.parentWidget()
    return True


def never_tab(button: QAbstractButton) -> None:
    """Take a button out of Tab and click focus for good (the Wipe button)."""
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.setProperty(NEVER_TAB, True)


class ReadingOrderTabs:
    """Mixin for a window or dialog: Tab and Shift+Tab follow reading order."""

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802 (Qt's names)
        if move(self, next):
            return True
        return bool(super().focusNextPrevChild(next))  # type: ignore[misc]
