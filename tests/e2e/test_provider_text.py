"""Text the practice typed never makes a provider refuse a message: names and
services with tabs, runs of spaces and line breaks reach WhatsApp (Meta's 132018
rule), Twilio (1,600 characters) and SMTP (one-line headers) in the shape each
accepts — for reminders, notices, Conecta and the Integrations page's test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.models.tables import Client, Service
from app.services import (
    attendances,
    clients,
    config,
    conversations,
    outbox,
    reminders,
    scheduling,
    secrets,
)
from app.services.channels import Outgoing, email, text
from app.services.clock import FrozenClock
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import AGREED, add_service, local
from tests.fakes.smtp import SmtpServer
from tests.fakes.twilio import FakeTwilio
from tests.fakes.whatsapp import FakeWhatsApp, Rules

HOSTILE = ["Ana     Teste", "Bia\tTeste", "Carla\nTeste", "Dora \r\n  Teste\x00"]


@pytest.fixture
def servers() -> Iterator[tuple[SmtpServer, FakeWhatsApp, FakeTwilio]]:
    rules = Rules(templates={("lembrete_sessao", "pt_BR"): 4, ("aviso", "pt_BR"): 1})
    with SmtpServer() as smtp, FakeWhatsApp(rules) as wa, FakeTwilio() as tw:
        yield smtp, wa, tw


@pytest.fixture
def wired(practice: Practice, servers: tuple) -> tuple[SmtpServer, FakeWhatsApp, FakeTwilio]:
    smtp, wa, tw = servers
    for key, value in {
        "smtp.host": "127.0.0.1", "smtp.port": str(smtp.port), "smtp.security": "none",
        "smtp.from": "agenda@bemestar.example", "smtp.from_name": "Consultório\nBem-Estar",
        "whatsapp.api_base": wa.url, "whatsapp.phone_number_id": wa.rules.phone_number_id,
        "whatsapp.template": "lembrete_sessao", "whatsapp.language": "pt_BR",
        "whatsapp.params": "first_name,name,date,time",
        "sms.api_base": tw.url, "sms.account_sid": tw.account.sid, "sms.from": "+15005550006",
        "reminders.default": "whatsapp:1440,email:1440,sms:1440",
        "template.email.subject": "Lembrete de {service}, {name}",
        "template.sms.text": "{name}: {service} " + "x" * 1700,
    }.items():
        config.set_value(practice, key, value)
    secrets.store("whatsapp.token", wa.rules.token)
    secrets.store("sms.auth_token", tw.account.token)
    return servers


def client_named(p: Practice, name: str, n: int) -> int:
    """A client whose name is stored exactly as a spreadsheet or a form may leave it."""
    cid = clients.add(p, name=f"Client {n}", phone=f"+55 11 98765-43{n:02d}",
                      email=f"c{n}@example.com", consent=AGREED).id
    with p.db.write() as s:
        row = s.get(Client, cid)
        assert row is not None
        row.name = name
    return cid


def test_reminders_reach_every_channel_whatever_the_names_hold(
        practice: Practice, clock: FrozenClock, wired: tuple) -> None:
    smtp, wa, tw = wired
    service = add_service(practice, name="Terapia\tde  casal")
    with practice.db.write() as s:
        row = s.get(Service, service)
        assert row is not None
        row.name = "Terapia\tde     casal\n(online)"
    ids = []
    for n, name in enumerate(HOSTILE):
        ids.append(scheduling.book(practice, BookingRequest(
            client_id=client_named(practice, name, n),
            start=local(f"2026-11-23T{10 + n}:00"), service_id=service)))
    clock.set(local("2026-11-23T09:30"))
    report = outbox.Dispatcher(practice).dispatch_due()
    assert report.failed == 0 and wa.refused == []
    for a in ids:
        assert {m.state for m in reminders.list_for(practice, a)} == {"sent"}
    first_and_full = sorted((s.parameters[0], s.parameters[1]) for s in wa.sent)
    assert first_and_full == [("Ana", "Ana Teste"), ("Bia", "Bia Teste"),
                              ("Carla", "Carla Teste"), ("Dora", "Dora Teste")]
    subjects = sorted(str(m.message["Subject"]) for m in smtp.received)
    assert subjects[0] == "Lembrete de Terapia de casal (online), Ana Teste"
    assert all("\n" not in s for s in subjects)
    assert {str(m.message["From"]) for m in smtp.received} == {
        "Consultório Bem-Estar <agenda@bemestar.example>"}
    assert len(tw.sent) == 4 and all(len(sms.body) <= 1600 for sms in tw.sent)
    assert all("\x00" not in sms.body and sms.body.endswith("…") for sms in tw.sent)


def test_conecta_templates_and_free_text_are_cleaned_the_same_way(
        practice: Practice, wired: tuple) -> None:
    _smtp, wa, _tw = wired
    template = conversations.save_template(practice, name="aviso", language="pt_BR",
                                           body="Olá {{1}}!")
    card = attendances.start(practice, medium="whatsapp", name="Ana Teste",
                             phone="+55 11 98765-4321")
    queued = conversations.send_template(practice, card, template, ["Ana\t\t   Teste\n"])
    conversations.deliver(practice, queued)
    assert wa.sent[-1].parameters == ["Ana Teste"] and wa.refused == []
    assert conversations.detail(practice, card).entries[-1].body == "Olá Ana Teste!"


def test_each_destination_gets_its_own_shape() -> None:
    assert text.whatsapp_parameter("  \t \n") == "-"
    assert text.whatsapp_parameter("a" * 2000).endswith("…")
    assert len(text.whatsapp_parameter("a" * 2000)) == 1024
    assert text.whatsapp_parameter("Zé 👩‍⚕️") == "Zé 👩‍⚕️"  # joiners inside emoji stay
    assert text.whatsapp_text("linha 1\r\nlinha 2\x07") == "linha 1\nlinha 2"
    assert text.sms_body("a\r\nb") == "a\nb"
    assert text.header_value("Assunto\r\nBcc: x@evil.example") == "Assunto Bcc: x@evil.example"
    mail = email.build({"smtp.from": "a@b.example", "smtp.from_name": "A\nB"}, Outgoing(
        to="c@d.example", subject="x\ny", text="t", in_reply_to="<a@b>\r\nBcc: e@f",
        references=("<1@x>", "<2@x>\n")))
    assert mail["Subject"] == "x y" and mail["In-Reply-To"] == "<a@b> Bcc: e@f"
    assert mail["References"] == "<1@x> <2@x>" and mail["Bcc"] is None
    import email as email_lib
    from email import policy

    for name in ("Dra. Ana Souza, Psicóloga", "Consultório\r\nBcc: evil@example.com",
                 'Ana (CRP) "Psi"'):
        built = email.build({"smtp.from": "a@b.example", "smtp.from_name": name},
                            Outgoing(to="c@d.example", subject="s", text="t"))
        back = email_lib.message_from_bytes(built.as_bytes(), policy=policy.default)
        [sender] = back["From"].addresses
        assert sender.display_name == text.header_value(name) and back["Bcc"] is None
        assert sender.addr_spec == "a@b.example"
