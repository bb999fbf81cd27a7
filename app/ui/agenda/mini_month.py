"""The small month beside the agenda: a glance at the month and a way to jump to a
day. Painted by one widget (QCalendarWidget is a dozen widgets, a model and a menu,
and took a tenth of the window's start to make and lay out). The days the agenda
shows are shaded, today is in the accent's colour, the chosen day filled.

The wheel over it scrolls the column it sits in; it never turns the month (a
person scrolling down the column would otherwise leave the month they were on)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from PySide6.QtCore import QCoreApplication, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from app import i18n
from app.i18n import _
from app.ui.style import ACCENT, INK, LINE, MUTED
from app.ui.wheel_guard import scroll_area_around

ARROW_WIDTH = 30  # the ‹ and › at either end of the month's name
PERIOD_FILL = QColor("#eff6ff")  # the days the agenda shows
OUTSIDE_INK = QColor("#cbd5e1")  # days of the months before and after
HOVER_FILL = QColor("#f1f5f9")
# Keys that move the chosen day, in days.
STEPS: dict[int, int] = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1,
                         Qt.Key.Key_Up: -7, Qt.Key.Key_Down: 7}


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), kept inside a shorter month
    (31 January + 1 → 28 or 29 February)."""
    return day + relativedelta(months=months)  # type: ignore[no-any-return]


class MiniMonth(QWidget):
    """picked(date): a day clicked, or chosen with the keys (arrows: a day or a
    week; Page Up/Down: a month; Home/End: the month's first and last day)."""

    picked = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Tab and click; never the wheel
        self.setMouseTracking(True)  # the day under the pointer is lit
        # Painted again as the pointer leaves, so the lit day goes out (underMouse).
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)
        self.setAccessibleName(_("Month"))
        self._selected = date.today()
        self._today = self._selected
        self._month = self._selected.replace(day=1)
        self._period: frozenset[date] = frozenset()
        self._hover: date | None = None
        self._font = QFont(self.font())
        self._font.setPointSize(9)
        self._bold = QFont(self._font)
        self._bold.setBold(True)
        self._title_font = QFont(self._bold)
        self._title_font.setPointSize(10)
        self._arrow_font = QFont(self._font)
        self._arrow_font.setPointSize(15)
        self._row = QFontMetrics(self._font).height() + 10
        self._texts()

    # ------------------------------------------------------------ state

    def set_selected(self, day: date) -> None:
        """The chosen day, its month shown."""
        month = day.replace(day=1)
        if day == self._selected and month == self._month:
            return
        self._selected = day
        if month != self._month:
            self._month = month
            self._texts()
        self.update()

    def selected(self) -> date:
        return self._selected

    def shown_month(self) -> date:
        """The first day of the month shown."""
        return self._month

    def set_today(self, day: date) -> None:
        if day != self._today:
            self._today = day
            self.update()

    def set_period(self, days: list[date]) -> None:
        """The days the agenda shows, shaded (a month view shades none: it is the
        whole month)."""
        period = frozenset(days) if len(days) <= 7 else frozenset()
        if period != self._period:
            self._period = period
            self.update()

    def show_month(self, months: int) -> None:
        """Turn the month shown by `months`, keeping the chosen day."""
        self._month = add_months(self._month, months)
        self._texts()
        self.update()

    def _texts(self) -> None:
        self._title = i18n.first_upper(i18n.format_date(self._month, "LLLL y"))
        self._initials = [i18n.weekday_name(i, "narrow") for i in range(7)]
        self.setAccessibleDescription(self._title)

    # ------------------------------------------------------------ geometry

    def sizeHint(self) -> QSize:
        return QSize(250, self._row * 8 + 8)  # the month's name, the weekdays, six weeks

    def minimumSizeHint(self) -> QSize:
        return QSize(7 * 24, self.sizeHint().height())

    def _cell(self) -> float:
        return (self.width() - 2) / 7

    def _first_shown(self) -> date:
        """The Monday on or before the month's first day: the grid's first cell."""
        return self._month - timedelta(days=self._month.weekday())

    def _day_rect(self, index: int) -> QRectF:
        cell = self._cell()
        row, column = divmod(index, 7)
        return QRectF(1 + column * cell, self._row * (2 + row) + 4, cell, self._row)

    def _arrows(self) -> tuple[QRectF, QRectF]:
        return (QRectF(2, 2, ARROW_WIDTH, self._row),
                QRectF(self.width() - ARROW_WIDTH - 2, 2, ARROW_WIDTH, self._row))

    def day_at(self, pos: QPointF) -> date | None:
        """The day under `pos`, in widget coordinates."""
        top = self._row * 2 + 4
        if pos.y() < top or pos.x() < 1 or pos.x() >= self.width() - 1:
            return None
        row = int((pos.y() - top) // self._row)
        column = min(6, int((pos.x() - 1) // self._cell()))
        if row > 5:
            return None
        return self._first_shown() + timedelta(days=row * 7 + column)

    def day_rect(self, day: date) -> QRectF | None:
        """Where `day` is drawn, when the month shown has it."""
        index = (day - self._first_shown()).days
        return self._day_rect(index) if 0 <= index < 42 else None

    # ------------------------------------------------------------ painting

    def paintEvent(self, _event: object) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor(LINE)))
        p.setBrush(QColor("white"))
        p.drawRoundedRect(QRectF(0.5, 0.5, self.width() - 1, self.height() - 1), 8, 8)
        ink, muted, accent = QColor(INK), QColor(MUTED), QColor(ACCENT)
        align = Qt.AlignmentFlag.AlignCenter
        p.setFont(self._title_font)
        p.setPen(ink)
        p.drawText(QRectF(ARROW_WIDTH, 2, self.width() - 2 * ARROW_WIDTH, self._row),
                   align, self._title)
        p.setFont(self._arrow_font)
        p.setPen(muted)
        for rect, arrow in zip(self._arrows(), ("‹", "›"), strict=True):
            p.drawText(rect, align, arrow)
        p.setFont(self._font)
        cell = self._cell()
        for column, initial in enumerate(self._initials):
            p.drawText(QRectF(1 + column * cell, self._row + 2, cell, self._row), align,
                       initial)
        first = self._first_shown()
        p.setPen(Qt.PenStyle.NoPen)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # no seams between days
        for index in range(42):
            day = first + timedelta(days=index)
            if day in self._period:
                p.fillRect(self._day_rect(index).adjusted(0, 1, 0, -1).toAlignedRect(),
                           PERIOD_FILL)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        for index in range(42):
            day = first + timedelta(days=index)
            rect = self._day_rect(index)
            mark = rect.adjusted(3, 2, -3, -2)
            if day == self._selected:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(accent)
                p.drawRoundedRect(mark, 6, 6)
                colour = QColor("white")
            else:
                if day == self._hover and self.underMouse():
                    p.setPen(Qt.PenStyle.NoPen)
                    p.setBrush(HOVER_FILL)
                    p.drawRoundedRect(mark, 6, 6)
                colour = accent if day == self._today else \
                    ink if day.replace(day=1) == self._month else OUTSIDE_INK
            p.setFont(self._bold if day in (self._today, self._selected) else self._font)
            p.setPen(colour)
            p.drawText(rect, align, str(day.day))
        if self.hasFocus():
            focus = self.day_rect(self._selected)
            if focus is not None:
                p.setPen(QPen(accent, 1.5))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRoundedRect(focus.adjusted(1.5, 0.5, -1.5, -0.5), 7, 7)
        p.end()

    # ------------------------------------------------------------ the person

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        hover = self.day_at(pos)
        if hover != self._hover:
            self._hover = hover
            self.update()
        before, after = self._arrows()
        tip = _("Previous month") if before.contains(pos) else \
            _("Next month") if after.contains(pos) else ""
        if tip != self.toolTip():
            self.setToolTip(tip)
        on_something = hover is not None or bool(tip)
        self.setCursor(Qt.CursorShape.PointingHandCursor if on_something else
                       Qt.CursorShape.ArrowCursor)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.position()
        before, after = self._arrows()
        if before.contains(pos):
            self.show_month(-1)
        elif after.contains(pos):
            self.show_month(1)
        else:
            day = self.day_at(pos)
            if day is not None:
                self.picked.emit(day)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.update()  # the ring around the chosen day

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.update()

    def wheelEvent(self, event: QWheelEvent) -> None:
        area = scroll_area_around(self)
        if area is None:
            event.ignore()
            return
        QCoreApplication.sendEvent(area.verticalScrollBar(), event)  # the column scrolls

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        day = self._selected
        if key in STEPS:
            day += timedelta(days=STEPS[key])
        elif key == Qt.Key.Key_PageUp:
            day = add_months(day, -1)
        elif key == Qt.Key.Key_PageDown:
            day = add_months(day, 1)
        elif key == Qt.Key.Key_Home:
            day = day.replace(day=1)
        elif key == Qt.Key.Key_End:
            day = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            pass  # the chosen day, chosen again: the agenda goes back to it
        else:
            super().keyPressEvent(event)
            return
        self.set_selected(day)
        self.picked.emit(day)
