"""Free start times of a professional on a day, judged by the very rules that
booking uses, so a slot offered here can always be booked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from app.i18n import _
from app.models.enums import OCCUPYING_STATUSES
from app.models.hours import minute_of_day
from app.models.instants import later, later_minutes, utc
from app.models.recurrence import resolve_local
from app.models.rules import Booked, Candidate, evaluate
from app.models.tables import Appointment
from app.services.catalog import default_staff, get_service, get_staff, service_rules
from app.services.errors import InvalidInput
from app.services.practice import Practice
from app.services.queries import local_midnight
from app.services.scheduling import booked_from
from app.services.settings import load_row, practice_hours, practice_zone

DEFAULT_DURATION = 50
DEFAULT_STEP = 15


def free_slots(p: Practice, day: date, *, service_id: int | None = None,
               staff_id: int | None = None, duration_minutes: int | None = None,
               step_minutes: int = DEFAULT_STEP,
               ignoring: Sequence[int] = ()) -> list[datetime]:
    """Local, aware start times; each interval of the working day is walked from
    its opening in steps, and a start is free when no rule refuses it.
    ignoring: sessions not counted as busy (the one being moved frees its own time)."""
    if step_minutes < 5:
        raise InvalidInput(_("The slot step must be at least 5 minutes."))
    with p.db.read() as s:
        zone = practice_zone(s)
        staff = get_staff(s, staff_id) if staff_id is not None else default_staff(s)
        service = get_service(s, service_id) if service_id is not None else None
        assert staff.id is not None
        minutes = duration_minutes or (service.duration_minutes if service
                                       else DEFAULT_DURATION)
        hours = practice_hours(s, staff.id)
        day_start = local_midnight(day, zone)
        day_end = local_midnight(day + timedelta(days=1), zone)
        rows = s.exec(select(Appointment).where(
            Appointment.staff_id == staff.id, col(Appointment.status).in_(OCCUPYING_STATUSES),
            Appointment.start >= day_start - timedelta(days=1), Appointment.start < day_end))
        # Only sessions that reach into this day (buffers included) can refuse a start.
        booked: list[Booked] = [b for b in map(booked_from, (r for r in rows
                                                             if r.id not in ignoring))
                                if later(b.end, b.buffer_after) > day_start
                                and later(b.start, -b.buffer_before) < day_end]
        rules = service_rules(service) if service else None
        before = timedelta(minutes=service.buffer_before_minutes if service else 0)
        after = timedelta(minutes=service.buffer_after_minutes if service else 0)
    now = p.clock.now()
    out: list[datetime] = []
    midnight = datetime.combine(day, time(0))
    for open_at, close_at in hours.get(day.weekday(), []):
        # Starts walk the wall clock; whether the session fits before closing is
        # the rules' question (its real length differs on a day the clocks change).
        for minute in range(minute_of_day(open_at), minute_of_day(close_at, end=True),
                            step_minutes):
            first = resolve_local(midnight + timedelta(minutes=minute), zone)
            # When the clocks go back, a wall time happens twice: both are offered.
            second = first.replace(fold=1)
            twice = second.utcoffset() != first.utcoffset()
            for start in (first, second) if twice else (first,):
                cand = Candidate(start=start, duration=timedelta(minutes=minutes),
                                 staff_id=staff.id, client_id=None,
                                 service_id=service.id if service else None,
                                 buffer_before=before, buffer_after=after)
                if not evaluate(cand, now=now, zone=zone, hours=hours, booked=booked,
                                service=rules):
                    out.append(start)
    # Keyed by the instant: two times of one zone compare equal by wall clock.
    return sorted({utc(s): s for s in out}.values(), key=utc)


def next_free(p: Practice, after: datetime, *, service_id: int | None = None,
              staff_id: int | None = None, duration_minutes: int | None = None,
              step_minutes: int = 30, days: int = 14,
              ignoring: Sequence[int] = ()) -> datetime | None:
    """The first free start later than `after` (a session's own time, or now) on
    which the session fits, within `days` days: the time a form should propose."""
    zone = ZoneInfo(settings_zone(p))
    first_day = after.astimezone(zone).date()
    for ahead in range(days + 1):
        for start in free_slots(p, first_day + timedelta(days=ahead), service_id=service_id,
                                staff_id=staff_id, duration_minutes=duration_minutes,
                                step_minutes=step_minutes, ignoring=ignoring):
            if start > after:
                return start
    return None


def settings_zone(p: Practice) -> str:
    with p.db.read() as s:
        return load_row(s).timezone


__all__ = ["free_slots", "next_free"]


def free_ranges(p: Practice, days: list[date], *, service_id: int | None = None,
                staff_id: int | None = None, step_minutes: int = DEFAULT_STEP
                ) -> dict[date, list[tuple[datetime, datetime]]]:
    """Per day, the stretches of time a session of the service could occupy: the
    union of [free start, free start + duration]. The agenda shades these."""
    minutes = DEFAULT_DURATION
    if service_id is not None:
        with p.db.read() as s:
            minutes = get_service(s, service_id).duration_minutes
    out: dict[date, list[tuple[datetime, datetime]]] = {}
    for day in days:
        merged: list[tuple[datetime, datetime]] = []
        for start in free_slots(p, day, service_id=service_id, staff_id=staff_id,
                                step_minutes=step_minutes):
            end = later_minutes(start, minutes)
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        out[day] = merged
    return out
