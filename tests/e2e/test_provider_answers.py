"""An answer that retrying will not change is a failure with its cause; one that
may change is retried. SMTP against a real server on loopback, WhatsApp and
Twilio against their fakes: each answer ends the reminder as it should, with a
sentence saying what to change, and the Integrations test says the same."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.models.enums import Channel
from app.services import clients, config, outbox, reminders, scheduling, secrets
from app.services.channels import ChannelError, Outgoing, email, sms, whatsapp
from app.services.clock import FrozenClock
from app.services.errors import InvalidInput
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local
from tests.fakes.smtp import SmtpServer
from tests.fakes.twilio import FakeTwilio
from tests.fakes.whatsapp import FakeWhatsApp


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def mail_cfg(server: SmtpServer, **extra: str) -> dict[str, str]:
    return {"smtp.host": "127.0.0.1", "smtp.port": str(server.port), "smtp.security": "none",
            "smtp.user": "", "smtp.from": "agenda@bemestar.example", "smtp.from_name": "",
            **extra}


def refusal(send: object, *args: object) -> ChannelError:
    with pytest.raises(ChannelError) as caught:
        send(*args)  # type: ignore[operator]
    return caught.value


MAIL = Outgoing(to="maria@example.com", subject="Lembrete", text="Olá")


def test_a_login_on_a_server_that_offers_none_fails_at_once_in_words(
        practice: Practice, clock: FrozenClock, smtp: SmtpServer) -> None:
    """The handed case: a user set on a server with no AUTH on a plain connection."""
    config.set_values(practice, {**mail_cfg(smtp, **{"smtp.user": "agenda"}),
                                 "reminders.default": "email:60"})
    secrets.store("smtp.password", "s3cret")
    c = clients.add(practice, name="Maria Silva", phone="+55 11 98765-4321",
                    email="maria@example.com", consent=[Channel.EMAIL]).id
    a = scheduling.book(practice, BookingRequest(client_id=c, start=local("2026-11-23T10:00"),
                                                 service_id=add_service(practice)))
    clock.set(local("2026-11-23T09:00"))
    report = outbox.Dispatcher(practice).dispatch_due()
    assert (report.failed, report.retried) == (1, 0)
    [m] = reminders.list_for(practice, a)
    assert m.state == "failed" and m.last_error == (
        "The mail server does not accept a login on an unencrypted connection: choose "
        "STARTTLS or SSL in Settings › Integrations.")
    # The Integrations page's test button says the same.
    with pytest.raises(ChannelError, match="does not accept a login on an unencrypted"):
        outbox.send_test(practice, Channel.EMAIL, "maria@example.com")


def test_smtp_answers_are_sorted_into_retry_and_fail(smtp: SmtpServer) -> None:
    cfg = mail_cfg(smtp)
    smtp.handler.greylist.add("maria@example.com")
    busy = refusal(email.send, cfg, None, MAIL)
    assert busy.retry and busy.code == "450" and "just now (450)" in str(busy)
    smtp.handler.greylist.clear()

    smtp.handler.refuse.add("maria@example.com")
    gone = refusal(email.send, cfg, None, MAIL)
    assert not gone.retry and "refused the address maria@example.com" in str(gone)
    smtp.handler.refuse.clear()

    smtp.handler.refuse_senders.add("agenda@bemestar.example")
    sender = refusal(email.send, cfg, None, MAIL)
    assert not sender.retry and "sender address agenda@bemestar.example" in str(sender)
    smtp.handler.refuse_senders.clear()

    smtp.handler.reject_data = "554 5.7.1 Message refused as <b>spam</b>"
    spam = refusal(email.send, cfg, None, MAIL)
    assert not spam.retry and spam.code == "554" and "refused as <b>spam</b>" in str(spam)
    smtp.handler.reject_data = "451 4.3.0 Temporary local problem"
    assert refusal(email.send, cfg, None, MAIL).retry


def test_tls_settings_that_cannot_work_fail_at_once(smtp: SmtpServer) -> None:
    starttls = refusal(email.send, mail_cfg(smtp, **{"smtp.security": "starttls"}), None, MAIL)
    assert not starttls.retry and "does not offer STARTTLS" in str(starttls)
    wrong_port = refusal(email.send, mail_cfg(smtp, **{"smtp.security": "ssl"}), None, MAIL)
    assert not wrong_port.retry and "SSL is usually 465" in str(wrong_port)


@pytest.mark.parametrize("refusal_of", ["login_required", "relay_denied"])
def test_a_server_that_sends_only_for_users_who_log_in_says_so(
        smtp: SmtpServer, refusal_of: str) -> None:
    """Not "check the client's e-mail" nor "use the account's own address": the
    settings lack a login, and every client would be refused the same."""
    setattr(smtp.handler, refusal_of, True)
    err = refusal(email.send, mail_cfg(smtp), None, MAIL)
    assert (err.retry, err.code) == (False, "login_required")
    assert str(err) == ("The e-mail server only sends mail for those who log in: fill in the "
                        "user and password in Settings › Integrations.")


def test_a_request_timeout_is_tried_again() -> None:
    """408: the server closed the connection without taking the request."""
    with FakeWhatsApp() as wa, FakeTwilio() as tw:
        wa.refuse_first.append((408, {}))
        tw.refuse_first.append((408, {}))
        wa_err = refusal(whatsapp.send, {"whatsapp.api_base": wa.url,
                                         "whatsapp.phone_number_id": wa.rules.phone_number_id},
                         wa.rules.token, Outgoing(to="+5511987654321", text="Oi"))
        tw_err = refusal(sms.send, {"sms.api_base": tw.url, "sms.account_sid": tw.account.sid,
                                    "sms.from": "+15005550006"}, tw.account.token,
                         Outgoing(to="+5511987654321", text="Oi"))
    for err, name in ((wa_err, "WhatsApp"), (tw_err, "Twilio")):
        assert (err.retry, err.unknown, err.code) == (True, False, "408")
        assert str(err) == f"{name} gave up waiting for the request; the message waits a little."


def test_an_address_the_server_cannot_carry_is_said_so() -> None:
    """RFC 6531: joão@… needs SMTPUTF8, which this server does not offer."""
    with SmtpServer(smtputf8=False) as plain:
        err = refusal(email.send, mail_cfg(plain), None,
                      Outgoing(to="joão@exemplo.com.br", subject="Lembrete", text="Olá"))
    assert (err.retry, err.code) == (False, "smtputf8")
    assert str(err).startswith("The address joão@exemplo.com.br has letters the e-mail "
                               "server cannot carry (it lacks SMTPUTF8)")


def test_a_success_code_other_than_250_after_the_data_is_a_sent_message(
        smtp: SmtpServer) -> None:
    smtp.handler.reject_data = "251 2.0.0 Queued for later delivery"  # unusual, still 2yz
    assert email.send(mail_cfg(smtp), None, MAIL).startswith("<")


def test_a_server_that_is_not_there_is_retried(smtp: SmtpServer) -> None:
    from tests.fakes.smtp import free_port

    away = refusal(email.send, mail_cfg(smtp, **{"smtp.port": str(free_port())}), None, MAIL)
    assert away.retry and away.code == "network"


@pytest.mark.parametrize(("code", "retry", "slow", "words"), [
    (130429, True, True, "slow down"),
    (131056, True, False, "temporary problem"),  # one recipient, not the channel
    (133004, True, False, "temporary problem"),
    (131048, True, False, "temporary problem"),
    (132016, False, False, "disabled by Meta"),
    (133010, False, False, "not registered with the Cloud API"),
    (10, False, False, "lacks a permission"),
    (131009, False, False, "WhatsApp refused the message (131009"),
])
def test_whatsapp_codes(code: int, retry: bool, slow: bool, words: str) -> None:
    with FakeWhatsApp() as wa:
        wa.rules.fail_next = [code]
        cfg = {"whatsapp.api_base": wa.url, "whatsapp.phone_number_id": wa.rules.phone_number_id}
        err = refusal(whatsapp.send, cfg, wa.rules.token, Outgoing(
            to="+5511987654321", template="lembrete_sessao", parameters=["a", "b", "c"]))
    assert (err.retry, err.slow_down, err.code) == (retry, slow, str(code))
    assert words in str(err)


def test_twilio_answers() -> None:
    with FakeTwilio() as tw:
        cfg = {"sms.api_base": tw.url, "sms.account_sid": tw.account.sid,
               "sms.from": "+15005550006"}
        wrong = refusal(sms.send, cfg, "not-the-token", Outgoing(to="+5511987654321", text="Oi"))
        assert not wrong.retry and "account SID or auth token" in str(wrong)
        tw.account.unsubscribed.add("+5511987654321")
        stop = refusal(sms.send, cfg, tw.account.token, Outgoing(to="+5511987654321", text="Oi"))
        assert not stop.retry and "replied STOP" in str(stop)


def test_a_mailbox_that_takes_no_login_in_the_clear_says_so(practice: Practice) -> None:
    from app.services import mail_inbound
    from tests.fakes.imap import ImapServer

    with ImapServer() as imap:
        imap.box.login_disabled = True
        config.set_values(practice, {"imap.host": "127.0.0.1", "imap.port": str(imap.port),
                                     "imap.security": "none", "imap.user": imap.box.user})
        secrets.store("imap.password", imap.box.password)
        with pytest.raises(mail_inbound.MailUnavailable,
                           match="does not accept a login on an unencrypted connection"):
            mail_inbound.fetch(practice)
        assert imap.box.logins == 0 and imap.box.refused_logins == 0


def test_a_relay_that_answers_no_says_why(practice: Practice, tmp_path: object) -> None:
    from pathlib import Path

    from app.services import relay_client
    from tests.fakes.relay_server import API_KEY, RelayServer

    assert isinstance(tmp_path, Path)
    with RelayServer(tmp_path / "relay", public_key=relay_client.keys(practice)) as relay:
        config.set_value(practice, "relay.url", relay.url)
        secrets.store("relay.api_key", "not-the-key")
        with pytest.raises(relay_client.RelayNotConfigured, match="refused the API key"):
            relay_client.Poller(practice).poll_once()
        secrets.store("relay.api_key", API_KEY)
        config.set_value(practice, "relay.url", relay.url + "/wrong/place")
        with pytest.raises(relay_client.RelayNotConfigured, match=r"not as a Practice Desk relay"):
            relay_client.Poller(practice).poll_once()
        config.set_value(practice, "relay.url", relay.url)
        assert relay_client.Poller(practice).poll_once().seen == 0


def test_a_reminder_is_retried_while_it_can_still_help_then_given_up_in_words(
        practice: Practice, clock: FrozenClock, smtp: SmtpServer) -> None:
    from datetime import timedelta

    config.set_values(practice, {**mail_cfg(smtp), "reminders.default": "email:1440"})
    c = clients.add(practice, name="Maria Silva", phone="+55 11 98765-4321",
                    email="maria@example.com", consent=[Channel.EMAIL]).id
    a = scheduling.book(practice, BookingRequest(client_id=c, start=local("2026-11-25T10:00"),
                                                 service_id=add_service(practice)))
    smtp.handler.greylist.add("maria@example.com")
    clock.set(local("2026-11-24T10:00"))
    dispatcher = outbox.Dispatcher(practice)
    tries = 0
    while True:
        dispatcher.dispatch_due()
        [m] = reminders.list_for(practice, a)
        if m.state != "pending":
            break
        assert m.last_error and m.last_error.endswith("It will be tried again.")
        tries += 1
        clock.advance(timedelta(hours=1))
    # Retried long past six attempts, until the session was too close to help.
    assert m.state == "failed" and m.attempts > 6
    assert m.last_error is not None and "tried again" not in m.last_error
    assert m.last_error.endswith(f"Given up after {m.attempts} attempts.")
    assert clock.now() >= local("2026-11-25T08:00")


def test_an_address_saved_in_plain_http_never_gets_the_key() -> None:
    """A setting written before plain HTTP was refused: nothing leaves the computer."""
    with FakeWhatsApp() as wa, FakeTwilio() as tw:
        wa_err = refusal(whatsapp.send, {"whatsapp.api_base": "http://graph.example.invalid",
                                         "whatsapp.phone_number_id": wa.rules.phone_number_id},
                         wa.rules.token, Outgoing(to="+5511987654321", text="Oi"))
        tw_err = refusal(sms.send, {"sms.api_base": "http://api.example.invalid",
                                    "sms.account_sid": tw.account.sid,
                                    "sms.from": "+15005550006"}, tw.account.token,
                         Outgoing(to="+5511987654321", text="Oi"))
        assert wa.sent == [] and tw.sent == []
    for err, name in ((wa_err, "WhatsApp"), (tw_err, "Twilio")):
        assert (err.retry, err.unknown, err.code) == (False, False, "insecure")
        assert str(err).startswith(f"{name}'s address does not start with https://")


def test_a_mail_password_is_never_sent_unencrypted_to_another_computer(
        practice: Practice) -> None:
    """The same kind as plain http://: security "none" with a login to a remote host."""
    before = config.get_all(practice)
    for values in ({"smtp.host": "smtp.example.com", "smtp.security": "none",
                    "smtp.user": "agenda"},
                   {"imap.host": "imap.example.com", "imap.security": "none",
                    "imap.user": "agenda"}):
        with pytest.raises(InvalidInput, match="would get the password unencrypted"):
            config.set_values(practice, values)
        assert config.get_all(practice) == before
    # A relay on another computer that takes mail without a login, and loopback: fine.
    config.set_values(practice, {"smtp.host": "smtp.example.com", "smtp.security": "none"})
    config.set_values(practice, {"imap.host": "127.0.0.1", "imap.security": "none",
                                 "imap.user": "agenda"})
    # Saved before this was refused: refused at use, before any connection.
    err = refusal(email.send, {**mail_cfg(SmtpServer()), "smtp.host": "smtp.example.invalid",
                               "smtp.user": "agenda"}, "pw", MAIL)
    assert (err.retry, err.code) == (False, "insecure")
    assert "smtp.example.invalid would get the password unencrypted" in str(err)
