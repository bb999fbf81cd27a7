"""A message for a channel that is not set up is skipped, with the setting that
fixes it; it is never a failure for the Painel. Each channel, each kind of message,
and the demo practice."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from app.models.enums import Channel
from app.services import (
    channel_setup,
    clients,
    config,
    dashboard,
    demo,
    outbox,
    reminders,
    scheduling,
    secrets,
)
from app.services.clock import FrozenClock
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import AGREED, add_service, local
from tests.fakes.smtp import SmtpServer, settings_for
from tests.fakes.twilio import FakeTwilio
from tests.fakes.whatsapp import FakeWhatsApp

EMAIL_UNSET = ("E-mail is not set up: fill in the SMTP server and the sender address in "
               "Settings › Integrations.")


def client(p: Practice) -> int:
    return clients.add(p, name="Maria Silva", phone="+55 11 98765-4321",
                       email="maria@example.com", consent=AGREED).id


def book(p: Practice, client_id: int, start: str = "2026-11-23T10:00") -> int:
    return scheduling.book(p, BookingRequest(client_id=client_id, start=local(start),
                                             service_id=add_service(p)))


def failures(p: Practice) -> list[reminders.MessageView]:
    return reminders.list_outbox(p, [outbox.MessageState.FAILED,
                                     outbox.MessageState.UNKNOWN])


def test_confirming_before_email_is_set_up_leaves_skips_not_failures(
        practice: Practice, clock: FrozenClock) -> None:
    c = client(practice)
    sessions = [book(practice, c, f"2026-11-2{d}T10:00") for d in (3, 4, 5)]
    for a in sessions:
        scheduling.confirm(practice, a)
    report = outbox.Dispatcher(practice).dispatch_due()
    assert (report.sent, report.failed) == (0, 0)  # known at once: written down skipped
    for a in sessions:
        [notice] = reminders.list_for(practice, a)
        assert (notice.kind, notice.state, notice.last_error) == (
            "confirmation", "skipped", EMAIL_UNSET)
    assert failures(practice) == []
    board = dashboard.load(practice)
    assert board.decisions == [] and board.decisions_total == 0 and board.failures == []


@pytest.mark.parametrize("channel, unset", [
    ("whatsapp", {"whatsapp.phone_number_id": ""}),
    ("whatsapp", {"token": None}),
    ("whatsapp", {"whatsapp.template": ""}),
    ("sms", {"sms.from": ""}),
    ("sms", {"token": None}),
    ("email", {"smtp.host": ""}),
    ("email", {"smtp.from": ""}),
])
def test_each_channel_missing_a_setting_skips_and_names_it(
        practice: Practice, clock: FrozenClock, channel: str, unset: dict[str, str | None]
        ) -> None:
    with SmtpServer() as smtp, FakeWhatsApp() as wa, FakeTwilio() as tw:
        values = {"smtp.host": "127.0.0.1", "smtp.port": str(smtp.port),
                  "smtp.security": "none", "smtp.from": "agenda@bemestar.example",
                  "whatsapp.api_base": wa.url,
                  "whatsapp.phone_number_id": wa.rules.phone_number_id,
                  "whatsapp.template": "lembrete_sessao", "sms.api_base": tw.url,
                  "sms.account_sid": tw.account.sid, "sms.from": "+15005550006",
                  "reminders.default": f"{channel}:60"}
        values.update({k: v for k, v in unset.items() if k != "token" and v is not None})
        for key, value in values.items():
            config.set_value(practice, key, value)
        if "token" not in unset:
            secrets.store("whatsapp.token", wa.rules.token)
            secrets.store("sms.auth_token", tw.account.token)
        a = book(practice, client(practice))
        clock.set(local("2026-11-23T09:00"))
        report = outbox.Dispatcher(practice).dispatch_due()
        assert (report.skipped, report.failed, report.sent) == (1, 0, 0)
        [m] = reminders.list_for(practice, a)
        assert m.state == "skipped"
        assert "Settings ›" in (m.last_error or "")
        fix = "integrations" if "Integrations" in (m.last_error or "") else "notifications"
        assert (m.last_error, fix) == channel_setup.readiness(practice)[Channel(channel)]
        assert smtp.received == [] and wa.sent == [] and tw.sent == []
        assert failures(practice) == []


def test_a_reminder_waits_for_a_channel_set_up_before_it_is_due(
        practice: Practice, clock: FrozenClock) -> None:
    config.set_value(practice, "reminders.default", "email:60")
    a = book(practice, client(practice))
    [m] = reminders.list_for(practice, a)
    assert m.state == "pending" and m.blocked == EMAIL_UNSET  # said at once, not later
    assert outbox.Dispatcher(practice).dispatch_due().skipped == 0  # not due yet
    with SmtpServer() as smtp:
        config.set_values(practice, settings_for(smtp))
        [m] = reminders.list_for(practice, a)
        assert m.blocked is None
        clock.set(local("2026-11-23T09:00"))
        assert outbox.Dispatcher(practice).dispatch_due().sent == 1
        assert len(smtp.received) == 1


def test_a_locked_keyring_makes_messages_wait_not_skip(
        practice: Practice, clock: FrozenClock) -> None:
    import keyring
    from keyring.backends import fail

    config.set_value(practice, "reminders.default", "whatsapp:60")
    for key, value in {"whatsapp.phone_number_id": "1234", "whatsapp.template": "t"}.items():
        config.set_value(practice, key, value)
    a = book(practice, client(practice))
    clock.set(local("2026-11-23T09:00"))
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        report = outbox.Dispatcher(practice).dispatch_due()
    finally:
        keyring.set_keyring(before)
    assert (report.deferred, report.skipped, report.failed) == (1, 0, 0)
    [m] = reminders.list_for(practice, a)
    assert m.state == "pending" and "keyring" in (m.last_error or "")
    assert m.attempts == 0


def test_a_notice_held_until_the_session_began_is_not_sent(
        practice: Practice, clock: FrozenClock) -> None:
    with SmtpServer() as smtp:
        config.set_values(practice, settings_for(smtp))
        c = client(practice)
        confirmed, cancelled = book(practice, c), book(practice, c, "2026-11-24T10:00")
        scheduling.confirm(practice, confirmed)
        scheduling.cancel(practice, cancelled, reason="Viagem", notify=True)
        clock.set(local("2026-11-24T11:00"))  # the app was closed until after both
        report = outbox.Dispatcher(practice).dispatch_due()
        assert (report.sent, report.skipped, report.failed) == (0, 2, 0)
        assert smtp.received == []
        for a in (confirmed, cancelled):
            [notice] = [m for m in reminders.list_for(practice, a) if m.kind != "reminder"]
            assert notice.state == "skipped" and "already begun" in (notice.last_error or "")


def test_the_demo_leaves_nothing_failed(practice: Practice, clock: FrozenClock) -> None:
    demo.fill(practice, today=local("2026-11-20T12:00").date())
    report = outbox.Dispatcher(practice).dispatch_due()
    assert report.failed == 0 and report.unknown == 0
    assert failures(practice) == []
    skipped = reminders.list_outbox(practice, [outbox.MessageState.SKIPPED])
    assert any(m.last_error == EMAIL_UNSET for m in skipped)
    board = dashboard.load(practice)
    assert board.failures == [] and board.decisions == []
    clock.advance(timedelta(days=3))
    assert outbox.Dispatcher(practice).dispatch_due().failed == 0


def test_failures_are_grouped_by_cause_with_true_counts_and_one_action_each(
        practice: Practice, clock: FrozenClock) -> None:
    from app.services import channel_checks, failures

    with SmtpServer() as smtp:
        config.set_values(practice, settings_for(smtp))
        c = client(practice)
        other = clients.add(practice, name="João Souza", phone="+55 11 97777-1234",
                            email="joao@nowhere.example", consent=AGREED).id
        login = [book(practice, c, f"2026-11-2{d}T10:00") for d in (3, 4, 5)]
        refused = book(practice, other, "2026-11-26T10:00")
        smtp.handler.login_required = True
        for a in login:
            scheduling.confirm(practice, a)
        outbox.Dispatcher(practice).dispatch_due()
        # The server's refusal is the channel's: one message fails, the others wait.
        board = dashboard.load(practice)
        assert [(g.channel, g.code, g.count) for g in board.failures] == [
            ("email", "login_required", 1)]
        assert [(g.channel, g.cause, g.count) for g in board.blocked] == [
            ("email", failures.STOPPED, 2)]
        smtp.handler.login_required = False
        clock.advance(timedelta(minutes=1))
        channel_checks.record(practice, "email", True, "Logged in.")  # Testar, once fixed
        smtp.handler.refuse.add("joao@nowhere.example")
        scheduling.confirm(practice, refused)
        report = outbox.Dispatcher(practice).dispatch_due()
        assert (report.sent, report.failed) == (2, 1)

        groups = dashboard.load(practice).failures
        assert [(g.channel, g.code, g.count, g.fix) for g in groups] == [
            ("email", "login_required", 1, "integrations"), ("email", "recipient", 1, None)]
        assert "log in" in (groups[0].newest.last_error or "")
        assert groups[0].newest.appointment_id == login[0]

        # One more fails after the person looked: the group's action leaves it alone.
        late = book(practice, c, "2026-11-27T10:00")
        smtp.handler.login_required = True
        scheduling.confirm(practice, late)
        outbox.Dispatcher(practice).dispatch_due()
        smtp.handler.login_required = False
        # "Try all again" says the cause was fixed: the channel is tried again.
        assert failures.retry_group(practice, groups[0].key) == 1
        assert outbox.Dispatcher(practice).dispatch_due().sent == 1
        assert sorted(r.recipients[0] for r in smtp.received) == ["maria@example.com"] * 3
        [left, joao] = dashboard.load(practice).failures
        assert (left.code, left.count, left.newest.appointment_id) == (
            "login_required", 1, late)
        assert failures.dismiss_group(practice, joao.key) == 1
        [notice] = reminders.list_for(practice, refused)
        assert notice.state == "cancelled"
        assert [(g.code, g.count) for g in dashboard.load(practice).failures] == [
            ("login_required", 1)]


def test_a_cancellation_notice_takes_the_channel_that_can_reach_the_client(
        practice: Practice, clock: FrozenClock) -> None:
    from app.models.outbox import MessageKind
    from app.services import history, queries

    def said(a: int) -> str:
        entry = [e for e in queries.show(practice, a).history if e.action == "cancel"][-1]
        return history.sentence(entry, ZoneInfo("America/Sao_Paulo"), "BRL")

    c = client(practice)
    nowhere, by_sms = book(practice, c), book(practice, c, "2026-11-24T10:00")
    assert reminders.notice_route_for(practice, nowhere, MessageKind.CANCELLATION) == (
        None, "Notices go by e-mail or SMS. " + EMAIL_UNSET + " " +
        channel_setup.readiness(practice)[Channel.SMS].text)
    scheduling.cancel(practice, nowhere, reason="Viagem", notify=True)
    assert said(nowhere).endswith("No channel could reach the client: see the Reminders tab.")
    [notice] = reminders.list_for(practice, nowhere)
    assert notice.state == "skipped" and EMAIL_UNSET in notice.last_error

    with FakeTwilio() as tw:
        for key, value in {"sms.api_base": tw.url, "sms.account_sid": tw.account.sid,
                           "sms.from": "+15005550006"}.items():
            config.set_value(practice, key, value)
        secrets.store("sms.auth_token", tw.account.token)
        assert reminders.notice_route_for(practice, by_sms, MessageKind.CANCELLATION) == (
            Channel.SMS, "")
        scheduling.cancel(practice, by_sms, reason="Viagem", notify=True)
        assert said(by_sms).endswith("The client is told by SMS.")
        assert outbox.Dispatcher(practice).dispatch_due().sent == 1
        assert [m.to for m in tw.sent] == ["+5511987654321"]


def test_the_test_button_says_the_same_sentence_as_the_skip(
        practice: Practice, clock: FrozenClock) -> None:
    """Integrações' test message and a skipped reminder name the same missing setting."""
    from app.services.channels import ChannelError

    with pytest.raises(ChannelError) as caught:
        outbox.send_test(practice, Channel.EMAIL, "maria@example.com")
    assert (str(caught.value), caught.value.code) == (EMAIL_UNSET, "not_configured")
    config.set_value(practice, "whatsapp.phone_number_id", "1234")
    secrets.store("whatsapp.token", "t0ken-for-the-test")
    with pytest.raises(ChannelError) as caught:
        outbox.send_test(practice, Channel.WHATSAPP, "+55 11 98765-4321")
    assert str(caught.value) == channel_setup.readiness(practice)[Channel.WHATSAPP].text
    assert "template" in str(caught.value)
