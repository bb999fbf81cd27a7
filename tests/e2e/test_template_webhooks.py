"""Meta's template webhooks (message_template_status_update, template_category_update)
through the real relay to the desktop's poller: routed to the practice by its
WhatsApp Business Account id, sealed, queued, and applied once to the template."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from nacl.public import PrivateKey, SealedBox
from sqlmodel import select

from app.models.conecta import MessageTemplate
from app.models.relay_records import RelayEvent
from app.services import config, relay_client, secrets, whatsapp_templates
from app.services.practice import Practice
from relay.config import ConfigError, from_environment
from tests.e2e.test_relay import signed
from tests.e2e.test_relay_many_practices import SECRETS, practices_file
from tests.fakes.relay_server import API_KEY, LINK_SECRET, RelayServer
from tests.fakes.whatsapp import FakeWhatsApp

WABA = "102290129340398"


def template_change(field: str, value: dict[str, Any], account: str = WABA,
                    time: int = 1_763_720_000) -> bytes:
    """Meta calling the relay: one WhatsApp Business Account change."""
    return json.dumps({"object": "whatsapp_business_account", "entry": [{
        "id": account, "time": time, "changes": [{"field": field, "value": value}]}]}).encode()


def post(relay: RelayServer, body: bytes) -> int:
    r = requests.post(f"{relay.url}/webhooks/whatsapp", data=body, headers=signed(body),
                      timeout=5)
    assert r.status_code == 200, r.text
    return int(r.json()["received"])


@pytest.fixture
def world(practice: Practice, tmp_path: Path) -> Iterator[tuple[RelayServer, FakeWhatsApp]]:
    public = relay_client.keys(practice)
    with FakeWhatsApp() as wa, RelayServer(tmp_path / "relay", public_key=public, env={
            "RELAY_WHATSAPP_BUSINESS_ACCOUNT_IDS": WABA}) as relay:
        config.set_values(practice, {"whatsapp.api_base": wa.url,
                                     "whatsapp.phone_number_id": wa.rules.phone_number_id,
                                     "whatsapp.business_account_id": WABA,
                                     "relay.url": relay.url})
        secrets.store("whatsapp.token", wa.rules.token)
        secrets.store("relay.api_key", API_KEY)
        secrets.store("relay.link_secret", LINK_SECRET)
        whatsapp_templates.refresh(practice)
        yield relay, wa


def row(p: Practice, language: str = "pt_BR") -> MessageTemplate:
    with p.db.read() as s:
        found = s.exec(select(MessageTemplate).where(
            MessageTemplate.name == "lembrete_sessao",
            MessageTemplate.language == language)).one()
        s.expunge(found)
        return found


def test_a_paused_template_is_marked_through_the_relay(
        practice: Practice, world: tuple[RelayServer, FakeWhatsApp]) -> None:
    relay, wa = world
    meta_id = wa.rules.meta_templates[0]["id"]
    paused = template_change("message_template_status_update", {
        "event": "PAUSED", "message_template_id": int(meta_id),
        "message_template_name": "lembrete_sessao", "message_template_language": "pt_BR",
        "reason": "NONE", "message_template_category": "UTILITY"})
    assert post(relay, paused) == 1
    assert post(relay, paused) == 0  # Meta delivering it again: queued once
    assert b"lembrete_sessao" not in relay.bytes_at_rest()  # sealed
    result = relay_client.Poller(practice).poll_once()
    assert (result.applied, result.seen) == (1, 1)
    assert row(practice).status == "PAUSED"
    [choice] = whatsapp_templates.choices(practice)
    assert choice.versions[0].reason.startswith("Meta paused the template lembrete_sessao")
    with practice.db.read() as s:
        assert [e.outcome for e in s.exec(select(RelayEvent))] == ["marked"]

    # Meta moves the English one to marketing, then reinstates the Portuguese one.
    moved = template_change("template_category_update", {
        "message_template_id": int(wa.rules.meta_templates[1]["id"]),
        "message_template_name": "lembrete_sessao", "message_template_language": "en_US",
        "previous_category": "UTILITY", "new_category": "MARKETING"}, time=1_763_720_100)
    reinstated = template_change("message_template_status_update", {
        "event": "REINSTATED", "message_template_id": int(meta_id),
        "message_template_name": "lembrete_sessao", "message_template_language": "pt_BR",
        "reason": "NONE"}, time=1_763_720_200)
    assert post(relay, moved) + post(relay, reinstated) == 2
    relay_client.Poller(practice).poll_once()
    english = row(practice, "en_US")
    assert (english.category, english.previous_category) == ("MARKETING", "UTILITY")
    assert row(practice).status == "APPROVED"
    assert whatsapp_templates.choices(practice)[0].usable


def test_an_announced_category_change_and_another_account_change_nothing(
        practice: Practice, world: tuple[RelayServer, FakeWhatsApp]) -> None:
    relay, wa = world
    announced = template_change("template_category_update", {
        "message_template_id": int(wa.rules.meta_templates[0]["id"]),
        "message_template_name": "lembrete_sessao", "message_template_language": "pt_BR",
        "correct_category": "MARKETING", "new_category": "UTILITY",
        "category_update_timestamp": 1_763_800_000})
    stranger = template_change("message_template_status_update", {
        "event": "DISABLED", "message_template_id": 1, "message_template_name": "x",
        "message_template_language": "pt_BR", "reason": "NONE"}, account="999")
    assert post(relay, announced) == 1
    assert post(relay, stranger) == 0  # no practice lists that account
    relay_client.Poller(practice).poll_once()
    assert (row(practice).category, row(practice).previous_category) == ("UTILITY", "")


def test_accounts_route_template_webhooks_between_practices(tmp_path: Path) -> None:
    keys = {name: PrivateKey.generate() for name in SECRETS}
    public = {n: base64.b64encode(bytes(k.public_key)).decode() for n, k in keys.items()}
    path = practices_file(tmp_path, public)
    text = path.read_text(encoding="utf-8").replace(
        'whatsapp_phone_number_ids = ["2077", "2078"]',
        'whatsapp_phone_number_ids = ["2077", "2078"]\n'
        f'whatsapp_business_account_ids = ["{WABA}"]')
    path.write_text(text, encoding="utf-8")
    with RelayServer(tmp_path / "relay", env={"RELAY_PRACTICES_FILE": str(path)}) as relay:
        body = template_change("message_template_status_update", {
            "event": "PAUSED", "message_template_id": 7, "message_template_name": "aviso",
            "message_template_language": "pt_PT", "reason": "NONE"})
        assert post(relay, body) == 1
        for name, key in SECRETS.items():
            events = requests.get(f"{relay.url}/api/v1/events", timeout=5, headers={
                "Authorization": f"Bearer {key[1]}"}).json()["events"]
            if name == "bem-estar":
                [event] = events
                assert event["kind"] == "whatsapp_template"
                opened = json.loads(SealedBox(keys[name]).decrypt(
                    base64.b64decode(event["sealed"])))
                assert opened["account"] == WABA and opened["value"]["event"] == "PAUSED"
            else:
                assert events == []


def test_account_ids_are_checked_and_kept_apart(tmp_path: Path) -> None:
    keys = {name: PrivateKey.generate() for name in SECRETS}
    public = {n: base64.b64encode(bytes(k.public_key)).decode() for n, k in keys.items()}
    path = practices_file(tmp_path, public)
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace('timezone = "America/Sao_Paulo"',
                                     'timezone = "America/Sao_Paulo"\n'
                                     'whatsapp_business_account_ids = ["Aurora"]'),
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="'Aurora' is not a WhatsApp Business Account id"):
        from_environment({"RELAY_PRACTICES_FILE": str(path)})
    both = original.replace('whatsapp_phone_number_ids = ["1098"]',
                            f'whatsapp_phone_number_ids = ["1098"]\n'
                            f'whatsapp_business_account_ids = ["{WABA}"]')
    both = both.replace('whatsapp_phone_number_ids = ["2077", "2078"]',
                        f'whatsapp_phone_number_ids = ["2077", "2078"]\n'
                        f'whatsapp_business_account_ids = ["{WABA}"]')
    path.write_text(both, encoding="utf-8")
    with pytest.raises(ConfigError, match=f"share the same WhatsApp Business Account {WABA}"):
        from_environment({"RELAY_PRACTICES_FILE": str(path)})
    settings = from_environment({
        "RELAY_LINK_SECRET": LINK_SECRET, "RELAY_API_KEY": API_KEY,
        "RELAY_PUBLIC_KEY": public["aurora"],
        "RELAY_WHATSAPP_BUSINESS_ACCOUNT_IDS": f" {WABA}, 102290129340399 "})
    assert settings.practices[0].whatsapp_business_account_ids == {WABA, "102290129340399"}
