"""Reading spreadsheet cells the way practices write them, and matching headers
in Portuguese and English."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.models.enums import AppointmentStatus
from app.services.importing import cells, columns
from app.services.importing.cells import CellError
from app.services.importing.columns import Field


@pytest.mark.parametrize(("value", "expected"), [
    ("21/11/2026", date(2026, 11, 21)), ("1/2/2027", date(2027, 2, 1)),
    ("21-11-2026", date(2026, 11, 21)), ("21.11.26", date(2026, 11, 21)),
    ("2026-11-21", date(2026, 11, 21)), ("46347", date(2026, 11, 21)),
    (46347, date(2026, 11, 21)), (46347.0, date(2026, 11, 21)),
    (datetime(2026, 11, 21, 14, 0), date(2026, 11, 21)), (date(2026, 11, 21), date(2026, 11, 21)),
])
def test_dates_as_people_and_excel_write_them(value: cells.Cell, expected: date) -> None:
    assert cells.parse_date(value) == expected


@pytest.mark.parametrize("value", ["31/02/2026", "2026-13-01", "amanhã", "12/31/2026", "123",
                                   "", 5])
def test_impossible_dates_are_refused_with_the_expected_form(value: cells.Cell) -> None:
    with pytest.raises(CellError, match="date"):
        cells.parse_date(value)


@pytest.mark.parametrize(("value", "expected"), [
    ("14:00", time(14)), ("14h", time(14)), ("14h30", time(14, 30)), ("9:05", time(9, 5)),
    ("14:00:00", time(14)), ("14 h", time(14)), ("2pm", time(14)), ("9:30 am", time(9, 30)),
    ("9", time(9)), (0.5833333333, time(14)), (time(14, 0, 12), time(14)),
    (datetime(1899, 12, 30, 8, 30), time(8, 30)),
])
def test_times_as_people_and_excel_write_them(value: cells.Cell, expected: time) -> None:
    assert cells.parse_time(value) == expected


@pytest.mark.parametrize("value", ["25:00", "14:75", "meio-dia", "1400", "13pm"])
def test_impossible_times_are_refused(value: str) -> None:
    with pytest.raises(CellError, match="time of day"):
        cells.parse_time(value)


@pytest.mark.parametrize(("value", "expected"), [
    ("21/11/2026 14:00", datetime(2026, 11, 21, 14)),
    ("2026-11-21T14:30", datetime(2026, 11, 21, 14, 30)),
    ("2026-11-21 14h", datetime(2026, 11, 21, 14)),
    ("21/11/2026, 9:00", datetime(2026, 11, 21, 9)),
    (46347.5833333333, datetime(2026, 11, 21, 14)),
    (datetime(2026, 11, 21, 14, 0, 31), datetime(2026, 11, 21, 14)),
])
def test_one_date_and_time_column(value: cells.Cell, expected: datetime) -> None:
    assert cells.parse_datetime(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("50", 50), ("50 min", 50), ("1h", 60), ("1h30", 90), ("01:30", 90), (50, 50),
    (50.0, 50), ("90 minutos", 90), (time(1, 0), 60),
])
def test_durations(value: cells.Cell, expected: int) -> None:
    assert cells.parse_duration(value) == expected


@pytest.mark.parametrize("value", ["0", "-10", "2000", "longa", 50.5])
def test_bad_durations(value: cells.Cell) -> None:
    with pytest.raises(CellError):
        cells.parse_duration(value)


@pytest.mark.parametrize(("value", "expected"), [
    ("Agendado", AppointmentStatus.SCHEDULED), ("Confirmado", AppointmentStatus.CONFIRMED),
    ("Concluído", AppointmentStatus.COMPLETED), ("Realizada", AppointmentStatus.COMPLETED),
    ("Cancelado", AppointmentStatus.CANCELLED), ("Não compareceu", AppointmentStatus.NO_SHOW),
    ("no-show", AppointmentStatus.NO_SHOW), ("", None),
])
def test_statuses_in_both_languages(value: str, expected: AppointmentStatus | None) -> None:
    assert cells.parse_status(value) == expected


def test_an_unknown_status_lists_the_words_understood() -> None:
    with pytest.raises(CellError, match="scheduled, confirmed"):
        cells.parse_status("Pendente")
    # A moved session's old row, as an export writes it, says why it is not imported.
    for word in ("Reagendado", "Rescheduled"):
        with pytest.raises(CellError, match="A rescheduled session is not imported"):
            cells.parse_status(word)


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31)))
def test_every_real_date_reads_back_in_each_written_form(day: date) -> None:
    for text in (day.strftime("%d/%m/%Y"), day.isoformat(),
                 str((day - date(1899, 12, 30)).days)):
        assert cells.parse_date(text) == day


def test_headers_in_portuguese_are_matched_ignoring_accents_and_case() -> None:
    headers = ["Nome", "TELEFONE", "E-mail", "Serviço", "Data", "Hora", "Duração (min)",
               "Profissional", "Observações"]
    assert columns.guess(headers) == {
        Field.NAME: 0, Field.PHONE: 1, Field.EMAIL: 2, Field.SERVICE: 3, Field.DATE: 4,
        Field.TIME: 5, Field.DURATION: 6, Field.STAFF: 7, Field.NOTES: 8}


def test_headers_in_english_with_one_date_time_column() -> None:
    mapping = columns.guess(["Client name", "Phone number", "Email", "Date and time", "Staff",
                             "Notes", "Whatever"])
    assert mapping == {Field.NAME: 0, Field.PHONE: 1, Field.EMAIL: 2, Field.DATETIME: 3,
                       Field.STAFF: 4, Field.NOTES: 5}
    assert columns.missing(mapping) == []


def test_missing_columns_are_named() -> None:
    assert columns.missing({Field.NAME: 0, Field.DATE: 1}) == ["Phone", "Time"]


# Texts built from the characters that matter, so each case is met often.
CELLS = st.text(alphabet=st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", " ", "\n",
                                          "\u3000", "\uff1d", "\ufe66", "a", "1"]), max_size=6)


@given(st.one_of(st.text(), CELLS))
def test_a_neutralised_cell_never_starts_a_formula_and_reads_back_as_it_was(text: str) -> None:
    from app.services.spreadsheet_cells import FORMULA_STARTS, as_written, neutral

    cell = neutral(text)
    # Not a formula, even to a spreadsheet that trims white space first.
    assert not cell.lstrip(" \n\u3000\u00a0").startswith(FORMULA_STARTS)
    assert as_written(cell) == text


def test_the_cases_a_stranger_tried_are_neutral_and_come_back() -> None:
    from app.services.spreadsheet_cells import as_written, neutral

    for text, cell in ((" =1+1", "' =1+1"), ("  @SUM(1)", "'  @SUM(1)"),
                       ("\n=4+4", "'\n=4+4"), ("\u3000=5+5", "'\u3000=5+5"),
                       ("\uff1d1+1", "'\uff1d1+1"), ("\ufe661+1", "'\ufe661+1"),
                       ("''=7+7", "'''=7+7"), ("'=7+7", "''=7+7"),
                       ("'s Hertogenbosch", "'s Hertogenbosch"), ("Ana", "Ana")):
        assert neutral(text) == cell
        assert as_written(cell) == text
