"""The Qt model of the list of sessions: a row for every session of the listing,
read a page at a time when the view first shows a row of it, so a practice with a
hundred thousand sessions opens the list as fast as one with ten, its scroll bar
measures the whole list, and Ctrl+End or a drag of the bar goes anywhere in it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from app import i18n
from app.i18n import _
from app.models.enums import AppointmentStatus as S
from app.services import session_list
from app.services.queries import AppointmentView
from app.services.scheduling import source_label, status_text
from app.services.session_list import SORTS
from app.ui.style import STATUS_COLOURS
from app.ui.text_cells import Look

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
    """Rows of one listing, `rows` holding those read (by row number). Rows are read
    by pages of session_list.PAGE from a multiple of it: `fetch(offset, limit)` is
    called to read the rows of a page not read yet (the first answer may hold its
    start) off the GUI thread, the first time a row of it is asked for; `fill()`
    takes them back. A new listing (`reset()`) drops
    any page still on its way.

    A row's texts are formatted the first time the view asks for them and kept
    (the view asks for every cell and role on each paint and scroll step); its
    colour and font are made once per status."""

    def __init__(self, fetch: Callable[[int, int], None], phone: Callable[[str | None], str],
                 on_sort: Callable[[str, bool], None]) -> None:
        super().__init__()
        self.rows: dict[int, AppointmentView] = {}
        self.total = 0
        self.generation = 0  # which listing the rows belong to
        self._asked: set[int] = set()  # offsets of pages on their way
        self._blank: set[int] = set()  # rows asked for (shown blank) before they were read
        self._fetch, self._phone, self._on_sort = fetch, phone, on_sort
        self._shown: dict[int, tuple[str, ...]] = {}
        self._headers: tuple[str, list[str]] = ("", [])
        self._colours = {status: QColor(colour) for status, colour in STATUS_COLOURS.items()}
        self._italic = QFont()
        self._italic.setItalic(True)

    # ------------------------------------------------------------ filling

    def reset(self, total: int, read: list[AppointmentView], at: int = 0) -> None:
        """A new listing of `total` sessions, of which `read` from row `at`."""
        self.beginResetModel()
        self.generation += 1
        self.rows = dict(enumerate(read, start=at))
        self.total = max(total, at + len(read))
        self._asked.clear()
        self._blank.clear()
        self._shown.clear()
        self.endResetModel()

    def fill(self, generation: int, offset: int, rows: list[AppointmentView],
             limit: int = session_list.PAGE) -> None:
        """`limit` rows asked from `offset`, read. Fewer rows than asked where the
        list should go on means sessions went away meanwhile: the list ends there.
        Only those of them asked for before (shown blank) are said to have
        changed: the view repaints what it showed, not its whole screen for rows
        read ahead out of sight."""
        if generation != self.generation:
            return  # a page of a listing no longer shown
        self._asked.discard(offset - offset % session_list.PAGE)
        end = offset + len(rows)
        if rows:
            self.rows.update(enumerate(rows, start=offset))
            for row in range(offset, end):
                self._shown.pop(row, None)
            seen = [row for row in range(offset, end) if row in self._blank]
            for row in seen:
                self._blank.discard(row)
            if seen:
                self.dataChanged.emit(self.index(seen[0], 0),
                                      self.index(seen[-1], len(SORTS) - 1))
        if len(rows) < limit and end < self.total:
            self.beginRemoveRows(QModelIndex(), end, self.total - 1)
            self.rows = {r: v for r, v in self.rows.items() if r < end}
            self.total = end
            self.endRemoveRows()

    def want(self, row: int) -> None:
        """Have the page holding `row` read, unless it is read or on its way."""
        if not 0 <= row < self.total or row in self.rows:
            return
        offset = row - row % session_list.PAGE
        if offset in self._asked:
            return
        self._asked.add(offset)
        # Only the page's rows not read yet: those before and after them may be.
        end = min(offset + session_list.PAGE, self.total)
        first = next(r for r in range(offset, end) if r not in self.rows)
        last = next(r for r in range(end - 1, first - 1, -1) if r not in self.rows)
        self._fetch(first, last + 1 - first)

    def want_between(self, first: int, last: int) -> None:
        """Have the rows from `first` to `last` (inclusive) read, a page at a time."""
        first, last = max(first, 0), min(last, self.total - 1)
        for offset in range(first - first % session_list.PAGE, last + 1, session_list.PAGE):
            if offset in self._asked:
                continue
            row = next((r for r in range(max(offset, first),
                                         min(offset + session_list.PAGE, last + 1))
                        if r not in self.rows), None)
            if row is not None:
                self.want(row)

    def loaded(self) -> list[tuple[int, AppointmentView]]:
        """The rows read, with their numbers."""
        return sorted(self.rows.items())

    # ------------------------------------------------------------ reading

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.total

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
        if not index.isValid() or not 0 <= row < self.total:
            return None
        v = self.rows.get(row)
        if v is None:  # shown before its page is read: blank until it comes
            self._blank.add(row)
            self.want(row)
            return None
        if role == DISPLAY:
            texts = self._shown.get(row)
            if texts is None:
                texts = self._shown[row] = self._format(v)
            return texts[index.column()]
        if role == ID_ROLE:
            return v.id
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._colours[v.status] if index.column() == STATUS else None
        if role == Qt.ItemDataRole.FontRole:
            return self._italic if v.status in (S.CANCELLED, S.RESCHEDULED) else None
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == DURATION:
            return RIGHT_MIDDLE
        return None

    def look(self, row: int, column: int) -> Look | None:
        """A cell's text, colour, font and alignment in one call (app/ui/text_cells.py);
        None for a row not read yet (its page is asked for)."""
        v = self.rows.get(row)
        if v is None:
            self._blank.add(row)
            self.want(row)
            return None
        texts = self._shown.get(row)
        if texts is None:
            texts = self._shown[row] = self._format(v)
        return (texts[column], self._colours[v.status] if column == STATUS else None,
                self._italic if v.status in (S.CANCELLED, S.RESCHEDULED) else None,
                RIGHT_MIDDLE if column == DURATION else None)

    def _format(self, v: AppointmentView) -> tuple[str, ...]:
        """One session's texts, in SORTS order."""
        return (v.client_name, self._phone(v.client_phone), v.service_name,
                i18n.format_datetime(v.start),
                _("{minutes} min").format(minutes=v.duration_minutes),
                ("✓ " if v.status is S.CONFIRMED else "") +
                status_text(v.status, v.cancel_requested),
                source_label(v.source), v.staff_name)
