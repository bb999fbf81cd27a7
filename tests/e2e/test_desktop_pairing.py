"""Pairing this computer with the real relay by a code: the secrets it hands out
once go to the keyring, links minted with them open on the relay, and every way
it can go wrong is a sentence that stores nothing."""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from app import i18n
from app.models.enums import Channel
from app.services import channel_checks, clients, config, relay_client, relay_pairing, secrets
from app.services.errors import InvalidInput
from app.services.practice import Practice
from app.services.scheduling import BookingRequest, book
from tests.conftest import add_service, local
from tests.e2e.pairing import (
    new_code,
    new_practice,
    other_web_server,
    relay_admin,
    relay_with_no_practice,
)
from tests.fakes.relay_server import RelayServer

STORED = ("relay.api_key", "relay.link_secret")


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[RelayServer]:
    with relay_with_no_practice(tmp_path / "relay") as server:
        yield server


def session(p: Practice, start: str = "2027-03-15T10:00", *, past: bool = False) -> int:
    c = clients.add(p, name="Maria Silva", phone="+55 11 98765-4321",
                    email="maria@example.com", consent=[Channel.EMAIL]).id
    return book(p, BookingRequest(client_id=c, start=local(start),
                                  service_id=add_service(p)), override=past)


def nothing_stored(p: Practice) -> bool:
    return not any(secrets.is_set(n) for n in STORED) and config.get(p, "relay.url") == "" \
        and config.get(p, "relay.practice_id") == ""


def keyring_file() -> str:
    import keyring

    return Path(keyring.get_keyring().file_path).read_text()  # type: ignore[attr-defined]


def test_a_practice_pairs_by_its_code(practice: Practice, relay: RelayServer) -> None:
    sealing = relay_client.keys(practice)  # made before: kept, never replaced
    later, sooner = session(practice, "2027-03-16T10:00"), session(practice)
    added = new_practice(relay)
    typed = "  " + added["code"].lower().replace("-", " - ") + " "  # as a person types it
    found = relay_pairing.pair(practice, relay.url + "/", typed)

    assert (found.relay, found.practice_id) == (relay.url, added["id"])
    assert config.get(practice, "relay.url") == relay.url
    assert config.get(practice, "relay.practice_id") == added["id"]
    api_key, link_secret = (secrets.load(n) for n in STORED)
    assert api_key and link_secret and len(link_secret) >= 32
    stored = keyring_file()  # keyrings.alt's file (base64): the secrets live there
    assert all(base64.b64encode(v.encode()).decode() in stored for v in (api_key, link_secret))
    assert relay_client.keys(practice) == sealing
    # The sample link: the next session, minted with the new secret, opens on the relay.
    assert found.sample is not None and found.sample.appointment_id == sooner
    assert found.sample.url == relay_client.link(practice, sooner) != \
        relay_client.link(practice, later)
    page = requests.get(found.sample.url, timeout=5)
    assert page.status_code == 200 and "Clínica Aurora" in page.text
    assert found.said.startswith(f"Paired with the relay at {relay.url} as practice "
                                 f"{added['id']}: it answers and accepts this computer's key.")
    assert f"Open the link for session #{sooner} (3/15/27, 10:00\u202fAM)" in found.said
    for value in (api_key, link_secret, added["code"]):
        assert value not in found.said and value not in str(found.as_json())
    # The new key polls: a client's tap on the link reaches the session.
    poller = relay_client.Poller(practice)
    assert poller.poll_once().seen == 0
    requests.post(found.sample.url, data={"action": "confirm"}, timeout=5)
    assert poller.poll_once().applied == 1
    last = channel_checks.latest(practice)["links"]
    assert last.ok and last.said == found.said


def test_the_sealing_key_is_made_when_there_is_none(practice: Practice,
                                                    relay: RelayServer) -> None:
    assert secrets.load("relay.private_key") is None
    relay_pairing.pair(practice, relay.url, new_practice(relay)["code"])
    public = relay_client.keys(practice)
    assert len(base64.b64decode(public)) == 32
    # The relay seals clients' words to it: a cancellation's reason is readable here.
    sid = session(practice)
    requests.post(relay_client.link(practice, sid), timeout=5,
                  data={"action": "cancel", "reason": "Estou com febre"})
    relay_client.Poller(practice).poll_once()
    assert [r.reason for r in relay_client.pending_requests(practice)] == ["Estou com febre"]


def test_no_session_ahead_no_link_invented(practice: Practice, relay: RelayServer) -> None:
    session(practice, "2026-11-18T10:00", past=True)  # before now: no link to try
    found = relay_pairing.pair(practice, relay.url, new_practice(relay)["code"])
    assert found.sample is None
    assert found.said.endswith("No session is scheduled ahead, so there is no link to try "
                               "yet.")


def test_a_wrong_or_used_code_is_said_and_nothing_is_stored(practice: Practice,
                                                            relay: RelayServer) -> None:
    added = new_practice(relay)
    with pytest.raises(relay_pairing.PairingFailed) as wrong:
        relay_pairing.pair(practice, relay.url, "ABCD-EFGH-JKMN-PQRS-TVWX")
    assert wrong.value.problem == "code"
    assert str(wrong.value).startswith("The relay does not know this code, or it was "
                                       "already used or has expired")
    assert nothing_stored(practice)
    assert secrets.load("relay.private_key") is None  # nothing at all
    last = channel_checks.latest(practice)["links"]
    assert not last.ok and last.said == str(wrong.value)
    relay_pairing.pair(practice, relay.url, added["code"])
    with pytest.raises(relay_pairing.PairingFailed, match="already used") as used:
        relay_pairing.pair(practice, relay.url, added["code"])  # once only
    assert used.value.problem == "code"


def test_the_code_is_said_in_portuguese(practice: Practice, relay: RelayServer) -> None:
    with i18n.speaking("pt_BR"), pytest.raises(relay_pairing.PairingFailed) as wrong:
        relay_pairing.pair(practice, relay.url, "ABCD-EFGH-JKMN-PQRS-TVWX")
    assert "código" in str(wrong.value)


def test_what_cannot_be_a_code_or_an_address_is_refused_before_asking(
        practice: Practice) -> None:
    assert relay_pairing.canonical_code(" 7k3q-mpx9 tv2a–ab12\tcd34 ") == \
        "7K3QMPX9TV2AAB12CD34"
    for typed, said in (("", "Type the pairing code"),
                        ("7K3Q/MPX9", "is not a pairing code")):
        with pytest.raises(InvalidInput, match=said):
            relay_pairing.pair(practice, "https://relay.example.com", typed)
    for address, said in (("http://relay.example.com", "would send the practice's keys "
                                                       "unencrypted"),
                          ("ftp://relay.example.com", "is not a web address"),
                          ("relay.example.com/?x=1", "has a query"),
                          ("", "Type the relay's address")):
        with pytest.raises(InvalidInput, match=said):
            relay_pairing.pair(practice, address, "7K3Q-MPX9-TV2A-AB12-CD34")
    assert nothing_stored(practice)
    assert channel_checks.latest(practice) == {}  # nothing was tried
    # Typed without its scheme, as people type addresses: an https one.
    assert relay_pairing.relay_address("  relay.example.com/ ") == "https://relay.example.com"


def test_an_address_where_nothing_answers(practice: Practice) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(relay_pairing.RelayUnreachable) as away:
        relay_pairing.pair(practice, f"http://127.0.0.1:{port}", "7K3Q-MPX9-TV2A-AB12-CD34")
    assert str(away.value) == (f"Nothing answers at http://127.0.0.1:{port}: check the "
                               "address, and that the relay is running and reachable from "
                               "this computer.")
    assert away.value.problem == "unreachable" and nothing_stored(practice)


def test_a_web_server_that_is_not_a_relay(practice: Practice) -> None:
    with other_web_server() as url, pytest.raises(relay_pairing.PairingFailed) as other:
        relay_pairing.pair(practice, url, "7K3Q-MPX9-TV2A-AB12-CD34")
    assert str(other.value) == (f"{url} answers, but not as a Practice Desk relay: check the "
                                "address the person who runs the relay gave you.")
    assert other.value.problem == "not_a_relay" and nothing_stored(practice)


def test_a_certificate_this_computer_cannot_trust(practice: Practice,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    with other_web_server(tls=True) as url, pytest.raises(relay_pairing.PairingFailed) as tls:
        relay_pairing.pair(practice, url, "7K3Q-MPX9-TV2A-AB12-CD34")
    assert str(tls.value).startswith(f"The certificate of {url} could not be verified (")
    assert "self-signed certificate" in str(tls.value)
    assert tls.value.problem == "certificate" and nothing_stored(practice)


def test_too_many_attempts_say_when_to_try_again(practice: Practice, tmp_path: Path) -> None:
    with relay_with_no_practice(tmp_path / "relay", pair_per_ip_per_minute=2) as relay:
        codes = ["ABCD-EFGH-JKMN-PQRS-TVWX", "BCDE-FGHJ-KMNP-QRST-VWXY",
                 "CDEF-GHJK-MNPQ-RSTV-WXYZ"]
        for code in codes[:2]:
            with pytest.raises(relay_pairing.PairingFailed, match="does not know this code"):
                relay_pairing.pair(practice, relay.url, code)
        with pytest.raises(relay_pairing.PairingFailed) as slow:
            relay_pairing.pair(practice, relay.url, codes[2])
    assert slow.value.problem == "too_many"
    assert str(slow.value) == ("The relay refuses more pairing attempts for now: try again "
                               "in 1 minute.")
    assert nothing_stored(practice)


def test_pairing_again_rotates_and_links_already_sent_keep_working(
        practice: Practice, relay: RelayServer) -> None:
    sid = session(practice)
    added = new_practice(relay)
    relay_pairing.pair(practice, relay.url, added["code"])
    sealing, old_key = relay_client.keys(practice), secrets.load("relay.api_key")
    old_link = relay_client.link(practice, sid)  # already sent in a reminder

    found = relay_pairing.pair(practice, relay.url, new_code(relay, added["id"]))
    new_key, new_link = secrets.load("relay.api_key"), relay_client.link(practice, sid)
    assert new_key != old_key and new_link != old_link and found.sample is not None
    assert found.sample.url == new_link and relay_client.keys(practice) == sealing
    assert requests.get(old_link, timeout=5).status_code == 200  # still opens
    assert requests.get(new_link, timeout=5).status_code == 200
    refused = requests.get(f"{relay.url}/api/v1/events", timeout=5,
                           headers={"Authorization": f"Bearer {old_key}"})
    assert refused.status_code == 401  # the old key is gone
    requests.post(old_link, data={"action": "confirm"}, timeout=5)
    assert relay_client.Poller(practice).poll_once().applied == 1  # the new key polls


def test_testar_on_a_paired_practice(practice: Practice, relay: RelayServer) -> None:
    with pytest.raises(InvalidInput, match="not paired with a relay"):
        relay_pairing.check(practice)
    sid = session(practice)
    added = new_practice(relay)
    relay_pairing.pair(practice, relay.url, added["code"])
    found = relay_pairing.check(practice)
    assert found.said.startswith(f"The relay at {relay.url} answers and accepts this "
                                 "computer's key.")
    assert found.sample is not None and found.sample.appointment_id == sid
    assert found.practice_id == added["id"]
    state = relay_pairing.state(practice)
    assert (state.relay, state.practice_id, state.paired) == (relay.url, added["id"], True)
    assert state.last_check is not None and state.last_check.ok
    relay_admin(relay, "practice", "remove", added["id"])
    key = secrets.load("relay.api_key")
    deadline = time.monotonic() + 5  # the relay sees another process's change within 1 s
    while requests.get(f"{relay.url}/api/v1/events", timeout=5, headers={
            "Authorization": f"Bearer {key}"}).status_code != 401:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    with pytest.raises(relay_pairing.PairingFailed) as gone:
        relay_pairing.check(practice)
    assert gone.value.problem == "key_refused"
    assert "refused this computer's key" in str(gone.value)
    assert not channel_checks.latest(practice)["links"].ok
