"""Qt item models for clients: the searchable directory and a client's sessions."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPen, QPixmap

from app import i18n
from app.i18n import _
from app.models.enums import AppointmentStatus as S
from app.services.clients import DirectoryRow
from app.services.queries import AppointmentView
from app.services.scheduling import status_text
from app.services.values import format_phone
from app.ui.style import STATUS_COLOURS
from app.ui.text_cells import Look

Index = QModelIndex | QPersistentModelIndex
DISPLAY = Qt.ItemDataRole.DisplayRole
ID_ROLE = Qt.ItemDataRole.UserRole


class RowsModel(QAbstractTableModel):
    """A flat table of `rows` under the `headers()` of a subclass. What a row
    shows is formatted once (`shown()`, the first time the view asks for it) and
    kept until the rows change: a view asks data() for every cell and role on
    every paint, and parsing phones and formatting dates each time made a search
    wait for its own table."""

    rows: list[Any]
    COLUMNS = 0

    def __init__(self) -> None:
        super().__init__()
        self._shown: dict[int, tuple[str, ...]] = {}
        self._headers: tuple[str, list[str]] = ("", [])

    def headers(self) -> list[str]:
        raise NotImplementedError

    def format_row(self, row: Any) -> tuple[str, ...]:
        """The texts of one row, one per column."""
        raise NotImplementedError

    def shown(self, index: int) -> tuple[str, ...]:
        texts = self._shown.get(index)
        if texts is None:
            texts = self._shown[index] = self.format_row(self.rows[index])
        return texts

    def forget_shown(self) -> None:
        """The rows' texts are formatted again when next asked (rows, region or
        language changed)."""
        self._shown.clear()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.COLUMNS

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY:
            language = i18n.current_language()
            if self._headers[0] != language:
                self._headers = (language, self.headers())
            return self._headers[1][section]
        return None


class DirectoryModel(RowsModel):
    COLUMNS = 5

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[DirectoryRow] = []
        self._region = "BR"

    @property
    def region(self) -> str:
        """The country whose way of writing phone numbers the table uses."""
        return self._region

    @region.setter
    def region(self, region: str) -> None:
        if region != self._region:
            self._region = region
            self.forget_shown()
            if self.rows:
                self.dataChanged.emit(self.index(0, 1), self.index(len(self.rows) - 1, 1))

    def headers(self) -> list[str]:
        return [_("Name"), _("Phone"), _("E-mail"), _("Next session"), _("No-show rate")]

    def set_rows(self, rows: list[DirectoryRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.forget_shown()
        self.endResetModel()

    def format_row(self, r: DirectoryRow) -> tuple[str, ...]:
        # No session due yet: no rate to speak of, not "0%".
        return (r.name, format_phone(r.phone, self._region), r.email or "",
                i18n.format_datetime(r.next_session) if r.next_session else "—",
                f"{round(r.no_show_rate * 100)}%" if r.no_show_rate is not None else "—")

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if role == DISPLAY:
            row = index.row()
            if index.isValid() and 0 <= row < len(self.rows):
                return self.shown(row)[index.column()]
        elif role == ID_ROLE and index.isValid() and 0 <= index.row() < len(self.rows):
            return self.rows[index.row()].id
        return None


    def look(self, row: int, column: int) -> Look | None:
        """A cell's text in one call (app/ui/text_cells.py): colour, font and
        alignment are the table's."""
        if not 0 <= row < len(self.rows):
            return None
        return (self.shown(row)[column], None, None, None)


def calendar_icon() -> QIcon:
    """The Sessões tab's confirm icon: a small calendar with a check."""
    pixmap = QPixmap(20, 20)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(QColor("#2563eb"), 1.5))
    p.setBrush(QColor("white"))
    p.drawRoundedRect(QRectF(2, 4, 16, 14), 2, 2)
    p.fillRect(QRectF(2, 4, 16, 4), QColor("#2563eb"))
    p.drawLine(6, 2, 6, 5)
    p.drawLine(14, 2, 14, 5)
    p.setPen(QPen(QColor("#059669"), 2))
    p.drawPolyline([QRectF(6, 12, 0, 0).topLeft(), QRectF(9, 15, 0, 0).topLeft(),
                    QRectF(14, 10, 0, 0).topLeft()])
    p.end()
    return QIcon(pixmap)


class SessionsModel(RowsModel):
    """A client's sessions, newest first; column 0 holds the confirm icon on the
    scheduled sessions still to come."""

    CONFIRM_COLUMN = 0
    COLUMNS = 5

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[AppointmentView] = []
        self.now = None
        self._icon: QIcon | None = None

    def headers(self) -> list[str]:
        return ["", _("When"), _("Service"), _("Professional"), _("Status")]

    def set_rows(self, rows: list[AppointmentView], now: Any) -> None:
        self.beginResetModel()
        self.rows = sorted(rows, key=lambda v: v.start, reverse=True)
        self.now = now
        self.forget_shown()
        self.endResetModel()

    def format_row(self, v: AppointmentView) -> tuple[str, ...]:
        return ("✓" if v.status is S.CONFIRMED else "",
                f"{i18n.format_datetime(v.start)}–{i18n.format_time(v.end)}",
                v.service_name, v.staff_name, status_text(v.status, v.cancel_requested))

    def confirmable(self, row: int) -> bool:
        v = self.rows[row]
        return v.status is S.SCHEDULED and not v.cancel_requested and self.now is not None \
            and v.start >= self.now

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        v = self.rows[index.row()]
        col = index.column()
        if role == ID_ROLE:
            return v.id
        if col == self.CONFIRM_COLUMN:
            if role == Qt.ItemDataRole.DecorationRole and self.confirmable(index.row()):
                if self._icon is None:
                    self._icon = calendar_icon()
                return self._icon
            if role == Qt.ItemDataRole.ToolTipRole and self.confirmable(index.row()):
                return _("Confirm appointment")
            if role == DISPLAY and v.status is S.CONFIRMED:
                return "✓"
            if role == Qt.ItemDataRole.ForegroundRole and v.status is S.CONFIRMED:
                return QColor(STATUS_COLOURS[S.CONFIRMED])
            return None
        if role == DISPLAY:
            return self.shown(index.row())[col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 4:
            return QColor(STATUS_COLOURS[v.status])
        if role == Qt.ItemDataRole.FontRole and v.status in (S.CANCELLED, S.RESCHEDULED):
            font = QFont()
            font.setItalic(True)
            return font
        return None
