"""Whether the practice can reach its clients: one line per channel and for the
confirmation links, for the top of Configurações › Integrações.

Each says whether it is set up, working, or has a problem; when it was last
tried from Integrações and what came of it; when its last message went; what
failed in the last 24 hours and why; and what to do next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, func, select

from app import i18n
from app.i18n import _, ngettext
from app.models.enums import Channel
from app.models.instants import utc
from app.models.outbox import DeliveryAttempt, MessageState, OutboxMessage
from app.models.relay_records import RelayEvent
from app.services import channel_checks, channel_health, config, failures, secrets
from app.services.channel_checks import Check
from app.services.channel_setup import INTEGRATIONS, SECRET_OF, what_is_missing
from app.services.practice import Practice

RECENT = timedelta(hours=24)
LINKS = "links"
# In the order of their boxes below.
SHOWN = (LINKS, "whatsapp", "email", "sms", "voice", "push")


class State(StrEnum):
    WORKING = "working"  # set up, and nothing says it fails
    PROBLEM = "problem"  # set up, but a check, a stop or a failure says it does not work
    NOT_SET_UP = "not_set_up"


@dataclass(frozen=True)
class Failed:
    reason: str  # the newest failure's sentence, in the reader's language
    count: int
    # The client's own doing, not the channel's: a phone whose browser was removed, a
    # client who replied STOP. Listed; the channel works.
    clients_own: bool = False


# The providers' codes for what a client did to stop receiving: Twilio's 21610
# (replied STOP, https://www.twilio.com/docs/api/errors/21610); a push service
# that no longer knows the phone (RFC 8030 §7.3, channels.push.GONE).
CLIENTS_OWN = frozenset({"21610", "push_gone"})


@dataclass(frozen=True)
class Reach:
    channel: str  # whatsapp, email, sms, links
    state: State
    check: Check | None  # the last Testar / Conectar, if any
    # UTC: the last message the provider took; for the links, the last answer a
    # client gave through one (what the relay brought in).
    last_sent: datetime | None
    failed: tuple[Failed, ...]  # in the last 24 hours, by cause, most first
    next_step: str  # what to do now, one sentence
    fix: str | None  # the Settings tab that fixes it (channel_setup.INTEGRATIONS …)


def overview(p: Practice, relay_reachable: bool | None = None) -> list[Reach]:
    """One Reach per channel in SHOWN. Reads the keyring once per secret (a
    keyring that cannot be read counts as holding it: the checks say otherwise).
    relay_reachable: what the window's poller last found (None: not known); a relay
    that cannot be reached now is the links' problem."""
    cfg = config.get_all(p)
    checks = channel_checks.latest(p)
    now = p.clock.now()
    with p.db.read() as s:
        stops = channel_health.stopped(s)
        sent = _last_sent(s)
        failed = {ch: _failed_since(s, ch, now - RECENT, now) for ch in SHOWN}
    out = []
    for channel in SHOWN:
        lack: str | None
        fix: str | None
        if channel == LINKS:
            lack, fix = _links_missing(cfg), INTEGRATIONS
        else:
            missing = what_is_missing(Channel(channel), cfg, _has(SECRET_OF[Channel(channel)]))
            lack, fix = (missing.text, missing.fix) if missing else (None, None)
        check = checks.get(channel)
        stop = stops.get(channel)
        recent = failed[channel]
        if lack is not None and fix == INTEGRATIONS:
            state, step = State.NOT_SET_UP, _first_steps(channel) or lack
        elif lack is not None:  # connected, but the reminders' template is not chosen yet
            state, step = State.NOT_SET_UP, lack
        elif channel == LINKS and relay_reachable is False:
            state, fix = State.PROBLEM, INTEGRATIONS
            step = _("The relay cannot be reached now: clients' answers wait there until it "
                     "is back. If it lasts, check its address below or ask its "
                     "administrator.")
        elif stop is not None:
            state = State.PROBLEM
            step = _("It stopped working: {reason} Correct it below and press Test.").format(
                reason=stop.reason.rstrip())
            fix = INTEGRATIONS
        elif check is not None and not check.ok and not _sent_since(sent.get(channel), check):
            state, fix = State.PROBLEM, INTEGRATIONS
            # Calls' check is also the relay's answer when given the Twilio account
            # (relay_twilio): without it, clients' key presses are refused there.
            step = _("The last check failed, and clients' key presses on calls may not reach "
                     "the practice: correct what it says below, then press Call me again."
                     ) if channel == "voice" else \
                _("The last test failed: correct what it says below and press Test again.")
        elif any(not f.clients_own for f in recent):
            state = State.PROBLEM
            n = sum(f.count for f in recent if not f.clients_own)
            step = ngettext("{n} message failed in the last 24 hours: see the Dashboard.",
                            "{n} messages failed in the last 24 hours: see the Dashboard.",
                            n).format(n=i18n.format_number(n))
        elif check is None:
            state, step = State.WORKING, _("Press Test below to check that it works.")
        else:
            state, step = State.WORKING, _("Nothing to do.")
        out.append(Reach(channel, state, check, sent.get(channel), recent, step, fix))
    return out


def _first_steps(channel: str) -> str | None:
    """What to do first for a channel not set up, said from Integrações itself."""
    return {
        "whatsapp": _("Not set up yet: below, paste the access token and the phone number's "
                      "id from the Meta app's API Setup page, then press Connect and test."),
        "email": _("Not set up yet: below, type the practice's e-mail address and press "
                   "Find settings, then type its password and press Test."),
        "sms": _("Not set up yet: below, fill in the Twilio account's SID and auth token "
                 "and press Test, then choose the sending number."),
        "voice": _("Not set up yet: calls need SMS (Twilio) and the confirmation links set "
                   "up; then below choose the number calls come from and press Call me."),
        "push": _("Not set up yet: with the confirmation links set up, press Turn on "
                  "below."),
    }.get(channel)


def _has(secret: str) -> bool:
    try:
        return secrets.is_set(secret)
    except secrets.SecretsUnavailable:
        return True


def _links_missing(cfg: dict[str, str]) -> str | None:
    if not cfg["relay.url"] or not _has("relay.api_key") or not _has("relay.link_secret"):
        return _("Confirmation links are not set up: connect to a relay with the code its "
                 "administrator gave you, below.")
    return None


def _sent_since(sent: datetime | None, check: Check) -> bool:
    return sent is not None and sent >= check.at


def _last_sent(s: Session) -> dict[str, datetime]:
    rows = s.exec(select(OutboxMessage.channel, func.max(OutboxMessage.sent_at))
                  .where(OutboxMessage.state == MessageState.SENT)
                  .group_by(OutboxMessage.channel)).all()
    found = {channel: utc(at) for channel, at in rows if at is not None}
    answered = s.exec(select(func.max(RelayEvent.received_at)).where(
        col(RelayEvent.kind).in_(("confirmed", "cancel_requested")))).first()
    if answered is not None:
        found[LINKS] = utc(answered)
    return found


def _failed_since(s: Session, channel: str, since: datetime, now: datetime
                  ) -> tuple[Failed, ...]:
    """The messages on `channel` that failed since `since` and were not sent since,
    by cause (the code), each with its newest reason; only those the Painel lists
    (failures.still_needed), as the sentence sends the reader there."""
    rows = s.exec(select(DeliveryAttempt.code, func.count(), func.max(DeliveryAttempt.id))
                  .join(OutboxMessage, col(OutboxMessage.id) == DeliveryAttempt.message_id)
                  .where(OutboxMessage.channel == channel,
                         OutboxMessage.state == MessageState.FAILED,  # not sent since
                         DeliveryAttempt.outcome == "failed", DeliveryAttempt.at >= since,
                         failures.still_needed(now))
                  .group_by(DeliveryAttempt.code)).all()
    found = []
    for code, count, newest in rows:
        attempt = s.get(DeliveryAttempt, newest)
        reason = i18n.from_english(attempt.detail) if attempt is not None else ""
        found.append(Failed(reason or "", int(count), clients_own=code in CLIENTS_OWN))
    return tuple(sorted(found, key=lambda f: -f.count))
