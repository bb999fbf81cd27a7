"""Conecta's threads: what the receptionist reads and writes in a card.

Writing follows each channel's rules before anything is queued. On WhatsApp the
first contact must be an approved template, and free text is accepted only
inside the 24-hour window opened by the client's last message (see
app/models/conecta.py); outside it the composer offers templates only. A message
is written to the thread and to the outbox in one unit of work, then sent; its
delivery state follows the provider's statuses."""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from app import i18n
from app.i18n import _, format_date, format_time
from app.models.conecta import (
    Attendance,
    AttendanceStatus,
    CallOutcome,
    ConversationEntry,
    DeliveryState,
    Direction,
    EntryKind,
    Medium,
    MessageTemplate,
    Window,
    whatsapp_window,
)
from app.models.enums import ACTIVE_STATUSES
from app.models.outbox import MessageKind, OutboxMessage
from app.models.tables import Appointment, Client, Service, Staff
from app.services import attendances, audit, config, queries, whatsapp_templates
from app.services.channels.text import one_line
from app.services.conversation_delivery import message_id
from app.services.errors import FieldInvalid, InvalidInput, NotFound
from app.services.events import Change
from app.services.outbox import Dispatcher, Report
from app.services.practice import Practice
from app.services.settings import load_row

MAX_TEXT = {Medium.WHATSAPP: 4096, Medium.SMS: 1600, Medium.EMAIL: 100_000}
PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")


# ---------------------------------------------------------------- reading a card

@dataclass(frozen=True)
class Entry:
    id: int
    direction: Direction
    kind: EntryKind
    body: str
    author: str
    at: datetime
    state: DeliveryState
    error: str | None
    template: str | None
    subject: str | None
    call_seconds: int | None
    call_outcome: CallOutcome | None

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "direction": self.direction.value, "kind": self.kind.value,
                "body": self.body, "author": self.author, "at": self.at.isoformat(),
                "state": self.state.value, "error": self.error, "template": self.template,
                "subject": self.subject, "call_seconds": self.call_seconds,
                "call_outcome": self.call_outcome.value if self.call_outcome else None}


@dataclass(frozen=True)
class NextSession:
    id: int
    start: datetime
    status: str
    cancel_requested: bool = False  # the client asked to cancel; nobody decided yet


@dataclass(frozen=True)
class Detail:
    card: attendances.Card
    entries: tuple[Entry, ...]
    window: Window | None  # WhatsApp only
    next_session: NextSession | None
    client_name: str | None
    # What the app knows to fill a template's parameters (see prefill()).
    known: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {**self.card.as_json(), "entries": [e.as_json() for e in self.entries],
                "window": None if self.window is None else {
                    "open": self.window.open, "reason": self.window.reason,
                    "closes_at": self.window.closes_at.isoformat()
                    if self.window.closes_at else None},
                "next_session": None if self.next_session is None else {
                    "id": self.next_session.id, "start": self.next_session.start.isoformat(),
                    "status": self.next_session.status}}


def _window(s: Session, row: Attendance, now: datetime) -> Window:
    last_in = s.exec(select(func.max(ConversationEntry.at)).where(
        ConversationEntry.attendance_id == row.id,
        ConversationEntry.direction == Direction.INBOUND,
        col(ConversationEntry.kind).in_([EntryKind.TEXT, EntryKind.REPLY_BUTTON,
                                         EntryKind.MEDIA]))).one()
    return whatsapp_window(last_in, row.window_refused_at, now)


def window(p: Practice, attendance_id: int) -> Window:
    with p.db.read() as s:
        row = _get(s, attendance_id)
        return _window(s, row, p.clock.now())


def detail(p: Practice, attendance_id: int) -> Detail:
    now = p.clock.now()
    with p.db.read() as s:
        row = _get(s, attendance_id)
        entries = tuple(Entry(e.id or 0, e.direction, e.kind, e.body, e.author, e.at, e.state,
                              i18n.from_english(e.error), e.template, e.subject,
                              e.call_seconds, e.call_outcome)
                        for e in s.exec(select(ConversationEntry).where(
                            ConversationEntry.attendance_id == attendance_id)
                            .order_by(col(ConversationEntry.at), col(ConversationEntry.id))))
        win = _window(s, row, now) if row.medium is Medium.WHATSAPP else None
        nxt, client_name = None, None
        if row.client_id:
            a = s.exec(select(Appointment).where(
                Appointment.client_id == row.client_id, Appointment.start > now,
                col(Appointment.status).in_(list(ACTIVE_STATUSES)))
                .order_by(col(Appointment.start))).first()
            if a is not None:
                nxt = NextSession(a.id or 0, a.start, a.status.value,
                                  queries.cancel_requested(s, a.id or 0))
            client = s.get(Client, row.client_id)
            client_name = client.name if client else None
            known = _known_values(s, client, a)
        else:
            known = _known_values(s, None, None)
        if "name" not in known and row.name.strip():  # not linked: the name on the card
            known.update(name=row.name.strip(), first_name=row.name.split()[0])
        card = attendances.cards_of(s, [row])[0]
    return Detail(card, entries, win, nxt, client_name, known)


def _known_values(s: Session, client: Client | None, a: Appointment | None) -> dict[str, str]:
    """What the app knows for a template's parameters, by field: the linked
    client's names, the next session's date, time, service and professional, the
    practice's name."""
    settings_row = load_row(s)
    known = {"practice": settings_row.name}
    if client is not None and client.name.strip():
        known.update(name=client.name.strip(), first_name=client.name.split()[0])
    if a is not None:
        start = a.start.astimezone(ZoneInfo(settings_row.timezone))
        known.update(date=format_date(start.date(), "short"), time=format_time(start),
                     weekday=format_date(start.date(), "EEEE"))
        staff = s.get(Staff, a.staff_id)
        service = s.get(Service, a.service_id) if a.service_id else None
        if staff is not None:
            known["professional"] = staff.name
        if a.custom_service_name or service is not None:
            known["service"] = a.custom_service_name or (service.name if service else "")
    return known


# A template parameter's label (as typed in Settings › Conecta, in either language)
# and the field it names; compared without accents, case or punctuation.
LABEL_FIELDS = {
    "first name": "first_name", "primeiro nome": "first_name", "nome": "first_name",
    "name": "first_name", "client": "first_name", "cliente": "first_name",
    "full name": "name", "nome completo": "name",
    "date": "date", "data": "date", "time": "time", "hora": "time", "horario": "time",
    "weekday": "weekday", "dia da semana": "weekday", "day": "weekday", "dia": "weekday",
    "professional": "professional", "profissional": "professional",
    "therapist": "professional", "psicologa": "professional", "psicologo": "professional",
    "service": "service", "servico": "service", "session": "service", "sessao": "service",
    "practice": "practice", "clinic": "practice", "clinica": "practice",
    "consultorio": "practice",
}


def _label_key(label: str) -> str:
    folded = unicodedata.normalize("NFKD", label.casefold())
    letters = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", letters).split())


def prefill(labels: tuple[str, ...], count: int, known: dict[str, str]) -> list[str]:
    """The template's parameters the app can fill in from `known` (by their labels),
    "" for the others; the person may change any of them before sending."""
    values = []
    for i in range(count):
        field_name = LABEL_FIELDS.get(_label_key(labels[i])) if i < len(labels) else None
        values.append(known.get(field_name, "") if field_name else "")
    return values


def _get(s: Session, attendance_id: int) -> Attendance:
    row = s.get(Attendance, attendance_id)
    if row is None:
        raise NotFound(_("There is no attendance with id {id}.").format(id=attendance_id))
    return row


# ---------------------------------------------------------------- writing

@dataclass(frozen=True)
class Queued:
    entry_id: int
    outbox_id: int


def _queue(s: Session, p: Practice, row: Attendance, entry: ConversationEntry) -> Queued:
    now = p.clock.now()
    s.add(entry)
    s.flush()
    assert entry.id is not None and row.id is not None
    if row.medium is Medium.EMAIL:
        sender = row.originator or config.read_all(s)["smtp.from"]
        entry.provider_id = message_id(entry.id, sender)  # known before sending: threading
    msg = OutboxMessage(idempotency_key=f"conecta:{entry.id}:{uuid.uuid4().hex[:8]}",
                        kind=MessageKind.CONVERSATION, conversation_entry_id=entry.id,
                        channel=row.medium.value, recipient=row.phone or row.email,
                        due_at=now, created_at=now, updated_at=now)
    s.add(msg)
    row.last_activity_at = now
    if row.status is AttendanceStatus.PENDING:
        row.status = AttendanceStatus.IN_PROGRESS  # someone is on it now
    s.flush()
    audit.record(s, at=now, actor=p.actor, entity="attendance", entity_id=row.id,
                 action="message_written", changes={"entry": entry.id, "kind": entry.kind.value})
    return Queued(entry.id, msg.id or 0)


def send_text(p: Practice, attendance_id: int, text: str, subject: str | None = None) -> Queued:
    """Queue free text; refused on a channel or at a moment that does not allow it."""
    text = text.strip()
    if not text:
        raise FieldInvalid("text", _("Write the message first."))
    now = p.clock.now()
    with p.db.write() as s:
        row = _get(s, attendance_id)
        if row.medium is Medium.VOIP:
            raise InvalidInput(_("VoIP attendances have no messages: call the client and log "
                                 "the call."))
        if len(text) > MAX_TEXT[row.medium]:
            raise FieldInvalid("text", _("The message is too long for {channel} (at most {n} "
                                         "characters).").format(
                channel=attendances.medium_label(row.medium), n=MAX_TEXT[row.medium]))
        if row.medium is Medium.WHATSAPP:
            win = _window(s, row, now)
            if not win.open:
                raise InvalidInput(window_explanation(win))
        if row.medium is Medium.EMAIL:
            subject = (subject or "").strip() or row.subject or \
                _("Message from {practice}").format(practice=_practice_name(s))
            if not row.subject:
                row.subject = subject
        queued = _queue(s, p, row, ConversationEntry(
            attendance_id=attendance_id, direction=Direction.OUTBOUND, kind=EntryKind.TEXT,
            body=text, subject=subject, author=p.actor, at=now, state=DeliveryState.QUEUED))
    p.bus.publish(Change.of(conversations=[attendance_id]))
    return queued


def send_template(p: Practice, attendance_id: int, template_id: int,
                  parameters: list[str]) -> Queued:
    """Queue an approved WhatsApp template with its parameters filled in."""
    now = p.clock.now()
    with p.db.write() as s:
        row = _get(s, attendance_id)
        if row.medium is not Medium.WHATSAPP:
            raise InvalidInput(_("Templates are for WhatsApp attendances."))
        template = s.get(MessageTemplate, template_id)
        if template is None or not template.active:
            raise FieldInvalid("template", _("Choose one of the approved templates."))
        paused = whatsapp_templates.why_not(template.name, template.language, template.status,
                                            template.status_reason)
        if paused:  # Meta paused, rejected or disabled it
            raise FieldInvalid("template", paused)
        needed = parameter_count(template.body)
        params = [one_line(v) for v in parameters]
        if len(params) != needed or any(not v for v in params):
            raise FieldInvalid("parameters", _("The template '{name}' needs {n} parameters, all "
                                               "filled in.").format(name=template.name,
                                                                    n=needed))
        queued = _queue(s, p, row, ConversationEntry(
            attendance_id=attendance_id, direction=Direction.OUTBOUND, kind=EntryKind.TEMPLATE,
            body=render(template.body, params), template=template.name,
            template_language=template.language, template_params=json.dumps(params),
            author=p.actor, at=now, state=DeliveryState.QUEUED))
    p.bus.publish(Change.of(conversations=[attendance_id]))
    return queued


def deliver(p: Practice, queued: Queued) -> Report:
    """Send a queued message now instead of at the worker's next tick."""
    return Dispatcher(p).dispatch_one(queued.outbox_id)


def send_now(p: Practice, queued: Queued) -> str:
    """deliver(), then what became of the message in a sentence for the status line:
    "sent" only once the provider took it; otherwise queued or not sent, and why."""
    deliver(p, queued)
    with p.db.read() as s:
        entry = s.get(ConversationEntry, queued.entry_id)
        if entry is None:
            return _("The message no longer exists.")
        state, error, kind = entry.state, entry.error, entry.kind
        row = s.get(OutboxMessage, queued.outbox_id)
        if state is DeliveryState.QUEUED and not error and row is not None:
            error = row.last_error  # a temporary failure, tried again later
    error = i18n.from_english(error)
    template = kind is EntryKind.TEMPLATE
    if state in (DeliveryState.SENT, DeliveryState.DELIVERED, DeliveryState.READ):
        return _("Template sent.") if template else _("Message sent.")
    if state is DeliveryState.FAILED:
        return (_("Template not sent: {reason}") if template else
                _("Message not sent: {reason}")).format(reason=error or "")
    if error:
        return (_("Template queued, not sent yet: {reason}") if template else
                _("Message queued, not sent yet: {reason}")).format(reason=error)
    return _("Template queued: it goes out as soon as the provider accepts it.") if template \
        else _("Message queued: it goes out as soon as the provider accepts it.")


def window_explanation(win: Window) -> str:
    if win.reason == "no_reply":
        return _("WhatsApp's first contact must be an approved template; free text is "
                 "unlocked when the client replies.")
    if win.reason == "refused":
        return _("WhatsApp refused free text: more than 24 hours have passed since the "
                 "client's last message. Send an approved template.")
    return _("The 24-hour window since the client's last message has closed: send an "
             "approved template.")


def _practice_name(s: Session) -> str:
    return load_row(s).name


# ---------------------------------------------------------------- templates

@dataclass(frozen=True)
class Template:
    id: int
    name: str
    language: str
    body: str
    labels: tuple[str, ...]
    category: str = ""  # Meta's (UTILITY, MARKETING, AUTHENTICATION); "" when typed here
    unusable: str = ""  # why Meta will not send it now (paused, rejected...); "" when it will

    @property
    def parameter_count(self) -> int:
        return parameter_count(self.body)

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "language": self.language,
                "body": self.body, "parameters": list(self.labels)}


def parameter_count(body: str) -> int:
    numbers = {int(n) for n in PLACEHOLDER.findall(body)}
    return max(numbers, default=0)


def render(body: str, params: list[str]) -> str:
    """The template's text as the client will read it (the composer's preview)."""
    def fill(m: re.Match[str]) -> str:
        i = int(m.group(1)) - 1
        return params[i] if 0 <= i < len(params) and params[i] else m.group(0)
    return PLACEHOLDER.sub(fill, body)


def templates(p: Practice) -> list[Template]:
    with p.db.read() as s:
        return [Template(t.id or 0, t.name, t.language, t.body,
                         tuple(x for x in t.parameter_labels.split("\n") if x), t.category,
                         whatsapp_templates.why_not(t.name, t.language, t.status,
                                                    t.status_reason))
                for t in s.exec(select(MessageTemplate).where(col(MessageTemplate.active))
                                .order_by(MessageTemplate.name))]


def save_template(p: Practice, *, name: str, language: str, body: str,
                  labels: list[str] | None = None, template_id: int | None = None) -> int:
    """Register (or correct) an approved template as Meta knows it."""
    name, language = name.strip(), language.strip() or "pt_BR"
    if not re.fullmatch(r"[a-z0-9_]{1,512}", name):
        raise FieldInvalid("name", _("A WhatsApp template's name is written as at Meta: lower "
                                     "case letters, digits and underscores."))
    if not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", language):
        raise FieldInvalid("language", _("The language is a code such as pt_BR or en_US."))
    if not body.strip():
        raise FieldInvalid("body", _("Paste the template's text, with {{1}}, {{2}}... where "
                                     "the parameters go."))
    numbers = sorted({int(n) for n in PLACEHOLDER.findall(body)})
    if numbers != list(range(1, len(numbers) + 1)):
        raise FieldInvalid("body", _("The parameters are numbered {{1}}, {{2}}... without "
                                     "gaps."))
    clean_labels = [x.strip() for x in (labels or [])][:len(numbers)]
    now = p.clock.now()
    with p.db.write() as s:
        clash = s.exec(select(MessageTemplate).where(
            MessageTemplate.name == name, MessageTemplate.language == language,
            col(MessageTemplate.active))).first()
        if clash is not None and clash.id != template_id:
            raise FieldInvalid("name", _("The template {name} ({language}) is already "
                                         "registered.").format(name=name, language=language))
        row = s.get(MessageTemplate, template_id) if template_id else MessageTemplate(name=name)
        if row is None:
            raise NotFound(_("There is no template with id {id}.").format(id=template_id))
        row.name, row.language, row.body = name, language, body.strip()
        row.parameter_labels = "\n".join(clean_labels)
        s.add(row)
        s.flush()
        audit.record(s, at=now, actor=p.actor, entity="message_template", entity_id=row.id,
                     action="template_saved", changes={"name": name, "language": language})
        saved = row.id or 0
    p.bus.publish(Change.of(settings=True))
    return saved


def remove_template(p: Practice, template_id: int) -> None:
    """Kept for the messages that used it; no longer offered."""
    with p.db.write() as s:
        row = s.get(MessageTemplate, template_id)
        if row is None:
            raise NotFound(_("There is no template with id {id}.").format(id=template_id))
        row.active = False
        audit.record(s, at=p.clock.now(), actor=p.actor, entity="message_template",
                     entity_id=template_id, action="template_removed", changes={})
    p.bus.publish(Change.of(settings=True))
