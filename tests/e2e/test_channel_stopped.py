"""A channel that stops working (a token expired, a password changed) is one
problem, not one failure per message: the message that met it fails, the others
wait; one of them is tried now and then; a successful check or send brings the
channel back and the waiting messages go. The Painel shows the channel once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from app.models.enums import Channel
from app.models.outbox import MessageState
from app.services import (
    channel_checks,
    channel_health,
    clients,
    config,
    dashboard,
    failures,
    outbox,
    reminders,
    scheduling,
    secrets,
)
from app.services.clock import FrozenClock
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local
from tests.fakes.twilio import FakeTwilio
from tests.fakes.whatsapp import FakeWhatsApp

SESSIONS = 5


def book_five(p: Practice) -> list[int]:
    service = add_service(p)
    ids = []
    for n in range(SESSIONS):
        c = clients.add(p, name=f"Cliente {n}", phone=f"+55 11 98765-43{n:02d}",
                        consent=[Channel.WHATSAPP, Channel.SMS]).id
        ids.append(scheduling.book(p, BookingRequest(
            client_id=c, start=local(f"2026-11-24T{9 + n:02d}:00"), service_id=service)))
    return ids


def states(p: Practice) -> dict[str, int]:
    found: dict[str, int] = {}
    for m in reminders.list_outbox(p, list(MessageState)):
        found[m.state] = found.get(m.state, 0) + 1
    return found


@pytest.fixture
def whatsapp(practice: Practice) -> Iterator[FakeWhatsApp]:
    with FakeWhatsApp() as wa:
        for key, value in {"whatsapp.api_base": wa.url,
                           "whatsapp.phone_number_id": wa.rules.phone_number_id,
                           "whatsapp.template": "lembrete_sessao",
                           "reminders.default": "whatsapp:1440"}.items():
            config.set_value(practice, key, value)
        secrets.store("whatsapp.token", "EAAG-an-expired-token")
        yield wa


def test_an_expired_token_fails_one_message_and_holds_the_rest(
        practice: Practice, clock: FrozenClock, whatsapp: FakeWhatsApp) -> None:
    book_five(practice)
    clock.set(local("2026-11-23T14:00"))
    report = outbox.Dispatcher(practice).dispatch_due()
    assert (report.failed, report.held, report.sent) == (1, SESSIONS - 1, 0)
    assert whatsapp.refused == [190]  # Meta was asked once, not five times
    assert states(practice) == {"failed": 1, "pending": SESSIONS - 1}

    board = dashboard.load(practice)
    [stop] = [g for g in board.blocked if g.cause == failures.STOPPED]
    assert (stop.channel, stop.count, stop.fix) == ("whatsapp", SESSIONS - 1, "integrations")
    assert stop.reason.startswith("Since ") and "access token" in stop.reason
    assert f"the {SESSIONS - 1} messages waiting go out, each at its time" in stop.reason
    assert [(g.channel, g.code, g.count) for g in board.failures] == [("whatsapp", "190", 1)]

    # Before the probe interval nothing is tried; after it, one message is.
    clock.advance(timedelta(minutes=5))
    assert outbox.Dispatcher(practice).dispatch_due().held == SESSIONS - 1
    assert whatsapp.refused == [190]
    clock.advance(channel_health.PROBE_EVERY)
    report = outbox.Dispatcher(practice).dispatch_due()
    assert whatsapp.refused == [190, 190]
    assert (report.failed, report.held) == (0, SESSIONS - 1)
    assert states(practice) == {"failed": 1, "pending": SESSIONS - 1}  # the probe waits too
    [probe] = [m for m in reminders.list_outbox(practice, [MessageState.PENDING])
               if m.attempts == 0 and "waits until the channel works again" in
               (m.last_error or "")]
    assert probe is not None

    # Fixed where the app cannot see it (the keyring, from the command line): the
    # next probe goes through, and every waiting message with it.
    secrets.store("whatsapp.token", whatsapp.rules.token)
    clock.advance(channel_health.PROBE_EVERY)
    report = outbox.Dispatcher(practice).dispatch_due()
    assert (report.sent, report.held) == (SESSIONS - 1, 0)
    assert len(whatsapp.sent) == SESSIONS - 1
    assert not [g for g in dashboard.load(practice).blocked if g.cause == failures.STOPPED]


def test_a_successful_check_brings_the_channel_back_at_once(
        practice: Practice, clock: FrozenClock, whatsapp: FakeWhatsApp) -> None:
    book_five(practice)
    clock.set(local("2026-11-23T14:00"))
    outbox.Dispatcher(practice).dispatch_due()
    secrets.store("whatsapp.token", whatsapp.rules.token)
    clock.advance(timedelta(minutes=1))
    channel_checks.record(practice, "whatsapp", True, "Connected.")
    report = outbox.Dispatcher(practice).dispatch_due()
    assert (report.sent, report.held) == (SESSIONS - 1, 0)
    # The one that failed stays failed, for a person to send again from the Painel.
    assert [(g.code, g.count) for g in failures.failure_groups(practice)] == [("190", 1)]


def test_a_failed_check_does_not_bring_it_back(
        practice: Practice, clock: FrozenClock, whatsapp: FakeWhatsApp) -> None:
    book_five(practice)
    clock.set(local("2026-11-23T14:00"))
    outbox.Dispatcher(practice).dispatch_due()
    channel_checks.record(practice, "whatsapp", False, "The access token was refused.")
    clock.advance(timedelta(minutes=1))
    assert outbox.Dispatcher(practice).dispatch_due().held == SESSIONS - 1
    assert whatsapp.refused == [190]


def test_a_fault_of_one_message_is_not_the_channels(
        practice: Practice, clock: FrozenClock, whatsapp: FakeWhatsApp) -> None:
    """A number not on WhatsApp fails that message only: the others go."""
    secrets.store("whatsapp.token", whatsapp.rules.token)
    book_five(practice)
    whatsapp.rules.not_on_whatsapp.add("5511987654300")
    clock.set(local("2026-11-23T14:00"))
    report = outbox.Dispatcher(practice).dispatch_due()
    assert (report.failed, report.held, report.sent) == (1, 0, SESSIONS - 1)
    assert channel_health.stopped_now(practice) == {}


def test_a_wrong_twilio_token_stops_sms_the_same_way(
        practice: Practice, clock: FrozenClock) -> None:
    with FakeTwilio() as tw:
        for key, value in {"sms.api_base": tw.url, "sms.account_sid": tw.account.sid,
                           "sms.from": "+15005550006",
                           "reminders.default": "sms:1440"}.items():
            config.set_value(practice, key, value)
        secrets.store("sms.auth_token", "0" * 32)
        book_five(practice)
        clock.set(local("2026-11-23T14:00"))
        report = outbox.Dispatcher(practice).dispatch_due()
        assert (report.failed, report.held, report.sent) == (1, SESSIONS - 1, 0)
        [stop] = channel_health.stopped_now(practice).values()
        assert (stop.channel, stop.code) == ("sms", "20003")
        assert tw.sent == []
        [group] = [g for g in failures.blocked_groups(practice) if g.cause == failures.STOPPED]
        assert group.channel == "sms" and group.count == SESSIONS - 1


def test_a_test_message_is_the_channels_last_check_and_carries_the_button(
        practice: Practice, whatsapp: FakeWhatsApp) -> None:
    from app.services.channels import ChannelError

    with pytest.raises(ChannelError):
        outbox.send_test(practice, Channel.WHATSAPP, "+55 11 98765-4321")
    check = channel_checks.latest(practice)["whatsapp"]
    assert not check.ok and "access token" in check.said
    secrets.store("whatsapp.token", whatsapp.rules.token)
    outbox.send_test(practice, Channel.WHATSAPP, "+55 11 98765-4321")
    check = channel_checks.latest(practice)["whatsapp"]
    assert check.ok and check.said == (
        "A test message to +55 11 98765-4321 was accepted by the provider.")
    # As a reminder is sent: the template's confirmation button has its part.
    assert whatsapp.sent[-1].button == "test"
    config.set_value(practice, "reminders.confirm_button.whatsapp", "off")
    outbox.send_test(practice, Channel.WHATSAPP, "+55 11 98765-4321")
    assert whatsapp.sent[-1].button is None
