"""A client's data on request (Brazil's LGPD, Europe's GDPR): everything the
practice holds about one person, as JSON; and erasure, which anonymises the
person while keeping the practice's session records and totals."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from app import __version__
from app.i18n import _
from app.models.conecta import Attendance, ConversationEntry, Direction
from app.models.outbox import MessageState, OutboxMessage
from app.models.tables import Appointment, AuditEvent, Client
from app.services import audit, clients, files, json_text, people, push_devices
from app.services.errors import InvalidInput, NotFound
from app.services.events import Change
from app.services.practice import Practice
from app.services.settings import practice_zone

ERASED = "[erased]"


def _client(s: Session, client_id: int) -> Client:
    c = s.get(Client, client_id)
    if c is None:
        raise NotFound(_("There is no client with id {id}.").format(id=client_id))
    return c


def _trail(client_id: int, session_ids: list[int]) -> Any:
    """The audit events about the client and about their sessions."""
    return select(AuditEvent).where(or_(
        and_(col(AuditEvent.entity) == "client", col(AuditEvent.entity_id) == client_id),
        and_(col(AuditEvent.entity) == "appointment",
             col(AuditEvent.entity_id).in_(session_ids))))


def _iso(value: datetime | None, zone: ZoneInfo) -> str | None:
    return value.astimezone(zone).isoformat() if value else None


def export(p: Practice, client_id: int) -> dict[str, Any]:
    """Everything about one client: details, consents, sessions with their history,
    messages sent about them, Conecta conversations, and the audit trail. The
    sessions' internal notes (and their old → new in the trail) only where the
    person acting may read them (people.py); elsewhere "" and
    `internal_notes_withheld`."""
    with p.db.read() as s:
        c = _client(s, client_id)
        zone = practice_zone(s)
        sessions = list(s.exec(select(Appointment).where(Appointment.client_id == client_id)
                               .order_by(col(Appointment.start))))
        ids = [a.id for a in sessions if a.id is not None]
        access = people.notes_access(s, p, (client_id,))
        held = {a.id: (a.staff_id, a.client_id) for a in sessions}
        events = list(s.exec(_trail(client_id, ids).order_by(col(AuditEvent.at),
                                                             col(AuditEvent.id))))
        messages = list(s.exec(select(OutboxMessage).where(
            col(OutboxMessage.appointment_id).in_(ids)).order_by(col(OutboxMessage.due_at))))
        talks = list(s.exec(select(Attendance).where(Attendance.client_id == client_id)
                            .order_by(col(Attendance.created_at))))
        entries = {t.id: list(s.exec(select(ConversationEntry).where(
            ConversationEntry.attendance_id == t.id).order_by(col(ConversationEntry.at))))
            for t in talks}
        return {
            "exported_at": _iso(p.clock.now(), zone),
            "exported_by": p.actor,
            "software": f"Practice Desk {__version__}",
            "client": {**clients.view(c).as_json(), "active": c.active,
                       "created_at": _iso(c.created_at, zone)},
            "sessions": [{
                "id": a.id, "start": _iso(a.start, zone), "duration_minutes": a.duration_minutes,
                "status": a.status.value, "source": a.source.value,
                "service_id": a.service_id, "custom_service_name": a.custom_service_name,
                "staff_id": a.staff_id, "quoted_price_cents": a.quoted_price_cents,
                "actual_price_cents": a.actual_price_cents, "notes": a.notes,
                **dict(zip(("internal_notes", people.WITHHELD),
                           access.notes(a.internal_notes, a.staff_id, a.client_id),
                           strict=True)),
                "cancellation_reason": a.cancellation_reason,
                "rescheduled_from": a.rescheduled_from_id, "rescheduled_to": a.rescheduled_to_id,
            } for a in sessions],
            "messages": [{
                "id": m.id, "kind": m.kind.value, "appointment_id": m.appointment_id,
                "channel": m.channel, "recipient": m.recipient, "state": m.state.value,
                "due_at": _iso(m.due_at, zone), "sent_at": _iso(m.sent_at, zone),
            } for m in messages],
            "conversations": [{
                "id": t.id, "channel": t.medium.value, "name": t.name, "phone": t.phone,
                "email": t.email, "status": t.status.value, "type": t.type, "notes": t.notes,
                "created_at": _iso(t.created_at, zone),
                "entries": [{"at": _iso(e.at, zone), "direction": e.direction.value,
                             "kind": e.kind.value, "body": e.body, "author": e.author}
                            for e in entries[t.id]],
            } for t in talks],
            "audit": [{"at": _iso(e.at, zone), "actor": e.actor, "entity": e.entity,
                       "entity_id": e.entity_id, "action": e.action,
                       "changes": _readable(access, e, held)} for e in events],
        }



def _readable(access: people.NotesAccess, event: AuditEvent,
              held: dict[int | None, tuple[int, int]]) -> dict[str, Any]:
    """An audit entry's changes, without a session's internal notes the person
    acting may not read."""
    changes: dict[str, Any] = json.loads(event.changes)
    if event.entity == "appointment" and event.entity_id in held:
        return access.changes(changes, *held[event.entity_id])
    return changes


def as_text(data: dict[str, Any]) -> str:
    return json_text.dumps(data) + "\n"


def write_export(p: Practice, client_id: int, path: str | Path) -> Path:
    """The client's data as a JSON file, written whole (see files.write_whole)."""
    target = Path(path)
    files.write_whole(target, as_text(export(p, client_id)).encode("utf-8"))
    return target

def erase(p: Practice, client_id: int) -> None:
    """Anonymise the person: name, contacts, consents and free text go; the sessions
    stay (time, service, professional, status, price) so the agenda's history and
    the practice's totals are unchanged. Messages not yet sent are cancelled."""
    now = p.clock.now()
    with p.db.write() as s:
        c = _client(s, client_id)
        if s.exec(select(AuditEvent.id).where(
                AuditEvent.entity == "client", AuditEvent.entity_id == client_id,
                AuditEvent.action == "client_erased")).first() is not None:
            raise InvalidInput(_("Client #{id} was already erased.").format(id=client_id))
        c.name = _("#{id} (erased)").format(id=client_id)
        c.phone = c.email = c.preferred_channel = None
        c.whatsapp_consent_at = c.email_consent_at = c.sms_consent_at = None
        c.voice_consent_at = c.push_consent_at = None
        push_devices.drop_all(s, client_id, p.clock.now(), "erased")
        c.notes, c.active = "", False
        sessions = list(s.exec(select(Appointment).where(Appointment.client_id == client_id)))
        ids = [a.id for a in sessions if a.id is not None]
        for a in sessions:
            a.notes = a.internal_notes = ""
            if a.cancellation_reason:
                a.cancellation_reason = ERASED
        for m in s.exec(select(OutboxMessage).where(col(OutboxMessage.appointment_id).in_(ids))):
            m.recipient = None
            m.custom_text = None
            if m.state is MessageState.PENDING:
                m.state, m.last_error = MessageState.CANCELLED, _("The client's data was erased.")
        talks = list(s.exec(select(Attendance).where(Attendance.client_id == client_id)))
        for t in talks:
            t.name, t.phone, t.email, t.notes, t.subject = c.name, None, None, "", ""
            for e in s.exec(select(ConversationEntry).where(
                    ConversationEntry.attendance_id == t.id)):
                e.body, e.subject, e.template_params = ERASED, None, None
                if e.author and e.direction is Direction.INBOUND:
                    e.author = c.name
        # The trail keeps what happened and when, without the person's details.
        for event in s.exec(_trail(client_id, ids)):
            event.changes = json.dumps(_scrub(json.loads(event.changes)), ensure_ascii=False,
                                       sort_keys=True)
        audit.record(s, at=now, actor=p.actor, entity="client", entity_id=client_id,
                     action="client_erased", changes={"sessions_kept": len(ids)})
    p.bus.publish(Change.of(clients=[client_id], appointments=ids,
                            conversations=[t.id for t in talks if t.id is not None]))


# Keys under which the audit trail may hold the person's details or free text.
_PERSONAL = {"name", "phone", "email", "notes", "internal_notes", "cancellation_reason",
             "reason", "custom_text", "recipient", "body", "text", "subject", "author"}


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (ERASED if k in _PERSONAL and v not in (None, "", []) else _scrub(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value
