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


class SessionListModel(QAbstractTableModel):
    """Rows of one listing. `fetch(offset)` is called (by the page) to read the
    next page off the GUI thread; `append()` takes it back. A new listing
    (`reset()`) drops any page still on its way."""

    def __init__(self, fetch: Callable[[int], None], phone: Callable[[str | None], str],
                 on_sort: Callable[[str, bool], None]) -> None:
        super().__init__()
        self.rows: list[AppointmentView] = []
        self.total = 0
        self.generation = 0  # which listing the rows belong to
        self._fetching = False
        self._fetch, self._phone, self._on_sort = fetch, phone, on_sort

    # ------------------------------------------------------------ filling

    def reset(self, total: int, first: list[AppointmentView]) -> None:
        self.beginResetModel()
        self.generation += 1
        self.rows, self.total, self._fetching = list(first), total, False
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
            return headers()[section]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """A click on a column's header: the listing is asked again in that order."""
        if 0 <= column < len(SORTS):
            self._on_sort(SORTS[column], order == Qt.SortOrder.DescendingOrder)

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        v = self.rows[index.row()]
        key = SORTS[index.column()]
        if role == ID_ROLE:
            return v.id
        if role == DISPLAY:
            return {
                "client": lambda: v.client_name,
                "phone": lambda: self._phone(v.client_phone),
                "service": lambda: v.service_name,
                "start": lambda: i18n.format_datetime(v.start),
                "duration": lambda: _("{minutes} min").format(minutes=v.duration_minutes),
                "status": lambda: ("✓ " if v.status is S.CONFIRMED else "") +
                                  status_text(v.status, v.cancel_requested),
                "source": lambda: source_label(v.source),
                "staff": lambda: v.staff_name,
            }[key]()
        if role == Qt.ItemDataRole.ForegroundRole and key == "status":
            return QColor(STATUS_COLOURS[v.status])
        if role == Qt.ItemDataRole.FontRole and v.status in (S.CANCELLED, S.RESCHEDULED):
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and key == "duration":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
