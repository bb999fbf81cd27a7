"""A week of working hours as a grid — a day open or closed, from, to, and a
break — never typed text. Used by the set-up assistant and Configurações."""

from __future__ import annotations

from datetime import time

from PySide6.QtCore import QTime
from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QLabel, QWidget

from app import i18n
from app.i18n import _
from app.models.hours import WEEKDAY_KEYS, HoursFormatError, parse_intervals, parse_time
from app.ui.wheel_guard import ComboBox


class TimeField(ComboBox):
    """A time picked from the half hours, shown in the language's way ("08:00",
    "8:00 AM"), or typed as people write it ("9:30", "9h30", "0930", "9:30 pm"). A
    QTimeEdit dropped the hour of "09:30" typed over a selection; this keeps what
    was typed and the settings read it (and refuse it, naming it, when it is not a
    time)."""

    def __init__(self, value: time) -> None:
        super().__init__()
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for minutes in range(0, 24 * 60, 30):
            self.addItem(i18n.format_time(time(minutes // 60, minutes % 60)))
        # No completing as one types: "12:00" would become the list's first match,
        # "12:00 AM" (midnight) on the 12-hour clock.
        self.setCompleter(None)
        self.lineEdit().editingFinished.connect(self._settle)
        self.setTime(QTime(value.hour, value.minute))

    def _settle(self) -> None:
        """A time typed and left is shown as the language writes it ("21h30" →
        "9:30 PM"), and the arrow keys step from it; text that is no time is left
        as typed, for the settings to refuse naming it."""
        shown = self.time()
        if shown.isValid():
            self.setTime(shown)

    def setTime(self, value: QTime) -> None:
        """Show `value`; the arrow keys (and the wheel, once clicked into) step from
        it to the half hour before or after, not from the list's first, 00:00."""
        text = i18n.format_time(time(value.hour(), value.minute()))
        self.setCurrentIndex((value.hour() * 60 + value.minute()) // 30)
        if self.currentText() != text:  # a time between two half hours, as it was kept
            self.setEditText(text)

    def time(self) -> QTime:
        """The time shown; an invalid QTime when the text is not one."""
        try:
            parsed = parse_time(self.currentText())
        except HoursFormatError:
            return QTime()
        return QTime(parsed.hour, parsed.minute)

    def text(self) -> str:
        """For the settings: "HH:mm" when it reads as a time, else as typed."""
        shown = self.time()
        return shown.toString("HH:mm") if shown.isValid() else self.currentText().strip()


class DayRow:
    """One weekday of the grid: open or not, from, to, and a break."""

    def __init__(self, grid: QGridLayout, row: int, day: int, spec: str) -> None:
        self.open = QCheckBox(i18n.first_upper(i18n.weekday_name(day, "wide")))
        self.start, self.end = TimeField(time(8)), TimeField(time(19))
        self.pause = QCheckBox(_("Break"))
        self.pause_start, self.pause_end = TimeField(time(12)), TimeField(time(13))
        for col, widget in enumerate((self.open, self.start, self.end, self.pause,
                                      self.pause_start, self.pause_end)):
            grid.addWidget(widget, row, col)
        self.open.toggled.connect(self._enable)
        self.pause.toggled.connect(self._enable)
        self.set_spec(spec)

    def set_spec(self, spec: str) -> None:
        """As the settings write it: "08:00-12:00,13:00-19:00" or "closed"."""
        intervals = parse_intervals(spec)
        self.open.setChecked(bool(intervals))
        if intervals:
            first, last = intervals[0], intervals[-1]
            self.start.setTime(QTime(first[0].hour, first[0].minute))
            self.end.setTime(QTime(last[1].hour, last[1].minute))
            self.pause.setChecked(len(intervals) > 1)
            if len(intervals) > 1:
                self.pause_start.setTime(QTime(first[1].hour, first[1].minute))
                self.pause_end.setTime(QTime(last[0].hour, last[0].minute))
        self._enable()

    def _enable(self) -> None:
        on = self.open.isChecked()
        for widget in (self.start, self.end, self.pause):
            widget.setEnabled(on)
        for widget in (self.pause_start, self.pause_end):
            widget.setEnabled(on and self.pause.isChecked())

    def spec(self) -> str:
        """As the settings read it: "08:00-12:00,13:00-19:00" or "closed"."""
        if not self.open.isChecked():
            return "closed"
        start, end = self.start.text(), self.end.text()
        if self.pause.isChecked():
            return f"{start}-{self.pause_start.text()},{self.pause_end.text()}-{end}"
        return f"{start}-{end}"


class HoursGrid(QWidget):
    """The seven days, Monday first; hours() and set_hours() speak the settings'
    {"mon": "08:00-12:00,13:00-19:00", "sat": "closed", ...}."""

    def __init__(self, hours: dict[str, str] | None = None) -> None:
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for c, head in enumerate(("", _("From"), _("To"), "", _("Break from"), _("to"))):
            grid.addWidget(QLabel(head), 0, c)
        self.days = [DayRow(grid, i + 1, i, (hours or {}).get(key, "closed"))
                     for i, key in enumerate(WEEKDAY_KEYS)]

    def set_hours(self, hours: dict[str, str]) -> None:
        for key, row in zip(WEEKDAY_KEYS, self.days, strict=True):
            row.set_spec(hours.get(key, "closed"))

    def hours(self) -> dict[str, str]:
        return {key: row.spec() for key, row in zip(WEEKDAY_KEYS, self.days, strict=True)}
