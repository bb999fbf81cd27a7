"""The overview at the top of Integrações: for each channel and the links, set up
or not, working or not, the last test, the last message, the day's failures and
what to do next — each state reached as a practice reaches it."""

from __future__ import annotations

from datetime import timedelta

from app.models.enums import Channel
from app.services import (
    channel_checks,
    clients,
    config,
    outbox,
    reach,
    scheduling,
    secrets,
)
from app.services.clock import FrozenClock
from app.services.practice import Practice
from app.services.reach import State
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local
from tests.fakes.smtp import SmtpServer, settings_for
from tests.fakes.whatsapp import FakeWhatsApp


def by_channel(p: Practice) -> dict[str, reach.Reach]:
    return {r.channel: r for r in reach.overview(p)}


def test_a_new_practice_has_nothing_set_up_and_is_told_what_to_fill(
        practice: Practice) -> None:
    found = reach.overview(practice)
    assert [r.channel for r in found] == ["links", "whatsapp", "email", "sms", "voice", "push"]
    assert {r.state for r in found} == {State.NOT_SET_UP}
    assert all(r.check is None and r.last_sent is None and not r.failed for r in found)
    assert found[2].next_step.startswith("Not set up yet: below, type the practice's e-mail")
    assert found[0].next_step.startswith("Confirmation links are not set up")
    assert {r.fix for r in found} == {"integrations"}


def test_set_up_then_tested_then_sending(practice: Practice, clock: FrozenClock) -> None:
    with SmtpServer() as smtp:
        config.set_values(practice, settings_for(smtp))
        email = by_channel(practice)["email"]
        assert (email.state, email.next_step) == (
            State.WORKING, "Press Test below to check that it works.")
        channel_checks.record(practice, "email", False, "The server refused the password.")
        email = by_channel(practice)["email"]
        assert email.state is State.PROBLEM and not email.check.ok  # type: ignore[union-attr]
        assert email.next_step.startswith("The last test failed")
        clock.advance(timedelta(minutes=2))
        channel_checks.record(practice, "email", True, "Logged in and sent to yourself.")
        email = by_channel(practice)["email"]
        assert (email.state, email.next_step) == (State.WORKING, "Nothing to do.")
        assert email.check is not None and email.check.at == clock.now()

        c = clients.add(practice, name="Maria Silva", phone="+55 11 98765-4321",
                        email="maria@example.com",
                        consent=[Channel.EMAIL]).id
        a = scheduling.book(practice, BookingRequest(
            client_id=c, start=local("2026-11-24T10:00"), service_id=add_service(practice)))
        scheduling.confirm(practice, a)  # the confirmation goes by e-mail
        clock.advance(timedelta(minutes=1))
        assert outbox.Dispatcher(practice).dispatch_due().sent == 1
        assert by_channel(practice)["email"].last_sent == clock.now()


def test_a_template_missing_a_stopped_channel_and_a_days_failures_are_problems(
        practice: Practice, clock: FrozenClock) -> None:
    with FakeWhatsApp() as wa:
        config.set_values(practice, {"whatsapp.api_base": wa.url,
                                     "whatsapp.phone_number_id": wa.rules.phone_number_id,
                                     "reminders.default": "whatsapp:1440"})
        secrets.store("whatsapp.token", wa.rules.token)
        whatsapp = by_channel(practice)["whatsapp"]
        # Connected, but not finished: the reminders' template is chosen in Notificações.
        assert (whatsapp.state, whatsapp.fix) == (State.NOT_SET_UP, "notifications")
        assert "template" in whatsapp.next_step
        config.set_value(practice, "whatsapp.template", "lembrete_sessao")

        service = add_service(practice)
        for n, phone in enumerate(("+55 11 98765-4321", "+55 11 98765-4322")):
            c = clients.add(practice, name=f"Cliente {n}", phone=phone,
                            consent=[Channel.WHATSAPP]).id
            scheduling.book(practice, BookingRequest(
                client_id=c, start=local(f"2026-11-24T1{n}:00"), service_id=service))
        wa.rules.not_on_whatsapp.add("5511987654321")  # that message's fault only
        clock.set(local("2026-11-23T12:00"))
        report = outbox.Dispatcher(practice).dispatch_due()
        assert (report.sent, report.failed) == (1, 1)
        whatsapp = by_channel(practice)["whatsapp"]
        assert whatsapp.state is State.PROBLEM
        assert whatsapp.next_step == "1 message failed in the last 24 hours: see the Dashboard."
        [failed] = whatsapp.failed
        assert failed.count == 1 and "WhatsApp" in failed.reason
        assert whatsapp.last_sent == clock.now()
        clock.advance(timedelta(hours=25))  # a day later the failure is history
        assert by_channel(practice)["whatsapp"].state is State.WORKING

        c = clients.add(practice, name="Cliente 3", phone="+55 11 98765-4323",
                        consent=[Channel.WHATSAPP]).id
        scheduling.book(practice, BookingRequest(
            client_id=c, start=local("2026-11-25T11:00"), service_id=service))
        secrets.store("whatsapp.token", "EAAG-revoked")
        assert outbox.Dispatcher(practice).dispatch_due().failed == 1
        whatsapp = by_channel(practice)["whatsapp"]
        assert whatsapp.state is State.PROBLEM and whatsapp.fix == "integrations"
        assert whatsapp.next_step.startswith("It stopped working: ")


def test_a_relay_that_cannot_be_reached_now_is_the_links_problem(practice: Practice) -> None:
    config.set_value(practice, "relay.url", "https://relay.example.com")
    secrets.store("relay.api_key", "Zp4Hs8Qn1TfW6yRk3Lb0Mv9Xc2Jd7Gu5AeKoEi")
    secrets.store("relay.link_secret", "q7Lx2VfT9cRk0sPzW4mNbH8jYd3uGe6A1oKiXw5Cl")
    assert by_channel(practice)["links"].state is State.WORKING
    links = {r.channel: r for r in reach.overview(practice, relay_reachable=False)}["links"]
    assert (links.state, links.fix) == (State.PROBLEM, "integrations")
    assert links.next_step.startswith("The relay cannot be reached now")
    assert {r.channel: r for r in reach.overview(practice, relay_reachable=True)}[
        "links"].state is State.WORKING
