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

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRect,
    Qt,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QStaticText,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolTip,
    QWidget,
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
    # The model's flags: enabled, and selectable and enabled (Qt's selection leaves
    # out a cell that is not). A model with look() has every cell both.
    enabled: bool = True
    selectable: bool = True
    top: float = 0.0  # where its line's box starts, from the cell's top
    # Drawn more than once (a word many rows show, or shown again): laid out once
    # for all, as a QStaticText (drawn in ~4 µs against ~7 for a text laid out anew).
    drawn: int = 0
    static: QStaticText | None = None

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
        # Cells worked out by what they show, for any row: a list's words repeat
        # (statuses, services, origins, professionals, durations), row after row
        # and answer after answer. Each holds the colour and font its key names by
        # id, so no other object takes their ids while it is kept.
        self._alike: dict[tuple[Any, ...], tuple[_Cell, QColor | None, QFont | None]] = {}
        self._fits: dict[str | None, _Fit] = {}  # by font (None: the view's)
        self._pens: dict[int, QColor] = {}  # the text's colours, by PEN_STATE
        self._margin = -1  # the text's margin each side, in pixels, once measured
        self._measured = -1  # the margin last measured
        self._model: Any = None
        # What the measures were taken in: the view's font, direction, elision, style.
        self._font: tuple[Any, ...] = ()
        self._look: Any = None  # the model's look(row, column), where it has one
        view.setItemDelegate(self)
        self.watch(view.model())

    def watch(self, model: Any) -> None:
        """Drop the cells worked out whenever `model` (the view's) changes; nothing
        to do for the model watched already (asked at each paint)."""
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
        view = self._view
        font = (view.font().key(), view.layoutDirection(), view.textElideMode(),
                id(view.style()))
        if font != self._font:
            self._font = font
            self._fits.clear()
            self._alike.clear()
        self._pens.clear()
        self._margin = -1
        self._look = getattr(self._model, "look", None)

    def _changed(self, top: Index, bottom: Index, *_roles: Any) -> None:
        """Drop the cells of the rows that changed, keeping those of the others (a
        page read ahead below the rows in view leaves them as they were drawn)."""
        first, last = top.row(), bottom.row()
        for key in [k for k in self._cells if first <= k[0] <= last]:
            del self._cells[key]

    def cell(self, row: int, column: int, width: int, height: int,
             option: QStyleOptionViewItem) -> _Cell:
        """The cell at `row` and `column` worked out for a room `width` by `height`
        pixels (kept, and worked out again when the room or the model changes).
        `option`: the view's, for its font, direction and locale."""
        cell = self._cells.get((row, column))
        if cell is None or cell.width != width or cell.height != height:
            cell = self._work_out(row, column, width, height, option)
            if len(self._cells) >= KEPT:
                self._cells.clear()
            if cell.kept:
                self._cells[(row, column)] = cell
        return cell

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        self.watch(index.model())
        rect = option.rect
        cell = self.cell(index.row(), index.column(), rect.width(), rect.height(), option)
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
            painter.setPen(self.pen(option, state))
        painter.setFont(cell.font)
        painter.drawText(QPointF(rect.x() + cell.x, rect.y() + cell.y), cell.line)

    def pen(self, option: QStyleOptionViewItem, state: int) -> QColor:
        """The text's colour as Qt's delegate picks it: the palette's, of the
        group the view's state (an int of QStyle.StateFlag) says, highlighted
        when selected. `option`: the view's, for its palette."""
        pen = self._pens.get(state & PEN_STATE)
        if pen is not None:
            return pen
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

    def _work_out(self, row: int, column: int, width: int, height: int,
                  option: QStyleOptionViewItem) -> _Cell:
        if self._look is not None:  # the model's own texts, without a trip through Qt per role
            found: Look | None = self._look(row, column)
            if found is None:
                return _Cell("", width, height, "", 0.0, 0.0, None, QFont(), kept=False)
            text, colour, font, alignment = found
            key = (text, id(colour), id(font), alignment, width, height)
            alike = self._alike.get(key)
            if alike is None:
                if len(self._alike) >= KEPT:
                    self._alike.clear()
                alike = self._alike[key] = (self._cell(*found, width, height, option),
                                            colour, font)
            return alike[0]
        index = self._model.index(row, column)
        value = index.data(R.DisplayRole)
        text = "" if value is None else self.displayText(value, option.locale)
        flags = index.flags()
        enabled = bool(flags & Qt.ItemFlag.ItemIsEnabled)
        selectable = enabled and bool(flags & Qt.ItemFlag.ItemIsSelectable)
        if any(index.data(role) is not None
               for role in (R.DecorationRole, R.CheckStateRole, R.BackgroundRole)):
            return _Cell(text, width, height, None, 0.0, 0.0, None, QFont(), enabled=enabled,
                         selectable=selectable)
        brush = index.data(R.ForegroundRole)
        colour = brush if isinstance(brush, QColor) or brush is None else brush.color()
        cell = self._cell(text, colour, index.data(R.FontRole),
                          index.data(R.TextAlignmentRole), width, height, option)
        cell.enabled, cell.selectable = enabled, selectable
        return cell

    def _cell(self, text: str, colour: QColor | None, font: QFont | None, alignment: Any,
              width: int, height: int, option: QStyleOptionViewItem) -> _Cell:
        """Elided and placed as Qt's delegate does (QCommonStyle's item text, and
        QStyle.alignedRect): a margin of the focus frame's plus one pixel each
        side; a box as wide as the room and a line high (whole pixels, up),
        aligned in the cell; the line aligned in the box at its natural
        (fractional) width, so the glyphs land on the same pixels."""
        flags = DEFAULT if alignment is None else int(alignment)
        if flags & ABSOLUTE == 0 and option.direction == Qt.LayoutDirection.RightToLeft:
            flags ^= (LEFT | RIGHT) if flags & (LEFT | RIGHT) else 0
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
        return _Cell(text, width, height, line, x, top + fit.ascent, colour, fit.font,
                     top=top)

    def _measure_margin(self) -> int:
        view = self._view
        margin = view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None,
                                          view) + 1
        if margin != self._measured:  # a new style sheet: cells placed by the old margin
            self._alike.clear()
            self._measured = margin
        self._margin = margin
        return margin

    def _fit(self, font: QFont | None, option: QStyleOptionViewItem) -> _Fit:
        # The model's font says only what it sets (italic, bold): the rest is the
        # view's, as Qt's delegate resolves it.
        font = None if font is None else font.resolve(option.font)
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


ROW_PANEL = QStyle.PrimitiveElement.PE_PanelItemViewRow
ITEM_PANEL = QStyle.PrimitiveElement.PE_PanelItemViewItem
ALTERNATE = QStyleOptionViewItem.ViewItemFeature.Alternate


class TextTable(QTableView):
    """A table of text cells (TextCellDelegate) painted a row at a time.

    Qt's table paints cell by cell: for each it makes an index (asking the model
    its row and column counts), copies a style option, fills the cell's row
    background and calls the delegate, each a trip between C++ and Python, which
    was as much as the drawing itself (a screen of Sessões, 168 cells: ~2/3 of
    the time a new answer took to paint). This one makes one trip: each row's
    background and selection is filled once, and each cell draws its text from
    the cell worked out. Pixel for pixel what QTableView paints with the
    delegate; left to QTableView for what it is not made for: a grid, spans,
    right to left, drag and drop, hidden or moved rows, a delegate of its own
    for a row or a column."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._spans = False

    # Keys that jump far with Ctrl held: the row they arrive at is the one selected,
    # and with Shift too the selection reaches it, as in a spreadsheet or a mail
    # list (Qt keeps the old selection while Ctrl is held, so the buttons went on
    # acting on a row out of sight).
    _JUMPS = frozenset({Qt.Key.Key_Home, Qt.Key.Key_End, Qt.Key.Key_PageUp,
                        Qt.Key.Key_PageDown})

    def selectionCommand(self, index: QModelIndex | QPersistentModelIndex,
                         event: QEvent | None = None) -> QItemSelectionModel.SelectionFlag:
        ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
        if event is not None and event.type() == QEvent.Type.KeyPress and \
                event.modifiers() in (ctrl, ctrl | shift) and \
                Qt.Key(event.key()) in self._JUMPS and \
                self.selectionMode() != QAbstractItemView.SelectionMode.NoSelection:
            extend = event.modifiers() == ctrl | shift and \
                self.selectionMode() != QAbstractItemView.SelectionMode.SingleSelection
            flags = QItemSelectionModel.SelectionFlag.SelectCurrent if extend else \
                QItemSelectionModel.SelectionFlag.ClearAndSelect
            if self.selectionBehavior() == QAbstractItemView.SelectionBehavior.SelectRows:
                flags |= QItemSelectionModel.SelectionFlag.Rows
            return flags
        return super().selectionCommand(index, event)

    def setSpan(self, row: int, column: int, rows: int, columns: int) -> None:
        self._spans = True
        super().setSpan(row, column, rows, columns)

    def _by_rows(self) -> TextCellDelegate | None:
        """The delegate, where the table can be painted a row at a time."""
        delegate = self.itemDelegate()
        rows = self.verticalHeader()
        if (not isinstance(delegate, TextCellDelegate) or self.showGrid() or self._spans
                or self.isRightToLeft() or self.dragDropMode()
                != QAbstractItemView.DragDropMode.NoDragDrop
                or rows.sectionsHidden() or rows.sectionsMoved()):
            return None
        return delegate

    def _selected(self, first: int, last: int) -> tuple[set[int], set[int]]:
        """Of the rows from `first` to `last`, those selected whole and those with
        some cells selected, from the selection's ranges (asking the selection row
        by row asks the model its columns for each)."""
        whole: set[int] = set()
        some: set[int] = set()
        selection, model = self.selectionModel(), self.model()
        if selection is None or not selection.hasSelection():
            return whole, some
        root = self.rootIndex()
        last_column = model.columnCount(root) - 1
        for part in selection.selection():
            top, bottom = max(part.top(), first), min(part.bottom(), last)
            if top > bottom or part.parent() != root:
                continue
            rows = range(top, bottom + 1)
            (whole if part.left() == 0 and part.right() == last_column else some).update(rows)
        return whole, some - whole

    def paintEvent(self, event: QPaintEvent) -> None:
        delegate = self._by_rows()
        model = self.model()
        if delegate is None or model is None:
            super().paintEvent(event)
            return
        header, rows = self.horizontalHeader(), self.verticalHeader()
        if header.count() == 0 or rows.count() == 0:
            return
        delegate.watch(model)
        area = event.rect()
        # The cells the area reaches, as QTableView finds them.
        right = min(area.right(), header.length() - header.offset() - 1)
        bottom = min(area.bottom(), rows.length() - rows.offset() - 1)
        if right < area.left() or bottom < area.top():
            return
        first = rows.visualIndexAt(area.top())
        last = rows.visualIndexAt(bottom)
        if first < 0:
            return
        last = rows.count() - 1 if last < 0 else last
        left_column = max(header.visualIndexAt(area.left()), 0)
        right_column = header.visualIndexAt(right)
        right_column = header.count() - 1 if right_column < 0 else right_column
        columns: list[tuple[int, int, int]] = []  # (column, x, width)
        for visual in range(left_column, right_column + 1):
            column = header.logicalIndex(visual)
            if header.isSectionHidden(column):
                continue
            if self.itemDelegateForColumn(column) is not None:
                super().paintEvent(event)
                return
            columns.append((column, header.sectionViewportPosition(column),
                            header.sectionSize(column)))
        if not columns:
            return
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        base = option.state.value
        plain_features = option.features & ~ALTERNATE
        alternate = self.alternatingRowColors()
        selection = self.selectionModel()
        root = self.rootIndex()
        style = self.style()
        whole_rows, some_rows = self._selected(first, last)
        row_left = columns[0][1]
        row_width = columns[-1][1] + columns[-1][2] - row_left
        painter = QPainter(self.viewport())
        pen: Any = None
        font: Any = None
        try:
            for visual in range(first, last + 1):
                row = rows.logicalIndex(visual)
                y, height = self.rowViewportPosition(row), self.rowHeight(row)
                cells = [delegate.cell(row, column, width, height, option)
                         for column, _x, width in columns]
                # A row selected whole but for a cell the selection leaves out is
                # asked of the selection cell by cell, as Qt's table does.
                whole = row in whole_rows and all(cell.selectable for cell in cells)
                some = whole or row in some_rows or row in whole_rows
                state = base | SELECTED if whole else base
                option.features = plain_features | ALTERNATE if alternate and visual & 1 \
                    else plain_features
                if not some or whole:  # one fill for the row, as Qt fills each of its cells
                    option.rect = QRect(row_left, y, row_width, height)
                    option.state = QStyle.StateFlag(state)
                    style.drawPrimitive(ROW_PANEL, option, painter, self)
                    if whole:
                        style.drawPrimitive(ITEM_PANEL, option, painter, self)
                for (column, x, width), cell in zip(columns, cells, strict=True):
                    cell_state = state
                    if some and not whole and selection.isSelected(model.index(row, column,
                                                                               root)):
                        cell_state |= SELECTED
                    if not cell.enabled:
                        cell_state &= ~ENABLED
                    if cell.line is None or (some and not whole):
                        option.rect = QRect(x, y, width, height)
                        option.state = QStyle.StateFlag(cell_state)
                        if some and not whole:
                            style.drawPrimitive(ROW_PANEL, option, painter, self)
                        if cell.line is None:
                            QStyledItemDelegate.paint(delegate, painter, option,
                                                      model.index(row, column, root))
                            pen = font = None  # Qt's delegate set its own
                            continue
                        if cell_state & SELECTED and not whole:
                            style.drawPrimitive(ITEM_PANEL, option, painter, self)
                    if not cell.line:
                        continue
                    colour = cell.colour if cell.colour is not None and \
                        not cell_state & SELECTED else delegate.pen(option, cell_state)
                    if colour is not pen:
                        painter.setPen(colour)
                        pen = colour
                    if cell.font is not font:
                        painter.setFont(cell.font)
                        font = cell.font
                    static = cell.static
                    if static is None:
                        cell.drawn += 1
                        if cell.drawn < 2:
                            painter.drawText(QPointF(x + cell.x, y + cell.y), cell.line)
                            continue
                        static = cell.static = QStaticText(cell.line)
                        static.setTextFormat(Qt.TextFormat.PlainText)
                        static.prepare(painter.transform(), cell.font)
                    painter.drawStaticText(QPointF(x + cell.x, y + cell.top), static)
        finally:
            painter.end()
