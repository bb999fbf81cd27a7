"""Conecta over real servers on loopback: the WhatsApp and Twilio fakes, an SMTP
server, and the relay taking Meta's and Twilio's webhooks for the desktop's
poller. A client's reply lands in the right card; Meta's rules hold."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from nacl.public import PrivateKey, SealedBox
from sqlmodel import select

from app.models.conecta import AttendanceStatus, DeliveryState, Direction, EntryKind, Medium
from app.models.enums import AppointmentStatus
from app.models.relay_records import RelayEvent
from app.models.tables import AuditEvent
from app.services import attendances, config, conversations, queries, relay_client, secrets
from app.services.clock import FrozenClock
from app.services.errors import InvalidInput
from app.services.outbox import Dispatcher
from app.services.practice import Practice
from tests.e2e.test_reminders import book, client
from tests.fakes import twilio
from tests.fakes.relay_server import API_KEY, APP_SECRET, LINK_SECRET, RelayServer
from tests.fakes.smtp import SmtpServer
from tests.fakes.twilio import FakeTwilio
from tests.fakes.whatsapp import FakeWhatsApp

MARIA = "5511987654321"
OUR_NUMBER = "551130001000"


@pytest.fixture
def world(practice: Practice, tmp_path: Path
          ) -> Iterator[tuple[RelayServer, FakeWhatsApp, FakeTwilio, SmtpServer]]:
    public = relay_client.keys(practice)
    with SmtpServer() as smtp, FakeWhatsApp() as wa, FakeTwilio() as tw:
        env = {"RELAY_TWILIO_ACCOUNT_SID": tw.account.sid,
               "RELAY_TWILIO_AUTH_TOKEN": tw.account.token}
        with RelayServer(tmp_path / "relay", public_key=public, env=env) as relay:
            config.set_values(practice, {
                "smtp.host": "127.0.0.1", "smtp.port": str(smtp.port), "smtp.security": "none",
                "smtp.from": "agenda@bemestar.example",
                "whatsapp.api_base": wa.url, "whatsapp.phone_number_id":
                wa.rules.phone_number_id, "whatsapp.template": "lembrete_sessao",
                "sms.api_base": tw.url, "sms.account_sid": tw.account.sid,
                "sms.from": "+15005550006", "relay.url": relay.url,
                "conecta.originators.whatsapp": f"+{OUR_NUMBER}"})
            secrets.store("whatsapp.token", wa.rules.token)
            secrets.store("sms.auth_token", tw.account.token)
            secrets.store("relay.api_key", API_KEY)
            secrets.store("relay.link_secret", LINK_SECRET)
            wa.rules.templates[("boas_vindas", "pt_BR")] = 1
            yield relay, wa, tw, smtp


def meta(relay: RelayServer, value: dict[str, Any]) -> None:
    """Meta calling the relay's webhook, signed with the app secret."""
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{
        "id": "WABA_ID", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": OUR_NUMBER, "phone_number_id": "1098"},
            **value}}]}]}).encode()
    digest = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    r = requests.post(f"{relay.url}/webhooks/whatsapp", data=body, timeout=5, headers={
        "X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"})
    assert r.status_code == 200, r.text


def says(wa_id: str, wamid: str, text: str, name: str = "Maria Silva") -> dict[str, Any]:
    return {"contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": wamid, "timestamp": str(int(time.time())),
                          "type": "text", "text": {"body": text}}]}


def status(wamid: str, state: str, code: int | None = None) -> dict[str, Any]:
    one: dict[str, Any] = {"id": wamid, "status": state, "timestamp": str(int(time.time())),
                           "recipient_id": MARIA}
    if code:
        one["errors"] = [{"code": code, "title": "Re-engagement message",
                          "message": "Re-engagement message"}]
    return {"statuses": [one]}


def poll(p: Practice) -> None:
    relay_client.Poller(p).poll_once()


def thread(p: Practice, attendance_id: int) -> list[conversations.Entry]:
    return list(conversations.detail(p, attendance_id).entries)


def test_whatsapp_conversation(practice: Practice, world: tuple) -> None:
    relay, wa, _tw, _smtp = world
    a = attendances.start(practice, medium="whatsapp", name="Maria Silva", phone="11987654321",
                          originator=f"+{OUR_NUMBER}")
    with pytest.raises(InvalidInput, match="approved template"):
        conversations.send_text(practice, a, "Olá!")
    t = conversations.save_template(practice, name="boas_vindas", language="pt_BR",
                                    body="Olá {{1}}! Podemos ajudar?", labels=["Nome"])
    conversations.deliver(practice, conversations.send_template(practice, a, t, ["Maria"]))
    [sent] = wa.sent
    assert (sent.to, sent.type, sent.template, sent.parameters) == (
        MARIA, "template", "boas_vindas", ["Maria"])
    [mine] = thread(practice, a)
    assert mine.state is DeliveryState.SENT

    # Meta reports delivery, then reading; a late "delivered" does not move it back.
    for state in ("delivered", "read", "delivered"):
        meta(relay, status(sent.id, state))
    poll(practice)
    assert thread(practice, a)[0].state is DeliveryState.READ

    # The client answers: the reply lands in this card and opens the window.
    meta(relay, says(MARIA, "wamid.IN1", "Oi! Quero remarcar."))
    meta(relay, says(MARIA, "wamid.IN1", "Oi! Quero remarcar."))  # Meta retries
    meta(relay, says("5521999998888", "wamid.IN2", "Bom dia", name="João"))
    poll(practice)
    entries = thread(practice, a)
    assert [(e.direction, e.body) for e in entries] == [
        (Direction.OUTBOUND, "Olá Maria! Podemos ajudar?"),
        (Direction.INBOUND, "Oi! Quero remarcar.")]
    assert attendances.card(practice, a).unread == 1
    other = [c for c in attendances.cards(practice) if c.id != a]
    assert [(c.name, c.phone, c.status, c.originator) for c in other] == [
        ("João", "+5521999998888", AttendanceStatus.PENDING, f"+{OUR_NUMBER}")]
    assert conversations.window(practice, a).open

    # Free text now goes out.
    wa.rules.replied_within_24h.add(MARIA)
    conversations.deliver(practice, conversations.send_text(practice, a, "Claro, qual dia?"))
    assert wa.sent[-1].text == "Claro, qual dia?"

    # Meta knows better (its clock, its rule): 131047 closes the window here too.
    wa.rules.replied_within_24h.clear()
    conversations.deliver(practice, conversations.send_text(practice, a, "Quinta às 10h?"))
    last = thread(practice, a)[-1]
    assert last.state is DeliveryState.FAILED and "24 hours" in (last.error or "")
    assert conversations.window(practice, a).reason == "refused"
    with pytest.raises(InvalidInput, match="WhatsApp refused free text"):
        conversations.send_text(practice, a, "Olá?")


def test_quick_reply_confirms_the_reminders_session(practice: Practice, clock: FrozenClock,
                                                    world: tuple) -> None:
    relay, wa, _tw, _smtp = world
    config.set_value(practice, "reminders.default", "whatsapp:1440")
    session = book(practice, client(practice))
    clock.advance(timedelta(days=2, hours=1, minutes=1))  # a day before: the reminder
    Dispatcher(practice).dispatch_due()
    [reminder] = wa.sent
    meta(relay, {"contacts": [{"profile": {"name": "Maria"}, "wa_id": MARIA}],
                 "messages": [{"from": MARIA, "id": "wamid.TAP", "type": "button",
                               "timestamp": str(int(clock.now().timestamp())),
                               "context": {"from": OUR_NUMBER, "id": reminder.id},
                               "button": {"payload": "CONFIRMAR", "text": "Confirmar"}}]})
    poll(practice)
    assert queries.show(practice, session).status is AppointmentStatus.CONFIRMED
    with practice.db.read() as s:
        actors = [e.actor for e in s.exec(
            select(AuditEvent).where(AuditEvent.entity_id == session,
                                     AuditEvent.entity == "appointment",
                                     AuditEvent.action == "confirm"))]
    assert actors == ["client"]
    [card] = attendances.cards(practice)
    [tap] = thread(practice, card.id)
    assert (tap.kind, tap.body) == (EntryKind.REPLY_BUTTON, "Confirmar")
    assert card.client_id is not None  # linked by the phone
    assert conversations.window(practice, card.id).open  # a tap is a reply


def test_sms_conversation(practice: Practice, world: tuple) -> None:
    relay, _wa, tw, _smtp = world
    a = attendances.start(practice, medium="sms", name="Maria Silva", phone="11987654321",
                          originator="+15005550006")
    conversations.deliver(practice, conversations.send_text(practice, a, "Sua sessão é amanhã."))
    [sms] = tw.sent
    assert (sms.to, sms.from_, sms.body) == ("+5511987654321", "+15005550006",
                                             "Sua sessão é amanhã.")
    assert sms.status_callback == f"{relay.url}/webhooks/sms"
    hook = f"{relay.url}/webhooks/sms"
    assert twilio.status(tw.account, hook, sms.sid, "delivered").status_code == 200
    reply = twilio.inbound(tw.account, hook, "SM" + "9" * 32, "+5511987654321",
                           "+15005550006", "Obrigada, estarei lá")
    assert reply.status_code == 200 and "<Response>" in reply.text
    forged = twilio.webhook(tw.account, hook, {"MessageSid": "SMx", "From": "+5511987654321",
                                               "Body": "forjada"}, token="wrong-token")
    assert forged.status_code == 401
    poll(practice)
    entries = thread(practice, a)
    assert [(e.direction, e.body, e.state) for e in entries] == [
        (Direction.OUTBOUND, "Sua sessão é amanhã.", DeliveryState.DELIVERED),
        (Direction.INBOUND, "Obrigada, estarei lá", DeliveryState.RECEIVED)]
    assert b"Obrigada" not in relay.bytes_at_rest() and b"98765" not in relay.bytes_at_rest()


def test_email_replies_are_threaded(practice: Practice, world: tuple) -> None:
    _relay, _wa, _tw, smtp = world
    a = attendances.start(practice, medium="email", name="Maria Silva",
                          email="maria@example.com", originator="agenda@bemestar.example")
    conversations.deliver(practice, conversations.send_text(
        practice, a, "Segue o recibo.", subject="Recibo de novembro"))
    conversations.deliver(practice, conversations.send_text(practice, a, "Esqueci o anexo."))
    conversations.deliver(practice, conversations.send_text(practice, a, "Agora vai."))
    first, second, third = (r.message for r in smtp.received)
    assert first["Subject"] == "Recibo de novembro" and second["Subject"] == "Recibo de novembro"
    assert first["Message-ID"].endswith("@bemestar.example>")
    assert first["In-Reply-To"] is None
    assert second["In-Reply-To"] == first["Message-ID"]
    assert third["In-Reply-To"] == second["Message-ID"]
    assert third["References"].split() == [first["Message-ID"], second["Message-ID"]]
    assert all(e.state is DeliveryState.SENT for e in thread(practice, a))
    assert attendances.card(practice, a).medium is Medium.EMAIL


def test_messages_kept_before_conecta_reach_their_cards(practice: Practice,
                                                        world: tuple) -> None:
    """WhatsApp events an earlier version took in and kept sealed are not lost: the
    first poll puts them in their cards, once."""
    private = PrivateKey(base64.b64decode(secrets.load("relay.private_key") or ""))
    old = says(MARIA, "wamid.OLD", "Mensagem de ontem")
    kept = {"message": old["messages"][0], "contacts": old["contacts"]}  # as it was sealed
    sealed = SealedBox(private.public_key).encrypt(json.dumps(kept).encode())
    with practice.db.write() as s:
        s.add(RelayEvent(id=999, kind="whatsapp_message", received_at=practice.clock.now(),
                         outcome=relay_client.KEPT, sealed=bytes(sealed)))
    poll(practice)
    poll(practice)
    [card] = attendances.cards(practice)
    assert [e.body for e in thread(practice, card.id)] == ["Mensagem de ontem"]
    with practice.db.read() as s:
        assert s.get(RelayEvent, ("", 999)).outcome == "message"  # type: ignore[union-attr]


def test_a_message_this_computer_cannot_read_waits_on_the_relay(
        practice: Practice, world: tuple) -> None:
    """The keyring lost the practice's key (a new computer, a reset): a client's
    WhatsApp message is neither dropped nor acknowledged; the poller says why, and
    it arrives once the key is back."""
    relay, _wa, _tw, _smtp = world
    import keyring

    key = secrets.load("relay.private_key")
    keyring.delete_password(secrets.SERVICE, "relay.private_key")
    meta(relay, says(MARIA, "wamid.lost1", "Posso remarcar?"))
    poller = relay_client.Poller(practice)
    result = poller.poll_once()
    assert (result.seen, result.failed) == (0, 1)
    assert poller.problem and "cannot be read with this computer's key" in poller.problem
    assert attendances.cards(practice) == []
    assert relay_client.Poller(practice).poll_once().failed == 1  # still on the relay
    secrets.store("relay.private_key", key or "")
    result = poller.poll_once()
    assert (result.applied, result.failed, poller.problem) == (1, 0, None)
    [card] = attendances.cards(practice)
    assert [e.body for e in thread(practice, card.id)] == ["Posso remarcar?"]


def test_cancelar_tapped_again_and_on_two_reminders_is_one_request(
        practice: Practice, clock: FrozenClock, world: tuple) -> None:
    relay, wa, _tw, _smtp = world
    config.set_value(practice, "reminders.default", "whatsapp:1440,whatsapp:120")
    session = book(practice, client(practice))
    clock.advance(timedelta(days=2, hours=1, minutes=1))
    Dispatcher(practice).dispatch_due()
    clock.advance(timedelta(hours=22))
    Dispatcher(practice).dispatch_due()
    day_before, same_day = wa.sent
    for n, reminder in enumerate((day_before, same_day, same_day)):
        meta(relay, {"contacts": [{"profile": {"name": "Maria"}, "wa_id": MARIA}],
                     "messages": [{"from": MARIA, "id": f"wamid.CANCEL{n}", "type": "button",
                                   "timestamp": str(int(clock.now().timestamp())),
                                   "context": {"from": OUR_NUMBER, "id": reminder.id},
                                   "button": {"payload": "CANCELAR", "text": "Cancelar"}}]})
    poll(practice)
    [request] = relay_client.pending_requests(practice)
    assert request.appointment_id == session
    relay_client.resolve(practice, request.id, "charge")
    assert queries.show(practice, session).status is AppointmentStatus.CANCELLED
    assert relay_client.pending_requests(practice) == []


@pytest.mark.parametrize("words, payload, status", [
    ("Confirmar", "CONFIRMAR", AppointmentStatus.CONFIRMED),
    ("Sim, confirmo!", "", AppointmentStatus.CONFIRMED),
    ("Não confirmo", "Não confirmo", AppointmentStatus.SCHEDULED),
    ("Sim cancelar", "Sim cancelar", AppointmentStatus.SCHEDULED),
    ("Não posso", "Não posso", "request"),
    ("Não posso ir", "NAO_POSSO_IR", "request"),
    ("Confirmar", "CANCELAR", AppointmentStatus.SCHEDULED),  # they disagree: a person reads it
])
def test_a_reminders_button_is_read_by_its_whole_words(
        practice: Practice, clock: FrozenClock, world: tuple, words: str, payload: str,
        status: object) -> None:
    relay, wa, _tw, _smtp = world
    config.set_value(practice, "reminders.default", "whatsapp:1440")
    session = book(practice, client(practice))
    clock.advance(timedelta(days=2, hours=1, minutes=1))
    Dispatcher(practice).dispatch_due()
    [reminder] = wa.sent
    meta(relay, {"contacts": [{"profile": {"name": "Maria"}, "wa_id": MARIA}],
                 "messages": [{"from": MARIA, "id": "wamid.WORDS", "type": "button",
                               "timestamp": str(int(clock.now().timestamp())),
                               "context": {"from": OUR_NUMBER, "id": reminder.id},
                               "button": {"payload": payload, "text": words}}]})
    poll(practice)
    requests_now = relay_client.pending_requests(practice)
    if status == "request":
        assert [r.appointment_id for r in requests_now] == [session]
        assert queries.show(practice, session).status is AppointmentStatus.SCHEDULED
    else:
        assert requests_now == [] and queries.show(practice, session).status is status
    [card] = attendances.cards(practice)  # the tap is in the thread either way
    assert [e.body for e in thread(practice, card.id)] == [words]
