"""The pure booking rules, one by one."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.models.enums import AppointmentStatus as S
from app.models.hours import HoursFormatError, parse_days, parse_hours_spec, parse_intervals
from app.models.rules import Booked, Candidate, Rule, ServiceRules, evaluate, overlaps
from app.models.transitions import Action, allowed_actions, is_allowed

Z = ZoneInfo("America/Sao_Paulo")
HOURS = {d: [(time(8), time(12)), (time(13), time(19))] for d in range(5)}
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=Z)


def cand(start: str, minutes: int = 50, staff: int = 1, client: int | None = 1,
         service: int | None = None, before: int = 0, after: int = 0) -> Candidate:
    return Candidate(at(start), timedelta(minutes=minutes), staff, client, service,
                     timedelta(minutes=before), timedelta(minutes=after))


def booked(start: str, minutes: int = 50, staff: int = 1, client: int = 2, id_: int = 9,
           service: int | None = None, before: int = 0, after: int = 0) -> Booked:
    s = at(start)
    return Booked(id_, s, s + timedelta(minutes=minutes), staff, client, service,
                  timedelta(minutes=before), timedelta(minutes=after))


def rules_of(c: Candidate, existing: list[Booked] = (), service: ServiceRules | None = None,
             hours: dict = HOURS) -> set[Rule]:
    return {v.rule for v in evaluate(c, now=NOW, zone=Z, hours=hours, booked=existing,
                                     service=service)}


def test_back_to_back_sessions_do_not_overlap() -> None:
    assert not overlaps(at("2026-11-23T10:00"), at("2026-11-23T11:00"),
                        at("2026-11-23T11:00"), at("2026-11-23T12:00"))
    assert overlaps(at("2026-11-23T10:00"), at("2026-11-23T11:00"),
                    at("2026-11-23T10:59"), at("2026-11-23T12:00"))


def test_a_free_candidate_breaks_no_rule() -> None:
    assert rules_of(cand("2026-11-23T10:00")) == set()


def test_same_professional_busy() -> None:
    assert rules_of(cand("2026-11-23T10:30"), [booked("2026-11-23T10:00")]) == {Rule.STAFF_BUSY}
    # another professional's session does not make this one busy
    assert rules_of(cand("2026-11-23T10:30"), [booked("2026-11-23T10:00", staff=2)]) == set()


def test_buffers_count_on_both_sides() -> None:
    existing = [booked("2026-11-23T10:00", after=10)]  # busy until 11:00 with wrap-up
    assert Rule.STAFF_BUSY in rules_of(cand("2026-11-23T10:55"), existing)
    assert rules_of(cand("2026-11-23T11:00"), existing) == set()
    # the new session's own preparation time reaches back into the last one
    assert Rule.STAFF_BUSY in rules_of(cand("2026-11-23T11:00", before=5), existing)


def test_same_client_with_another_professional() -> None:
    existing = [booked("2026-11-23T10:00", staff=2, client=1)]
    assert rules_of(cand("2026-11-23T10:30"), existing) == {Rule.CLIENT_BUSY}


def test_outside_working_hours_and_breaks() -> None:
    assert rules_of(cand("2026-11-23T07:30")) == {Rule.OUTSIDE_HOURS}
    assert rules_of(cand("2026-11-23T11:30")) == {Rule.OUTSIDE_HOURS}  # runs into lunch
    assert rules_of(cand("2026-11-23T18:10")) == set()  # ends exactly at 19:00
    assert rules_of(cand("2026-11-23T18:20")) == {Rule.OUTSIDE_HOURS}
    assert rules_of(cand("2026-11-28T10:00")) == {Rule.OUTSIDE_HOURS}  # Saturday


def test_service_days_hours_notice_and_daily_maximum() -> None:
    tue_thu = ServiceRules(bookable_weekdays="13", bookable_from=time(9),
                           bookable_until=time(11))
    assert rules_of(cand("2026-11-23T10:00", service=1), service=tue_thu) == {Rule.SERVICE_HOURS}
    assert rules_of(cand("2026-11-24T10:00", service=1), service=tue_thu) == set()
    assert rules_of(cand("2026-11-24T10:30", service=1), service=tue_thu) == {Rule.SERVICE_HOURS}

    notice = ServiceRules(min_notice=timedelta(hours=96))
    assert rules_of(cand("2026-11-23T10:00", service=1), service=notice) == {Rule.MIN_NOTICE}
    assert rules_of(cand("2026-11-24T10:00", service=1), service=notice) == set()

    two_a_day = ServiceRules(max_per_day=2)
    day = [booked("2026-11-23T08:00", service=1, id_=1), booked("2026-11-23T09:00", service=1,
                                                                  id_=2)]
    assert rules_of(cand("2026-11-23T14:00", service=1), day, two_a_day) == {Rule.DAILY_LIMIT}
    assert rules_of(cand("2026-11-24T14:00", service=1), day, two_a_day) == set()


def test_in_the_past() -> None:
    assert rules_of(cand("2026-11-19T10:00")) == {Rule.IN_PAST}


@pytest.mark.parametrize(("spec", "days", "intervals"), [
    ("mon-fri 08:00-19:00", [0, 1, 2, 3, 4], [(time(8), time(19))]),
    ("sat 9h-13h", [5], [(time(9), time(13))]),
    ("tue,thu 08:00-12:00,13:00-18:00", [1, 3], [(time(8), time(12)), (time(13), time(18))]),
    ("sun closed", [6], []),
])
def test_hours_spec(spec: str, days: list[int], intervals: list) -> None:
    assert parse_hours_spec(spec) == (days, intervals)


@pytest.mark.parametrize("bad", ["mon", "xyz 08:00-10:00", "mon 10:00-08:00",
                                 "mon 08:00-12:00,11:00-13:00", "fri-mon 08:00-10:00",
                                 "mon 25:00-26:00"])
def test_bad_hours_are_refused(bad: str) -> None:
    with pytest.raises(HoursFormatError):
        days, spec = bad.split(" ", 1) if " " in bad else (bad, "")
        parse_days(days)
        parse_intervals(spec) if spec else parse_hours_spec(bad)


def test_transition_table() -> None:
    assert allowed_actions(S.SCHEDULED) == list(Action)
    assert Action.CONFIRM not in allowed_actions(S.CONFIRMED)
    for final in (S.COMPLETED, S.CANCELLED, S.RESCHEDULED, S.NO_SHOW):
        assert allowed_actions(final) == []
    assert not is_allowed(Action.CONFIRM, S.NO_SHOW)
