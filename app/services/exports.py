"""Taking sessions out: CSV and XLSX with the same columns the import reads (so a
file exported here imports back), and an iCalendar (.ics) agenda that calendar
programs open, with stable UIDs so a second export updates the same events."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from icalendar import Calendar, Event

from app import __version__, i18n
from app.i18n import _
from app.models.enums import AppointmentStatus
from app.models.recurrence import repeated
from app.services import files, queries, settings
from app.services.errors import InvalidInput
from app.services.export_formats import Format
from app.services.practice import Practice
from app.services.queries import AppointmentView
from app.services.scheduling import status_label
from app.services.spreadsheet_cells import neutral
from app.services.values import format_phone

# Calendar programs know three states; a moved session no longer happens.
_ICS_STATUS = {
    AppointmentStatus.SCHEDULED: "TENTATIVE", AppointmentStatus.CONFIRMED: "CONFIRMED",
    AppointmentStatus.COMPLETED: "CONFIRMED", AppointmentStatus.NO_SHOW: "CONFIRMED",
    AppointmentStatus.CANCELLED: "CANCELLED", AppointmentStatus.RESCHEDULED: "CANCELLED",
}


def uid(appointment_id: int) -> str:
    """The same session keeps the same UID in every export of this practice."""
    return f"appointment-{appointment_id}@practice-desk"


def sessions(p: Practice, start: date, end: date, *, staff_id: int | None = None,
             statuses: Sequence[AppointmentStatus] | None = None) -> list[AppointmentView]:
    if end < start:
        raise InvalidInput(_("The end date {end} is before the start date {start}.").format(
            end=i18n.format_date(end), start=i18n.format_date(start)))
    return queries.list_appointments(p, start=start, end=end, staff_id=staff_id,
                                     statuses=list(statuses) if statuses else None)


def headers() -> list[str]:
    """Column names the import recognises, in the current language."""
    return [_("Id"), _("Name"), _("Phone"), _("E-mail"), _("Service"), _("Date"), _("Time"),
            _("Duration"), _("Professional"), _("Status"), _("Price"), _("Notes")]


def _price(v: AppointmentView) -> int:
    """What the session cost: the actual price once charged, else the quoted one."""
    return v.actual_price_cents if v.actual_price_cents is not None else v.quoted_price_cents


def _time_cell(start: datetime) -> str:
    """The session's time as people read it; in the hour that happens twice when
    the clocks go back, with its UTC offset, so importing it back finds the same
    session ("01:30 -05:00")."""
    if repeated(start):
        return f"{start:%H:%M} {start:%z}"[:-2] + ":" + f"{start:%z}"[-2:]
    return f"{start:%H:%M}"


def _cells(v: AppointmentView, region: str) -> list[object]:
    # Dates in the one form both languages read back without doubt.
    day = v.start.strftime("%d/%m/%Y") if i18n.current_language() == "pt_BR" \
        else v.start.date().isoformat()
    price = _price(v)
    return [v.id, v.client_name, format_phone(v.client_phone, region), v.client_email or "",
            v.service_name, day, _time_cell(v.start), v.duration_minutes, v.staff_name,
            status_label(v.status), f"{price / 100:.2f}".replace(
                ".", "," if i18n.current_language() == "pt_BR" else "."), v.notes]


def write(p: Practice, fmt: Format, path: str | Path, rows: list[AppointmentView]) -> int:
    """Write the file in one go (to a temporary name first, so a failure never
    leaves half a file where the old one was). Returns the number of sessions."""
    target = Path(path)
    current = settings.get(p)
    region = current.country
    if fmt is Format.ICS:
        data = _ics(rows, current.name)
    elif fmt is Format.XLSX:
        data = _xlsx(rows, region)
    else:
        data = _csv(rows, region)
    files.write_whole(target, data)
    return len(rows)


def _csv(rows: list[AppointmentView], region: str) -> bytes:
    out = io.StringIO(newline="")
    # Brazilian Excel opens semicolon-separated files; the BOM tells it the text is UTF-8.
    writer = csv.writer(out, delimiter=";" if i18n.current_language() == "pt_BR" else ",")
    writer.writerow(headers())
    for v in rows:
        writer.writerow([neutral(c) if isinstance(c, str) else c for c in _cells(v, region)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(rows: list[AppointmentView], region: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Sessions"))
    sheet.append(headers())
    for v in rows:
        cells = _cells(v, region)
        # Real date, time and number cells, so the spreadsheet can sort and sum them.
        cells[5] = v.start.replace(tzinfo=None, hour=0, minute=0)
        if not repeated(v.start):  # the repeated hour stays text, with its offset
            cells[6] = v.start.time().replace(tzinfo=None)
        cells[10] = _price(v) / 100
        sheet.append([_text_cell(sheet, c) if isinstance(c, str) else c for c in cells])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _text_cell(sheet: Any, text: str) -> Any:
    """A cell that holds text as text: an inline string, never a formula, whatever
    it begins with (openpyxl would write "=..." as a formula)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # XML cannot hold control characters: kept text has none, older rows may.
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", text))
    cell.data_type = "s"
    return cell


def _ics(rows: list[AppointmentView], practice_name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", f"-//Practice Desk//{__version__}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", practice_name)
    stamp = datetime.now(UTC).replace(microsecond=0)
    for v in rows:
        event = Event()
        event.add("uid", uid(v.id))
        event.add("dtstamp", stamp)
        event.add("dtstart", v.start.astimezone(UTC))
        event.add("dtend", v.end.astimezone(UTC))
        event.add("summary", f"{v.client_name} · {v.service_name}")
        event.add("status", _ICS_STATUS[v.status])
        event.add("description", _("{status} · {staff}").format(
            status=status_label(v.status), staff=v.staff_name))
        event.add("categories", [v.staff_name])
        cal.add_component(event)
    return bytes(cal.to_ical())
