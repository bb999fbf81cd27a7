"""The iCalendar part of e-mails, so the client's calendar follows the session.
One UID for a session and everything it was moved to; SEQUENCE grows with each
change, as calendar programs expect (RFC 5546)."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event
from sqlmodel import Session

from app.models.enums import AppointmentStatus
from app.models.instants import later_minutes
from app.models.tables import Appointment


def chain(s: Session, appointment: Appointment) -> tuple[Appointment, int]:
    """The first session of a reschedule chain, and how many moves led here."""
    root, moves = appointment, 0
    while root.rescheduled_from_id is not None:
        previous = s.get(Appointment, root.rescheduled_from_id)
        if previous is None:
            break
        root, moves = previous, moves + 1
    return root, moves


def build(s: Session, appointment: Appointment, *, summary: str, organizer: str,
          attendee: str, now: datetime, cancel: bool = False) -> bytes:
    root, moves = chain(s, appointment)
    cal = Calendar()
    cal.add("prodid", "-//Practice Desk//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancel else "REQUEST")
    event = Event()
    event.add("uid", f"session-{root.id}@practice-desk")
    event.add("sequence", moves + (1 if cancel else 0))
    event.add("dtstamp", now)
    event.add("dtstart", appointment.start)
    event.add("dtend", later_minutes(appointment.start, appointment.duration_minutes))
    event.add("summary", summary)
    event.add("status", "CANCELLED" if cancel or
              appointment.status is AppointmentStatus.CANCELLED else "CONFIRMED")
    if organizer:
        event.add("organizer", f"mailto:{organizer}")
    event.add("attendee", f"mailto:{attendee}")
    cal.add_component(event)
    return bytes(cal.to_ical())
