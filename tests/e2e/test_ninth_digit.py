"""A Brazilian mobile is one line with or without its ninth digit: WhatsApp names
many Brazilian accounts by the eight-digit form, people type either. Replies,
SMS, the client lookup of a new attendance, searches and imports all find the
same person; answers go to the number as the provider last named it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.models.conecta import AttendanceStatus, Direction
from app.services import attendances, clients, conversations, importing, phones
from app.services.practice import Practice
from tests.e2e.test_conecta_channels import OUR_NUMBER, meta, poll, says, thread, world
from tests.fakes import twilio

__all__ = ["world"]  # the fixture, shared with the Conecta tests

WITH_NINE, WITHOUT_NINE = "5541987654321", "554187654321"


def test_a_reply_from_the_eight_digit_form_reaches_the_clients_card(
        practice: Practice, world: tuple) -> None:
    relay, wa, _tw, _smtp = world
    ana = clients.add(practice, name="Ana Teste", phone="(41) 98765-4321").id
    card = attendances.start(practice, medium="whatsapp", name="Ana Teste",
                             phone="(41) 98765-4321", originator=f"+{OUR_NUMBER}")
    assert attendances.card(practice, card).client_id == ana
    t = conversations.save_template(practice, name="boas_vindas", language="pt_BR",
                                    body="Olá {{1}}!")
    conversations.deliver(practice, conversations.send_template(practice, card, t, ["Ana"]))
    assert wa.sent[-1].to == WITH_NINE

    meta(relay, says(WITHOUT_NINE, "wamid.IN9", "Oi, confirmo.", name="Ana"))
    poll(practice)
    [only] = attendances.cards(practice)
    assert only.id == card and only.client_id == ana
    assert [e.direction for e in thread(practice, card)] == [Direction.OUTBOUND,
                                                               Direction.INBOUND]
    assert conversations.window(practice, card).open
    # The answer goes to the number WhatsApp named, so it threads in the client's chat.
    wa.rules.replied_within_24h.add(WITHOUT_NINE)
    conversations.deliver(practice, conversations.send_text(practice, card, "Obrigada!"))
    assert (wa.sent[-1].to, wa.sent[-1].text) == (WITHOUT_NINE, "Obrigada!")


def test_a_new_number_without_the_nine_is_linked_to_the_client(practice: Practice,
                                                              world: tuple) -> None:
    relay, _wa, tw, _smtp = world
    ana = clients.add(practice, name="Ana Teste", phone="(41) 98765-4321").id
    meta(relay, says(WITHOUT_NINE, "wamid.IN10", "Bom dia", name="Ana"))
    twilio.inbound(tw.account, f"{relay.url}/webhooks/sms", "SM" + "1" * 32,
                   "+554187654321", "+15005550006", "Oi")
    poll(practice)
    found = attendances.cards(practice)
    assert {(c.medium.value, c.client_id, c.status) for c in found} == {
        ("whatsapp", ana, AttendanceStatus.PENDING), ("sms", ana, AttendanceStatus.PENDING)}


@pytest.mark.parametrize("typed", ["(41) 8765-4321", "+55 41 8765-4321", "4187654321"])
def test_starting_an_attendance_finds_the_client_either_way(practice: Practice,
                                                            typed: str) -> None:
    ana = clients.add(practice, name="Ana Teste", phone="(41) 98765-4321").id
    card = attendances.start(practice, medium="voip", name="Ana", phone=typed)
    assert attendances.card(practice, card).client_id == ana


def test_the_client_typed_without_the_nine_is_stored_with_it(practice: Practice) -> None:
    ana = clients.add(practice, name="Ana Teste", phone="(41) 8765-4321")
    assert ana.phone == "+5541987654321"
    landline = clients.add(practice, name="Clínica", phone="(41) 3333-4444")
    assert landline.phone == "+554133334444"  # landlines never had a ninth digit


@pytest.mark.parametrize("typed", ["8765-4321", "98765-4321", "41 8765 4321", "5541987654321"])
def test_searches_find_either_form(practice: Practice, typed: str) -> None:
    clients.add(practice, name="Ana Teste", phone="(41) 98765-4321")
    assert [c.name for c in clients.search(practice, typed)] == ["Ana Teste"]
    attendances.start(practice, medium="voip", name="Ana", phone="(41) 98765-4321")
    found = attendances.cards(practice, attendances.Filter(text=typed))
    assert [c.name for c in found] == ["Ana"]


def test_an_import_matches_the_client_either_way(practice: Practice, tmp_path: Path) -> None:
    from tests.conftest import add_service

    add_service(practice, name="Sessão")
    ana = clients.add(practice, name="Ana Teste", phone="(41) 98765-4321").id
    f = tmp_path / "s.csv"
    f.write_text("nome;telefone;serviço;data;hora\n"
                 "Ana T.;+55 41 8765-4321;Sessão;23/11/2026;10:00\n"
                 "Bia;(41) 8111-2222;Sessão;24/11/2026;10:00\n"
                 "Bia;(41) 98111-2222;Sessão;25/11/2026;10:00\n", encoding="utf-8")
    report = importing.import_file(practice, f)
    assert report.imported == 3
    ids = [r.appointment_id for r in report.rows]
    from app.services import queries

    assert queries.show(practice, ids[0]).client_id == ana
    assert queries.show(practice, ids[1]).client_id == queries.show(practice, ids[2]).client_id
    assert len(clients.search(practice, "Bia")) == 1


def test_variants_cover_mobiles_only() -> None:
    assert phones.variants("+5541987654321") == ("+5541987654321", "+554187654321")
    assert phones.variants("+554187654321") == ("+554187654321", "+5541987654321")
    assert phones.variants("+554133334444") == ("+554133334444",)  # a landline
    assert phones.variants("+14155550123") == ("+14155550123",)
    assert phones.key("+554187654321") == phones.key("+5541987654321") == "+5541987654321"
    assert phones.key("+554133334444") != phones.key("+5541933334444")


def test_an_sms_without_the_nine_is_answered_with_it(practice: Practice, world: tuple) -> None:
    relay, _wa, tw, _smtp = world
    card = attendances.start(practice, medium="sms", name="Davi", phone="(41) 99876-1234",
                             originator="+15005550006")
    twilio.inbound(tw.account, f"{relay.url}/webhooks/sms", "SM" + "2" * 32,
                   "+554198761234", "+15005550006", "Oi")
    poll(practice)
    assert [c.id for c in attendances.cards(practice)] == [card]
    conversations.deliver(practice, conversations.send_text(practice, card, "Olá!"))
    assert tw.sent[-1].to == "+5541998761234"  # the eight-digit form cannot take SMS
