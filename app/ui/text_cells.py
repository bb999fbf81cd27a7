"""Tables of text painted from texts laid out once: a cell's text is elided and
shaped (QStaticText) the first time it is shown at its width, and each paint
after that only draws the glyphs.

Qt's own delegate asks the model for seven roles of every cell and lays its text
out again on every paint and every scroll step: 6-8 ms for a laptop's screen of
the session list (160 cells), against ~3 ms drawn from the laid-out texts. A
cell with an icon, a check box or a background of its own is left to Qt's
delegate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QHelpEvent, QPainter, QPalette, QStaticText
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
)

Index = QModelIndex | QPersistentModelIndex
R = Qt.ItemDataRole
DEFAULT_ALIGNMENT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
# Laid-out cells kept: a few screens of a wide table; past it they are laid out
# again as they come back into view (~0.02 ms a cell).
KEPT = 4000


@dataclass
class _Cell:
    """One cell as last painted: its text elided to `width` and laid out."""

    text: str  # whole, as the model gave it
    width: int  # the text's room it was elided to, in pixels
    shown: QStaticText | None  # None: Qt's delegate paints the cell (an icon, a check box)
    elided: bool
    colour: QColor | None
    font: QFont | None
    alignment: Qt.AlignmentFlag


class TextCellDelegate(QStyledItemDelegate):
    """Paints `view`'s cells from texts laid out once per row, column and width.

    The model's DisplayRole (a str), ForegroundRole (a QColor or QBrush),
    FontRole and TextAlignmentRole are read when a cell is first painted and
    after the model says it changed (any reset, layout or data change drops
    every cell). Selection, alternate rows and the text's colour and margins are
    drawn as Qt's delegate draws them. A text too wide for its column is elided
    and shown whole in the cell's tooltip."""

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self._view = view
        self._cells: dict[tuple[int, int], _Cell] = {}
        self._model: Any = None
        view.setItemDelegate(self)
        self.watch(view.model())

    def watch(self, model: Any) -> None:
        """Drop the laid-out cells whenever `model` (the view's) changes."""
        if model is self._model or model is None:
            return
        self._model = model
        for signal in (model.modelReset, model.layoutChanged, model.dataChanged,
                       model.rowsInserted, model.rowsRemoved, model.rowsMoved,
                       model.columnsInserted, model.columnsRemoved, model.columnsMoved):
            signal.connect(self.forget)
        self.forget()

    def forget(self, *_args: Any) -> None:
        self._cells.clear()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        rect = option.rect
        margin = self._margin()
        room = rect.width() - 2 * margin
        key = (index.row(), index.column())
        cell = self._cells.get(key)
        if cell is None or cell.width != room:
            cell = self._lay_out(index, option, room)
            if len(self._cells) >= KEPT:
                self._cells.clear()
            self._cells[key] = cell
        if cell.shown is None:
            super().paint(painter, option, index)
            return
        state = option.state
        widget = self._view
        selected = bool(state & QStyle.StateFlag.State_Selected)
        if selected:  # the selection's fill, as the style draws it
            widget.style().drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option,
                                         painter, widget)
        group = QPalette.ColorGroup.Normal if state & QStyle.StateFlag.State_Enabled \
            else QPalette.ColorGroup.Disabled
        if group == QPalette.ColorGroup.Normal and not state & QStyle.StateFlag.State_Active:
            group = QPalette.ColorGroup.Inactive
        if selected:
            painter.setPen(option.palette.color(group, QPalette.ColorRole.HighlightedText))
        elif cell.colour is not None:
            painter.setPen(cell.colour)
        else:
            painter.setPen(option.palette.color(group, QPalette.ColorRole.Text))
        font = cell.font or option.font
        painter.setFont(font)
        # Placed as Qt's delegate places a line: its box as wide as the room and
        # aligned in it, the line aligned in the box at its natural (fractional)
        # width, so the glyphs land on the same pixels.
        size = cell.shown.size()
        box = QStyle.alignedRect(option.direction, cell.alignment, QSize(room, int(size.height())),
                                 rect.adjusted(margin, 0, -margin, 0))
        x = float(box.x())
        horizontal = QStyle.visualAlignment(option.direction, cell.alignment)
        if horizontal & Qt.AlignmentFlag.AlignRight:
            x += room - size.width()
        elif horizontal & Qt.AlignmentFlag.AlignHCenter:
            x += (room - size.width()) / 2
        painter.drawStaticText(QPointF(x, box.y()), cell.shown)

    def helpEvent(self, event: QHelpEvent, view: QAbstractItemView,
                  option: QStyleOptionViewItem, index: Index) -> bool:
        """A text cut short by its column is shown whole when hovered (unless the
        model gives the cell a tooltip of its own)."""
        cell = self._cells.get((index.row(), index.column()))
        if (event.type() == event.Type.ToolTip and cell is not None and cell.elided
                and index.data(R.ToolTipRole) is None):
            QToolTip.showText(event.globalPos(), cell.text, view, QRect())
            return True
        return super().helpEvent(event, view, option, index)

    def _margin(self) -> int:
        # Qt's delegate keeps the focus frame's margin and one pixel on each side.
        return self._view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None,
                                              self._view) + 1

    def _lay_out(self, index: Index, option: QStyleOptionViewItem, room: int) -> _Cell:
        value = index.data(R.DisplayRole)
        text = "" if value is None else self.displayText(value, option.locale)
        alignment = index.data(R.TextAlignmentRole)
        alignment = DEFAULT_ALIGNMENT if alignment is None else Qt.AlignmentFlag(int(alignment))
        if any(index.data(role) is not None
               for role in (R.DecorationRole, R.CheckStateRole, R.BackgroundRole)):
            return _Cell(text, room, None, False, None, None, alignment)
        font = index.data(R.FontRole)
        brush = index.data(R.ForegroundRole)
        colour = brush if isinstance(brush, QColor) or brush is None else brush.color()
        metrics = QFontMetrics(font) if font is not None else option.fontMetrics
        # One line, as Qt's delegate shows a line without wrapping.
        line = text.replace("\n", " ")
        shown_text = metrics.elidedText(line, self._view.textElideMode(), max(room, 0))
        shown = QStaticText(shown_text)
        shown.setTextFormat(Qt.TextFormat.PlainText)  # a stranger's text is never markup
        shown.prepare(font=font if font is not None else option.font)
        return _Cell(text, room, shown, shown_text != line, colour, font, alignment)
