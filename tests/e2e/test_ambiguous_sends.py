"""A send whose outcome cannot be known is never guessed. Real servers on loopback
answer late, drop the connection, fail in the ways providers and networks fail;
the reminder ends `unknown` for a person when the provider may have it, and is
tried again only when it certainly never arrived. Across every case, the provider
never receives one message twice."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from app.models.enums import Channel
from app.services import clients, config, dashboard, outbox, reminders, scheduling, secrets
from app.services.channels import email, sms, whatsapp
from app.services.clock import FrozenClock
from app.services.practice import Practice, open_practice
from app.services.scheduling import BookingRequest
from tests.conftest import AGREED, add_service, local
from tests.fakes.smtp import SmtpServer
from tests.fakes.twilio import FakeTwilio
from tests.fakes.whatsapp import FakeWhatsApp, Rules

SESSION = "2026-11-23T10:00"
DUE = "2026-11-23T09:00"  # every reminder below is due at 60 minutes before
SHORT = 0.4  # seconds: the channels' timeout while these tests run


@pytest.fixture(autouse=True)
def _short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    for channel in (whatsapp, sms, email):
        monkeypatch.setattr(channel, "TIMEOUT", SHORT)


@pytest.fixture
def wa() -> Iterator[FakeWhatsApp]:
    with FakeWhatsApp() as fake:
        yield fake


@pytest.fixture
def tw() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def wire(p: Practice, *, wa: FakeWhatsApp | None = None, tw: FakeTwilio | None = None,
         smtp: SmtpServer | None = None, channel: str) -> None:
    values = {"reminders.default": f"{channel}:60"}
    if wa:
        values |= {"whatsapp.api_base": wa.url, "whatsapp.phone_number_id":
                   wa.rules.phone_number_id, "whatsapp.template": "lembrete_sessao",
                   "whatsapp.language": "pt_BR", "whatsapp.params": "first_name,date,time"}
        secrets.store("whatsapp.token", wa.rules.token)
    if tw:
        values |= {"sms.api_base": tw.url, "sms.account_sid": tw.account.sid,
                   "sms.from": "+15005550006"}
        secrets.store("sms.auth_token", tw.account.token)
    if smtp:
        values |= {"smtp.host": "127.0.0.1", "smtp.port": str(smtp.port),
                   "smtp.security": "none", "smtp.from": "agenda@bemestar.example"}
    config.set_values(p, values)


def book(p: Practice, n: int = 0, start: str = SESSION) -> int:
    c = clients.add(p, name=f"Maria Silva {n}", phone=f"+55 11 9876{n:05d}",
                    email=f"maria{n}@example.com", consent=AGREED).id
    return scheduling.book(p, BookingRequest(client_id=c, start=local(start),
                                             service_id=add_service(p)))


def the_reminder(p: Practice, a: int) -> reminders.MessageView:
    [m] = reminders.list_for(p, a)
    return m


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nobody listens there once the socket is closed


def first_send_unknown_for_good(p: Practice, clock: FrozenClock, a: int,
                                received: object) -> reminders.MessageView:
    """Sending at DUE leaves the reminder `unknown`, for a person; later passes never
    send it. `received`: what the provider took, which stays at one message."""
    clock.set(local(DUE))
    report = outbox.Dispatcher(p).dispatch_due()
    assert (report.sent, report.retried, report.unknown) == (0, 0, 1)
    m = the_reminder(p, a)
    assert m.state == "unknown", m.last_error
    assert m.last_error and m.last_error.endswith(
        "Check with the client, then resend it or mark it as sent.")
    assert [d.id for d in dashboard.load(p).decisions] == [m.id]
    for minutes in (1, 5, 30):  # past every backoff a retry would have used
        clock.set(local(DUE) + timedelta(minutes=minutes))
        report = outbox.Dispatcher(p).dispatch_due()
        assert (report.sent, report.retried) == (0, 0)
    assert len(received) == 1  # type: ignore[arg-type]
    return the_reminder(p, a)


# ---------------------------------------------------------------- WhatsApp

def test_whatsapp_taking_the_message_but_answering_after_the_timeout_sends_it_once(
        practice: Practice, clock: FrozenClock, wa: FakeWhatsApp) -> None:
    """The handed case: Meta takes the message and answers after the app's timeout."""
    wire(practice, wa=wa, channel="whatsapp")
    a = book(practice)
    wa.after_taking.append(("late", SHORT * 3))
    m = first_send_unknown_for_good(practice, clock, a, wa.sent)
    assert m.last_error.startswith("WhatsApp did not answer within 0 seconds after the "
                                   "message was handed over")
    # The person checks with the client: it arrived.
    outbox.resolve_unknown(practice, m.id, resend=False)
    assert the_reminder(practice, a).state == "sent" and len(wa.sent) == 1


def test_whatsapp_dropping_the_connection_after_taking_the_message_sends_it_once(
        practice: Practice, clock: FrozenClock, wa: FakeWhatsApp) -> None:
    wire(practice, wa=wa, channel="whatsapp")
    a = book(practice)
    wa.after_taking.append(("drop",))
    m = first_send_unknown_for_good(practice, clock, a, wa.sent)
    assert "connection to WhatsApp dropped" in (m.last_error or "")


@pytest.mark.parametrize("status, page", [(500, "Internal Server Error"),
                                          (502, "<html><h1>502 Bad Gateway</h1></html>"),
                                          (504, "<html>Gateway Timeout</html>")])
def test_a_whatsapp_server_error_that_does_not_say_it_failed_is_unknown(
        practice: Practice, clock: FrozenClock, wa: FakeWhatsApp, status: int,
        page: str) -> None:
    wire(practice, wa=wa, channel="whatsapp")
    a = book(practice)
    wa.after_taking.append(("answer", status, page))
    m = first_send_unknown_for_good(practice, clock, a, wa.sent)
    assert f"server error ({status})" in (m.last_error or "")


def test_a_whatsapp_success_without_a_message_id_is_unknown(
        practice: Practice, clock: FrozenClock, wa: FakeWhatsApp) -> None:
    wire(practice, wa=wa, channel="whatsapp")
    a = book(practice)
    wa.after_taking.append(("answer", 200, '{"messaging_product": "whatsapp"}'))
    first_send_unknown_for_good(practice, clock, a, wa.sent)


def test_whatsapp_failures_before_the_message_arrived_are_tried_again_and_sent_once(
        practice: Practice, clock: FrozenClock, wa: FakeWhatsApp) -> None:
    """503 (unavailable), 131000 (Meta: "failed to send", with HTTP 500): never taken."""
    wire(practice, wa=wa, channel="whatsapp")
    a = book(practice)
    wa.refuse_first.append((503, {"error": {"message": "Service Unavailable", "code": 2}}))
    wa.rules.fail_next.append(131000)
    clock.set(local(DUE))
    dispatcher = outbox.Dispatcher(practice)
    assert dispatcher.dispatch_due().retried == 1
    m = the_reminder(practice, a)
    assert m.state == "pending" and "It will be tried again." in (m.last_error or "")
    clock.set(local(DUE) + timedelta(minutes=1))
    assert dispatcher.dispatch_due().retried == 1
    clock.set(local(DUE) + timedelta(minutes=3))
    assert dispatcher.dispatch_due().sent == 1
    assert len(wa.sent) == 1 and wa.requests == 3


def test_a_refused_connection_and_a_failed_handshake_are_tried_again(
        practice: Practice, clock: FrozenClock, wa: FakeWhatsApp) -> None:
    wire(practice, wa=wa, channel="whatsapp")
    a = book(practice)
    clock.set(local(DUE))
    for base in (f"http://127.0.0.1:{closed_port()}",  # nobody listens
                 wa.url.replace("http://", "https://")):  # TLS to a plain server
        config.set_value(practice, "whatsapp.api_base", base)
        report = outbox.Dispatcher(practice).dispatch_due()
        assert (report.retried, report.unknown) == (1, 0), base
        m = the_reminder(practice, a)
        assert m.state == "pending" and "WhatsApp could not be reached" in (m.last_error or "")
        clock.set(clock.now() + timedelta(minutes=5))
    config.set_value(practice, "whatsapp.api_base", wa.url)
    assert outbox.Dispatcher(practice).dispatch_due().sent == 1
    assert len(wa.sent) == 1


def test_a_broken_tls_record_after_the_request_leaves_the_message_unknown(
        practice: Practice, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over TLS, as in production: a clean answer is sent; a TLS-inspecting proxy
    that breaks the connection after the request (an SSLError, like a failed
    handshake) leaves the next one unknown, never sent twice."""
    from tests.fakes import tls

    certificate = tls.loopback()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate.cert))
    with FakeWhatsApp(tls=certificate.server_context()) as secure:
        assert secure.url.startswith("https://")
        wire(practice, wa=secure, channel="whatsapp")
        first, second = book(practice, 1), book(practice, 2, "2026-11-23T11:00")
        secure.after_taking += [("ok",), ("bad_record",)]
        clock.set(local(DUE))
        report = outbox.Dispatcher(practice).dispatch_due()
        assert (report.sent, report.unknown, report.retried) == (1, 0, 0)
        clock.set(local("2026-11-23T10:00"))
        report = outbox.Dispatcher(practice).dispatch_due()
        assert (report.sent, report.unknown, report.retried) == (0, 1, 0)
        assert the_reminder(practice, first).state == "sent"
        m = the_reminder(practice, second)
        assert m.state == "unknown" and "dropped after the message was handed over" in (
            m.last_error or "")
        clock.set(local("2026-11-23T10:05"))
        assert outbox.Dispatcher(practice).dispatch_due().sent == 0
        assert len(secure.sent) == 2


# ---------------------------------------------------------------- Twilio

@pytest.mark.parametrize("mishap, words", [
    (("late", SHORT * 3), "Twilio did not answer within"),
    (("drop",), "connection to Twilio dropped"),
    (("answer", 500, '{"code": 20500, "message": "An internal server error has occurred",'
      ' "status": 500}'), "server error (500)"),
    (("answer", 201, "{}"), "answered OK without a message id"),
])
def test_an_sms_twilio_may_have_taken_is_unknown(
        practice: Practice, clock: FrozenClock, tw: FakeTwilio, mishap: tuple,
        words: str) -> None:
    wire(practice, tw=tw, channel="sms")
    a = book(practice)
    tw.after_taking.append(mishap)
    m = first_send_unknown_for_good(practice, clock, a, tw.sent)
    assert words in (m.last_error or "")


def test_an_sms_twilio_could_not_take_is_tried_again(
        practice: Practice, clock: FrozenClock, tw: FakeTwilio) -> None:
    wire(practice, tw=tw, channel="sms")
    a = book(practice)
    tw.refuse_first.append((503, {"code": 20503, "message": "Service Unavailable"}))
    clock.set(local(DUE))
    assert outbox.Dispatcher(practice).dispatch_due().retried == 1
    clock.set(local(DUE) + timedelta(minutes=1))
    assert outbox.Dispatcher(practice).dispatch_due().sent == 1
    assert the_reminder(practice, a).state == "sent" and len(tw.sent) == 1


# ---------------------------------------------------------------- SMTP

def test_an_smtp_server_quiet_after_the_closing_dot_leaves_the_mail_unknown(
        practice: Practice, clock: FrozenClock, smtp: SmtpServer) -> None:
    wire(practice, smtp=smtp, channel="email")
    a = book(practice)
    smtp.handler.answer_after = SHORT * 3
    m = first_send_unknown_for_good(practice, clock, a, smtp.received)
    assert "did not answer after the message was handed over (" in (m.last_error or "")
    assert "timed out" in (m.last_error or "")


def test_an_smtp_server_dropping_the_line_after_the_data_leaves_the_mail_unknown(
        practice: Practice, clock: FrozenClock, smtp: SmtpServer) -> None:
    wire(practice, smtp=smtp, channel="email")
    a = book(practice)
    smtp.handler.drop_after_data = True
    first_send_unknown_for_good(practice, clock, a, smtp.received)


def test_a_refused_quit_after_the_mail_was_taken_is_still_sent_once(
        practice: Practice, clock: FrozenClock, smtp: SmtpServer) -> None:
    wire(practice, smtp=smtp, channel="email")
    a = book(practice)
    smtp.handler.quit_reply = "421 4.3.2 Service shutting down"
    clock.set(local(DUE))
    assert outbox.Dispatcher(practice).dispatch_due().sent == 1
    clock.set(local(DUE) + timedelta(minutes=5))
    outbox.Dispatcher(practice).dispatch_due()
    assert the_reminder(practice, a).state == "sent" and len(smtp.received) == 1


def test_an_smtp_server_that_is_not_there_is_tried_again(
        practice: Practice, clock: FrozenClock, smtp: SmtpServer) -> None:
    wire(practice, smtp=smtp, channel="email")
    config.set_value(practice, "smtp.port", str(closed_port()))
    a = book(practice)
    clock.set(local(DUE))
    assert outbox.Dispatcher(practice).dispatch_due().retried == 1
    assert "could not be reached" in (the_reminder(practice, a).last_error or "")
    config.set_value(practice, "smtp.port", str(smtp.port))
    clock.set(local(DUE) + timedelta(minutes=1))
    assert outbox.Dispatcher(practice).dispatch_due().sent == 1
    assert len(smtp.received) == 1


# ---------------------------------------------------------------- an answer after the lease

@pytest.mark.parametrize("person", ["waits", "asks to send again"])
def test_an_answer_that_comes_after_the_lease_settles_the_message(
        practice: Practice, clock: FrozenClock, wa: FakeWhatsApp,
        monkeypatch: pytest.MonkeyPatch, person: str) -> None:
    """A provider slower than the lease: another sender gives the message up as
    unknown meanwhile; the late answer then says it was sent, and a "send again"
    not yet carried out is not."""
    monkeypatch.setattr(whatsapp, "TIMEOUT", 10)
    wire(practice, wa=wa, channel="whatsapp")
    a = book(practice)
    wa.after_taking.append(("late", 1.0))
    clock.set(local(DUE))
    slow = threading.Thread(target=outbox.Dispatcher(practice).dispatch_due)
    slow.start()
    assert wa.arrived.wait(5)
    clock.set(local(DUE) + outbox.LEASE + timedelta(minutes=1))
    assert outbox.Dispatcher(practice).dispatch_due().unknown == 1
    m = the_reminder(practice, a)
    assert m.state == "unknown" and (m.last_error or "").startswith(
        "No result was recorded within 5 minutes of starting to send this message")
    if person == "asks to send again":
        outbox.resolve_unknown(practice, m.id, resend=True)
    slow.join(10)
    m = the_reminder(practice, a)
    assert (m.state, m.provider_message_id) == ("sent", wa.sent[0].id)
    clock.set(clock.now() + timedelta(minutes=5))
    assert outbox.Dispatcher(practice).dispatch_due().sent == 0
    assert len(wa.sent) == 1


def test_a_message_put_back_for_later_is_not_taken_early_by_another_sender(
        practice: Practice, clock: FrozenClock, wa: FakeWhatsApp) -> None:
    """A sender whose list of due messages went stale (another put a message back
    with a later retry time) leaves it for later: the backoff holds."""
    wire(practice, wa=wa, channel="whatsapp")
    a = book(practice)
    wa.rules.fail_next.append(131000)
    clock.set(local(DUE))
    assert outbox.Dispatcher(practice).dispatch_due().retried == 1  # back for a minute
    m = the_reminder(practice, a)
    assert outbox.Dispatcher(practice).dispatch_one(m.id).as_json() == \
        outbox.Report().as_json()  # the other sender's stale list named it
    assert wa.requests == 1 and the_reminder(practice, a).state == "pending"
    clock.set(local(DUE) + timedelta(minutes=1))
    assert outbox.Dispatcher(practice).dispatch_due().sent == 1


# ---------------------------------------------------------------- never stuck

def test_a_rate_limit_that_never_lifts_ends_in_the_painel(
        practice: Practice, clock: FrozenClock, tw: FakeTwilio) -> None:
    """A cancellation notice under a limit that never lifts: after an hour of slowing
    down it counts its attempts like any temporary failure, and ends failed, for a
    person, once no try could reach the client before the session."""
    wire(practice, tw=tw, channel="sms")
    c = clients.add(practice, name="Maria Silva", phone="+55 11 98765-4321",
                    consent=[Channel.SMS]).id  # no e-mail: the notice goes by SMS
    a = scheduling.book(practice, BookingRequest(client_id=c, start=local("2026-11-20T15:00"),
                                                 service_id=add_service(practice)))
    tw.refuse_first += [(429, {"code": 20429, "message": "Too Many Requests",
                               "status": 429})] * 200
    scheduling.cancel(practice, a, reason="Viagem", notify=True)
    [notice] = [m for m in reminders.list_for(practice, a) if m.kind == "cancellation"]
    assert notice.channel == "sms"
    for _tick in range(40):  # every ten minutes, each tick a fresh worker
        outbox.Dispatcher(practice, sleep=lambda _seconds: None).dispatch_due()
        clock.set(clock.now() + timedelta(minutes=10))
    [notice] = [m for m in reminders.list_for(practice, a) if m.kind == "cancellation"]
    assert notice.state == "failed" and "Given up after" in (notice.last_error or "")
    assert notice.id in [g.newest.id for g in dashboard.load(practice).failures]
    assert tw.sent == []


# ---------------------------------------------------------------- Conecta

def test_a_conecta_message_whose_fate_is_unknown_says_so_in_the_thread(
        practice: Practice, clock: FrozenClock, wa: FakeWhatsApp) -> None:
    from app.services import attendances, conversations

    wire(practice, wa=wa, channel="whatsapp")
    wa.rules.templates[("boas_vindas", "pt_BR")] = 1
    a = attendances.start(practice, medium="whatsapp", name="Maria Silva",
                          phone="11987654321")
    t = conversations.save_template(practice, name="boas_vindas", language="pt_BR",
                                    body="Olá {{1}}! Podemos ajudar?", labels=["Nome"])
    wa.after_taking.append(("late", SHORT * 3))
    queued = conversations.send_template(practice, a, t, ["Maria"])
    assert conversations.deliver(practice, queued).unknown == 1

    def shown() -> conversations.Entry:
        [entry] = [e for e in conversations.detail(practice, a).entries
                   if e.id == queued.entry_id]
        return entry

    assert shown().state == "queued" and "may or may not have been sent" in (
        shown().error or "")
    clock.set(clock.now() + timedelta(minutes=30))
    assert outbox.Dispatcher(practice).dispatch_due().sent == 0
    [decision] = dashboard.load(practice).decisions
    assert decision.id == queued.outbox_id
    outbox.resolve_unknown(practice, decision.id, resend=False)
    assert (shown().state, shown().error) == ("sent", None) and len(wa.sent) == 1


# ---------------------------------------------------------------- two senders

def test_two_senders_on_one_database_never_send_one_message_twice(
        tmp_path: Path, clock: FrozenClock) -> None:
    """The window and `practice worker` on one database, against a slow provider."""
    folder = tmp_path / "practice"
    sessions = 10
    with FakeWhatsApp(Rules(delay=0.05)) as fake:
        p = open_practice(folder, clock=clock, actor="t", logging_on=False)
        wire(p, wa=fake, channel="whatsapp")
        config.set_value(p, "reminders.default", "whatsapp:1440")
        booked = [book(p, n, f"2026-11-24T{8 + n:02d}:00") for n in range(sessions)]
        p.close()
        clock.set(local("2026-11-23T18:00"))  # every reminder is due
        senders = [open_practice(folder, clock=clock, actor=name, logging_on=False)
                   for name in ("window", "worker")]
        start = threading.Barrier(2)
        reports: list[outbox.Report] = []

        def send(p: Practice) -> None:
            start.wait()
            reports.append(outbox.Dispatcher(p).dispatch_due())

        threads = [threading.Thread(target=send, args=(p,)) for p in senders]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for p in senders:
            p.close()
        assert len(reports) == 2 and all(r.sent > 0 for r in reports), reports
        assert sum(r.sent for r in reports) == sessions
        assert sorted(s.to for s in fake.sent) == sorted({s.to for s in fake.sent})
        assert len(fake.sent) == sessions
        p = open_practice(folder, clock=clock, actor="t", logging_on=False)
        assert {the_reminder(p, a).state for a in booked} == {"sent"}
        p.close()
