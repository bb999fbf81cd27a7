"""WhatsApp set up from what Meta already knows, against the fake Graph API on
loopback: the number read with the token, each wrong value said in words, the
templates read page after page into the app's templates, marked when Meta
pauses, rejects, disables or recategorises one, and a paused template kept
from the reminders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import select

from app.models.conecta import MessageTemplate
from app.models.enums import Channel
from app.models.outbox import MessageState, OutboxMessage
from app.services import (
    channel_checks,
    channel_setup,
    config,
    conversations,
    secrets,
    whatsapp_number,
    whatsapp_templates,
)
from app.services.channels import ChannelError
from app.services.channels.graph import GraphRefused
from app.services.clock import FrozenClock
from app.services.errors import FieldInvalid
from app.services.outbox import Dispatcher, send_test
from app.services.practice import Practice
from tests.conftest import local
from tests.e2e.test_reminders import book, client
from tests.fakes.whatsapp import FakeWhatsApp, meta_template


@pytest.fixture
def wa(practice: Practice) -> Iterator[FakeWhatsApp]:
    with FakeWhatsApp() as fake:
        config.set_values(practice, {
            "whatsapp.api_base": fake.url,
            "whatsapp.phone_number_id": fake.rules.phone_number_id,
            "whatsapp.business_account_id": fake.rules.business_account_id})
        secrets.store("whatsapp.token", fake.rules.token)
        yield fake


def test_the_number_is_read_and_the_check_recorded(practice: Practice,
                                                    wa: FakeWhatsApp) -> None:
    number = whatsapp_number.check(practice)
    assert whatsapp_number.said(number) == "+55 11 3000-1000, Clínica Aurora, quality: high"
    assert wa.reads == [f"/{wa.rules.phone_number_id}"]
    last = channel_checks.latest(practice)["whatsapp"]
    assert last.ok and last.said == "+55 11 3000-1000, Clínica Aurora, quality: high"


@pytest.mark.parametrize("change, words, code", [
    ({"token": "EAAG-another"}, "Meta refused the access token", "190"),
    ({"phone_number_id": "555000111"}, "Meta knows no phone number with the id 109876543210",
     "100/33"),
    ({"denied": 10}, "lacks a permission for this number", "10"),
    ({"denied": 200}, "lacks a permission for this number", "200"),
    ({"throttled": True}, "too many calls to this WhatsApp account", "80008"),
])
def test_each_refusal_is_one_sentence_saying_what_to_change(
        practice: Practice, wa: FakeWhatsApp, change: dict[str, object], words: str,
        code: str) -> None:
    for name, value in change.items():
        setattr(wa.rules, name, value)
    with pytest.raises(GraphRefused, match=words) as refused:
        whatsapp_number.check(practice)
    assert refused.value.code == code
    last = channel_checks.latest(practice)["whatsapp"]
    assert not last.ok and words in last.said
    assert "EAAG" not in last.said  # the token is never said


def test_an_id_that_is_not_digits_and_an_unreachable_api(practice: Practice,
                                                        wa: FakeWhatsApp) -> None:
    config.set_value(practice, "whatsapp.phone_number_id", "+55 11 3000-1000")
    with pytest.raises(GraphRefused, match="digits the Meta app's WhatsApp › API Setup page"):
        whatsapp_number.check(practice)
    assert wa.reads == []  # nothing was asked of Meta
    config.set_values(practice, {"whatsapp.phone_number_id": wa.rules.phone_number_id,
                                 "whatsapp.api_base": "http://127.0.0.1:9"})
    with pytest.raises(GraphRefused, match="could not be reached") as refused:
        whatsapp_number.check(practice)
    assert refused.value.code == "network"
    with pytest.raises(Exception, match="only digits"):
        config.set_value(practice, "whatsapp.business_account_id", "Clínica Aurora")


def test_templates_are_read_across_pages(practice: Practice, wa: FakeWhatsApp) -> None:
    wa.rules.page_limit = 2
    wa.rules.meta_templates.append(meta_template(
        "boas_vindas", "pt_BR", "Olá {{1}}! Podemos ajudar?", category="MARKETING",
        quick_replies=("Sim",)))
    result = whatsapp_templates.refresh(practice)
    assert (result.read, result.usable, result.gone) == (3, 3, 0)
    assert wa.pages_served == 2
    found = {c.name: c for c in whatsapp_templates.choices(practice)}
    reminder = found["lembrete_sessao"]
    assert [v.language for v in reminder.versions] == ["pt_BR", "en_US"]
    assert reminder.category == "UTILITY" and reminder.parameters == 3
    assert reminder.link_button and reminder.usable
    welcome = found["boas_vindas"]
    assert welcome.category == "MARKETING" and not welcome.link_button
    lines = whatsapp_templates.explain(reminder, ["first_name", "date", "time"], True)
    assert lines[0].startswith("Category: utility")
    assert "The app fills {{1}} = first name, {{2}} = date, {{3}} = time." in lines
    assert "Its button carries the confirmation link." in lines
    short = whatsapp_templates.explain(reminder, ["first_name"], True)
    assert any("has 3 parameters; the fields chosen below fill 1" in line for line in short)
    # Conecta's composer offers them too, nobody typed one.
    assert {(t.name, t.language, t.category) for t in conversations.templates(practice)} == {
        ("lembrete_sessao", "pt_BR", "UTILITY"), ("lembrete_sessao", "en_US", "UTILITY"),
        ("boas_vindas", "pt_BR", "MARKETING")}


def test_a_template_typed_by_hand_becomes_metas_and_one_gone_is_marked(
        practice: Practice, wa: FakeWhatsApp) -> None:
    typed = conversations.save_template(practice, name="lembrete_sessao", language="pt_BR",
                                        body="Olá {{1}}", labels=["Nome"])
    whatsapp_templates.refresh(practice)
    with practice.db.read() as s:
        row = s.get(MessageTemplate, typed)
        assert row is not None and row.meta_id == wa.rules.meta_templates[0]["id"]
        assert row.body.startswith("Olá {{1}}! Lembrete") and row.parameter_labels == "Nome"
    wa.rules.meta_templates.pop(1)  # en_US deleted at Meta
    assert whatsapp_templates.refresh(practice).gone == 1
    [choice] = whatsapp_templates.choices(practice)
    assert choice.languages() == ["pt_BR"]
    assert "no longer in the WhatsApp Business Account" in choice.versions[1].reason


def test_statuses_and_categories_are_marked(practice: Practice, wa: FakeWhatsApp) -> None:
    wa.rules.meta_templates[0].update(status="PAUSED")
    wa.rules.meta_templates[1].update(status="REJECTED")
    wa.rules.meta_templates.append({**meta_template("aviso", "pt_BR", "Aviso {{1}}",
                                                    category="MARKETING"),
                                    "previous_category": "UTILITY"})
    wa.rules.meta_templates.append(meta_template("antigo", "pt_BR", "x", status="DISABLED"))
    whatsapp_templates.refresh(practice)
    found = {c.name: c for c in whatsapp_templates.choices(practice)}
    assert not found["lembrete_sessao"].usable
    assert "Meta paused the template lembrete_sessao (pt_BR)" in found["lembrete_sessao"].reason
    assert "Meta rejected the template lembrete_sessao (en_US" in \
        found["lembrete_sessao"].versions[1].reason
    assert "Meta disabled the template antigo" in found["antigo"].reason
    notice = found["aviso"]
    assert notice.usable and notice.versions[0].moved_from == "UTILITY"
    assert "Meta moved it from utility to marketing." in \
        whatsapp_templates.explain(notice, ["first_name"], False)[0]
    # Conecta will not send a paused one either.
    paused = next(t for t in conversations.templates(practice)
                  if t.name == "lembrete_sessao" and t.language == "pt_BR")
    assert "Meta paused" in paused.unusable


def test_the_reminder_cannot_use_a_paused_template(practice: Practice, wa: FakeWhatsApp,
                                                   clock: FrozenClock) -> None:
    wa.rules.meta_templates[0].update(status="PAUSED")
    whatsapp_templates.refresh(practice)
    with pytest.raises(FieldInvalid, match="Meta paused the template lembrete_sessao"):
        whatsapp_templates.check_choice(practice, "lembrete_sessao", "pt_BR,en_US")
    # Chosen before Meta paused it: the session panel says so, and nothing is sent.
    config.set_values(practice, {"whatsapp.template": "lembrete_sessao",
                                 "whatsapp.language": "pt_BR", "reminders.default":
                                 "whatsapp:1440"})
    ready = channel_setup.readiness(practice)[Channel.WHATSAPP]
    assert ready is not None and "Meta paused" in ready.text
    assert ready.fix == channel_setup.NOTIFICATIONS
    with pytest.raises(ChannelError, match="Meta paused"):
        send_test(practice, Channel.WHATSAPP, "11987654321")
    appointment = book(practice, client(practice))
    clock.set(local("2026-11-22T10:00"))
    Dispatcher(practice).dispatch_due()
    with practice.db.read() as s:
        [row] = s.exec(select(OutboxMessage).where(
            OutboxMessage.appointment_id == appointment)).all()
        assert row.state is MessageState.SKIPPED and "Meta paused" in (row.last_error or "")
    assert wa.sent == []
    # Meta reinstates it: the next reminder goes.
    wa.rules.meta_templates[0].update(status="APPROVED")
    whatsapp_templates.refresh(practice)
    assert channel_setup.readiness(practice)[Channel.WHATSAPP] is None
    whatsapp_templates.check_choice(practice, "lembrete_sessao", "pt_BR")
    assert send_test(practice, Channel.WHATSAPP, "11987654321").startswith("wamid.")
