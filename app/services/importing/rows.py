"""Turning a sheet's rows into sessions to judge: every cell read and checked,
and each problem kept as a sentence naming the file's own column."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TypeVar
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

_T = TypeVar("_T")


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
        # Every problem of the row is said at once, each with its column: fixing the
        # file one complaint per import would take as many imports as mistakes.
        problems: list[str] = []

        def read(f: Field, parse: Callable[[Cell], _T],
                 problems: list[str] = problems) -> _T | None:
            try:
                return parse(value(f))
            except (CellError, InvalidInput) as exc:
                problems.append(_("{column}: {problem}").format(column=column(f), problem=exc))
                return None

        required = (Field.NAME, Field.PHONE, *((Field.DATETIME,) if combined
                                              else (Field.DATE, Field.TIME)))
        empty = {f for f in required if text_of(value(f)) == ""}
        problems += [_("{column}: required, but empty.").format(column=column(f))
                     for f in required if f in empty]
        row.name = " ".join(text_of(value(Field.NAME)).split())
        if Field.PHONE not in empty:
            row.phone = read(Field.PHONE, lambda cell: _phone(text_of(cell), region)) \
                or ""
        row.email = read(Field.EMAIL, lambda cell: _email(text_of(cell))) \
            if text_of(value(Field.EMAIL)) else None
        local: datetime | None = None
        if combined and Field.DATETIME not in empty:
            local = read(Field.DATETIME, cells.parse_datetime)
        elif not combined:
            day = read(Field.DATE, cells.parse_date) \
                if Field.DATE not in empty else None
            hour = read(Field.TIME, cells.parse_time) \
                if Field.TIME not in empty else None
            local = datetime.combine(day, hour) if day is not None and hour is not None \
                else None
        if local is not None:
            # As an instant in UTC: an aware time in the hour that happens twice
            # never equals one of another zone in Python (PEP 495), so the
            # "already in the agenda" lookup would miss it.
            row.start = resolve_with_offset(local, zone).astimezone(UTC)
            row.local = local.replace(tzinfo=None)
        row.duration = read(Field.DURATION, cells.parse_duration) \
            if text_of(value(Field.DURATION)) else None
        row.service = " ".join(text_of(value(Field.SERVICE)).split())
        row.staff = " ".join(text_of(value(Field.STAFF)).split())
        row.notes = text_of(value(Field.NOTES))
        status: AppointmentStatus | None = read(Field.STATUS, cells.parse_status)
        row.status = status or AppointmentStatus.SCHEDULED
        row.price_cents = read(Field.PRICE, lambda cell: _money(text_of(cell))) \
            if text_of(value(Field.PRICE)) else None
        if problems:
            row.problem = "; ".join(p.rstrip(".") for p in problems) + "."
        out.append(row)
    return out
