"""A practice's Twilio account given to the real relay (under uvicorn) through
PUT /api/v1/twilio-account: taken from a practice paired by a code, so Twilio's
signed webhooks for it are taken instead of refused; refused in words (401, 422,
409) with nothing changed; the token never answered nor logged. On SQLite and
PostgreSQL, since the check that no other practice has the account is one
statement on both."""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from nacl.public import PrivateKey

from tests.e2e.pairing import new_practice
from tests.fakes.postgres import PostgresCluster
from tests.fakes.relay_server import API_KEY, RelayServer
from tests.fakes.twilio import Account, inbound

ROUTE = "/api/v1/twilio-account"
SID = "AC" + "3f9a1c7e5b2d8f4a" * 2
TOKEN = "7c1e9a3f5b8d2e6a4c0f9b1d7e3a5c8f"
OTHER = Account(sid="AC" + "b" * 31 + "7", token="e" * 31 + "1")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'relay.sqlite3'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.new_database()


@pytest.fixture
def relay(tmp_path: Path, database: str) -> Iterator[RelayServer]:
    """A relay whose practices are added by `practice-relay practice add`."""
    with RelayServer(tmp_path / "relay", bare=True, env={"RELAY_DATABASE_URL": database},
                     pair_per_ip_per_minute=1000, pair_failures_per_minute=1000) as server:
        yield server


def paired(relay: RelayServer, name: str) -> str:
    """A practice added on the relay and paired by its code: its API key."""
    code = new_practice(relay, name)["code"]
    public = base64.b64encode(bytes(PrivateKey.generate().public_key)).decode()
    answer = requests.post(f"{relay.url}/api/v1/pair", json={"code": code,
                                                             "public_key": public}, timeout=5)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["api_key"])


def put(relay: RelayServer, key: str | None, sid: str, token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    return requests.put(f"{relay.url}{ROUTE}", json={"account_sid": sid, "auth_token": token},
                        headers=headers, timeout=5)


def held(relay: RelayServer, key: str) -> str:
    answer = requests.get(f"{relay.url}{ROUTE}", headers={"Authorization": f"Bearer {key}"},
                          timeout=5)
    assert answer.status_code == 200 and set(answer.json()) == {"account_sid"}
    return str(answer.json()["account_sid"])


def waiting(relay: RelayServer, key: str) -> int:
    """How many events wait for the practice's desktop."""
    answer = requests.get(f"{relay.url}/api/v1/events", params={"wait": 0},
                          headers={"Authorization": f"Bearer {key}"}, timeout=5)
    assert answer.status_code == 200
    return len(answer.json()["events"])


def test_a_practice_paired_by_a_code_gives_its_account_and_its_sms_are_taken(
        relay: RelayServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    aurora, bem_estar = paired(relay, "Clínica Aurora"), paired(relay, "Bem-Estar")
    account = Account(sid=SID, token=TOKEN)
    sms = f"{relay.url}/webhooks/sms"
    # Before: the account is unknown here, so a client's SMS reply is refused.
    assert held(relay, aurora) == ""
    assert inbound(account, sms, "SM" + "1" * 32, "+5511987654321", "+15005550006",
                   "Sim").status_code == 401

    answer = put(relay, aurora, SID, TOKEN)
    assert (answer.status_code, answer.json()) == (200, {"account_sid": SID})
    assert held(relay, aurora) == SID and held(relay, bem_estar) == ""
    # Routed by its SID to this practice, checked with its token.
    reply = inbound(account, sms, "SM" + "2" * 32, "+5511987654321", "+15005550006", "Sim")
    assert reply.status_code == 200, reply.text
    assert (waiting(relay, aurora), waiting(relay, bem_estar)) == (1, 0)
    assert inbound(account, sms, "SM" + "3" * 32, "+5511987654321", "+15005550006", "Sim",
                   ).status_code == 200
    forged = inbound(Account(sid=SID, token="0" * 32), sms, "SM" + "4" * 32,
                     "+5511987654321", "+15005550006", "Sim")
    assert forged.status_code == 401 and waiting(relay, aurora) == 2

    # The same account again changes nothing; a new token replaces the old one.
    assert put(relay, aurora, SID, TOKEN).status_code == 200
    new_token = "a" * 31 + "9"
    assert put(relay, aurora, SID, new_token).status_code == 200
    assert inbound(account, sms, "SM" + "5" * 32, "+5511987654321", "+15005550006",
                   "Sim").status_code == 401
    assert inbound(Account(sid=SID, token=new_token), sms, "SM" + "6" * 32, "+5511987654321",
                   "+15005550006", "Sim").status_code == 200

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"gave the relay its Twilio account {SID}" in logged
    assert TOKEN not in logged and new_token not in logged


def test_refusals_say_why_and_change_nothing(relay: RelayServer,
                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    aurora, bem_estar = paired(relay, "Clínica Aurora"), paired(relay, "Bem-Estar")
    assert put(relay, aurora, SID, TOKEN).status_code == 200
    answers: list[requests.Response] = []

    def refused(key: str | None, sid: str, token: str, status: int) -> str:
        answer = put(relay, key, sid, token)
        answers.append(answer)
        assert answer.status_code == status, answer.text
        return str(answer.json()["error"])

    # No key, or a key the relay does not know.
    assert refused(None, OTHER.sid, OTHER.token, 401) == "unauthorized"
    assert refused("Zp4Hs8Qn1TfW6yRk3Lb0Mv9Xc2Jd7Gu5AeKoEiXX", OTHER.sid, OTHER.token,
                   401) == "unauthorized"
    assert requests.get(f"{relay.url}{ROUTE}", timeout=5).status_code == 401
    # Not Twilio's: a placeholder, an API key's SID (SK…), a short or wordy token.
    for sid in ("ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SK" + "b" * 32, "AC" + "b" * 31, ""):
        assert refused(bem_estar, sid, OTHER.token, 422).startswith(
            "account_sid is not a Twilio account's SID: copy the Account SID from the "
            "Twilio console")
    for token in ("your_auth_token", "e" * 31, "e" * 31 + "g", API_KEY[:32]):
        assert refused(bem_estar, OTHER.sid, token, 422).startswith(
            "auth_token is not a Twilio auth token: copy the Auth Token from the Twilio "
            "console (32 hexadecimal characters)")
    # Another practice's account: webhooks would no longer name one practice.
    said = refused(bem_estar, SID, OTHER.token, 409)
    assert said.startswith("Another practice on this relay already uses this Twilio account")
    assert "Aurora" not in said and "clinica-aurora" not in said
    # Nothing changed by any refusal.
    assert (held(relay, aurora), held(relay, bem_estar)) == (SID, "")
    sms = inbound(Account(sid=SID, token=TOKEN), f"{relay.url}/webhooks/sms",
                  "SM" + "7" * 32, "+5511987654321", "+15005550006", "Sim")
    assert sms.status_code == 200 and waiting(relay, aurora) == 1
    assert waiting(relay, bem_estar) == 0
    # The token is in no answer and no log line.
    shown = "\n".join(a.text for a in answers) + "\n".join(r.getMessage()
                                                          for r in caplog.records)
    assert TOKEN not in shown and OTHER.token not in shown
    logged = [r.getMessage() for r in caplog.records if r.name == "relay.accounts"]
    assert sum("its Twilio account was refused (422)" in line for line in logged) == 8
    assert any("its Twilio account was refused (409): Another practice" in line
               for line in logged)


def test_a_practice_configured_in_the_environment_keeps_its_account(tmp_path: Path) -> None:
    configured = Account(sid=SID, token=TOKEN)
    env = {"RELAY_TWILIO_ACCOUNT_SID": SID, "RELAY_TWILIO_AUTH_TOKEN": TOKEN}
    with RelayServer(tmp_path / "relay", env=env) as relay:
        # The configured values themselves: taken, nothing changes.
        assert put(relay, API_KEY, SID, TOKEN).json() == {"account_sid": SID}
        for sid, token in ((SID, OTHER.token), (OTHER.sid, OTHER.token)):
            answer = put(relay, API_KEY, sid, token)
            assert answer.status_code == 409
            assert answer.json()["error"] == (
                "This practice's Twilio account is set in the relay's configuration (the "
                "relay's environment (RELAY_TWILIO_ACCOUNT_SID, RELAY_TWILIO_AUTH_TOKEN)): ask "
                "the person who runs the relay to change it there.")
            assert OTHER.token not in answer.text and TOKEN not in answer.text
        assert held(relay, API_KEY) == SID
        ok = inbound(configured, f"{relay.url}/webhooks/sms", "SM" + "8" * 32,
                     "+5511987654321", "+15005550006", "Sim")
        assert ok.status_code == 200
    # One configured without a Twilio account cannot be given one over the API either.
    with RelayServer(tmp_path / "other") as relay:
        assert held(relay, API_KEY) == ""
        assert put(relay, API_KEY, SID, TOKEN).status_code == 409
        assert held(relay, API_KEY) == ""


def test_another_relay_process_serves_the_account_within_a_second(
        relay: RelayServer, tmp_path: Path, database: str) -> None:
    aurora = paired(relay, "Clínica Aurora")
    with RelayServer(tmp_path / "second", bare=True,
                     env={"RELAY_DATABASE_URL": database}) as second:
        sms = f"{second.url}/webhooks/sms"
        account = Account(sid=SID, token=TOKEN)
        assert inbound(account, sms, "SM" + "1" * 32, "+5511987654321", "+15005550006",
                       "Sim").status_code == 401
        assert put(relay, aurora, SID, TOKEN).status_code == 200
        deadline = time.monotonic() + 2
        while held(second, aurora) != SID:
            assert time.monotonic() < deadline, "the second process still serves the old row"
            time.sleep(0.1)
        reply = inbound(account, sms, "SM" + "2" * 32, "+5511987654321", "+15005550006", "Sim")
        assert reply.status_code == 200 and waiting(relay, aurora) == 1
