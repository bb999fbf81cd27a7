"""The month view: six weeks of day cells, each listing its sessions in order;
a click opens a session, a double-click on a day shows that day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from app import i18n
from app.i18n import _
from app.models.enums import AppointmentStatus as S
from app.services.queries import AppointmentView
from app.ui.plain import name_forms
from app.ui.style import LINE, MUTED, status_colour

HEADER = 26
LINE_HEIGHT = 17


class MonthGrid(QWidget):
    opened = Signal(int)
    day_requested = Signal(object)  # date

    def __init__(self, zone: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.zone = zone
        self.month = date.today().replace(day=1)
        self.first = self.month
        self.today: date | None = None
        self.by_day: dict[date, list[AppointmentView]] = {}
        self.times: dict[int, tuple[str, str]] = {}
        self.setMinimumSize(600, 420)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(42)]

    def set_month(self, month: date) -> None:
        if month.replace(day=1) == self.month and self.by_day:
            return
        self.month = month.replace(day=1)
        self.first = self.month - timedelta(days=self.month.weekday())
        self.by_day = {}
        self.update()

    def set_sessions(self, views: Sequence[AppointmentView],
                     times: dict[int, tuple[str, str]] | None = None) -> None:
        self.times = times or {}
        self.by_day = {}
        for v in sorted(views, key=lambda v: v.start):
            self.by_day.setdefault(v.start.astimezone(self.zone).date(), []).append(v)
        self.update()

    def _cell(self, index: int) -> QRectF:
        w = self.width() / 7
        h = (self.height() - HEADER) / 6
        return QRectF((index % 7) * w, HEADER + (index // 7) * h, w, h)

    def _lines(self, cell: QRectF) -> int:
        return max(0, int((cell.height() - 22) // LINE_HEIGHT))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        bold = QFont()
        bold.setBold(True)
        bold.setPointSize(8)
        small = QFont()
        small.setPointSize(8)
        w = self.width() / 7
        painter.setFont(bold)
        painter.setPen(QColor(MUTED))
        for i in range(7):
            painter.drawText(QRectF(i * w, 0, w, HEADER), Qt.AlignmentFlag.AlignCenter,
                             i18n.weekday_name(i).upper())
        for index, day in enumerate(self.days):
            cell = self._cell(index)
            if day == self.today:
                painter.fillRect(cell, QColor("#eff6ff"))
            elif day.month != self.month.month:
                painter.fillRect(cell, QColor("#f8fafc"))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QColor(LINE))
            painter.drawRect(cell)
            painter.setFont(bold)
            painter.setPen(QColor("#1d4ed8" if day == self.today else
                                  ("#0f172a" if day.month == self.month.month else "#94a3b8")))
            painter.drawText(cell.adjusted(6, 3, -6, 0),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, str(day.day))
            views = self.by_day.get(day, [])
            room = self._lines(cell)
            shown = views if len(views) <= room else views[: max(0, room - 1)]
            painter.setFont(small)
            for n, v in enumerate(shown):
                line = QRectF(cell.left() + 6, cell.top() + 20 + n * LINE_HEIGHT,
                              cell.width() - 10, LINE_HEIGHT - 2)
                colour = status_colour(v.status)
                painter.setBrush(colour)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.drawEllipse(QPointF(line.left() + 4, line.center().y()), 3.5, 3.5)
                faded = v.status in (S.CANCELLED, S.RESCHEDULED)
                painter.setPen(QColor("#94a3b8" if faded else "#0f172a"))
                start = self.times[v.id][0] if v.id in self.times else \
                    i18n.format_time(v.start)
                mark = "✓ " if v.status is S.CONFIRMED else ""
                room, metrics = int(line.width() - 12), painter.fontMetrics()
                # The name in the longest form that fits (Mariana Costa, Mariana C.,
                # Mariana), eliding only the last.
                forms = [f"{mark}{start} {name}" for name in name_forms(v.client_name)]
                text = next((f for f in forms if metrics.horizontalAdvance(f) <= room),
                            None) or metrics.elidedText(forms[-1], Qt.TextElideMode.ElideRight,
                                                        room)
                painter.drawText(line.adjusted(12, 0, 0, 0),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                                 text)
            if len(shown) < len(views):
                painter.setPen(QColor(MUTED))
                painter.drawText(QRectF(cell.left() + 18,
                                        cell.top() + 20 + len(shown) * LINE_HEIGHT,
                                        cell.width() - 20, LINE_HEIGHT),
                                 Qt.AlignmentFlag.AlignLeft,
                                 _("+{n} more").format(n=len(views) - len(shown)))
        painter.end()

    def _hit(self, pos: QPointF) -> tuple[date | None, AppointmentView | None]:
        for index, day in enumerate(self.days):
            cell = self._cell(index)
            if not cell.contains(pos):
                continue
            n = int((pos.y() - cell.top() - 20) // LINE_HEIGHT)
            views = self.by_day.get(day, [])
            room = self._lines(cell)
            shown = views if len(views) <= room else views[: max(0, room - 1)]
            if pos.y() >= cell.top() + 20 and 0 <= n < len(shown):
                return day, shown[n]
            return day, None
        return None, None

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        _day, view = self._hit(event.position())
        if view is not None and event.button() == Qt.MouseButton.LeftButton:
            self.opened.emit(view.id)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        day, view = self._hit(event.position())
        if day is not None and view is None:
            self.day_requested.emit(day)
