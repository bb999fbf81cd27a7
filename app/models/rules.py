"""Booking rules as pure functions over plain values: what the services load from
the database is judged here, so availability and booking can never disagree."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from app.models.hours import minute_of_day
from app.models.instants import elapsed, later
from app.models.recurrence import resolve_local


class Rule(StrEnum):
    STAFF_BUSY = "staff_busy"
    CLIENT_BUSY = "client_busy"
    OUTSIDE_HOURS = "outside_hours"
    SERVICE_HOURS = "service_hours"
    MIN_NOTICE = "min_notice"
    DAILY_LIMIT = "daily_limit"
    IN_PAST = "in_past"
    FAR_AHEAD = "far_ahead"  # a typo'd year (2202) is asked about, not booked silently


# Further ahead than this, a booking is more likely a mistyped year than a plan.
FAR_AHEAD = timedelta(days=2 * 366)


@dataclass(frozen=True, slots=True)
class Booked:
    """An existing session that occupies time."""

    appointment_id: int
    start: datetime
    end: datetime
    staff_id: int
    client_id: int
    service_id: int | None
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)


@dataclass(frozen=True)
class Candidate:
    start: datetime
    duration: timedelta
    staff_id: int
    client_id: int | None
    service_id: int | None
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)

    @property
    def end(self) -> datetime:
        """The start plus the real duration (not the wall clock's, on a DST day)."""
        return later(self.start, self.duration)


@dataclass(frozen=True)
class ServiceRules:
    min_notice: timedelta = timedelta(0)
    bookable_weekdays: str = "0123456"
    bookable_from: time | None = None
    bookable_until: time | None = None
    max_per_day: int | None = None


Hours = Mapping[int, Sequence[tuple[time, time]]]  # weekday -> open intervals


@dataclass(frozen=True)
class Violation:
    rule: Rule
    other: Booked | None = None
    detail: Mapping[str, object] = field(default_factory=dict)


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open intervals: a session ending at 10:00 does not clash with one at 10:00.
    Compared in UTC: two times of one zone compare by wall clock in Python."""
    a_start, a_end = a_start.astimezone(UTC), a_end.astimezone(UTC)
    return a_start < b_end.astimezone(UTC) and b_start.astimezone(UTC) < a_end


def staff_clash(c: Candidate, b: Booked) -> bool:
    # Each side keeps its own preparation and wrap-up time.
    return overlaps(later(c.start, -c.buffer_before), later(c.end, c.buffer_after),
                    later(b.start, -b.buffer_before), later(b.end, b.buffer_after))


def _day_minutes(start_local: datetime, end_local: datetime) -> tuple[int, int]:
    """Start and end as minutes after the start's local midnight, on the wall clock:
    a session ending when the next day begins ends at 1440 — even where that day
    begins at 01:00 because its midnight is skipped (Santiago, September) — and one
    ending later, beyond it by the real minutes since."""
    s = start_local.hour * 60 + start_local.minute
    if end_local.date() == start_local.date():
        return s, end_local.hour * 60 + end_local.minute + (end_local.second > 0)
    zone = start_local.tzinfo
    assert isinstance(zone, ZoneInfo)
    next_day = resolve_local(datetime.combine(start_local.date() + timedelta(days=1), time(0)),
                             zone)
    return s, 1440 + math.ceil(elapsed(next_day, end_local) / timedelta(minutes=1))


def fits_hours(start_local: datetime, end_local: datetime, hours: Hours) -> bool:
    """The session lies wholly inside one open interval of its own local day; an
    interval ending at 24:00 holds a session ending at midnight."""
    s, e = _day_minutes(start_local, end_local)
    return any(minute_of_day(lo) <= s and e <= minute_of_day(hi, end=True)
               for lo, hi in hours.get(start_local.weekday(), ()))


def evaluate(
    c: Candidate,
    *,
    now: datetime,
    zone: ZoneInfo,
    hours: Hours,
    booked: Iterable[Booked],
    service: ServiceRules | None,
) -> list[Violation]:
    """Every rule the candidate breaks; empty means it can be booked.
    `booked` must hold the occupying sessions that may touch the candidate's day,
    without the session being moved (for a reschedule)."""
    out: list[Violation] = []
    booked = list(booked)
    if elapsed(now, c.start) < timedelta(0):
        out.append(Violation(Rule.IN_PAST))
    elif elapsed(now, c.start) > FAR_AHEAD:
        out.append(Violation(Rule.FAR_AHEAD))
    for b in booked:
        if b.staff_id == c.staff_id and staff_clash(c, b):
            out.append(Violation(Rule.STAFF_BUSY, b))
    for b in booked:
        if (c.client_id is not None and b.client_id == c.client_id and b.staff_id != c.staff_id
                and overlaps(c.start, c.end, b.start, b.end)):
            out.append(Violation(Rule.CLIENT_BUSY, b))
    start_local, end_local = c.start.astimezone(zone), c.end.astimezone(zone)
    if not fits_hours(start_local, end_local, hours):
        out.append(Violation(Rule.OUTSIDE_HOURS))
    if service is not None:
        out.extend(_service_violations(c, service, now, zone, start_local, end_local, booked))
    return out


def _service_violations(
    c: Candidate, s: ServiceRules, now: datetime, zone: ZoneInfo,
    start_local: datetime, end_local: datetime, booked: list[Booked],
) -> list[Violation]:
    out: list[Violation] = []
    day_ok = str(start_local.weekday()) in s.bookable_weekdays
    start_m, end_m = _day_minutes(start_local, end_local)
    lo = minute_of_day(s.bookable_from) if s.bookable_from else 0
    hi = minute_of_day(s.bookable_until, end=True) if s.bookable_until else 1440
    time_ok = lo <= start_m and end_m <= hi
    if not (day_ok and time_ok):
        out.append(Violation(Rule.SERVICE_HOURS))
    if timedelta(0) <= elapsed(now, c.start) < s.min_notice:
        minutes = s.min_notice // timedelta(minutes=1)
        out.append(Violation(Rule.MIN_NOTICE, detail={"minutes": minutes}))
    if s.max_per_day is not None and c.service_id is not None:
        day = start_local.date()
        same = [b for b in booked if b.service_id == c.service_id and b.staff_id == c.staff_id
                and local_date(b.start, zone) == day]
        if len(same) >= s.max_per_day:
            out.append(Violation(Rule.DAILY_LIMIT, detail={"limit": s.max_per_day}))
    return out


def late_notice(start: datetime, now: datetime, notice_minutes: int) -> bool:
    """Whether cancelling at `now` gives less real notice than the policy's minutes."""
    return elapsed(now, start) < timedelta(minutes=notice_minutes)


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()
