"""Turning a sheet's rows into sessions to judge: every cell read and checked,
and each problem kept as a sentence naming the file's own column."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo

from app.i18n import _
from app.models.enums import AppointmentStatus
from app.models.recurrence import resolve_local
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


T = TypeVar("T")


class _Bad(Exception):
    """One cell's problem, already phrased with its column."""


def parse_rows(sheet: Sheet, mapping: ColumnMap, *, region: str, zone: ZoneInfo) -> list[Row]:
    headers = sheet.headers

    def column(f: Field) -> str:
        index = mapping[f]
        header = headers[index] if index < len(headers) else ""
        return header or _("column {n}").format(n=index + 1)

    def cell(cells_: tuple[Cell, ...], f: Field) -> Cell:
        index = mapping.get(f)
        if index is None or index >= len(cells_):
            return None
        return cells_[index]

    def read(cells_: tuple[Cell, ...], f: Field, parse: Callable[[Cell], T]) -> T:
        try:
            return parse(cell(cells_, f))
        except (CellError, InvalidInput) as exc:
            raise _Bad(_("{column}: {problem}").format(column=column(f), problem=exc)) from None

    def required(cells_: tuple[Cell, ...], f: Field) -> str:
        text = text_of(cell(cells_, f))
        if not text:
            raise _Bad(_("{column}: required, but empty.").format(column=column(f)))
        return text

    def optional(cells_: tuple[Cell, ...], f: Field) -> str:
        return text_of(cell(cells_, f)) if f in mapping else ""

    out: list[Row] = []
    for number, cells_ in sheet.rows:
        row = Row(number)
        try:
            row.name = " ".join(required(cells_, Field.NAME).split())
            required(cells_, Field.PHONE)
            row.phone = read(cells_, Field.PHONE, lambda c: _phone(text_of(c), region))
            if optional(cells_, Field.EMAIL):
                row.email = read(cells_, Field.EMAIL, lambda c: _email(text_of(c)))
            if Field.DATETIME in mapping:
                required(cells_, Field.DATETIME)
                row.local = read(cells_, Field.DATETIME, cells.parse_datetime)
            else:
                required(cells_, Field.DATE)
                day = read(cells_, Field.DATE, cells.parse_date)
                required(cells_, Field.TIME)
                row.local = datetime.combine(day, read(cells_, Field.TIME, cells.parse_time))
            row.start = resolve_local(row.local, zone)
            if optional(cells_, Field.DURATION):
                row.duration = read(cells_, Field.DURATION, cells.parse_duration)
            row.service = " ".join(optional(cells_, Field.SERVICE).split())
            row.staff = " ".join(optional(cells_, Field.STAFF).split())
            row.notes = optional(cells_, Field.NOTES)
            status = read(cells_, Field.STATUS, cells.parse_status)
            row.status = status or AppointmentStatus.SCHEDULED
            if optional(cells_, Field.PRICE):
                row.price_cents = read(cells_, Field.PRICE, lambda c: _money(text_of(c)))
        except _Bad as bad:
            row.problem = str(bad)
        out.append(row)
    return out
