"""The relay as a stranger on the internet meets it: the real `practice-relay`
process, with raw sockets sending what browsers and providers never would —
endless chunked bodies, heads sent a byte at a time, characters outside ASCII
where signatures go, numbers no JSON answer can carry, other spellings of a
valid token, forged X-Forwarded-For, replayed webhooks. Each answer is a 4xx,
the relay keeps answering, and its memory stays where it was."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from nacl.public import PrivateKey

from relay.config import ConfigError, from_environment
from relay.server import Limiter
from relay.tokens import mint
from tests.fakes.relay_server import API_KEY, APP_SECRET, LINK_SECRET, VERIFY_TOKEN, RelayServer
from tests.fakes.smtp import free_port
from tests.fakes.twilio import signature as twilio_signature

ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024
AUTH = {"Authorization": f"Bearer {API_KEY}"}


@dataclass
class Relay:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def memory(self) -> int:
        """The process's resident memory, bytes."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        [line] = [x for x in status.splitlines() if x.startswith("VmRSS:")]
        return int(line.split()[1]) * 1024

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def start(folder: Path, host: str = "127.0.0.1", **env: str) -> Relay:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = folder / "relay.log"
    environment = {**os.environ, "PYTHONPATH": str(ROOT),
                   "RELAY_DATABASE_URL": f"sqlite:///{folder / 'relay.sqlite3'}",
                   "RELAY_LINK_SECRET": LINK_SECRET, "RELAY_API_KEY": API_KEY,
                   "RELAY_PUBLIC_KEY": base64.b64encode(
                       bytes(PrivateKey.generate().public_key)).decode(),
                   "RELAY_WHATSAPP_APP_SECRET": APP_SECRET,
                   "RELAY_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
                   "RELAY_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
                   "RELAY_TWILIO_AUTH_TOKEN": "9f3c2a7e4b1d8c6f0a5e2b7d4c9f1a3e",
                   "RELAY_PUBLIC_URL": f"http://127.0.0.1:{port}", **env}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "relay.server", "--host", host,
                                    "--port", str(port)],
                                   env=environment, stdout=out, stderr=subprocess.STDOUT)
    relay = Relay(process, port, log)
    deadline = time.monotonic() + 20
    while True:
        try:
            if requests.get(f"{relay.url}/healthz", timeout=1).ok:
                return relay
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the relay did not start:\n{relay.log_text()}")
        time.sleep(0.1)


def stop(relay: Relay) -> None:
    relay.process.terminate()
    relay.process.wait(timeout=10)


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Relay]:
    """Behind a trusted proxy on loopback: each test speaks from its own forwarded
    address, so each has its own rate-limit buckets."""
    server = start(tmp_path_factory.mktemp("hostile"), RELAY_HEADER_TIMEOUT="1",
                   RELAY_BODY_TIMEOUT="1", RELAY_MAX_CONNECTIONS="40",
                   RELAY_TRUSTED_PROXIES="127.0.0.1", RELAY_PER_IP_PER_MINUTE="20",
                   RELAY_API_PER_IP_PER_MINUTE="1000")
    # Warm up every route once, so memory measured after is the relay's idle.
    for _ in range(3):
        raw(server, b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                    b"X-Forwarded-For: 192.0.2.250\r\n\r\n{}")
        requests.get(f"{server.url}/c/{link(1)}", timeout=5,
                     headers={"X-Forwarded-For": "192.0.2.251"})
    yield server
    stop(server)
    assert "Traceback" not in server.log_text()


def link(appointment_id: int, hours_ahead: float = 24) -> str:
    start_at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours_ahead)
    return mint(LINK_SECRET.encode(), appointment_id, start_at)


def raw(relay: Relay, request: bytes, timeout: float = 10) -> tuple[int, bytes]:
    """Sends bytes as they are; the status code and what followed the head."""
    with socket.create_connection(("127.0.0.1", relay.port), timeout=timeout) as sock:
        sock.sendall(request)
        return answer(sock)


def answer(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), rest


def flood_chunked(relay: Relay, path: str, total: int, extra: bytes = b"") -> int:
    """Streams `total` bytes as a chunked body until the relay stops listening;
    its status code."""
    sock = socket.create_connection(("127.0.0.1", relay.port), timeout=10)
    with sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: relay\r\n".encode() + extra +
                     b"Transfer-Encoding: chunked\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n\r\n")
        block = b"x" * MiB
        chunk = f"{len(block):x}\r\n".encode() + block + b"\r\n"
        sent = 0
        try:
            while sent < total:
                sock.sendall(chunk)
                sent += len(block)
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert sent < total, "the relay read the whole body"
        try:
            return answer(sock)[0]
        except ConnectionResetError:
            return 0  # the answer was lost with the connection: say so below


ROUTES = [f"/c/{link(5)}", "/api/v1/events/ack", "/api/v1/sessions", "/webhooks/whatsapp",
          "/webhooks/sms", "/healthz"]


def test_chunked_bodies_are_cut_at_the_limit_on_every_route(relay: Relay) -> None:
    idle = relay.memory()
    # The handed case: 200 MiB chunked to Meta's webhook.
    assert flood_chunked(relay, "/webhooks/whatsapp", 200 * MiB) == 413
    for path in ROUTES:
        auth = f"Authorization: Bearer {API_KEY}\r\n".encode()
        assert flood_chunked(relay, path, 32 * MiB, auth) == 413, path
    assert relay.memory() - idle < 8 * MiB
    assert requests.get(f"{relay.url}/healthz", timeout=5).json() == {"status": "ok"}


def test_large_form_fields_are_refused_before_they_are_parsed(relay: Relay) -> None:
    idle = relay.memory()
    fields = "&".join(f"f{i}=" + "x" * MiB for i in range(300)).encode()
    # With a length that says so, and without one (chunked).
    code, _ = raw(relay, b"POST /webhooks/sms HTTP/1.1\r\nHost: r\r\nContent-Length: " +
                  str(len(fields)).encode() + b"\r\nContent-Type: "
                  b"application/x-www-form-urlencoded\r\n\r\n" + fields[:1000])
    assert code == 413
    assert flood_chunked(relay, "/webhooks/sms", 300 * MiB) == 413
    assert relay.memory() - idle < 8 * MiB


def flood_and_check_health(relay: Relay, count: int, start_of_request: bytes
                           ) -> list[socket.socket]:
    """`count` connections each sending `start_of_request` and no more; then the
    relay must still answer /healthz within three seconds."""
    slow = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", relay.port), timeout=5)
        sock.sendall(start_of_request)
        slow.append(sock)
    started = time.monotonic()
    assert requests.get(f"{relay.url}/healthz", timeout=5).status_code == 200
    assert time.monotonic() - started < 3
    return slow


def test_slow_heads_are_closed_and_the_relay_keeps_answering(relay: Relay) -> None:
    # Five times the relay's connection limit.
    slow = flood_and_check_health(relay, 200, b"GET /healthz HTTP/1.1\r\nHost: r\r\nX-Slow: ")
    time.sleep(2.5)  # past the one-second head timeout
    closed = 0
    for sock in slow:
        sock.settimeout(2)
        try:
            closed += sock.recv(100) == b""
        except (ConnectionResetError, TimeoutError):
            closed += 1
        sock.close()
    assert closed == 200
    assert requests.get(f"{relay.url}/healthz", timeout=5).status_code == 200


def test_a_slow_body_gets_408_and_a_client_leaving_mid_body_one_quiet_line(
        relay: Relay) -> None:
    with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as sock:
        sock.sendall(b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: r\r\nContent-Length: 1000"
                     b"\r\n\r\n{\"entry\":")
        started = time.monotonic()
        assert answer(sock)[0] == 408
        assert time.monotonic() - started < 5
    with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as sock:
        sock.sendall(b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: r\r\nContent-Length: 1000"
                     b"\r\n\r\n{\"entry\":")
        time.sleep(0.2)
    time.sleep(0.5)
    log = relay.log_text()
    assert "went away before sending its whole request" in log
    assert "Traceback" not in log and "Exception in ASGI" not in log


def test_characters_outside_ascii_where_secrets_go_are_refused(relay: Relay) -> None:
    body = b'{"entry":[]}'
    for header in (b"X-Hub-Signature-256: sha256=\xc3\xa9\xff",
                   b"X-Hub-Signature-256: sha256=" + "é".encode() * 32):
        code, _ = raw(relay, b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: r\r\n" + header +
                      b"\r\nContent-Length: 12\r\n\r\n" + body)
        assert code == 401
    form = b"AccountSid=AC" + b"0" * 32 + b"&Body=oi"
    for header in (b"X-Twilio-Signature: \xc3\xa9\xc3\xa9", b"X-Twilio-Signature: " +
                   "ç".encode() * 14):
        code, _ = raw(relay, b"POST /webhooks/sms HTTP/1.1\r\nHost: r\r\n" + header +
                      b"\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: " + str(len(form)).encode() + b"\r\n\r\n" + form)
        assert code == 401
    for token in ("%C3%A9", "é" * 20, "\udcff".encode("utf-8", "surrogateescape").decode(
            "latin-1")):
        r = requests.get(f"{relay.url}/webhooks/whatsapp", timeout=5, params={
            "hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1"})
        assert r.status_code == 403
    code, _ = raw(relay, "GET /webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=\xe9"
                  "&hub.challenge=1 HTTP/1.1\r\nHost: r\r\n\r\n".encode("latin-1"))
    assert code in (400, 403)
    code, _ = raw(relay, b"GET /api/v1/events HTTP/1.1\r\nHost: r\r\n"
                  b"Authorization: Bearer \xc3\xa9\xff\r\n\r\n")
    assert code == 401


def test_numbers_too_large_are_422_and_the_key_comes_before_the_body(relay: Relay) -> None:
    ack = f"{relay.url}/api/v1/events/ack"
    for body in ('{"ids":[1e400]}', '{"ids":[100000000000000000000000000000]}',
                 '{"ids":[-1e400]}', '{"ids":[NaN]}', '{"ids":' + "[" * 5000 + "]" * 5000 + "}"):
        r = requests.post(ack, data=body, timeout=5, headers={
            **AUTH, "Content-Type": "application/json", "X-Forwarded-For": "198.51.100.1"})
        assert r.status_code in (400, 422), body
        assert {"error", "detail"} & set(r.json())
    # Without the key nothing is read: even a body that is not JSON gets 401.
    for body in ('{"ids":[1e400]}', "not json at all {"):
        r = requests.post(ack, data=body, timeout=5, headers={
            "Content-Type": "application/json", "X-Forwarded-For": "198.51.100.2"})
        assert r.status_code == 401
    for params in ({"wait": "1e400"}, {"after": "1e400"}, {"wait": "nan"}, {"wait": "-inf"},
                   {"after": str(10**40)}):
        r = requests.get(f"{relay.url}/api/v1/events", params=params, timeout=5,
                         headers={**AUTH, "X-Forwarded-For": "198.51.100.3"})
        assert r.status_code == 422, params
    sessions = {"sessions": [{"appointment_id": 10**30, "state": "cancelled"}]}
    r = requests.post(f"{relay.url}/api/v1/sessions", json=sessions, timeout=5,
                      headers={**AUTH, "X-Forwarded-For": "198.51.100.4"})
    assert r.status_code == 422


def spellings(token: str) -> list[str]:
    """Other ways of writing a token that lenient base64 decoders accept."""
    middle = len(token) // 2
    found = [token[:middle] + c + token[middle:] for c in (".", "!", "~", "=", "%00", "%20")]
    found += [token + "=", token + "==", token + "%0A", " " + token]
    found += [token.replace("-", "+").replace("_", "/")] if set("-_") & set(token) else []
    return found


def test_a_token_has_one_spelling(relay: Relay) -> None:
    token = next(t for t in (link(n) for n in range(100, 5000)) if set("-_") & set(t))
    headers = {"X-Forwarded-For": "198.51.100.10"}
    assert requests.get(f"{relay.url}/c/{token}", headers=headers, timeout=5).status_code \
        == 200
    for other in spellings(token):
        got = requests.get(f"{relay.url}/c/{other}", headers=headers, timeout=5)
        assert got.status_code == 404, other
        posted = requests.post(f"{relay.url}/c/{other}", data={"action": "confirm"},
                               headers={"X-Forwarded-For": "198.51.100.11"}, timeout=5)
        assert posted.status_code == 404, other


def test_forwarded_addresses_are_believed_only_from_trusted_proxies(
        relay: Relay, tmp_path: Path) -> None:
    # Behind the trusted proxy: each client has its own bucket...
    for n in range(30):
        r = requests.get(f"{relay.url}/c/{link(7)}", timeout=5,
                         headers={"X-Forwarded-For": f"203.0.113.{n}"})
        assert r.status_code == 200
    # ...and what a client writes to the left of the proxy's entry changes nothing.
    codes = [requests.get(f"{relay.url}/c/{link(7)}", timeout=5, headers={
        "X-Forwarded-For": f"10.9.{n}.1, 203.0.113.200"}).status_code for n in range(25)]
    assert codes[:20] == [200] * 20 and set(codes[20:]) == {429}
    # A relay told of no proxy ignores the header: a client on loopback inventing
    # a new address each time is limited all the same, and the log says how to
    # tell the relay of its proxy.
    plain = start(tmp_path / "plain", RELAY_PER_IP_PER_MINUTE="5",
                  RELAY_API_PER_IP_PER_MINUTE="10")
    try:
        codes = [requests.get(f"{plain.url}/c/{link(8)}", timeout=5, headers={
            "X-Forwarded-For": f"198.18.0.{n}"}).status_code for n in range(7)]
        assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}
        assert "RELAY_TRUSTED_PROXIES does not list it" in plain.log_text()
        # The API is limited by key; strangers at the desktop's address (a shared
        # proxy) cannot use up its budget: they get 401 before any counting.
        for _ in range(50):
            assert requests.get(f"{plain.url}/api/v1/events", timeout=5).status_code == 401
        codes = [requests.get(f"{plain.url}/api/v1/events", headers=AUTH,
                              timeout=5).status_code for _ in range(12)]
        assert codes[:10] == [200] * 10 and set(codes[10:]) == {429}
    finally:
        stop(plain)


def test_the_limiter_forgets_quiet_addresses() -> None:
    limiter = Limiter(per_minute=5)
    for n in range(10_000):
        limiter.retry_after(f"198.51.{n // 256}.{n % 256}")
    assert len(limiter.hits) == 10_000
    limiter.prune(time.monotonic() + 61)
    assert limiter.hits == {}


def whatsapp_body(wamid: str) -> bytes:
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "W", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "5511900000000", "phone_number_id": "1098"},
            "statuses": [{"id": wamid, "status": "delivered", "timestamp": "1763720000",
                          "recipient_id": "5511987654321"}],
            "messages": [{"from": "5511987654321", "id": wamid + "-in",
                          "timestamp": "1763720000", "type": "text",
                          "text": {"body": "oi"}}]}}]}]}).encode()


def test_a_webhook_replayed_after_the_desktop_took_it_is_not_queued_again(
        tmp_path: Path) -> None:
    sid, token = "AC" + "1" * 32, "0b7e4d1a8c5f2e9b6d3a0c7f4e1b8d5a"
    with RelayServer(tmp_path, env={"RELAY_TWILIO_ACCOUNT_SID": sid,
                                    "RELAY_TWILIO_AUTH_TOKEN": token}) as server:
        body = whatsapp_body("wamid.REPLAY")
        digest = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        meta = {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}
        sms = {"AccountSid": sid, "MessageSid": "SM" + "2" * 32, "From": "+5511987654321",
               "To": "+5511900000000", "Body": "oi"}
        sms_status = {"AccountSid": sid, "MessageSid": "SM" + "3" * 32,
                      "MessageStatus": "delivered"}

        def deliver() -> None:
            assert requests.post(f"{server.url}/webhooks/whatsapp", data=body, headers=meta,
                                 timeout=5).status_code == 200
            url = f"{server.url}/webhooks/sms"
            for form in (sms, sms_status):
                assert requests.post(url, data=form, timeout=5, headers={
                    "X-Twilio-Signature": twilio_signature(token, url, form)}).status_code == 200

        deliver()
        taken = requests.get(f"{server.url}/api/v1/events", headers=AUTH, timeout=5).json()
        assert sorted(e["kind"] for e in taken["events"]) == [
            "sms_message", "sms_status", "whatsapp_message", "whatsapp_status"]
        ids = [e["id"] for e in taken["events"]]
        assert requests.post(f"{server.url}/api/v1/events/ack", json={"ids": ids},
                             headers=AUTH, timeout=5).json() == {"deleted": 4}
        deliver()  # the providers retry, hours later
        again = requests.get(f"{server.url}/api/v1/events", params={"after": 0},
                             headers=AUTH, timeout=5).json()
        assert again["events"] == []


def test_the_clients_page_runs_nothing_is_kept_nowhere_and_frames_nowhere(
        relay: Relay, tmp_path: Path) -> None:
    headers = {"X-Forwarded-For": "198.51.100.30"}
    for r in (requests.get(f"{relay.url}/c/{link(9)}", headers=headers, timeout=5),
              requests.post(f"{relay.url}/c/{link(9)}", data={"action": "confirm"},
                            headers=headers, timeout=5),
              requests.get(f"{relay.url}/c/not-a-token", headers=headers, timeout=5)):
        policy = r.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        # Scripts only from the relay itself (its /push.js and /sw.js), never inline.
        assert "script-src 'self';" in policy and "unsafe-inline" not in \
            policy.split("script-src", 1)[1].split(";", 1)[0]
        assert r.headers["Cache-Control"] == "no-store"
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert "<script" not in r.text
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert requests.get(f"{relay.url}{path}", timeout=5).status_code == 404
    documented = start(tmp_path / "docs", RELAY_DOCS="1")
    try:
        assert requests.get(f"{documented.url}/openapi.json", timeout=5).status_code == 200
    finally:
        stop(documented)


def test_weak_and_repeated_secrets_are_refused_and_a_good_one_is_offered() -> None:
    key = base64.b64encode(b"k" * 32).decode()
    good = {"RELAY_LINK_SECRET": LINK_SECRET, "RELAY_API_KEY": API_KEY, "RELAY_PUBLIC_KEY": key}
    for name in ("RELAY_LINK_SECRET", "RELAY_API_KEY"):
        for weak in ("a" * 32, "abcd" * 8, "0123456789abcdefghijklmnopqrstuv",
                     "Consultorio2024!Consultorio2024!", "x" * 31 + "y",
                     "qwertyuiopasdfghjklzxcvbnm123456",
                     "The quick brown fox jumps over the lazy dog",
                     "YOUR_LINK_SECRET_GOES_HERE_PLEASE", "<paste the relay's link secret here>",
                     "Lorem ipsum dolor sit amet, consectetur adipiscing"):
            with pytest.raises(ConfigError, match=f"{name} is too easy to guess"):
                from_environment({**good, name: weak})
    with pytest.raises(ConfigError, match="API key and the link secret are the same"):
        from_environment({**good, "RELAY_API_KEY": LINK_SECRET})
    printed = [subprocess.run([sys.executable, "-m", "relay.server", "secret"], check=True,
                              capture_output=True, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.strip()
               for _ in range(2)]
    assert printed[0] != printed[1] and all(len(p) >= 43 for p in printed)
    [practice] = from_environment({**good, "RELAY_LINK_SECRET": printed[0],
                                   "RELAY_API_KEY": printed[1]}).practices
    assert practice.api_key == printed[1]
    for name, value in (("RELAY_TRUSTED_PROXIES", "10.0.0.0/8, a proxy"),
                        ("RELAY_HEADER_TIMEOUT", "0"), ("RELAY_MAX_CONNECTIONS", "lots")):
        with pytest.raises(ConfigError, match=name):
            from_environment({**good, name: value})


def test_pipelined_requests_far_ahead_of_their_answers_close_the_connection(
        relay: Relay) -> None:
    """h11 keeps every request that arrives before its turn: 20 MiB of them sent
    without reading an answer once grew the relay by as much."""
    idle = relay.memory()
    sock = socket.create_connection(("127.0.0.1", relay.port), timeout=10)
    sock.setblocking(False)
    many = b"GET /healthz HTTP/1.1\r\nHost: r\r\n\r\n" * 1000
    sent, deadline = 0, time.monotonic() + 20
    try:
        while sent < 20 * MiB and time.monotonic() < deadline:
            try:
                sent += sock.send(many)
            except BlockingIOError:
                time.sleep(0.01)
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        sock.close()
    assert sent < 20 * MiB, "the relay went on taking requests"
    assert relay.memory() - idle < 8 * MiB
    assert "far ahead of reading the answers" in relay.log_text()


def test_a_client_that_stops_reading_its_answers_is_let_go(relay: Relay) -> None:
    """Requests sent as fast as they are taken and no answer ever read: the relay
    lets the connection go (the pipelining bound, or one second — RELAY_BODY_TIMEOUT
    — of answers that cannot be written, whichever comes first)."""
    idle = relay.memory()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", relay.port))
    sock.setblocking(False)
    requests_ = b"GET /healthz HTTP/1.1\r\nHost: r\r\n\r\n" * 100
    ended, deadline = False, time.monotonic() + 15
    with sock:
        while not ended and time.monotonic() < deadline:
            try:
                sock.send(requests_)
            except BlockingIOError:
                time.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):
                ended = True
    assert ended, "the relay kept a client that reads nothing"
    log = relay.log_text()
    assert "stopped reading its answer" in log or "far ahead of reading the answers" in log
    assert relay.memory() - idle < 8 * MiB


def test_slow_bodies_cannot_shut_the_relay_and_the_key_comes_first(relay: Relay) -> None:
    # Three times the connection limit, each a body that never ends.
    slow = flood_and_check_health(
        relay, 120, b"POST /healthz HTTP/1.1\r\nHost: r\r\nContent-Length: 1000\r\n\r\na")
    for sock in slow:
        sock.close()
    # No key: refused at once, its body never waited for.
    with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as sock:
        sock.sendall(b"POST /api/v1/events/ack HTTP/1.1\r\nHost: r\r\nContent-Length: 5"
                     b"\r\nContent-Type: application/json\r\n\r\n{")
        started = time.monotonic()
        assert answer(sock)[0] == 401
        assert time.monotonic() - started < 0.9  # the body deadline is one second
    # A flood of refusals is a line or two in the log, not one per request.
    time.sleep(1.5)
    lines = relay.log_text().splitlines()
    assert sum("too slowly; it was answered 408" in x for x in lines) <= 2


def outward_address() -> str:
    """This machine's address on its network (not loopback), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: only a route is chosen
        except OSError:
            return ""
        found: str = probe.getsockname()[0]
    return "" if found.startswith("127.") else found


def test_one_address_cannot_take_every_connection(tmp_path: Path) -> None:
    address = outward_address()
    if not address:
        pytest.skip("this machine has no address but loopback to come from")
    relay = start(tmp_path, host="0.0.0.0", RELAY_MAX_CONNECTIONS="64",
                  RELAY_HEADER_TIMEOUT="30")
    try:
        held = []
        for _ in range(40):  # more than its share (64 / 8), all sending heads slowly
            sock = socket.create_connection((address, relay.port), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: r\r\n")
            held.append(sock)
        time.sleep(0.5)
        refused = 0
        for sock in held:
            sock.settimeout(0.5)
            try:
                refused += sock.recv(10) == b""
            except TimeoutError:
                pass
            except ConnectionResetError:
                refused += 1
        assert refused == 40 - 8
        assert requests.get(f"{relay.url}/healthz", timeout=5).status_code == 200
        assert "One address opened more connections than it may" in relay.log_text()
        for sock in held:
            sock.close()
    finally:
        stop(relay)


def test_webhooks_and_pages_refuse_what_they_never_get_before_parsing_it(
        relay: Relay) -> None:
    bd = "B"
    body = b"".join(f'--{bd}\r\nContent-Disposition: form-data; name="f{i}"; filename="a"'
                    f"\r\n\r\nx\r\n".encode() for i in range(900)) + f"--{bd}--\r\n".encode()
    r = requests.post(f"{relay.url}/webhooks/sms", data=body, timeout=5, headers={
        "Content-Type": f"multipart/form-data; boundary={bd}", "X-Twilio-Signature": "A" * 27 + "=",
        "X-Forwarded-For": "198.51.100.70"})
    assert r.status_code == 415
    # Strangers with bad signatures from the providers' shared address pools never
    # lock out the practice's own deliveries from the same addresses.
    for _ in range(80):
        assert requests.post(f"{relay.url}/webhooks/whatsapp", data=b"{}", timeout=5, headers={
            "X-Hub-Signature-256": "sha256=" + "0" * 64,
            "X-Forwarded-For": "173.252.107.1"}).status_code == 401
    signed_body = b'{"entry":[]}'
    digest = hmac.new(APP_SECRET.encode(), signed_body, hashlib.sha256).hexdigest()
    assert requests.post(f"{relay.url}/webhooks/whatsapp", data=signed_body, timeout=5,
                         headers={"X-Hub-Signature-256": f"sha256={digest}",
                                  "X-Forwarded-For": "173.252.107.1"}).status_code == 200
    # The link's page takes only what its form sends.
    r = requests.post(f"{relay.url}/c/{link(72)}", data=b"garbage", timeout=5, headers={
        "Content-Type": "multipart/form-data; boundary=B", "X-Forwarded-For": "198.51.100.73"})
    assert r.status_code == 415 and "<html" in r.text
    r = requests.post(f"{relay.url}/c/{link(72)}", data={"reason": "sem ação"}, timeout=5,
                      headers={"X-Forwarded-For": "198.51.100.73"})
    assert r.status_code == 422 and "<html" in r.text  # a page for a person, not JSON
    # Guessing the verify token is limited like link pages.
    codes = [requests.get(f"{relay.url}/webhooks/whatsapp", timeout=5, params={
        "hub.mode": "subscribe", "hub.verify_token": f"guess{n}", "hub.challenge": "1"},
        headers={"X-Forwarded-For": "198.51.100.74"}).status_code for n in range(22)]
    assert codes[:20] == [403] * 20 and set(codes[20:]) == {429}


ODD_WEBHOOKS = ['{"entry":5}', '{"entry":[1]}', '{"entry":[{"changes":5}]}',
                '{"entry":[{"changes":[{"value":null}]}]}',
                '{"entry":[{"changes":[{"value":[]}]}]}',
                '{"entry":[{"changes":[{"value":{"metadata":[1]}}]}]}',
                '{"entry":[{"changes":[{"value":{"messages":3}}]}]}',
                '{"entry":[{"changes":[{"value":{"messages":["x"],"statuses":["x"]}}]}]}',
                '{"entry":[{"changes":[{"value":{"messages":[{"id":{"a":1}}]}}]}]}',
                '[]', '"text"', "[" * 30000 + "]" * 30000,
                '{"entry":[{"changes":[{"value":{"messages":[{"id":"\\ud800"}]}}]}]}']


def test_a_signed_webhook_of_any_shape_is_never_a_server_error(relay: Relay) -> None:
    """Meta retries an answer of 500 for days."""
    for text in ODD_WEBHOOKS:
        body = text.encode()
        digest = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        r = requests.post(f"{relay.url}/webhooks/whatsapp", data=body, timeout=10, headers={
            "X-Hub-Signature-256": f"sha256={digest}", "X-Forwarded-For": "198.51.100.80"})
        assert r.status_code in (200, 400), text[:80]
    assert "Traceback" not in relay.log_text()


def test_a_session_note_out_of_range_is_422_and_stores_nothing(relay: Relay) -> None:
    url = f"{relay.url}/api/v1/sessions"
    headers = {**AUTH, "X-Forwarded-For": "198.51.100.90"}
    for note in ({"appointment_id": 50, "state": "moved", "start": "9999-12-31T23:59:59-23:59"},
                 {"appointment_id": 51, "state": "moved", "start": "0001-01-01T00:00:00+23:59"},
                 {"appointment_id": 52, "state": "cancelled",
                  "for_start": "0001-01-01T00:00:00+01:00"},
                 {"appointment_id": 53, "state": "moved", "start": "0001-01-01T00:00:00Z"},
                 {"appointment_id": 2**31, "state": "cancelled"}):
        assert requests.post(url, json={"sessions": [note]}, headers=headers,
                             timeout=5).status_code == 422, note
    both = [{"appointment_id": 60, "state": "cancelled"},
            {"appointment_id": 61, "state": "moved", "start": "9999-12-31T23:59:59-23:59"}]
    assert requests.post(url, json={"sessions": both}, headers=headers,
                         timeout=5).status_code == 422
    for session in (53, 60):  # neither stored: their links still offer the buttons
        page = requests.get(f"{relay.url}/c/{link(session)}", timeout=5,
                            headers={"X-Forwarded-For": "198.51.100.91"})
        assert page.status_code == 200 and 'value="confirm"' in page.text
    for params in ({"after": 2**31}, ):
        assert requests.get(f"{relay.url}/api/v1/events", params=params, headers=headers,
                            timeout=5).status_code == 422
    assert requests.post(f"{relay.url}/api/v1/events/ack", json={"ids": [2**31]},
                         headers=headers, timeout=5).status_code == 422
    # A link can name no session the relay's database cannot hold.
    assert requests.get(f"{relay.url}/c/{link(2**32 - 1)}", timeout=5, headers={
        "X-Forwarded-For": "198.51.100.92"}).status_code == 404


def test_a_link_has_no_second_address_and_no_redirect(relay: Relay) -> None:
    token = link(70)
    for path in (f"/c/{token}/", f"/c/{token}%2F", "/c/%" + f"{ord(token[0]):02X}" + token[1:],
                 f"/c%2F{token}", f"/c/{token[:5]}%{ord(token[5]):02x}{token[6:]}"):
        for method in ("GET", "POST"):
            # Raw bytes: client libraries tidy percent-encoding before sending.
            code, _ = raw(relay, f"{method} {path} HTTP/1.1\r\nHost: evil.example\r\n"
                          "X-Forwarded-For: 198.51.100.100\r\nContent-Type: "
                          "application/x-www-form-urlencoded\r\nContent-Length: 14\r\n"
                          "Connection: close\r\n\r\naction=confirm".encode())
            assert code == 404, (method, path)


def test_every_answer_carries_the_security_headers(relay: Relay) -> None:
    answers = [requests.post(f"{relay.url}/webhooks/whatsapp", data=b"x" * 70_000, timeout=5),
               requests.post(f"{relay.url}/api/v1/events/ack", data=b"{", timeout=5),
               requests.get(f"{relay.url}/healthz", timeout=5),
               requests.get(f"{relay.url}/nowhere", timeout=5)]
    assert [r.status_code for r in answers] == [413, 401, 200, 404]
    for r in answers:
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert r.headers["Cache-Control"] == "no-store"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_relays_files_are_its_own_and_the_page_speaks_the_clients_language(
        relay: Relay) -> None:
    database = relay.log.with_name("relay.sqlite3")
    assert database.stat().st_mode & 0o777 == 0o600
    page = requests.get(f"{relay.url}/c/{link(71)}", timeout=5, headers={
        "Accept-Language": "en;q=0, pt", "X-Forwarded-For": "198.51.100.110"})
    assert 'lang="pt-BR"' in page.text


def test_provider_secrets_that_are_placeholders_or_pasted_twice_are_refused() -> None:
    key = base64.b64encode(b"k" * 32).decode()
    good = {"RELAY_LINK_SECRET": LINK_SECRET, "RELAY_API_KEY": API_KEY, "RELAY_PUBLIC_KEY": key,
            "RELAY_WHATSAPP_APP_SECRET": APP_SECRET, "RELAY_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "RELAY_TWILIO_AUTH_TOKEN": "9f3c2a7e4b1d8c6f0a5e2b7d4c9f1a3e",
            "RELAY_WHATSAPP_VERIFY_TOKEN": "palavras-que-o-consultorio-quiser"}
    assert from_environment(good).whatsapp_app_secret == APP_SECRET
    for name, value, message in (
            ("RELAY_WHATSAPP_APP_SECRET", "a", "not the provider's"),
            ("RELAY_WHATSAPP_APP_SECRET", "YOUR_META_APP_SECRET_GOES_HERE!!", "not the provider's"),
            ("RELAY_WHATSAPP_APP_SECRET", API_KEY, "same as the relay's API key"),
            ("RELAY_TWILIO_AUTH_TOKEN", "x", "not the provider's"),
            ("RELAY_TWILIO_AUTH_TOKEN", "REPLACE_WITH_YOUR_TWILIO_TOKEN", "not the provider's"),
            ("RELAY_TWILIO_AUTH_TOKEN", LINK_SECRET, "same as the relay's API key"),
            ("RELAY_WHATSAPP_VERIFY_TOKEN", LINK_SECRET, "choose another"),
            ("RELAY_WHATSAPP_VERIFY_TOKEN", "a", "too short or too easy to guess"),
            ("RELAY_PUBLIC_KEY", "A" * 43 + "=", "not a usable key"),
            ("RELAY_TRUSTED_PROXIES", "0.0.0.0/0", "would believe any client"),
            ("RELAY_TRUSTED_PROXIES", "::/0", "would believe any client")):
        with pytest.raises(ConfigError, match=f"{name}.*{message}"):
            from_environment({**good, name: value})


def test_a_client_reading_its_answers_a_trickle_at_a_time_is_let_go(relay: Relay) -> None:
    """Within the pipelining bound (never more than 500 requests ahead), reading
    a kilobyte now and then: the time the relay spends unable to write adds up
    (one second here, RELAY_BODY_TIMEOUT), and once its answers are all handed to
    the system the connection is idle and its head deadline runs."""
    one = b"GET /healthz HTTP/1.1\r\nHost: r\r\n\r\n"
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", relay.port))
    sock.setblocking(False)
    sent = answered = 0
    ended, deadline, tail = False, time.monotonic() + 30, b""
    with sock:
        while not ended and time.monotonic() < deadline:
            try:
                while sent - answered < 500:
                    sock.send(one * 50)
                    sent += 50
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                ended = True
                break
            time.sleep(0.1)
            try:
                chunk = sock.recv(1024)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                ended = True
                break
            ended = not chunk
            tail += chunk
            answered += tail.count(b"HTTP/1.1 200")
            tail = tail[tail.rfind(b"HTTP/1.1 200") + 1:] if b"HTTP/1.1 200" in tail else tail
    assert ended, "the relay kept a client that reads a trickle"
    # Which deadline ends it depends on how much the system's buffers take.
    log = relay.log_text()
    assert "stopped reading its answer" in log or "head too slowly" in log


def test_what_uvicorn_answers_itself_carries_the_headers_and_there_is_no_websocket(
        relay: Relay) -> None:
    for request in (b"GARBAGE\r\n\r\n", b"GET /healthz HTTP/1.1\r\nHost: r\r\nTE: gzip\r\n"
                    b"Transfer-Encoding: gzip\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", relay.port), timeout=5) as sock:
            sock.sendall(request)
            head = sock.recv(65536).split(b"\r\n\r\n")[0].lower()
        assert head.startswith(b"http/1.1 400") and b"content-security-policy" in head
        assert b"cache-control: no-store" in head
    code, _ = raw(relay, b"GET /healthz HTTP/1.1\r\nHost: r\r\nConnection: Upgrade\r\n"
                  b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
    assert code == 200  # an ordinary request, through the guard; never a socket


def test_abandoned_long_polls_stop_and_the_relay_stays_open(tmp_path: Path) -> None:
    small = start(tmp_path, RELAY_MAX_CONNECTIONS="8")
    try:
        for _ in range(20):  # more than the relay works on at once (twice its connections)
            with socket.create_connection(("127.0.0.1", small.port), timeout=5) as sock:
                sock.sendall(f"GET /api/v1/events?after=999999&wait=30 HTTP/1.1\r\nHost: r\r\n"
                             f"Authorization: Bearer {API_KEY}\r\n\r\n".encode())
        time.sleep(1.5)  # each poll notices within half a second
        assert requests.get(f"{small.url}/healthz", timeout=5).status_code == 200
    finally:
        stop(small)


def test_a_database_readable_by_others_is_closed_at_start(tmp_path: Path) -> None:
    (tmp_path / "relay.sqlite3").touch(mode=0o644)
    (tmp_path / "relay.sqlite3").chmod(0o644)
    relay = start(tmp_path)
    try:
        assert (tmp_path / "relay.sqlite3").stat().st_mode & 0o777 == 0o600
        assert "could be read by other accounts" in relay.log_text()
        # A token for a session id the desktop never hands out (0) opens nothing.
        assert requests.get(f"{relay.url}/c/{link(0)}", timeout=5).status_code == 404
    finally:
        stop(relay)
