"""Tables of text painted from cells worked out once: a cell's text, colour,
font and place are read, elided and measured the first time it is shown at its
width, and each paint after that only draws it.

Qt's own delegate asks the model for seven roles of every cell (a trip from C++
into Python each) and lays its text out again on every paint and scroll step:
6-8 ms for a laptop's screen of the session list (160 cells), against ~4 ms
drawn from the cells worked out. A cell with an icon, a check box or a
background of its own is left to Qt's delegate."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QHelpEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
)

Index = QModelIndex | QPersistentModelIndex
# What a model with a `look(row, column)` method gives for a cell, in one call:
# its text, colour, font and alignment (None: the view's); None for a blank cell.
Look = tuple[str, QColor | None, QFont | None, int | None]
R = Qt.ItemDataRole
DEFAULT_ALIGNMENT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
# Flags as plain ints: Python's enum operations cost a microsecond or two each,
# and a screen has 160 cells.
SELECTED = QStyle.StateFlag.State_Selected.value
ENABLED = QStyle.StateFlag.State_Enabled.value
ACTIVE = QStyle.StateFlag.State_Active.value
DEFAULT = DEFAULT_ALIGNMENT.value
LEFT, RIGHT, H_CENTRE = (Qt.AlignmentFlag.AlignLeft.value, Qt.AlignmentFlag.AlignRight.value,
                         Qt.AlignmentFlag.AlignHCenter.value)
V_CENTRE, BOTTOM = Qt.AlignmentFlag.AlignVCenter.value, Qt.AlignmentFlag.AlignBottom.value
ABSOLUTE = Qt.AlignmentFlag.AlignAbsolute.value
PEN_STATE = SELECTED | ENABLED | ACTIVE  # what the text's colour depends on
# Cells kept: a few screens of a wide table; past it they are worked out again
# as they come back into view.
KEPT = 4000


@dataclass
class _Cell:
    """One cell as worked out for a room `width` wide and `height` high."""

    text: str  # whole, as the model gave it
    width: int
    height: int
    line: str | None  # the text as drawn, elided; None: Qt's delegate paints the cell
    x: float  # where its baseline starts, from the cell's top left
    y: float
    colour: QColor | None
    font: QFont  # the model's, or the view's
    kept: bool = True  # False: a row not read yet, asked again on the next paint

    @property
    def elided(self) -> bool:
        return self.line is not None and self.line != self.text.replace("\n", " ")


class TextCellDelegate(QStyledItemDelegate):
    """Paints `view`'s cells from cells worked out once per row, column and size.

    A cell's text, colour, font and alignment are read when it is first painted
    and after the model says it changed (a reset, layout or row change drops
    every cell; a data change those of its rows): from the model's
    `look(row, column)` (a `Look`) where it has one, else from its DisplayRole,
    ForegroundRole, FontRole and
    TextAlignmentRole. Selection, alternate rows, the text's colour, margins and
    place are drawn as Qt's delegate draws them, pixel for pixel. A text too
    wide for its column is elided and shown whole in the cell's tooltip."""

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self._view = view
        self._cells: dict[tuple[int, int], _Cell] = {}
        self._fits: dict[str | None, _Fit] = {}  # by font (None: the view's)
        self._pens: dict[int, QColor] = {}  # the text's colours, by PEN_STATE
        self._margin = -1  # the text's margin each side, in pixels, once measured
        self._model: Any = None
        self._font = ""  # the key of the view's font its measures were taken in
        self._look: Any = None  # the model's look(row, column), where it has one
        view.setItemDelegate(self)
        self.watch(view.model())

    def watch(self, model: Any) -> None:
        """Drop the cells worked out whenever `model` (the view's) changes."""
        if model is self._model or model is None:
            return
        self._model = model
        for signal in (model.modelReset, model.layoutChanged,
                       model.rowsInserted, model.rowsRemoved, model.rowsMoved,
                       model.columnsInserted, model.columnsRemoved, model.columnsMoved):
            signal.connect(self.forget)
        model.dataChanged.connect(self._changed)
        self.forget()

    def forget(self, *_args: Any) -> None:
        """Drop every cell worked out (rows came, went or moved)."""
        self._cells.clear()
        # The view's palette or style may have changed too; its font's measures
        # are kept while it keeps its font (a new answer shows the same statuses,
        # services and professionals: measured once, not after every filter).
        font = self._view.font().key()
        if font != self._font:
            self._font = font
            self._fits.clear()
        self._pens.clear()
        self._margin = -1
        self._look = getattr(self._model, "look", None)

    def _changed(self, top: Index, bottom: Index, *_roles: Any) -> None:
        """Drop the cells of the rows that changed, keeping those of the others (a
        page read ahead below the rows in view leaves them as they were drawn)."""
        first, last = top.row(), bottom.row()
        for key in [k for k in self._cells if first <= k[0] <= last]:
            del self._cells[key]

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        rect = option.rect
        key = (index.row(), index.column())
        cell = self._cells.get(key)
        if cell is None or cell.width != rect.width() or cell.height != rect.height():
            cell = self._work_out(index, option)
            if len(self._cells) >= KEPT:
                self._cells.clear()
            if cell.kept:
                self._cells[key] = cell
        if cell.line is None:
            super().paint(painter, option, index)
            return
        state = option.state.value
        selected = bool(state & SELECTED)
        if selected:  # the selection's fill, as the style draws it
            self._view.style().drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem,
                                             option, painter, self._view)
        if cell.colour is not None and not selected:
            painter.setPen(cell.colour)
        else:
            pen = self._pens.get(state & PEN_STATE)
            painter.setPen(pen if pen is not None else self._pen(option, state))
        painter.setFont(cell.font)
        painter.drawText(QPointF(rect.x() + cell.x, rect.y() + cell.y), cell.line)

    def _pen(self, option: QStyleOptionViewItem, state: int) -> QColor:
        """The text's colour as Qt's delegate picks it: the palette's, of the
        group the view's state says, highlighted when selected."""
        group = QPalette.ColorGroup.Normal if state & ENABLED else QPalette.ColorGroup.Disabled
        if group == QPalette.ColorGroup.Normal and not state & ACTIVE:
            group = QPalette.ColorGroup.Inactive
        colour = self._pens[state & PEN_STATE] = option.palette.color(
            group, QPalette.ColorRole.HighlightedText if state & SELECTED
            else QPalette.ColorRole.Text)
        return colour

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

    def _work_out(self, index: Index, option: QStyleOptionViewItem) -> _Cell:
        if self._look is not None:  # the model's own texts, without a trip through Qt per role
            found: Look | None = self._look(index.row(), index.column())
            if found is None:
                return _Cell("", option.rect.width(), option.rect.height(), "", 0.0, 0.0,
                             None, QFont(), kept=False)
            return self._cell(*found, option)
        value = index.data(R.DisplayRole)
        text = "" if value is None else self.displayText(value, option.locale)
        if any(index.data(role) is not None
               for role in (R.DecorationRole, R.CheckStateRole, R.BackgroundRole)):
            return _Cell(text, option.rect.width(), option.rect.height(), None, 0.0, 0.0,
                         None, QFont())
        brush = index.data(R.ForegroundRole)
        colour = brush if isinstance(brush, QColor) or brush is None else brush.color()
        return self._cell(text, colour, index.data(R.FontRole),
                          index.data(R.TextAlignmentRole), option)

    def _cell(self, text: str, colour: QColor | None, font: QFont | None, alignment: Any,
              option: QStyleOptionViewItem) -> _Cell:
        """Elided and placed as Qt's delegate does (QCommonStyle's item text, and
        QStyle.alignedRect): a margin of the focus frame's plus one pixel each
        side; a box as wide as the room and a line high (whole pixels, up),
        aligned in the cell; the line aligned in the box at its natural
        (fractional) width, so the glyphs land on the same pixels."""
        flags = DEFAULT if alignment is None else int(alignment)
        if flags & ABSOLUTE == 0 and option.direction == Qt.LayoutDirection.RightToLeft:
            flags ^= (LEFT | RIGHT) if flags & (LEFT | RIGHT) else 0
        rect = option.rect
        width, height = rect.width(), rect.height()
        fit = self._fit(font, option)
        margin = self._margin if self._margin >= 0 else self._measure_margin()
        room = max(width - 2 * margin, 0)
        line = text.replace("\n", " ") if "\n" in text else text
        advance = fit.advance(line)
        if advance > room:
            line = fit.metrics.elidedText(line, self._view.textElideMode(), room)
            advance = fit.metrics.horizontalAdvance(line)
        x = float(margin)
        if flags & RIGHT:
            x += room - advance
        elif flags & H_CENTRE:
            x += (room - advance) / 2
        top = 0
        if flags & V_CENTRE == V_CENTRE:
            top = height // 2 - fit.height // 2
        elif flags & BOTTOM:
            top = height - fit.height
        return _Cell(text, width, height, line, x, top + fit.ascent, colour, fit.font)

    def _measure_margin(self) -> int:
        view = self._view
        self._margin = view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None,
                                                view) + 1
        return self._margin

    def _fit(self, font: QFont | None, option: QStyleOptionViewItem) -> _Fit:
        key = None if font is None else font.key()  # None: the view's own
        fit = self._fits.get(key)
        if fit is None:
            fit = self._fits[key] = _Fit(font if font is not None else option.font)
        return fit


class _Fit:
    """A font's measures, and the widths of the texts measured in it (a list's
    words repeat: statuses, services, durations, professionals)."""

    def __init__(self, font: QFont) -> None:
        self.font = QFont(font)  # a copy: an option's font lives only as long as the option
        self.metrics = QFontMetricsF(font)
        self.ascent = self.metrics.ascent()
        self.height = ceil(self.ascent + self.metrics.descent())
        self._widths: dict[str, float] = {}

    def advance(self, text: str) -> float:
        width = self._widths.get(text)
        if width is None:
            if len(self._widths) >= KEPT:
                self._widths.clear()
            width = self._widths[text] = self.metrics.horizontalAdvance(text)
        return width
