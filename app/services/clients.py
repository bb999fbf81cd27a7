"""Clients: contact details checked at the door (E.164 phones, valid e-mails),
consent per channel with its date, and per-client figures."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, Table, func
from sqlalchemy import select as core_select
from sqlmodel import Session, col, or_, select

from app.i18n import _
from app.models import plain_tables
from app.models.enums import AppointmentStatus, Channel
from app.models.search_text import has_words
from app.models.tables import Appointment, Client
from app.services import audit, client_reach, phones, push_devices, versions
from app.services.errors import InvalidInput, NotFound
from app.services.events import Change
from app.services.practice import Practice
from app.services.settings import load_row, parse_language, practice_zone
from app.services.values import normalize_email, normalize_phone

_CONSENT_ATTR = {Channel.WHATSAPP: "whatsapp_consent_at", Channel.EMAIL: "email_consent_at",
                 Channel.SMS: "sms_consent_at", Channel.VOICE: "voice_consent_at",
                 Channel.PUSH: "push_consent_at"}

# Only the client's own phone can subscribe to notifications (the Push API asks
# the person holding it): the practice can stop them, never start them.
def _push_by_client() -> str:
    return _("Notifications on the client's phone are turned on by the client, from the "
             "link in a reminder (Receive reminders on this phone).")


@dataclass(frozen=True)
class ClientView:
    id: int
    name: str
    phone: str | None
    email: str | None
    preferred_channel: str | None
    consent: dict[str, str | None]  # channel -> ISO instant it was given, or None
    notes: str
    language: str = ""  # of the messages they receive; "" follows the practice's
    version: int = 0  # the row's, as the form was filled (versions.py)

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "phone": self.phone, "email": self.email,
                "preferred_channel": self.preferred_channel, "consent": self.consent,
                "notes": self.notes, "language": self.language}


@dataclass(frozen=True)
class ClientStats:
    client_id: int
    sessions: int  # every session booked, a rescheduled one counted once (at its new time)
    upcoming: int
    completed: int
    cancelled: int
    no_shows: int
    rescheduled: int
    no_show_rate: float  # no-shows over sessions that were due (completed + no-shows)

    def as_json(self) -> dict[str, object]:
        return {"client_id": self.client_id, "sessions": self.sessions,
                "upcoming": self.upcoming, "completed": self.completed,
                "cancelled": self.cancelled, "no_shows": self.no_shows,
                "rescheduled": self.rescheduled, "no_show_rate": self.no_show_rate}


def view(c: Client) -> ClientView:
    assert c.id is not None
    consent = {ch.value: (getattr(c, attr).isoformat() if getattr(c, attr) else None)
               for ch, attr in _CONSENT_ATTR.items()}
    return ClientView(c.id, c.name, c.phone, c.email, c.preferred_channel, consent, c.notes,
                      c.language, c.version)


def message_language(language: str) -> str:
    """A client's language as stored: "" (the practice's), "pt_BR" or "en".
    Raises InvalidInput for any other."""
    value = (language or "").strip()
    return parse_language("" if value == "practice" else value)


def parse_channels(text: str) -> list[Channel]:
    out: list[Channel] = []
    for token in filter(None, (t.strip().lower() for t in text.split(","))):
        token = {"e-mail": "email", "whats": "whatsapp", "wa": "whatsapp", "call": "voice",
                 "phone call": "voice", "ligação": "voice", "ligacao": "voice"}.get(token, token)
        try:
            out.append(Channel(token))
        except ValueError:
            raise InvalidInput(_("Unknown channel '{value}': use whatsapp, email, sms, "
                                 "voice or push.")
                               .format(value=token)) from None
    return out


def _check_contact(s: Session, name: str, phone: str | None, email: str | None,
                   preferred: str | None) -> tuple[str, str | None, str | None, str | None]:
    name = name.strip()
    if not name:
        raise InvalidInput(_("The client needs a name."))
    region = load_row(s).country
    norm_phone = normalize_phone(phone, region) if phone and phone.strip() else None
    norm_email = normalize_email(email) if email and email.strip() else None
    if preferred:
        channel = parse_channels(preferred)[0]
        preferred = channel.value
    return name, norm_phone, norm_email, preferred


@dataclass(frozen=True)
class ClientDetails:
    """A client's name and contacts as a form holds them (not yet checked)."""

    name: str
    phone: str | None
    email: str | None = None
    consent: tuple[Channel, ...] = ()  # the channels the client agreed to, when known


def checked(s: Session, details: ClientDetails) -> ClientDetails:
    """The details as they would be stored (phone in E.164, e-mail normalised);
    raises InvalidInput with the field's problem."""
    if not details.phone or not details.phone.strip():
        raise InvalidInput(_("The client's phone number is required."))
    name, phone, email, _pref = _check_contact(s, details.name, details.phone, details.email,
                                               None)
    return ClientDetails(name, phone, email, details.consent)


def create_in(s: Session, p: Practice, details: ClientDetails, *,
              consent: Iterable[Channel] = (), preferred_channel: str | None = None,
              notes: str = "", language: str = "") -> Client:
    """A new client inside the caller's unit of work (a booking that creates its
    client writes both or neither). Raises InvalidInput."""
    now = p.clock.now()
    clean = checked(s, details)
    language = message_language(language)
    preferred = _check_contact(s, clean.name, None, None, preferred_channel)[3]
    consent = list(consent)
    if Channel.PUSH in consent:
        raise InvalidInput(_push_by_client())
    if Channel.EMAIL in consent and not clean.email:
        raise InvalidInput(_("Consent to e-mail needs an e-mail address."))
    client = Client(name=clean.name, phone=clean.phone, email=clean.email,
                    preferred_channel=preferred, notes=notes, created_at=now,
                    language=language)
    for ch in consent:
        setattr(client, _CONSENT_ATTR[ch], now)
    s.add(client)
    s.flush()
    audit.record(s, at=now, actor=p.actor, entity="client", entity_id=client.id,
                 action="client_created", changes=view(client).as_json())
    return client


def add(p: Practice, *, name: str, phone: str | None, email: str | None = None,
        consent: Iterable[Channel] = (), preferred_channel: str | None = None,
        notes: str = "", language: str = "") -> ClientView:
    with p.db.write() as s:
        result = view(create_in(s, p, ClientDetails(name, phone, email), consent=consent,
                                preferred_channel=preferred_channel, notes=notes,
                                language=language))
    p.bus.publish(Change.of(clients=[result.id]))
    return result


@dataclass(frozen=True)
class Similar:
    """An existing client a new one may be: families share a phone, so this is a
    question for the person, not a refusal."""

    kind: str  # "same_phone" or "same_email"
    client: ClientView

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind, "client_id": self.client.id}


def similar(p: Practice, *, phone: str | None, email: str | None,
            exclude: int | None = None) -> list[Similar]:
    """Active clients with this phone (with or without a Brazilian mobile's ninth
    digit) or this e-mail, oldest first; details that cannot be read match nobody."""
    with p.db.read() as s:
        return similar_in(s, phone=phone, email=email, exclude=exclude)


def similar_in(s: Session, *, phone: str | None, email: str | None,
               exclude: int | None = None) -> list[Similar]:
    region = load_row(s).country
    try:
        norm_phone = normalize_phone(phone, region) if phone and phone.strip() else None
    except InvalidInput:
        norm_phone = None
    try:
        norm_email = normalize_email(email) if email and email.strip() else None
    except InvalidInput:
        norm_email = None
    out: dict[int, Similar] = {}
    if norm_phone:
        for c in s.exec(select(Client).where(phones.matches(Client.phone, norm_phone),
                                             col(Client.active)).order_by(col(Client.id))):
            if c.id != exclude:
                out.setdefault(c.id or 0, Similar("same_phone", view(c)))
    if norm_email:
        for c in s.exec(select(Client).where(func.lower(Client.email) == norm_email.lower(),
                                             col(Client.active)).order_by(col(Client.id))):
            if c.id != exclude:
                out.setdefault(c.id or 0, Similar("same_email", view(c)))
    return sorted(out.values(), key=lambda x: x.client.id)


def update(p: Practice, client_id: int, *, name: str | None = None, phone: str | None = None,
           email: str | None = None, preferred_channel: str | None = None,
           notes: str | None = None, grant: Iterable[Channel] = (),
           revoke: Iterable[Channel] = (), language: str | None = None,
           expected_version: int | None = None) -> ClientView:
    """expected_version: the version the Ficha was filled from (ClientView.version);
    another's change since raises ChangedMeanwhile and changes nothing. None: not
    checked (the command line, internal callers)."""
    touched: set[int] = set()
    with p.db.write() as s:
        result = update_in(s, p, client_id, name=name, phone=phone, email=email,
                           preferred_channel=preferred_channel, notes=notes, grant=grant,
                           revoke=revoke, language=language,
                           expected_version=expected_version, touched=touched)
    p.bus.publish(Change.of(clients=[client_id], appointments=touched))
    return result


def update_in(s: Session, p: Practice, client_id: int, *, name: str | None = None,
              phone: str | None = None, email: str | None = None,
              preferred_channel: str | None = None, notes: str | None = None,
              grant: Iterable[Channel] = (), revoke: Iterable[Channel] = (),
              language: str | None = None, expected_version: int | None = None,
              touched: set[int] | None = None) -> ClientView:
    """`update` inside the caller's unit of work. Raises InvalidInput, NotFound,
    ChangedMeanwhile. A client who becomes reachable on a channel (consent, an
    address) gets back the reminders skipped for want of it, and one who no longer
    is has that channel's waiting reminders skipped (client_reach); the sessions
    whose reminders changed are added to `touched`, for the caller's Change."""
    now = p.clock.now()
    client = _get(s, client_id)
    reach_before = client_reach.reach_of(s, client)
    versions.refuse_if_changed(s, now, version=client.version, expected=expected_version,
                               entity="client", entity_id=client_id)
    before = view(client).as_json()
    new_name, new_phone, new_email, new_pref = _check_contact(
        s, client.name if name is None else name,
        client.phone if phone is None else phone,
        client.email if email is None else email,
        client.preferred_channel if preferred_channel is None else preferred_channel)
    client.name, client.phone, client.email = new_name, new_phone, new_email
    client.preferred_channel = new_pref
    if notes is not None:
        client.notes = notes
    if language is not None:
        client.language = message_language(language)
    grant, revoke = list(grant), list(revoke)
    if Channel.PUSH in grant and client.push_consent_at is None:
        raise InvalidInput(_push_by_client())
    for ch in grant:
        if getattr(client, _CONSENT_ATTR[ch]) is None:
            setattr(client, _CONSENT_ATTR[ch], now)
    for ch in revoke:
        setattr(client, _CONSENT_ATTR[ch], None)
    if Channel.PUSH in revoke:
        push_devices.drop_all(s, client_id, now, "consent withdrawn")
    if client.email_consent_at is not None and not client.email:
        raise InvalidInput(_("Consent to e-mail needs an e-mail address."))
    s.flush()  # the version raised by this change, for the view returned
    changed = client_reach.follow(s, now, client, reach_before)
    if touched is not None:
        touched |= changed
    result = view(client)
    changes = audit.diff(before, result.as_json())
    if changes:
        audit.record(s, at=now, actor=p.actor, entity="client", entity_id=client_id,
                     action="client_updated", changes=changes)
    return result


def _get(s: Session, client_id: int) -> Client:
    client = s.get(Client, client_id)
    if client is None:
        raise NotFound(_("There is no client with id {id}.").format(id=client_id))
    return client


def get(p: Practice, client_id: int) -> ClientView:
    with p.db.read() as s:
        return view(_get(s, client_id))


def matching(text: str, table: Table | None = None) -> ColumnElement[bool] | None:
    """The condition "the client's name or e-mail holds every word of `text`" (in
    any order, without case or accents: "silva joao" finds "João da Silva";
    models.search_text), a word of digits being found in the phone as well
    ("tatiana 2341"); or, when `text` reads as a phone number (phones.typed_digits),
    "the phone holds its digits" (typed with or without spaces, dashes or the
    country code); None for no text. On the Client class's
    columns, or on `table`'s (app.models.plain_tables.client) for a statement
    made of the plain tables."""
    key, phone = ((col(Client.search_key), col(Client.phone)) if table is None
                  else (table.c.search_key, table.c.phone))
    named = has_words(key, text, numbers_in=phone)
    if named is None:
        return None
    digits = phones.typed_digits(text)
    conditions = [named]
    if digits:
        conditions += [phone.like(p) for p in phones.digit_patterns(digits)]
    return or_(*conditions)


def search(p: Practice, text: str = "", limit: int = 50) -> list[ClientView]:
    """Active clients whose name, phone or e-mail contains the text (see matching),
    in alphabetical order without regard to case or accents."""
    with p.db.read() as s:
        query = select(Client).where(Client.active == True)  # noqa: E712
        condition = matching(text)
        if condition is not None:
            query = query.where(condition)
        rows = s.exec(query.order_by(col(Client.search_key), col(Client.id)).limit(limit))
        return [view(c) for c in rows]


@dataclass(frozen=True)
class DirectoryRow:
    """A line of the client list."""

    id: int
    name: str
    phone: str | None
    email: str | None
    next_session: datetime | None  # in the practice's time zone
    no_show_rate: float | None  # None: no session was due yet, so there is no rate


def directory(p: Practice, text: str = "", limit: int = 200) -> list[DirectoryRow]:
    """Clients matching the text (see matching), at most `limit`, in alphabetical
    order without regard to case or accents, each with its next session (in the
    practice's zone) and no-show rate. One statement whatever the number of
    clients: the page of clients found, then per client three look-ups in the
    index on (client, status, start); read on the plain tables, so no result
    passes through the ORM."""
    client, appointment = plain_tables.client, plain_tables.appointment
    found_query = core_select(client.c.id, client.c.name, client.c.phone, client.c.email,
                              client.c.search_key).where(client.c.active == True)  # noqa: E712
    condition = matching(text, client)
    if condition is not None:
        found_query = found_query.where(condition)
    found = found_query.order_by(client.c.search_key, client.c.id).limit(limit).subquery()
    mine = appointment.c.client_id == found.c.id

    def counted(status: AppointmentStatus) -> ScalarSelect[int]:
        return core_select(func.count()).where(mine, appointment.c.status == status) \
            .scalar_subquery()

    upcoming = (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED)
    next_start = core_select(func.min(appointment.c.start)) \
        .where(mine, appointment.c.status.in_(upcoming), appointment.c.start >= p.clock.now()) \
        .scalar_subquery()
    query = core_select(found.c.id, found.c.name, found.c.phone, found.c.email, next_start,
                        counted(AppointmentStatus.COMPLETED), counted(AppointmentStatus.NO_SHOW)) \
        .order_by(found.c.search_key, found.c.id)
    with p.db.read() as s:
        zone = practice_zone(s)
        rows = s.connection().execute(query).all()
    out = []
    for person, name, phone, email, nxt, done, missed in rows:
        out.append(DirectoryRow(person, name, phone, email,
                                nxt.astimezone(zone) if nxt is not None else None,
                                round(missed / (done + missed), 4) if done + missed else None))
    return out


def stats(p: Practice, client_id: int) -> ClientStats:
    now: datetime = p.clock.now()
    with p.db.read() as s:
        _get(s, client_id)
        rows = s.exec(select(Appointment.status, Appointment.start)
                      .where(Appointment.client_id == client_id)).all()
    count = {st: 0 for st in AppointmentStatus}
    upcoming = 0
    for status, start in rows:
        count[AppointmentStatus(status)] += 1
        if status in (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED) and start >= now:
            upcoming += 1
    due = count[AppointmentStatus.COMPLETED] + count[AppointmentStatus.NO_SHOW]
    return ClientStats(
        client_id=client_id,
        sessions=len(rows) - count[AppointmentStatus.RESCHEDULED],
        upcoming=upcoming,
        completed=count[AppointmentStatus.COMPLETED],
        cancelled=count[AppointmentStatus.CANCELLED],
        no_shows=count[AppointmentStatus.NO_SHOW],
        rescheduled=count[AppointmentStatus.RESCHEDULED],
        no_show_rate=round(count[AppointmentStatus.NO_SHOW] / due, 4) if due else 0.0,
    )
