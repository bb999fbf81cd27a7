"""Opening an import file as a header and numbered rows, whatever produced it:
CSV in UTF-8 (with or without BOM) or Windows-1252, comma, semicolon or tab
separated, or an Excel workbook (.xlsx). A file that cannot be read raises
FileUnusable with a sentence saying what is wrong, never a stack trace."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from app.i18n import _
from app.services.errors import InvalidInput
from app.services.importing.cells import Cell, text_of

MAX_CELL = 64 * 1024
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls


class FileUnusable(InvalidInput):
    """Nothing can be imported because of the file itself."""


@dataclass(frozen=True)
class Sheet:
    name: str  # the file's name, as the audit trail and the report quote it
    headers: tuple[str, ...]
    header_row: int
    # (row number as the spreadsheet shows it, header = 1; the cells)
    rows: list[tuple[int, tuple[Cell, ...]]]
    kind: str  # "csv" or "xlsx"
    encoding: str | None = None
    delimiter: str | None = None


def read(path: str | Path) -> Sheet:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileUnusable(_("There is no file {path}.").format(path=path)) from None
    except IsADirectoryError:
        raise FileUnusable(_("{path} is a folder, not a file.").format(path=path)) from None
    except OSError as exc:
        raise FileUnusable(_("{path} cannot be read: {problem}").format(
            path=path, problem=exc.strerror or exc)) from None
    if data.startswith(_OLE_MAGIC):
        raise FileUnusable(_("{name} is an old Excel file (.xls): save it as .xlsx or CSV "
                             "and import that.").format(name=path.name))
    if data.startswith(_XLSX_MAGIC) or path.suffix.lower() in {".xlsx", ".xlsm"}:
        return _xlsx(path, data)
    return _csv(path.name, data)


def _decode(data: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _delimiter(text: str) -> str:
    """The separator of the first non-blank line outside quotes: ; , or tab."""
    sample = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: 0 for d in ";,\t"}
    quoted = False
    for ch in sample:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv(name: str, data: bytes) -> Sheet:
    if b"\x00" in data[:4096]:
        raise FileUnusable(_("{name} is not a text (CSV) file or a .xlsx workbook.")
                           .format(name=name))
    text, encoding = _decode(data)
    delimiter = _delimiter(text)
    csv.field_size_limit(MAX_CELL)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records: list[tuple[int, tuple[Cell, ...]]] = []
        for number, record in enumerate(reader, start=1):
            records.append((number, tuple(cell.strip() for cell in record)))
    except csv.Error as exc:
        raise FileUnusable(_("{name} cannot be read as CSV near line {line}: {problem}").format(
            name=name, line=reader.line_num, problem=exc)) from None
    return _sheet(name, records, "csv", encoding, delimiter)


def _xlsx(path: Path, data: bytes) -> Sheet:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise FileUnusable(_("{name} is not a .xlsx workbook or is damaged.")
                           .format(name=path.name)) from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise FileUnusable(_("{name} has no sheet.").format(name=path.name))
        records: list[tuple[int, tuple[Cell, ...]]] = []
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                records.append((number, tuple(_xlsx_cell(v) for v in values)))
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError):
            raise FileUnusable(_("{name} is damaged: it stops being readable after row {row}.")
                               .format(name=path.name, row=len(records))) from None
    finally:
        book.close()
    return _sheet(path.name, records, "xlsx")


def _xlsx_cell(value: object) -> Cell:
    if value is None or isinstance(value, str | int | float):
        return value.strip() if isinstance(value, str) else value
    if isinstance(value, datetime | date | time):
        return value
    if isinstance(value, timedelta):  # a duration cell ([h]:mm)
        seconds = int(value.total_seconds())
        return time(seconds // 3600 % 24, seconds // 60 % 60)
    return str(value)


def _blank(cells: Sequence[Cell]) -> bool:
    return all(text_of(c) == "" for c in cells)


def _sheet(name: str, records: Iterable[tuple[int, tuple[Cell, ...]]], kind: str,
           encoding: str | None = None, delimiter: str | None = None) -> Sheet:
    rows = [(n, cells) for n, cells in records if not _blank(cells)]
    if not rows:
        raise FileUnusable(_("{name} is empty.").format(name=name))
    header_row, header_cells = rows[0]
    headers = [text_of(c) for c in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    if not rows[1:]:
        raise FileUnusable(_("{name} has a header but no rows below it.").format(name=name))
    return Sheet(name, tuple(headers), header_row, rows[1:], kind, encoding, delimiter)
