"""Messages that were not sent, grouped by what went wrong.

Twelve reminders refused for one wrong password are one problem with one fix, not
twelve cards: the Painel shows a group per channel and cause (the code of the last
attempt: the provider's error code, or ours for a cause found before the provider
was asked), with the newest message's reason standing for all, and acts on the
group at once. A group's actions reach only the messages counted when it was
shown (ids up to `up_to`), never one that failed after the person looked.

Only what waits for a person is listed (still_needed): not a failed call whose
fallback (an SMS or e-mail instead, `fallback_of`) went or is going, nor a
reminder of a session no longer due (cancelled, completed, a no-show, moved, or
too close to help: outbox.compose would skip it if sent again), nor a
confirmation of a session no longer active. A cancellation or reschedule notice
that did not go is always listed: the client may come, not knowing. The same
holds for messages whose fate is unknown (decisions). Each message names its
client and session (About)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, not_, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from app import i18n
from app.i18n import _, ngettext
from app.models.enums import ACTIVE_STATUSES
from app.models.outbox import DeliveryAttempt, MessageKind, MessageState, OutboxMessage
from app.models.tables import Appointment, Client
from app.services import channel_health, config, secrets
from app.services.channel_setup import (
    INTEGRATIONS,
    NOT_SET_UP,
    SECRET_OF,
    what_is_missing,
)
from app.services.errors import InvalidInput
from app.services.events import Change
from app.services.practice import Practice
from app.services.reminders import (
    LIVE_STATES,
    USEFUL_CUTOFF,
    MessageView,
    channel_name,
    view,
)
from app.services.settings import practice_zone


@dataclass(frozen=True)
class About:
    """Whom and which session a message is about, as the Painel names it."""

    client_name: str
    session_start: datetime  # in the practice's zone
    appointment_id: int


ABOUT_SHOWN = 5  # a group names this many of its messages' clients and sessions


@dataclass(frozen=True)
class FailureGroup:
    channel: str  # email, whatsapp, sms
    code: str  # the cause: the last attempt's code, "" when it had none
    count: int
    newest: MessageView  # its reason stands for the group
    up_to: int  # the highest message id counted; the group's actions stop there
    fix: str | None  # INTEGRATIONS or NOTIFICATIONS when the cause is in the settings
    # The newest ABOUT_SHOWN messages' clients and sessions, newest first (those
    # about a session), by message id.
    about: dict[int, About] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, int]:
        return self.channel, self.code, self.up_to


def _last_code() -> ColumnElement[str]:
    """The code of a message's last attempt ("" for none), as a correlated subquery."""
    return func.coalesce(
        select(DeliveryAttempt.code).where(DeliveryAttempt.message_id == OutboxMessage.id)
        .order_by(col(DeliveryAttempt.id).desc()).limit(1)
        .correlate(OutboxMessage).scalar_subquery(), "")


def still_needed(now: datetime) -> ColumnElement[bool]:
    """The condition "this failed or unknown message still waits for a person's
    decision" at `now` (see the module's docstring)."""
    fallback = aliased(OutboxMessage)
    replaced = exists(select(col(fallback.id)).where(
        col(fallback.fallback_of) == col(OutboxMessage.id),
        col(fallback.state).in_(list(LIVE_STATES))))
    session = aliased(Appointment)
    active = col(session.status).in_(list(ACTIVE_STATUSES))
    # A reminder helps while the session is active and more than USEFUL_CUTOFF
    # away; a confirmation is true while the session is active and to come. A
    # cancellation or reschedule notice that did not go stays for a person even
    # after the session's time: the client may come, not knowing.
    due = exists(select(col(session.id)).where(
        col(session.id) == col(OutboxMessage.appointment_id),
        or_(and_(col(OutboxMessage.kind) == MessageKind.REMINDER, active,
                 col(session.start) > now + USEFUL_CUTOFF),
            and_(col(OutboxMessage.kind) == MessageKind.CONFIRMATION, active,
                 col(session.start) > now))))
    about_a_session = and_(col(OutboxMessage.appointment_id).is_not(None),
                           col(OutboxMessage.kind).in_([MessageKind.REMINDER,
                                                        MessageKind.CONFIRMATION]))
    return and_(not_(replaced), or_(not_(about_a_session), due))


def why_not_needed(s: Session, row: OutboxMessage, now: datetime) -> str | None:
    """Why this failed or unknown message no longer waits for a person (what
    still_needed() leaves out), in a sentence; None while it does."""
    if s.exec(select(OutboxMessage.id).where(
            OutboxMessage.id == row.id, still_needed(now))).first() is not None:
        return None
    from app.services.scheduling import status_word

    instead = s.exec(select(OutboxMessage).where(
        OutboxMessage.fallback_of == row.id,
        col(OutboxMessage.state).in_(list(LIVE_STATES)))).first()
    if instead is not None:
        return _("A reminder by {channel} went in its place, so it is not sent again.").format(
            channel=channel_name(instead.channel))
    a = s.get(Appointment, row.appointment_id) if row.appointment_id else None
    if a is not None and a.status not in ACTIVE_STATUSES:
        return _("The session is {status}, so it is no longer sent.").format(
            status=status_word(a.status))
    return _("Its session has begun or is about to, so it would no longer help.") \
        if row.kind is MessageKind.REMINDER else \
        _("Its session has begun, so it would no longer help.")


def about(s: Session, message_ids: list[int], zone: ZoneInfo) -> dict[int, About]:
    """The client and session each message is about (those about a session)."""
    if not message_ids:
        return {}
    rows = s.exec(select(OutboxMessage.id, Client.name, Appointment.start, Appointment.id)
                  .join(Appointment, col(Appointment.id) == OutboxMessage.appointment_id)
                  .join(Client, col(Client.id) == Appointment.client_id)
                  .where(col(OutboxMessage.id).in_(message_ids))).all()
    return {int(i): About(name, start.astimezone(zone), int(a))
            for i, name, start, a in rows if i is not None and a is not None}


def failure_groups(p: Practice) -> list[FailureGroup]:
    """Every failed message still waiting for a person, grouped by (channel,
    cause), the largest group first; counts are exact however many there are."""
    code = _last_code().label("code")
    now = p.clock.now()
    with p.db.read() as s:
        zone = practice_zone(s)
        rows = s.exec(select(OutboxMessage.channel, code, func.count(),
                             func.max(col(OutboxMessage.id)))
                      .where(OutboxMessage.state == MessageState.FAILED, still_needed(now))
                      .group_by(OutboxMessage.channel, code)).all()
        groups = []
        for channel, cause, count, up_to in rows:
            newest = s.get(OutboxMessage, up_to)
            assert newest is not None and newest.id is not None
            fix = channel_health.FIX_OF.get(channel, {}).get(cause)
            shown = list(s.exec(select(OutboxMessage.id).where(
                *_members(channel, cause, newest.id, now))
                .order_by(col(OutboxMessage.id).desc()).limit(ABOUT_SHOWN)))
            ids = [i for i in shown if i is not None]
            named = about(s, ids, zone)
            groups.append(FailureGroup(channel, cause, int(count), view(newest, zone),
                                       newest.id, fix,
                                       {i: named[i] for i in ids if i in named}))
    return sorted(groups, key=lambda g: (-g.count, g.channel, g.code))


def decisions_waiting(p: Practice, limit: int) -> tuple[list[MessageView], int, dict[int, About]]:
    """The newest `limit` messages whose fate is unknown and that still wait for a
    person, how many there are in all (read in the same transaction, so the count
    never disagrees with the list), and whom and which session each is about."""
    now = p.clock.now()
    with p.db.read() as s:
        zone = practice_zone(s)
        waiting = and_(col(OutboxMessage.state) == MessageState.UNKNOWN, still_needed(now))
        rows = s.exec(select(OutboxMessage).where(waiting).order_by(
            col(OutboxMessage.due_at).desc(), col(OutboxMessage.id).desc()).limit(limit))
        shown = [view(m, zone) for m in rows]
        total = int(s.scalar(select(func.count()).select_from(OutboxMessage).where(waiting))
                    or 0)
        found = about(s, [m.id for m in shown], zone)
    return shown, total, found


def _members(channel: str, code: str, up_to: int, now: datetime) -> list[ColumnElement[bool]]:
    return [col(OutboxMessage.state) == MessageState.FAILED,
            col(OutboxMessage.channel) == channel, col(OutboxMessage.id) <= up_to,
            _last_code() == code, still_needed(now)]


def retry_group(p: Practice, key: tuple[str, str, int]) -> int:
    """Send again every message of a group (after its cause was fixed); returns how
    many. Each keeps its history; the attempt log says who asked."""
    return _decide_group(p, key, MessageState.PENDING, "retry_requested")


def dismiss_group(p: Practice, key: tuple[str, str, int]) -> int:
    """Close every message of a group without sending; kept, cancelled. Returns how many."""
    return _decide_group(p, key, MessageState.CANCELLED, "dismissed")


def decide(s: Session, row: OutboxMessage, now: datetime, new: MessageState, outcome: str,
           who: str) -> str | None:
    """A person's decision on one failed message: sent again from now (PENDING,
    attempts counted afresh) or closed (CANCELLED), written in its attempt log.
    Sending again one that no longer waits for anyone (why_not_needed: a Painel
    read before its session was cancelled), or that cannot go as things stand (a
    notification for a client with no phone left, a call whose next allowed hour
    is too close to the session) raises InvalidInput saying why. Returns when it
    goes, if not now (a call waiting for the hours calls ring in)."""
    assert row.id is not None
    due, said = now, None
    if new is MessageState.PENDING:  # everything checked before anything changes
        why_not = why_not_needed(s, row, now) or _cannot_go(s, row)
        if why_not is not None:
            raise InvalidInput(why_not)
        due, said = _call_hours(s, row, now)
    row.state, row.updated_at = new, now
    if new is MessageState.PENDING:
        row.due_at, row.next_attempt_at, row.attempts = due, None, 0
    s.add(DeliveryAttempt(message_id=row.id, at=now, outcome=outcome,
                          detail=_("Decided by {who}.").format(who=who)))
    return said


def _cannot_go(s: Session, row: OutboxMessage) -> str | None:
    """Why a notification sent again would reach nobody: its client has no phone."""
    from app.services import push_devices

    a = s.get(Appointment, row.appointment_id) if row.appointment_id else None
    if row.channel != "push" or a is None or push_devices.live(s, a.client_id):
        return None
    client = s.get(Client, a.client_id)
    return _("{name}'s phone no longer takes notifications: there is nowhere to send it "
             "until reminders are turned on again from a reminder's link.").format(
        name=client.name if client else "?")


def _call_hours(s: Session, row: OutboxMessage, now: datetime
                ) -> tuple[datetime, str | None]:
    """When a message sent again goes, and the sentence when not now: a call
    outside the hours calls ring in waits for the next of them; InvalidInput when
    that is too close to the session."""
    from app.services import quiet_hours
    from app.services.reminders import USEFUL_CUTOFF

    a = s.get(Appointment, row.appointment_id) if row.appointment_id else None
    if row.channel != "voice" or a is None:
        return now, None
    w = quiet_hours.window_of(s)
    when, why_not = quiet_hours.place(now, a.start, w, USEFUL_CUTOFF)
    if why_not is not None:
        raise InvalidInput(why_not)
    if when == now:
        return now, None
    return when, _("It will be called at {when}: calls ring only from {start} to {end}.").format(
        when=i18n.format_datetime(when.astimezone(w.zone)), start=i18n.format_time(w.start),
        end=i18n.format_time(w.end))


def _decide_group(p: Practice, key: tuple[str, str, int], new: MessageState,
                  outcome: str) -> int:
    now = p.clock.now()
    with p.db.write() as s:
        rows = s.exec(select(OutboxMessage).where(*_members(*key, now))).all()
        decided = []
        for row in rows:
            try:
                decide(s, row, now, new, outcome, p.actor)
            except InvalidInput:
                continue  # cannot go as things stand (no phone left): it stays, listed
            decided.append(row)
        touched = sorted({row.appointment_id for row in decided if row.appointment_id})
    p.bus.publish(Change.of(appointments=touched))
    return len(decided)


# ---------------------------------------------------------------- waiting, blocked

KEYRING = "keyring"  # the cause of messages held while the keyring cannot be read


@dataclass(frozen=True)
class BlockedGroup:
    """Messages waiting to go that cannot go as things stand, for one cause: the
    channel is not set up (the setting named), or the keyring that holds its
    password cannot be read. One item per cause, however many messages."""

    channel: str
    cause: str  # KEYRING or channel_setup.NOT_SET_UP
    count: int
    reason: str  # the cause in a sentence, with what fixes it
    fix: str | None  # INTEGRATIONS or NOTIFICATIONS; None when the fix is outside the app


def _pending_counts(s: Session) -> dict[tuple[str, bool], int]:
    """Messages waiting to go, per (channel, whether it is a Conecta message)."""
    conversation = col(OutboxMessage.kind) == MessageKind.CONVERSATION
    rows = s.exec(select(OutboxMessage.channel, conversation, func.count())
                  .where(OutboxMessage.state == MessageState.PENDING)
                  .group_by(OutboxMessage.channel, conversation)).all()
    return {(channel, bool(is_conversation)): int(n) for channel, is_conversation, n in rows}


def blocked_groups(p: Practice) -> list[BlockedGroup]:
    """The causes that hold waiting messages back now, each with the exact count of
    messages it holds, the largest first; a channel that stopped working
    (channel_health) is one group even while nothing waits on it. Reads the
    keyring (once per channel)."""
    with p.db.read() as s:
        counts = _pending_counts(s)
        stops = channel_health.stopped(s)
        zone = practice_zone(s)
    found: dict[tuple[str, str, str], tuple[int, str | None]] = {}
    for channel, stop in stops.items():
        n = sum(v for (ch, _conv), v in counts.items() if ch == channel)
        found[(channel, STOPPED, stop_sentence(stop, n, zone))] = (n, INTEGRATIONS)
    cfg = config.get_all(p) if counts else {}
    for channel, name in SECRET_OF.items():
        mine = {conv: n for (ch, conv), n in counts.items()
                if ch == channel.value and n and ch not in stops}
        if not mine:
            continue
        try:
            has_secret = secrets.is_set(name)
        except secrets.SecretsUnavailable as exc:
            key = (channel.value, KEYRING, str(exc))
            found[key] = (sum(mine.values()), None)
            continue
        for conv, n in mine.items():
            lack = what_is_missing(channel, cfg, has_secret, needs_template=not conv)
            if lack is None:
                continue
            key = (channel.value, NOT_SET_UP, lack.text)
            before = found.get(key, (0, lack.fix))[0]
            found[key] = (before + n, lack.fix)
    groups = [BlockedGroup(channel, cause, n, reason, fix)
              for (channel, cause, reason), (n, fix) in found.items()]
    return sorted(groups, key=lambda g: (g.cause != STOPPED, -g.count, g.channel, g.cause))


STOPPED = "stopped"  # the cause of messages held on a channel that stopped working


def stop_sentence(stop: channel_health.Stop, waiting: int, zone: ZoneInfo) -> str:
    """What stopped the channel, since when, and what brings it back."""
    when = i18n.format_datetime(stop.since.astimezone(zone))
    said = _("Since {when}: {reason}").format(when=when, reason=stop.reason.rstrip())
    then = ngettext("Once it is fixed and Test in Settings › Integrations passes, the message "
                    "waiting goes out at its time.",
                    "Once it is fixed and Test in Settings › Integrations passes, the {n} "
                    "messages waiting go out, each at its time.", waiting).format(
        n=i18n.format_number(waiting)) if waiting else _(
        "Once it is fixed, press Test in Settings › Integrations.")
    return f"{said} {then}"
