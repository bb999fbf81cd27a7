"""Booking and the life of a session: create (single or recurring), confirm, cancel,
reschedule, complete, no-show. Every rule is checked before anything is written;
a refusal changes nothing and names the rule and the session in the way."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, or_, select

from app import i18n
from app.i18n import (
    _,
    format_closing_time,
    format_date,
    format_datetime,
    format_time,
    weekday_name,
)
from app.models.enums import (
    OCCUPYING_STATUSES,
    AppointmentSource,
    AppointmentStatus,
    CancelledBy,
    ChargeDecision,
    RepeatFrequency,
    SeriesScope,
)
from app.models.hours import END_OF_DAY
from app.models.instants import later, later_minutes
from app.models.outbox import MessageKind
from app.models.recurrence import RecurrenceError, expand, shift_wall_clock
from app.models.rules import (
    Booked,
    Candidate,
    Hours,
    Rule,
    ServiceRules,
    Violation,
    evaluate,
    late_notice,
)
from app.models.tables import Appointment, AuditEvent, Client, Service, Staff
from app.models.transitions import NEEDS_STARTED, RESULT, Action, is_allowed
from app.services import (
    audit,
    channel_setup,
    clients,
    link_notices,
    people,
    queries,
    reminders,
    versions,
)
from app.services.catalog import default_staff, get_service, get_staff, service_rules
from app.services.clients import ClientDetails
from app.services.errors import (
    BookingConflict,
    ConflictInfo,
    IllegalTransition,
    InvalidInput,
    NotFound,
)
from app.services.events import Change
from app.services.practice import Practice
from app.services.settings import load_row, practice_hours, practice_zone
from app.services.status_words import source_label as source_label
from app.services.status_words import status_label as status_label
from app.services.status_words import status_text as status_text
from app.services.status_words import status_word as status_word
from app.services.values import positive_minutes


@dataclass(frozen=True)
class BookingRequest:
    client_id: int
    start: datetime  # aware
    service_id: int | None = None
    custom_service_name: str | None = None
    duration_minutes: int | None = None  # default: the service's
    staff_id: int | None = None  # default: the practice's first professional
    notes: str = ""
    price_cents: int | None = None  # default: the service's price
    source: AppointmentSource = AppointmentSource.MANUAL
    # A client created with the session (client_id is then ignored): written in the
    # same unit of work, so a refused booking leaves no client behind.
    new_client: ClientDetails | None = None
    # New phone and e-mail for the existing client, saved with the session.
    contact: ClientDetails | None = None


@dataclass(frozen=True)
class Repeat:
    frequency: RepeatFrequency
    count: int | None = None
    until: date | None = None
    interval: int = 1  # every N weeks (weekly) or N months (monthly)


@dataclass(frozen=True)
class SeriesConflict:
    start: datetime
    reason: str
    conflicts: tuple[ConflictInfo, ...]


@dataclass(frozen=True)
class SeriesResult:
    ids: list[int]
    series_id: str | None
    conflicts: list[SeriesConflict] = field(default_factory=list)


# ---------------------------------------------------------------- rule checking

@dataclass
class Names:
    clients: dict[int, str]
    staff: dict[int, str]


def _occupying_near(s: Session, start: datetime, end: datetime, staff_id: int,
                    client_id: int | None, exclude: Sequence[int] = ()
                    ) -> tuple[list[Booked], Names]:
    """Occupying sessions of this professional or client that could touch the
    candidate's local day (sessions are shorter than a day, buffers included)."""
    lo, hi = start - timedelta(days=2), end + timedelta(days=2)
    who = Appointment.staff_id == staff_id if client_id is None else \
        or_(Appointment.staff_id == staff_id, Appointment.client_id == client_id)
    rows = s.exec(select(Appointment).where(
        col(Appointment.status).in_(OCCUPYING_STATUSES), Appointment.start >= lo,
        Appointment.start < hi, who)).all()
    booked = [booked_from(a) for a in rows if a.id not in exclude]
    names = Names(
        clients={c.id: c.name for c in s.exec(select(Client).where(
            col(Client.id).in_({b.client_id for b in booked}))) if c.id is not None},
        staff={st.id: st.name for st in s.exec(select(Staff)) if st.id is not None})
    return booked, names


def booked_from(a: Appointment) -> Booked:
    assert a.id is not None
    return Booked(appointment_id=a.id, start=a.start,
                  end=later_minutes(a.start, a.duration_minutes), staff_id=a.staff_id,
                  client_id=a.client_id, service_id=a.service_id,
                  buffer_before=timedelta(minutes=a.buffer_before_minutes),
                  buffer_after=timedelta(minutes=a.buffer_after_minutes))


def describe(v: Violation, c: Candidate, names: Names, zone: ZoneInfo,
             hours: Hours, service: Service | None,
             client_name: str) -> ConflictInfo:
    """One sentence per broken rule, naming the session in the way."""
    staff = names.staff.get(c.staff_id, "?")
    when = format_datetime(c.start.astimezone(zone))
    if v.other is not None:
        o = v.other
        span = _("{day} {start}–{end}").format(
            day=format_date(o.start.astimezone(zone)), start=format_time(o.start.astimezone(zone)),
            end=format_time(o.end.astimezone(zone)))
        if v.rule is Rule.STAFF_BUSY:
            msg = _("{staff} is already busy {span} with {client} (session #{id}).").format(
                staff=staff, span=span, client=names.clients.get(o.client_id, "?"),
                id=o.appointment_id)
        else:
            msg = _("{client} already has a session {span} with {staff} (session #{id}).").format(
                client=client_name, span=span, staff=names.staff.get(o.staff_id, "?"),
                id=o.appointment_id)
        return ConflictInfo(v.rule.value, msg, o.appointment_id)
    if v.rule is Rule.IN_PAST:
        msg = _("{when} is in the past.").format(when=when)
    elif v.rule is Rule.FAR_AHEAD:
        msg = _("{when} is more than two years away: check the year.").format(when=when)
    elif v.rule is Rule.OUTSIDE_HOURS:
        local = c.start.astimezone(zone)
        day_hours = hours.get(local.weekday(), [])
        open_text = ", ".join(f"{format_time(a)}–{format_closing_time(b)}"
                              for a, b in day_hours) \
            if day_hours else _("closed")
        msg = _("{when} is outside {staff}'s working hours ({hours} that day).").format(
            when=when, staff=staff, hours=open_text)
    elif v.rule is Rule.SERVICE_HOURS:
        assert service is not None
        days = ", ".join(weekday_name(int(d)) for d in service.bookable_weekdays)
        span = ""
        if service.bookable_from or service.bookable_until:
            # On the language's clock, as the working hours' refusal above says them.
            span = " " + format_time(service.bookable_from or time(0)) + "–" + \
                format_closing_time(service.bookable_until or END_OF_DAY)
        msg = _("{service} can only be booked on {days}{span}.").format(
            service=service.name, days=days, span=span)
    elif v.rule is Rule.MIN_NOTICE:
        assert service is not None
        minutes = int(str(v.detail.get("minutes", 0)))
        msg = _("{service} needs at least {hours} h {minutes} min of notice.").format(
            service=service.name, hours=minutes // 60, minutes=minutes % 60)
    else:  # DAILY_LIMIT
        assert service is not None
        msg = _("{service} is limited to {limit} per day and {day} is full.").format(
            service=service.name, limit=v.detail.get("limit"),
            day=format_date(c.start.astimezone(zone)))
    return ConflictInfo(v.rule.value, msg, None)


@dataclass
class _Plan:
    """Everything needed to judge and write one booking."""

    client: Client
    staff: Staff
    service: Service | None
    rules: ServiceRules | None
    duration: timedelta
    buffer_before: timedelta
    buffer_after: timedelta


def _plan(s: Session, req: BookingRequest) -> _Plan:
    """What the booking needs, read and checked; a new client is checked here too
    (and not yet written), so a form's preview fails exactly where saving would."""
    if req.new_client is not None:
        details = clients.checked(s, req.new_client)
        client: Client | None = Client(name=details.name, phone=details.phone,
                                       email=details.email,
                                       created_at=datetime.now(UTC))  # never stored
    else:
        client = s.get(Client, req.client_id)
    if client is None:
        raise NotFound(_("There is no client with id {id}.").format(id=req.client_id))
    if req.contact is not None and req.new_client is None:
        clients.checked(s, req.contact)
    staff = get_staff(s, req.staff_id) if req.staff_id is not None else default_staff(s)
    service = get_service(s, req.service_id) if req.service_id is not None else None
    if service is None and not (req.custom_service_name or "").strip():
        raise InvalidInput(_("Choose a service or give a custom service name."))
    minutes = req.duration_minutes or (service.duration_minutes if service else 0)
    if not minutes:
        raise InvalidInput(_("A custom service needs a duration in minutes."))
    positive_minutes(minutes, _("The duration"))
    return _Plan(client, staff, service, service_rules(service) if service else None,
                 timedelta(minutes=minutes),
                 timedelta(minutes=service.buffer_before_minutes if service else 0),
                 timedelta(minutes=service.buffer_after_minutes if service else 0))


def _check(s: Session, p: Practice, plan: _Plan, start: datetime, *,
           exclude: Sequence[int] = (), extra: Sequence[Booked] = ()) -> list[ConflictInfo]:
    assert plan.staff.id is not None
    zone = practice_zone(s)
    cand = Candidate(start=start, duration=plan.duration, staff_id=plan.staff.id,
                     client_id=plan.client.id,
                     service_id=plan.service.id if plan.service else None,
                     buffer_before=plan.buffer_before, buffer_after=plan.buffer_after)
    booked, names = _occupying_near(s, start, cand.end, plan.staff.id, plan.client.id, exclude)
    hours = practice_hours(s, plan.staff.id)
    violations = evaluate(cand, now=p.clock.now(), zone=zone, hours=hours,
                          booked=[*booked, *extra], service=plan.rules)
    if extra:
        names.clients.setdefault(plan.client.id or 0, plan.client.name)
    return [describe(v, cand, names, zone, hours, plan.service, plan.client.name)
            for v in violations]


def _utc(instant: datetime) -> str:
    """Instants in the audit trail are UTC, however they were given."""
    return instant.astimezone(UTC).isoformat()


def _snapshot(a: Appointment) -> dict[str, object]:
    return {"status": a.status.value, "start": _utc(a.start),
            "duration_minutes": a.duration_minutes, "staff_id": a.staff_id,
            "service_id": a.service_id, "custom_service_name": a.custom_service_name,
            "client_id": a.client_id, "quoted_price_cents": a.quoted_price_cents,
            "source": a.source.value, "notes": a.notes}


def _new_appointment(plan: _Plan, req: BookingRequest, start: datetime, now: datetime,
                     source: AppointmentSource, series_id: str | None) -> Appointment:
    assert plan.client.id is not None and plan.staff.id is not None
    price = req.price_cents if req.price_cents is not None else \
        (plan.service.price_cents if plan.service else 0)
    return Appointment(
        client_id=plan.client.id, service_id=plan.service.id if plan.service else None,
        custom_service_name=(req.custom_service_name or "").strip() or None,
        staff_id=plan.staff.id, start=start,
        duration_minutes=plan.duration // timedelta(minutes=1),
        buffer_before_minutes=plan.buffer_before // timedelta(minutes=1),
        buffer_after_minutes=plan.buffer_after // timedelta(minutes=1),
        status=AppointmentStatus.SCHEDULED, source=source, quoted_price_cents=price,
        notes=req.notes, series_id=series_id, created_at=now, updated_at=now)


def _record_created(s: Session, p: Practice, a: Appointment, overridden: list[ConflictInfo],
                    extra: dict[str, object] | None = None) -> None:
    changes: dict[str, object] = {**_snapshot(a), **(extra or {})}
    # Written before the commit, where the server checks its overlap constraint.
    a.overlap_allowed = any(c.rule == Rule.STAFF_BUSY for c in overridden)
    if overridden:
        changes["override"] = [{"rule": c.rule, "message": c.message,
                                "appointment_id": c.appointment_id} for c in overridden]
    audit.record(s, at=p.clock.now(), actor=p.actor, entity="appointment", entity_id=a.id,
                 action="created", changes=changes)


# ---------------------------------------------------------------- create

def check_booking(p: Practice, req: BookingRequest) -> list[ConflictInfo]:
    """What would stop this booking, without booking it (for forms that warn early)."""
    with p.db.read() as s:
        return _check(s, p, _plan(s, req), req.start)


def _write_client(s: Session, p: Practice, plan: _Plan, req: BookingRequest,
                  touched: set[int] | None = None) -> int:
    """The request's new client written, or the existing one's contacts updated,
    inside the booking's unit of work; returns the client's id. touched: gets the
    client's other sessions whose reminders a new contact brought back."""
    if req.new_client is not None:
        # Consent is asked where the client is created (LGPD: recorded, with its date).
        plan.client = clients.create_in(s, p, req.new_client, consent=req.new_client.consent)
    elif req.contact is not None:
        clients.update_in(s, p, req.client_id, phone=req.contact.phone,
                          email=req.contact.email or "", touched=touched)
    assert plan.client.id is not None
    return plan.client.id


def book(p: Practice, req: BookingRequest, *, override: bool = False) -> int:
    """Book one session — with its new client, if the request has one — in one unit
    of work; refuses with BookingConflict (writing nothing) unless `override`."""
    revived: set[int] = set()
    with p.db.write() as s:
        plan = _plan(s, req)
        client_id = _write_client(s, p, plan, req, revived)
        conflicts = _check(s, p, plan, req.start)
        if conflicts and not override:
            raise BookingConflict(conflicts)
        a = _new_appointment(plan, req, req.start, p.clock.now(), req.source, None)
        s.add(a)
        s.flush()
        assert a.id is not None
        _record_created(s, p, a, conflicts)
        reminders.plan(s, p.clock.now(), [a])
        new_id = a.id
    p.bus.publish(Change.of(appointments=[new_id, *revived], clients=[client_id]))
    return new_id


@dataclass(frozen=True)
class Occurrence:
    start: datetime  # local
    conflicts: tuple[ConflictInfo, ...]


def _judge_series(s: Session, p: Practice, plan: _Plan, req: BookingRequest, repeat: Repeat,
                  override: bool) -> list[Occurrence]:
    """Every occurrence with the rules it breaks. Earlier occurrences that would be
    booked count against the later ones (a daily maximum, a clash with itself)."""
    zone = practice_zone(s)
    try:
        starts = expand(req.start, zone, repeat.frequency, interval=repeat.interval,
                        count=repeat.count, until=repeat.until)
    except RecurrenceError as exc:
        raise InvalidInput(str(exc)) from None
    out: list[Occurrence] = []
    taken: list[Booked] = []
    assert plan.staff.id is not None
    for i, start in enumerate(starts):
        conflicts = _check(s, p, plan, start, extra=taken)
        out.append(Occurrence(start.astimezone(zone), tuple(conflicts)))
        if override or not conflicts:
            # A client not yet written (a preview) has no sessions: 0 stands for them.
            taken.append(Booked(-(i + 1), start, later(start, plan.duration), plan.staff.id,
                                plan.client.id or 0, plan.service.id if plan.service else None,
                                plan.buffer_before, plan.buffer_after))
    return out


def preview_series(p: Practice, req: BookingRequest, repeat: Repeat) -> list[Occurrence]:
    """What book_series would do, without booking: for forms that list the
    occurrences and their conflicts before saving."""
    with p.db.read() as s:
        return _judge_series(s, p, _plan(s, req), req, repeat, override=False)


def book_series(p: Practice, req: BookingRequest, repeat: Repeat, *, override: bool = False,
                all_or_nothing: bool = False) -> SeriesResult:
    """Book every occurrence that passes the rules. The conflicting ones are
    reported (and, with `all_or_nothing`, nothing at all is booked)."""
    revived: set[int] = set()
    with p.db.write() as s:
        plan = _plan(s, req)
        client_id = _write_client(s, p, plan, req, revived)
        occurrences = _judge_series(s, p, plan, req, repeat, override)
        series_id = uuid.uuid4().hex
        now = p.clock.now()
        accepted = [(o.start, list(o.conflicts)) for o in occurrences
                    if override or not o.conflicts]
        refused = [SeriesConflict(o.start, o.conflicts[0].message, o.conflicts)
                   for o in occurrences if o.conflicts and not override]
        starts = occurrences
        if refused and (all_or_nothing or (req.new_client is not None and not accepted)):
            # A client made for a series none of which can be booked is not kept either.
            raise BookingConflict([c for r in refused for c in r.conflicts],
                                  prefix=_("{n} of {total} sessions conflict; none was booked. ")
                                  .format(n=len(refused), total=len(starts)))
        ids: list[int] = []
        created: list[Appointment] = []
        for i, (start, overridden) in enumerate(accepted):
            source = req.source if i == 0 else AppointmentSource.RECURRENCE
            a = _new_appointment(plan, req, start, now, source, series_id)
            s.add(a)
            s.flush()
            assert a.id is not None
            _record_created(s, p, a, overridden, {
                "series": {"frequency": repeat.frequency.value, "interval": repeat.interval,
                           "count": repeat.count,
                           "until": repeat.until.isoformat() if repeat.until else None}})
            ids.append(a.id)
            created.append(a)
        reminders.plan(s, now, created)
    if ids:
        p.bus.publish(Change.of(appointments=[*ids, *revived], clients=[client_id]))
    return SeriesResult(ids, series_id if ids else None, refused)


# ---------------------------------------------------------------- status changes

def _refuse_if_changed(s: Session, p: Practice, appointment_id: int,
                       expected_version: int | None) -> None:
    """A form's save over another's change to the session: ChangedMeanwhile."""
    a = s.get(Appointment, appointment_id)
    if a is not None:
        versions.refuse_if_changed(s, p.clock.now(), version=a.version,
                                   expected=expected_version, entity="appointment",
                                   entity_id=appointment_id)


def _load_for(s: Session, p: Practice, appointment_id: int, action: Action) -> Appointment:
    a = s.get(Appointment, appointment_id)
    if a is None:
        raise NotFound(_("There is no session with id {id}.").format(id=appointment_id))
    if not is_allowed(action, a.status):
        raise IllegalTransition(illegal_reason(action, a.status, appointment_id))
    if action in NEEDS_STARTED and a.start > p.clock.now():
        zone = practice_zone(s)
        raise IllegalTransition(_(
            "Session #{id} starts {when}; it can be marked {what} once it has begun.").format(
            id=appointment_id, when=format_datetime(a.start.astimezone(zone)),
            what=_action_word(action)))
    return a


def blocked_reason(p: Practice, view_status: AppointmentStatus, start: datetime,
                   action: Action, appointment_id: int, *,
                   cancel_requested: bool = False) -> str | None:
    """Why an action cannot be taken now, or None when it can (the window's tooltips).
    cancel_requested: the client asked to cancel and nobody decided yet."""
    if not is_allowed(action, view_status):
        return illegal_reason(action, view_status, appointment_id)
    if action is Action.CONFIRM and cancel_requested:
        return cancel_requested_reason(appointment_id)
    if action in NEEDS_STARTED and start > p.clock.now():
        return _("Possible once the session has begun.")
    return None


def cancel_requested_reason(appointment_id: int) -> str:
    """Why a session the client asked to cancel is not confirmed (a refusal, a tooltip)."""
    return _("The client asked to cancel session #{id}: decide on the request in the "
             "Dashboard (charge, reschedule, cancel without charge or keep) before "
             "confirming it.").format(id=appointment_id)


def _action_word(action: Action) -> str:
    return {Action.CONFIRM: _("confirmed"), Action.CANCEL: _("cancelled"),
            Action.RESCHEDULE: _("rescheduled"), Action.COMPLETE: _("completed"),
            Action.NO_SHOW: _("a no-show")}[action]


def illegal_reason(action: Action, status: AppointmentStatus, appointment_id: int) -> str:
    """Why an action is not possible, in a sentence (also the window's tooltip)."""
    return _("Session #{id} is {status}; it cannot be {what}.").format(
        id=appointment_id, status=status_word(status), what=_action_word(action))


def _set_status(s: Session, p: Practice, a: Appointment, action: Action,
                extra: dict[str, object] | None = None) -> None:
    old = a.status
    a.status = RESULT[action]
    a.updated_at = p.clock.now()
    changes: dict[str, object] = {"status": [old.value, a.status.value], **(extra or {})}
    audit.record(s, at=p.clock.now(), actor=p.actor, entity="appointment", entity_id=a.id,
                 action=action.value, changes=changes)


def confirm(p: Practice, appointment_id: int) -> str:
    """Confirmed by the professional, or by the client (p.acting_as(audit.CLIENT)).
    Returns what happened for the status line: "Session confirmed.", and when the
    client's confirmation notice will not go, that and why."""
    ready = channel_setup.readiness(p)
    with p.db.write() as s:
        client_id = confirm_in(s, p, appointment_id, ready)
    p.bus.publish(Change.of(appointments=[appointment_id], clients=[client_id]))
    problem = reminders.notice_problem(p, appointment_id, MessageKind.CONFIRMATION)
    return _("Session confirmed.") + (f" {problem}" if problem else "")


def confirm_many(p: Practice, appointment_ids: Sequence[int]) -> list[int]:
    """Confirm several sessions in one unit of work (the list of sessions' selection);
    those that cannot be confirmed (already confirmed, cancelled, gone) are left
    as they are. Returns the ids confirmed, in the order given."""
    ready = channel_setup.readiness(p)
    done: list[int] = []
    with p.db.write() as s:
        for appointment_id in dict.fromkeys(appointment_ids):
            a = s.get(Appointment, appointment_id)
            if a is None or not is_allowed(Action.CONFIRM, a.status) or \
                    queries.cancel_requested(s, appointment_id):
                continue
            confirm_in(s, p, appointment_id, ready)
            done.append(appointment_id)
        clients_of = sorted({a.client_id for a in (s.get(Appointment, i) for i in done) if a})
    if done:
        p.bus.publish(Change.of(appointments=done, clients=clients_of))
    return done


def confirm_in(s: Session, p: Practice, appointment_id: int,
               ready: reminders.Readiness | None = None, via: str | None = None) -> int:
    """Confirm inside a caller's unit of work; returns the client's id. ready: as
    reminders.notice() takes it; via: how a client's confirmation came when the
    history says it ("phone")."""
    a = _load_for(s, p, appointment_id, Action.CONFIRM)
    if queries.cancel_requested(s, appointment_id):
        # The client's request waits for the professional: "Keep" settles it, and a
        # client's own confirmation withdraws it before it gets here.
        raise IllegalTransition(cancel_requested_reason(appointment_id))
    _set_status(s, p, a, Action.CONFIRM, {"via": via} if via else None)
    reminders.notice(s, p.clock.now(), a, MessageKind.CONFIRMATION, ready)
    return a.client_id


def _in_scope(s: Session, a: Appointment, scope: SeriesScope, action: Action) -> list[Appointment]:
    """The session itself, plus the series members the scope reaches that still allow it."""
    if scope is SeriesScope.THIS or a.series_id is None:
        return [a]
    query = select(Appointment).where(Appointment.series_id == a.series_id,
                                      col(Appointment.status).in_(
                                          [AppointmentStatus.SCHEDULED,
                                           AppointmentStatus.CONFIRMED]))
    if scope is SeriesScope.FOLLOWING:
        query = query.where(Appointment.start >= a.start)
    members = [m for m in s.exec(query.order_by(col(Appointment.start)))
               if m.id != a.id and is_allowed(action, m.status)]
    return sorted([a, *members], key=lambda m: m.start)


def cancel(p: Practice, appointment_id: int, *, reason: str, notify: bool = False,
           charge: ChargeDecision | None = None,
           scope: SeriesScope = SeriesScope.THIS,
           by: CancelledBy = CancelledBy.CLIENT) -> list[int]:
    """Cancel with a reason; the row stays forever. Returns the ids cancelled.
    by: who called it off. A client's cancellation with a charge decision of CHARGE
    costs the practice's fee (cents) when the notice was shorter than its policy;
    one the practice made costs the client nothing, whatever the decision."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("A cancellation needs a reason."))
    decision = charge or ChargeDecision.CHARGE
    if by is CancelledBy.PRACTICE:
        decision = ChargeDecision.WAIVE  # the practice's own change is never charged
    ready = channel_setup.readiness(p) if notify else {}
    with p.db.write() as s:
        first = _load_for(s, p, appointment_id, Action.CANCEL)
        settings = load_row(s)
        now = p.clock.now()
        changed: list[int] = []
        for a in _in_scope(s, first, scope, Action.CANCEL):
            late = late_notice(a.start, now, settings.cancel_notice_minutes)
            fee = settings.cancel_fee_cents if decision is ChargeDecision.CHARGE and late else 0
            a.cancellation_reason = reason
            a.cancel_notify_client = notify
            a.charge_decision = decision.value
            a.cancellation_fee_cents = fee
            a.cancelled_by = by.value
            # The history says how the client is told only when a notice was queued.
            told = reminders.notice(s, now, a, MessageKind.CANCELLATION, ready) \
                if notify else None
            _set_status(s, p, a, Action.CANCEL, {
                "reason": i18n.to_english(reason), "notify": notify,
                "charge_decision": decision.value,
                "cancellation_fee_cents": fee, "late": late, "scope": scope.value,
                "by": by.value,
                "notice_channel": told.value if told else None})
            assert a.id is not None
            reminders.close_open(s, now, a.id, _("The session was cancelled."))
            link_notices.cancelled(s, a, now)
            changed.append(a.id)
        client_id = first.client_id
    p.bus.publish(Change.of(appointments=changed, clients=[client_id]))
    return changed


def complete(p: Practice, appointment_id: int, *, actual_price_cents: int | None = None,
             internal_notes: str | None = None, expected_version: int | None = None) -> None:
    """Mark the session completed, with the price charged (cents) and the
    professional's internal notes. Notes (even "") from someone who may not write
    them (people.check_may_write_notes) raise NotAllowed and change nothing; None
    leaves them as they are. expected_version: the version the form was filled
    from (AppointmentView.version); another's change since raises ChangedMeanwhile
    and changes nothing. None: not checked."""
    with p.db.write() as s:
        _refuse_if_changed(s, p, appointment_id, expected_version)
        a = _load_for(s, p, appointment_id, Action.COMPLETE)
        if internal_notes is not None:
            people.check_may_write_notes(s, p, a)
        extra: dict[str, object] = {}
        if actual_price_cents is not None:
            extra["actual_price_cents"] = [a.actual_price_cents, actual_price_cents]
            a.actual_price_cents = actual_price_cents
        if internal_notes is not None:
            extra["internal_notes"] = [a.internal_notes, internal_notes]
            a.internal_notes = internal_notes
        _set_status(s, p, a, Action.COMPLETE, extra)
        reminders.close_open(s, p.clock.now(), appointment_id, _("The session was completed."))
        client_id = a.client_id
    p.bus.publish(Change.of(appointments=[appointment_id], clients=[client_id]))


def no_show(p: Practice, appointment_id: int) -> None:
    with p.db.write() as s:
        a = _load_for(s, p, appointment_id, Action.NO_SHOW)
        _set_status(s, p, a, Action.NO_SHOW)
        reminders.close_open(s, p.clock.now(), appointment_id,
                             _("The session was marked as a no-show."))
        client_id = a.client_id
    p.bus.publish(Change.of(appointments=[appointment_id], clients=[client_id]))


# ---------------------------------------------------------------- correcting

OUTCOMES = (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)


def _last_outcome(s: Session, a: Appointment) -> AuditEvent | None:
    """The audit entry that made `a` completed or a no-show."""
    return s.exec(select(AuditEvent).where(
        AuditEvent.entity == "appointment", AuditEvent.entity_id == a.id,
        col(AuditEvent.action).in_([Action.COMPLETE.value, Action.NO_SHOW.value]))
        .order_by(col(AuditEvent.id).desc())).first()


def undo_blocked(p: Practice, appointment_id: int) -> str | None:
    """Why a completion or no-show cannot be undone now, or None when it can."""
    with p.db.read() as s:
        a = s.get(Appointment, appointment_id)
        if a is None:
            raise NotFound(_("There is no session with id {id}.").format(id=appointment_id))
        return _undo_blocked(s, p, a)


def _undo_blocked(s: Session, p: Practice, a: Appointment) -> str | None:
    if a.status not in OUTCOMES:
        return _("Session #{id} is {status}; only a completion or a no-show can be "
                 "undone.").format(id=a.id, status=status_word(a.status))
    entry = _last_outcome(s, a)
    zone = practice_zone(s)
    if entry is None or entry.at.astimezone(zone).date() != p.clock.now().astimezone(zone).date():
        return _("It can only be undone on the day it was recorded; the history keeps it.")
    return None


def undo_outcome(p: Practice, appointment_id: int) -> AppointmentStatus:
    """Undo, the same day, a session marked completed or a no-show by mistake: it
    goes back to the status it had (scheduled or confirmed), the price charged at
    completion back to what it was (the notes written stay), pending reminders
    closed by it that can still help are waiting again, and the correction is in
    the history. Returns the status restored. Raises IllegalTransition after the
    day, or for any other status."""
    now = p.clock.now()
    with p.db.write() as s:
        a = s.get(Appointment, appointment_id)
        if a is None:
            raise NotFound(_("There is no session with id {id}.").format(id=appointment_id))
        why_not = _undo_blocked(s, p, a)
        if why_not:
            raise IllegalTransition(why_not)
        entry = _last_outcome(s, a)
        assert entry is not None
        changes = json.loads(entry.changes)
        before = AppointmentStatus(changes["status"][0])
        undone = a.status
        extra: dict[str, object] = {"status": [undone.value, before.value],
                                    "undoes": entry.action}
        price = changes.get("actual_price_cents")
        if isinstance(price, list):
            extra["actual_price_cents"] = [a.actual_price_cents, price[0]]
            a.actual_price_cents = price[0]
        a.status, a.updated_at = before, now
        audit.record(s, at=now, actor=p.actor, entity="appointment", entity_id=a.id,
                     action="undo", changes=extra)
        reminders.reopen_closed(s, now, appointment_id, since=entry.at)
        client_id = a.client_id
    p.bus.publish(Change.of(appointments=[appointment_id], clients=[client_id]))
    return before


def unconfirm_blocked(p: Practice, status: AppointmentStatus, start: datetime) -> str | None:
    """Why a confirmation cannot be taken back now, or None when it can."""
    if status is not AppointmentStatus.CONFIRMED:
        return _("Only a confirmed session can go back to scheduled; this one is "
                 "{status}.").format(status=status_word(status))
    if start <= p.clock.now():
        return _("The session has begun: record its outcome (Complete or No-show) instead.")
    return None


def unconfirm(p: Practice, appointment_id: int) -> None:
    """A confirmation recorded by mistake (or withdrawn by the client by phone): the
    session is scheduled again, to be confirmed later; a confirmation notice not yet
    sent is held back, since it is no longer true; the reminders, which a
    confirmation never stops, go on as planned; the history keeps both steps."""
    now = p.clock.now()
    with p.db.write() as s:
        a = s.get(Appointment, appointment_id)
        if a is None:
            raise NotFound(_("There is no session with id {id}.").format(id=appointment_id))
        why_not = unconfirm_blocked(p, a.status, a.start)
        if why_not:
            raise IllegalTransition(why_not)
        a.status, a.updated_at = AppointmentStatus.SCHEDULED, now
        audit.record(s, at=now, actor=p.actor, entity="appointment", entity_id=a.id,
                     action="unconfirm", changes={"status": [AppointmentStatus.CONFIRMED.value,
                                                            AppointmentStatus.SCHEDULED.value]})
        reminders.hold_notices(s, now, appointment_id, MessageKind.CONFIRMATION,
                               _("The confirmation was undone."))
        client_id = a.client_id
    p.bus.publish(Change.of(appointments=[appointment_id], clients=[client_id]))


# ---------------------------------------------------------------- reschedule

def same_time_reason(appointment_id: int, start: datetime, staff_id: int,
                     new_start: datetime, new_staff_id: int | None, zone: ZoneInfo) -> str | None:
    """Why a move to new_start (with new_staff_id, None: the same professional) is
    no move at all, or None when it changes something."""
    if new_start != start or new_staff_id not in (None, staff_id):
        return None
    return _("Session #{id} is already at {when} with this professional; choose another "
             "time or professional.").format(
        id=appointment_id, when=format_datetime(start.astimezone(zone)))


def reschedule(p: Practice, appointment_id: int, new_start: datetime, *,
               scope: SeriesScope = SeriesScope.THIS, staff_id: int | None = None,
               duration_minutes: int | None = None, override: bool = False,
               expected_version: int | None = None) -> dict[int, int]:
    """Move a session (or part of its series). Each original becomes `rescheduled`
    and points to a new session at the new time, checked like a new booking.
    Returns {original id: new id}. For a series, every member moves by the same
    change of local date and time of day, so 10:00 stays the chosen wall time.
    expected_version: the version the Reagendar form was filled from; another's
    change since raises ChangedMeanwhile and moves nothing. None: not checked."""
    ready = channel_setup.readiness(p)
    with p.db.write() as s:
        _refuse_if_changed(s, p, appointment_id, expected_version)
        first = _load_for(s, p, appointment_id, Action.RESCHEDULE)
        zone = practice_zone(s)
        same = same_time_reason(first.id or appointment_id, first.start, first.staff_id,
                                new_start, staff_id, zone)
        if same and duration_minutes in (None, first.duration_minutes):
            raise InvalidInput(same)
        members = _in_scope(s, first, scope, Action.RESCHEDULE)
        old_local, new_local = first.start.astimezone(zone), new_start.astimezone(zone)
        day_shift = (new_local.date() - old_local.date()).days
        moving_ids = [m.id for m in members if m.id is not None]
        moves: list[tuple[Appointment, datetime, _Plan]] = []
        problems: list[ConflictInfo] = []
        overridden: dict[int, list[ConflictInfo]] = {}
        placed: list[Booked] = []
        for m in members:
            target = new_start if m.id == first.id else \
                shift_wall_clock(m.start, zone, day_shift, new_local)
            req = BookingRequest(client_id=m.client_id, start=target, service_id=m.service_id,
                                 custom_service_name=m.custom_service_name,
                                 duration_minutes=duration_minutes or m.duration_minutes,
                                 staff_id=staff_id or m.staff_id)
            plan = _plan(s, req)
            conflicts = _check(s, p, plan, target, exclude=moving_ids, extra=placed)
            if conflicts and not override:
                prefix = "" if len(members) == 1 else \
                    _("Session #{id}: ").format(id=m.id)
                problems.extend(ConflictInfo(c.rule, prefix + c.message, c.appointment_id)
                                for c in conflicts)
            assert m.id is not None and plan.staff.id is not None
            overridden[m.id] = conflicts
            moves.append((m, target, plan))
            placed.append(Booked(-m.id, target, later(target, plan.duration), plan.staff.id,
                                 m.client_id, m.service_id, plan.buffer_before, plan.buffer_after))
        if problems:
            raise BookingConflict(problems)
        now = p.clock.now()
        mapping: dict[int, int] = {}
        for m, target, plan in moves:
            assert m.id is not None
            new = Appointment(
                client_id=m.client_id, service_id=m.service_id,
                custom_service_name=m.custom_service_name, staff_id=plan.staff.id or m.staff_id,
                start=target, duration_minutes=plan.duration // timedelta(minutes=1),
                buffer_before_minutes=m.buffer_before_minutes,
                buffer_after_minutes=m.buffer_after_minutes, status=AppointmentStatus.SCHEDULED,
                source=m.source, quoted_price_cents=m.quoted_price_cents, notes=m.notes,
                internal_notes=m.internal_notes, rescheduled_from_id=m.id,
                series_id=m.series_id, created_at=now, updated_at=now)
            s.add(new)
            s.flush()
            assert new.id is not None
            m.rescheduled_to_id = new.id
            times = {"start": [_utc(m.start), _utc(target)]}
            _set_status(s, p, m, Action.RESCHEDULE, {**times, "rescheduled_to": new.id,
                                                     "scope": scope.value})
            _record_created(s, p, new, overridden[m.id],
                            {"rescheduled_from": m.id, "moved": times})
            reminders.close_open(s, now, m.id, _("The session was moved to session #{id}.")
                                 .format(id=new.id))
            link_notices.moved(s, m, target, now)
            reminders.plan(s, now, [new])
            reminders.notice(s, now, new, MessageKind.RESCHEDULE, ready)
            mapping[m.id] = new.id
        client_id = first.client_id
    p.bus.publish(Change.of(appointments=[*mapping, *mapping.values()], clients=[client_id]))
    return mapping
