"""The week's sessions as a Qt table model."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app import i18n
from app.i18n import _
from app.models.enums import AppointmentStatus
from app.services.queries import AppointmentView
from app.services.scheduling import status_label

STATUS_COLOURS = {
    AppointmentStatus.SCHEDULED: "#2563eb", AppointmentStatus.CONFIRMED: "#059669",
    AppointmentStatus.COMPLETED: "#4b5563", AppointmentStatus.CANCELLED: "#b91c1c",
    AppointmentStatus.RESCHEDULED: "#9ca3af", AppointmentStatus.NO_SHOW: "#d97706",
}

Index = QModelIndex | QPersistentModelIndex


class WeekModel(QAbstractTableModel):
    COLUMNS = ("when", "client", "service", "staff", "status")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[AppointmentView] = []

    def set_rows(self, rows: list[AppointmentView]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return [_("When"), _("Client"), _("Service"), _("Professional"), _("Status")][section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        v = self.rows[index.row()]
        column = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if column == "when":
                return (f"{i18n.format_date(v.start.date(), 'medium')}  "
                        f"{i18n.format_time(v.start)}–{i18n.format_time(v.end)}")
            if column == "client":
                return v.client_name
            if column == "service":
                return v.service_name
            if column == "staff":
                return v.staff_name
            return status_label(v.status)
        if role == Qt.ItemDataRole.ForegroundRole and column == "status":
            return QColor(STATUS_COLOURS[v.status])
        if role == Qt.ItemDataRole.UserRole:
            return v.id
        return None
