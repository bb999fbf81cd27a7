"""Whether a channel has stopped working: a token expired, a password changed.

A provider's answer that blames the practice's settings (a refused login, an
expired token, a sending number that is not the account's) is true of every
message on that channel, not of the one that met it. From that answer on, the
channel is *stopped*: the dispatcher holds its other messages instead of failing
them one by one, tries one again now and then (PROBE_EVERY) in case the setting
was fixed outside the window, and the Painel shows one item for the channel. It
works again with the first message the provider takes or the first check from
Integrações that succeeds after the stop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app import i18n
from app.models.instants import utc
from app.models.outbox import ChannelCheck, DeliveryAttempt, OutboxMessage
from app.services.channel_setup import INTEGRATIONS, NOTIFICATIONS
from app.services.practice import Practice

# Where the fix of a cause lies (the code of the last attempt, per channel).
FIX_OF: dict[str, dict[str, str]] = {
    "email": {code: INTEGRATIONS for code in (
        "auth", "login_required", "not_supported", "certificate", "tls", "configuration",
        "insecure", "not_configured")},
    # Meta's codes: https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
    "whatsapp": {"190": INTEGRATIONS, "10": INTEGRATIONS, "200": INTEGRATIONS,
                 "133010": INTEGRATIONS, "not_configured": INTEGRATIONS,
                 **{code: NOTIFICATIONS for code in (
                     "132000", "132001", "132005", "132012", "132015", "132016", "132018")}},
    # Twilio's codes: https://www.twilio.com/docs/api/errors
    "sms": {"20003": INTEGRATIONS, "21606": INTEGRATIONS, "not_configured": INTEGRATIONS},
    # Calls: the same account (20003), a calling number it does not own (21210).
    "voice": {"20003": INTEGRATIONS, "21210": INTEGRATIONS, "not_configured": INTEGRATIONS},
    # A push service refusing the practice's key (RFC 8292 §4: 401/403).
    "push": {"401": INTEGRATIONS, "403": INTEGRATIONS, "not_configured": INTEGRATIONS},
}

# Attempts that say how the channel is: answers that reached the provider (or
# tried to), messages held on it, and a person's "try again" (they fixed it).
_TELLING = ("sent", "failed", "retry", "held", "retry_requested")
_WORKS = ("sent", "retry_requested")
PROBE_EVERY = timedelta(minutes=10)


def stops_channel(channel: str, code: str | None) -> bool:
    """Whether a failure with `code` on `channel` is the channel's, not the
    message's: a setting in Integrações is wrong (a channel not set up at all is
    another matter: channel_setup)."""
    return code is not None and code != "not_configured" and \
        FIX_OF.get(channel, {}).get(code) == INTEGRATIONS


@dataclass(frozen=True)
class Stop:
    channel: str  # email, whatsapp, sms, voice, push
    since: datetime  # the answer that stopped it, UTC
    last_try: datetime  # the newest attempt since, UTC (== since when none)
    code: str  # the provider's code (or ours) of that answer
    reason: str  # that answer in a sentence, in the reader's language

    def may_probe(self, now: datetime) -> bool:
        """Whether one held message may be tried now, in case the setting was fixed
        where the app cannot see it (the keyring, the provider's console)."""
        return now - self.last_try >= PROBE_EVERY


def stopped(s: Session) -> dict[str, Stop]:
    """The channels stopped now, by channel: those whose newest telling attempt
    failed for a cause in the settings, with no successful check since."""
    found: dict[str, Stop] = {}
    checks = {c.channel: c for c in s.exec(select(ChannelCheck))}
    for channel in FIX_OF:
        newest = _newest(s, channel, _TELLING)
        if newest is None or newest.outcome in _WORKS:
            continue
        # A held message says nothing new: what stopped the channel came before it.
        cause = newest if newest.outcome != "held" else \
            _newest(s, channel, tuple(o for o in _TELLING if o != "held"))
        if cause is None or cause.outcome in _WORKS or not stops_channel(channel, cause.code):
            continue
        check = checks.get(channel)
        if check is not None and check.ok and utc(check.at) >= utc(cause.at):
            continue
        assert cause.code is not None
        found[channel] = Stop(channel, utc(cause.at), utc(newest.at), cause.code,
                              i18n.from_english(cause.detail) or "")
    return found


def _newest(s: Session, channel: str, outcomes: tuple[str, ...]) -> DeliveryAttempt | None:
    return s.exec(
        select(DeliveryAttempt).join(OutboxMessage,
                                     col(OutboxMessage.id) == DeliveryAttempt.message_id)
        .where(OutboxMessage.channel == channel, col(DeliveryAttempt.outcome).in_(outcomes))
        .order_by(col(DeliveryAttempt.id).desc()).limit(1)).first()


def stopped_now(p: Practice) -> dict[str, Stop]:
    """stopped(), in a unit of work of its own."""
    with p.db.read() as s:
        return stopped(s)
