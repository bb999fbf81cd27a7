"""What the Painel shows: today's sessions, the unconfirmed ones coming up, and
no-shows to follow up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from app.models.enums import AppointmentStatus
from app.models.outbox import MessageState
from app.services.practice import Practice
from app.services.queries import AppointmentView, list_appointments
from app.services.reminders import MessageView, list_outbox
from app.services.settings import get as get_settings


@dataclass(frozen=True)
class Dashboard:
    today: list[AppointmentView]
    unconfirmed: list[AppointmentView]  # scheduled, starting within the next 48 hours
    no_shows: list[AppointmentView]  # the last 30 days, newest first
    # Messages that failed or whose fate is unknown: a person decides.
    decisions: list[MessageView] = field(default_factory=list)


def load(p: Practice, *, unconfirmed_hours: int = 48, no_show_days: int = 30) -> Dashboard:
    zone = get_settings(p).zone
    now = p.clock.now()
    day = now.astimezone(zone).date()
    today = [v for v in list_appointments(p, start=day, end=day)
             if v.status is not AppointmentStatus.RESCHEDULED]
    horizon = now + timedelta(hours=unconfirmed_hours)
    upcoming = list_appointments(p, start=day, end=horizon.astimezone(zone).date(),
                                 statuses=[AppointmentStatus.SCHEDULED])
    unconfirmed = [v for v in upcoming if now <= v.start <= horizon]
    since = (now - timedelta(days=no_show_days)).astimezone(zone).date()
    no_shows = list_appointments(p, start=since, end=day, statuses=[AppointmentStatus.NO_SHOW])
    decisions = list_outbox(p, [MessageState.FAILED, MessageState.UNKNOWN], limit=100)
    return Dashboard(today=today, unconfirmed=unconfirmed, no_shows=no_shows[::-1],
                     decisions=decisions)
