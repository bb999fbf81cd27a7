"""Messages that were not sent, grouped by what went wrong.

Twelve reminders refused for one wrong password are one problem with one fix, not
twelve cards: the Painel shows a group per channel and cause (the code of the last
attempt: the provider's error code, or ours for a cause found before the provider
was asked), with the newest message's reason standing for all, and acts on the
group at once. A group's actions reach only the messages counted when it was
shown (ids up to `up_to`), never one that failed after the person looked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select

from app import i18n
from app.i18n import _, ngettext
from app.models.outbox import DeliveryAttempt, MessageKind, MessageState, OutboxMessage
from app.services import channel_health, config, secrets
from app.services.channel_setup import (
    INTEGRATIONS,
    NOT_SET_UP,
    SECRET_OF,
    what_is_missing,
)
from app.services.events import Change
from app.services.practice import Practice
from app.services.reminders import MessageView, view
from app.services.settings import load_row


@dataclass(frozen=True)
class FailureGroup:
    channel: str  # email, whatsapp, sms
    code: str  # the cause: the last attempt's code, "" when it had none
    count: int
    newest: MessageView  # its reason stands for the group
    up_to: int  # the highest message id counted; the group's actions stop there
    fix: str | None  # INTEGRATIONS or NOTIFICATIONS when the cause is in the settings

    @property
    def key(self) -> tuple[str, str, int]:
        return self.channel, self.code, self.up_to


def _last_code() -> ColumnElement[str]:
    """The code of a message's last attempt ("" for none), as a correlated subquery."""
    return func.coalesce(
        select(DeliveryAttempt.code).where(DeliveryAttempt.message_id == OutboxMessage.id)
        .order_by(col(DeliveryAttempt.id).desc()).limit(1)
        .correlate(OutboxMessage).scalar_subquery(), "")


def failure_groups(p: Practice) -> list[FailureGroup]:
    """Every failed message, grouped by (channel, cause), the largest group first;
    counts are exact however many there are."""
    code = _last_code().label("code")
    with p.db.read() as s:
        zone = ZoneInfo(load_row(s).timezone)
        rows = s.exec(select(OutboxMessage.channel, code, func.count(),
                             func.max(col(OutboxMessage.id)))
                      .where(OutboxMessage.state == MessageState.FAILED)
                      .group_by(OutboxMessage.channel, code)).all()
        groups = []
        for channel, cause, count, up_to in rows:
            newest = s.get(OutboxMessage, up_to)
            assert newest is not None and newest.id is not None
            fix = channel_health.FIX_OF.get(channel, {}).get(cause)
            groups.append(FailureGroup(channel, cause, int(count), view(newest, zone),
                                       newest.id, fix))
    return sorted(groups, key=lambda g: (-g.count, g.channel, g.code))


def _members(channel: str, code: str, up_to: int) -> list[ColumnElement[bool]]:
    return [col(OutboxMessage.state) == MessageState.FAILED,
            col(OutboxMessage.channel) == channel, col(OutboxMessage.id) <= up_to,
            _last_code() == code]


def retry_group(p: Practice, key: tuple[str, str, int]) -> int:
    """Send again every message of a group (after its cause was fixed); returns how
    many. Each keeps its history; the attempt log says who asked."""
    return _decide_group(p, key, MessageState.PENDING, "retry_requested")


def dismiss_group(p: Practice, key: tuple[str, str, int]) -> int:
    """Close every message of a group without sending; kept, cancelled. Returns how many."""
    return _decide_group(p, key, MessageState.CANCELLED, "dismissed")


def decide(s: Session, row: OutboxMessage, now: datetime, new: MessageState, outcome: str,
           who: str) -> None:
    """A person's decision on one failed message: sent again from now (PENDING,
    attempts counted afresh) or closed (CANCELLED), written in its attempt log."""
    assert row.id is not None
    row.state, row.updated_at = new, now
    if new is MessageState.PENDING:
        row.due_at, row.next_attempt_at, row.attempts = now, None, 0
    s.add(DeliveryAttempt(message_id=row.id, at=now, outcome=outcome,
                          detail=_("Decided by {who}.").format(who=who)))


def _decide_group(p: Practice, key: tuple[str, str, int], new: MessageState,
                  outcome: str) -> int:
    now = p.clock.now()
    with p.db.write() as s:
        rows = s.exec(select(OutboxMessage).where(*_members(*key))).all()
        for row in rows:
            decide(s, row, now, new, outcome, p.actor)
        touched = sorted({row.appointment_id for row in rows if row.appointment_id})
    p.bus.publish(Change.of(appointments=touched))
    return len(rows)


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
        zone = ZoneInfo(load_row(s).timezone)
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
