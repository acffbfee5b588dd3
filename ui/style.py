"""Satchel's drawing style: a proxy over Fusion (or the platform's style) that makes every
control's state visible, whatever the palette.

Guarantees (with the colours of ui/contrast.py, each measured against what it sits on):
- Focus: the focused control carries a ring `RING` pixels wide in the focus colour
  (3:1 against window, fields and buttons) with a one-pixel inner line in the colour
  that contrasts most with it, so the ring stands out even on a filled (toggled-on)
  button. It is drawn for buttons, check boxes, radio buttons, combo boxes, fields,
  lists, trees and the page, and around the current row of a focused list or tree
  (in the selected-text colour on a selected row). It never depends on how the focus
  arrived, unlike Fusion's, which draws a faint line only after a Tab key.
- Borders: fields, buttons, frames, group boxes and the boxes of check boxes and radio
  buttons are outlined in a colour with 3:1 against the window, fields and buttons.
- Toggles: a checkable button that is on (Bookmark, Note, Done) is filled with the
  selection colour, its label drawn in the selected-text colour and prefixed with "✓":
  on and off differ by colour and by a symbol.
- Nothing here sets a font or a pixel size for text: sizes follow the text size setting.
"""

from __future__ import annotations

import functools
from typing import Any

from ui.contrast import border_colour, focus_colour, mix, on_colours, ratio
from ui.qt import (
    QAbstractButton,
    QAbstractScrollArea,
    QColor,
    QEvent,
    QObject,
    QPainter,
    QPalette,
    QPen,
    QPointF,
    QProxyStyle,
    QRect,
    QSize,
    QStyle,
    QStyleFactory,
    QStyleOptionButton,
    Qt,
    QTreeView,
    QWidget,
)

RING = 2  # focus ring width, plus a one-pixel inner line
FRAME = RING + 1
CHECK = "✓"
PE = QStyle.PrimitiveElement
CE = QStyle.ControlElement
CC = QStyle.ComplexControl
CT = QStyle.ContentsType
SE = QStyle.SubElement
S = QStyle.StateFlag
R = QPalette.ColorRole


_OWN_PRIMITIVES = frozenset(
    {
        PE.PE_FrameFocusRect,
        PE.PE_IndicatorCheckBox,
        PE.PE_IndicatorItemViewItemCheck,
        PE.PE_IndicatorRadioButton,
        PE.PE_PanelLineEdit,
        PE.PE_FrameLineEdit,
        PE.PE_Frame,
        PE.PE_FrameGroupBox,
        PE.PE_PanelButtonCommand,
    }
)
_OWN_CONTROLS = frozenset({CE.CE_PushButtonLabel, CE.CE_PushButton, CE.CE_CheckBox, CE.CE_RadioButton})


def _group(state: Any) -> QPalette.ColorGroup:
    return QPalette.ColorGroup.Active if state & S.State_Enabled else QPalette.ColorGroup.Disabled


def _frame(painter: QPainter, rect: QRect, colour: QColor, width: int) -> None:
    """A rectangle outline `width` pixels wide inside `rect`, pixel-exact (no blending)."""
    if width <= 0 or rect.width() <= 0 or rect.height() <= 0:
        return
    x, y, w, h = rect.x(), rect.y(), rect.width(), rect.height()
    width = min(width, w // 2 or 1, h // 2 or 1)
    painter.fillRect(QRect(x, y, w, width), colour)
    painter.fillRect(QRect(x, y + h - width, w, width), colour)
    painter.fillRect(QRect(x, y, width, h), colour)
    painter.fillRect(QRect(x + w - width, y, width, h), colour)


@functools.lru_cache(maxsize=64)
def _inner_rgb(focus: int, *choices: int) -> int:
    return max(choices, key=lambda c: ratio(QColor.fromRgb(c), QColor.fromRgb(focus)))


def inner_colour(palette: QPalette, focus: QColor) -> QColor:
    """The palette colour that contrasts most with the focus ring (its inner line)."""
    choices = (palette.color(r).rgb() for r in (R.Window, R.Base, R.WindowText, R.Text))
    return QColor.fromRgb(_inner_rgb(focus.rgb(), *choices))


def draw_ring(painter: QPainter, rect: QRect, palette: QPalette) -> None:
    focus = focus_colour(palette)
    painter.save()
    _frame(painter, rect, focus, RING)
    _frame(painter, rect.adjusted(RING, RING, -RING, -RING), inner_colour(palette, focus), 1)
    painter.restore()


class SatchelStyle(QProxyStyle):
    def __init__(self, base: str) -> None:
        super().__init__(QStyleFactory.create(base))
        self.base_name = base

    # -- focus repaint: a scroll area's frame is not repainted when it gains focus ------

    def polish(self, target: Any) -> Any:
        if isinstance(target, QAbstractScrollArea):
            target.installEventFilter(self)
        if isinstance(target, QTreeView):
            target.setAllColumnsShowFocus(True)  # one ring around the current row, not per cell
        return super().polish(target)

    def unpolish(self, target: Any) -> Any:
        if isinstance(target, QAbstractScrollArea):
            target.removeEventFilter(self)
        return super().unpolish(target)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.FocusIn, QEvent.Type.FocusOut) and isinstance(watched, QWidget):
            watched.update()
        return False

    # -- metrics ---------------------------------------------------------------------

    def pixelMetric(self, metric: Any, option: Any = None, widget: Any = None) -> int:  # noqa: N802
        if metric == QStyle.PixelMetric.PM_DefaultFrameWidth:
            return FRAME  # room for the focus ring around fields, lists and the page
        return int(super().pixelMetric(metric, option, widget))

    def sizeFromContents(self, kind: Any, option: Any, size: QSize, widget: Any = None) -> QSize:  # noqa: N802
        out = super().sizeFromContents(kind, option, size, widget)
        if kind in (CT.CT_CheckBox, CT.CT_RadioButton):
            return QSize(out.width() + 2 * FRAME + 2, out.height() + 2 * FRAME)
        if kind == CT.CT_PushButton and isinstance(widget, QAbstractButton) and widget.isCheckable():
            return QSize(out.width() + option.fontMetrics.horizontalAdvance(CHECK + " "), out.height())
        return out

    # -- primitives ------------------------------------------------------------------

    def drawPrimitive(self, element: Any, option: Any, painter: QPainter, widget: Any = None) -> None:  # noqa: N802
        if element not in _OWN_PRIMITIVES:  # most calls (item panels, arrows): Fusion's own
            super().drawPrimitive(element, option, painter, widget)
            return
        if element == PE.PE_FrameFocusRect:
            if isinstance(widget, QAbstractButton):
                return  # buttons and boxes get the ring around the whole widget (drawControl)
            # The current row of a list or tree (QTreeView passes no widget for a row). On a
            # selected row the ring sits inside, so the row's own colour frames it.
            colour, filled = self._row_focus_colour(option)
            painter.save()
            _frame(painter, option.rect.adjusted(RING, RING, -RING, -RING) if filled else option.rect, colour, RING)
            painter.restore()
            return
        if element in (PE.PE_IndicatorCheckBox, PE.PE_IndicatorItemViewItemCheck):
            self._indicator(painter, option, radio=False)
            return
        if element == PE.PE_IndicatorRadioButton:
            self._indicator(painter, option, radio=True)
            return
        if element == PE.PE_PanelLineEdit:
            group = _group(option.state)
            painter.fillRect(option.rect, option.palette.color(group, R.Base))
            if option.lineWidth > 0:
                self._outline(painter, option, widget)
            return
        if element == PE.PE_FrameLineEdit:
            self._outline(painter, option, widget)
            return
        if element == PE.PE_Frame:
            self._outline(painter, option, widget)
            return
        if element == PE.PE_FrameGroupBox:
            painter.save()
            _frame(painter, option.rect, border_colour(option.palette, _group(option.state)), 1)
            painter.restore()
            return
        if element == PE.PE_PanelButtonCommand:
            self._button_panel(painter, option, widget)
            return
        super().drawPrimitive(element, option, painter, widget)

    def _outline(self, painter: QPainter, option: Any, widget: Any) -> None:
        painter.save()
        _frame(painter, option.rect, border_colour(option.palette, _group(option.state)), 1)
        focused = bool(option.state & S.State_HasFocus) or (isinstance(widget, QWidget) and widget.hasFocus())
        if focused and option.state & S.State_Enabled:
            draw_ring(painter, option.rect, option.palette)
        painter.restore()

    def _indicator(self, painter: QPainter, option: Any, radio: bool) -> None:
        group = _group(option.state)
        pal = option.palette
        rect = QRect(option.rect)
        side = min(rect.width(), rect.height())
        rect = QRect(rect.x() + (rect.width() - side) // 2, rect.y() + (rect.height() - side) // 2, side, side)
        fill, ink, edge = pal.color(group, R.Base), pal.color(group, R.Text), border_colour(pal, group)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen_w = max(2, side // 8)
        painter.setPen(QPen(edge, pen_w))
        painter.setBrush(fill)
        inset = rect.adjusted(pen_w // 2, pen_w // 2, -(pen_w + 1) // 2, -(pen_w + 1) // 2)
        if radio:
            painter.drawEllipse(inset)
            if option.state & S.State_On:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(ink)
                dot = side * 0.5
                c = QPointF(inset.center())
                painter.drawEllipse(c, dot / 2, dot / 2)
        else:
            painter.drawRect(inset)
            pen = QPen(ink, max(2.0, side / 7.0))
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            painter.setPen(pen)
            x, y, s = float(inset.x()), float(inset.y()), float(inset.width())
            if option.state & S.State_On:
                tick = [(0.22, 0.52), (0.42, 0.72), (0.78, 0.28)]
                painter.drawPolyline([QPointF(x + s * a, y + s * b) for a, b in tick])
            elif option.state & S.State_NoChange:
                painter.drawLine(QPointF(x + s * 0.25, y + s * 0.5), QPointF(x + s * 0.75, y + s * 0.5))
        painter.restore()

    def _button_panel(self, painter: QPainter, option: Any, widget: Any) -> None:
        group = _group(option.state)
        pal = option.palette
        on = bool(option.state & S.State_On)
        fill = on_colours(pal)[0] if on else pal.color(group, R.Button)
        if option.state & S.State_Sunken and not on:
            fill = mix(fill, pal.color(group, R.ButtonText), 0.18)
        if on and group == QPalette.ColorGroup.Disabled:
            fill = mix(fill, pal.color(group, R.Button), 0.5)
        painter.save()
        painter.fillRect(option.rect, fill)
        hover = bool(option.state & S.State_MouseOver) and bool(option.state & S.State_Enabled)
        default = isinstance(option, QStyleOptionButton) and bool(
            option.features & QStyleOptionButton.ButtonFeature.DefaultButton
        )
        _frame(painter, option.rect, border_colour(pal, group), 2 if hover or default else 1)
        painter.restore()

    # -- controls --------------------------------------------------------------------

    def drawControl(self, element: Any, option: Any, painter: QPainter, widget: Any = None) -> None:  # noqa: N802
        if element not in _OWN_CONTROLS:  # list and tree items, headers, frames: Fusion's own
            super().drawControl(element, option, painter, widget)
            return
        if element == CE.CE_PushButtonLabel and option.state & S.State_On and self._checkable(widget):
            opt = QStyleOptionButton(option)
            opt.text = f"{CHECK} {option.text}"
            on_text = on_colours(option.palette)[1]
            for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
                opt.palette.setColor(group, R.ButtonText, on_text)
            super().drawControl(element, opt, painter, widget)
            return
        if element in (CE.CE_CheckBox, CE.CE_RadioButton):
            # Box and label inside, the ring around them (sizeFromContents made the room).
            opt = QStyleOptionButton(option)
            opt.rect = option.rect.adjusted(FRAME + 1, FRAME, -(FRAME + 1), -FRAME)
            super().drawControl(element, opt, painter, widget)
        else:
            super().drawControl(element, option, painter, widget)
        if element in (CE.CE_PushButton, CE.CE_CheckBox, CE.CE_RadioButton) and self._focused(option):
            draw_ring(painter, option.rect, option.palette)

    def drawComplexControl(self, control: Any, option: Any, painter: QPainter, widget: Any = None) -> None:  # noqa: N802
        super().drawComplexControl(control, option, painter, widget)
        if control == CC.CC_ScrollBar:
            # Fusion's handle is a shade of the button colour: invisible on black. Draw it
            # in the border colour (3:1 against the groove).
            handle = self.subControlRect(control, option, QStyle.SubControl.SC_ScrollBarSlider, widget)
            if handle.isValid() and handle.width() > 4 and handle.height() > 4:
                painter.fillRect(handle.adjusted(2, 2, -2, -2), border_colour(option.palette, _group(option.state)))
        if control == CC.CC_ComboBox:
            painter.save()
            _frame(painter, option.rect, border_colour(option.palette, _group(option.state)), 1)
            painter.restore()
            if self._focused(option):
                draw_ring(painter, option.rect, option.palette)

    @staticmethod
    def _row_focus_colour(option: Any) -> tuple[QColor, bool]:
        """(ring colour, is the row filled with another colour than the list's?)"""
        pal = option.palette
        bg = getattr(option, "backgroundColor", None)
        if not isinstance(bg, QColor) or not bg.isValid() or bg.alpha() == 0:
            bg = pal.color(R.Highlight) if option.state & S.State_Selected else pal.color(R.Base)
        choices = [focus_colour(pal), pal.color(R.HighlightedText), pal.color(R.Text)]
        return max(choices, key=lambda c: ratio(c, bg)), bg.rgb() != pal.color(R.Base).rgb()

    @staticmethod
    def _focused(option: Any) -> bool:
        return bool(option.state & S.State_HasFocus) and bool(option.state & S.State_Enabled)

    @staticmethod
    def _checkable(widget: Any) -> bool:
        return isinstance(widget, QAbstractButton) and widget.isCheckable()
