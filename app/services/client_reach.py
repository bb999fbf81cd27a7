"""Reminders that follow a client's reach: a client who becomes reachable on a
channel gets back the reminders that were skipped for want of it; one who stops
being reachable has that channel's waiting reminders skipped, with why.

Reachable on a channel (reach_of) means what planning asks (reminders.address):
an address and consent; for push, consent and at least one live phone. The
changes come from the Ficha and the booking form (clients.update_in: consent
granted or withdrawn, a phone or e-mail added or removed) and from the client's
own phone (push_events: a subscription, a stop).

Rules, in one place (revive(), skip_waiting()):
- only reminders of the client's upcoming active sessions (scheduled or
  confirmed, not begun) on the channel that changed;
- revived: a `skipped` reminder skipped for want of reach, i.e. planned with no
  recipient (reminders.address found none), or a push reminder the dispatcher
  skipped because no phone was left. The row itself goes back to `pending` (one
  row per reminder: no duplicate), at its time; one whose time has passed goes
  now while the session is more than reminders.USEFUL_CUTOFF away, else it stays
  skipped with that reason. A call still keeps to the hours calls may ring in. A
  reminder that is already live on another row (added again by hand) stays
  skipped. An attempt says why it was planned again;
- skipped: a `pending` reminder, with the reason reminders.address gives, no
  recipient (so it is revived when the client is reachable again), and an
  attempt saying so. The dispatcher would skip it when due as well; skipping it
  now lets the Lembretes tab say so at once instead of "waiting".
Both return the sessions changed, for the caller's events.Change."""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session, col, select

from app.i18n import _
from app.models.enums import ACTIVE_STATUSES, Channel
from app.models.instants import later_minutes
from app.models.outbox import DeliveryAttempt, MessageKind, MessageState, OutboxMessage
from app.models.tables import Appointment, Client
from app.services import push_devices, quiet_hours, reminders

Reach = dict[Channel, bool]

# push_message.compose's reason (kept in English) when a client with consent has
# no phone left: a new phone makes those reminders possible again.
_NO_PHONE_LEFT = re.compile(r".*'s phone no longer accepts notifications: they can turn "
                            r"reminders on again from a link's page\.", re.S)


def reach_of(s: Session, client: Client) -> Reach:
    """The channels a reminder can reach the client by, as the client is now."""
    out = {ch: reminders.address(client, ch)[1] is None for ch in Channel}
    if out[Channel.PUSH] and client.id is not None:
        out[Channel.PUSH] = bool(push_devices.live(s, client.id))
    return out


def follow(s: Session, now: datetime, client: Client, before: Reach) -> set[int]:
    """After a change to `client` inside the caller's unit of work (before: its
    reach_of() as the change began): the channels it can now reach the client by
    get their skipped reminders back, the channels it no longer can have their
    waiting reminders skipped. Returns the sessions whose reminders changed."""
    if not client.active:  # erased or archived: client_data closes what waits
        return set()
    s.flush()
    after = reach_of(s, client)
    touched: set[int] = set()
    for channel in Channel:
        if after[channel] and not before.get(channel, False):
            touched |= revive(s, now, client, channel)
        elif before.get(channel, False) and not after[channel]:
            touched |= skip_waiting(s, now, client, channel)
    return touched


def _upcoming(s: Session, now: datetime, client: Client, channel: Channel,
              state: MessageState) -> list[tuple[OutboxMessage, Appointment]]:
    rows = s.exec(select(OutboxMessage, Appointment)
                  .join(Appointment, col(Appointment.id) == OutboxMessage.appointment_id)
                  .where(Appointment.client_id == client.id,
                         col(Appointment.status).in_(list(ACTIVE_STATUSES)),
                         col(Appointment.start) > now,
                         OutboxMessage.kind == MessageKind.REMINDER,
                         OutboxMessage.channel == channel.value,
                         OutboxMessage.state == state)
                  .order_by(col(OutboxMessage.id))).all()
    return [(m, a) for m, a in rows]


def _for_want_of_reach(m: OutboxMessage, channel: Channel) -> bool:
    if m.recipient is None:
        return True
    return channel is Channel.PUSH and bool(_NO_PHONE_LEFT.fullmatch(m.last_error or ""))


def revive(s: Session, now: datetime, client: Client, channel: Channel) -> set[int]:
    """The client's upcoming reminders on `channel` skipped for want of reach,
    planned again (see the module's rules). Returns the sessions changed."""
    calls = quiet_hours.window_of(s) if channel is Channel.VOICE else None
    live = {(m.appointment_id, m.minutes_before) for m, _a in
            _live(s, now, client, channel)}
    touched: set[int] = set()
    for m, a in _upcoming(s, now, client, channel, MessageState.SKIPPED):
        if m.minutes_before is None or not _for_want_of_reach(m, channel) or \
                (m.appointment_id, m.minutes_before) in live:
            continue
        assert m.id is not None and a.id is not None
        due, target, why_not = reminders.when_due(now, a.start, client, channel,
                                                  m.minutes_before, calls)
        m.updated_at, m.recipient = now, target
        touched.add(a.id)
        if why_not is not None:  # its time passed, too close to the session now
            m.last_error = why_not
            s.add(DeliveryAttempt(message_id=m.id, at=now, outcome="skipped",
                                  detail=why_not))
            continue
        said = _("Planned again: {name} can now be reached by {channel}.").format(
            name=client.name, channel=reminders.channel_name(channel))
        if later_minutes(a.start, -m.minutes_before) < now:
            said = "{} {}".format(said, _("Its time had passed, so it goes now."))
        m.state, m.due_at, m.next_attempt_at = MessageState.PENDING, due, None
        m.last_error, m.attempts = None, 0
        s.add(DeliveryAttempt(message_id=m.id, at=now, outcome="replanned", detail=said))
        live.add((m.appointment_id, m.minutes_before))
    return touched


def _live(s: Session, now: datetime, client: Client, channel: Channel
          ) -> list[tuple[OutboxMessage, Appointment]]:
    return [pair for state in reminders.LIVE_STATES
            for pair in _upcoming(s, now, client, channel, state)]


def skip_waiting(s: Session, now: datetime, client: Client, channel: Channel) -> set[int]:
    """The client's upcoming reminders waiting on `channel`, skipped with the
    reason it cannot reach them now. Returns the sessions changed."""
    why_not = reminders.address(client, channel)[1] or _(
        "{name} has not turned on reminders on their phone (the link's page offers it)."
    ).format(name=client.name)  # push with consent but no phone left
    touched: set[int] = set()
    for m, a in _upcoming(s, now, client, channel, MessageState.PENDING):
        assert m.id is not None and a.id is not None
        m.state, m.last_error, m.recipient = MessageState.SKIPPED, why_not, None
        m.next_attempt_at, m.updated_at = None, now
        s.add(DeliveryAttempt(message_id=m.id, at=now, outcome="skipped", detail=why_not))
        touched.add(a.id)
    return touched
