"""Bulk import of sessions from a spreadsheet (seed 002): read the file, match its
columns, judge every row, then write the accepted ones in one transaction."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from zoneinfo import ZoneInfo

from app.i18n import _
from app.models.enums import Channel
from app.services.importing import columns
from app.services.importing.columns import ColumnMap
from app.services.importing.commit import BATCH, Report, dry_run, run
from app.services.importing.read import FileUnusable, Sheet, read
from app.services.importing.rows import Row, parse_rows
from app.services.practice import Practice
from app.services.settings import load_row

__all__ = ["FileUnusable", "Report", "Sheet", "dry_run", "import_file", "open_sheet", "rows_of",
           "run"]


def open_sheet(path: str | Path) -> tuple[Sheet, ColumnMap]:
    """The file's rows and the columns guessed from its headers."""
    sheet = read(path)
    return sheet, columns.guess(sheet.headers)


def rows_of(p: Practice, sheet: Sheet, mapping: ColumnMap) -> list[Row]:
    """Every row read and checked; refuses a mapping that lacks a needed column."""
    lacking = columns.missing(mapping)
    if lacking:
        raise FileUnusable(_("{name} has no column for: {fields}. Found: {headers}.").format(
            name=sheet.name, fields=", ".join(lacking),
            headers=", ".join(h for h in sheet.headers if h) or "—"))
    with p.db.read() as s:
        settings = load_row(s)
        region, zone = settings.country, ZoneInfo(settings.timezone)
    return parse_rows(sheet, mapping, region=region, zone=zone)


def import_file(p: Practice, path: str | Path, *, mapping: ColumnMap | None = None,
                overrides: Collection[int] | bool = (), dry: bool = False,
                batch: int = BATCH, consent: Collection[Channel] = ()) -> Report:
    """Read a CSV or XLSX file and import (or, dry, judge) its rows; `batch`: sessions
    written per statement (the tests shrink it to cross its boundaries); consent:
    the channels the clients it creates agreed to."""
    sheet, guessed = open_sheet(path)
    rows = rows_of(p, sheet, mapping if mapping is not None else guessed)
    name, notes = sheet.name, sheet.notes
    del sheet  # the parsed rows are all that is needed from here on
    report = dry_run(p, name, rows, overrides) if dry else \
        run(p, name, rows, overrides, batch=batch, consent=consent)
    report.warnings = notes
    return report
