"""The desktop gives the real relay (under uvicorn) the SMS box's Twilio account
(app.services.relay_twilio): after pairing by a code when Twilio is already set
up, and with `practice relay twilio`; a refusal or a relay out of reach is a
sentence, recorded as the calls' check, shown on the Integrações overview, and
Ligar para mim places no call until the relay has the account."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from nacl.public import PrivateKey

from app.services import (
    channel_checks,
    config,
    reach,
    relay_pairing,
    relay_twilio,
    secrets,
    voice_calls,
)
from app.services.errors import InvalidInput
from app.services.practice import Practice
from tests.e2e.pairing import new_practice, relay_with_no_practice
from tests.e2e.test_cli_relay import ok, run
from tests.fakes.relay_server import API_KEY, LINK_SECRET, RelayServer
from tests.fakes.twilio import Account, FakeTwilio

OTHER = Account(sid="AC" + "b" * 31 + "7", token="e" * 31 + "1")


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[RelayServer]:
    with relay_with_no_practice(tmp_path / "relay") as server:
        yield server


def twilio_set_up(p: Practice, tw: FakeTwilio) -> None:
    """What Salvar in Integrações › SMS keeps."""
    config.set_values(p, {"sms.api_base": tw.url, "sms.account_sid": tw.account.sid,
                          "sms.from": "+15005550006"})
    secrets.store("sms.auth_token", tw.account.token)


def held(relay: RelayServer, key: str) -> str:
    answer = requests.get(f"{relay.url}/api/v1/twilio-account",
                          headers={"Authorization": f"Bearer {key}"}, timeout=5)
    assert answer.status_code == 200
    return str(answer.json()["account_sid"])


def test_pairing_gives_the_relay_the_twilio_account_already_set_up(
        practice: Practice, relay: RelayServer) -> None:
    with FakeTwilio() as tw:
        twilio_set_up(practice, tw)
        found = relay_pairing.pair(practice, relay.url, new_practice(relay)["code"])
    sid = tw.account.sid
    assert found.twilio == (f"The relay at {relay.url} has the practice's Twilio account "
                            f"({sid}): clients' key presses on reminder calls and their SMS "
                            "replies reach the practice.")
    assert found.said.endswith(found.twilio)
    key = secrets.load("relay.api_key")
    assert key and held(relay, key) == sid == relay_twilio.on_relay(practice)
    check = channel_checks.latest(practice)["voice"]
    assert check.ok and check.said == found.twilio
    assert tw.account.token not in found.said + json.dumps(found.as_json())


def test_pairing_without_twilio_sends_nothing(practice: Practice, relay: RelayServer) -> None:
    found = relay_pairing.pair(practice, relay.url, new_practice(relay)["code"])
    assert found.twilio == "" and "Twilio" not in found.said
    assert "voice" not in channel_checks.latest(practice)
    assert relay_twilio.on_relay(practice) == ""


def test_a_refusal_is_said_recorded_and_on_the_overview_and_no_call_is_placed(
        practice: Practice, tmp_path: Path) -> None:
    # The relay's configuration names another Twilio account for this practice.
    env = {"RELAY_TWILIO_ACCOUNT_SID": OTHER.sid, "RELAY_TWILIO_AUTH_TOKEN": OTHER.token}
    with FakeTwilio() as tw, RelayServer(tmp_path / "relay", env=env) as relay:
        twilio_set_up(practice, tw)
        config.set_value(practice, "relay.url", relay.url)
        secrets.store("relay.api_key", API_KEY)
        secrets.store("relay.link_secret", LINK_SECRET)
        with pytest.raises(relay_twilio.TwilioNotShared) as refused:
            relay_twilio.share(practice)
        said = str(refused.value)
        assert said == (
            "The relay refused the practice's Twilio account: This practice's Twilio account "
            "is set in the relay's configuration (the relay's environment "
            "(RELAY_TWILIO_ACCOUNT_SID, RELAY_TWILIO_AUTH_TOKEN)): ask the person who runs "
            "the relay to change it there.")
        check = channel_checks.latest(practice)["voice"]
        assert not check.ok and check.said == said
        [voice] = [r for r in reach.overview(practice) if r.channel == "voice"]
        assert voice.state is reach.State.PROBLEM and voice.check == check
        assert voice.next_step.startswith("The last check failed, and clients' key presses "
                                          "on calls may not reach the practice")
        # Ligar para mim: the relay is asked first, and no call is placed.
        with pytest.raises(relay_twilio.TwilioNotShared, match="set in the relay's config"):
            voice_calls.test_call(practice, "+55 11 91234-5678")
        assert tw.calls == []
        assert held(relay, API_KEY) == OTHER.sid  # nothing changed there
        assert tw.account.token not in said
    # The relay out of reach: said, recorded.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        config.set_value(practice, "relay.url", f"http://127.0.0.1:{s.getsockname()[1]}")
        with pytest.raises(relay_twilio.TwilioNotShared, match="cannot be reached"):
            relay_twilio.share(practice)
    assert "cannot be reached" in channel_checks.latest(practice)["voice"].said


def test_without_a_relay_nothing_is_sent_nor_recorded(practice: Practice) -> None:
    with FakeTwilio() as tw:
        twilio_set_up(practice, tw)
        assert not relay_twilio.ready(practice)
        assert relay_twilio.share_if_ready(practice) is None
        with pytest.raises(InvalidInput, match="relay is not set up"):
            relay_twilio.share(practice)
    assert "voice" not in channel_checks.latest(practice)


def test_practice_relay_twilio_json_and_exit_status(tmp_path: Path,
                                                    relay: RelayServer) -> None:
    folder = tmp_path / "p"
    unpaired = run(folder, "relay", "twilio", "--json")
    assert unpaired.returncode == 3
    assert json.loads(unpaired.stdout) == {
        "shared": False, "error": "The confirmation links' relay is not set up: connect it "
                                  "first in Settings › Integrations."}
    ok(folder, "relay", "pair", relay.url, new_practice(relay)["code"])
    no_twilio = run(folder, "relay", "twilio")
    assert (no_twilio.returncode, no_twilio.stdout) == (3, "")
    assert no_twilio.stderr.startswith("Twilio is not set up")
    with FakeTwilio() as tw:
        ok(folder, "config", "set", "sms.account_sid", tw.account.sid)
        ok(folder, "secret", "set", "sms.auth_token", stdin=tw.account.token + "\n")
        # Another practice on the relay took this account first.
        other = new_practice(relay, "Bem-Estar")
        public = base64.b64encode(bytes(PrivateKey.generate().public_key)).decode()
        paired = requests.post(f"{relay.url}/api/v1/pair", timeout=5, json={
            "code": other["code"], "public_key": public}).json()
        taken = requests.put(f"{relay.url}/api/v1/twilio-account", timeout=5,
                             headers={"Authorization": f"Bearer {paired['api_key']}"},
                             json={"account_sid": tw.account.sid,
                                   "auth_token": tw.account.token})
        assert taken.status_code == 200
        refused = run(folder, "relay", "twilio", "--json")
        assert refused.returncode == 3
        error = json.loads(refused.stdout)
        assert error["shared"] is False and error["error"].startswith(
            "The relay refused the practice's Twilio account: Another practice on this relay "
            "already uses this Twilio account")
        assert refused.stderr.strip() == error["error"]
        # Once the other practice has its own account, this one's goes through.
        requests.put(f"{relay.url}/api/v1/twilio-account", timeout=5,
                     headers={"Authorization": f"Bearer {paired['api_key']}"},
                     json={"account_sid": OTHER.sid, "auth_token": OTHER.token})
        shared = run(folder, "relay", "twilio", "--json")
        assert shared.returncode == 0, shared.stderr
        assert json.loads(shared.stdout) == {
            "shared": True, "relay": relay.url, "account_sid": tw.account.sid,
            "said": f"The relay at {relay.url} has the practice's Twilio account "
                    f"({tw.account.sid}): clients' key presses on reminder calls and their "
                    "SMS replies reach the practice."}
        text = run(folder, "relay", "twilio")
        assert text.returncode == 0 and text.stdout.startswith(f"The relay at {relay.url} has")
        assert tw.account.token not in shared.stdout + text.stdout + refused.stdout
