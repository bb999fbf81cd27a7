"""`practice relay pair URL CODE` as a script or a person runs it, against the
real relay: what it prints (never a secret), its exit status, its --json."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from app.services import secrets
from tests.e2e.pairing import new_practice, relay_with_no_practice
from tests.e2e.test_cli_relay import ok, run
from tests.fakes.relay_server import RelayServer

SECRETS = ("relay.api_key", "relay.link_secret", "relay.private_key")


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[RelayServer]:
    with relay_with_no_practice(tmp_path / "relay") as server:
        yield server


def booked(folder: Path) -> int:
    ok(folder, "settings", "set", "timezone", "America/Sao_Paulo")
    client = ok(folder, "client", "add", "--name", "Maria Silva", "--phone", "11987654321")
    return int(ok(folder, "book", "--client", str(client["id"]), "--custom",  # type: ignore[index]
                  "Sessão", "--duration", "50", "--start", "2027-03-15T10:00")["id"])


def no_secret_in(text: str) -> bool:
    values = [secrets.load(name) for name in SECRETS]
    return not any(v and v in text for v in values)


def test_pair_prints_what_it_did(tmp_path: Path, relay: RelayServer) -> None:
    folder = tmp_path / "p"
    sid = booked(folder)
    added = new_practice(relay)
    result = run(folder, "relay", "pair", relay.url, *added["code"].lower().split("-"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        f"Paired with the relay at {relay.url} (practice {added['id']}).",
        "Connection: the relay answers and accepts this computer's key.",
        f"Link to try (session #{sid}, 3/15/27, 10:00\u202fAM):"]
    assert lines[3].startswith(f"{relay.url}/c/") and len(lines) == 4
    assert requests.get(lines[3], timeout=5).status_code == 200
    assert no_secret_in(result.stdout + result.stderr)
    assert secrets.is_set("relay.api_key") and secrets.is_set("relay.link_secret")
    assert ok(folder, "link", str(sid))["url"] == lines[3]  # type: ignore[index]

    # `practice config show` lists what pairing set: the address, the practice's id,
    # and for each secret only whether it is set.
    shown = ok(folder, "config", "show")
    assert isinstance(shown, dict)
    assert (shown["relay.url"], shown["relay.practice_id"]) == (relay.url, added["id"])
    assert {k: shown["secrets"][k] for k in SECRETS} == dict.fromkeys(SECRETS, True)
    assert shown["secrets"]["whatsapp.token"] is False
    text = run(folder, "config", "show")
    assert f"relay.url: {relay.url}" in text.stdout
    assert "relay.api_key: (set, in the keyring)" in text.stdout.splitlines()
    assert "whatsapp.token: (not set)" in text.stdout.splitlines()
    assert no_secret_in(text.stdout + json.dumps(shown))


def test_pair_json(tmp_path: Path, relay: RelayServer) -> None:
    folder = tmp_path / "p"
    sid = booked(folder)
    added = new_practice(relay)
    found = ok(folder, "relay", "pair", relay.url, added["code"])
    assert isinstance(found, dict)
    assert set(found) == {"paired", "relay", "practice_id", "healthz", "events",
                          "sample_link", "said"}
    assert (found["paired"], found["relay"], found["practice_id"]) == (True, relay.url,
                                                                       added["id"])
    assert found["healthz"] is True and found["events"] is True
    assert set(found["sample_link"]) == {"appointment_id", "start", "url"}
    assert found["sample_link"]["appointment_id"] == sid
    assert found["sample_link"]["start"] == "2027-03-15T13:00:00+00:00"
    assert no_secret_in(json.dumps(found))


def test_refusals_exit_3_with_a_sentence(tmp_path: Path, relay: RelayServer) -> None:
    folder = tmp_path / "p"
    wrong = run(folder, "relay", "pair", relay.url, "ABCD-EFGH-JKMN-PQRS-TVWX")
    assert wrong.returncode == 3 and wrong.stdout == ""
    assert wrong.stderr.startswith("The relay does not know this code")
    as_json = run(folder, "relay", "pair", relay.url, "ABCD-EFGH-JKMN-PQRS-TVWX", "--json")
    assert as_json.returncode == 3
    said = json.loads(as_json.stdout)
    assert said == {"paired": False, "problem": "code", "error": as_json.stderr.strip()}

    clear = run(folder, "relay", "pair", "http://relay.example.com", "ABCD", "--json")
    assert clear.returncode == 3 and "unencrypted" in clear.stderr
    assert json.loads(clear.stdout)["problem"] == "input"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    away = run(folder, "relay", "pair", f"http://127.0.0.1:{port}",
               "ABCD-EFGH-JKMN-PQRS-TVWX", "--json")
    assert away.returncode == 3 and away.stderr.startswith("Nothing answers at")
    assert json.loads(away.stdout)["problem"] == "unreachable"

    assert run(folder, "relay", "pair", relay.url).returncode == 2  # the code is missing
    shown = ok(folder, "config", "show")
    assert isinstance(shown, dict) and shown["relay.url"] == ""  # nothing stored
    assert not secrets.is_set("relay.api_key")
