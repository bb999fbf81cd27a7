"""One relay serving several practices: each practice's links, events and
WhatsApp messages stay its own, on PostgreSQL, and two desktops polling the same
relay each take in only their own clients' answers."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox

from relay.config import ConfigError, from_environment
from relay.tokens import mint
from tests.e2e.test_relay import WEBHOOK, signed
from tests.fakes.postgres import PostgresCluster
from tests.fakes.relay_server import RelayServer

SECRETS = {"aurora": ("aurora-link-R5tW8zQ2mK9vB4nX7cJ1hL6pD3fG0s",
                      "aurora-api-Y2kP7wN4qT9xF1bM6vH3jC8zR5dL0g"),
           "bem-estar": ("bemestar-link-E8uA3oS6iY1tZ4rQ9wX2cV7nB5mK0",
                         "bemestar-api-J6gF1dS9aH4kL7qW2eR5tY8uI3oP0")}


def practices_file(folder: Path, keys: dict[str, str]) -> Path:
    path = folder / "practices.toml"
    path.write_text(f'''
[[practice]]
id = "aurora"
name = "Clínica Aurora"
link_secret = "{SECRETS["aurora"][0]}"
api_key = "{SECRETS["aurora"][1]}"
public_key = "{keys["aurora"]}"
timezone = "America/Sao_Paulo"
whatsapp_phone_number_ids = ["1098"]

[[practice]]
id = "bem-estar"
name = "Consultório Bem-Estar"
link_secret = "{SECRETS["bem-estar"][0]}"
api_key = "{SECRETS["bem-estar"][1]}"
public_key = "{keys["bem-estar"]}"
timezone = "Europe/Lisbon"
whatsapp_phone_number_ids = ["2077", "2078"]
''', encoding="utf-8")
    path.chmod(0o600)  # it holds every practice's secrets
    return path


@pytest.fixture
def private_keys() -> dict[str, PrivateKey]:
    return {name: PrivateKey.generate() for name in SECRETS}


@pytest.fixture
def relay(tmp_path: Path, postgres: PostgresCluster,
          private_keys: dict[str, PrivateKey]) -> Iterator[RelayServer]:
    public = {n: base64.b64encode(bytes(k.public_key)).decode() for n, k in private_keys.items()}
    env = {"RELAY_PRACTICES_FILE": str(practices_file(tmp_path, public))}
    with RelayServer(tmp_path, env=env, database_url=postgres.new_database()) as server:
        yield server


def token(practice: str, appointment_id: int) -> str:
    start = datetime(2027, 3, 15, 13, tzinfo=UTC)
    return mint(SECRETS[practice][0].encode(), appointment_id, start)


def events(relay: RelayServer, practice: str) -> list[dict[str, object]]:
    r = requests.get(f"{relay.url}/api/v1/events", timeout=5,
                     headers={"Authorization": f"Bearer {SECRETS[practice][1]}"})
    r.raise_for_status()
    return list(r.json()["events"])


def test_each_practice_keeps_to_its_own(relay: RelayServer,
                                        private_keys: dict[str, PrivateKey]) -> None:
    # The same session number in two practices: two different sessions.
    aurora, bem = token("aurora", 5), token("bem-estar", 5)
    page = requests.get(f"{relay.url}/c/{aurora}", headers={"Accept-Language": "pt-BR"},
                        timeout=5).text
    assert "Clínica Aurora" in page and "10:00" in page  # São Paulo time
    page = requests.get(f"{relay.url}/c/{bem}", headers={"Accept-Language": "pt-BR"},
                        timeout=5).text
    assert "Consultório Bem-Estar" in page and "13:00" in page  # Lisbon time
    first = requests.post(f"{relay.url}/c/{aurora}", data={"action": "confirm"},
                          headers={"Accept-Language": "en"}, timeout=5)
    other = requests.post(f"{relay.url}/c/{bem}", data={"action": "cancel", "reason": "Gripe"},
                          headers={"Accept-Language": "en"}, timeout=5)
    assert "Your session is confirmed" in first.text and "already" not in other.text
    [a] = events(relay, "aurora")
    [b] = events(relay, "bem-estar")
    assert (a["kind"], a["appointment_id"]) == ("confirmed", 5)
    assert (b["kind"], b["appointment_id"]) == ("cancel_requested", 5)
    # A practice's reason is sealed to that practice alone.
    sealed = base64.b64decode(str(b["sealed"]))
    assert json.loads(SealedBox(private_keys["bem-estar"]).decrypt(sealed)) == {"reason": "Gripe"}
    with pytest.raises(CryptoError):
        SealedBox(private_keys["aurora"]).decrypt(sealed)
    # Acknowledging another practice's event deletes nothing.
    r = requests.post(f"{relay.url}/api/v1/events/ack", json={"ids": [b["id"]]}, timeout=5,
                      headers={"Authorization": f"Bearer {SECRETS['aurora'][1]}"})
    assert r.json() == {"deleted": 0} and len(events(relay, "bem-estar")) == 1
    # A token signed with no practice's secret is unknown to all of them.
    forged = mint(b"z" * 40, 5, datetime(2027, 3, 15, 13, tzinfo=UTC))
    assert requests.get(f"{relay.url}/c/{forged}", timeout=5).status_code == 404


def test_webhooks_go_to_the_practice_that_owns_the_number(
        relay: RelayServer, private_keys: dict[str, PrivateKey]) -> None:
    def deliver(number: str, wamid: str) -> None:
        payload = json.loads(json.dumps(WEBHOOK))
        value = payload["entry"][0]["changes"][0]["value"]
        value["metadata"]["phone_number_id"] = number
        value["messages"][0]["id"] = wamid
        body = json.dumps(payload).encode()
        r = requests.post(f"{relay.url}/webhooks/whatsapp", data=body, headers=signed(body),
                          timeout=5)
        assert r.status_code == 200

    deliver("2078", "wamid.B1")
    deliver("1098", "wamid.A1")
    deliver("9999", "wamid.X1")  # a number nobody lists: taken and dropped
    [a] = events(relay, "aurora")
    [b] = events(relay, "bem-estar")
    opened = json.loads(SealedBox(private_keys["bem-estar"]).decrypt(
        base64.b64decode(str(b["sealed"]))))
    assert opened["message"]["id"] == "wamid.B1"
    opened = json.loads(SealedBox(private_keys["aurora"]).decrypt(
        base64.b64decode(str(a["sealed"]))))
    assert opened["message"]["id"] == "wamid.A1"


def desktop(folder: Path, *args: str, stdin: str | None = None) -> object:
    # Each desktop has its own keyring, as two practices' computers do.
    env = {**os.environ, "PRACTICE_NOW": "2026-11-20T12:00:00Z", "LANGUAGE": "en",
           "KEYRING_PROPERTY_FILE_PATH": str(folder / "keyring.cfg")}
    result = subprocess.run([sys.executable, "-m", "app", *args, "--data-dir", str(folder),
                             "--json"], input=stdin, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_two_desktops_on_one_relay(tmp_path: Path, postgres: PostgresCluster) -> None:
    folders = {name: tmp_path / name for name in SECRETS}
    public = {name: desktop(folder, "relay", "keys")["public_key"]  # type: ignore[index]
              for name, folder in folders.items()}
    env = {"RELAY_PRACTICES_FILE": str(practices_file(tmp_path, public))}
    with RelayServer(tmp_path / "relay", env=env,
                     database_url=postgres.new_database()) as relay:
        sessions = {}
        for name, folder in folders.items():
            desktop(folder, "config", "set", "relay.url", relay.url)
            desktop(folder, "secret", "set", "relay.link_secret", stdin=SECRETS[name][0])
            desktop(folder, "secret", "set", "relay.api_key", stdin=SECRETS[name][1])
            client = desktop(folder, "client", "add", "--name", "Maria Silva",
                             "--phone", "11987654321")
            sessions[name] = desktop(folder, "book", "--client", str(client["id"]),  # type: ignore[index]
                                     "--custom", "Sessão", "--duration", "50",
                                     "--start", "2027-03-15T10:00")["id"]  # type: ignore[index]
        assert sessions["aurora"] == sessions["bem-estar"]  # same number, two sessions
        url = desktop(folders["aurora"], "link", str(sessions["aurora"]))["url"]  # type: ignore[index]
        requests.post(url, data={"action": "confirm"}, timeout=5)
        for folder in folders.values():
            desktop(folder, "worker", "--once")
        assert desktop(folders["aurora"], "show", str(sessions["aurora"]))[  # type: ignore[index]
            "status"] == "confirmed"
        assert desktop(folders["bem-estar"], "show", str(sessions["bem-estar"]))[  # type: ignore[index]
            "status"] == "scheduled"


def test_a_practices_file_that_cannot_work_stops_start_up(tmp_path: Path) -> None:
    key = base64.b64encode(b"k" * 32).decode()
    good = practices_file(tmp_path, {"aurora": key, "bem-estar": key})
    [a, b] = from_environment({"RELAY_PRACTICES_FILE": str(good)}).practices
    assert (a.id, b.id, b.name) == ("aurora", "bem-estar", "Consultório Bem-Estar")
    assert b.whatsapp_phone_number_ids == {"2077", "2078"}
    shared = good.read_text().replace(SECRETS["bem-estar"][0], SECRETS["aurora"][0])
    cases = {
        "same link_secret": shared,
        "not valid TOML": "[[practice]\nid = ",
        "lists no practice": "title = 'none'\n",
        "link_secret is missing": good.read_text().replace(SECRETS["aurora"][0], "short"),
        "public_key is missing or not a key": good.read_text().replace(key, "nope", 1),
        "is not a time zone": good.read_text().replace("Europe/Lisbon", "Mars/Base"),
    }
    for message, text in cases.items():
        bad = tmp_path / "bad.toml"
        bad.write_text(text, encoding="utf-8")
        bad.chmod(0o600)
        with pytest.raises(ConfigError, match=message):
            from_environment({"RELAY_PRACTICES_FILE": str(bad)})
    # Readable by other accounts: refused, whatever it holds.
    good.chmod(0o644)
    with pytest.raises(ConfigError, match="other accounts can read it: chmod 600"):
        from_environment({"RELAY_PRACTICES_FILE": str(good)})
    with pytest.raises(ConfigError, match="cannot be read"):
        from_environment({"RELAY_PRACTICES_FILE": str(tmp_path / "missing.toml")})


def test_a_single_practice_database_carries_over(tmp_path: Path) -> None:
    """A relay database written before practices were told apart keeps its
    waiting events and answered links, as the one practice's."""
    import sqlite3

    from relay.store import Store

    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE relay_event (id INTEGER PRIMARY KEY AUTOINCREMENT, kind VARCHAR(32) NOT NULL,
            appointment_id INTEGER, at DATETIME NOT NULL, dedupe VARCHAR(128) NOT NULL UNIQUE,
            sealed BLOB);
        CREATE TABLE relay_outcome (appointment_id INTEGER PRIMARY KEY,
            action VARCHAR(16) NOT NULL, at DATETIME NOT NULL);
        INSERT INTO relay_event (kind, appointment_id, at, dedupe)
            VALUES ('confirmed', 7, '2026-11-20 12:00:00', 'confirmed:7');
        INSERT INTO relay_outcome VALUES (7, 'confirm', '2026-11-20 12:00:00');
    """)
    db.commit()
    db.close()
    store = Store(f"sqlite:///{path}")
    [event] = store.after("default", 0)
    assert (event.id, event.kind, event.appointment_id) == (1, "confirmed", 7)
    assert store.outcome("default", 7) == "confirm"
    assert store.answer("default", 7, "confirm", "confirmed") == "again"
    assert store.answer("other", 7, "cancel", "cancel_requested") == "first"
    assert store.add("default", "confirmed", 8, "confirmed:8") == 3


def test_two_relay_processes_share_one_database(tmp_path: Path, postgres: PostgresCluster,
                                                private_keys: dict[str, PrivateKey]) -> None:
    """Behind a load balancer: a tap on one relay reaches the desktop polling the
    other, and the same tap on both at once is still one answer."""
    public = {n: base64.b64encode(bytes(k.public_key)).decode() for n, k in private_keys.items()}
    env = {"RELAY_PRACTICES_FILE": str(practices_file(tmp_path, public))}
    url = postgres.new_database()
    with RelayServer(tmp_path / "one", env=env, database_url=url) as one, \
            RelayServer(tmp_path / "two", env=env, database_url=url) as two:
        tokens = [token("aurora", n) for n in range(100, 110)]

        def tap(pair: tuple[str, str]) -> int:
            return requests.post(f"{pair[0]}/c/{pair[1]}", data={"action": "confirm"},
                                 timeout=10).status_code

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(tap, [(r.url, t) for t in tokens for r in (one, two)]))
        assert codes == [200] * 20
        got = events(two, "aurora")
        assert sorted(e["appointment_id"] for e in got) == list(range(100, 110))
        assert events(one, "aurora") == got
