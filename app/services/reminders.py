"""Planning what is sent about a session: reminders from the practice's defaults
when it is booked, a notice when it is confirmed, cancelled or moved, and the
closing of whatever is still pending when a session stops being due.

Rules, in one place:
- a reminder is planned for each default (channel, minutes before); a client who
  has not agreed to a channel, or has no address for it, gets a `skipped` row
  saying so, so the Lembretes tab explains itself;
- a reminder whose time has already passed at booking is sent at once while the
  session is more than USEFUL_CUTOFF away, and skipped otherwise;
- cancelling, completing or marking a no-show closes every pending reminder;
  rescheduling closes them on the old session and plans new ones on the new;
- notices go by e-mail when the client has one and agreed to it, else by SMS."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from app import i18n
from app.i18n import _, ngettext
from app.models.enums import ACTIVE_STATUSES, AppointmentStatus, Channel
from app.models.instants import elapsed, later_minutes
from app.models.outbox import DeliveryAttempt, MessageKind, MessageState, OutboxMessage
from app.models.tables import Appointment, Client
from app.services import channel_setup, config, quiet_hours
from app.services.database import bulk_insert
from app.services.errors import InvalidInput, NotFound
from app.services.events import Change
from app.services.practice import Practice
from app.services.settings import practice_zone

Readiness = dict[Channel, "channel_setup.Missing | None"]
USEFUL_CUTOFF = timedelta(minutes=15)
CONSENT = {Channel.WHATSAPP: "whatsapp_consent_at", Channel.EMAIL: "email_consent_at",
           Channel.SMS: "sms_consent_at", Channel.VOICE: "voice_consent_at",
           Channel.PUSH: "push_consent_at"}


@dataclass(frozen=True)
class MessageView:
    id: int
    kind: str
    appointment_id: int | None
    channel: str
    minutes_before: int | None
    custom_text: str | None
    recipient: str | None
    due_at: datetime  # in the practice's zone
    state: str
    attempts: int
    last_error: str | None
    provider_message_id: str | None
    sent_at: datetime | None
    # Waiting, but would be skipped as things stand (the channel is not set up):
    # said at once, with the fix, not discovered when it is due.
    blocked: str | None = None
    # Where a person fixes what keeps it from going: "client" (consent, address),
    # "integrations" or "notifications" (a Settings tab); None when nothing can.
    fix: str | None = None
    # What became of a sent one after it went, in words (a call answered by the
    # client or by an answering machine), when the provider said.
    outcome: str | None = None

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "kind": self.kind, "appointment_id": self.appointment_id,
                "channel": self.channel, "minutes_before": self.minutes_before,
                "custom_text": self.custom_text, "recipient": self.recipient,
                "send_at": self.due_at.isoformat(), "state": self.state,
                "attempts": self.attempts, "last_error": self.last_error,
                "provider_message_id": self.provider_message_id,
                "sent_at": self.sent_at.isoformat() if self.sent_at else None,
                "blocked": self.blocked, "fix": self.fix}


FIX_CLIENT = "client"


def view(m: OutboxMessage, zone: ZoneInfo, ready: Readiness | None = None,
         fix: str | None = None) -> MessageView:
    """ready: channel_setup.readiness(), to say which waiting messages would be skipped."""
    assert m.id is not None
    missing = ready.get(Channel(m.channel)) if ready is not None and \
        m.state is MessageState.PENDING and m.kind is not MessageKind.CONVERSATION and \
        m.channel in {c.value for c in Channel} else None
    return MessageView(m.id, m.kind.value, m.appointment_id, m.channel, m.minutes_before,
                       m.custom_text, m.recipient, m.due_at.astimezone(zone), m.state.value,
                       m.attempts, i18n.from_english(m.last_error), m.provider_message_id,
                       m.sent_at.astimezone(zone) if m.sent_at else None,
                       missing.text if missing else None, missing.fix if missing else fix)


PUSH_RECIPIENT = "phone"  # a push reminder's recipient: the client's subscribed phones


def address(client: Client, channel: Channel) -> tuple[str | None, str | None]:
    """Where to send, or why not."""
    if channel is Channel.PUSH:
        # The client's phones are found when it goes (push_devices): they subscribe
        # and drop out on their own.
        if client.push_consent_at is None:
            return None, _("{name} has not turned on reminders on their phone (the link's "
                           "page offers it).").format(name=client.name)
        return PUSH_RECIPIENT, None
    # No address first: agreeing to a channel one cannot be reached by is beside the point.
    target = client.email if channel is Channel.EMAIL else client.phone
    if not target:
        return None, (_("{name} has no e-mail address.") if channel is Channel.EMAIL
                      else _("{name} has no phone number.")).format(name=client.name)
    if getattr(client, CONSENT[channel]) is None:
        return None, _("{name} has not agreed to messages by {channel}.").format(
            name=client.name, channel=channel_name(channel))
    return target, None


# Reminders that will go, are going or went: a second one like them is a duplicate.
LIVE_STATES = frozenset({MessageState.PENDING, MessageState.SENDING, MessageState.SENT,
                         MessageState.UNKNOWN})


def lead_phrase(minutes: int) -> str:
    """How long before, as people say it: "1 day before", "2 hours before"."""
    for size, one, many in ((24 * 60, "day before", "days before"),
                            (60, "hour before", "hours before")):
        if minutes % size == 0:
            n = minutes // size
            unit = ngettext(one, many, n)
            return f"{n} {unit}"
    unit = ngettext("minute before", "minutes before", minutes)
    return f"{minutes} {unit}"


def channel_name(channel: Channel | str) -> str:
    """The channel as a sentence names it ("by {channel}")."""
    return {"whatsapp": "WhatsApp", "email": _("e-mail"), "sms": "SMS",
            "voice": _("phone call"), "push": _("notification on the phone")}.get(
        str(channel.value if isinstance(channel, Channel) else channel), str(channel))


def _values(now: datetime, *, key: str, kind: MessageKind, appointment_id: int,
            channel: Channel, due: datetime, recipient: str | None, minutes: int | None = None,
            custom_text: str | None = None, skipped: str | None = None) -> dict[str, object]:
    """One outbox row's columns: pending, or skipped with why."""
    return {"idempotency_key": key, "kind": kind, "appointment_id": appointment_id,
            "channel": channel.value, "minutes_before": minutes, "custom_text": custom_text,
            "recipient": recipient, "due_at": due,
            "state": MessageState.SKIPPED if skipped else MessageState.PENDING,
            "last_error": skipped, "attempts": 0, "created_at": now, "updated_at": now}


def _queue(s: Session, now: datetime, *, key: str, kind: MessageKind, appointment_id: int,
           channel: Channel, due: datetime, recipient: str | None,
           minutes: int | None = None, custom_text: str | None = None,
           skipped: str | None = None) -> OutboxMessage | None:
    """One outbox row per idempotency key, however often this is called."""
    if s.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).first():
        return None
    row = OutboxMessage.model_validate(_values(
        now, key=key, kind=kind, appointment_id=appointment_id, channel=channel, due=due,
        recipient=recipient, minutes=minutes, custom_text=custom_text, skipped=skipped))
    s.add(row)
    return row


def when_due(now: datetime, start: datetime, client: Client, channel: Channel, minutes: int,
          calls: quiet_hours.Window | None = None) -> tuple[datetime, str | None, str | None]:
    """When a reminder goes, to whom, or why it will not. calls: the hours a
    phone call may ring in (a call due outside them moves, quiet_hours)."""
    target, why_not = address(client, channel)
    due = later_minutes(start, -minutes)
    if why_not is None and due < now:
        if elapsed(now, start) > USEFUL_CUTOFF:
            due = now  # booked inside the lead time: send now, while it still helps
        else:
            why_not = _("Booked too close to the session for this reminder to help.")
    if why_not is None and channel is Channel.VOICE and calls is not None:
        due, why_not = quiet_hours.place(due, start, calls, USEFUL_CUTOFF)
    return due, target, why_not


def _plan_one(s: Session, now: datetime, a: Appointment, client: Client, channel: Channel,
              minutes: int, custom_text: str | None = None, key: str | None = None
              ) -> OutboxMessage | None:
    assert a.id is not None
    calls = quiet_hours.window_of(s) if channel is Channel.VOICE else None
    due, target, why_not = when_due(now, a.start, client, channel, minutes, calls)
    return _queue(s, now, key=key or f"reminder:{a.id}:{channel.value}:{minutes}",
                  kind=MessageKind.REMINDER, appointment_id=a.id, channel=channel, due=due,
                  recipient=target, minutes=minutes, custom_text=custom_text, skipped=why_not)


def plan(s: Session, now: datetime, appointments: list[Appointment]) -> None:
    """The default reminders for newly booked sessions (inside the booking's unit of work)."""
    defaults = config.parse_reminders(config.read_all(s)["reminders.default"])
    if not defaults:
        return
    for a in appointments:
        client = s.get(Client, a.client_id)
        assert client is not None
        for channel, minutes in defaults:
            _plan_one(s, now, a, client, channel, minutes)


def plan_new(s: Session, now: datetime, sessions: Iterable[tuple[int, datetime, Client]]
             ) -> None:
    """plan() for many sessions just inserted together (an import): the same rules,
    written in one statement. The sessions are new, so no reminder can exist yet."""
    defaults = config.parse_reminders(config.read_all(s)["reminders.default"])
    if not defaults:
        return
    rows: list[dict[str, object]] = []
    calls = quiet_hours.window_of(s) if any(c is Channel.VOICE for c, _m in defaults) \
        else None
    for appointment_id, start, client in sessions:
        for channel, minutes in defaults:
            due, target, why_not = when_due(now, start, client, channel, minutes, calls)
            rows.append(_values(
                now, key=f"reminder:{appointment_id}:{channel.value}:{minutes}",
                kind=MessageKind.REMINDER, appointment_id=appointment_id, channel=channel,
                due=due, recipient=target, minutes=minutes, skipped=why_not))
    if rows:
        bulk_insert(s, OutboxMessage, rows)


def close_open(s: Session, now: datetime, appointment_id: int, reason: str) -> None:
    """Pending reminders of a session that is no longer due: cancelled, with why."""
    rows = s.exec(select(OutboxMessage).where(
        OutboxMessage.appointment_id == appointment_id,
        OutboxMessage.kind == MessageKind.REMINDER,
        OutboxMessage.state == MessageState.PENDING))
    for row in rows:
        row.state, row.last_error, row.updated_at = MessageState.CANCELLED, reason, now


def hold_notices(s: Session, now: datetime, appointment_id: int, kind: MessageKind,
                 reason: str) -> None:
    """Notices of one kind still waiting for a session, held back with why (what
    they say stopped being true)."""
    rows = s.exec(select(OutboxMessage).where(
        OutboxMessage.appointment_id == appointment_id, OutboxMessage.kind == kind,
        OutboxMessage.state == MessageState.PENDING))
    for row in rows:
        row.state, row.last_error, row.updated_at = MessageState.CANCELLED, reason, now


def reopen_closed(s: Session, now: datetime, appointment_id: int, since: datetime) -> int:
    """Reminders close_open() closed at or after `since` that can still reach the
    client in time are waiting again (an outcome undone). Returns how many."""
    a = s.get(Appointment, appointment_id)
    assert a is not None
    rows = s.exec(select(OutboxMessage).where(
        OutboxMessage.appointment_id == appointment_id,
        OutboxMessage.kind == MessageKind.REMINDER,
        OutboxMessage.state == MessageState.CANCELLED,
        col(OutboxMessage.updated_at) >= since, col(OutboxMessage.due_at) > now)).all()
    useful = [row for row in rows if elapsed(row.due_at, a.start) > USEFUL_CUTOFF]
    for row in useful:
        row.state, row.last_error, row.updated_at = MessageState.PENDING, None, now
    return len(useful)


def notice_route(client: Client, kind: MessageKind, ready: Readiness
                 ) -> tuple[Channel | None, str]:
    """The channel a confirmation, cancellation or reschedule notice would go by
    (e-mail when the client has one, agreed to it and e-mail is set up, else SMS
    for all but confirmations), or None and why no channel can reach the client."""
    channels = [Channel.EMAIL] if kind is MessageKind.CONFIRMATION else \
        [Channel.EMAIL, Channel.SMS]
    reasons: list[str] = []
    for channel in channels:
        _target, why_not = address(client, channel)
        unset = ready.get(channel)
        if why_not is None and unset is None:
            return channel, ""
        reasons.append(why_not or (unset.text if unset else ""))
    if kind is MessageKind.CONFIRMATION:  # "the confirmation e-mail will not go: why"
        return None, " ".join(reasons)
    # Said which channels were tried: a client reached on WhatsApp would otherwise wonder.
    return None, " ".join([_("Notices go by e-mail or SMS."), *reasons])


def notice(s: Session, now: datetime, a: Appointment, kind: MessageKind,
           ready: Readiness | None = None) -> Channel | None:
    """Queue a confirmation, cancellation or reschedule notice by the route
    notice_route() finds; returns the channel, or None when it was written down
    as skipped with the reasons. ready: read before the write transaction (the
    keyring may ask to be unlocked); without it every channel counts as set up
    and the dispatcher skips what is not."""
    assert a.id is not None
    client = s.get(Client, a.client_id)
    assert client is not None
    channel, why_not = notice_route(client, kind, ready or {})
    target = address(client, channel)[0] if channel is not None else None
    _queue(s, now, key=f"{kind.value}:{a.id}", kind=kind, appointment_id=a.id,
           channel=channel or Channel.EMAIL, due=now, recipient=target,
           skipped=None if channel is not None else why_not)
    return channel


def notice_route_for(p: Practice, appointment_id: int, kind: MessageKind
                     ) -> tuple[Channel | None, str]:
    """notice_route() for a session's client, as things stand now. Reads the keyring."""
    ready = channel_setup.readiness(p)
    with p.db.read() as s:
        a = s.get(Appointment, appointment_id)
        if a is None:
            raise NotFound(_("There is no session with id {id}.").format(id=appointment_id))
        client = s.get(Client, a.client_id)
        assert client is not None
        return notice_route(client, kind, ready)


def notice_problem(p: Practice, appointment_id: int, kind: MessageKind) -> str | None:
    """A sentence for the status line when the notice of `kind` just queued for the
    session will not go (skipped: the channel is not set up, the client cannot be
    reached) or cannot go now (the keyring cannot be read); None when it is on its
    way or none was queued. Reads the keyring."""
    found = notice_issues(p, [appointment_id], kind)
    if not found:
        return None
    (channel, held, reason), _n = next(iter(found.items()))
    what = _("The confirmation e-mail") if kind is MessageKind.CONFIRMATION and \
        channel is Channel.EMAIL else _("The client's notice by {channel}").format(
            channel=channel_name(channel))
    if held:
        return _("{what} waits and will not go until this is fixed: {reason}").format(
            what=what, reason=reason)
    return _("{what} will not be sent: {reason}").format(what=what, reason=reason)


def notice_issues(p: Practice, appointment_ids: Iterable[int], kind: MessageKind
                  ) -> dict[tuple[Channel, bool, str], int]:
    """For the notices of `kind` just queued for these sessions: how many will not
    go (held False) or cannot go now (held True), per (channel, held, reason).
    Reads the keyring once per channel."""
    from app.services import secrets

    keys = [f"{kind.value}:{i}" for i in appointment_ids]
    with p.db.read() as s:
        # The reason is kept in English (kept_text): said in the reader's language.
        rows = [(r.state, i18n.from_english(r.last_error) or "", Channel(r.channel))
                for r in s.exec(
            select(OutboxMessage).where(col(OutboxMessage.idempotency_key).in_(keys)))]
    keyring: dict[Channel, str | None] = {}
    found: dict[tuple[Channel, bool, str], int] = {}
    for state, reason, channel in rows:
        key: tuple[Channel, bool, str] | None = None
        if state is MessageState.SKIPPED:
            key = (channel, False, reason)
        elif state is MessageState.PENDING:
            if channel not in keyring:
                try:
                    secrets.is_set(channel_setup.SECRET_OF[channel])
                    keyring[channel] = None
                except secrets.SecretsUnavailable as exc:
                    keyring[channel] = str(exc)
            if keyring[channel]:
                key = (channel, True, keyring[channel] or "")
        if key is not None:
            found[key] = found.get(key, 0) + 1
    return found


# ---------------------------------------------------------------- for people

def list_for(p: Practice, appointment_id: int) -> list[MessageView]:
    """A session's reminders and notices, oldest first; a waiting one says whether
    its channel would let it go (MessageView.blocked). Reads the keyring."""
    ready = channel_setup.readiness(p)
    with p.db.read() as s:
        if s.get(Appointment, appointment_id) is None:
            raise NotFound(_("There is no session with id {id}.").format(id=appointment_id))
        zone = practice_zone(s)
        rows = list(s.exec(select(OutboxMessage).where(
            OutboxMessage.appointment_id == appointment_id)
            .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))))
        after = _after_sending(s, [m.id for m in rows if m.id is not None and
                                   m.state is MessageState.SENT])
        return [replace(view(m, zone, ready), outcome=after.get(m.id or 0)) for m in rows]


def _after_sending(s: Session, ids: list[int]) -> dict[int, str]:
    """The newest words the provider's reports left on each sent message (a call
    answered, an answering machine), in the reader's language."""
    if not ids:
        return {}
    found: dict[int, str] = {}
    for message_id, detail in s.exec(
            select(DeliveryAttempt.message_id, DeliveryAttempt.detail)
            .where(col(DeliveryAttempt.message_id).in_(ids),
                   col(DeliveryAttempt.outcome).in_(AFTER_SENDING))
            .order_by(col(DeliveryAttempt.id))):
        if detail:
            found[message_id] = i18n.from_english(detail) or detail
    return found


# The attempts the provider's reports add once a message went (voice_calls).
AFTER_SENDING = ("answered", "machine")


def list_outbox(p: Practice, states: list[MessageState] | None = None,
                limit: int = 1000) -> list[MessageView]:
    with p.db.read() as s:
        zone = practice_zone(s)
        query = select(OutboxMessage)
        if states:
            query = query.where(col(OutboxMessage.state).in_(states))
        rows = s.exec(query.order_by(col(OutboxMessage.due_at).desc(),
                                     col(OutboxMessage.id).desc()).limit(limit))
        return [view(m, zone) for m in rows]


def waiting_outbox(p: Practice, states: list[MessageState],
                   limit: int) -> tuple[list[MessageView], int]:
    """The newest `limit` messages in `states` (as list_outbox) and how many there
    are in all, read in one transaction: the count never disagrees with the list
    (read apart, a message decided in between was listed but no longer counted)."""
    with p.db.read() as s:
        zone = practice_zone(s)
        waiting = col(OutboxMessage.state).in_(states)
        rows = s.exec(select(OutboxMessage).where(waiting).order_by(
            col(OutboxMessage.due_at).desc(), col(OutboxMessage.id).desc()).limit(limit))
        shown = [view(m, zone) for m in rows]
        total = int(s.scalar(select(func.count()).select_from(OutboxMessage).where(waiting))
                    or 0)
    return shown, total


def reminder_refusal(appointment_id: int, status: AppointmentStatus, start: datetime,
                     now: datetime) -> str | None:
    """Why no reminder can be added to a session now (cancelled, done, begun), or
    None. The panel disables its button with the same words."""
    from app.services.scheduling import status_word

    if status not in ACTIVE_STATUSES:
        return _("Session #{id} is {status}: no reminder is sent.").format(
            id=appointment_id, status=status_word(status))
    if start <= now:
        return _("Session #{id} has already begun: a reminder would come too late.").format(
            id=appointment_id)
    return None


def add(p: Practice, appointment_id: int, channel: Channel, minutes_before: int,
        custom_text: str | None = None) -> MessageView:
    """A reminder added by hand on one session. InvalidInput (nothing added) for a
    time out of range, or an own text whose fields cannot be filled."""
    from app.services import messages

    custom_text = messages.check_own_text(custom_text, channel)
    if not 5 <= minutes_before <= 14 * 24 * 60:
        raise InvalidInput(_("A reminder goes between 5 minutes and 14 days before."))
    ready = channel_setup.readiness(p)
    now = p.clock.now()
    with p.db.write() as s:
        a = s.get(Appointment, appointment_id)
        if a is None:
            raise NotFound(_("There is no session with id {id}.").format(id=appointment_id))
        why_not = reminder_refusal(appointment_id, a.status, a.start, now)
        if why_not:
            raise InvalidInput(why_not)
        client = s.get(Client, a.client_id)
        assert client is not None
        existing = s.exec(select(OutboxMessage).where(
            col(OutboxMessage.idempotency_key).startswith(
                f"reminder:{appointment_id}:{channel.value}:{minutes_before}"))).all()
        # The same reminder twice would reach the client twice; one taken back
        # (removed, cancelled) or that could not go may be added again.
        if any(m.kind is MessageKind.REMINDER and m.minutes_before == minutes_before
               and m.state in LIVE_STATES for m in existing):
            raise InvalidInput(_("This session already has this reminder: {channel}, "
                                 "{lead}.").format(channel=channel_name(channel),
                                                   lead=lead_phrase(minutes_before)))
        key = f"reminder:{appointment_id}:{channel.value}:{minutes_before}" + \
            (f":{len(existing) + 1}" if existing else "")
        row = _plan_one(s, now, a, client, channel, minutes_before,
                        (custom_text or "").strip() or None, key)
        assert row is not None
        s.flush()
        zone = practice_zone(s)
        refused = address(client, channel)[1] is not None  # consent, address: the client file
        result = view(row, zone, ready, FIX_CLIENT if refused else None)
    p.bus.publish(Change.of(appointments=[appointment_id]))
    return result


def remove(p: Practice, message_id: int) -> None:
    """Take back a reminder not sent yet; the row stays, cancelled."""
    with p.db.write() as s:
        row = s.get(OutboxMessage, message_id)
        if row is None or row.kind is not MessageKind.REMINDER:
            raise NotFound(_("There is no reminder with id {id}.").format(id=message_id))
        if row.state is not MessageState.PENDING:
            raise InvalidInput(_("Only a reminder still waiting can be removed; this one is "
                                 "{state}.").format(state=row.state.value))
        row.state, row.last_error = MessageState.CANCELLED, _("Removed by {who}.").format(
            who=p.actor)
        row.updated_at = p.clock.now()
        appointment_id = row.appointment_id
    p.bus.publish(Change.of(appointments=[appointment_id] if appointment_id else []))
