"""Reminders by phone call: what the call says, when it may ring, and what
becomes of it as Twilio reports it.

- The words: the practice's `template.voice.text`, or default_text() in the
  client's language, with the same fields as the other templates ({date} said as
  "14 de julho", {time} as "10:00", which Twilio's voices read as hours), then
  the keypad line. The call's TwiML and the relay's signed keypad address are
  relay.spoken's.
- The hours: quiet_hours, where the call is planned and again where it goes.
- The outcome, from the relay's `voice_status` events (taken in the poller's
  unit of work, once), found by the outbox row whose provider_message_id is the
  CallSid:
    completed          -> stays `sent`, an attempt says who answered;
    busy / no-answer   -> the first time, pending again after voice.retry_minutes;
                          the second time (or when another call would come too
                          late) `failed`, and, with voice.fallback on, a reminder
                          on the client's next agreed channel (SMS, then e-mail)
                          whose fallback_of names the call's row;
    failed / canceled  -> `failed` / `cancelled`, with the reason;
    AnsweredBy machine_* (asynchronous answering-machine detection) -> the call
                          in progress is given the words alone, without the
                          keypad (leave_message(), after the unit of work).
  A status replayed finds its attempt already written (or the row no longer
  `sent`) and changes nothing.

Sources: https://www.twilio.com/docs/voice/api/call-resource#call-status-values,
https://www.twilio.com/docs/voice/answering-machine-detection (AnsweredBy values,
updating the call after an asynchronous result)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from app import i18n
from app.i18n import _, format_date, format_time
from app.models.enums import ACTIVE_STATUSES, Channel
from app.models.instants import elapsed
from app.models.outbox import DeliveryAttempt, MessageKind, MessageState, OutboxMessage
from app.models.tables import Appointment, Client, Staff
from app.services import (
    channel_checks,
    config,
    messages,
    quiet_hours,
    relay_twilio,
    reminders,
    secrets,
)
from app.services.channels import ChannelError, Outgoing
from app.services.channels import voice as voice_channel
from app.services.errors import PracticeError
from app.services.inbound import Touched
from app.services.practice import Practice
from app.services.settings import load_row, practice_zone
from relay import spoken
from relay.tokens import check_secret

log = logging.getLogger(__name__)

KINDS = frozenset({"voice_status"})  # the relay's events about calls
MACHINE = "answering machine"  # take_in()'s word when the short message is to be left
FALLBACK_ORDER = (Channel.SMS, Channel.EMAIL)


class CallFailed(PracticeError):
    """A test call Twilio did not place, in words."""


# ---------------------------------------------------------------- the words

def keypad_line() -> str:
    """What the client may press, in the current language."""
    return _("Press 1 to confirm, 2 to cancel, 3 to hear this again.")


def test_call_keypad_line() -> str:
    """What a test call says in place of the keypad line (it waits for no key)."""
    return _("In a reminder, the client is then asked to press 1 to confirm, 2 to cancel "
             "or 3 to hear it again.")


def default_text(language: str) -> str:
    """The built-in spoken reminder in `language` ("pt_BR", "en"), with template
    fields; the keypad line is added after it."""
    with i18n.speaking(language):
        return _("Hello, {first_name}! This is {practice}. A reminder of your session with "
                 "{professional}: {weekday}, {date}, at {time}.")


class _Fields(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # an unknown field stays as typed, not an error


def spoken_text(template: str, facts: messages.SessionFacts, *, keypad: bool = True) -> str:
    """The words a call says for `facts`, in the current language (the caller
    wraps it in i18n.speaking for a client): the template's fields filled, the
    date as people say it ("14 de julho", "July 14"), no link; then the keypad
    line when `keypad`. The preview of the template editor shows this."""
    fields = facts.fields()
    day = facts.start.date()
    fields["date"] = format_date(day, "d 'de' MMMM" if i18n.current_language().startswith("pt")
                                 else "MMMM d")
    fields["link"] = ""
    try:
        words = template.format_map(_Fields(fields))
    except (ValueError, IndexError):  # stray braces typed by hand
        words = template
    words = " ".join(words.split())
    return f"{words} {keypad_line()}" if keypad else words


def _voice(cfg: dict[str, str], language: str, practice_language: str) -> str:
    """The practice's voice for its own language; Twilio's default voice of the
    client's language otherwise (a Portuguese voice reading English is hard to follow)."""
    if language == spoken.language_of(practice_language) and cfg["voice.voice"].strip():
        return cfg["voice.voice"].strip()
    return spoken.DEFAULT_VOICE[language]


def status_url(cfg: dict[str, str]) -> str:
    """Where Twilio reports a call's progress: the relay."""
    return cfg["relay.url"].rstrip("/") + spoken.STATUS_ROUTE


def outgoing(msg: OutboxMessage, cfg: dict[str, str], facts: messages.SessionFacts,
             target: str, token: str | None, practice_language: str, *, own: bool = True
             ) -> tuple[Outgoing | None, str | None]:
    """The call for a reminder (the outbox's compose step, inside the client's
    language), or why it cannot be placed. `token`: the session's link token;
    `own`: whether the practice's `template.voice.text` may speak to this client
    (messages.own_words_for), else the built-in words in the client's language.
    The reminder's own text has its fields filled as the template's."""
    secret = secrets.load("relay.link_secret") if token else None
    if token is None or secret is None:
        return None, _("A call needs the session's confirmation link for its keypad, and it "
                       "cannot be made: check the relay in Settings › Integrations.")
    chosen = messages.choose_words(Channel.VOICE, default_text(i18n.current_language()),
                                   own=cfg["template.voice.text"] if own else "",
                                   custom=msg.custom_text)
    words = spoken_text(chosen.template, facts, keypad=False)
    language = spoken.language_of(i18n.current_language())
    voice = _voice(cfg, language, practice_language)
    said = spoken.Spoken(f"{words} {keypad_line()}", language, voice)
    action = spoken.action_url(cfg["relay.url"], check_secret(secret), token, said)
    return Outgoing(to=target, text=words, twiml=spoken.keypad(said, action),
                    language=language, voice=voice, status_callback=status_url(cfg),
                    sender=cfg["voice.from"] or None, note=chosen.note), None


# ---------------------------------------------------------------- the hours

def held_for_quiet_hours(s: Session, msg: OutboxMessage, now: datetime) -> str | None:
    """At the moment a call would be placed: None when it may ring now; "moved"
    (due at the next allowed moment, an attempt says why) or "skipped" (the next
    allowed moment is too close to the session) otherwise. In the dispatcher's
    unit of work."""
    a = s.get(Appointment, msg.appointment_id) if msg.appointment_id else None
    if msg.kind is not MessageKind.REMINDER or a is None:
        return None
    w = quiet_hours.window_of(s)
    when, why_not = quiet_hours.place(now, a.start, w, reminders.USEFUL_CUTOFF)
    if why_not is None and when == now:
        return None
    assert msg.id is not None
    msg.updated_at = now
    if why_not is not None:
        msg.state, msg.last_error = MessageState.SKIPPED, why_not
        s.add(DeliveryAttempt(message_id=msg.id, at=now, outcome="skipped", detail=why_not))
        return "skipped"
    said = _("Calls ring only from {start} to {end}: this one waits until {when}.").format(
        start=format_time(w.start), end=format_time(w.end),
        when=i18n.format_datetime(when.astimezone(w.zone)))
    msg.due_at, msg.next_attempt_at, msg.last_error = when, None, said
    s.add(DeliveryAttempt(message_id=msg.id, at=now, outcome="moved", detail=said))
    return "moved"


# ---------------------------------------------------------------- what Twilio reports

def _call_row(s: Session, sid: str) -> OutboxMessage | None:
    if not sid:
        return None
    return s.exec(select(OutboxMessage).where(
        OutboxMessage.channel == Channel.VOICE.value,
        OutboxMessage.provider_message_id == sid)).first()


def _noted(s: Session, row: OutboxMessage, code: str) -> bool:
    return s.exec(select(DeliveryAttempt.id).where(
        DeliveryAttempt.message_id == row.id, DeliveryAttempt.code == code)).first() is not None


def _note(s: Session, row: OutboxMessage, now: datetime, outcome: str, code: str,
          detail: str) -> None:
    assert row.id is not None
    s.add(DeliveryAttempt(message_id=row.id, at=now, outcome=outcome, code=code, detail=detail))


def take_in(s: Session, p: Practice, data: dict[str, Any], touched: Touched) -> str:
    """One `voice_status` event (Twilio's form fields, unsealed), in the poller's
    unit of work. Returns a word for the event's record; MACHINE when the call is
    to be given the short message (leave_message, after the commit)."""
    if not data:
        return "unreadable"
    sid = str(data.get("CallSid") or "")
    status = str(data.get("CallStatus") or "")
    row = _call_row(s, sid)
    if row is None:
        return "status for a call not in the outbox"
    if row.appointment_id:
        touched.appointments.add(row.appointment_id)
    now = p.clock.now()
    if not status:  # the answering-machine detection's own callback
        answered = str(data.get("AnsweredBy") or "")
        if answered.startswith("machine") and row.state is MessageState.SENT and \
                not _noted(s, row, f"machine:{sid}"):
            _note(s, row, now, "machine", f"machine:{sid}", _(
                "An answering machine took the call: it is given the reminder without the "
                "keypad."))
            return MACHINE
        return f"answered by {answered or '?'}"
    code = f"{status}:{sid}"
    if status not in ("completed", "busy", "no-answer", "failed", "canceled"):
        return f"call {status}"  # on its way: queued, initiated, ringing, in-progress
    if _noted(s, row, code) or row.state is not MessageState.SENT:
        return "seen before"
    row.updated_at = now
    gone = no_longer_due(s, row) if status != "completed" else None
    if gone:
        # Nobody needs to decide about a reminder of a session that is not coming:
        # not called again, no fallback, not in the Painel.
        row.state, row.last_error = MessageState.CANCELLED, gone
        _note(s, row, now, "cancelled", code, gone)
        return "call for a session no longer due: ended"
    if status == "completed":
        _note(s, row, now, "answered", code, _(
            "An answering machine took the call and was left the reminder.")
            if _noted(s, row, f"machine:{sid}") else _("The client answered the call."))
        return "call completed"
    if status in ("busy", "no-answer"):
        return _not_answered(s, row, status, code, now)
    said = _("Twilio could not place the call (the number may be out of service or "
             "unreachable).") if status == "failed" else \
        _("The call was cancelled before it was answered.")
    row.state = MessageState.FAILED if status == "failed" else MessageState.CANCELLED
    row.last_error = said
    _note(s, row, now, "failed" if status == "failed" else "cancelled", code, said)
    return f"call {status}"


def no_longer_due(s: Session, row: OutboxMessage) -> str | None:
    """Why a reminder's outcome (a call not answered, a send that failed) needs
    nobody any more: its session was cancelled, moved, completed or marked a
    no-show meanwhile (or no longer exists). None for a reminder of a session
    still due, or a message that is not a reminder."""
    from app.services.scheduling import status_word

    if row.kind is not MessageKind.REMINDER or not row.appointment_id:
        return None
    a = s.get(Appointment, row.appointment_id)
    if a is None:
        return _("The session no longer exists: the reminder ends here.")
    if a.status in ACTIVE_STATUSES:
        return None
    return _("The session was {status} meanwhile: the reminder ends here, nobody needs to "
             "be told.").format(status=status_word(a.status))


def _not_answered(s: Session, row: OutboxMessage, status: str, code: str,
                  now: datetime) -> str:
    """A call nobody took: once more after the pause, then failed (and the
    fallback). The session is still due (take_in ended the others)."""
    cfg = config.read_all(s)
    zone = practice_zone(s)
    busy = status == "busy"
    earlier = int(s.scalar(select(func.count()).select_from(DeliveryAttempt).where(
        DeliveryAttempt.message_id == row.id, DeliveryAttempt.outcome == "no_answer")) or 0)
    a = s.get(Appointment, row.appointment_id) if row.appointment_id else None
    again = now + timedelta(minutes=int(cfg["voice.retry_minutes"]))
    if not earlier and a is not None and a.status in ACTIVE_STATUSES and \
            elapsed(again, a.start) > reminders.USEFUL_CUTOFF:
        at = format_time(again.astimezone(zone))
        said = (_("The client's line was busy; the call is tried again at {time}.") if busy
                else _("The client did not answer the call; it is tried again at {time}."))\
            .format(time=at)
        row.state, row.next_attempt_at, row.last_error = MessageState.PENDING, again, said
        _note(s, row, now, "no_answer", code, said)
        return "not answered: tried again later"
    if earlier:
        said = _("The client did not answer two calls (the line was busy the last time).") \
            if busy else _("The client did not answer two calls.")
    else:
        said = _("The client's line was busy, and another call would come too close to the "
                 "session.") if busy else _("The client did not answer the call, and another "
                                            "call would come too close to the session.")
    if cfg["voice.fallback"] == "on" and a is not None and a.status in ACTIVE_STATUSES:
        said = f"{said} {_fall_back(s, row, a, now)}"
    row.state, row.last_error = MessageState.FAILED, said
    _note(s, row, now, "no_answer_failed", code, said)
    return "not answered: failed"


def _fall_back(s: Session, row: OutboxMessage, a: Appointment, now: datetime) -> str:
    """A reminder on the client's next agreed channel instead of the call (once:
    its idempotency key is the call's own, extended); says which, or that none can."""
    client = s.get(Client, a.client_id)
    assert client is not None and row.id is not None
    if elapsed(now, a.start) <= reminders.USEFUL_CUTOFF:
        # It would be skipped as too late the moment it went: none is promised.
        return _("No other reminder goes instead: the session starts within {minutes} "
                 "minutes.").format(minutes=int(reminders.USEFUL_CUTOFF.total_seconds() // 60))
    for channel in FALLBACK_ORDER:
        target, why_not = reminders.address(client, channel)
        if why_not is not None:
            continue
        key = f"{row.idempotency_key}:fallback"
        if s.exec(select(OutboxMessage.id).where(
                OutboxMessage.idempotency_key == key)).first() is None:
            s.add(OutboxMessage(idempotency_key=key, kind=MessageKind.REMINDER,
                                appointment_id=a.id, channel=channel.value,
                                minutes_before=row.minutes_before, recipient=target,
                                due_at=now, state=MessageState.PENDING, created_at=now,
                                updated_at=now, fallback_of=row.id))
        return _("A reminder by {channel} goes instead.").format(
            channel=reminders.channel_name(channel))
    return _("No other channel can take its place: the client has not agreed to SMS or "
             "e-mail, or has no number or address for them.")


def leave_message(p: Practice, data: dict[str, Any]) -> bool:
    """An answering machine took the call: the call is given the reminder's words
    alone, then ends (Twilio: update a call in progress with new TwiML). Returns
    whether Twilio took the new words; a refusal (the call already over) is
    written on the reminder, not raised."""
    from app.services.outbox import compose

    sid = str(data.get("CallSid") or "")
    cfg = config.get_all(p)
    now = p.clock.now()
    with p.db.read() as s:
        row = _call_row(s, sid)
        found = compose(s, row, cfg, now)[0] if row is not None else None
        row_id = row.id if row is not None else None
    if found is None or row_id is None:
        return False
    language = found.language if found.language in spoken.LANGUAGES else "pt-BR"
    twiml = spoken.say_and_hang_up(found.text, language,
                                   found.voice or spoken.DEFAULT_VOICE[language])
    try:
        voice_channel.update(cfg, secrets.load("sms.auth_token"), sid, twiml)
    except (ChannelError, secrets.SecretsUnavailable) as exc:
        log.warning("the answering machine's message was not left: %s", exc)
        with p.db.write() as s:
            s.add(DeliveryAttempt(message_id=row_id, at=p.clock.now(), outcome="machine",
                                  code="update_refused", detail=str(exc)))
        return False
    return True


# ---------------------------------------------------------------- Integrações

def test_call(p: Practice, to: str) -> str:
    """Ligar para mim: Twilio calls `to` (the practice's own phone) with the
    reminder's words for a sample session, in the practice's language, then says
    what a reminder asks of the keypad (a test call waits for no key) and hangs up.
    The relay is given the Twilio account first (relay_twilio), so the
    reminders' key presses will reach the practice.
    Returns a sentence for the person; CallFailed (recorded as the "voice" check)
    says what Twilio refused, TwilioNotShared (recorded too) what the relay did;
    InvalidInput for a number that is not one (nothing recorded)."""
    from app.services.values import format_phone, normalize_phone

    cfg = config.get_all(p)
    with p.db.read() as s:
        row = load_row(s)
        staff = s.exec(select(Staff).order_by(col(Staff.id))).first()
        target = normalize_phone(to, row.country)
        language = messages.client_language("", row.language, row.country)
        facts = messages.sample(row.name, staff.name if staff else "", ZoneInfo(row.timezone),
                                p.clock.now())
        shown = format_phone(target, row.country)
    with i18n.speaking(language):
        # The words as a client hears them, then what a reminder asks and that
        # nothing is awaited here: a test call has no keypad.
        chosen = messages.choose_words(Channel.VOICE, default_text(language),
                                       own=cfg["template.voice.text"])
        words = spoken_text(chosen.template, facts, keypad=False)
        spoken_language = spoken.language_of(language)
        voice = _voice(cfg, spoken_language, language)
        closing = " ".join((test_call_keypad_line(), _("This was a test call from Practice "
                                                       "Desk. Goodbye.")))
        twiml = spoken.say_and_hang_up(f"{words} {closing}", spoken_language, voice)

    def place() -> str:
        # The relay first: without the account it refuses the keypad (401).
        relay_twilio.give_if_ready(p)
        try:
            return voice_channel.send(cfg, secrets.load("sms.auth_token"), Outgoing(
                to=target, text=words, twiml=twiml, language=spoken_language, voice=voice))
        except ChannelError as exc:
            raise CallFailed(str(exc)) from None

    channel_checks.checked(p, "voice", place, lambda _sid: _(
        "A test call to {to} was placed by Twilio.").format(to=shown))
    return _("Twilio is calling {to} now: answer to hear the reminder as clients will.").format(
        to=shown)
