"""A bad spreadsheet is refused quickly, and no row is lost silently: limits on
bytes, rows and columns are checked before the work against the file's real
extent (not what it states), and a decoding that had to guess says where."""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from app.services import importing
from app.services.importing.read import MAX_BYTES, FileUnusable, read
from app.services.practice import Practice
from tests.conftest import add_service

HEADER = ["nome", "telefone", "serviço", "data", "hora"]


def workbook(rows: int) -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for i in range(rows):
        ws.append([f"Cliente {i}", f"11 9{i + 1000:04d}-{i + 1000:04d}", "Sessão",
                   f"{1 + i % 28:02d}/12/2026", f"{8 + i % 10}:00"])
    return wb


def saved(wb: openpyxl.Workbook, path: Path) -> Path:
    wb.save(path)
    return path


def rewrite(path: Path, member: str, change: object) -> None:
    """Rewrites one part of the workbook's zip."""
    with zipfile.ZipFile(path) as src:
        parts = {i.filename: src.read(i.filename) for i in src.infolist()}
    parts[member] = change(parts[member])  # type: ignore[operator]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)


def refused_quickly(path: Path, match: str) -> None:
    started = time.monotonic()
    with pytest.raises(FileUnusable, match=match):
        read(path)
    assert time.monotonic() - started < 15


def test_a_stated_dimension_hides_no_row(practice: Practice, tmp_path: Path) -> None:
    add_service(practice, name="Sessão")
    path = saved(workbook(50), tmp_path / "agenda.xlsx")
    rewrite(path, "xl/worksheets/sheet1.xml",
            lambda xml: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:F2"/>', xml))
    sheet = read(path)
    assert len(sheet.rows) == 50
    assert len(importing.import_file(practice, path, dry=True).rows) == 50  # each judged


def test_one_cell_far_away_is_refused_in_a_moment(tmp_path: Path) -> None:
    wb = workbook(3)
    wb.active.cell(row=1_048_576, column=16_384, value="x")
    path = saved(wb, tmp_path / "far.xlsx")
    assert path.stat().st_size < 10_000
    refused_quickly(path, r"more than 200 columns \(row 1048576\)")


def test_a_stated_huge_dimension_pads_nothing(tmp_path: Path) -> None:
    path = saved(workbook(20), tmp_path / "wide.xlsx")
    rewrite(path, "xl/worksheets/sheet1.xml",
            lambda xml: re.sub(rb'<dimension ref="[^"]*"/>',
                               b'<dimension ref="A1:XFD1048576"/>', xml))
    sheet = read(path)
    assert len(sheet.rows) == 20 and all(len(cells) == 5 for _n, cells in sheet.rows)


def test_too_many_columns_are_refused(tmp_path: Path) -> None:
    wb = workbook(2)
    wb.active.cell(row=3, column=250, value="x")
    refused_quickly(saved(wb, tmp_path / "cols.xlsx"), "more than 200 columns")


def test_a_zip_bomb_is_refused_before_it_unpacks(tmp_path: Path) -> None:
    path = saved(workbook(2), tmp_path / "bomb.xlsx")
    row = b'<row r="9"><c r="A9" t="inlineStr"><is><t>' + b"x" * 4000 + b"</t></is></c></row>"
    rewrite(path, "xl/worksheets/sheet1.xml",
            lambda xml: xml.replace(b"</sheetData>", row * 40_000 + b"</sheetData>"))
    assert path.stat().st_size < 2_000_000
    refused_quickly(path, r"unpacks to 15\d MB, more than the 128 MB")


def test_a_csv_too_large_or_too_long_is_refused(tmp_path: Path) -> None:
    long = tmp_path / "long.csv"
    long.write_text(";".join(HEADER) + "\n" + "a;b;c;d;e\n" * 200_001, encoding="utf-8")
    refused_quickly(long, "more than 200,000 rows")
    wide = tmp_path / "wide.csv"
    wide.write_text(";".join(HEADER) + "\n" + ";".join(["x"] * 201) + "\n", encoding="utf-8")
    refused_quickly(wide, "more than 200 columns")
    big = tmp_path / "big.csv"
    with big.open("wb") as fh:
        fh.truncate(MAX_BYTES + 1)
    refused_quickly(big, "too large to import")


def test_a_utf8_file_with_one_windows_line_keeps_its_accents_and_says_where(
        practice: Practice, tmp_path: Path) -> None:
    add_service(practice, name="Sessão")
    lines = ["nome;telefone;serviço;data;hora".encode(),
             "João Araújo;11 91234-0001;Sessão;01/12/2026;10:00".encode(),
             "Zé Conceição;11 91234-0002;Sessão;02/12/2026;10:00".encode("cp1252"),
             "Márcia Lê;11 91234-0003;Sessão;03/12/2026;10:00".encode()]
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    sheet = read(path)
    assert [cells[0] for _n, cells in sheet.rows] == ["João Araújo", "Zé Conceição",
                                                      "Márcia Lê"]
    assert sheet.guessed_rows == (3,) and "Row 3 " in sheet.notes[0]
    report = importing.import_file(practice, path, dry=True)
    assert report.warnings == sheet.notes and report.as_json()["warnings"] == sheet.notes


def test_a_whole_windows_file_is_not_a_guess(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("nome;telefone\nJoão;11 91234-0001\n".encode("cp1252"))
    sheet = read(path)
    assert sheet.rows[0][1][0] == "João" and sheet.guessed_rows == () and sheet.notes == []


def test_limits_are_the_real_extent_not_blank_rows(tmp_path: Path) -> None:
    """Blank rows and trailing blank cells count for nothing."""
    data = io.StringIO()
    data.write(";".join(HEADER) + ";;;;\n")
    data.write("a;b;c;d;e" + ";" * 400 + "\n")
    path = tmp_path / "blank.csv"
    path.write_text(data.getvalue(), encoding="utf-8")
    assert len(read(path).rows) == 1


def test_an_unclosed_quote_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text("nome;telefone\nAna;11 91234-0001\n\"Bia;11 91234-0002\n"
                    "Cia;11 91234-0003\nDui;11 91234-0004\n", encoding="utf-8")
    refused_quickly(path, "opened on line 3 is never closed")
    fine = tmp_path / "fine.csv"
    fine.write_text('nome;telefone\n"Ana ""Nina"" Lima";11 91234-0001\n'
                    'Bia 5" alta;11 91234-0002\n', encoding="utf-8")
    assert [c[0] for _n, c in read(fine).rows] == ['Ana "Nina" Lima', 'Bia 5" alta']


def test_rows_stored_out_of_order_are_all_read(tmp_path: Path) -> None:
    path = saved(workbook(5), tmp_path / "order.xlsx")

    def move_row_3_last(xml: bytes) -> bytes:
        row = re.search(rb'<row r="3".*?</row>', xml, re.S)
        assert row is not None
        xml = xml.replace(row.group(0), b"")
        return xml.replace(b"</sheetData>", row.group(0) + b"</sheetData>")

    rewrite(path, "xl/worksheets/sheet1.xml", move_row_3_last)
    sheet = read(path)
    assert [n for n, _c in sheet.rows] == [2, 3, 4, 5, 6]
    assert sheet.rows[1][1][0] == "Cliente 1"


def test_the_active_visible_sheet_is_read_and_the_others_named(tmp_path: Path) -> None:
    wb = workbook(2)
    wb.active.title = "Novembro"
    december = wb.create_sheet("Dezembro")
    december.append(HEADER)
    december.append(["Zed", "11 91234-9999", "Sessão", "01/12/2026", "10:00"])
    wb.active = 1
    path = saved(wb, tmp_path / "two.xlsx")
    sheet = read(path)
    assert [c[0] for _n, c in sheet.rows] == ["Zed"]
    assert sheet.notes == ["Only the sheet “Dezembro” was read; the workbook also has: "
                           "Novembro."]
    wb.active = 0
    wb["Novembro"].sheet_state = "hidden"
    wb.active = 1
    sheet = read(saved(wb, tmp_path / "hidden.xlsx"))
    assert [c[0] for _n, c in sheet.rows] == ["Zed"] and sheet.notes == []


def test_an_xml_bomb_inside_a_sheet_is_one_sentence(tmp_path: Path) -> None:
    path = saved(workbook(1), tmp_path / "laughs.xlsx")
    entities = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">'
                       for i in range(1, 10))
    bomb = ('<!DOCTYPE x [<!ENTITY l0 "ha">' + entities + ']>').encode()
    rewrite(path, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(
        b"<worksheet", bomb + b"<worksheet", 1).replace(b"<t>nome</t>", b"<t>&l9;</t>", 1))
    refused_quickly(path, "damaged")


def test_a_workbook_of_mostly_shared_strings_is_refused(tmp_path: Path) -> None:
    path = saved(workbook(1), tmp_path / "sst.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as book:  # read whole by openpyxl
        book.writestr("xl/sharedStrings.xml", b'<sst count="1">' + b"<si><t>x</t></si>"
                      * 3_000_000 + b"</sst>")
    refused_quickly(path, "MB of text")


def test_blank_lines_do_not_count_as_rows(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(";".join(HEADER) + "\n")
        for _ in range(150_000):
            fh.write("a;b;c;d;e\n\n")
    assert len(read(path).rows) == 150_000


def test_old_mac_line_endings_and_utf16_are_read(tmp_path: Path) -> None:
    mac = tmp_path / "mac.csv"
    mac.write_bytes("nome;telefone\rJoão;11 91234-0001\r".encode()
                    + "Zé;11 91234-0002\r".encode("cp1252"))
    sheet = read(mac)
    assert [c[0] for _n, c in sheet.rows] == ["João", "Zé"] and sheet.guessed_rows == (3,)
    unicode_text = tmp_path / "unicode.txt"
    unicode_text.write_bytes("nome\ttelefone\r\nJoão\t11 91234-0001\r\n".encode("utf-16"))
    sheet = read(unicode_text)
    assert sheet.rows[0][1][0] == "João" and sheet.encoding == "utf-16"
