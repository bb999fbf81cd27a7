"""Bulk import of sessions from a spreadsheet (seed 002): read the file, match its
columns, judge every row, then write the accepted ones in one transaction.

The modules that read, judge and write are imported when first used (PEP 562): the
command line builds its parser from `columns` alone."""

from __future__ import annotations

import importlib
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.i18n import _
from app.services.importing import columns
from app.services.importing.columns import ColumnMap
from app.services.importing.pauses import cycle_collection_paused

if TYPE_CHECKING:
    from app.models.enums import Channel
    from app.services.importing.commit import Report, dry_run, run
    from app.services.importing.read import FileUnusable, Sheet
    from app.services.importing.rows import Row
    from app.services.practice import Practice

__all__ = ["FileUnusable", "Report", "Sheet", "dry_run", "import_file", "open_sheet", "rows_of",
           "run"]

_WHERE = {"Report": "commit", "dry_run": "commit", "run": "commit",
          "FileUnusable": "read", "Sheet": "read", "Row": "rows"}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{where}"), name)


@cycle_collection_paused()
def open_sheet(path: str | Path) -> tuple[Sheet, ColumnMap]:
    """The file's rows and the columns guessed from its headers."""
    from app.services.importing.read import read

    sheet = read(path)
    return sheet, columns.guess(sheet.headers)


@cycle_collection_paused()
def rows_of(p: Practice, sheet: Sheet, mapping: ColumnMap) -> list[Row]:
    """Every row read and checked; refuses a mapping that lacks a needed column."""
    from zoneinfo import ZoneInfo

    from app.services.importing.read import FileUnusable
    from app.services.importing.rows import parse_rows
    from app.services.settings import load_row

    lacking = columns.missing(mapping)
    if lacking:
        raise FileUnusable(_("{name} has no column for: {fields}. Found: {headers}.").format(
            name=sheet.name, fields=", ".join(lacking),
            headers=", ".join(h for h in sheet.headers if h) or "—"))
    with p.db.read() as s:
        settings = load_row(s)
        region, zone = settings.country, ZoneInfo(settings.timezone)
    return parse_rows(sheet, mapping, region=region, zone=zone)


@cycle_collection_paused()
def import_file(p: Practice, path: str | Path, *, mapping: ColumnMap | None = None,
                overrides: Collection[int] | bool = (), dry: bool = False,
                batch: int | None = None, consent: Collection[Channel] = ()) -> Report:
    """Read a CSV or XLSX file and import (or, dry, judge) its rows; `batch`: sessions
    written per statement (commit.BATCH unless given; the tests shrink it to cross
    its boundaries); consent: the channels the clients it creates agreed to."""
    from app.services.importing.commit import BATCH, dry_run, run

    sheet, guessed = open_sheet(path)
    rows = rows_of(p, sheet, mapping if mapping is not None else guessed)
    name, notes = sheet.name, sheet.notes
    del sheet  # the parsed rows are all that is needed from here on
    report = dry_run(p, name, rows, overrides) if dry else \
        run(p, name, rows, overrides, batch=BATCH if batch is None else batch, consent=consent)
    report.warnings = notes
    return report
