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


def _parsed(parse: Callable[[Cell], _T], cell: Cell, column: str,
            problems: list[str]) -> _T | None:
    """parse(cell), or None with the problem said, naming the column."""
    try:
        return parse(cell)
    except (CellError, InvalidInput) as exc:
        problems.append(_("{column}: {problem}").format(column=column, problem=exc))
        return None


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
    names = {f: column(f) for f in mapping}
    combined = Field.DATETIME in mapping
    required = (Field.NAME, Field.PHONE, *((Field.DATETIME,) if combined
                                          else (Field.DATE, Field.TIME)))
    empty_said = {f: _("{column}: required, but empty.").format(column=names[f])
                  for f in required}
    i_name, i_phone, i_email = index[Field.NAME], index[Field.PHONE], index[Field.EMAIL]
    i_datetime, i_date, i_time = index[Field.DATETIME], index[Field.DATE], index[Field.TIME]
    i_duration, i_service, i_staff = index[Field.DURATION], index[Field.SERVICE], \
        index[Field.STAFF]
    i_notes, i_status, i_price = index[Field.NOTES], index[Field.STATUS], index[Field.PRICE]
    # Naive wall time -> instant: a year of sessions repeats each day and hour for
    # every professional.
    instants: dict[datetime, datetime] = {}
    out: list[Row] = []
    for number, raw in sheet.rows:
        cells_ = (*raw[:width], *(None,) * (width - min(len(raw), width) + 1))
        # Each cell as text once (cells from a CSV are strings already).
        text = [c.strip() if type(c) is str else text_of(c) for c in cells_]
        row = Row(number)
        # Every problem of the row is said at once, each with its column: fixing the
        # file one complaint per import would take as many imports as mistakes.
        problems = [empty_said[f] for f in required if not text[index[f]]]
        row.name = " ".join(text[i_name].split())
        if text[i_phone]:
            row.phone = _parsed(lambda t: _phone(t, region), text[i_phone],
                                names[Field.PHONE], problems) or ""
        if text[i_email]:
            row.email = _parsed(_email, text[i_email], names[Field.EMAIL], problems)
        local: datetime | None = None
        if combined:
            if text[i_datetime]:
                local = _parsed(cells.parse_datetime, cells_[i_datetime],
                                names[Field.DATETIME], problems)
        else:
            day = _parsed(cells.parse_date, cells_[i_date], names[Field.DATE], problems) \
                if text[i_date] else None
            hour = _parsed(cells.parse_time, cells_[i_time], names[Field.TIME], problems) \
                if text[i_time] else None
            local = datetime.combine(day, hour) if day is not None and hour is not None \
                else None
        if local is not None:
            # As an instant in UTC: an aware time in the hour that happens twice
            # never equals one of another zone in Python (PEP 495), so the
            # "already in the agenda" lookup would miss it.
            if local.tzinfo is not None:  # an offset written beside the time
                row.start = resolve_with_offset(local, zone).astimezone(UTC)
            else:
                row.start = instants.get(local)
                if row.start is None:
                    row.start = instants[local] = resolve_with_offset(local, zone).astimezone(UTC)
            row.local = local.replace(tzinfo=None)
        if text[i_duration]:
            row.duration = _parsed(cells.parse_duration, cells_[i_duration],
                                   names[Field.DURATION], problems)
        row.service = " ".join(text[i_service].split())
        row.staff = " ".join(text[i_staff].split())
        row.notes = text[i_notes]
        if text[i_status]:
            status = _parsed(cells.parse_status, cells_[i_status], names[Field.STATUS],
                             problems)
            row.status = status or AppointmentStatus.SCHEDULED
        if text[i_price]:
            row.price_cents = _parsed(_money, text[i_price], names[Field.PRICE], problems)
        if problems:
            row.problem = "; ".join(p.rstrip(".") for p in problems) + "."
        out.append(row)
    return out
