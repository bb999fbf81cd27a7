"""Reminders and notices delivered to real servers on loopback: an SMTP server
(aiosmtpd) and fakes of the WhatsApp Cloud API and Twilio that check every field."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.message import Message

import pytest

from app.models.enums import Channel
from app.models.outbox import MessageState
from app.services import clients, config, outbox, reminders, scheduling, secrets
from app.services.clock import FrozenClock
from app.services.errors import InvalidInput
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import AGREED, add_service, local
from tests.fakes.smtp import SmtpServer
from tests.fakes.twilio import FakeTwilio
from tests.fakes.whatsapp import FakeWhatsApp


@pytest.fixture
def servers() -> Iterator[tuple[SmtpServer, FakeWhatsApp, FakeTwilio]]:
    with SmtpServer() as smtp, FakeWhatsApp() as wa, FakeTwilio() as tw:
        yield smtp, wa, tw


@pytest.fixture
def wired(practice: Practice, servers: tuple[SmtpServer, FakeWhatsApp, FakeTwilio]
          ) -> tuple[SmtpServer, FakeWhatsApp, FakeTwilio]:
    smtp, wa, tw = servers
    for key, value in {
        "smtp.host": "127.0.0.1", "smtp.port": str(smtp.port), "smtp.security": "none",
        "smtp.from": "agenda@bemestar.example", "smtp.from_name": "Consultório Bem-Estar",
        "whatsapp.api_base": wa.url, "whatsapp.phone_number_id": wa.rules.phone_number_id,
        "whatsapp.template": "lembrete_sessao", "whatsapp.language": "pt_BR",
        "whatsapp.params": "first_name,date,time",
        "sms.api_base": tw.url, "sms.account_sid": tw.account.sid, "sms.from": "+15005550006",
        "reminders.default": "whatsapp:1440,email:60,sms:30",
    }.items():
        config.set_value(practice, key, value)
    secrets.store("whatsapp.token", wa.rules.token)
    secrets.store("sms.auth_token", tw.account.token)
    return servers


def client(p: Practice, consent: tuple[Channel, ...] = AGREED) -> int:
    return clients.add(p, name="Maria Silva", phone="+55 11 98765-4321",
                       email="maria@example.com", consent=consent).id


def book(p: Practice, client_id: int, start: str = "2026-11-23T10:00") -> int:
    return scheduling.book(p, BookingRequest(client_id=client_id, start=local(start),
                                             service_id=add_service(p)))


def states(p: Practice, appointment_id: int) -> dict[str, str]:
    return {f"{m.channel}:{m.minutes_before}" if m.kind == "reminder" else m.kind: m.state
            for m in reminders.list_for(p, appointment_id)}


def parts(message: Message) -> dict[str, Message]:
    return {part.get_content_type(): part for part in message.walk()}


def test_reminders_go_out_on_time_on_each_channel(practice: Practice, clock: FrozenClock,
                                                  wired: tuple) -> None:
    smtp, wa, tw = wired
    a = book(practice, client(practice))
    planned = reminders.list_for(practice, a)
    assert [(m.channel, m.due_at) for m in planned] == [
        ("whatsapp", local("2026-11-22T10:00")), ("email", local("2026-11-23T09:00")),
        ("sms", local("2026-11-23T09:30"))]
    dispatcher = outbox.Dispatcher(practice)
    assert dispatcher.dispatch_due().sent == 0  # nothing is due yet

    clock.set(local("2026-11-22T10:00"))
    assert dispatcher.dispatch_due().sent == 1
    [sent] = wa.sent
    assert (sent.to, sent.template, sent.language) == ("5511987654321", "lembrete_sessao",
                                                       "pt_BR")
    assert sent.parameters == ["Maria", "11/23/26", "10:00\u202fAM"]

    clock.set(local("2026-11-23T09:00"))
    dispatcher.dispatch_due()
    [mail] = smtp.received
    assert mail.recipients == ["maria@example.com"]
    assert mail.message["Subject"] == "Reminder: your session on 11/23/26 at 10:00\u202fAM"
    body = parts(mail.message)
    assert {"text/plain", "text/html", "text/calendar"} <= set(body)
    assert "Hello Maria" in body["text/plain"].get_content()
    ics = body["text/calendar"].get_content()
    ics = ics if isinstance(ics, str) else ics.decode()
    assert "METHOD:REQUEST" in ics and f"UID:session-{a}@practice-desk" in ics
    assert "DTSTART:20261123T130000Z" in ics.replace("DTSTART;VALUE=DATE-TIME", "DTSTART")

    clock.set(local("2026-11-23T09:30"))
    dispatcher.dispatch_due()
    [sms] = tw.sent
    assert (sms.to, sms.from_) == ("+5511987654321", "+15005550006")
    assert "Maria" in sms.body and "10:00" in sms.body
    assert set(states(practice, a).values()) == {"sent"}
    assert dispatcher.dispatch_due().sent == 0  # never twice
    assert len(wa.sent) == len(smtp.received) == len(tw.sent) == 1
    ids = {m.provider_message_id for m in reminders.list_for(practice, a)}
    assert wa.sent[0].id in ids and tw.sent[0].sid in ids


def test_cancel_and_reschedule_move_the_reminders(practice: Practice, clock: FrozenClock,
                                                  wired: tuple) -> None:
    smtp, wa, tw = wired
    c = client(practice)
    cancelled = book(practice, c)
    moved = book(practice, c, "2026-11-24T10:00")
    scheduling.cancel(practice, cancelled, reason="Viagem")
    new = scheduling.reschedule(practice, moved, local("2026-11-25T15:00"))[moved]
    assert set(states(practice, cancelled).values()) == {"cancelled"}
    old = states(practice, moved)
    assert set(old.values()) == {"cancelled"}
    assert [m.due_at for m in reminders.list_for(practice, new) if m.kind == "reminder"] == [
        local("2026-11-24T15:00"), local("2026-11-25T14:00"), local("2026-11-25T14:30")]
    outbox.Dispatcher(practice).dispatch_due()
    # The reschedule notice went out at once; the new session's reminders in time
    # would have, but the clock jumped past it: they were too late to help.
    assert [r.message["Subject"] for r in smtp.received] == [
        "Session moved to 11/25/26 at 3:00\u202fPM"]
    clock.set(local("2026-11-26T00:00"))
    outbox.Dispatcher(practice).dispatch_due()
    assert len(smtp.received) == 1
    assert wa.sent == [] and tw.sent == []
    assert {m.state for m in reminders.list_for(practice, new) if m.kind == "reminder"} == {
        "skipped"}


def test_consent_and_addresses(practice: Practice, clock: FrozenClock, wired: tuple) -> None:
    smtp, wa, tw = wired
    only_email = client(practice, (Channel.EMAIL,))
    a = book(practice, only_email)
    planned = {m.channel: m for m in reminders.list_for(practice, a)}
    assert planned["whatsapp"].state == "skipped"
    assert "has not agreed to messages by WhatsApp" in (planned["whatsapp"].last_error or "")
    assert planned["email"].state == "pending"
    clients.update(practice, only_email, revoke=[Channel.EMAIL])  # changed their mind
    clock.set(local("2026-11-23T09:30"))
    outbox.Dispatcher(practice).dispatch_due()
    assert smtp.received == [] and wa.sent == [] and tw.sent == []
    assert states(practice, a)["email:60"] == "skipped"


def test_booked_late_and_catch_up_after_the_computer_was_off(
        practice: Practice, clock: FrozenClock, wired: tuple) -> None:
    smtp, wa, tw = wired
    c = client(practice)
    clock.set(local("2026-11-23T09:10"))
    soon = book(practice, c, "2026-11-23T10:00")  # inside the 24 h and 60 min leads
    st = states(practice, soon)
    assert st == {"whatsapp:1440": "pending", "email:60": "pending", "sms:30": "pending"}
    assert all(m.due_at <= clock.now() for m in reminders.list_for(practice, soon)
               if m.channel != "sms")
    clock.set(local("2026-11-23T09:50"))  # the computer was off until 10 minutes before
    report = outbox.Dispatcher(practice).dispatch_due()
    assert report.sent == 0 and report.skipped == 3  # no burst of useless messages
    assert smtp.received == [] and wa.sent == [] and tw.sent == []
    reasons = {m.last_error for m in reminders.list_for(practice, soon)}
    assert reasons == {"Too late to help: the session starts within 15 minutes."}


def test_confirmation_e_mail_on_confirm(practice: Practice, wired: tuple) -> None:
    smtp, _wa, _tw = wired
    a = book(practice, client(practice))
    scheduling.confirm(practice, a)
    outbox.Dispatcher(practice).dispatch_due()
    [mail] = smtp.received
    assert mail.message["Subject"] == "Session confirmed: 11/23/26 at 10:00\u202fAM"
    assert "confirmed" in parts(mail.message)["text/plain"].get_content()


def test_provider_errors_retry_or_fail_with_words(practice: Practice, clock: FrozenClock,
                                                  wired: tuple) -> None:
    _smtp, wa, _tw = wired
    config.set_value(practice, "reminders.default", "whatsapp:1440")
    c = client(practice)
    a = book(practice, c)
    clock.set(local("2026-11-22T10:00"))
    wa.rules.fail_next = [131000]  # Meta's temporary error
    dispatcher = outbox.Dispatcher(practice)
    assert dispatcher.dispatch_due().retried == 1
    [m] = reminders.list_for(practice, a)
    assert m.state == "pending" and m.attempts == 1 and "temporary" in (m.last_error or "")
    assert dispatcher.dispatch_due().sent == 0  # waiting for its backoff
    clock.advance(timedelta(minutes=1))
    assert dispatcher.dispatch_due().sent == 1
    assert len(wa.sent) == 1

    other = book(practice, c, "2026-11-24T10:00")
    clock.set(local("2026-11-23T10:00"))
    wa.rules.token = "rotated"  # the practice's token no longer works
    dispatcher.dispatch_due()
    [failed] = reminders.list_for(practice, other)
    assert failed.state == "failed"
    assert failed.last_error == ("The WhatsApp access token has expired or was revoked: "
                                 "renew it in Settings › Integrations.")


def test_wrong_template_parameters_and_unknown_numbers(practice: Practice, clock: FrozenClock,
                                                       wired: tuple) -> None:
    _smtp, wa, tw = wired
    config.set_value(practice, "reminders.default", "whatsapp:1440,sms:60")
    config.set_value(practice, "whatsapp.params", "first_name,date")  # the template wants 3
    a = book(practice, client(practice))
    tw.account.unsubscribed.add("+5511987654321")
    clock.set(local("2026-11-23T09:00"))
    report = outbox.Dispatcher(practice).dispatch_due()
    assert report.failed == 2 and wa.refused == [132000]
    errors = {m.channel: m.last_error for m in reminders.list_for(practice, a)}
    assert "parameters do not match" in (errors["whatsapp"] or "")
    assert "replied STOP" in (errors["sms"] or "")


def test_rate_limit_slows_the_channel_without_losing_messages(
        practice: Practice, clock: FrozenClock, wired: tuple) -> None:
    _smtp, wa, _tw = wired
    config.set_value(practice, "reminders.default", "whatsapp:1440")
    wa.rules.rate_limit = 2  # messages per second
    c = client(practice)
    sessions = [book(practice, c, f"2026-11-24T{h:02d}:00") for h in (8, 9, 10, 11, 13, 14)]
    clock.set(local("2026-11-23T14:00"))
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        import time

        time.sleep(seconds)

    report = outbox.Dispatcher(practice, sleep=sleep).dispatch_due()
    assert report.sent == 6 and 130429 in wa.refused and waited  # it slowed down...
    assert len(wa.sent) == 6  # ...and lost nothing, sending each once
    assert all(states(practice, s) == {"whatsapp:1440": "sent"} for s in sessions)
    assert all(m.attempts == 1 for s in sessions for m in reminders.list_for(practice, s))


def test_a_lost_send_becomes_unknown_and_is_never_resent_alone(
        practice: Practice, clock: FrozenClock, wired: tuple) -> None:
    smtp, _wa, _tw = wired
    config.set_value(practice, "reminders.default", "email:60")
    a = book(practice, client(practice))
    [m] = reminders.list_for(practice, a)
    # A worker claimed the message and died before recording the result.
    from app.models.outbox import OutboxMessage

    with practice.db.write() as s:
        row = s.get(OutboxMessage, m.id)
        assert row is not None
        row.state, row.claimed_at, row.attempts = MessageState.SENDING, clock.now(), 1
    clock.set(local("2026-11-23T09:00"))
    report = outbox.Dispatcher(practice).dispatch_due()
    assert report.unknown == 1 and report.sent == 0 and smtp.received == []
    [m] = reminders.list_for(practice, a)
    assert m.state == "unknown" and "may or may not have reached" in (m.last_error or "")
    assert outbox.Dispatcher(practice).dispatch_due().sent == 0
    outbox.resolve_unknown(practice, m.id, resend=True)
    assert outbox.Dispatcher(practice).dispatch_due().sent == 1
    assert len(smtp.received) == 1


def test_no_secret_reaches_the_database_or_the_log(practice: Practice, clock: FrozenClock,
                                                   wired: tuple) -> None:
    _smtp, wa, tw = wired
    from app.services.logs import setup_logging

    log_file = setup_logging(practice.paths.logs)
    a = book(practice, client(practice))
    wa.rules.token = "rotated"
    clock.set(local("2026-11-23T09:40"))
    outbox.Dispatcher(practice).dispatch_due()
    assert reminders.list_for(practice, a)
    practice.db.engine.dispose()
    data = b"".join(f.read_bytes() for f in practice.paths.root.glob("practice.sqlite3*"))
    data += log_file.read_bytes()
    for secret in ("EAAG-test-token", tw.account.token):
        assert secret.encode() not in data
    assert all(secret not in str(v) for v in config.get_all(practice).values()
               for secret in ("EAAG-test-token", tw.account.token))


def test_cancellation_notice_cancels_the_calendar_event(practice: Practice, clock: FrozenClock,
                                                        wired: tuple) -> None:
    smtp, _wa, _tw = wired
    config.set_value(practice, "reminders.default", "")
    c = client(practice)
    first = book(practice, c)
    moved = scheduling.reschedule(practice, first, local("2026-11-24T15:00"))[first]
    scheduling.cancel(practice, moved, reason="Viagem", notify=True)
    outbox.Dispatcher(practice).dispatch_due()
    subjects = [r.message["Subject"] for r in smtp.received]
    assert subjects == ["Session moved to 11/24/26 at 3:00\u202fPM",
                        "Session cancelled: 11/24/26 at 3:00\u202fPM"]
    icals = []
    for r in smtp.received:
        content = parts(r.message)["text/calendar"].get_content()
        icals.append(content if isinstance(content, str) else content.decode())
    # One UID for the session and what it was moved to; SEQUENCE grows.
    assert all(f"UID:session-{first}@practice-desk" in ics for ics in icals)
    assert "METHOD:REQUEST" in icals[0] and "SEQUENCE:1" in icals[0]
    assert "METHOD:CANCEL" in icals[1] and "SEQUENCE:2" in icals[1]
    assert "STATUS:CANCELLED" in icals[1]


def test_whatsapp_free_text_needs_the_24_hour_window(wired: tuple) -> None:
    from app.services.channels import ChannelError, Outgoing, whatsapp

    _smtp, wa, _tw = wired
    cfg = {"whatsapp.api_base": wa.url, "whatsapp.phone_number_id": wa.rules.phone_number_id}
    with pytest.raises(ChannelError) as caught:
        whatsapp.send(cfg, wa.rules.token, Outgoing(to="+5511987654321", text="Oi!"))
    assert caught.value.code == "131047" and not caught.value.retry
    assert "only accepts an approved template" in str(caught.value)
    wa.rules.replied_within_24h.add("5511987654321")
    assert whatsapp.send(cfg, wa.rules.token, Outgoing(to="+5511987654321", text="Oi!"))
    assert wa.sent[-1].text == "Oi!"


def test_the_running_worker_sends_what_falls_due_later(practice: Practice, clock: FrozenClock,
                                                       wired: tuple) -> None:
    import time

    from app.services.worker import Worker

    smtp, _wa, _tw = wired
    config.set_value(practice, "reminders.default", "email:60")
    book(practice, client(practice))
    worker = Worker(practice, tick_seconds=1)
    worker.start()
    try:
        time.sleep(1.5)
        assert smtp.received == []  # not due yet
        clock.set(local("2026-11-23T09:00"))  # the reminder falls due while it runs
        deadline = time.monotonic() + 10
        while not smtp.received:
            assert time.monotonic() < deadline, "the worker's ticks did not send it"
            time.sleep(0.1)
    finally:
        worker.stop()
    assert len(smtp.received) == 1


def test_a_notice_held_back_is_not_sent_once_it_is_no_longer_true(
        practice: Practice, clock: FrozenClock, wired: tuple) -> None:
    """The mail server is away when the session is confirmed; the session is then
    cancelled: when the server is back the client gets the cancellation only, never
    "confirmed" after "cancelled"."""
    from tests.fakes.smtp import free_port

    smtp, _wa, _tw = wired
    config.set_value(practice, "reminders.default", "")
    a = book(practice, client(practice, (Channel.EMAIL,)))
    config.set_value(practice, "smtp.port", str(free_port()))  # away
    scheduling.confirm(practice, a)
    assert outbox.Dispatcher(practice).dispatch_due().retried == 1
    scheduling.cancel(practice, a, reason="Viagem", notify=True)
    config.set_value(practice, "smtp.port", str(smtp.port))  # back
    clock.set(clock.now() + timedelta(minutes=5))
    report = outbox.Dispatcher(practice).dispatch_due()
    assert (report.sent, report.skipped) == (1, 1)
    [mail] = smtp.received
    assert "cancel" in str(mail.message["Subject"]).lower()
    assert states(practice, a) == {"confirmation": "skipped", "cancellation": "sent"}
    [confirmation] = [m for m in reminders.list_for(practice, a) if m.kind == "confirmation"]
    assert confirmation.last_error == "The session is cancelled now; this notice is no " \
                                      "longer true."


def test_a_move_notice_held_back_never_follows_the_cancellation(
        practice: Practice, clock: FrozenClock, wired: tuple) -> None:
    from tests.fakes.smtp import free_port

    smtp, _wa, _tw = wired
    config.set_value(practice, "reminders.default", "")
    a = book(practice, client(practice, (Channel.EMAIL,)))
    config.set_value(practice, "smtp.port", str(free_port()))  # away
    moved = scheduling.reschedule(practice, a, local("2026-11-24T15:00"))[a]
    assert outbox.Dispatcher(practice).dispatch_due().retried == 1  # waits a minute
    config.set_value(practice, "smtp.port", str(smtp.port))  # back
    scheduling.cancel(practice, moved, reason="Viagem", notify=True)
    assert outbox.Dispatcher(practice).dispatch_due().sent == 1  # the cancellation
    clock.set(clock.now() + timedelta(minutes=5))
    assert outbox.Dispatcher(practice).dispatch_due().skipped == 1  # the move, overtaken
    assert [str(r.message["Subject"]) for r in smtp.received] == [
        "Session cancelled: 11/24/26 at 3:00\u202fPM"]


def test_each_client_gets_the_template_in_their_language_when_meta_approved_it(
        practice: Practice, clock: FrozenClock, wired: tuple) -> None:
    """The approved template exists in Portuguese and English: a Portuguese-speaking
    client gets pt_BR, an English-speaking one en_US; a language the template lacks
    falls back to the practice's first, never one Meta would refuse (132001)."""
    _smtp, wa, _tw = wired
    wa.rules.templates[("lembrete_sessao", "en_US")] = 3
    config.set_value(practice, "whatsapp.language", "pt_BR, en_US")
    assert config.get(practice, "whatsapp.language") == "pt_BR,en_US"
    with pytest.raises(InvalidInput):
        config.set_value(practice, "whatsapp.language", "português")
    speakers = {lang: clients.add(practice, name=f"Cliente {lang}", phone=phone,
                                  consent=[Channel.WHATSAPP], language=lang).id
                for lang, phone in (("pt_BR", "+55 11 98765-1001"), ("en", "+55 11 98765-1002"))}
    for i, client_id in enumerate(speakers.values()):
        book(practice, client_id, f"2026-11-23T{10 + i}:00")
    clock.set(local("2026-11-22T12:30"))
    outbox.Dispatcher(practice).dispatch_due()
    assert sorted((s.to[-4:], s.language) for s in wa.sent) == [
        ("1001", "pt_BR"), ("1002", "en_US")]
    assert wa.refused == []
    from app.services.messages import template_language

    assert template_language("pt_BR", "en") == "pt_BR"  # only what Meta approved
    assert template_language("pt_BR,en_GB", "en") == "en_GB"  # the language, another country
    assert template_language("en_US,pt_BR", "es") == "en_US"  # the practice's first
