"""Tables painted from texts laid out once (app/ui/text_cells.py) look, pixel for
pixel, as Qt's own delegate paints them: selection, alternate rows, colours,
italics, alignment, elision, a stranger's markup; and they follow the model and
the columns as they change."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPoint,
    QRect,
    Qt,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QHelpEvent,
    QIcon,
    QImage,
    QPixmap,
    QRegion,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import QApplication, QStyledItemDelegate, QTableView, QToolTip
from pytestqt.qtbot import QtBot

from app.ui.style import STYLE
from app.ui.text_cells import TextCellDelegate, TextTable

LONG = "Maria Aparecida dos Santos Albuquerque de Oliveira Bragança"


def _model() -> QStandardItemModel:
    model = QStandardItemModel(0, 4)
    model.setHorizontalHeaderLabels(["Client", "When", "Duration", "Status"])
    rows = [
        ("Ana Lima", "01/12/2026 09:00", "50 min", "Confirmed", "#059669", False),
        (LONG, "01/12/2026 10:00", "50 min", "Scheduled", "#2563eb", False),
        ("<b>João</b> & <i>Érica</i>", "02/12/2026 08:00", "90 min", "Cancelled", "#dc2626",
         True),
        ("Rui Prado", "03/12/2026 14:00", "30 min", "Completed", "#475569", False),
    ]
    for name, when, minutes, status, colour, italic in rows:
        cells = [QStandardItem(t) for t in (name, when, minutes, status)]
        cells[2].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        cells[3].setForeground(QColor(colour))
        if italic:
            font = QFont()
            font.setItalic(True)
            for cell in cells:
                cell.setFont(font)
        model.appendRow(cells)
    return model


# Cells painted one at a time by Qt's table with the delegate, and a row at a time.
VIEWS = pytest.mark.parametrize("kind", [QTableView, TextTable], ids=["by-cell", "by-row"])


def _table(qtbot: QtBot, model: QStandardItemModel, kind: type[QTableView] = TextTable
           ) -> QTableView:
    view = kind()
    view.setStyleSheet(STYLE)
    view.setModel(model)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setShowGrid(False)
    view.verticalHeader().hide()
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.resize(760, 240)
    for column, width in enumerate((220, 160, 90, 120)):
        view.setColumnWidth(column, width)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view


def _painted(view: QTableView) -> QImage:
    view.viewport().repaint()
    return view.viewport().grab().toImage()


def _as_qt_paints(view: QTableView) -> QImage:
    """The same view painted by Qt's own delegate."""
    ours = view.itemDelegate()
    view.setItemDelegate(QStyledItemDelegate(view))
    image = _painted(view)
    view.setItemDelegate(ours)
    return image


def _same(view: QTableView) -> None:
    ours = _painted(view)
    qt = _as_qt_paints(view)
    assert ours.size() == qt.size()
    differing = sum(ours.pixel(x, y) != qt.pixel(x, y)
                    for y in range(ours.height()) for x in range(ours.width()))
    assert differing == 0


@VIEWS
def test_cells_look_as_qt_paints_them(qtbot: QtBot, kind: type[QTableView]) -> None:
    view = _table(qtbot, _model(), kind)
    TextCellDelegate(view)
    selection = view.selectionModel()
    for row in (1, 2):  # a plain row and an italic one, selected
        selection.select(view.model().index(row, 0), QItemSelectionModel.SelectionFlag.Select
                         | QItemSelectionModel.SelectionFlag.Rows)
    _same(view)
    # A stranger's markup is shown as typed, not as bold and italics.
    assert view.model().index(2, 0).data() == "<b>João</b> & <i>Érica</i>"


@VIEWS
def test_a_name_too_long_is_elided_and_shown_whole_when_hovered(
        qtbot: QtBot, kind: type[QTableView]) -> None:
    view = _table(qtbot, _model(), kind)
    TextCellDelegate(view)
    _same(view)
    cell = view.visualRect(view.model().index(1, 0))
    spot = cell.center()
    QApplication.sendEvent(view.viewport(), QHelpEvent(
        QEvent.Type.ToolTip, spot, view.viewport().mapToGlobal(spot)))
    qtbot.waitUntil(QToolTip.isVisible, timeout=2000)
    assert QToolTip.text() == LONG
    QToolTip.hideText()
    qtbot.waitUntil(lambda: not QToolTip.isVisible(), timeout=2000)
    # A text that fits has no tooltip.
    short = view.visualRect(view.model().index(0, 0)).center()
    QApplication.sendEvent(view.viewport(), QHelpEvent(
        QEvent.Type.ToolTip, short, view.viewport().mapToGlobal(short)))
    qtbot.wait(50)
    assert not QToolTip.isVisible()


@VIEWS
def test_cells_follow_the_model_and_the_columns(qtbot: QtBot, kind: type[QTableView]) -> None:
    model = _model()
    view = _table(qtbot, model, kind)
    TextCellDelegate(view)
    _painted(view)
    model.item(0, 0).setText("Ana Lima Pereira")  # a change of data
    model.item(3, 3).setForeground(QColor("#d97706"))
    _same(view)
    model.insertRow(0, [QStandardItem(t) for t in ("Bruno Dias", "04/12/2026 11:00",
                                                   "50 min", "Scheduled")])
    _same(view)
    model.removeRow(2)
    _same(view)
    view.setColumnWidth(0, 90)  # narrower: each name elided again at the new width
    _same(view)
    view.setColumnWidth(0, 400)  # wider: whole again
    _same(view)
    model.setRowCount(0)
    model.appendRow([QStandardItem(t) for t in ("Carla Melo", "", "", "")])
    _same(view)


@VIEWS
def test_a_cell_with_an_icon_is_painted_by_qt(qtbot: QtBot, kind: type[QTableView]) -> None:
    model = _model()
    icon = QPixmap(12, 12)
    icon.fill(QColor("#16a34a"))
    model.item(0, 0).setIcon(QIcon(icon))
    model.item(3, 1).setCheckable(True)
    model.item(3, 1).setCheckState(Qt.CheckState.Checked)
    model.item(1, 1).setBackground(QColor("#fef3c7"))
    view = _table(qtbot, model, kind)
    TextCellDelegate(view)
    _same(view)
    # The icon is there: green pixels at the cell's left.
    image = _painted(view)
    rect = view.visualRect(model.index(0, 0))
    greens = sum(QColor(image.pixel(x, y)).name() == "#16a34a"
                 for y in range(rect.top(), rect.bottom())
                 for x in range(rect.left(), rect.left() + 30))
    assert greens >= 100


def test_a_change_below_the_view_leaves_the_rows_in_view_as_worked_out(qtbot: QtBot) -> None:
    """Rows read ahead below the view (a page arriving) do not make the rows in view
    be asked and laid out again; a row that changed is."""
    from PySide6.QtCore import QAbstractTableModel, QModelIndex

    class Counted(QAbstractTableModel):
        def __init__(self) -> None:
            super().__init__()
            self.texts = [[f"Cliente {r}", f"{r:02}/12/2026 09:00", "50 min", "Agendada"]
                          for r in range(200)]
            self.asked: list[int] = []  # rows whose text was asked for

        def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
            return 0 if parent.isValid() else len(self.texts)

        def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
            return 0 if parent.isValid() else 4

        def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
            if role == Qt.ItemDataRole.DisplayRole:
                self.asked.append(index.row())
                return self.texts[index.row()][index.column()]
            return None

        def change(self, first: int, last: int, text: str) -> None:
            for row in range(first, last + 1):
                self.texts[row][0] = text
            self.dataChanged.emit(self.index(first, 0), self.index(last, 3))

    model = Counted()
    view = _table(qtbot, model)  # type: ignore[arg-type]
    TextCellDelegate(view)
    _painted(view)
    in_view = view.rowAt(view.viewport().height() - 1)
    assert in_view >= 3
    model.asked.clear()
    model.change(in_view + 20, in_view + 80, "Lida depois")  # a page below the view
    _painted(view)
    assert model.asked == []
    model.change(1, 1, "Bruno Dias")  # a row in view changed: laid out again
    _painted(view)
    assert set(model.asked) == {1}
    _same(view)



class _Looked(QAbstractTableModel):
    """Rows of a list whose words repeat, given both by the roles Qt's delegate
    asks for and by look() in one call (as the session list gives them)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows = [(f"Cliente {r}", "Agendada" if r % 3 else "Cancelada", "50 min")
                     for r in range(12)]
        self.colours = {"Agendada": QColor("#2563eb"), "Cancelada": QColor("#dc2626")}
        self.italic = QFont()
        self.italic.setItalic(True)

    def rowCount(self, parent: Any = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Any = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 3

    def look(self, row: int, column: int) -> Any:
        name, status, minutes = self.rows[row]
        return ((name, status, minutes)[column],
                self.colours[status] if column == 1 else None,
                self.italic if status == "Cancelada" else None,
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if column == 2 else None)

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        text, colour, font, alignment = self.look(index.row(), index.column())
        return {Qt.ItemDataRole.DisplayRole: text, Qt.ItemDataRole.ForegroundRole: colour,
                Qt.ItemDataRole.FontRole: font,
                Qt.ItemDataRole.TextAlignmentRole: alignment}.get(Qt.ItemDataRole(role))

    def renew(self, **changes: Any) -> None:
        self.beginResetModel()
        for name, value in changes.items():
            setattr(self, name, value)
        self.endResetModel()


def test_cells_alike_are_worked_out_once_and_again_when_what_they_show_changes(
        qtbot: QtBot) -> None:
    """A word shown in many rows (a status, a duration) is worked out once for all
    of them and for the answers after; each row still looks as Qt's delegate paints
    it when that word takes another colour or font, its column another width, or
    the table another style sheet or font."""
    model = _Looked()
    view = _table(qtbot, model)  # type: ignore[arg-type]
    delegate = TextCellDelegate(view)
    _same(view)
    cells = delegate._cells
    assert cells[(1, 1)] is cells[(2, 1)] and cells[(1, 2)] is cells[(2, 2)]
    assert cells[(0, 1)] is cells[(3, 1)] and cells[(0, 2)] is not cells[(1, 2)]  # italic
    model.renew(rows=list(reversed(model.rows)))  # another answer, the same words
    _painted(view)
    assert all(any(cell is kept for kept, _colour, _font in delegate._alike.values())
               for cell in (cells[(0, 1)], cells[(0, 2)]))
    _same(view)
    model.renew(colours={"Agendada": QColor("#059669"), "Cancelada": QColor("#dc2626")})
    _same(view)
    bold = QFont()
    bold.setBold(True)
    model.renew(italic=bold)
    _same(view)
    view.setColumnWidth(1, 40)  # "Agendada" elided
    _same(view)
    view.setStyleSheet("")  # Qt's own style: other colours and margins
    model.renew()
    _same(view)
    big = QFont(view.font())
    big.setPointSize(big.pointSize() + 5)
    view.setFont(big)  # the words measured and placed again, the bold ones too
    model.renew()
    _same(view)

def test_a_steady_header_measures_its_titles_once_and_again_when_they_change(
        qtbot: QtBot) -> None:
    """A reset model leaves the header's size as measured; new titles, a larger font
    or another sorted column are measured again, to Qt's own figure."""
    from PySide6.QtWidgets import QHeaderView

    from app.ui.steady_header import SteadyHeader

    model = _model()
    view = _table(qtbot, model)
    header = SteadyHeader(view)
    view.setHorizontalHeader(header)
    view.setSortingEnabled(True)

    def as_qt_measures() -> int:
        plain = QHeaderView(Qt.Orientation.Horizontal, view)  # under the view's style sheet
        plain.setModel(model)
        plain.setFont(header.font())
        plain.ensurePolished()
        plain.setSortIndicatorShown(header.isSortIndicatorShown())
        plain.setSortIndicator(header.sortIndicatorSection(), header.sortIndicatorOrder())
        return plain.sizeHint().height()

    first = header.sizeHint()
    assert first.height() == as_qt_measures() > 0
    model.setRowCount(0)  # a reset: the same titles, not measured again
    assert header.sizeHint() == first
    big = QFont(header.font())
    big.setPointSize(big.pointSize() * 2)
    header.setFont(big)
    assert header.sizeHint().height() == as_qt_measures() > first.height()
    model.setHorizontalHeaderLabels(["Cliente\nnovo", "Quando", "Duração", "Estado"])
    assert header.sizeHint().height() == as_qt_measures()
    assert header.sectionsClickable()
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=header.rect().topLeft() + QPoint(header.sectionPosition(2) + 5, 5))
    assert header.sortIndicatorSection() == 2



class _Titled(QAbstractTableModel):
    """Rows of texts under titles that change only with a reset (no headerDataChanged)."""

    def __init__(self, titles: list[str]) -> None:
        super().__init__()
        self.titles = titles

    def rowCount(self, parent: Any = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 3

    def columnCount(self, parent: Any = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.titles)

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        return f"{index.row()}·{index.column()}" \
            if role == Qt.ItemDataRole.DisplayRole else None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.titles[section]
        return None

    def reset_to(self, titles: list[str]) -> None:
        self.beginResetModel()
        self.titles = titles
        self.endResetModel()


def test_a_steady_header_is_painted_again_on_a_reset_only_when_it_would_look_different(
        qtbot: QtBot) -> None:
    """A new answer under the same titles leaves the header's pixels as they were,
    without painting them again; a reset that drops a selection lighting the
    titles, or brings other titles or another number of them, paints it again.
    Each time, what is on screen is what a header painted afresh shows."""
    from app.ui.steady_header import SteadyHeader

    model = _Titled(["Client", "When", "Duration", "Status"])
    view = TextTable()  # Qt's style, which lights the titles over a selection
    header = SteadyHeader(view)
    view.setHorizontalHeader(header)
    view.setModel(model)
    TextCellDelegate(view)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.resize(600, 200)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    painted = [0]

    class Paints(QObject):
        def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                painted[0] += 1
            return False

    paints = Paints(view)
    header.viewport().installEventFilter(paints)

    def on_screen() -> QImage:
        for _ in range(3):
            QApplication.processEvents()
        shot = QApplication.primaryScreen().grabWindow(view.winId()).toImage()
        return shot.copy(header.geometry())

    def as_painted_afresh() -> QImage:
        header.viewport().repaint()
        return on_screen()

    def reset(titles: list[str]) -> int:
        on_screen()
        before = painted[0]
        model.reset_to(titles)
        shown, paints = on_screen(), painted[0] - before
        assert shown == as_painted_afresh()
        return paints

    assert reset(list(model.titles)) == 0  # the same titles, nothing lit
    view.selectRow(1)
    lit = on_screen()
    assert reset(list(model.titles)) > 0  # the selection that lit them is gone
    assert on_screen() != lit
    assert reset(list(model.titles)) == 0
    assert reset(["Cliente", "Quando", "Duração", "Estado"]) > 0
    assert reset(["Cliente", "Quando", "Duração"]) > 0
    assert reset(["Cliente", "Quando", "Duração"]) == 0

def _same_in(view: QTableView, area: QRect) -> None:
    """Painted by the row and by Qt's table and delegate alike when only `area` is
    painted."""
    def render() -> QImage:
        image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32)
        image.fill(QColor("#ff00ff"))
        view.viewport().render(image, QPoint(), QRegion(area))
        return image

    ours = render()
    by_row = view.itemDelegate()
    view.setItemDelegate(QStyledItemDelegate(view))  # Qt's table paints, cell by cell
    qt = render()
    view.setItemDelegate(by_row)
    assert ours == qt


def test_a_table_painted_by_row_looks_as_qt_paints_it_cell_by_cell(qtbot: QtBot) -> None:
    """Cells selected one by one, a cell disabled, an icon, columns hidden, moved
    and scrolled sideways, a part of the table painted: as Qt's table paints them."""
    model = _model()
    model.item(2, 1).setEnabled(False)
    model.item(0, 2).setEnabled(False)
    model.item(3, 0).setEnabled(False)  # in a row not selected
    icon = QPixmap(12, 12)
    icon.fill(QColor("#16a34a"))
    model.item(1, 3).setIcon(QIcon(icon))
    for row in range(12):  # rows enough to scroll
        model.appendRow([QStandardItem(f"{t} {row}") for t in ("Cliente", "Quando", "50",
                                                                "Agendada")])
    view = _table(qtbot, model)
    TextCellDelegate(view)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectItems)
    selection = view.selectionModel()
    for row, column in ((0, 1), (2, 3), (2, 1), (1, 3)):
        selection.select(model.index(row, column), QItemSelectionModel.SelectionFlag.Select)
    model.item(4, 2).setEnabled(False)  # in a row selected whole
    selection.select(model.index(4, 0), QItemSelectionModel.SelectionFlag.Select
                     | QItemSelectionModel.SelectionFlag.Rows)
    _same(view)
    view.resize(380, 200)  # narrower than its columns: scrolled sideways and down
    view.horizontalScrollBar().setValue(view.horizontalScrollBar().maximum() // 2)
    view.verticalScrollBar().setValue(3)
    _same(view)
    view.horizontalHeader().moveSection(3, 0)
    view.setColumnHidden(1, True)
    _same(view)
    row = view.visualRect(model.index(5, 0))
    _same_in(view, QRect(0, row.top(), view.viewport().width(), row.height()))
    _same_in(view, QRect(40, 10, 90, 35))  # a corner of a few cells
    # The table falls back to Qt's own painting where it is not made for it.
    view.setShowGrid(True)
    _same(view)


def test_a_table_painted_by_row_asks_the_model_nothing_for_cells_worked_out(
        qtbot: QtBot) -> None:
    """Qt's table asks the model its size for every cell it paints (two trips into
    Python each); a table painted by row asks for none once its cells are known."""
    from PySide6.QtCore import QAbstractTableModel, QModelIndex

    class Counted(QAbstractTableModel):
        asked = 0

        def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
            self.asked += 1
            return 0 if parent.isValid() else 40

        def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
            self.asked += 1
            return 0 if parent.isValid() else 4

        def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
            return f"{index.row()}, {index.column()}" if role == Qt.ItemDataRole.DisplayRole \
                else None

    for kind, at_most in ((QTableView, None), (TextTable, 4)):
        model = Counted()
        view = _table(qtbot, model, kind)  # type: ignore[arg-type]
        TextCellDelegate(view)
        _painted(view)
        model.asked = 0
        _painted(view)
        cells = 4 * (view.rowAt(view.viewport().height() - 1) + 1)
        if at_most is None:
            assert model.asked >= cells
        else:
            assert model.asked <= at_most
