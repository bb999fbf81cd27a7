"""Recurring sessions: expansion in local wall-clock time across DST changes,
per-occurrence conflicts, and series scopes for cancel and reschedule."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from app.models.enums import AppointmentStatus as S
from app.models.enums import RepeatFrequency, SeriesScope
from app.models.recurrence import RecurrenceError, expand, nth_weekday_of_month, resolve_local
from app.services import queries, scheduling, settings
from app.services.clock import FrozenClock
from app.services.errors import BookingConflict
from app.services.practice import Practice
from app.services.scheduling import BookingRequest, Repeat
from tests.conftest import add_client, add_service, local


@pytest.mark.parametrize(("zone", "first", "change_utc_hours"), [
    # weekly at 10:00 across the March change (clocks forward)
    ("America/New_York", "2026-03-01T10:00", (15, 14)),
    ("Europe/Lisbon", "2026-03-22T10:00", (10, 9)),
    # and across the autumn change (clocks back)
    ("America/New_York", "2026-10-25T10:00", (14, 15)),
    ("Europe/Lisbon", "2026-10-18T10:00", (9, 10)),
])
def test_weekly_series_keeps_local_time_across_dst(zone: str, first: str,
                                                   change_utc_hours: tuple[int, int]) -> None:
    z = ZoneInfo(zone)
    start = resolve_local(datetime.fromisoformat(first), z)
    occurrences = expand(start, z, RepeatFrequency.WEEKLY, count=4)
    assert [o.astimezone(z).time() for o in occurrences] == [time(10)] * 4
    utc_hours = [o.astimezone(UTC).hour for o in occurrences]
    assert utc_hours[0] == change_utc_hours[0] and utc_hours[-1] == change_utc_hours[1]
    assert [o.astimezone(z).weekday() for o in occurrences] == [6] * 4


def test_booked_weekly_series_across_dst_in_the_practice(practice: Practice,
                                                         clock: FrozenClock) -> None:
    settings.set_value(practice, "timezone", "America/New_York")
    settings.set_value(practice, "hours", "mon-sun 08:00-19:00")
    clock.set(datetime(2026, 2, 1, tzinfo=UTC))
    client, service = add_client(practice), add_service(practice)
    z = ZoneInfo("America/New_York")
    result = scheduling.book_series(practice, BookingRequest(
        client_id=client, start=local("2026-03-01T10:00", "America/New_York"),
        service_id=service), Repeat(RepeatFrequency.WEEKLY, count=3))
    starts = [queries.show(practice, i).start for i in result.ids]
    assert [s.astimezone(z).strftime("%Y-%m-%d %H:%M %z") for s in starts] == [
        "2026-03-01 10:00 -0500", "2026-03-08 10:00 -0400", "2026-03-15 10:00 -0400"]
    assert result.conflicts == []
    assert [queries.show(practice, i).source for i in result.ids] == \
        ["manual", "recurrence", "recurrence"]


def test_time_skipped_by_spring_forward_moves_forward() -> None:
    z = ZoneInfo("America/New_York")
    assert resolve_local(datetime(2026, 3, 8, 2, 30), z).strftime("%H:%M %z") == "03:30 -0400"
    # the repeated autumn hour takes its first occurrence
    assert resolve_local(datetime(2026, 11, 1, 1, 30), z).strftime("%H:%M %z") == "01:30 -0400"


def test_biweekly_and_until() -> None:
    z = ZoneInfo("America/Sao_Paulo")
    start = resolve_local(datetime(2026, 11, 23, 9), z)
    out = expand(start, z, RepeatFrequency.BIWEEKLY, until=date(2026, 12, 31))
    assert [o.astimezone(z).date().isoformat() for o in out] == [
        "2026-11-23", "2026-12-07", "2026-12-21"]
    every_three = expand(start, z, RepeatFrequency.WEEKLY, interval=3, count=3)
    assert [o.astimezone(z).day for o in every_three] == [23, 14, 4]


def test_monthly_on_the_same_weekday() -> None:
    z = ZoneInfo("America/Sao_Paulo")
    second_tuesday = resolve_local(datetime(2026, 11, 10, 14), z)
    out = expand(second_tuesday, z, RepeatFrequency.MONTHLY, count=4)
    assert [o.astimezone(z).date().isoformat() for o in out] == [
        "2026-11-10", "2026-12-08", "2027-01-12", "2027-02-09"]
    # a fifth weekday becomes "the last" so no month is skipped
    assert nth_weekday_of_month(date(2026, 12, 29)) == -1
    last = expand(resolve_local(datetime(2026, 12, 29, 14), z), z, RepeatFrequency.MONTHLY,
                  count=3)
    assert [o.astimezone(z).date().isoformat() for o in last] == [
        "2026-12-29", "2027-01-26", "2027-02-23"]


def test_bad_repeat_rules() -> None:
    z = ZoneInfo("UTC")
    start = datetime(2026, 11, 23, 9, tzinfo=UTC)
    with pytest.raises(RecurrenceError):
        expand(start, z, RepeatFrequency.WEEKLY)
    with pytest.raises(RecurrenceError):
        expand(start, z, RepeatFrequency.WEEKLY, count=0)
    with pytest.raises(RecurrenceError):
        expand(start, z, RepeatFrequency.WEEKLY, until=date(2026, 1, 1))


@pytest.fixture
def weekly(practice: Practice) -> tuple[Practice, int, int]:
    return practice, add_client(practice), add_service(practice)


def test_series_reports_exactly_which_occurrences_conflict(weekly: tuple) -> None:
    p, client, service = weekly
    other = add_client(p, "João", "+55 21 99876-5432", None)
    blocker = scheduling.book(p, BookingRequest(client_id=other, start=local("2026-12-07T10:00"),
                                                service_id=service))
    result = scheduling.book_series(p, BookingRequest(
        client_id=client, start=local("2026-11-23T10:00"), service_id=service),
        Repeat(RepeatFrequency.WEEKLY, count=4))
    assert len(result.ids) == 3
    [conflict] = result.conflicts
    assert conflict.start == local("2026-12-07T10:00")
    assert conflict.conflicts[0].appointment_id == blocker
    assert "busy" in conflict.reason


def test_series_all_or_nothing_books_none(weekly: tuple) -> None:
    p, client, service = weekly
    other = add_client(p, "João", "+55 21 99876-5432", None)
    scheduling.book(p, BookingRequest(client_id=other, start=local("2026-12-07T10:00"),
                                      service_id=service))
    with pytest.raises(BookingConflict, match="1 of 4 sessions conflict; none was booked"):
        scheduling.book_series(p, BookingRequest(
            client_id=client, start=local("2026-11-23T10:00"), service_id=service),
            Repeat(RepeatFrequency.WEEKLY, count=4), all_or_nothing=True)
    assert len(queries.list_appointments(p, client_id=client)) == 0


def _series(p: Practice, client: int, service: int, count: int = 4) -> list[int]:
    return scheduling.book_series(p, BookingRequest(
        client_id=client, start=local("2026-11-23T10:00"), service_id=service),
        Repeat(RepeatFrequency.WEEKLY, count=count)).ids


@pytest.mark.parametrize(("scope", "expected"), [
    (SeriesScope.THIS, [S.SCHEDULED, S.CANCELLED, S.SCHEDULED, S.SCHEDULED]),
    (SeriesScope.FOLLOWING, [S.SCHEDULED, S.CANCELLED, S.CANCELLED, S.CANCELLED]),
    (SeriesScope.ALL, [S.CANCELLED] * 4),
])
def test_cancel_with_scope(weekly: tuple, scope: SeriesScope, expected: list[S]) -> None:
    p, client, service = weekly
    ids = _series(p, client, service)
    scheduling.cancel(p, ids[1], reason="Férias", scope=scope)
    assert [queries.show(p, i).status for i in ids] == expected


def test_reschedule_following_moves_each_to_the_new_wall_time(weekly: tuple) -> None:
    p, client, service = weekly
    ids = _series(p, client, service)
    # move the 2nd and later from Monday 10:00 to Tuesday 15:00
    mapping = scheduling.reschedule(p, ids[1], local("2026-12-01T15:00"),
                                    scope=SeriesScope.FOLLOWING)
    assert set(mapping) == set(ids[1:])
    new_starts = [queries.show(p, mapping[i]).start for i in ids[1:]]
    assert new_starts == [local("2026-12-01T15:00"), local("2026-12-08T15:00"),
                          local("2026-12-15T15:00")]
    assert queries.show(p, ids[0]).status is S.SCHEDULED
    assert all(queries.show(p, i).status is S.RESCHEDULED for i in ids[1:])


def test_series_reschedule_with_one_conflict_moves_none(weekly: tuple) -> None:
    p, client, service = weekly
    ids = _series(p, client, service, count=3)
    other = add_client(p, "João", "+55 21 99876-5432", None)
    scheduling.book(p, BookingRequest(client_id=other, start=local("2026-12-08T15:00"),
                                      service_id=service))
    with pytest.raises(BookingConflict, match=f"Session #{ids[2]}"):
        scheduling.reschedule(p, ids[0], local("2026-11-24T15:00"), scope=SeriesScope.ALL)
    assert [queries.show(p, i).status for i in ids] == [S.SCHEDULED] * 3
