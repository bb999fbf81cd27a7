"""The Qt model of the list of sessions: it holds only the rows read so far and
asks for the next page as the view scrolls (canFetchMore/fetchMore), so a
practice with a hundred thousand sessions opens the list as fast as one with ten."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from app import i18n
from app.i18n import _
from app.models.enums import AppointmentStatus as S
from app.services.queries import AppointmentView
from app.services.scheduling import source_label, status_text
from app.services.session_list import SORTS
from app.ui.style import STATUS_COLOURS

Index = QModelIndex | QPersistentModelIndex
DISPLAY = Qt.ItemDataRole.DisplayRole
ID_ROLE = Qt.ItemDataRole.UserRole


def headers() -> list[str]:
    """Seed 002's columns, in SORTS order."""
    return [_("Client"), _("Phone"), _("Service"), _("Date and time"), _("Duration"),
            _("Status"), _("Origin"), _("Professional")]


RIGHT_MIDDLE = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
DURATION = SORTS.index("duration")
STATUS = SORTS.index("status")


class SessionListModel(QAbstractTableModel):
    """Rows of one listing. `fetch(offset)` is called (by the page) to read the
    next page off the GUI thread; `append()` takes it back. A new listing
    (`reset()`) drops any page still on its way.

    A row's texts are formatted the first time the view asks for them and kept
    (the view asks for every cell and role on each paint and scroll step); its
    colour and font are made once per status."""

    def __init__(self, fetch: Callable[[int], None], phone: Callable[[str | None], str],
                 on_sort: Callable[[str, bool], None]) -> None:
        super().__init__()
        self.rows: list[AppointmentView] = []
        self.total = 0
        self.generation = 0  # which listing the rows belong to
        self._fetching = False
        self._fetch, self._phone, self._on_sort = fetch, phone, on_sort
        self._shown: dict[int, tuple[str, ...]] = {}
        self._headers: tuple[str, list[str]] = ("", [])
        self._colours = {status: QColor(colour) for status, colour in STATUS_COLOURS.items()}
        self._italic = QFont()
        self._italic.setItalic(True)

    # ------------------------------------------------------------ filling

    def reset(self, total: int, first: list[AppointmentView]) -> None:
        self.beginResetModel()
        self.generation += 1
        self.rows, self.total, self._fetching = list(first), total, False
        self._shown.clear()
        self.endResetModel()

    def append(self, generation: int, rows: list[AppointmentView]) -> None:
        if generation != self.generation:
            return  # a page of a listing no longer shown
        self._fetching = False
        if not rows:
            self.total = len(self.rows)
            return
        start = len(self.rows)
        self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
        self.rows.extend(rows)
        self.endInsertRows()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self.rows) < self.total and not self._fetching

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._fetching = True
            self._fetch(len(self.rows))

    # ------------------------------------------------------------ reading

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(SORTS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY:
            language = i18n.current_language()
            if self._headers[0] != language:
                self._headers = (language, headers())
            return self._headers[1][section]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """A click on a column's header: the listing is asked again in that order."""
        if 0 <= column < len(SORTS):
            self._on_sort(SORTS[column], order == Qt.SortOrder.DescendingOrder)

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        row = index.row()
        if not index.isValid() or not 0 <= row < len(self.rows):
            return None
        if role == DISPLAY:
            texts = self._shown.get(row)
            if texts is None:
                texts = self._shown[row] = self._format(self.rows[row])
            return texts[index.column()]
        if role == ID_ROLE:
            return self.rows[row].id
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._colours[self.rows[row].status] if index.column() == STATUS else None
        if role == Qt.ItemDataRole.FontRole:
            return self._italic if self.rows[row].status in (S.CANCELLED, S.RESCHEDULED) \
                else None
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == DURATION:
            return RIGHT_MIDDLE
        return None

    def _format(self, v: AppointmentView) -> tuple[str, ...]:
        """One session's texts, in SORTS order."""
        return (v.client_name, self._phone(v.client_phone), v.service_name,
                i18n.format_datetime(v.start),
                _("{minutes} min").format(minutes=v.duration_minutes),
                ("✓ " if v.status is S.CONFIRMED else "") +
                status_text(v.status, v.cancel_requested),
                source_label(v.source), v.staff_name)
