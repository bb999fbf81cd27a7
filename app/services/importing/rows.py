"""Turning a sheet's rows into sessions to judge: every cell read and checked,
and each problem kept as a sentence naming the file's own column."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from app.i18n import _
from app.models.enums import AppointmentStatus
from app.models.recurrence import resolve_with_offset
from app.services.errors import InvalidInput
from app.services.importing import cells
from app.services.importing.cells import Cell, CellError, text_of
from app.services.importing.columns import ColumnMap, Field
from app.services.importing.read import Sheet
from app.services.values import normalize_email, normalize_phone, parse_money


@dataclass(slots=True)
class Row:
    row: int  # as the spreadsheet shows it (header = 1)
    name: str = ""
    phone: str = ""  # E.164
    email: str | None = None
    local: datetime | None = None  # wall clock in the practice's zone (naive)
    start: datetime | None = None  # aware
    duration: int | None = None  # None: the service's
    service: str = ""
    staff: str = ""
    notes: str = ""
    status: AppointmentStatus = AppointmentStatus.SCHEDULED
    price_cents: int | None = None
    problem: str | None = None  # why the row cannot be imported, naming the column


@lru_cache(maxsize=65536)
def _phone(text: str, region: str) -> str:
    return normalize_phone(text, region)


@lru_cache(maxsize=65536)
def _email(text: str) -> str:
    return normalize_email(text)


@lru_cache(maxsize=4096)
def _money(text: str) -> int:
    return parse_money(text)


def parse_rows(sheet: Sheet, mapping: ColumnMap, *, region: str, zone: ZoneInfo) -> list[Row]:
    headers = sheet.headers

    def column(f: Field) -> str:
        index = mapping[f]
        header = headers[index] if index < len(headers) else ""
        return header or _("column {n}").format(n=index + 1)

    # Each row is cut or padded to the mapped columns plus one empty cell, which
    # the fields not in the file point at.
    width = max(mapping.values(), default=-1) + 1
    index = {f: mapping.get(f, width) for f in Field}
    combined = Field.DATETIME in mapping
    out: list[Row] = []
    for number, raw in sheet.rows:
        padded = (*raw[:width], *(None,) * (width - min(len(raw), width) + 1))

        def value(f: Field, padded: tuple[Cell, ...] = padded) -> Cell:
            return padded[index[f]]

        row = Row(number)
        current = Field.NAME  # the field being read, for the message
        try:
            for current in (Field.NAME, Field.PHONE, *((Field.DATETIME,) if combined
                                                       else (Field.DATE, Field.TIME))):
                if text_of(value(current)) == "":
                    row.problem = _("{column}: required, but empty.").format(
                        column=column(current))
                    break
            if row.problem is None:
                row.name = " ".join(text_of(value(Field.NAME)).split())
                current = Field.PHONE
                row.phone = _phone(text_of(value(Field.PHONE)), region)
                current = Field.EMAIL
                email = text_of(value(Field.EMAIL))
                row.email = _email(email) if email else None
                if combined:
                    current = Field.DATETIME
                    row.local = cells.parse_datetime(value(Field.DATETIME))
                else:
                    current = Field.DATE
                    day = cells.parse_date(value(Field.DATE))
                    current = Field.TIME
                    row.local = datetime.combine(day, cells.parse_time(value(Field.TIME)))
                # As an instant in UTC: an aware time in the hour that happens twice
                # never equals one of another zone in Python (PEP 495), so the
                # "already in the agenda" lookup would miss it.
                row.start = resolve_with_offset(row.local, zone).astimezone(UTC)
                row.local = row.local.replace(tzinfo=None)
                current = Field.DURATION
                duration = value(Field.DURATION)
                row.duration = cells.parse_duration(duration) if text_of(duration) else None
                row.service = " ".join(text_of(value(Field.SERVICE)).split())
                row.staff = " ".join(text_of(value(Field.STAFF)).split())
                row.notes = text_of(value(Field.NOTES))
                current = Field.STATUS
                row.status = cells.parse_status(value(Field.STATUS)) or \
                    AppointmentStatus.SCHEDULED
                current = Field.PRICE
                price = text_of(value(Field.PRICE))
                row.price_cents = _money(price) if price else None
        except (CellError, InvalidInput) as exc:
            row.problem = _("{column}: {problem}").format(column=column(current), problem=exc)
        out.append(row)
    return out
