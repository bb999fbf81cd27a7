"""Client confirmation links end to end: the desktop mints the link, the client
answers on the real relay, the desktop's poller applies the answer once.
A confirmation is applied; a cancellation waits for the professional."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from app.models.enums import Channel
from app.models.outbox import ConfigEntry
from app.services import audit, clients, config, queries, relay_client, scheduling, secrets
from app.services import relay_pairing as pairing
from app.services.clock import FrozenClock
from app.services.errors import InvalidInput
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local
from tests.fakes.relay_server import API_KEY, LINK_SECRET, RelayServer


@pytest.fixture
def relay(practice: Practice, tmp_path: Path) -> Iterator[RelayServer]:
    public = relay_client.keys(practice)
    with RelayServer(tmp_path / "relay", public_key=public) as server:
        config.set_value(practice, "relay.url", server.url)
        secrets.store("relay.api_key", API_KEY)
        secrets.store("relay.link_secret", LINK_SECRET)
        yield server


@pytest.fixture
def session(practice: Practice, clock: FrozenClock) -> int:
    # The relay checks expiry against the real time; the session is in the future.
    c = clients.add(practice, name="Maria Silva", phone="+55 11 98765-4321",
                    email="maria@example.com", consent=[Channel.EMAIL]).id
    return scheduling.book(practice, BookingRequest(client_id=c, start=local("2027-03-15T10:00"),
                                                    service_id=add_service(practice)))


def tap(url: str, action: str, reason: str = "") -> requests.Response:
    return requests.post(url, data={"action": action, "reason": reason}, timeout=5)


def test_the_keys_are_made_once(practice: Practice) -> None:
    first = relay_client.keys(practice)
    assert relay_client.keys(practice) == first and len(first) == 44
    assert secrets.load("relay.private_key") is not None


def test_a_client_confirms_and_the_session_is_confirmed(practice: Practice, relay: RelayServer,
                                                        session: int) -> None:
    url = relay_client.link(practice, session)
    assert url.startswith(f"{relay.url}/c/") and len(url.rsplit("/", 1)[1]) == 28
    assert requests.get(url, timeout=5).status_code == 200  # a preview changes nothing
    poller = relay_client.Poller(practice)
    assert poller.poll_once().seen == 0
    assert tap(url, "confirm").status_code == 200
    result = poller.poll_once()
    assert (result.applied, result.seen) == (1, 1)
    view = queries.show(practice, session)
    assert view.status.value == "confirmed"
    assert (view.history[-1].actor, view.history[-1].action) == (audit.CLIENT, "confirm")
    assert poller.poll_once().seen == 0  # acknowledged, gone from the relay
    # The same event delivered again (a lost acknowledgement) changes nothing.
    from relay.store import Store

    instance = Store(relay.settings.database_url).instance
    assert not relay_client.apply_event(practice, {"id": 1, "kind": "confirmed",
                                                   "appointment_id": session}, instance)


def test_a_cancellation_waits_for_the_professional(practice: Practice, relay: RelayServer,
                                                   session: int, clock: FrozenClock) -> None:
    tap(relay_client.link(practice, session), "cancel", "Estou com febre")
    relay_client.Poller(practice).poll_once()
    assert queries.show(practice, session).status.value == "scheduled"  # nothing changed
    [request] = relay_client.pending_requests(practice)
    assert (request.kind, request.appointment_id, request.reason) == (
        "cancel", session, "Estou com febre")
    with pytest.raises(InvalidInput, match="needs a decision"):
        relay_client.resolve(practice, request.id, "dismiss")
    relay_client.resolve(practice, request.id, "charge")
    view = queries.show(practice, session)
    assert view.status.value == "cancelled" and "Estou com febre" in (view.cancellation_reason
                                                                      or "")
    assert view.charge_decision == "charge"
    assert relay_client.pending_requests(practice) == []


@pytest.mark.parametrize("decision", ["waive", "keep", "reschedule"])
def test_each_other_decision(practice: Practice, relay: RelayServer, session: int,
                             decision: str) -> None:
    tap(relay_client.link(practice, session), "cancel")
    relay_client.Poller(practice).poll_once()
    [request] = relay_client.pending_requests(practice)
    new_start = local("2027-03-16T15:00") if decision == "reschedule" else None
    new_id = relay_client.resolve(practice, request.id, decision, new_start)
    view = queries.show(practice, session)
    if decision == "waive":
        assert (view.status.value, view.charge_decision) == ("cancelled", "waive")
    elif decision == "keep":
        assert view.status.value == "scheduled"
    else:
        assert view.status.value == "rescheduled" and new_id == view.rescheduled_to
        assert queries.show(practice, new_id).start == local("2027-03-16T15:00")
    assert any(h.action == "request_decided" and h.changes["decision"] == decision
               for h in view.history)


def test_an_answer_for_a_session_no_longer_due_is_shown_not_applied(
        practice: Practice, relay: RelayServer, session: int) -> None:
    url = relay_client.link(practice, session)
    scheduling.cancel(practice, session, reason="Viagem")
    tap(url, "confirm")
    relay_client.Poller(practice).poll_once()
    assert queries.show(practice, session).status.value == "cancelled"
    [notice] = relay_client.pending_requests(practice)
    assert notice.kind == "notice" and "nothing was changed" in notice.reason
    relay_client.resolve(practice, notice.id, "dismiss")
    assert relay_client.pending_requests(practice) == []


def test_answers_after_an_acknowledgement_are_not_missed(practice: Practice,
                                                         relay: RelayServer,
                                                         session: int) -> None:
    c = queries.show(practice, session).client_id
    other = scheduling.book(practice, BookingRequest(
        client_id=c, start=local("2027-03-16T10:00"), custom_service_name="Sessão",
        duration_minutes=50))
    poller = relay_client.Poller(practice)
    tap(relay_client.link(practice, session), "confirm")
    assert poller.poll_once().applied == 1  # applied and acknowledged: gone from the relay
    tap(relay_client.link(practice, other), "confirm")
    assert poller.poll_once().applied == 1
    assert queries.show(practice, other).status.value == "confirmed"


def test_reminders_carry_the_link(practice: Practice, relay: RelayServer, session: int,
                                  clock: FrozenClock) -> None:
    from app.services import outbox
    from tests.fakes.smtp import SmtpServer
    from tests.fakes.whatsapp import FakeWhatsApp

    with SmtpServer() as smtp, FakeWhatsApp() as wa:
        config.set_values(practice, {
            "smtp.host": "127.0.0.1", "smtp.port": str(smtp.port), "smtp.security": "none",
            "smtp.from": "agenda@example.com", "whatsapp.api_base": wa.url,
            "whatsapp.phone_number_id": wa.rules.phone_number_id,
            "whatsapp.template": "lembrete_sessao"})
        secrets.store("whatsapp.token", wa.rules.token)
        clients.update(practice, queries.show(practice, session).client_id,
                       grant=[Channel.WHATSAPP])
        from app.models.enums import Channel as Ch
        from app.services import reminders

        reminders.add(practice, session, Ch.EMAIL, 60)
        reminders.add(practice, session, Ch.WHATSAPP, 1440)
        clock.set(local("2027-03-15T09:00"))
        outbox.Dispatcher(practice).dispatch_due()
        token = relay_client.link(practice, session).rsplit("/", 1)[1]
        html = next(p for p in smtp.received[0].message.walk()
                    if p.get_content_type() == "text/html").get_content()
        assert f'href="{relay.url}/c/{token}"' in html and ">Confirm<" in html
        assert wa.sent[0].button == token  # the template's URL button suffix


def test_an_sms_reminder_carries_the_link_in_its_text(practice: Practice, relay: RelayServer,
                                                      session: int, clock: FrozenClock) -> None:
    from app.services import outbox, reminders
    from tests.fakes.twilio import FakeTwilio

    with FakeTwilio() as tw:
        config.set_values(practice, {"sms.api_base": tw.url, "sms.account_sid": tw.account.sid,
                                     "sms.from": "+15005550006"})
        secrets.store("sms.auth_token", tw.account.token)
        clients.update(practice, queries.show(practice, session).client_id,
                       grant=[Channel.SMS])
        reminders.add(practice, session, Channel.SMS, 60)
        clock.set(local("2027-03-15T09:00"))
        assert outbox.Dispatcher(practice).dispatch_due().sent == 1
        [sms] = tw.sent
        assert sms.body.endswith(f"\nConfirm or cancel: {relay_client.link(practice, session)}")
        # The practice's own text with {link} in it carries it once.
        config.set_value(practice, "template.sms.text", "Oi {first_name}: {link}")
        reminders.add(practice, session, Channel.SMS, 30)
        clock.set(local("2027-03-15T09:30"))
        outbox.Dispatcher(practice).dispatch_due()
        assert tw.sent[1].body.count("/c/") == 1


def test_the_poller_waits_quietly_for_the_relay_and_reconnects(
        practice: Practice, session: int, tmp_path: Path) -> None:
    import time

    public = relay_client.keys(practice)
    server = RelayServer(tmp_path / "late", public_key=public)  # not started yet
    config.set_value(practice, "relay.url", server.url)
    secrets.store("relay.api_key", API_KEY)
    secrets.store("relay.link_secret", LINK_SECRET)
    poller = relay_client.Poller(practice)
    poller.start()
    try:
        deadline = time.monotonic() + 10
        while poller.connected is not False and time.monotonic() < deadline:
            time.sleep(0.05)
        assert poller.connected is False  # unreachable: a quiet state, no exception
        with server:
            tap(relay_client.link(practice, session), "confirm")
            deadline = time.monotonic() + 15
            while queries.show(practice, session).status.value != "confirmed":
                assert time.monotonic() < deadline, "the poller did not reconnect"
                time.sleep(0.05)
            assert poller.connected is True
    finally:
        poller.stop()


def test_without_a_keyring_the_poller_says_so_once_and_waits(
        practice: Practice, relay: RelayServer, caplog: pytest.LogCaptureFixture) -> None:
    import logging
    import time

    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # the relay's key cannot be read
    poller = relay_client.Poller(practice)
    with caplog.at_level(logging.INFO, logger="app.services.relay_client"):
        poller.start()
        try:
            deadline = time.monotonic() + 10
            while poller.connected is not False and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)
        finally:
            poller.stop()
    assert poller.connected is False
    # Said as what it is (this computer's keyring), not as the relay being down.
    assert poller.paused_by is not None and "No system keyring" in poller.paused_by
    assert [r.levelname for r in caplog.records] == ["WARNING"]  # one line, no traceback
    assert "No system keyring" in caplog.records[0].getMessage()
    assert caplog.records[0].exc_info is None


def test_without_a_relay_set_up_a_missing_keyring_is_not_news(
        practice: Practice, caplog: pytest.LogCaptureFixture) -> None:
    """A practice that never set up the relay, on a computer with no keyring: the
    poller waits quietly (no "paused" in the status bar, nothing in the log), and
    the relay's address is said to be missing, not the keyring."""
    import logging
    import time

    import keyring
    from keyring.backends import fail

    from app.services import relay_address

    keyring.set_keyring(fail.Keyring())
    poller = relay_client.Poller(practice)
    with caplog.at_level(logging.DEBUG, logger="app.services.relay_client"):
        poller.start()
        try:
            time.sleep(0.5)
        finally:
            poller.stop()
    assert (poller.connected, poller.paused_by) == (None, None)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == []
    with pytest.raises(relay_client.RelayNotConfigured, match="not set up"):
        relay_client.Poller(practice).poll_once()
    with pytest.raises(InvalidInput, match="no relay here"):
        relay_address.of(practice, "no relay here")
    with pytest.raises(InvalidInput, match="not paired"):
        pairing.check(practice)


def test_the_relay_logs_no_client_data(practice: Practice, relay: RelayServer, session: int,
                                       caplog: pytest.LogCaptureFixture) -> None:
    import json as _json
    import logging

    from tests.e2e.test_relay import WEBHOOK, signed

    with caplog.at_level(logging.DEBUG):
        tap(relay_client.link(practice, session), "cancel", "Estou com febre")
        body = _json.dumps(WEBHOOK).encode()
        requests.post(f"{relay.url}/webhooks/whatsapp", data=body, headers=signed(body),
                      timeout=5)
        relay_client.Poller(practice).poll_once()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for private in ("febre", "5511987654321", "Maria Silva", "remarcar"):
        assert private not in logged


def test_a_cancellation_whose_reason_cannot_be_read_still_reaches_the_painel(
        practice: Practice, relay: RelayServer, session: int) -> None:
    import keyring

    url = relay_client.link(practice, session)
    keyring.delete_password(secrets.SERVICE, "relay.private_key")
    assert tap(url, "cancel", "Viagem a trabalho").status_code == 200
    assert relay_client.Poller(practice).poll_once().applied == 1
    [request] = relay_client.pending_requests(practice)
    assert (request.appointment_id, request.reason) == (
        session, "(the client's reason could not be read on this computer)")


def test_a_relay_address_saved_in_plain_http_never_gets_the_key(
        practice: Practice, relay: RelayServer) -> None:
    """Written before plain HTTP to another computer was refused: the poller says
    so and sends nothing (the relay on loopback still answers)."""
    assert relay_client.Poller(practice).poll_once().applied == 0
    with practice.db.write() as s:
        entry = s.get(ConfigEntry, "relay.url")
        assert entry is not None
        entry.value = "http://relay.example.invalid"
    with pytest.raises(relay_client.RelayNotConfigured, match="unencrypted"):
        relay_client.Poller(practice).poll_once()
