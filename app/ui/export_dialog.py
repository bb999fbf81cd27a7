"""Agenda › Exportar: the sessions of a period (by default the one on screen),
narrowed by professional and status, written to a spreadsheet (CSV or Excel)
or to an .ics calendar. The dialog counts what would be written as the filters
change; counting and writing run off the GUI thread."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, QStandardPaths
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _, format_number, ngettext
from app.models.enums import AppointmentStatus
from app.services import exports
from app.services.errors import PracticeError
from app.services.exports import Format
from app.services.scheduling import status_label
from app.ui import file_chooser
from app.ui.plain import plain
from app.ui.style import MUTED
from app.ui.wheel_guard import ComboBox, DateEdit

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

def formats() -> list[tuple[Format, str, str]]:
    """Each format with its name and what it is good for, in the current language."""
    return [
        (Format.CSV, _("Spreadsheet (CSV)"),
         _("Opens in Excel and LibreOffice; the import reads it back")),
        (Format.XLSX, _("Excel workbook (.xlsx)"),
         _("Real dates and numbers, ready to sort and sum")),
        (Format.ICS, _("Calendar (.ics)"),
         _("For Google Calendar, Outlook or Apple Calendar; cancelled sessions are marked "
           "cancelled")),
    ]


FILTERS = {Format.CSV: "CSV (*.csv)", Format.XLSX: "Excel (*.xlsx)",
           Format.ICS: "iCalendar (*.ics)"}


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


class ExportDialog(QDialog):
    def __init__(self, window: MainWindow, start: date, end: date,
                 staff_id: int | None = None) -> None:
        super().__init__(window)
        self.window_ = window
        self.setWindowTitle(_("Export sessions"))
        self.setMinimumWidth(520)
        self._token = 0  # the newest count asked for; older answers are dropped
        self.count: int | None = None
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)

        period = QHBoxLayout()
        self.start = self._date_edit(start)
        self.end = self._date_edit(end)
        period.addWidget(self.start)
        period.addWidget(QLabel(_("to")))
        period.addWidget(self.end)
        period.addStretch(1)
        form.addRow(_("Period"), period)

        self.staff = ComboBox()
        self.staff.addItem(_("All professionals"), None)
        for person in window.staff:  # the catalogue the window keeps loaded
            self.staff.addItem(person.name, person.id)
        self.staff.setCurrentIndex(max(0, self.staff.findData(staff_id)))
        self.staff.currentIndexChanged.connect(lambda _i: self.recount())
        form.addRow(_("Professional"), self.staff)

        statuses = QWidget()
        grid = QGridLayout(statuses)
        grid.setContentsMargins(0, 0, 0, 0)
        self.status_boxes: dict[AppointmentStatus, QCheckBox] = {}
        for i, status in enumerate(AppointmentStatus):
            box = QCheckBox(status_label(status))
            box.setChecked(True)
            box.toggled.connect(lambda _on: self.recount())
            grid.addWidget(box, i // 3, i % 3)
            self.status_boxes[status] = box
        form.addRow(_("Status"), statuses)

        format_col = QVBoxLayout()
        self.format_group = QButtonGroup(self)
        self.format_buttons: dict[Format, QRadioButton] = {}
        for fmt, label, hint in formats():
            button = QRadioButton(label)
            self.format_group.addButton(button)
            self.format_buttons[fmt] = button
            format_col.addWidget(button)
            note = QLabel(hint)
            note.setStyleSheet(f"color: {MUTED}; margin-left: 24px;")
            note.setWordWrap(True)
            format_col.addWidget(note)
        self.format_buttons[Format.CSV].setChecked(True)
        form.addRow(_("Format"), format_col)

        self.summary = plain(QLabel())  # file names, and what went wrong
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        buttons = QDialogButtonBox()
        self.export_button = buttons.addButton(_("Export…"),
                                               QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("primary")
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel).setText(_("Close"))
        buttons.accepted.connect(self.export)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.recount()

    def _date_edit(self, day: date) -> QDateEdit:
        edit = DateEdit(_qdate(day))
        edit.setCalendarPopup(True)
        edit.setLocale(self.window_.qlocale())
        edit.setDisplayFormat(self.window_.date_format())
        edit.dateChanged.connect(lambda _d: self.recount())
        return edit

    # ------------------------------------------------------------ choices

    def period(self) -> tuple[date, date]:
        return self.start.date().toPython(), self.end.date().toPython()  # type: ignore[return-value]

    def chosen_format(self) -> Format:
        return next(fmt for fmt, button in self.format_buttons.items() if button.isChecked())

    def statuses(self) -> list[AppointmentStatus]:
        return [s for s, box in self.status_boxes.items() if box.isChecked()]

    def _query(self) -> tuple[date, date, int | None, list[AppointmentStatus]]:
        start, end = self.period()
        return start, end, self.staff.currentData(), self.statuses()

    def _refusal(self) -> str | None:
        start, end = self.period()
        if end < start:
            return _("The end date comes before the start date.")
        if not self.statuses():
            return _("Tick at least one status.")
        return None

    # ------------------------------------------------------------ counting

    def recount(self) -> None:
        self._token += 1
        token = self._token
        self.count = None
        refusal = self._refusal()
        self.export_button.setEnabled(False)
        if refusal:
            self._show(refusal, error=True)
            return
        self._show(_("Counting…"))
        p = self.window_.practice
        start, end, staff_id, statuses = self._query()

        def work() -> int:
            return len(exports.sessions(p, start, end, staff_id=staff_id, statuses=statuses))

        def done(count: int) -> None:
            if token != self._token:
                return
            self.count = count
            self.export_button.setEnabled(count > 0)
            self._show(ngettext("{n} session in this period.", "{n} sessions in this period.",
                                count).format(n=format_number(count)) if count else
                       _("No session in this period matches."))

        self.window_.tasks.run(work, done, self._failed)

    def _show(self, text: str, *, error: bool = False) -> None:
        self.summary.setObjectName("error" if error else "")
        self.summary.setStyleSheet("" if error else f"color: {MUTED};")
        self.summary.style().unpolish(self.summary)
        self.summary.style().polish(self.summary)
        self.summary.setText(text)

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, PracticeError):
            self._show(str(exc), error=True)
        else:
            self.window_.show_error(exc)

    # ------------------------------------------------------------ writing

    def suggested_path(self) -> str:
        start, end = self.period()
        folder = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())
        if not Path(folder).is_dir():  # no Documents folder: the home, not where the app runs
            folder = str(Path.home())
        return str(Path(folder) / f"agenda-{start:%Y-%m-%d}-{end:%Y-%m-%d}.{self.chosen_format()}")

    def export(self) -> None:
        if self._refusal() or not self.count:
            return
        fmt = self.chosen_format()
        path, _filter = file_chooser.save_path(self, _("Export sessions"),
                                                    self.suggested_path(), FILTERS[fmt])
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() != f".{fmt}":
            target = target.with_name(f"{target.name}.{fmt}")
        p = self.window_.practice
        start, end, staff_id, statuses = self._query()
        self.export_button.setEnabled(False)
        self._show(_("Writing {file}…").format(file=target.name))

        def work() -> int:
            rows = exports.sessions(p, start, end, staff_id=staff_id, statuses=statuses)
            return exports.write(p, fmt, target, rows)

        def done(count: int) -> None:
            self.window_.say(ngettext("{n} session exported to {file}.",
                                      "{n} sessions exported to {file}.", count)
                             .format(n=format_number(count), file=target))
            self.accept()

        def failed(exc: Exception) -> None:
            self.export_button.setEnabled(True)
            self._failed(exc)

        self.window_.tasks.run(work, done, failed)
