"""Read-only views of sessions: what `practice show` / `list` print and the window shows.
Plain frozen values: no Session or ORM object leaves this module."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app import i18n, models
from app.i18n import _
from app.models import plain_tables
from app.models.enums import AppointmentStatus, RequestKind, RequestState
from app.models.instants import later_minutes
from app.models.recurrence import resolve_local
from app.models.transitions import Action, allowed_actions
from app.services.errors import NotFound
from app.services.people import WITHHELD, NotesAccess, notes_access
from app.services.practice import Practice
from app.services.settings import practice_zone
from app.services.values import cents_to_number


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    action: str
    changes: dict[str, object]

    def as_json(self, zone: ZoneInfo) -> dict[str, object]:
        return {"at": self.at.astimezone(zone).isoformat(), "actor": self.actor,
                "action": self.action, "changes": self.changes}


@dataclass(frozen=True)
class AppointmentView:
    id: int
    status: AppointmentStatus
    start: datetime  # aware, in the practice's zone
    duration_minutes: int
    client_id: int
    client_name: str
    client_phone: str | None
    client_email: str | None
    service_id: int | None
    service_name: str
    staff_id: int
    staff_name: str
    staff_color: str
    source: str
    quoted_price_cents: int
    actual_price_cents: int | None
    notes: str
    internal_notes: str
    cancellation_reason: str | None
    charge_decision: str | None
    cancellation_fee_cents: int | None
    rescheduled_from: int | None
    rescheduled_to: int | None
    series_id: str | None
    history: tuple[HistoryEntry, ...] = ()
    # The client asked to cancel and the professional has not decided yet: the
    # session is not offered for confirmation, and wherever it is listed it says so.
    cancel_requested: bool = False
    cancelled_by: str | None = None  # enums.CancelledBy's value; None before it was asked
    # The person acting may not read this session's internal notes (people.py):
    # internal_notes is "" and the window says they are the professional's.
    internal_notes_withheld: bool = False
    version: int = 0  # the row's, as the session's forms were filled (versions.py)

    @property
    def end(self) -> datetime:
        """Aware, in the practice's zone: the start plus the real duration."""
        return later_minutes(self.start, self.duration_minutes)

    @property
    def actions(self) -> list[Action]:
        return allowed_actions(self.status)

    def as_json(self, with_history: bool = True) -> dict[str, object]:
        data: dict[str, object] = {
            "id": self.id,
            "status": self.status.value,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "duration_minutes": self.duration_minutes,
            "client": {"id": self.client_id, "name": self.client_name,
                       "phone": self.client_phone, "email": self.client_email},
            "service": self.service_name,
            "service_id": self.service_id,
            "staff": self.staff_name,
            "staff_id": self.staff_id,
            "source": self.source,
            "quoted_price": cents_to_number(self.quoted_price_cents),
            "actual_price": cents_to_number(self.actual_price_cents),
            "notes": self.notes,
            "internal_notes": self.internal_notes,
            WITHHELD: self.internal_notes_withheld,
            "rescheduled_from": self.rescheduled_from,
            "rescheduled_to": self.rescheduled_to,
            "cancellation_reason": self.cancellation_reason,
            "charge_decision": self.charge_decision,
            "cancellation_fee": cents_to_number(self.cancellation_fee_cents),
            "series_id": self.series_id,
            "cancel_requested": self.cancel_requested,
            "cancelled_by": self.cancelled_by,
        }
        if with_history:
            data["history"] = [h.as_json(self.start.tzinfo) for h in self.history]  # type: ignore[arg-type]
        return data


def cancel_request_waiting() -> Any:
    """Whether the appointment row has a client's cancellation request still waiting
    for the professional, as a correlated EXISTS (of the plain tables)."""
    request, appointment = plain_tables.client_request, plain_tables.appointment
    return exists().where(request.c.appointment_id == appointment.c.id,
                          request.c.kind == RequestKind.CANCEL,
                          request.c.state == RequestState.PENDING)


def cancel_requested(s: Session, appointment_id: int) -> bool:
    request = models.ClientRequest
    return s.exec(select(request.id).where(
        request.appointment_id == appointment_id, request.kind == RequestKind.CANCEL,
        request.state == RequestState.PENDING)).first() is not None


def _view(a: models.Appointment, client: models.Client, service: models.Service | None,
          staff: models.Staff, zone: ZoneInfo, access: NotesAccess,
          history: tuple[HistoryEntry, ...] = (), requested: bool = False) -> AppointmentView:
    assert a.id is not None and client.id is not None
    internal, withheld = access.notes(a.internal_notes, a.staff_id, a.client_id)
    return AppointmentView(
        id=a.id, status=a.status, start=a.start.astimezone(zone),
        duration_minutes=a.duration_minutes, client_id=client.id, client_name=client.name,
        client_phone=client.phone, client_email=client.email, service_id=a.service_id,
        service_name=a.custom_service_name or (service.name if service else _("Session")),
        staff_id=a.staff_id, staff_name=staff.name, staff_color=staff.color,
        source=a.source.value, quoted_price_cents=a.quoted_price_cents,
        actual_price_cents=a.actual_price_cents, notes=a.notes, internal_notes=internal,
        internal_notes_withheld=withheld,
        cancellation_reason=i18n.from_english(a.cancellation_reason),
        charge_decision=a.charge_decision,
        cancellation_fee_cents=a.cancellation_fee_cents, rescheduled_from=a.rescheduled_from_id,
        rescheduled_to=a.rescheduled_to_id, series_id=a.series_id, history=history,
        cancel_requested=requested, cancelled_by=a.cancelled_by, version=a.version)


def _history(s: Session, a: models.Appointment, access: NotesAccess) -> tuple[HistoryEntry, ...]:
    """The session's audit trail; the old → new internal notes of an entry are left
    out (and the entry says so) for a person who may not read them."""
    event = models.AuditEvent
    rows = s.exec(select(event)
                  .where(event.entity == "appointment", event.entity_id == a.id)
                  .order_by(col(event.at), col(event.id)))
    return tuple(HistoryEntry(r.at, r.actor, r.action,
                              access.changes(json.loads(r.changes), a.staff_id, a.client_id))
                 for r in rows)


def load(s: Session, appointment_id: int, p: Practice, *,
         with_history: bool = False) -> AppointmentView:
    """The session as the person acting on `p` may read it (people.notes_access).
    Raises NotFound."""
    row = s.exec(select(models.Appointment, models.Client, models.Staff)
                 .join(models.Client, col(models.Client.id) == models.Appointment.client_id)
                 .join(models.Staff, col(models.Staff.id) == models.Appointment.staff_id)
                 .where(models.Appointment.id == appointment_id)).first()
    if row is None:
        raise NotFound(_("There is no session with id {id}.").format(id=appointment_id))
    a, client, staff = row
    access = notes_access(s, p, (a.client_id,))
    service = s.get(models.Service, a.service_id) if a.service_id else None
    zone = practice_zone(s)
    return _view(a, client, service, staff, zone, access,
                 _history(s, a, access) if with_history else (),
                 cancel_requested(s, appointment_id))


def show(p: Practice, appointment_id: int) -> AppointmentView:
    """The session with its history, as the person acting may read it."""
    with p.db.read() as s:
        return load(s, appointment_id, p, with_history=True)


@cache
def listing_query(internal_notes: bool = True) -> Any:
    """The columns every list of sessions reads (the session's own, its client's
    name, phone and e-mail, its professional's name and colour, its service's
    name), as plain columns: no ORM object is built for a row, and the statement
    is compiled without the ORM's layer (app.models.plain_tables). Feed the rows to
    listed_views(). `internal_notes`: False for a list that never shows them (the
    sessions' internal notes are not read at all). Built once (~0.5 ms a time): a
    statement is never changed, each .where() makes a new one."""
    table, client = plain_tables.appointment, plain_tables.client
    staff, service = plain_tables.staff, plain_tables.service
    own = [c for c in table.c if internal_notes or c.name != "internal_notes"]
    return (core_select(*own, client.c.name.label("client_name"),
                        client.c.phone.label("client_phone"),
                        client.c.email.label("client_email"),
                        staff.c.name.label("staff_name"), staff.c.color.label("staff_color"),
                        service.c.name.label("service_name"),
                        cancel_request_waiting().label("cancel_requested"))
            .join(client, client.c.id == table.c.client_id)
            .join(staff, staff.c.id == table.c.staff_id)
            .outerjoin(service, service.c.id == table.c.service_id))


def listed_views(rows: Sequence[Any], zone: ZoneInfo,
                 access: NotesAccess | None) -> list[AppointmentView]:
    """AppointmentViews (without history) of rows read with listing_query(), as
    `access` (people.notes_access, in the same unit of work) may read them; None
    for rows read without their internal notes (listing_query(False)): the views
    hold none, and say so as they say of notes withheld."""
    session_word = _("Session")
    return [_listed(r, zone, session_word, access) for r in rows]


def _listed(r: Any, zone: ZoneInfo, session_word: str,
            access: NotesAccess | None) -> AppointmentView:
    internal, withheld = ("", True) if access is None else \
        access.notes(r.internal_notes, r.staff_id, r.client_id)
    return AppointmentView(
        id=r.id, status=r.status, start=r.start.astimezone(zone),
        duration_minutes=r.duration_minutes, client_id=r.client_id, client_name=r.client_name,
        client_phone=r.client_phone, client_email=r.client_email, service_id=r.service_id,
        service_name=r.custom_service_name or r.service_name or session_word,
        staff_id=r.staff_id, staff_name=r.staff_name, staff_color=r.staff_color,
        source=r.source.value, quoted_price_cents=r.quoted_price_cents,
        actual_price_cents=r.actual_price_cents, notes=r.notes, internal_notes=internal,
        internal_notes_withheld=withheld,
        cancellation_reason=i18n.from_english(r.cancellation_reason),
        charge_decision=r.charge_decision,
        cancellation_fee_cents=r.cancellation_fee_cents, rescheduled_from=r.rescheduled_from_id,
        rescheduled_to=r.rescheduled_to_id, series_id=r.series_id,
        cancel_requested=bool(r.cancel_requested), cancelled_by=r.cancelled_by,
        version=r.version)


def list_appointments(p: Practice, *, start: date | None = None, end: date | None = None,
                      statuses: list[AppointmentStatus] | None = None,
                      client_id: int | None = None, staff_id: int | None = None
                      ) -> list[AppointmentView]:
    """Sessions ordered by start; `start`/`end` are local dates, both inclusive.
    Read as plain columns, not ORM objects: a week of a busy practice is a few
    hundred rows and the agenda asks for one on every step."""
    table = plain_tables.appointment
    with p.db.read() as s:
        zone = practice_zone(s)
        query = listing_query()
        if start is not None:
            query = query.where(table.c.start >= local_midnight(start, zone))
        if end is not None:
            query = query.where(table.c.start < local_midnight(end + timedelta(days=1), zone))
        if statuses:
            query = query.where(table.c.status.in_(statuses))
        if client_id is not None:
            query = query.where(table.c.client_id == client_id)
        if staff_id is not None:
            query = query.where(table.c.staff_id == staff_id)
        rows = s.connection().execute(query.order_by(table.c.start, table.c.id)).all()
        access = notes_access(s, p, {r.client_id for r in rows})
    return listed_views(rows, zone, access)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return resolve_local(datetime.combine(day, time(0)), zone)
