"""Conecta's attendances: starting one on any channel, the board and its filters,
editing status, type, tags, notes and the linked client, and the call log.
Every change is audited and announced as a conversation change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session, col, func, or_, select

from app.i18n import _
from app.models.conecta import (
    BUILT_IN_TYPES,
    NEEDS_EMAIL,
    NEEDS_PHONE,
    OPEN_STATUSES,
    Attendance,
    AttendanceStatus,
    AttendanceTag,
    CallOutcome,
    ConversationEntry,
    DeliveryState,
    Direction,
    EntryKind,
    Medium,
)
from app.models.search_text import has_words
from app.models.tables import Client
from app.services import audit, config, phones, versions
from app.services.errors import FieldInvalid, InvalidInput, NotFound
from app.services.events import Change
from app.services.practice import Practice
from app.services.settings import load_row
from app.services.values import normalize_email, normalize_phone

MAX_TAG = 40


def medium_label(medium: Medium | str) -> str:
    return {Medium.SMS: _("SMS"), Medium.EMAIL: _("E-mail"), Medium.WHATSAPP: _("WhatsApp"),
            Medium.VOIP: _("VoIP")}[Medium(medium)]


def status_label(status: AttendanceStatus | str) -> str:
    return {AttendanceStatus.IN_PROGRESS: _("In progress"),
            AttendanceStatus.PENDING: _("Pending"),
            AttendanceStatus.FINISHED: _("Finished")}[AttendanceStatus(status)]


def delivery_label(state: DeliveryState) -> str:
    """A message's fate in words ("" for one the client sent)."""
    return {DeliveryState.QUEUED: _("queued"), DeliveryState.SENT: _("sent"),
            DeliveryState.DELIVERED: _("delivered"), DeliveryState.READ: _("read"),
            DeliveryState.FAILED: _("failed"), DeliveryState.RECEIVED: ""}[state]


def type_label(key: str) -> str:
    return {"support": _("Support"), "after_sales": _("After-sales"),
            "commercial": _("Commercial")}.get(key, key)


def types(p: Practice) -> list[str]:
    """The attendance types on offer: the built-in ones, then the practice's own."""
    own = [t for t in config.get(p, "conecta.types").split(",") if t]
    return [*BUILT_IN_TYPES, *(t for t in own if t not in BUILT_IN_TYPES)]


def originators(p: Practice, medium: Medium) -> list[str]:
    """The practice's numbers or addresses for a channel (Originado por). The
    sending address and number of the integrations count when none are listed."""
    cfg = config.get_all(p)
    listed = [v for v in cfg[f"conecta.originators.{medium.value}"].split(",") if v]
    if listed:
        return listed
    fallback = {Medium.EMAIL: cfg["smtp.from"], Medium.SMS: cfg["sms.from"]}.get(medium, "")
    return [fallback] if fallback else []


def tags_in_use(p: Practice) -> list[str]:
    """For completion: the most used first."""
    with p.db.read() as s:
        rows = s.exec(select(AttendanceTag.tag, func.count()).group_by(AttendanceTag.tag)
                      .order_by(func.count().desc(), AttendanceTag.tag)).all()
    return [r[0] for r in rows]


# ---------------------------------------------------------------- checking a form

@dataclass(frozen=True)
class Contact:
    phone: str | None
    email: str | None


def check_contact(p: Practice, medium: Medium, phone: str, email: str) -> Contact:
    """The fields the channel needs, normalised; FieldInvalid names the field and why."""
    with p.db.read() as s:
        region = load_row(s).country
    phone, email = phone.strip(), email.strip()
    if medium in NEEDS_PHONE and not phone:
        raise FieldInvalid("phone", _("Phone is required for {channel}: the conversation "
                                      "goes to that number.").format(
            channel=medium_label(medium)))
    if medium in NEEDS_EMAIL and not email:
        raise FieldInvalid("email", _("E-mail is required for E-mail attendances: the "
                                      "messages go to that address."))
    try:
        e164 = normalize_phone(phone, region) if phone else None
    except InvalidInput as exc:
        raise FieldInvalid("phone", str(exc)) from None
    try:
        address = normalize_email(email) if email else None
    except InvalidInput as exc:
        raise FieldInvalid("email", str(exc)) from None
    return Contact(e164, address)


def _clean_tags(s: Session, tags: list[str]) -> list[str]:
    # One spelling per tag: "Urgente" typed again as "urgente" is the same tag.
    known = {t.casefold(): t for t in s.exec(select(AttendanceTag.tag).distinct())}
    out: dict[str, str] = {}
    for raw in tags:
        tag = " ".join(raw.split())
        if not tag:
            continue
        if len(tag) > MAX_TAG:
            raise FieldInvalid("tags", _("A tag has at most {n} characters: '{tag}'.").format(
                n=MAX_TAG, tag=tag))
        out.setdefault(tag.casefold(), known.get(tag.casefold(), tag))
    return list(out.values())


def _matching_client(s: Session, contact: Contact, medium: Medium) -> int | None:
    clauses: list[ColumnElement[bool]] = []
    if contact.phone and medium in NEEDS_PHONE:
        clauses.append(phones.matches(Client.phone, contact.phone))
    if contact.email and medium in NEEDS_EMAIL:
        clauses.append(col(Client.email) == contact.email)
    if not clauses:  # the other field still identifies the person
        if contact.phone:
            clauses.append(phones.matches(Client.phone, contact.phone))
        if contact.email:
            clauses.append(col(Client.email) == contact.email)
    if not clauses:
        return None
    client = s.exec(select(Client).where(or_(*clauses), col(Client.active))
                    .order_by(col(Client.id))).first()
    return client.id if client else None


def open_for(s: Session, medium: Medium, phone: str | None, email: str | None
             ) -> Attendance | None:
    """The open attendance a message on this channel from this person belongs to."""
    where: ColumnElement[bool]
    if medium is Medium.EMAIL:
        if not email:
            return None
        where = col(Attendance.email) == email
    else:
        if not phone:
            return None
        where = phones.matches(Attendance.phone, phone)
    return s.exec(select(Attendance).where(
        Attendance.medium == medium, where, col(Attendance.status).in_(list(OPEN_STATUSES)))
        .order_by(col(Attendance.last_activity_at).desc())).first()


UNSET = object()


def start(p: Practice, *, medium: Medium | str, name: str, phone: str = "", email: str = "",
          status: AttendanceStatus | str = AttendanceStatus.IN_PROGRESS,
          type: str = "support", originator: str = "", tags: list[str] | None = None,
          client_id: int | object | None = UNSET, notes: str = "") -> int:
    """Iniciar atendimento: checks every field, creates the card, links the client
    whose phone or e-mail matches (unless one is given). Returns its id."""
    try:
        medium = Medium(medium)
    except ValueError:
        raise FieldInvalid("medium", _("Choose how the attendance happens: SMS, E-mail, "
                                       "WhatsApp or VoIP.")) from None
    name = " ".join(name.split())
    if not name:
        raise FieldInvalid("name", _("Name is required: who is this attendance with?"))
    contact = check_contact(p, medium, phone, email)
    try:
        status = AttendanceStatus(status)
    except ValueError:
        raise FieldInvalid("status", _("Unknown attendance status '{value}'.").format(
            value=status)) from None
    if type not in types(p):
        raise FieldInvalid("type", _("Unknown attendance type '{value}': add it in "
                                     "Settings › Conecta first.").format(value=type))
    offered = originators(p, medium)
    if not originator and len(offered) == 1:
        originator = offered[0]  # the only one there is: nothing to choose
    if offered and originator not in offered:
        raise FieldInvalid("originator", _("Choose which of the practice's {channel} numbers "
                                           "or addresses this attendance runs on.").format(
            channel=medium_label(medium)))
    now = p.clock.now()
    with p.db.write() as s:
        if status in OPEN_STATUSES:
            existing = open_for(s, medium, contact.phone, contact.email)
            if existing is not None:
                raise InvalidInput(_("There is already an open {channel} attendance with "
                                     "{name} (#{id}); continue it there.").format(
                    channel=medium_label(medium), name=existing.name, id=existing.id))
        if client_id is UNSET:
            linked = _matching_client(s, contact, medium)
        else:
            linked = client_id if isinstance(client_id, int) else None
            if linked is not None and s.get(Client, linked) is None:
                raise FieldInvalid("client", _("There is no client with id {id}.").format(
                    id=linked))
        row = Attendance(medium=medium, name=name, phone=contact.phone, email=contact.email,
                         status=status, type=type, originator=originator, client_id=linked,
                         notes=notes.strip(), created_by=p.actor, created_at=now,
                         last_activity_at=now)
        s.add(row)
        s.flush()
        assert row.id is not None
        clean = _clean_tags(s, tags or [])
        for tag in clean:
            s.add(AttendanceTag(attendance_id=row.id, tag=tag))
        audit.record(s, at=now, actor=p.actor, entity="attendance", entity_id=row.id,
                     action="attendance_started", changes={
                         "medium": medium.value, "status": status.value, "type": type,
                         "originator": originator, "tags": clean, "client_id": linked})
        new_id = row.id
    p.bus.publish(Change.of(conversations=[new_id], clients=[linked] if linked else []))
    return new_id


def update(p: Practice, attendance_id: int, *, status: AttendanceStatus | str | None = None,
           type: str | None = None, tags: list[str] | None = None, notes: str | None = None,
           name: str | None = None, client_id: int | object | None = UNSET,
           expected_version: int | None = None) -> int:
    """Change what the receptionist edits on a card; audited old -> new. Returns
    the card's version after the change (for the card's next save).
    expected_version: the version the card's fields were filled from
    (Card.version); another's change since raises ChangedMeanwhile and changes
    nothing. None: not checked."""
    if status is not None:
        try:
            status = AttendanceStatus(status)
        except ValueError:
            raise FieldInvalid("status", _("Unknown attendance status '{value}'.").format(
                value=status)) from None
    if type is not None and type not in types(p):
        raise FieldInvalid("type", _("Unknown attendance type '{value}': add it in "
                                     "Settings › Conecta first.").format(value=type))
    if name is not None and not name.strip():
        raise FieldInvalid("name", _("Name is required: who is this attendance with?"))
    now = p.clock.now()
    with p.db.write() as s:
        row = _get(s, attendance_id)
        versions.refuse_if_changed(s, now, version=row.version, expected=expected_version,
                                   entity="attendance", entity_id=attendance_id)
        before = {"status": row.status.value, "type": row.type, "notes": row.notes,
                  "name": row.name, "client_id": row.client_id,
                  "tags": _tags(s, attendance_id)}
        if status is not None and status is not row.status:
            if status in OPEN_STATUSES:
                other = open_for(s, row.medium, row.phone, row.email)
                if other is not None and other.id != row.id:
                    raise InvalidInput(_("{name} already has an open {channel} attendance "
                                         "(#{id}); finish it before reopening this one.")
                                       .format(name=other.name, id=other.id,
                                               channel=medium_label(row.medium)))
            row.status = status
        if type is not None:
            row.type = type
        if notes is not None:
            row.notes = notes.strip()
        if name is not None:
            row.name = " ".join(name.split())
        if client_id is not UNSET:
            linked = client_id if isinstance(client_id, int) else None
            if linked is not None and s.get(Client, linked) is None:
                raise FieldInvalid("client", _("There is no client with id {id}.").format(
                    id=linked))
            row.client_id = linked
        if tags is not None:
            clean = _clean_tags(s, tags)
            for old in s.exec(select(AttendanceTag).where(
                    AttendanceTag.attendance_id == attendance_id)):
                s.delete(old)
            s.flush()
            for tag in clean:
                s.add(AttendanceTag(attendance_id=attendance_id, tag=tag))
            if clean != before["tags"]:
                flag_modified(row, "version")  # the tags are rows of their own
        after = {"status": row.status.value, "type": row.type, "notes": row.notes,
                 "name": row.name, "client_id": row.client_id,
                 "tags": clean if tags is not None else before["tags"]}
        changes = audit.diff(before, after)
        if not changes:
            return row.version
        audit.record(s, at=now, actor=p.actor, entity="attendance", entity_id=attendance_id,
                     action="attendance_changed", changes=changes)
        s.flush()
        version = row.version
    p.bus.publish(Change.of(conversations=[attendance_id]))
    return version


def mark_read(p: Practice, attendance_id: int, announce: bool = True) -> bool:
    """True when there was something unread. The window, which opened the card
    itself, refreshes its counts without the announcement (it would reload the card)."""
    with p.db.write() as s:
        row = _get(s, attendance_id)
        if not row.unread:
            return False
        row.unread = 0
    if announce:
        p.bus.publish(Change.of(conversations=[attendance_id]))
    return True


def log_call(p: Practice, attendance_id: int, *, direction: Direction | str, seconds: int,
             outcome: CallOutcome | str, notes: str = "") -> int:
    """A phone call made or taken outside the app, written in the thread."""
    try:
        direction, outcome = Direction(direction), CallOutcome(outcome)
    except ValueError:
        raise InvalidInput(_("A call is inbound or outbound, and answered, not answered, "
                             "busy or voicemail.")) from None
    if not 0 <= seconds <= 24 * 3600:
        raise FieldInvalid("duration", _("A call lasts between 0 seconds and 24 hours."))
    if outcome is not CallOutcome.ANSWERED and seconds:
        raise FieldInvalid("duration", _("Only an answered call has a duration."))
    now = p.clock.now()
    with p.db.write() as s:
        row = _get(s, attendance_id)
        entry = ConversationEntry(attendance_id=attendance_id, direction=direction,
                                  kind=EntryKind.CALL, body=notes.strip(), author=p.actor,
                                  at=now, state=DeliveryState.RECEIVED if direction is
                                  Direction.INBOUND else DeliveryState.SENT,
                                  call_seconds=seconds, call_outcome=outcome)
        s.add(entry)
        row.last_activity_at = now
        s.flush()
        audit.record(s, at=now, actor=p.actor, entity="attendance", entity_id=attendance_id,
                     action="call_logged", changes={"direction": direction.value,
                                                    "seconds": seconds,
                                                    "outcome": outcome.value})
        entry_id = entry.id or 0
    p.bus.publish(Change.of(conversations=[attendance_id]))
    return entry_id


def _get(s: Session, attendance_id: int) -> Attendance:
    row = s.get(Attendance, attendance_id)
    if row is None:
        raise NotFound(_("There is no attendance with id {id}.").format(id=attendance_id))
    return row


def _tags(s: Session, attendance_id: int) -> list[str]:
    return list(s.exec(select(AttendanceTag.tag).where(
        AttendanceTag.attendance_id == attendance_id).order_by(AttendanceTag.tag)))


# ---------------------------------------------------------------- the board

@dataclass(frozen=True)
class Filter:
    medium: Medium | None = None
    type: str | None = None
    tag: str | None = None
    status: AttendanceStatus | None = None
    originator: str | None = None
    text: str = ""  # name, phone or e-mail


@dataclass(frozen=True)
class Card:
    id: int
    medium: Medium
    name: str
    phone: str | None
    email: str | None
    status: AttendanceStatus
    type: str
    originator: str
    tags: tuple[str, ...]
    unread: int
    last_activity_at: datetime
    preview: str
    client_id: int | None
    notes: str = ""
    version: int = 0  # the row's, as the card's fields were filled (versions.py)

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "medium": self.medium.value, "name": self.name,
                "phone": self.phone, "email": self.email, "status": self.status.value,
                "type": self.type, "originator": self.originator, "tags": list(self.tags),
                "unread": self.unread, "last_activity_at": self.last_activity_at.isoformat(),
                "preview": self.preview, "client_id": self.client_id, "notes": self.notes}


def cards(p: Practice, f: Filter = Filter(), limit: int = 500) -> list[Card]:
    """The attendances matching the filter, the most recently active first. The
    limit holds per status, so years of finished attendances never push an open
    one off the board."""
    query = select(Attendance)
    if f.medium:
        query = query.where(Attendance.medium == f.medium)
    if f.type:
        query = query.where(Attendance.type == f.type)
    if f.originator:
        query = query.where(Attendance.originator == f.originator)
    if f.tag:
        query = query.where(col(Attendance.id).in_(
            select(AttendanceTag.attendance_id).where(AttendanceTag.tag == f.tag)))
    text = f.text.strip()
    named = has_words(col(Attendance.search_key), text, numbers_in=col(Attendance.phone),
                      shortest_number=3)
    if named is not None:
        digits = phones.typed_digits(text)  # a name or e-mail is not searched among phones
        # By words, without case and accents: "joao" finds "João" (models.search_text).
        clauses = [named]
        if len(digits) >= 3:
            clauses += [col(Attendance.phone).like(p) for p in phones.digit_patterns(digits)]
        query = query.where(or_(*clauses))
    newest_first = (col(Attendance.last_activity_at).desc(), col(Attendance.id).desc())
    rows: list[Attendance] = []
    with p.db.read() as s:
        for status in [f.status] if f.status else list(AttendanceStatus):
            rows += s.exec(query.where(Attendance.status == status)
                           .order_by(*newest_first).limit(limit))
        rows.sort(key=lambda r: (r.last_activity_at, r.id or 0), reverse=True)
        return cards_of(s, rows)


def card(p: Practice, attendance_id: int) -> Card:
    with p.db.read() as s:
        return cards_of(s, [_get(s, attendance_id)])[0]


def cards_of(s: Session, rows: list[Attendance]) -> list[Card]:
    ids = [r.id for r in rows if r.id is not None]
    tags: dict[int, list[str]] = {}
    for attendance_id, tag in s.exec(
            select(col(AttendanceTag.attendance_id), col(AttendanceTag.tag))
            .where(col(AttendanceTag.attendance_id).in_(ids)).order_by(AttendanceTag.tag)):
        tags.setdefault(attendance_id, []).append(tag)
    previews = _previews(s, ids)
    return [Card(r.id or 0, r.medium, r.name, r.phone, r.email, r.status, r.type,
                 r.originator, tuple(tags.get(r.id or 0, [])), r.unread,
                 r.last_activity_at, previews.get(r.id or 0, ""), r.client_id, r.notes,
                 r.version)
            for r in rows]


def _previews(s: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    newest = func.max(col(ConversationEntry.id)).label("last")
    last = select(ConversationEntry.attendance_id, newest) \
        .where(col(ConversationEntry.attendance_id).in_(ids),
               ConversationEntry.kind != EntryKind.NOTE) \
        .group_by(col(ConversationEntry.attendance_id)).subquery()
    # Plain columns, not entries: a board reads hundreds of these.
    E = ConversationEntry
    # A template's name and a call's outcome never share an entry: one column.
    extra = func.coalesce(col(E.template), col(E.call_outcome))
    rows = s.exec(select(col(E.attendance_id), col(E.kind), col(E.body), extra)
                  .join(last, col(E.id) == last.c.last))
    return {r[0]: _preview(r[1], r[2], r[3] if r[1] is EntryKind.TEMPLATE else None,
                           CallOutcome(r[3]) if r[1] is EntryKind.CALL and r[3] else None)
            for r in rows}


def preview_of(e: ConversationEntry) -> str:
    return _preview(e.kind, e.body, e.template, e.call_outcome)


def _preview(kind: EntryKind, body: str, template: str | None,
             call_outcome: CallOutcome | None) -> str:
    if kind is EntryKind.CALL:
        return _("Call: {outcome}").format(outcome=call_outcome_label(call_outcome))
    if kind is EntryKind.TEMPLATE:
        return _("Template: {name}").format(name=template or "")
    return " ".join(body[:400].split())[:120]


def call_outcome_label(outcome: CallOutcome | str | None) -> str:
    if outcome is None:
        return ""
    return {CallOutcome.ANSWERED: _("answered"), CallOutcome.NO_ANSWER: _("no answer"),
            CallOutcome.BUSY: _("busy"), CallOutcome.VOICEMAIL: _("voicemail")}[
        CallOutcome(outcome)]


def unread_total(p: Practice) -> int:
    """Client messages nobody has opened yet, on every card."""
    with p.db.read() as s:
        return int(s.exec(select(func.coalesce(func.sum(Attendance.unread), 0))).one())
