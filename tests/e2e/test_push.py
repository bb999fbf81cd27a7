"""Reminders by push notification, end to end on loopback: the real relay (uvicorn),
the desktop's services, and a fake push service that decrypts what it receives with
the browser's private key and checks the practice's VAPID signature
(tests/fakes/push.py). The phone's side — the page's script posting its
subscription — is played here by the same form POST the script sends
(tests/e2e/test_push_browser.py drives the script itself in Chromium)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlmodel import select

from app.models.enums import Channel
from app.models.push import PushSubscription
from app.services import (
    channel_checks,
    clients,
    config,
    outbox,
    push_devices,
    push_keys,
    reach,
    relay_client,
    reminders,
    scheduling,
    secrets,
)
from app.services.clock import FrozenClock
from app.services.errors import InvalidInput
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local
from tests.fakes.push import Browser, FakePushService
from tests.fakes.relay_server import API_KEY, LINK_SECRET, RelayServer

AUTH = {"Authorization": f"Bearer {API_KEY}"}


@dataclass
class Wired:
    relay: RelayServer
    push: FakePushService
    client_id: int
    session: int  # Monday 15 March 2027, 10:00 in São Paulo (the relay reads the real time)
    token: str

    def page(self, **headers: str) -> requests.Response:
        return requests.get(f"{self.relay.url}/c/{self.token}", headers=headers, timeout=5)

    def subscribe(self, browser: Browser, token: str | None = None) -> requests.Response:
        """What /push.js posts after PushManager.subscribe()."""
        return requests.post(f"{self.relay.url}/c/{token or self.token}/push",
                             data={"endpoint": browser.endpoint, "p256dh": browser.p256dh,
                                   "auth": browser.auth}, timeout=5)


@pytest.fixture
def wired(practice: Practice, tmp_path: Path) -> Iterator[Wired]:
    public = relay_client.keys(practice)
    with RelayServer(tmp_path / "relay", public_key=public,
                     push_loopback_endpoints=True) as relay, FakePushService() as push:
        config.set_value(practice, "relay.url", relay.url)
        config.set_value(practice, "smtp.from", "agenda@bemestar.example")
        secrets.store("relay.api_key", API_KEY)
        secrets.store("relay.link_secret", LINK_SECRET)
        c = clients.add(practice, name="Maria Silva", phone="+55 11 98765-4321",
                        email="maria@example.com", consent=[Channel.EMAIL],
                        language="pt_BR").id
        session = scheduling.book(practice, BookingRequest(
            client_id=c, start=local("2027-03-15T10:00"), service_id=add_service(practice)))
        token = relay_client.link(practice, session).rsplit("/", 1)[1]
        yield Wired(relay, push, c, session, token)


def poll(p: Practice) -> None:
    assert relay_client.Poller(p).poll_once().failed == 0


def phones(p: Practice, client_id: int) -> list[PushSubscription]:
    with p.db.read() as s:
        return list(s.exec(select(PushSubscription).where(
            PushSubscription.client_id == client_id).order_by(PushSubscription.id)))


def due_push(p: Practice, clock: FrozenClock, w: Wired) -> int:
    """A push reminder a day before the session, and the clock at its time."""
    row = reminders.add(p, w.session, Channel.PUSH, 1440)
    clock.set(local("2027-03-14T10:00"))  # Sunday, the day before
    return row.id


def state(p: Practice, message_id: int) -> reminders.MessageView:
    return next(m for m in reminders.list_outbox(p) if m.id == message_id)


def test_turning_on_gives_the_relay_the_key_and_the_page_offers_the_button(
        practice: Practice, wired: Wired) -> None:
    before = wired.page()
    assert "<script" not in before.text  # push not turned on: the page as it always was
    assert 'rel="manifest"' not in before.text
    assert requests.get(f"{wired.relay.url}/c/{wired.token}/manifest.webmanifest",
                        timeout=5).status_code == 404
    said = push_keys.turn_on(practice)
    assert "relay" in said and wired.relay.url in said
    public = config.get(practice, "push.public_key")
    private = secrets.load("push.private_key")
    assert public and private and push_keys.public_of(private) == public
    assert requests.get(f"{wired.relay.url}/api/v1/push-key", headers=AUTH,
                        timeout=5).json() == {"public_key": public}
    assert push_keys.turn_on(practice)  # again: the same key, given again
    assert config.get(practice, "push.public_key") == public

    page = wired.page(**{"Accept-Language": "pt-BR"})
    assert f'data-key="{public}"' in page.text
    assert "Receber lembretes neste celular" in page.text
    assert "Tela de Início" not in page.text  # not an iPhone
    # Its only script is the relay's own file: nothing inline, no handler attributes.
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/push.js" defer>']
    assert "</script>" in page.text and not re.search(r"\son[a-z]+=", page.text)
    policy = page.headers["Content-Security-Policy"]
    scripts = re.search(r"script-src ([^;]*)", policy)
    assert scripts and scripts.group(1).strip() == "'self'"
    assert "default-src 'none'" in policy and "'unsafe-eval'" not in policy
    for path in ("/push.js", "/sw.js"):
        served = requests.get(f"{wired.relay.url}{path}", timeout=5)
        assert served.status_code == 200
        assert served.headers["Content-Type"].startswith("text/javascript")
        assert served.headers["X-Content-Type-Options"] == "nosniff"
    worker = requests.get(f"{wired.relay.url}/sw.js", timeout=5).text
    assert "openWindow" in worker and "showNotification" in worker and "fetch(" not in worker

    iphone = wired.page(**{"Accept-Language": "pt-BR", "User-Agent":
                           "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) "
                           "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
                           "Mobile/15E148 Safari/604.1"})
    assert "Compartilhar" in iphone.text and "Adicionar à Tela de Início" in iphone.text
    # Added to the home screen, the page is a web app of its own (iOS asks that of a
    # page before it may ask for notifications): the manifest opens this link.
    head = page.text.split("</head>")[0]
    assert f'<link rel="manifest" href="/c/{wired.token}/manifest.webmanifest">' in head
    assert "manifest-src 'self'" in policy
    served = requests.get(f"{wired.relay.url}/c/{wired.token}/manifest.webmanifest",
                          timeout=5)
    assert served.headers["Content-Type"].startswith("application/manifest+json")
    assert served.json() == {
        "name": "Consultório Bem-Estar", "short_name": "Consultório Bem-Estar",
        "start_url": f"/c/{wired.token}", "scope": f"/c/{wired.token}",
        "display": "standalone", "lang": "pt-BR", "background_color": "#f8fafc",
        "theme_color": "#059669"}
    forged = wired.token[:-1] + ("A" if wired.token[-1] != "A" else "B")
    assert requests.get(f"{wired.relay.url}/c/{forged}/manifest.webmanifest",
                        timeout=5).status_code == 404

    checked = push_keys.check(practice)
    assert wired.relay.url in checked
    last = channel_checks.latest(practice)["push"]
    assert last.ok and last.said == checked


def test_check_says_what_is_wrong(practice: Practice, wired: Wired) -> None:
    with pytest.raises(InvalidInput, match="not turned on"):
        push_keys.check(practice)
    assert not channel_checks.latest(practice)["push"].ok
    push_keys.turn_on(practice)
    secrets.store("relay.api_key", "another-key-the-relay-does-not-know-123456")
    with pytest.raises(push_keys.PushNotReady, match="refused this computer's key"):
        push_keys.check(practice)
    assert "refused" in channel_checks.latest(practice)["push"].said


def test_a_subscribed_client_gets_the_reminder_on_the_phone(
        practice: Practice, clock: FrozenClock, wired: Wired) -> None:
    push_keys.turn_on(practice)
    wired.push.expected_key = config.get(practice, "push.public_key")
    browser = wired.push.subscribe()
    assert wired.subscribe(browser).status_code == 204
    # The relay keeps nothing readable of it: sealed to the practice's key.
    assert browser.endpoint.encode() not in wired.relay.bytes_at_rest()
    assert browser.p256dh.encode() not in wired.relay.bytes_at_rest()
    assert clients.get(practice, wired.client_id).consent["push"] is None
    poll(practice)
    consent = clients.get(practice, wired.client_id).consent["push"]
    assert consent is not None and consent.startswith("2026-11-20T12:00")
    [phone] = phones(practice, wired.client_id)
    assert (phone.endpoint, phone.p256dh, phone.auth) == \
        (browser.endpoint, browser.p256dh, browser.auth)

    message = due_push(practice, clock, wired)
    report = outbox.Dispatcher(practice).dispatch_due()
    assert report.sent == 1, report.errors
    [delivered] = wired.push.delivered
    payload = delivered.payload
    assert payload["title"] == "Practice"  # the practice's name (conftest leaves it)
    assert "amanhã" in payload["body"] and "10:00" in payload["body"], payload["body"]
    link = f"{wired.relay.url}/c/{wired.token}"
    assert payload["url"] == link
    assert [(a["action"], a["title"]) for a in payload["actions"]] == \
        [("confirm", "Confirmar"), ("cancel", "Cancelar")]
    assert delivered.urgency == "high" and 0 < delivered.ttl <= 4 * 7 * 24 * 3600
    assert delivered.claims["sub"] == "mailto:agenda@bemestar.example"
    row = state(practice, message)
    assert row.state == "sent" and row.provider_message_id and \
        row.provider_message_id.startswith(wired.push.url)
    assert phones(practice, wired.client_id)[0].last_sent_at is not None
    # Opening the link the notification names changes nothing: only its button does.
    assert requests.get(payload["url"], timeout=5).status_code == 200
    poll(practice)
    assert scheduling_status(practice, wired.session) == "scheduled"


def scheduling_status(p: Practice, appointment_id: int) -> str:
    from app.services import queries

    return queries.show(p, appointment_id).status.value


def test_a_phone_gone_is_dropped_and_the_reminder_fails_in_words(
        practice: Practice, clock: FrozenClock, wired: Wired) -> None:
    push_keys.turn_on(practice)
    browser = wired.push.subscribe()
    wired.subscribe(browser)
    poll(practice)
    browser.gone = True  # the person cleared the site's data: the push service says 410
    message = due_push(practice, clock, wired)
    report = outbox.Dispatcher(practice).dispatch_due()
    assert report.failed == 1 and report.sent == 0
    row = state(practice, message)
    assert row.state == "failed"
    assert row.last_error and "no longer accepts notifications" in row.last_error
    [phone] = phones(practice, wired.client_id)
    assert phone.dropped_at is not None and "410" in phone.dropped_reason
    assert wired.push.delivered == []
    # Sent again from the Painel: refused with why (no phone to send it to).
    with pytest.raises(InvalidInput, match="no longer takes notifications"):
        outbox.retry_failed(practice, message)
    assert state(practice, message).state == "failed"
    # Integrações: the client's doing, listed, not the channel's problem.
    [push_reach] = [r for r in reach.overview(practice) if r.channel == "push"]
    assert push_reach.state is reach.State.WORKING
    [failed] = push_reach.failed
    assert failed.clients_own and "no longer accepts notifications" in failed.reason
    # The next push reminder is not even tried: no phone is left.
    later = scheduling.book(practice, BookingRequest(
        client_id=wired.client_id, start=local("2027-03-22T10:00"),
        service_id=add_service(practice, name="Retorno")))
    added = reminders.add(practice, later, Channel.PUSH, 1440)
    clock.set(local("2027-03-21T10:00"))
    assert outbox.Dispatcher(practice).dispatch_due().skipped == 1
    assert "no longer accepts notifications" in (state(practice, added.id).last_error or "")


def test_one_phone_gone_of_two_the_other_gets_it(
        practice: Practice, clock: FrozenClock, wired: Wired) -> None:
    push_keys.turn_on(practice)
    old, new = wired.push.subscribe(), wired.push.subscribe()
    wired.subscribe(old)
    wired.subscribe(new)
    poll(practice)
    old.gone = True
    message = due_push(practice, clock, wired)
    assert outbox.Dispatcher(practice).dispatch_due().sent == 1
    assert state(practice, message).state == "sent"
    assert [d.browser for d in wired.push.delivered] == [new.id]
    by_endpoint = {ph.endpoint: ph for ph in phones(practice, wired.client_id)}
    assert by_endpoint[old.endpoint].dropped_at is not None
    assert by_endpoint[new.endpoint].dropped_at is None
    assert by_endpoint[new.endpoint].last_sent_at is not None
    # What the Ficha do Cliente reads: the live phone first, the dropped one after.
    shown = push_devices.phones(practice, wired.client_id)
    assert [(ph.push_service, ph.dropped_at is None) for ph in shown] == \
        [("127.0.0.1", True), ("127.0.0.1", False)]
    assert shown[1].dropped_reason.startswith("the push service no longer knows it")


def test_the_practices_own_words_in_the_clients_language(
        practice: Practice, clock: FrozenClock, wired: Wired) -> None:
    push_keys.turn_on(practice)
    with pytest.raises(InvalidInput, match=re.escape("{unknown} is not a field")):
        config.set_value(practice, "template.push.text", "{first_name}: {unknown}")
    config.set_value(practice, "template.push.text",
                     "{first_name}, see you {day} at {time} ({service}). <b>Bring it</b>")
    clients.update(practice, wired.client_id, language="en")
    browser = wired.push.subscribe()
    wired.subscribe(browser)
    poll(practice)
    reminders.add(practice, wired.session, Channel.PUSH, 180)
    clock.set(local("2027-03-15T07:00"))  # the same morning
    assert outbox.Dispatcher(practice).dispatch_due().sent == 1
    [delivered] = wired.push.delivered
    assert delivered.payload["body"] == \
        "Maria, see you today at 10:00\u202fAM (Psicoterapia). <b>Bring it</b>"
    assert [a["title"] for a in delivered.payload["actions"]] == ["Confirm", "Cancel"]
    assert delivered.payload["lang"] == "en"
    # The practice's words are in English (its language, conftest): a client who
    # reads Portuguese gets the built-in words in Portuguese, not English ones.
    clients.update(practice, wired.client_id, language="pt_BR")
    reminders.add(practice, wired.session, Channel.PUSH, 120)
    clock.set(local("2027-03-15T08:00"))
    assert outbox.Dispatcher(practice).dispatch_due().sent == 1
    assert wired.push.delivered[-1].payload["body"] == \
        "Sua sessão (Psicoterapia) com Professional é hoje às 10:00."
    # A reminder's own text has its fields filled.
    reminders.add(practice, wired.session, Channel.PUSH, 60, "Traga os exames às {time}.")
    clock.set(local("2027-03-15T09:00"))
    assert outbox.Dispatcher(practice).dispatch_due().sent == 1
    assert wired.push.delivered[-1].payload["body"] == "Traga os exames às 10:00."


def test_a_push_refused_for_a_session_cancelled_meanwhile_ends_quietly(
        practice: Practice, clock: FrozenClock, wired: Wired) -> None:
    """The practice cancels the session while the push service is being asked: its
    refusal ends the reminder (cancelled, with why), never a failure for the Painel."""
    push_keys.turn_on(practice)
    browser = wired.push.subscribe()
    wired.subscribe(browser)
    poll(practice)
    message = due_push(practice, clock, wired)
    handle = wired.push.handle

    def cancelling(path: str, headers: dict[str, str], raw: bytes) -> tuple[int, object]:
        scheduling.cancel(practice, wired.session, reason="Client travelling")
        return handle(path, headers, raw)

    wired.push.handle = cancelling  # type: ignore[method-assign]
    browser.answers = [400]
    outbox.Dispatcher(practice).dispatch_due()
    row = state(practice, message)
    assert row.state == "cancelled", row.last_error
    assert (row.last_error or "").endswith(
        "The session was cancelled meanwhile: the reminder ends here, nobody needs to be "
        "told.")


def test_the_push_services_other_answers(practice: Practice, clock: FrozenClock,
                                         wired: Wired) -> None:
    """429 slows the channel down and keeps the message; 503 is tried again; a
    500 that does not say what happened leaves it `unknown`, never sent twice."""
    push_keys.turn_on(practice)
    browser = wired.push.subscribe()
    wired.subscribe(browser)
    poll(practice)
    message = due_push(practice, clock, wired)
    browser.answers = [429, 503]
    waits: list[float] = []
    dispatcher = outbox.Dispatcher(practice, sleep=waits.append)
    dispatcher.dispatch_due()
    row = state(practice, message)
    assert row.state == "pending" and row.last_error and "tried again" in row.last_error
    assert waits, "the 429 paused the channel"
    clock.advance(timedelta(minutes=5))
    browser.answers = [500]
    assert dispatcher.dispatch_due().unknown == 1
    assert state(practice, message).state == "unknown"
    clock.advance(timedelta(hours=1))
    dispatcher.dispatch_due()
    assert wired.push.delivered == []  # nothing went on its own after the 500


def test_the_client_stops_from_the_page(practice: Practice, wired: Wired) -> None:
    push_keys.turn_on(practice)
    browser = wired.push.subscribe()
    wired.subscribe(browser)
    poll(practice)
    stop = requests.post(f"{wired.relay.url}/c/{wired.token}/push/stop",
                         data={"endpoint": browser.endpoint}, timeout=5)
    assert stop.status_code == 204
    poll(practice)
    [phone] = phones(practice, wired.client_id)
    assert phone.dropped_at is not None and phone.dropped_reason == "stopped by the client"
    assert clients.get(practice, wired.client_id).consent["push"] is None
    # The practice cannot turn it back on; the phone can.
    with pytest.raises(InvalidInput, match="turned on by the client"):
        clients.update(practice, wired.client_id, grant=[Channel.PUSH])
    wired.subscribe(browser)
    poll(practice)
    assert phones(practice, wired.client_id)[0].dropped_at is None
    assert clients.get(practice, wired.client_id).consent["push"] is not None


def test_forged_links_and_malformed_subscriptions_store_nothing(
        practice: Practice, wired: Wired) -> None:
    push_keys.turn_on(practice)
    good = wired.push.subscribe()
    url = wired.relay.url
    forged = wired.token[:-2] + ("AA" if not wired.token.endswith("AA") else "BB")
    assert wired.subscribe(good, token=forged).status_code == 404
    assert wired.subscribe(good, token="not-a-token").status_code == 404
    fields = {"endpoint": good.endpoint, "p256dh": good.p256dh, "auth": good.auth}
    bad = [
        {**fields, "endpoint": "http://push.example.com/x"},  # not https
        {**fields, "endpoint": "https://push.example.com/" + "a" * 2048},  # too long
        {**fields, "endpoint": 'https://push.example.com/"><script>alert(1)</script>'},
        {**fields, "endpoint": "javascript:alert(1)"},
        {**fields, "endpoint": "https://user:pw@push.example.com/x"},
        {**fields, "p256dh": good.p256dh[:-4]},  # not 65 bytes
        {**fields, "p256dh": "<b>" + good.p256dh[3:]},
        # 65 bytes, x changed (y kept): not on the curve; never the key itself.
        {**fields, "p256dh": ("BA" if good.p256dh.startswith("BB") else "BB") +
         good.p256dh[2:]},
        {**fields, "auth": good.auth + "AAAA"},  # not 16 bytes
        {**fields, "auth": ""},
        {"endpoint": good.endpoint},
    ]
    # Each link may be tried 10 times a minute (as its own POST): spread over three.
    tokens = [wired.token, *(another_link(practice, wired, day) for day in (16, 17))]
    for number, body in enumerate(bad):
        answer = requests.post(f"{url}/c/{tokens[number % 3]}/push", data=body, timeout=5)
        assert answer.status_code == 422, body
        assert "<script>" not in answer.text
    as_json = requests.post(f"{url}/c/{wired.token}/push", json=fields, timeout=5)
    assert as_json.status_code == 415
    stop = requests.post(f"{url}/c/{tokens[2]}/push/stop",
                         data={"endpoint": "<img src=x>"}, timeout=5)
    assert stop.status_code == 422
    assert requests.get(f"{url}/api/v1/events", headers=AUTH, timeout=5).json()["events"] == []
    poll(practice)
    assert phones(practice, wired.client_id) == []
    assert clients.get(practice, wired.client_id).consent["push"] is None


def another_link(p: Practice, w: Wired, day: int) -> str:
    session = scheduling.book(p, BookingRequest(
        client_id=w.client_id, start=local(f"2027-03-{day}T15:00"),
        service_id=add_service(p, name=f"Sessão {day}")))
    return relay_client.link(p, session).rsplit("/", 1)[1]


def test_the_relay_takes_only_a_vapid_key(practice: Practice, wired: Wired) -> None:
    for key in ("", "not-a-key", "BAAA", "<script>", "A" * 87):
        answer = requests.put(f"{wired.relay.url}/api/v1/push-key", json={"public_key": key},
                              headers=AUTH, timeout=5)
        assert answer.status_code == 422, key
    assert requests.put(f"{wired.relay.url}/api/v1/push-key",
                        json={"public_key": push_keys.new_pair()[1]},
                        timeout=5).status_code == 401
    assert requests.get(f"{wired.relay.url}/api/v1/push-key", headers=AUTH,
                        timeout=5).json() == {"public_key": ""}


def test_repeated_subscriptions_are_rate_limited_like_the_links_post(
        practice: Practice, wired: Wired) -> None:
    push_keys.turn_on(practice)
    browser = wired.push.subscribe()
    answers = [wired.subscribe(browser).status_code for _ in range(12)]
    assert answers[:10] == [204] * 10 and answers[10:] == [429, 429]
    poll(practice)
    assert len(phones(practice, wired.client_id)) == 1  # the same phone, once


def test_the_command_line_turns_push_on_and_checks_it(
        practice: Practice, wired: Wired, data_dir: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    def practice_cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "app", *args, "--data-dir",
                               str(data_dir)], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "LANGUAGE": "en"})

    refused = practice_cli("push", "check")
    assert refused.returncode == 3 and "not turned on" in refused.stderr
    on = practice_cli("push", "on", "--json")
    assert on.returncode == 0, on.stderr
    answer = json.loads(on.stdout)
    assert answer["on"] is True and answer["public_key"] == config.get(practice,
                                                                       "push.public_key")
    checked = practice_cli("push", "check")
    assert checked.returncode == 0 and wired.relay.url in checked.stdout
    off = practice_cli("push", "off", "--json")
    assert off.returncode == 0, off.stderr
    assert json.loads(off.stdout)["on"] is False
    assert config.get(practice, "push.public_key") == ""
    assert practice_cli("push", "check").returncode == 3
    assert 'data-push="on"' not in wired.page().text
