"""What the Painel shows: today's sessions, the unconfirmed ones coming up, and
no-shows to follow up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import select

from app.i18n import _, format_money
from app.models.enums import AppointmentStatus
from app.models.outbox import MessageState
from app.models.rules import late_notice
from app.models.tables import Appointment
from app.services.failures import FailureGroup, failure_groups
from app.services.practice import Practice
from app.services.queries import AppointmentView, list_appointments, show
from app.services.relay_client import RequestView, pending_requests
from app.services.reminders import MessageView, waiting_outbox
from app.services.settings import SettingsView
from app.services.settings import get as get_settings


@dataclass(frozen=True)
class Dashboard:
    today: list[AppointmentView]
    unconfirmed: list[AppointmentView]  # scheduled, starting within the next 48 hours
    no_shows: list[AppointmentView]  # the last 30 days, newest first
    # Messages whose fate is unknown (sent or not, nobody knows): a person decides.
    # The newest DECISIONS_SHOWN; decisions_total counts them all.
    decisions: list[MessageView] = field(default_factory=list)
    # Clients' cancellation requests and notices from the link, with their session.
    requests: list[tuple[RequestView, AppointmentView, str]] = field(default_factory=list)
    decisions_total: int = 0
    # Messages that were not sent, one group per channel and cause, the largest first.
    failures: list[FailureGroup] = field(default_factory=list)
    # Whether the practice has any session at all: an empty Painel says how to begin.
    has_sessions: bool = True


DECISIONS_SHOWN = 100


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
    decisions, decisions_total = waiting_outbox(p, [MessageState.UNKNOWN], DECISIONS_SHOWN)
    policy = get_settings(p)
    requests = []
    for r in pending_requests(p):
        view = show(p, r.appointment_id)
        requests.append((r, view, policy_sentence(view, policy, now)))
    with p.db.read() as s:
        has_sessions = s.exec(select(Appointment.id).limit(1)).first() is not None
    return Dashboard(today=today, unconfirmed=unconfirmed, no_shows=no_shows[::-1],
                     decisions=decisions, requests=requests, decisions_total=decisions_total,
                     failures=failure_groups(p), has_sessions=has_sessions)


def policy_sentence(view: AppointmentView, policy: SettingsView, now: datetime) -> str:
    """What the cancellation policy says about cancelling this session now."""
    hours = policy.cancel_notice_minutes // 60
    if policy.cancel_fee_cents and late_notice(view.start, now, policy.cancel_notice_minutes):
        return _("Less than {hours} h before the session: the late cancellation fee of {fee} "
                 "applies if you charge.").format(
            hours=hours, fee=format_money(policy.cancel_fee_cents, policy.currency))
    return _("More than {hours} h before the session: no fee is due.").format(hours=hours)
