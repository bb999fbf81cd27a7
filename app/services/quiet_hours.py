"""The hours a reminder call may ring in: from `voice.quiet_start` to
`voice.quiet_end` in the practice's time zone, never wider than 08:00-20:00
(a reminder is no reason to wake anyone). A call due outside them is moved to
the next moment they allow, when that still comes before the session by more
than the caller's cutoff; otherwise it does not ring at all.

Used where a call is planned (reminders) and where it is sent (the outbox, so a
tick catching up at 22:00 does not ring)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from app.i18n import _, format_time
from app.models.instants import elapsed
from app.services import config
from app.services.settings import load_row

EARLIEST, LATEST = time(8, 0), time(20, 0)


@dataclass(frozen=True)
class Window:
    start: time  # local wall-clock time calls may begin ringing
    end: time  # local wall-clock time after which no call rings
    zone: ZoneInfo


def _clock(text: str, default: time) -> time:
    try:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        return default


def window(cfg: dict[str, str], timezone: str) -> Window:
    """The practice's calling hours from its settings (config values, its zone's
    name), narrowed to 08:00-20:00."""
    start = max(_clock(cfg["voice.quiet_start"], EARLIEST), EARLIEST)
    end = min(_clock(cfg["voice.quiet_end"], LATEST), LATEST)
    if end <= start:  # a window that allows nothing: the widest allowed one
        start, end = EARLIEST, LATEST
    return Window(start, end, ZoneInfo(timezone))


def window_of(s: Session) -> Window:
    """window() as the database holds the settings."""
    return window(config.read_all(s), load_row(s).timezone)


def next_allowed(when: datetime, w: Window) -> datetime:
    """`when` itself when a call may ring then, else the next start of the window
    (a UTC instant either way)."""
    local = when.astimezone(w.zone)
    if w.start <= local.time() < w.end:
        return when
    day = local.date() if local.time() < w.start else local.date() + timedelta(days=1)
    return datetime.combine(day, w.start, tzinfo=w.zone).astimezone(when.tzinfo)


def place(due: datetime, session_start: datetime, w: Window, cutoff: timedelta
          ) -> tuple[datetime, str | None]:
    """When a call due at `due` may ring, or why it will not: the next allowed
    moment must still be more than `cutoff` before the session."""
    allowed = next_allowed(due, w)
    if allowed == due:
        return due, None
    if elapsed(allowed, session_start) > cutoff:
        return allowed, None
    return due, _("Calls ring only from {start} to {end}, and the next of those hours is "
                  "too close to the session for the call to help.").format(
        start=format_time(w.start), end=format_time(w.end))
