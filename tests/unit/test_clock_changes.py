"""Durations are elapsed time, wall clocks are for series and hours: sessions that
start before a daylight-saving change and end after it, in both directions, are
as long as they really are everywhere — booking rules, views, free times,
reminders, late-cancellation fees, exports, imports and the agenda's layout."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from app.models.enums import Channel
from app.models.instants import elapsed, later_minutes, utc
from app.models.rules import Candidate, late_notice
from app.services import (
    availability,
    clients,
    config,
    exports,
    importing,
    queries,
    reminders,
    scheduling,
    settings,
)
from app.services.clock import FrozenClock
from app.services.errors import BookingConflict
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from app.ui.agenda.layout import place
from tests.conftest import add_client, add_service, local

NY = "America/New_York"
ZONE = ZoneInfo(NY)
SPRING = date(2027, 3, 14)  # 02:00 EST -> 03:00 EDT
AUTUMN = date(2027, 11, 7)  # 02:00 EDT -> 01:00 EST


@pytest.fixture
def ny(practice: Practice) -> Practice:
    settings.set_value(practice, "timezone", NY)
    settings.set_value(practice, "country", "US")
    settings.set_value(practice, "hours", "mon-sun 00:00-23:59")
    return practice


def client(p: Practice, n: int) -> int:
    return add_client(p, f"Client {n}", f"+1 212 555 01{n:02d}", f"c{n}@example.com")


def book(p: Practice, who: int, start: datetime, minutes: int, **kw: object) -> int:
    return scheduling.book(p, BookingRequest(client_id=who, start=start,
                                             custom_service_name="Therapy",
                                             duration_minutes=minutes, **kw))  # type: ignore[arg-type]


def test_a_session_across_the_spring_change_keeps_its_real_length(ny: Practice) -> None:
    # The handed case: 01:30 EST + 90 min is 04:00 EDT, not the wall clock's 03:00.
    book(ny, client(ny, 1), local("2027-03-14T03:30", NY), 50)
    with pytest.raises(BookingConflict) as refused:
        book(ny, client(ny, 2), local("2027-03-14T01:30", NY), 90)
    assert [c.rule for c in refused.value.conflicts] == ["staff_busy"]
    long_id = book(ny, client(ny, 3), local("2027-03-14T00:30", NY), 90)
    view = queries.show(ny, long_id)
    assert view.end.strftime("%H:%M %z") == "03:00 -0400"
    assert elapsed(view.start, view.end) == timedelta(minutes=90)
    assert view.as_json()["end"] == "2027-03-14T03:00:00-04:00"


def test_a_session_across_the_autumn_change_keeps_its_real_length(ny: Practice,
                                                                   tmp_path: Path) -> None:
    first = book(ny, client(ny, 1), local("2027-11-07T01:30", NY), 50)
    view = queries.show(ny, first)
    assert elapsed(view.start, view.end) == timedelta(minutes=50)
    assert view.end.astimezone(UTC) == datetime(2027, 11, 7, 6, 20, tzinfo=UTC)
    assert view.as_json()["end"] == "2027-11-07T01:20:00-05:00"
    # A session in the repeated hour, after the first ends, is free to book: the
    # wall clock's 02:20 end would have refused it.
    second = book(ny, client(ny, 2), datetime(2027, 11, 7, 6, 25, tzinfo=UTC), 30)  # 01:25 EST
    ics = tmp_path / "week.ics"
    rows = exports.sessions(ny, AUTUMN, AUTUMN)
    exports.write(ny, exports.Format.ICS, ics, rows)
    events = {str(e["uid"]): e for e in Calendar.from_ical(ics.read_bytes()).walk("VEVENT")}
    event = events[exports.uid(first)]
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=50)
    assert event.decoded("dtend").astimezone(UTC) == datetime(2027, 11, 7, 6, 20, tzinfo=UTC)
    # The agenda lays them out one after the other, not side by side.
    placed = place([queries.show(ny, first), queries.show(ny, second)])
    assert {(pl.view.id, pl.column, pl.columns) for pl in placed} == {(first, 0, 1),
                                                                        (second, 0, 1)}


def test_buffers_count_real_minutes(ny: Practice) -> None:
    sv = add_service(ny, name="Long", duration_minutes=60, buffer_after_minutes=30)
    first = scheduling.book(ny, BookingRequest(client_id=client(ny, 1),
                                               start=local("2027-03-14T01:30", NY),
                                               service_id=sv))
    # 01:30 EST + 60 min is 03:30 EDT; its 30 minutes of wrap-up reach 04:00 EDT.
    with pytest.raises(BookingConflict):
        book(ny, client(ny, 2), local("2027-03-14T03:30", NY), 30)
    book(ny, client(ny, 2), local("2027-03-14T04:00", NY), 30)
    moved = book(ny, client(ny, 3), local("2027-03-14T08:00", NY), 60)
    with pytest.raises(BookingConflict):
        scheduling.reschedule(ny, moved, local("2027-03-14T03:45", NY))
    assert queries.show(ny, first).end.strftime("%H:%M") == "03:30"


def test_free_times_on_a_change_day_are_judged_on_real_minutes(ny: Practice) -> None:
    settings.set_value(ny, "hours", "sun 00:00-06:00")
    book(ny, client(ny, 1), local("2027-03-14T04:00", NY), 60)
    free = availability.free_slots(ny, SPRING, duration_minutes=90, step_minutes=30)
    shown = [s.strftime("%H:%M") for s in free]
    # 01:30 EST + 90 min reaches 04:00 EDT: the last start before the booked hour.
    assert "01:30" in shown and "02:00" not in shown and "03:00" not in shown
    for start in free:
        assert later_minutes(start, 90) <= local("2027-03-14T04:00", NY) or \
            start >= local("2027-03-14T05:00", NY)
    ranges = availability.free_ranges(ny, [SPRING], step_minutes=30)[SPRING]
    for lo, hi in ranges:
        assert elapsed(lo, hi) > timedelta(0)


def test_reminder_lead_is_real_time_before_a_session_after_the_change(
        ny: Practice, clock: FrozenClock) -> None:
    config.set_value(ny, "reminders.default", "email:1440")
    clock.set(datetime(2027, 3, 1, tzinfo=UTC))
    who = clients.add(ny, name="Ann Lee", phone="+1 212 555 0123", email="ann@example.com",
                      consent=[Channel.EMAIL]).id
    # Sunday 14 March 12:00 EDT: 24 real hours earlier is Saturday 11:00 EST.
    a = book(ny, who, local("2027-03-14T12:00", NY), 50)
    [m] = reminders.list_for(ny, a)
    assert m.due_at.astimezone(UTC) == datetime(2027, 3, 13, 16, tzinfo=UTC)


def test_late_cancellation_counts_real_hours(ny: Practice, clock: FrozenClock) -> None:
    settings.set_value(ny, "cancel_notice", "24h")
    settings.set_value(ny, "cancel_fee", "100,00")
    clock.set(datetime(2027, 3, 1, tzinfo=UTC))
    a = book(ny, client(ny, 1), local("2027-03-14T12:00", NY), 50)
    # 11:30 EST on Saturday is 23.5 real hours before 12:00 EDT on Sunday.
    clock.set(local("2027-03-13T11:30", NY))
    assert late_notice(local("2027-03-14T12:00", NY), local("2027-03-13T11:30", NY), 24 * 60)
    scheduling.cancel(ny, a, reason="ill")
    assert queries.show(ny, a).cancellation_fee_cents == 10000


def test_a_candidate_written_in_local_time_ends_in_real_time(ny: Practice) -> None:
    c = Candidate(start=local("2027-03-14T01:30", NY), duration=timedelta(minutes=90),
                  staff_id=1, client_id=None, service_id=None)
    assert c.end.astimezone(UTC) == datetime(2027, 3, 14, 8, 0, tzinfo=UTC)


def test_an_imported_row_on_a_change_day_is_judged_on_real_minutes(ny: Practice,
                                                                   tmp_path: Path) -> None:
    book(ny, client(ny, 1), local("2027-03-14T03:30", NY), 50)
    add_service(ny, name="Therapy", duration_minutes=90)
    f = tmp_path / "rows.csv"
    f.write_text("name,phone,service,date,time\n"
                 "Bea Stone,+1 212 555 0199,Therapy,2027-03-14,01:30\n", encoding="utf-8")
    report = importing.import_file(ny, f, dry=True)
    assert [r.status.value for r in report.rows] == ["conflict"]


def test_free_times_in_the_repeated_hour_are_offered_twice(ny: Practice) -> None:
    settings.set_value(ny, "hours", "sun 00:00-03:00")
    free = availability.free_slots(ny, AUTUMN, duration_minutes=60, step_minutes=30)
    shown = [(s.strftime("%H:%M"), s.utcoffset() // timedelta(hours=1)) for s in free]
    assert ("01:30", -4) in shown and ("01:30", -5) in shown
    assert [utc(s) for s in free] == sorted(utc(s) for s in free)
    book(ny, client(ny, 1), next(s for s in free if s.utcoffset() == timedelta(hours=-5)
                                 and s.strftime("%H:%M") == "01:30"), 60)


def test_a_day_whose_midnight_is_skipped_still_closes_at_24(practice: Practice) -> None:
    """Santiago skips 00:00 on the night of 2027-09-04 (clocks go to 01:00): a
    session ending when the next day begins ends at 24:00."""
    settings.set_value(practice, "timezone", "America/Santiago")
    settings.set_value(practice, "country", "CL")
    settings.set_value(practice, "hours", "sat 19:00-24:00")
    who = add_client(practice, "Ana Teste", "+56 9 6123 4567", None)
    a = book(practice, who, local("2027-09-04T23:00", "America/Santiago"), 60)
    assert queries.show(practice, a).end.strftime("%d %H:%M") == "05 01:00"
    with pytest.raises(BookingConflict):
        book(practice, add_client(practice, "Bia Teste", "+56 9 6123 4568", None),
             local("2027-09-11T23:30", "America/Santiago"), 60)
    free = availability.free_slots(practice, date(2027, 9, 4), duration_minutes=30,
                                   step_minutes=30)
    assert [s.strftime("%H:%M") for s in free][-1] == "22:30"  # 23:00-24:00 is booked


def test_touching_intervals_are_one(practice: Practice) -> None:
    settings.set_value(practice, "hours", "sat 19:00-23:00,23:00-24:00")
    assert settings.get(practice).hours["sat"] == "19:00-24:00"
    book(practice, add_client(practice), local("2026-11-28T22:30"), 60)


@pytest.mark.parametrize("fmt", [exports.Format.CSV, exports.Format.XLSX])
def test_the_repeated_hour_survives_an_export_and_an_import(ny: Practice, tmp_path: Path,
                                                             fmt: exports.Format) -> None:
    from app.services.practice import open_practice

    first = book(ny, client(ny, 1), local("2027-11-07T01:30", NY), 30)  # EDT
    second = book(ny, client(ny, 2), datetime(2027, 11, 7, 6, 30, tzinfo=UTC), 30)  # EST
    path = tmp_path / f"autumn.{fmt.value}"
    exports.write(ny, fmt, path, exports.sessions(ny, AUTUMN, AUTUMN))
    if fmt is exports.Format.CSV:
        text = path.read_text(encoding="utf-8-sig")
        assert "01:30 -04:00" in text and "01:30 -05:00" in text
    again = importing.import_file(ny, path, dry=True)
    assert [(r.status.value, r.appointment_id) for r in again.rows] == [
        ("duplicate", first), ("duplicate", second)] or \
        all("Already in the agenda" in r.reason for r in again.rows), \
        [(r.status.value, r.reason) for r in again.rows]
    other = open_practice(tmp_path / "other", clock=ny.clock, logging_on=False)
    try:
        settings.set_value(other, "timezone", NY)
        settings.set_value(other, "country", "US")
        settings.set_value(other, "hours", "mon-sun 00:00-23:59")
        report = importing.import_file(other, path)
        assert report.imported == 2, [r.reason for r in report.rows]
        assert sorted(utc(v.start) for v in queries.list_appointments(other)) == [
            datetime(2027, 11, 7, 5, 30, tzinfo=UTC), datetime(2027, 11, 7, 6, 30, tzinfo=UTC)]
    finally:
        other.close()
