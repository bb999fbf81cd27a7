"""Delivering the outbox (DESIGN.md rule 4). The scheduler only calls dispatch_due();
the rows say what to do, and every attempt is written down.

The delivery guarantee:
1. A message is claimed (pending -> sending, attempts + 1) and that is committed
   BEFORE the provider is called; the result is committed right after. The claim
   is a compare-and-set inside one write transaction, so two senders on one
   database (the window and `practice worker`) never both hold a message.
2. A send whose outcome cannot be known becomes `unknown`: a timeout or a dropped
   connection after the request (or SMTP's closing dot) was sent, a provider's
   server error that does not say the message failed, an unexpected error in the
   sender, or a crash (a row left `sending` past its lease). The provider may or
   may not have it; a person resends or closes it. It is never sent again on its own.
3. Only failures that happened before the provider could act on the message
   (no connection, DNS, TLS, a connect timeout, a refusal the provider explains)
   are retried, with exponential backoff; a rate-limit answer pauses the channel.
4. Hence no message is sent twice by the app, and none disappears silently: each
   ends `sent`, `failed` (with the reason), `skipped` (with the reason),
   `cancelled`, or `unknown` (waiting for a person)."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, or_, select

from app import i18n
from app.i18n import _, ngettext
from app.models.enums import ACTIVE_STATUSES, AppointmentStatus, Channel
from app.models.instants import elapsed, later_minutes, utc
from app.models.outbox import DeliveryAttempt, MessageKind, MessageState, OutboxMessage
from app.models.tables import Appointment, Client, PracticeSettings, Service, Staff
from app.services import (
    channel_checks,
    channel_health,
    channel_setup,
    config,
    conversation_delivery,
    failures,
    invites,
    messages,
    pacing,
    push_message,
    secrets,
    voice_calls,
    whatsapp_templates,
)
from app.services.channels import ChannelError, OutcomeUnknown, Outgoing
from app.services.channels import email as email_channel
from app.services.channels import push as push_channel
from app.services.channels import sms as sms_channel
from app.services.channels import voice as voice_channel
from app.services.channels import whatsapp as whatsapp_channel
from app.services.events import Change
from app.services.practice import Practice
from app.services.reminders import USEFUL_CUTOFF, address
from app.services.settings import load_row

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # longer than any provider call (20 s timeouts)
MAX_ATTEMPTS = 6
BACKOFF = (timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4),
           timedelta(minutes=8), timedelta(minutes=16), timedelta(minutes=30),
           timedelta(minutes=60))
# A provider's rate limit is per second of real time: each channel goes at its pace
# (pacing.py: the published limit, lowered to what the provider took when it
# refuses); a refusal also pauses the channel 1 s, twice as long while refusals go
# on (up to a minute), until a success. Short waits are waited out in the worker
# thread, never inside a transaction.
SLOW_DOWN_FIRST, SLOW_DOWN_MAX, WAIT_INLINE_MAX = 1.0, 60.0, 5.0
# The wait for a channel's turn ends early by the longest of its last LEAD_SEEN
# claims (each counted at most LEAD_MAX seconds), so a claim slower than usual
# (a loaded machine) still ends before the turn. What is left of the turn is then
# waited with the row `sending`: at most LEAD_MAX, far less than the provider's
# own answer takes, the only time a crash would ask a person about the message.
LEAD_MAX, LEAD_SEEN = 0.1, 8
# A message slowed down for longer than this since its first slow-down counts its
# attempts like any temporary failure, so a limit that never lifts ends in `failed`
# and in the Painel, not in `pending` for ever.
SLOW_DOWN_PATIENCE = timedelta(hours=1)

Sender = Callable[[dict[str, str], str | None, Outgoing], str]
SENDERS: dict[str, Sender] = {"email": email_channel.send, "whatsapp": whatsapp_channel.send,
                              "sms": sms_channel.send, "voice": voice_channel.send,
                              "push": push_channel.send}
SECRET_OF = {c.value: name for c, name in channel_setup.SECRET_OF.items()}
KEYRING_WAIT = timedelta(minutes=1)  # a locked keyring: the message waits, it is not lost


@dataclass
class Report:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    unknown: int = 0
    deferred: int = 0
    # Messages held on a channel that stopped working: they go once it works again.
    held_ids: set[int] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)

    @property
    def held(self) -> int:
        return len(self.held_ids)

    def as_json(self) -> dict[str, object]:
        return {"sent": self.sent, "retried": self.retried, "failed": self.failed,
                "skipped": self.skipped, "unknown": self.unknown, "deferred": self.deferred,
                "held": self.held}


class Dispatcher:
    """One per worker. Keeps which channels the providers asked to slow down."""

    def __init__(self, p: Practice, senders: dict[str, Sender] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.p = p
        self.senders = senders or SENDERS
        self.sleep = sleep
        self.paused_until: dict[str, float] = {}  # time.monotonic() per channel
        self.pause: dict[str, float] = {}
        self.pacer = pacing.Pacer()  # each channel's pace (the providers' limits)
        # Seconds each channel's last LEAD_SEEN claims took (at most LEAD_MAX each).
        self.lead: dict[str, deque[float]] = {}
        # Channels that stopped working (channel_health), read at each pass.
        self.stops: dict[str, channel_health.Stop] = {}

    # ------------------------------------------------------------ the tick

    def dispatch_due(self, limit: int = 500, max_passes: int = 100) -> Report:
        """Send what is due. Passes repeat while they make progress, so messages
        held back by a short rate-limit pause go out in the same run."""
        report = Report()
        report.unknown = recover_stale(self.p, self.p.clock.now())
        cfg: dict[str, str] | None = None
        tokens: dict[str, str | None] = {}
        for _pass in range(max_passes):
            now = self.p.clock.now()
            with self.p.db.read() as s:
                ids = [i for i in s.exec(
                    select(OutboxMessage.id).where(
                        OutboxMessage.state == MessageState.PENDING,
                        OutboxMessage.due_at <= now,
                        or_(col(OutboxMessage.next_attempt_at).is_(None),
                            col(OutboxMessage.next_attempt_at) <= now))
                    .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id)).limit(limit))
                    if i is not None]
                self.stops = channel_health.stopped(s)
            if not ids:
                break
            cfg = cfg or config.get_all(self.p)
            before = (report.sent, report.failed, report.skipped, report.retried)
            for message_id in ids:
                self._one(message_id, cfg, tokens, report, holding=True)
            if (report.sent, report.failed, report.skipped, report.retried) == before:
                break  # only deferrals: the rest waits for a later tick
        return report

    def dispatch_one(self, message_id: int) -> Report:
        """Send one message now (a reply typed in Conecta), with the same claim,
        record and retry rules as the tick."""
        report = Report()
        with self.p.db.read() as s:
            self.stops = channel_health.stopped(s)
        # A person asked for this one: tried even on a stopped channel.
        self._one(message_id, config.get_all(self.p), {}, report, holding=False)
        return report

    def _secret(self, channel: str, tokens: dict[str, str | None]) -> str | None:
        """The channel's password or token; raises SecretsUnavailable while the
        keyring cannot be read (asked again on the next message)."""
        if channel not in tokens:
            tokens[channel] = secrets.load(SECRET_OF[channel])
        return tokens[channel]

    def _one(self, message_id: int, cfg: dict[str, str], tokens: dict[str, str | None],
             report: Report, *, holding: bool) -> None:
        thread: int | None = None  # the Conecta attendance whose message this is
        claim = 0
        deferred = False
        with self.p.db.read() as s:
            found = s.get(OutboxMessage, message_id)
            channel = found.channel if found is not None else ""
        stop = self.stops.get(channel)
        if stop is not None and holding:
            now = self.p.clock.now()
            if not stop.may_probe(now):
                report.held_ids.add(message_id)
                return  # it stays pending, untouched, until the channel works again
            # This one is the probe: no other message of the channel this pass.
            self.stops[channel] = replace(stop, last_try=now)
        # The channel's pace, and any pause a refusal asked for: waited out here,
        # outside any transaction, so a booking in the window never waits for it.
        # The turn itself is taken just before the call (_take_turn); this wait ends
        # as long before it as the channel's recent claims took at the most, so the
        # claim fills that time instead of being added to every gap. (A claim
        # slower than all of them makes its call late: the pace never goes faster.)
        moment = time.monotonic()
        lead = max(self.lead.get(channel, ()), default=0.0)
        wait = max(self.paused_until.get(channel, 0.0) - moment,
                   self.pacer.of(channel).wait(moment) - lead)
        if 0 < wait <= WAIT_INLINE_MAX:
            self.sleep(wait)
        began = time.monotonic()
        # Before the claim: a keyring that asks to be unlocked must not hold a claim.
        locked: str | None = None
        try:
            secret = self._secret(channel, tokens) if channel in SECRET_OF else None
        except secrets.SecretsUnavailable as exc:
            secret, locked = None, str(exc)
        now = self.p.clock.now()
        with self.p.db.write() as s:
            # On the server the row is locked for this claim; one another transaction
            # holds is skipped (FOR UPDATE SKIP LOCKED), as one already taken is.
            msg = s.get(OutboxMessage, message_id, with_for_update={"skip_locked": True})
            if msg is None or msg.state is not MessageState.PENDING or \
                    utc(msg.due_at) > now or (msg.next_attempt_at is not None and
                                              utc(msg.next_attempt_at) > now):
                return  # another sender took it, or put it back for later
            if wait > WAIT_INLINE_MAX or locked:
                msg.next_attempt_at = now + (KEYRING_WAIT if locked else
                                             timedelta(seconds=wait))
                msg.last_error = locked or msg.last_error
                msg.updated_at = now
                if locked:  # said on the Conecta message too, not only in the outbox
                    conversation_delivery.waiting(s, msg, locked)
                    thread = conversation_delivery.attendance_of(s, msg)
                report.deferred += 1
                deferred = True
            elif channel == Channel.VOICE.value and \
                    (quiet := voice_calls.held_for_quiet_hours(s, msg, now)):
                # Outside the hours calls may ring in: moved to the next, or skipped.
                report.skipped += quiet == "skipped"
                report.deferred += quiet == "moved"
                deferred = True
            else:
                appointment_id = msg.appointment_id
                thread = conversation_delivery.attendance_of(s, msg)
                # A channel not set up is not this message's failure: it is skipped, and
                # the reason names the setting (a reminder due later waits for it).
                unset = channel_setup.missing(
                    channel, cfg, secret is not None,
                    needs_template=msg.kind is not MessageKind.CONVERSATION) \
                    if channel in SECRET_OF else None
                outgoing, why_not = (None, unset) if unset else compose(s, msg, cfg, now)
                if outgoing is None:
                    code = channel_setup.NOT_SET_UP if unset else "skipped"
                    _finish(s, msg, now, MessageState.SKIPPED, "skipped", why_not or "",
                            code if unset else None)
                    conversation_delivery.record(s, msg, now, error=why_not or "", code=code)
                    report.skipped += 1
                else:
                    msg.state, msg.claimed_at = MessageState.SENDING, now
                    msg.attempts += 1
                    msg.updated_at = now
                    if outgoing.note:  # the built-in words went: said where it is read
                        s.add(DeliveryAttempt(message_id=message_id, at=now,
                                              outcome="words", detail=outgoing.note))
                    claim = msg.attempts  # ours while the row is `sending` with this count
        if deferred:
            if thread is not None:
                self._announce(None, thread)
            return
        if outgoing is None:
            self._announce(appointment_id, thread)
            return
        # The claim is committed: from here a crash leaves the row `sending`.
        self._take_turn(channel, began)
        try:
            provider_id = self.senders[channel](cfg, secret, outgoing)
        except ChannelError as exc:
            self._failed(message_id, claim, exc, report)
        except Exception as exc:  # a bug must not leave the row claimed forever
            # It may have come after the provider took the message: a person decides.
            log.exception("unexpected error sending message %s", message_id)
            self._failed(message_id, claim, OutcomeUnknown(
                _("Unexpected error while sending ({kind}), so the message may or may not "
                  "have been sent.").format(kind=type(exc).__name__), "unexpected"), report)
        else:
            self.pause.pop(channel, None)  # the provider is happy again
            self.pacer.took(channel)
            self.stops.pop(channel, None)  # and the channel works again
            self._sent(message_id, claim, provider_id)
            report.sent += 1
        self._announce(appointment_id, thread)

    def _take_turn(self, channel: str, began: float) -> None:
        """Mark the moment the message goes, just before the provider is called;
        `began`: time.monotonic() when its claim began.

        The provider counts its window by when messages arrive, so the pace is kept
        between calls, not between claims: a claim that took longer (a slow disk)
        must not bring this call closer to the next than the pace allows. What is
        left of the turn (the wait before the claim ended early by as much as the
        longest recent claim took, at most LEAD_MAX seconds) is waited here, outside
        any transaction."""
        pace, now = self.pacer.of(channel), time.monotonic()
        self.lead.setdefault(channel, deque(maxlen=LEAD_SEEN)).append(
            min(LEAD_MAX, now - began))
        left = pace.wait(now)
        if left > 0:
            self.sleep(left)
        pace.went(time.monotonic())

    def _sent(self, message_id: int, claim: int, provider_id: str) -> None:
        """The provider took the message. Usually the row is still our claim; if it
        was given up on meanwhile (the answer came after the lease ran out), the
        late answer settles what a person was asked, unless a new send has begun."""
        now = self.p.clock.now()
        with self.p.db.write() as s:
            row = s.get(OutboxMessage, message_id)
            assert row is not None
            ours = row.state is MessageState.SENDING and row.attempts == claim
            push_message.settle(s, self.p, now, provider_id)  # phones gone, phones reached
            if ours or row.state in (MessageState.UNKNOWN, MessageState.PENDING):
                late = "" if ours else _("The provider's answer came late: the message "
                                          "was sent.")
                row.provider_message_id, row.sent_at = provider_id, now
                _finish(s, row, now, MessageState.SENT, "sent", late, None)
                conversation_delivery.record(s, row, now, provider_id=provider_id)
            else:  # sent again meanwhile, or closed by a person: only noted
                s.add(DeliveryAttempt(message_id=message_id, at=now, outcome="sent_late",
                                      detail=_("An earlier attempt also reached the "
                                               "provider ({id}).").format(id=provider_id)))

    def _failed(self, message_id: int, claim: int, exc: ChannelError,
                report: Report) -> None:
        now = self.p.clock.now()
        with self.p.db.write() as s:
            row = s.get(OutboxMessage, message_id)
            assert row is not None
            push_message.settle(s, self.p, now, exc)  # phones the push service no longer knows
            channel_stops = channel_health.stops_channel(row.channel, exc.code)
            already = row.channel in self.stops or row.channel in channel_health.stopped(s)
            if channel_stops and row.state is MessageState.SENDING and \
                    row.attempts == claim:
                # The others on this channel wait rather than meet the same answer.
                self.stops[row.channel] = channel_health.Stop(
                    row.channel, now, now, exc.code or "", str(exc))
            if not (row.state is MessageState.SENDING and row.attempts == claim):
                # The row was given up on and decided meanwhile: the late failure is
                # only noted, it decides nothing.
                s.add(DeliveryAttempt(message_id=message_id, at=now, outcome="failed_late",
                                      code=exc.code, detail=str(exc)))
                return
            gone = voice_calls.no_longer_due(s, row)
            if gone and not exc.unknown:
                # A reminder of a session cancelled or moved while it was being sent:
                # neither tried again nor offered to a person (the Painel).
                _finish(s, row, now, MessageState.CANCELLED, "cancelled",
                        f"{exc} {gone}", exc.code)
                return
            if exc.unknown:
                said = _("{problem} Check with the client, then resend it or mark it as "
                         "sent.").format(problem=exc)
                _finish(s, row, now, MessageState.UNKNOWN, "unknown", said, exc.code)
                conversation_delivery.record(s, row, now, error=said, code=exc.code,
                                             unknown=True)
                report.unknown += 1
                report.errors.append(said)
            elif channel_stops and already:
                # The channel was already known to be stopped (this was a probe, or
                # a message a person sent): not this message's failure. It waits,
                # with its attempts as they were, until the channel works again.
                said = _("{problem} The message waits until the channel works again.") \
                    .format(problem=exc)
                row.attempts -= 1
                row.state, row.next_attempt_at = MessageState.PENDING, None
                row.last_error, row.updated_at = said, now
                s.add(DeliveryAttempt(message_id=message_id, at=now, outcome="held",
                                      code=exc.code, detail=said))
                conversation_delivery.waiting(s, row, said)
                report.held_ids.add(message_id)
            elif exc.slow_down and _slowed_for(s, message_id, now) < SLOW_DOWN_PATIENCE:
                # Not the message's fault: it keeps its attempts and goes again after
                # the channel's pause.
                pause = min(max(self.pause.get(row.channel, 0.0) * 2, SLOW_DOWN_FIRST),
                            SLOW_DOWN_MAX)
                self.pause[row.channel] = pause
                self.paused_until[row.channel] = time.monotonic() + pause
                # And from now on it goes at the pace the provider took before refusing.
                self.pacer.refused(row.channel)
                row.attempts -= 1
                row.state, row.next_attempt_at = MessageState.PENDING, now
                row.last_error, row.updated_at = str(exc), now
                s.add(DeliveryAttempt(message_id=message_id, at=now, outcome="slowed",
                                      code=exc.code, detail=str(exc)))
                report.retried += 1
            elif exc.retry and _worth_another_try(s, row, now):
                wait = BACKOFF[min(row.attempts - 1, len(BACKOFF) - 1)]
                said = _("{problem} It will be tried again.").format(problem=exc)
                row.state, row.next_attempt_at = MessageState.PENDING, now + wait
                row.last_error, row.updated_at = said, now
                s.add(DeliveryAttempt(message_id=message_id, at=now, outcome="retry",
                                      code=exc.code, detail=said))
                report.retried += 1
            else:
                said = str(exc) if not exc.retry else ngettext(
                    "{problem} Given up after {n} attempt.",
                    "{problem} Given up after {n} attempts.", row.attempts).format(
                    problem=exc, n=row.attempts)
                _finish(s, row, now, MessageState.FAILED, "failed", said, exc.code)
                conversation_delivery.record(s, row, now, error=said, code=exc.code)
                report.failed += 1
                report.errors.append(said)

    def _announce(self, appointment_id: int | None, thread: int | None = None) -> None:
        self.p.bus.publish(Change.of(appointments=[appointment_id] if appointment_id else [],
                                     conversations=[thread] if thread else []))


def _finish(s: Session, row: OutboxMessage, now: datetime, state: MessageState, outcome: str,
            detail: str, code: str | None = None) -> None:
    row.state, row.updated_at = state, now
    row.last_error = detail or None
    assert row.id is not None
    s.add(DeliveryAttempt(message_id=row.id, at=now, outcome=outcome, code=code, detail=detail))


def recover_stale(p: Practice, now: datetime) -> int:
    """Rows left `sending` past their lease: a worker died mid-send. Their fate is
    unknown; a person decides. Returns how many were found."""
    with p.db.write() as s:
        rows = s.exec(select(OutboxMessage).where(
            OutboxMessage.state == MessageState.SENDING,
            col(OutboxMessage.claimed_at) < now - LEASE)).all()
        for row in rows:
            said = _("No result was recorded within {minutes} minutes of starting to send "
                     "this message (the app may have stopped, or the provider never answered), "
                     "so it may or may not have reached the client. Check with the client, "
                     "then resend it or mark it as sent.").format(
                minutes=int(LEASE.total_seconds() // 60))
            _finish(s, row, now, MessageState.UNKNOWN, "unknown", said)
            conversation_delivery.record(s, row, now, error=said, code="unknown",
                                         unknown=True)
    return len(rows)


def resolve_unknown(p: Practice, message_id: int, *, resend: bool) -> None:
    """A person's decision on a message whose fate was lost."""
    now = p.clock.now()
    with p.db.write() as s:
        row = s.get(OutboxMessage, message_id)
        if row is None or row.state is not MessageState.UNKNOWN:
            from app.services.errors import InvalidInput

            raise InvalidInput(_("Message {id} is not waiting for a decision.")
                               .format(id=message_id))
        if resend:
            row.state, row.due_at, row.next_attempt_at = MessageState.PENDING, now, None
            outcome = "resend"
        else:
            row.state = MessageState.SENT
            outcome = "marked_sent"
            conversation_delivery.record(s, row, now, provider_id=row.provider_message_id)
        row.updated_at = now
        s.add(DeliveryAttempt(message_id=message_id, at=now, outcome=outcome,
                              detail=_("Decided by {who}.").format(who=p.actor)))
        appointment_id = row.appointment_id
    p.bus.publish(Change.of(appointments=[appointment_id] if appointment_id else []))


def retry_failed(p: Practice, message_id: int) -> str | None:
    """Send a failed message again (after the cause was fixed); when it goes, if not
    at once (failures.decide). InvalidInput when it cannot go as things stand."""
    return _decide(p, message_id, MessageState.FAILED, MessageState.PENDING,
                   "retry_requested")


def dismiss(p: Practice, message_id: int) -> None:
    """A failed message a person chose not to send; kept, closed."""
    _decide(p, message_id, MessageState.FAILED, MessageState.CANCELLED, "dismissed")


def _decide(p: Practice, message_id: int, expected: MessageState, new: MessageState,
            outcome: str) -> str | None:
    now = p.clock.now()
    with p.db.write() as s:
        row = s.get(OutboxMessage, message_id)
        if row is None or row.state is not expected:
            from app.services.errors import InvalidInput

            raise InvalidInput(_("Message {id} is not waiting for a decision.")
                               .format(id=message_id))
        when = failures.decide(s, row, now, new, outcome, p.actor)
        appointment_id = row.appointment_id
    p.bus.publish(Change.of(appointments=[appointment_id] if appointment_id else []))
    return when


def _slowed_for(s: Session, message_id: int, now: datetime) -> timedelta:
    """How long the provider has been slowing this message down (0 the first time)."""
    first = s.scalar(select(func.min(DeliveryAttempt.at)).where(
        DeliveryAttempt.message_id == message_id, DeliveryAttempt.outcome == "slowed"))
    return elapsed(first, now) if first is not None else timedelta(0)


def _worth_another_try(s: Session, row: OutboxMessage, now: datetime) -> bool:
    """A temporary failure is tried again MAX_ATTEMPTS times, and a session's reminder
    or notice beyond that for as long as the next try could still reach the client in
    time (a provider down for a morning must not lose the afternoon's reminders)."""
    if row.attempts < MAX_ATTEMPTS:
        return True
    a = s.get(Appointment, row.appointment_id) if row.appointment_id else None
    if a is None:
        return False
    wait = BACKOFF[min(row.attempts - 1, len(BACKOFF) - 1)]
    return elapsed(now + wait, a.start) > USEFUL_CUTOFF


def send_test(p: Practice, channel: Channel, to: str) -> str:
    """The Integrations page's test button: one message now, straight to the
    provider; returns its id or raises ChannelError in plain words. What the
    provider answered is recorded as the channel's last check (channel_checks);
    a recipient refused before anything is sent (InvalidInput) is not."""
    try:
        provider_id = _send_test(p, channel, to)
    except ChannelError as exc:
        channel_checks.record(p, channel.value, False, str(exc))
        raise
    channel_checks.record(p, channel.value, True, _(
        "A test message to {to} was accepted by the provider.").format(to=to.strip()))
    return provider_id


def _send_test(p: Practice, channel: Channel, to: str) -> str:
    from app.services.values import normalize_email, normalize_phone

    cfg = config.get_all(p)
    with p.db.read() as s:
        row = load_row(s)
        staff = s.exec(select(Staff).order_by(col(Staff.id))).first()
        facts = messages.sample(row.name, staff.name if staff else "", ZoneInfo(row.timezone),
                                p.clock.now())
        target = normalize_email(to) if channel is Channel.EMAIL else \
            normalize_phone(to, row.country)
    text = messages.render(messages.default_text(MessageKind.TEST), facts)
    if channel is Channel.WHATSAPP:
        unset = channel_setup.missing(channel, cfg, has_secret=True)  # the token: below
        if unset:
            raise ChannelError(unset, retry=False, code=channel_setup.NOT_SET_UP)
        fields = facts.fields()
        language = messages.template_language(cfg["whatsapp.language"], "")
        with p.db.read() as s:
            paused = whatsapp_templates.problem(s, cfg["whatsapp.template"], language)
        if paused:
            raise ChannelError(paused, retry=False, code="template")
        outgoing = Outgoing(to=target, template=cfg["whatsapp.template"], language=language,
                            parameters=[fields[f] for f in cfg["whatsapp.params"].split(",")
                                        if f],
                            button_suffix=_test_button(p, cfg))
    else:
        outgoing = Outgoing(to=target, text=text,
                            html=messages.html_email(MessageKind.TEST, facts, text),
                            subject=messages.render(
                                messages.default_subject(MessageKind.TEST), facts))
    try:
        token = secrets.load(SECRET_OF[channel.value])
    except secrets.SecretsUnavailable as exc:
        raise ChannelError(str(exc), retry=False, code="keyring") from None
    return SENDERS[channel.value](cfg, token, outgoing)


def _test_button(p: Practice, cfg: dict[str, str]) -> str | None:
    """The confirmation button's part of a test, as reminders send it (Meta refuses
    a template whose URL button is left without its part, 131008): the link of the
    next session when the relay is set up, else a word that opens the relay's
    "link not found" page."""
    if cfg["reminders.confirm_button.whatsapp"] != "on":
        return None
    with p.db.read() as s:
        upcoming = s.exec(select(Appointment.id).where(
            col(Appointment.status).in_(ACTIVE_STATUSES), Appointment.start > p.clock.now())
            .order_by(col(Appointment.start)).limit(1)).first()
        token = _token(s, upcoming, cfg) if upcoming is not None else None
    return token or "test"


# ---------------------------------------------------------------- composing

def _token(s: Session, appointment_id: int, cfg: dict[str, str]) -> str | None:
    """The session's confirmation token, when the relay is set up."""
    from app.services.relay_client import RelayNotConfigured, token_for

    if not cfg["relay.url"]:
        return None
    try:
        return token_for(s, appointment_id)
    except (RelayNotConfigured, secrets.SecretsUnavailable):
        return None


def _overtaken(s: Session, a: Appointment) -> bool:
    """A reschedule notice that would now mislead: the session was moved again (its
    own notice follows), or a cancellation notice already reached the client."""
    if a.status in ACTIVE_STATUSES:
        return False
    if a.status is not AppointmentStatus.CANCELLED:
        return True
    return s.exec(select(OutboxMessage.id).where(
        OutboxMessage.appointment_id == a.id, OutboxMessage.kind == MessageKind.CANCELLATION,
        OutboxMessage.state == MessageState.SENT)).first() is not None


def _a_later_one_goes(s: Session, msg: OutboxMessage, now: datetime) -> bool:
    """Whether another reminder of the same session and channel, due later than
    `msg` but also due by `now`, is still to go (or went): `msg` is then stale."""
    return s.exec(select(OutboxMessage.id).where(
        OutboxMessage.appointment_id == msg.appointment_id,
        OutboxMessage.channel == msg.channel, OutboxMessage.kind == MessageKind.REMINDER,
        OutboxMessage.id != msg.id, OutboxMessage.due_at > msg.due_at,
        OutboxMessage.due_at <= now,
        col(OutboxMessage.state).in_((MessageState.PENDING, MessageState.SENDING,
                                      MessageState.SENT)))).first() is not None


def compose(s: Session, msg: OutboxMessage, cfg: dict[str, str], now: datetime
            ) -> tuple[Outgoing | None, str | None]:
    """The message to send now, or why it should not be sent any more."""
    if msg.kind is MessageKind.CONVERSATION:
        return conversation_delivery.compose(s, msg, cfg)
    a = s.get(Appointment, msg.appointment_id) if msg.appointment_id else None
    if a is None:
        return None, _("The session no longer exists.")
    from app.services.scheduling import status_word

    # A message about a session says what is still true when it goes out: a
    # confirmation held back by a retry must not follow the cancellation notice.
    if (msg.kind is MessageKind.CONFIRMATION and a.status not in ACTIVE_STATUSES) or \
            (msg.kind is MessageKind.RESCHEDULE and _overtaken(s, a)) or \
            (msg.kind is MessageKind.CANCELLATION and a.status is not AppointmentStatus.CANCELLED):
        return None, _("The session is {status} now; this notice is no longer true.").format(
            status=status_word(a.status))
    if msg.kind is not MessageKind.REMINDER and a.start <= now:
        # Held back (the app was closed, the channel set up late): news of a session
        # already begun helps nobody.
        return None, _("The session has already begun; this notice would no longer help.")
    if msg.kind is MessageKind.REMINDER:
        if a.status not in ACTIVE_STATUSES:
            return None, _("The session is {status}; no reminder is sent.").format(
                status=status_word(a.status))
        if elapsed(now, a.start) <= USEFUL_CUTOFF:
            return None, _("Too late to help: the session starts within {minutes} minutes.") \
                .format(minutes=int(USEFUL_CUTOFF.total_seconds() // 60))
        if _a_later_one_goes(s, msg, now):
            # Sending again after a pause (the computer was off): one reminder per
            # session and channel, the nearest to the session, never a burst.
            return None, _("A later reminder of this session by the same channel goes "
                           "instead: both were due when sending began again.")
    client = s.get(Client, a.client_id)
    staff = s.get(Staff, a.staff_id)
    assert client is not None and staff is not None
    channel = Channel(msg.channel)
    target, why_not = address(client, channel)
    if target is None:
        return None, why_not
    settings_row = load_row(s)
    # What the client reads is in the client's language, whatever this computer speaks.
    with i18n.speaking(messages.client_language(client.language, settings_row.language,
                                                settings_row.country)):
        return _compose_for(s, msg, cfg, now, a, client, staff, target, channel,
                            settings_row)


def _compose_for(s: Session, msg: OutboxMessage, cfg: dict[str, str], now: datetime,
                 a: Appointment, client: Client, staff: Staff, target: str, channel: Channel,
                 settings_row: PracticeSettings) -> tuple[Outgoing | None, str | None]:
    if channel is Channel.PUSH:  # a notification on the client's phones
        return push_message.compose(s, msg, cfg, now, a, client, staff, settings_row)
    zone = ZoneInfo(settings_row.timezone)
    service = s.get(Service, a.service_id) if a.service_id else None
    token = _token(s, a.id or 0, cfg) if msg.kind is not MessageKind.CANCELLATION else None
    button = cfg[f"reminders.confirm_button.{channel.value}"] == "on" \
        if channel not in (Channel.SMS, Channel.VOICE) else True
    facts = messages.SessionFacts(
        appointment_id=a.id or 0, name=client.name, first_name=client.name.split()[0],
        service=a.custom_service_name or (service.name if service else _("Session")),
        professional=staff.name, practice=settings_row.name,
        start=a.start.astimezone(zone),
        end=later_minutes(a.start, a.duration_minutes).astimezone(zone),
        link=f"{cfg['relay.url']}/c/{token}" if token and button else None,
        address=settings_row.address,
        policy=messages.policy_line(settings_row.cancel_notice_minutes,
                                    settings_row.cancel_fee_cents, settings_row.currency))
    practice_language = messages.client_language("", settings_row.language,
                                                 settings_row.country)
    # The practice's own templates are for reminders, and in its own language: a client
    # reading another gets the built-in words in theirs (messages.own_words_for).
    own = msg.kind is MessageKind.REMINDER and \
        messages.own_words_for(i18n.current_language(), practice_language)
    if channel is Channel.VOICE:  # a call: its words and keypad (voice_calls)
        return voice_calls.outgoing(msg, cfg, facts, target, token, practice_language,
                                    own=own)
    words = messages.choose_words(
        channel, messages.default_text(msg.kind), custom=msg.custom_text,
        own=(cfg["template.sms.text" if channel is Channel.SMS else "template.email.text"]
             if own else ""))
    text = messages.render(words.template, facts)
    if channel is Channel.EMAIL:
        subject = messages.choose_words(channel, messages.default_subject(msg.kind),
                                        own=cfg["template.email.subject"] if own else "")
        # A reminder's own text is the message: the practice's own HTML would hide it.
        own_html = messages.choose_words(
            channel, "", own=cfg["template.email.html"] if own and not msg.custom_text else "")
        html = messages.render(own_html.template, facts, escape=True) if own_html.template \
            else messages.html_email(msg.kind, facts, text)
        calendar = invites.build(s, a, summary=f"{facts.service} · {facts.practice}",
                                 organizer=cfg["smtp.from"], attendee=target, now=now,
                                 cancel=msg.kind is MessageKind.CANCELLATION)
        return Outgoing(to=target, subject=messages.render(subject.template, facts),
                        text=messages.plain_email(msg.kind, facts, text),
                        html=html, calendar=calendar,
                        calendar_method="CANCEL" if msg.kind is MessageKind.CANCELLATION
                        else "REQUEST",
                        message_id=f"<outbox-{msg.id}@practice-desk>",
                        note=" ".join(filter(None, (subject.note, words.note,
                                                    own_html.note)))), None
    if channel is Channel.WHATSAPP:  # its template was checked before the claim
        fields = facts.fields()
        params = [fields[f] for f in cfg["whatsapp.params"].split(",") if f]
        language = messages.template_language(cfg["whatsapp.language"],
                                              i18n.current_language())
        # Meta paused, rejected or disabled it (read from Meta, or its webhook).
        paused = whatsapp_templates.problem(s, cfg["whatsapp.template"], language)
        if paused:
            return None, paused
        return Outgoing(to=target, template=cfg["whatsapp.template"], language=language,
                        parameters=params, button_suffix=token if button else None), None
    return Outgoing(to=target, text=messages.sms_text(msg.kind, facts, text),
                    note=words.note), None
