"""Arithmetic on instants. Python adds a timedelta to an aware datetime on its wall
clock and compares two datetimes of the same zone by their wall clocks, so on a
day the clocks change a 90-minute session at 01:30 would "end" at 03:00, 30 real
minutes later. Durations, buffers and lead times are elapsed time: they are
computed here, on UTC, and only series and working hours stay on the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def later(instant: datetime, delta: timedelta) -> datetime:
    """`instant` moved by `delta` of elapsed time, in the same zone as `instant`.
    Raises ValueError for a naive datetime (it names no instant)."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime given where an instant is required")
    return (instant.astimezone(UTC) + delta).astimezone(instant.tzinfo)


def later_minutes(instant: datetime, minutes: int) -> datetime:
    """`later` in whole minutes (may be negative)."""
    return later(instant, timedelta(minutes=minutes))


def elapsed(start: datetime, end: datetime) -> timedelta:
    """Real time from `start` to `end` (negative when `end` is earlier), whatever
    zones they are written in."""
    return end.astimezone(UTC) - start.astimezone(UTC)


def utc(instant: datetime) -> datetime:
    """The same instant in UTC: a key that sorts and compares by real time."""
    return instant.astimezone(UTC)
