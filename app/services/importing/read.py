"""Opening an import file as a header and numbered rows, whatever produced it:
CSV in UTF-8 (with or without BOM) or Windows-1252, comma, semicolon or tab
separated, or an Excel workbook (.xlsx). A file that cannot be read raises
FileUnusable with a sentence saying what is wrong, never a stack trace."""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from app.i18n import _, format_number, ngettext
from app.services.errors import InvalidInput
from app.services.importing.cells import Cell, text_of
from app.services.spreadsheet_cells import as_written

MAX_CELL = 64 * 1024
# What an agenda's spreadsheet can hold, with room to spare; checked before the
# work, so a hostile file is refused in a moment instead of filling the memory.
MAX_BYTES = 64 * 1024 * 1024  # the file as it is on disk
MAX_XLSX_UNPACKED = 128 * 1024 * 1024  # a workbook's parts unzipped (200,000 rows take ~100)
MAX_XLSX_STRINGS = 40 * 1024 * 1024  # its shared strings, which openpyxl reads whole
MAX_ROWS = 200_000
MAX_COLUMNS = 200
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
    # rows whose text had to be guessed (a Windows-1252 line in a UTF-8 file)
    guessed_rows: tuple[int, ...] = ()
    sheet_title: str = ""  # a workbook's sheet that was read
    other_sheets: tuple[str, ...] = ()  # and the visible ones that were not

    @property
    def notes(self) -> list[str]:
        """What the reading had to guess or leave out, for the report and the wizard."""
        out = []
        if self.other_sheets:
            out.append(_("Only the sheet “{sheet}” was read; the workbook also has: {others}.")
                       .format(sheet=self.sheet_title, others=", ".join(self.other_sheets)))
        if not self.guessed_rows:
            return out
        shown = ", ".join(str(n) for n in self.guessed_rows[:10])
        more = len(self.guessed_rows) - 10
        return [*out, ngettext(
            "Row {rows} is not in UTF-8 like the rest of the file: it was read as Windows-1252; "
            "check its accents.",
            "Rows {rows} are not in UTF-8 like the rest of the file: they were read as "
            "Windows-1252; check their accents.", len(self.guessed_rows)).format(
            rows=shown + (f" (+{more})" if more > 0 else ""))]


def read(path: str | Path) -> Sheet:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise FileUnusable(_("{name} is too large to import ({size} MB; at most {limit} MB)."
                                 ).format(name=path.name, size=size // 2**20,
                                          limit=MAX_BYTES // 2**20))
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


def _windows(line: bytes) -> str:
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError:  # the five bytes Windows-1252 leaves undefined
        return line.decode("latin-1")


def _decode(data: bytes) -> tuple[str, str, tuple[int, ...]]:
    """The text, its encoding, and the lines (from 1) whose encoding was guessed.
    A file that is UTF-8 but for a few lines keeps UTF-8 for the rest, instead of
    turning every accent in it into "Ã£". Excel's "Unicode text" is UTF-16 with a BOM."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16", ()
        except UnicodeDecodeError:
            raise FileUnusable(_("The file says it is UTF-16 but is not.")) from None
    try:
        return data.decode("utf-8-sig"), "utf-8", ()
    except UnicodeDecodeError:
        pass
    # Lines end in \r\n, \n or (old Macs) \r alone; each keeps its own ending.
    parts = re.split(rb"(\r\n|\r|\n)", data.removeprefix(b"\xef\xbb\xbf"))
    lines, endings = parts[0::2], [*parts[1::2], b""]
    utf8 = 0
    for line in lines:
        if not line.isascii():
            try:
                line.decode("utf-8")
                utf8 += 1
            except UnicodeDecodeError:
                continue
    if not utf8:
        return _windows(data), "cp1252", ()
    out, guessed = [], []
    for number, (line, ending) in enumerate(zip(lines, endings, strict=True), start=1):
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(_windows(line))
            guessed.append(number)
        out.append(ending.decode("ascii"))
    return "".join(out), "utf-8", tuple(guessed)


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
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE,
                                                      codecs.BOM_UTF16_BE)):
        raise FileUnusable(_("{name} is not a text (CSV) file or a .xlsx workbook.")
                           .format(name=name))
    text, encoding, guessed_lines = _decode(data)
    delimiter = _delimiter(text)
    csv.field_size_limit(MAX_CELL)
    _quotes_closed(name, text, delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    guessed, pending, last_line = [], set(guessed_lines), 0
    limits = _Limits(name)
    try:
        records: list[tuple[int, tuple[Cell, ...]]] = []
        for number, record in enumerate(reader, start=1):
            # A text cell an export neutralised ("'=2*3") is read as it was.
            cells = limits.row(number, [as_written(cell.strip()) for cell in record])
            records.append((number, tuple(cells)))
            # A record may span lines (a quoted line break): it was guessed if any was.
            if pending and any(n in pending for n in range(last_line + 1, reader.line_num + 1)):
                guessed.append(number)
            last_line = reader.line_num
    except csv.Error as exc:
        raise FileUnusable(_("{name} cannot be read as CSV near line {line}: {problem}").format(
            name=name, line=reader.line_num, problem=exc)) from None
    sheet = _sheet(name, records, "csv", encoding, delimiter)
    kept = {n for n, _cells in sheet.rows}
    return replace(sheet, guessed_rows=tuple(n for n in guessed if n in kept))


def _quotes_closed(name: str, text: str, delimiter: str) -> None:
    """A quote opened and never closed would swallow every row after it into one
    cell, silently: refused, naming the line where it opens."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    last_line = 0
    try:
        for _record in reader:
            last_line = reader.line_num
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise FileUnusable(_("{name}: a quotation mark opened on line {line} is never "
                                 "closed, so the rows after it cannot be told apart. Close it "
                                 "or remove it, and import again.").format(
                name=name, line=last_line + 1)) from None
        # Other quoting slips (a quote inside a cell) are read leniently below.


class _Limits:
    """Counts a file's rows as it is read: only rows that hold something count (a
    stray value far down, or blank lines between rows, do not stretch the file)."""

    def __init__(self, name: str) -> None:
        self.name, self.filled = name, 0

    def row(self, number: int, cells: list[Cell]) -> list[Cell]:
        """The row's cells without trailing blanks, once it is within the limits."""
        while cells and text_of(cells[-1]) == "":
            cells.pop()
        if not cells:
            return cells
        self.filled += 1
        if self.filled > MAX_ROWS + 1:  # the header and MAX_ROWS rows
            raise FileUnusable(_("{name} has more than {limit} rows: split it into smaller "
                                 "files.").format(name=self.name,
                                                  limit=format_number(MAX_ROWS)))
        if len(cells) > MAX_COLUMNS:
            raise FileUnusable(_("{name} has a row with more than {limit} columns (row {row}): "
                                 "keep only the agenda's columns.").format(
                name=self.name, limit=MAX_COLUMNS, row=number))
        return cells


def _unpacked_size(path: Path, data: bytes) -> None:
    """Refuses a workbook whose parts unzip to more than MAX_XLSX_UNPACKED, or whose
    shared strings alone (read whole before the first row) exceed MAX_XLSX_STRINGS.
    Python's zipfile stops reading a part at its stated size (and fails on a wrong
    CRC), so a part cannot grow past what the directory says."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile:
        return  # openpyxl says it in its own words below
    total = sum(info.file_size for info in infos)
    if total > MAX_XLSX_UNPACKED:
        raise FileUnusable(_("{name} unpacks to {size} MB, more than the {limit} MB a workbook "
                             "may hold here: save only the agenda's sheet, or as CSV.").format(
            name=path.name, size=total // 2**20, limit=MAX_XLSX_UNPACKED // 2**20))
    strings = sum(i.file_size for i in infos if i.filename.lower().endswith("sharedstrings.xml"))
    if strings > MAX_XLSX_STRINGS:
        raise FileUnusable(_("{name} holds {size} MB of text, more than the {limit} MB a "
                             "workbook may hold here: save only the agenda's sheet, or as CSV."
                             ).format(name=path.name, size=strings // 2**20,
                                      limit=MAX_XLSX_STRINGS // 2**20))


# What a damaged or hostile workbook makes openpyxl raise while reading it (an XML
# bomb ends in expat's ParseError, a SyntaxError).
_BROKEN = (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, SyntaxError,
           TypeError, IndexError)


def _xlsx(path: Path, data: bytes) -> Sheet:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    _unpacked_size(path, data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, *_BROKEN):
        raise FileUnusable(_("{name} is not a .xlsx workbook or is damaged.")
                           .format(name=path.name)) from None
    try:
        visible = [ws for ws in book.worksheets if ws.sheet_state == "visible"]
        active = book.active
        sheet = active if active in visible else (visible[0] if visible else None)
        if sheet is None:
            raise FileUnusable(_("{name} has no sheet.").format(name=path.name))
        limits, by_row = _Limits(path.name), {}
        try:
            for number, values in _rows_as_stored(sheet):
                cells = limits.row(number, [_xlsx_cell(v) for v in values])
                if cells:
                    by_row[number] = tuple(cells)
        except _BROKEN:
            raise FileUnusable(_("{name} is damaged: it stops being readable after row {row}.")
                               .format(name=path.name, row=len(by_row))) from None
        others = [ws.title for ws in visible if ws is not sheet]
    finally:
        book.close()
    result = _sheet(path.name, sorted(by_row.items()), "xlsx")
    if others:
        result = replace(result, other_sheets=tuple(others), sheet_title=sheet.title)
    return result


def _rows_as_stored(sheet: Any) -> Iterator[tuple[int, list[object]]]:
    """Each row the sheet's XML holds, by its own row number, whatever order it is
    stored in. openpyxl's read-only rows trust the <dimension> the file states (one
    saying A1:F2 hides the rows after) and drop a row stored after a later one, so
    the sheet's parser is read directly (openpyxl.worksheet._reader, as its
    read-only worksheet does)."""
    from openpyxl.worksheet._reader import WorkSheetParser

    book = sheet.parent
    with sheet._get_source() as source:
        parser = WorkSheetParser(source, sheet._shared_strings, data_only=True,
                                 epoch=book.epoch, date_formats=book._date_formats,
                                 timedelta_formats=book._timedelta_formats)
        for number, cells in parser.parse():
            if not cells:
                continue
            # A value past the column limit stands just beyond it, for the limit to see;
            # a row is never padded out to where a stray cell claims it ends.
            width = min(max(int(c["column"]) for c in cells), MAX_COLUMNS + 1)
            values: list[object] = [None] * width
            for c in cells:
                column = min(int(c["column"]), MAX_COLUMNS + 1)
                if column <= MAX_COLUMNS or c["value"] not in (None, ""):
                    values[column - 1] = c["value"]
            yield int(number), values


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
