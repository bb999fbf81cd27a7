"""24:00 is the end of the day: hours that close at midnight are stored, shown and
applied as such — a session may end exactly at midnight — for the practice, a
professional, a service's bookable hours, free times and imports."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from app import i18n
from app.models.hours import HoursFormatError, parse_intervals
from app.services import availability, catalog, importing, scheduling, settings
from app.services.errors import BookingConflict, InvalidInput
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_client, add_service, local

SATURDAY = date(2026, 11, 28)


def book(p: Practice, start: str, minutes: int = 60, **kw: object) -> int:
    n = int(start[14:16]) + minutes
    return scheduling.book(p, BookingRequest(
        client_id=add_client(p, f"Client {n}", f"+55 11 91234-{n:04d}", None),
        start=local(start), custom_service_name="Sessão", duration_minutes=minutes,
        **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize("written", ["19:00-24:00", "19:00-00:00", "19h-24h"])
def test_hours_to_midnight_are_kept_and_shown_as_24(practice: Practice, written: str) -> None:
    settings.set_value(practice, "hours", f"sat {written}")
    assert settings.get(practice).hours["sat"] == "19:00-24:00"
    assert settings.working_hours(practice)[5] == [(time(19), time(0))]  # 24:00


def test_a_session_may_end_exactly_at_midnight(practice: Practice) -> None:
    settings.set_value(practice, "hours", "sat 19:00-24:00")
    book(practice, "2026-11-28T23:00")
    with pytest.raises(BookingConflict) as refused:
        book(practice, "2026-12-05T23:30", 45)
    [conflict] = refused.value.conflicts
    assert conflict.rule == "outside_hours" and "7:00\u202fPM–12:00\u202fAM" in conflict.message
    i18n.set_language("pt_BR")
    with pytest.raises(BookingConflict) as refused:
        book(practice, "2026-12-05T23:30", 45)
    assert "19:00–24:00" in refused.value.conflicts[0].message


def test_free_times_run_to_midnight(practice: Practice) -> None:
    settings.set_value(practice, "hours", "sat 19:00-24:00")
    sv = add_service(practice, duration_minutes=60)
    free = availability.free_slots(practice, SATURDAY, service_id=sv, step_minutes=60)
    assert [s.strftime("%H:%M") for s in free] == ["19:00", "20:00", "21:00", "22:00", "23:00"]
    [(lo, hi)] = availability.free_ranges(practice, [SATURDAY], service_id=sv,
                                          step_minutes=60)[SATURDAY]
    assert (lo.strftime("%H:%M"), hi.isoformat()) == ("19:00", "2026-11-29T00:00:00-03:00")


def test_a_professionals_own_hours_and_a_services_hours_close_at_midnight(
        practice: Practice) -> None:
    staff = catalog.add_staff(practice, name="Dr. Paulo").id
    settings.set_staff_hours(practice, staff, ["sat 20:00-24:00"])
    sv = catalog.add_service(practice, name="Noturna", duration_minutes=60,
                             bookable_hours="18:00-24:00")
    assert sv.bookable_until == "24:00"
    scheduling.book(practice, BookingRequest(client_id=add_client(practice),
                                             start=local("2026-11-28T23:00"),
                                             service_id=sv.id, staff_id=staff))
    free = availability.free_slots(practice, SATURDAY, service_id=sv.id, staff_id=staff,
                                   step_minutes=60)
    assert [s.strftime("%H:%M") for s in free] == ["20:00", "21:00", "22:00"]


def test_an_imported_row_may_end_at_midnight(practice: Practice, tmp_path: Path) -> None:
    settings.set_value(practice, "hours", "sat 19:00-24:00")
    add_service(practice, name="Sessão", duration_minutes=60)
    f = tmp_path / "rows.csv"
    f.write_text("nome;telefone;serviço;data;hora\n"
                 "Ana Teste;11 91234-5678;Sessão;28/11/2026;23:00\n"
                 "Bia Teste;11 91234-5679;Sessão;28/11/2026;23:30\n", encoding="utf-8")
    report = importing.import_file(practice, f, dry=True)
    assert [r.status.value for r in report.rows] == ["ok", "conflict"]


@pytest.mark.parametrize("bad", ["19:00-24:30", "19:00-25:00", "24:00-24:00", "00:00-00:00x"])
def test_impossible_ends_are_refused(bad: str) -> None:
    with pytest.raises(HoursFormatError):
        parse_intervals(bad)


def test_a_refused_hours_value_changes_nothing(practice: Practice) -> None:
    before = settings.get(practice).hours
    with pytest.raises(InvalidInput):
        settings.set_value(practice, "hours", "sat 24:00-19:00")
    assert settings.get(practice).hours == before
