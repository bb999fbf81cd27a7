"""Sending one message over one channel. A channel returns the provider's message
id, or raises ChannelError saying whether to retry, and in words a professional
understands what went wrong and what to do."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PushDevice:
    """A phone to notify (app.models.push.PushSubscription, as plain values)."""

    id: int  # the subscription's row
    endpoint: str  # the push service's URL (RFC 8030 §5)
    p256dh: str  # the browser's P-256 public key, base64url (RFC 8291 §3.1)
    auth: str  # its 16-byte authentication secret, base64url (RFC 8291 §3.2)


@dataclass(frozen=True)
class Outgoing:
    to: str  # an e-mail address or an E.164 phone number
    subject: str = ""
    text: str = ""
    html: str | None = None
    calendar: bytes | None = None  # an iCalendar part for e-mail
    calendar_method: str = "REQUEST"
    template: str | None = None  # WhatsApp: an approved template's name
    language: str = "pt_BR"
    parameters: list[str] = field(default_factory=list)
    button_suffix: str | None = None  # WhatsApp: the URL button's dynamic part
    message_id: str | None = None  # e-mail: our own Message-ID
    in_reply_to: str | None = None  # e-mail threading: the message this answers
    references: tuple[str, ...] = ()  # e-mail threading: the thread so far, oldest first
    sender: str | None = None  # another of the practice's numbers or addresses
    status_callback: str | None = None  # SMS, calls: where Twilio reports progress
    twiml: str | None = None  # a call: the TwiML Twilio follows (relay.spoken)
    voice: str | None = None  # a call: the voice that speaks; `language` as <Say> names it
    devices: tuple[PushDevice, ...] = ()  # push: the client's phones (`to` is "phone")
    # For the practice, not sent: why the built-in words went in place of words that
    # could not be read (messages.choose_words); written on the message's attempt.
    note: str = ""


class ChannelError(Exception):
    """retry: worth trying again later; slow_down: the provider asked to slow the
    whole channel down; code: the provider's code, for the attempt log;
    unknown: the request reached the provider but no answer came back (a timeout or
    a dropped connection after sending, a 5xx it may have acted on): the message
    may have gone out, so it is never sent again on its own."""

    def __init__(self, message: str, *, retry: bool, code: str | None = None,
                 slow_down: bool = False, unknown: bool = False) -> None:
        super().__init__(message)
        self.retry, self.code, self.slow_down = retry and not unknown, code, slow_down
        self.unknown = unknown


class OutcomeUnknown(ChannelError):
    """The provider may or may not have the message: a person decides."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, retry=False, code=code, unknown=True)


class NotConfigured(ChannelError):
    def __init__(self, message: str) -> None:
        super().__init__(message, retry=False, code="not_configured")
