"""The relay as its users meet it: a client's phone, a mail scanner that opens
links first, the desktop polling for events, and Meta's webhook."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from nacl.public import SealedBox

from relay.config import ConfigError, from_environment
from relay.tokens import mint
from tests.fakes.postgres import PostgresCluster
from tests.fakes.relay_server import API_KEY, APP_SECRET, LINK_SECRET, VERIFY_TOKEN, RelayServer

AUTH = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture(scope="module")
def relay_cluster() -> Iterator[PostgresCluster]:
    """A server of the relay's own: what it keeps at rest is read whole, and the
    tests' shared server also holds practices' data (clients' phones included)."""
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def relay(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RelayServer]:
    """The relay on each of its databases: SQLite for one practice, PostgreSQL for a
    relay serving many."""
    if request.param == "sqlite":
        with RelayServer(tmp_path) as server:
            yield server
        return
    cluster: PostgresCluster = request.getfixturevalue("relay_cluster")
    with RelayServer(tmp_path, database_url=cluster.new_database()) as server:
        server.bytes_at_rest = cluster.bytes_at_rest  # type: ignore[method-assign]
        yield server


def link(appointment_id: int, hours_ahead: float = 24) -> str:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours_ahead)
    return mint(LINK_SECRET.encode(), appointment_id, start)


def events(relay: RelayServer, after: int = 0, wait: float = 0) -> dict:
    r = requests.get(f"{relay.url}/api/v1/events", params={"after": after, "wait": wait},
                     headers=AUTH, timeout=40)
    r.raise_for_status()
    return r.json()


def test_looking_at_a_link_changes_nothing(relay: RelayServer) -> None:
    token = link(11)
    for _ in range(5):
        page = requests.get(f"{relay.url}/c/{token}", timeout=5,
                            headers={"Accept-Language": "pt-BR,pt;q=0.9"})
        assert page.status_code == 200
        assert requests.head(f"{relay.url}/c/{token}", timeout=5).status_code == 200
    assert "Consultório Bem-Estar" in page.text and "Confirmar" in page.text
    assert "Cancelar" in page.text and "<script" not in page.text
    english = requests.get(f"{relay.url}/c/{token}", headers={"Accept-Language": "en-US"},
                           timeout=5)
    assert ">Confirm<" in english.text and 'lang="en"' in english.text
    assert events(relay)["events"] == []


def test_confirm_once_and_again(relay: RelayServer) -> None:
    token = link(12)
    first = requests.post(f"{relay.url}/c/{token}", data={"action": "confirm"},
                          headers={"Accept-Language": "en"}, timeout=5)
    assert first.status_code == 200 and "Your session is confirmed" in first.text
    again = requests.post(f"{relay.url}/c/{token}", data={"action": "confirm"},
                          headers={"Accept-Language": "en"}, timeout=5)
    assert "already confirmed" in again.text
    got = events(relay)
    assert [(e["kind"], e["appointment_id"]) for e in got["events"]] == [("confirmed", 12)]
    assert got["cursor"] == got["events"][0]["id"]
    # The client changes their mind: that reaches the practice too, once.
    for _tap in range(2):
        cancel = requests.post(f"{relay.url}/c/{token}", data={"action": "cancel"},
                               headers={"Accept-Language": "en"}, timeout=5)
    assert "already sent" in cancel.text
    assert [e["kind"] for e in events(relay)["events"]] == ["confirmed", "cancel_requested"]


def test_cancellation_reason_is_sealed(relay: RelayServer) -> None:
    token = link(13)
    requests.post(f"{relay.url}/c/{token}", timeout=5,
                  data={"action": "cancel", "reason": "Estou com febre"})
    [event] = events(relay)["events"]
    assert event["kind"] == "cancel_requested"
    opened = SealedBox(relay.private_key).decrypt(base64.b64decode(event["sealed"]))
    assert json.loads(opened) == {"reason": "Estou com febre"}
    assert b"febre" not in relay.bytes_at_rest()


def test_forged_and_expired_links(relay: RelayServer) -> None:
    token = link(14)
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    for method in (requests.get, requests.post):
        r = method(f"{relay.url}/c/{forged}", timeout=5, data={"action": "confirm"})
        assert r.status_code == 404
        assert "Este link não é válido." in r.text  # Portuguese unless asked otherwise
        assert "Traceback" not in r.text
    expired = link(15, hours_ahead=-1)
    r = requests.post(f"{relay.url}/c/{expired}", data={"action": "confirm"}, timeout=5)
    assert r.status_code == 410
    assert events(relay)["events"] == []


def test_events_need_the_key_and_ack_deletes(relay: RelayServer) -> None:
    assert requests.get(f"{relay.url}/api/v1/events", timeout=5).status_code == 401
    assert requests.get(f"{relay.url}/api/v1/events", headers={"Authorization": "Bearer no"},
                        timeout=5).status_code == 401
    requests.post(f"{relay.url}/c/{link(16)}", data={"action": "confirm"}, timeout=5)
    [event] = events(relay)["events"]
    r = requests.post(f"{relay.url}/api/v1/events/ack", json={"ids": [event["id"]]},
                      headers=AUTH, timeout=5)
    assert r.json() == {"deleted": 1}
    assert events(relay)["events"] == []


def test_long_poll_answers_as_soon_as_a_client_taps(relay: RelayServer) -> None:
    def tap() -> None:
        time.sleep(0.4)
        requests.post(f"{relay.url}/c/{link(17)}", data={"action": "confirm"}, timeout=5)

    threading.Thread(target=tap).start()
    t0 = time.monotonic()
    got = events(relay, wait=10)
    assert [e["appointment_id"] for e in got["events"]] == [17]
    assert 0.3 < time.monotonic() - t0 < 2.0
    t0 = time.monotonic()
    assert events(relay, after=got["cursor"], wait=1)["events"] == []
    assert time.monotonic() - t0 >= 0.9


def signed(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


WEBHOOK = {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{
    "field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "5511900000000", "phone_number_id": "1098"},
        "contacts": [{"profile": {"name": "Maria Silva"}, "wa_id": "5511987654321"}],
        "messages": [{"from": "5511987654321", "id": "wamid.ABC123", "timestamp": "1763720000",
                      "type": "text", "text": {"body": "Posso remarcar para quinta?"}}]}}]}]}


def test_whatsapp_webhook(relay: RelayServer) -> None:
    challenge = requests.get(f"{relay.url}/webhooks/whatsapp", timeout=5, params={
        "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "12345"})
    assert challenge.text == "12345"
    wrong = requests.get(f"{relay.url}/webhooks/whatsapp", timeout=5, params={
        "hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"})
    assert wrong.status_code == 403
    body = json.dumps(WEBHOOK).encode()
    assert requests.post(f"{relay.url}/webhooks/whatsapp", data=body, timeout=5,
                         headers=signed(body, "another")).status_code == 401
    for _ in range(3):  # Meta retries
        r = requests.post(f"{relay.url}/webhooks/whatsapp", data=body, headers=signed(body),
                          timeout=5)
        assert r.status_code == 200
    [event] = events(relay)["events"]
    assert event["kind"] == "whatsapp_message"
    opened = json.loads(SealedBox(relay.private_key).decrypt(base64.b64decode(event["sealed"])))
    assert opened["message"]["text"]["body"] == "Posso remarcar para quinta?"
    stored = relay.bytes_at_rest()
    assert b"wamid" in stored or b"relay_event" in stored  # it did look at the database
    for secret in (b"5511987654321", b"Maria Silva", b"remarcar"):
        assert secret not in stored


def test_limits(relay: RelayServer) -> None:
    big = requests.post(f"{relay.url}/c/{link(18)}", data={"action": "confirm",
                                                          "reason": "x" * 100_000}, timeout=5)
    assert big.status_code == 413
    token = link(19)
    codes = [requests.post(f"{relay.url}/c/{token}", data={"action": "confirm"},
                           timeout=5).status_code for _ in range(12)]
    assert codes[:10] == [200] * 10 and codes[10] == 429
    assert requests.get(f"{relay.url}/healthz", timeout=5).json() == {"status": "ok"}


def test_weak_or_missing_secrets_stop_start_up() -> None:
    good = {"RELAY_LINK_SECRET": LINK_SECRET, "RELAY_API_KEY": API_KEY,
            "RELAY_PUBLIC_KEY": base64.b64encode(b"k" * 32).decode()}
    for name, value in (("RELAY_LINK_SECRET", "short"), ("RELAY_API_KEY", ""),
                        ("RELAY_PUBLIC_KEY", "not-a-key")):
        with pytest.raises(ConfigError, match=name):
            from_environment({**good, name: value})
    [one] = from_environment(good).practices
    assert one.name == "Practice Desk" and one.id == "default"
    # A page the desktop could not acknowledge in one request would never be.
    for page in ("0", "1001", "lots"):
        with pytest.raises(ConfigError, match="RELAY_EVENTS_PER_PAGE must be a whole number "
                                              "from 1 to 1000"):
            from_environment({**good, "RELAY_EVENTS_PER_PAGE": page})
    assert from_environment({**good, "RELAY_EVENTS_PER_PAGE": "1000"}).events_per_page == 1000


def test_the_largest_ids_the_relay_takes_fit_its_database(relay: RelayServer) -> None:
    """PostgreSQL's integer columns are 32-bit: every id the relay accepts fits."""
    top = 2**31 - 1
    assert requests.get(f"{relay.url}/api/v1/events", params={"after": top}, headers=AUTH,
                        timeout=5).json()["events"] == []
    assert requests.post(f"{relay.url}/api/v1/events/ack", json={"ids": [top]}, headers=AUTH,
                         timeout=5).json() == {"deleted": 0}
    assert requests.post(f"{relay.url}/api/v1/sessions", headers=AUTH, timeout=5, json={
        "sessions": [{"appointment_id": top, "state": "cancelled"}]}).status_code == 200
    assert "cancel" in requests.get(f"{relay.url}/c/{link(top)}", timeout=5).text.lower()
    assert requests.post(f"{relay.url}/c/{link(top - 1)}", data={"action": "confirm"},
                         timeout=5).status_code == 200
    [event] = events(relay)["events"]
    assert event["appointment_id"] == top - 1


def test_session_notes_posted_at_once_by_two_computers_all_land(relay: RelayServer) -> None:
    """The window and the worker may tell the relay of the same sessions at the
    same moment: each request is stored whole, none fails."""
    notes = {"sessions": [{"appointment_id": n, "state": "cancelled"} for n in range(1, 201)]}
    codes: list[int] = []

    def post() -> None:
        codes.append(requests.post(f"{relay.url}/api/v1/sessions", json=notes, headers=AUTH,
                                   timeout=30).status_code)

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 6
    page = requests.get(f"{relay.url}/c/{link(200)}", timeout=5)
    assert 'value="confirm"' not in page.text
