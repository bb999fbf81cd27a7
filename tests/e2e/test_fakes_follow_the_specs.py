"""The provider fakes hold requests to Meta's and Twilio's published specs: a request
the real provider would refuse for its shape is answered 400 and fails the test
that sent it, not only its connection."""

from __future__ import annotations

import pytest
import requests

from tests.fakes import spec
from tests.fakes.http import ContractViolation
from tests.fakes.twilio import FakeTwilio
from tests.fakes.whatsapp import FakeWhatsApp

needs_specs = pytest.mark.skipif(spec.folder() is None, reason=(
    "Meta's and Twilio's OpenAPI specs are not at hand: set PRACTICE_DESK_SPECS to the "
    "folder that holds them"))


@needs_specs
@pytest.mark.parametrize("mistake, expected", [
    ({"language": {"code": "pt_BR"}}, "'policy' is a required property"),
    ({"components": [{"type": "footer", "parameters": []}]}, "'footer' is not one of"),
    ({"components": [{"type": "button", "sub_type": "url", "index": "10",
                      "parameters": [{"type": "text", "text": "x"}]}]}, "does not match"),
])
def test_a_whatsapp_template_message_off_the_spec_fails_the_test(
        mistake: dict[str, object], expected: str) -> None:
    fake = FakeWhatsApp()
    template = {"name": "lembrete_sessao",
                "language": {"policy": "deterministic", "code": "pt_BR"}, **mistake}
    with pytest.raises(ContractViolation, match=expected), fake:
        answer = requests.post(
            f"{fake.url}/{fake.rules.phone_number_id}/messages", timeout=5,
            headers={"Authorization": f"Bearer {fake.rules.token}"},
            json={"messaging_product": "whatsapp", "recipient_type": "individual",
                  "to": "5511987654321", "type": "template", "template": template})
        assert answer.status_code == 400 and fake.sent == []


@needs_specs
def test_a_whatsapp_text_with_an_unknown_field_fails_the_test() -> None:
    fake = FakeWhatsApp()
    with pytest.raises(ContractViolation, match="'preview' was unexpected"), fake:
        requests.post(f"{fake.url}/{fake.rules.phone_number_id}/messages", timeout=5,
                      headers={"Authorization": f"Bearer {fake.rules.token}"},
                      json={"messaging_product": "whatsapp", "recipient_type": "individual",
                            "to": "5511987654321", "type": "text",
                            "text": {"body": "Olá", "preview": False}})


@needs_specs
def test_an_sms_form_off_the_spec_fails_the_test() -> None:
    fake = FakeTwilio()
    sid, token = fake.account.sid, fake.account.token
    with pytest.raises(ContractViolation, match="Callback: not a parameter"), fake:
        answer = requests.post(f"{fake.url}/2010-04-01/Accounts/{sid}/Messages.json",
                               auth=(sid, token), timeout=5,
                               data={"To": "+5511987654321", "From": "+15005550006",
                                     "Body": "Olá", "Callback": "https://example.com"})
        assert answer.status_code == 400 and fake.sent == []


def test_the_fakes_own_checks_hold_with_or_without_the_specs() -> None:
    """Meta's "to" is digits without "+" (the spec only says string)."""
    fake = FakeWhatsApp()
    with pytest.raises(ContractViolation, match=r"digits in E\.164 without"), fake:
        requests.post(f"{fake.url}/{fake.rules.phone_number_id}/messages", timeout=5,
                      headers={"Authorization": f"Bearer {fake.rules.token}"},
                      json={"messaging_product": "whatsapp", "recipient_type": "individual",
                            "to": "+5511987654321", "type": "text", "text": {"body": "Olá"}})
