"""What the Painel shows: today's sessions, the unconfirmed ones coming up, what
clients confirmed lately, past sessions still without an outcome, no-shows to
follow up, and messages that did not go or cannot go."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import col, select

from app.i18n import _, format_money
from app.models import plain_tables
from app.models.enums import AppointmentStatus
from app.models.rules import late_notice
from app.models.tables import Appointment, AuditEvent
from app.models.transitions import Action
from app.services import audit
from app.services.failures import (
    About,
    BlockedGroup,
    FailureGroup,
    blocked_groups,
    decisions_waiting,
    failure_groups,
)
from app.services.people import notes_access
from app.services.practice import Practice
from app.services.queries import (
    AppointmentView,
    list_appointments,
    listed_views,
    listing_query,
)
from app.services.relay_client import RequestView, pending_requests
from app.services.reminders import MessageView
from app.services.settings import SettingsView
from app.services.settings import get as get_settings


@dataclass(frozen=True)
class Dashboard:
    today: list[AppointmentView]
    unconfirmed: list[AppointmentView]  # scheduled, starting within the next 48 hours
    no_shows: list[AppointmentView]  # the last 30 days, newest first
    # Messages whose fate is unknown (sent or not, nobody knows) that still matter:
    # a person decides. The newest DECISIONS_SHOWN; decisions_total counts them all.
    decisions: list[MessageView] = field(default_factory=list)
    # Clients' cancellation requests and notices from the link, with their session.
    requests: list[tuple[RequestView, AppointmentView, str]] = field(default_factory=list)
    decisions_total: int = 0
    # Messages that were not sent, one group per channel and cause, the largest first.
    failures: list[FailureGroup] = field(default_factory=list)
    # Whether the practice has any session at all: an empty Painel says how to begin.
    has_sessions: bool = True
    # Sessions clients confirmed through their link in the last CONFIRMATIONS_HOURS,
    # newest first, with when they confirmed (in the practice's zone).
    confirmations: list[tuple[datetime, AppointmentView]] = field(default_factory=list)
    # Sessions already over that are still scheduled or confirmed: completed or a
    # no-show? The most recent OUTCOMES_SHOWN; no_outcome_total counts them all.
    no_outcome: list[AppointmentView] = field(default_factory=list)
    no_outcome_total: int = 0
    # Messages waiting to go that something holds back (a channel not set up, a
    # keyring that cannot be read): one group per cause, with its count.
    blocked: list[BlockedGroup] = field(default_factory=list)
    # What "Charge the session" would charge, per cancellation request id, as money
    # ("" when the notice was long enough and no fee is due).
    fees: dict[int, str] = field(default_factory=dict)
    # Whom and which session the decisions are about, by message id.
    about: dict[int, About] = field(default_factory=dict)


DECISIONS_SHOWN = 100
CONFIRMATIONS_HOURS = 24
OUTCOMES_SHOWN = 50
OPEN = [AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED]


def load(p: Practice, *, unconfirmed_hours: int = 48, no_show_days: int = 30) -> Dashboard:
    zone = get_settings(p).zone
    now = p.clock.now()
    day = now.astimezone(zone).date()
    today = [v for v in list_appointments(p, start=day, end=day)
             if v.status is not AppointmentStatus.RESCHEDULED]
    horizon = now + timedelta(hours=unconfirmed_hours)
    upcoming = list_appointments(p, start=day, end=horizon.astimezone(zone).date(),
                                 statuses=[AppointmentStatus.SCHEDULED])
    # A session the client asked to cancel waits for the professional's decision
    # (in `requests`), not for a confirmation.
    unconfirmed = [v for v in upcoming if now <= v.start <= horizon and not v.cancel_requested]
    since = (now - timedelta(days=no_show_days)).astimezone(zone).date()
    no_shows = list_appointments(p, start=since, end=day, statuses=[AppointmentStatus.NO_SHOW])
    decisions, decisions_total, about = decisions_waiting(p, DECISIONS_SHOWN)
    policy = get_settings(p)
    requests = []
    fees: dict[int, str] = {}
    pending = pending_requests(p)
    shown = views_of(p, [r.appointment_id for r in pending])
    for r in pending:
        view = shown[r.appointment_id]
        requests.append((r, view, policy_sentence(view, policy, now)))
        fee = charge_fee_cents(view, policy, now)
        fees[r.id] = format_money(fee, policy.currency) if fee else ""
    with p.db.read() as s:
        has_sessions = s.exec(select(Appointment.id).limit(1)).first() is not None
    over = [v for v in list_appointments(p, end=day, statuses=OPEN) if v.end <= now]
    return Dashboard(today=today, unconfirmed=unconfirmed, no_shows=no_shows[::-1],
                     decisions=decisions, requests=requests, decisions_total=decisions_total,
                     failures=failure_groups(p), has_sessions=has_sessions,
                     confirmations=client_confirmations(p, now - timedelta(
                         hours=CONFIRMATIONS_HOURS)),
                     no_outcome=over[::-1][:OUTCOMES_SHOWN], no_outcome_total=len(over),
                     blocked=blocked_groups(p), fees=fees, about=about)


def client_confirmations(p: Practice, since: datetime) -> list[tuple[datetime, AppointmentView]]:
    """Sessions clients confirmed themselves (the link, a WhatsApp reply) since
    `since` and that are still confirmed (not since undone, cancelled, marked a no-show
    or done), newest first, each with the moment of the confirmation."""
    zone = get_settings(p).zone
    with p.db.read() as s:
        rows = s.exec(select(AuditEvent.at, AuditEvent.entity_id).where(
            AuditEvent.entity == "appointment", AuditEvent.action == Action.CONFIRM.value,
            AuditEvent.actor == audit.CLIENT, col(AuditEvent.at) >= since)
            .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())).all()
    latest: dict[int, datetime] = {}  # newest first: the first seen is the latest
    for at, appointment_id in rows:
        if appointment_id is not None:
            latest.setdefault(appointment_id, at)
    shown = views_of(p, list(latest))
    return [(at.astimezone(zone), shown[i]) for i, at in latest.items()
            if i in shown and shown[i].status is AppointmentStatus.CONFIRMED]


def views_of(p: Practice, ids: list[int]) -> dict[int, AppointmentView]:
    """Sessions by id, read in one query (without their history)."""
    if not ids:
        return {}
    zone = get_settings(p).zone
    with p.db.read() as s:
        rows = s.connection().execute(
            listing_query().where(plain_tables.appointment.c.id.in_(ids))).all()
        access = notes_access(s, p, {r.client_id for r in rows})
    return {v.id: v for v in listed_views(rows, zone, access)}


def charge_fee_cents(view: AppointmentView, policy: SettingsView, now: datetime) -> int:
    """What cancelling this session now with a charge costs the client (as
    scheduling.cancel computes it)."""
    if late_notice(view.start, now, policy.cancel_notice_minutes):
        return policy.cancel_fee_cents
    return 0


def policy_sentence(view: AppointmentView, policy: SettingsView, now: datetime) -> str:
    """What the cancellation policy says about cancelling this session now."""
    hours = policy.cancel_notice_minutes // 60
    if policy.cancel_fee_cents and late_notice(view.start, now, policy.cancel_notice_minutes):
        return _("Less than {hours} h before the session: the late cancellation fee of {fee} "
                 "applies if you charge.").format(
            hours=hours, fee=format_money(policy.cancel_fee_cents, policy.currency))
    return _("More than {hours} h before the session: no fee is due.").format(hours=hours)
