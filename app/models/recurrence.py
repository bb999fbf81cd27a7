"""Expanding a repeat rule into instants. Occurrences are generated in local
wall-clock time, so a weekly 10:00 stays 10:00 across a daylight-saving change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import MONTHLY, WEEKLY, rrule, weekday

from app.models.enums import RepeatFrequency

MAX_OCCURRENCES = 500


class RecurrenceError(ValueError):
    pass


def resolve_local(naive: datetime, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as an aware datetime. A time skipped by a
    spring-forward change moves forward by the gap (02:30 -> 03:30), as calendar
    programs do; an ambiguous autumn time takes its first occurrence."""
    aware = naive.replace(tzinfo=zone, fold=0)
    round_trip = aware.astimezone(UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != naive:
        # Non-existent: fold=0 reads it with the offset from before the gap,
        # which normalises to the same distance after the change.
        return round_trip
    return aware


def repeated(local: datetime) -> bool:
    """Whether this wall time happens twice (the hour the clocks go back)."""
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def resolve_with_offset(local: datetime, zone: ZoneInfo) -> datetime:
    """A wall time that may carry a UTC offset (a file's "01:30 -05:00"): in the
    hour that happens twice the offset says which one; otherwise the offset is
    left aside and the wall time is read in the practice's zone, as resolve_local."""
    naive = local.replace(tzinfo=None)
    if local.tzinfo is not None:
        for fold in (0, 1):
            placed = naive.replace(tzinfo=zone, fold=fold)
            if placed.utcoffset() == local.utcoffset() and repeated(placed):
                return placed
    return resolve_local(naive, zone)


def nth_weekday_of_month(day: date) -> int:
    """1..4 for the first to fourth, -1 for a fifth (which becomes "the last")."""
    n = (day.day - 1) // 7 + 1
    return -1 if n == 5 else n


def expand(
    start: datetime,
    zone: ZoneInfo,
    frequency: RepeatFrequency,
    *,
    interval: int = 1,
    count: int | None = None,
    until: date | None = None,
) -> list[datetime]:
    """UTC instants of every occurrence, the first being `start` itself."""
    if (count is None) == (until is None):
        raise RecurrenceError("give either a number of sessions or an end date")
    if count is not None and not 1 <= count <= MAX_OCCURRENCES:
        raise RecurrenceError(f"the number of sessions must be between 1 and {MAX_OCCURRENCES}")
    if interval < 1:
        raise RecurrenceError("the interval must be at least 1")
    local = start.astimezone(zone)
    wall = local.replace(tzinfo=None)
    if until is not None and until < wall.date():
        raise RecurrenceError("the end date is before the first session")
    if frequency is RepeatFrequency.BIWEEKLY:
        frequency, interval = RepeatFrequency.WEEKLY, 2 * interval
    end_wall = datetime.combine(until, datetime.max.time()) if until else None
    if frequency is RepeatFrequency.WEEKLY:
        rule = rrule(WEEKLY, interval=interval, dtstart=wall, count=count, until=end_wall)
    else:
        nth = weekday(wall.weekday(), nth_weekday_of_month(wall.date()))
        rule = rrule(MONTHLY, interval=interval, dtstart=wall, byweekday=nth,
                     count=count, until=end_wall)
    # Expansion runs on naive wall times; each is then placed in the zone.
    out: list[datetime] = []
    for occ in rule:
        out.append(resolve_local(occ, zone).astimezone(UTC))
        if len(out) > MAX_OCCURRENCES:
            raise RecurrenceError(f"a series can hold at most {MAX_OCCURRENCES} sessions")
    return out


def shift_wall_clock(instant: datetime, zone: ZoneInfo, delta_days: int,
                     new_time: datetime | None) -> datetime:
    """Move an occurrence by whole days and/or to a new local time of day, in wall time."""
    local = instant.astimezone(zone).replace(tzinfo=None) + timedelta(days=delta_days)
    if new_time is not None:
        local = local.replace(hour=new_time.hour, minute=new_time.minute, second=0, microsecond=0)
    return resolve_local(local, zone).astimezone(UTC)
