"""Conecta's rules without a window: per-channel required fields, the card and its
client, tags and types, WhatsApp's 24-hour window case by case, template-first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from app.models.conecta import (
    Attendance,
    AttendanceStatus,
    ConversationEntry,
    DeliveryState,
    Direction,
    EntryKind,
    Medium,
    whatsapp_window,
)
from app.models.tables import AuditEvent
from app.services import attendances, clients, config, conversations
from app.services.clock import FrozenClock
from app.services.errors import FieldInvalid, InvalidInput
from app.services.practice import Practice

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def count(p: Practice) -> int:
    with p.db.read() as s:
        return int(s.exec(select(func.count()).select_from(Attendance)).one())


@pytest.mark.parametrize(("medium", "phone", "email", "field"), [
    ("sms", "", "", "phone"),
    ("whatsapp", "", "maria@example.com", "phone"),
    ("voip", "", "", "phone"),
    ("email", "+55 11 98765-4321", "", "email"),
    ("whatsapp", "12", "", "phone"),  # not a number
    ("email", "", "maria@", "email"),  # not an address
    ("sms", "11987654321", "not-an-address", "email"),  # optional, but checked when given
])
def test_each_channel_requires_its_field(practice: Practice, medium: str, phone: str,
                                         email: str, field: str) -> None:
    with pytest.raises(FieldInvalid) as refused:
        attendances.start(practice, medium=medium, name="Maria Silva", phone=phone, email=email)
    assert refused.value.field == field
    assert count(practice) == 0  # nothing half-written


def test_required_field_message_names_the_field_and_why(practice: Practice) -> None:
    with pytest.raises(FieldInvalid, match="Phone is required for WhatsApp"):
        attendances.start(practice, medium="whatsapp", name="Maria Silva")
    with pytest.raises(FieldInvalid, match="E-mail is required"):
        attendances.start(practice, medium="email", name="Maria Silva")
    with pytest.raises(FieldInvalid, match="Name is required"):
        attendances.start(practice, medium="voip", name="  ", phone="11987654321")


def test_start_normalises_and_links_the_client(practice: Practice) -> None:
    maria = clients.add(practice, name="Maria Silva", phone="(11) 98765-4321").id
    a = attendances.start(practice, medium="whatsapp", name="Maria", phone="11 98765 4321",
                          tags=["Urgente", "urgente ", "retorno"])
    card = attendances.card(practice, a)
    assert card.phone == "+5511987654321" and card.client_id == maria
    assert card.status is AttendanceStatus.IN_PROGRESS and card.tags == ("Urgente", "retorno")
    b = attendances.start(practice, medium="email", name="Maria", email=" Maria@Example.com ",
                          client_id=None)
    assert attendances.card(practice, b).email == "Maria@example.com"
    assert attendances.card(practice, b).client_id is None  # left unlinked on purpose
    # The tag typed in another case is the same tag.
    c = attendances.start(practice, medium="voip", name="Ana", phone="11 3456 7890",
                          tags=["URGENTE"])
    assert attendances.card(practice, c).tags == ("Urgente",)
    assert attendances.tags_in_use(practice) == ["Urgente", "retorno"]
    with practice.db.read() as s:
        started = s.exec(select(AuditEvent).where(AuditEvent.entity == "attendance",
                                                  AuditEvent.entity_id == a)).all()
    assert [e.action for e in started] == ["attendance_started"]


def test_originator_must_be_one_of_the_channels_own(practice: Practice) -> None:
    config.set_value(practice, "conecta.originators.whatsapp", "+55 11 3000-1000, +5511300020 00")
    config.set_value(practice, "conecta.originators.email", "agenda@bemestar.example")
    assert attendances.originators(practice, Medium.WHATSAPP) == ["+551130001000",
                                                                   "+551130002000"]
    with pytest.raises(FieldInvalid) as refused:
        attendances.start(practice, medium="whatsapp", name="Maria", phone="11987654321",
                          originator="agenda@bemestar.example")
    assert refused.value.field == "originator"
    attendances.start(practice, medium="whatsapp", name="Maria", phone="11987654321",
                      originator="+551130002000")
    with pytest.raises(InvalidInput, match="country code"):
        config.set_value(practice, "conecta.originators.sms", "3000-1000")


def test_types_built_in_and_own(practice: Practice) -> None:
    assert attendances.types(practice) == ["support", "after_sales", "commercial"]
    config.set_value(practice, "conecta.types", "Triagem, Financeiro")
    assert attendances.types(practice)[-2:] == ["Triagem", "Financeiro"]
    a = attendances.start(practice, medium="voip", name="Ana", phone="11987654321",
                          type="Triagem")
    assert attendances.card(practice, a).type == "Triagem"
    with pytest.raises(FieldInvalid) as refused:
        attendances.start(practice, medium="voip", name="Ana", phone="11987654322",
                          type="Jurídico")
    assert refused.value.field == "type"


def test_one_open_attendance_per_number_and_channel(practice: Practice) -> None:
    first = attendances.start(practice, medium="whatsapp", name="Maria", phone="11987654321")
    with pytest.raises(InvalidInput, match=f"#{first}"):
        attendances.start(practice, medium="whatsapp", name="Maria", phone="+5511987654321")
    attendances.start(practice, medium="sms", name="Maria", phone="11987654321")  # other channel
    attendances.update(practice, first, status="finished")
    second = attendances.start(practice, medium="whatsapp", name="Maria", phone="11987654321")
    with pytest.raises(InvalidInput, match="finish it"):
        attendances.update(practice, first, status="in_progress")
    assert attendances.card(practice, second).status is AttendanceStatus.IN_PROGRESS


def test_edits_are_audited_and_filters_find_cards(practice: Practice) -> None:
    a = attendances.start(practice, medium="whatsapp", name="Maria Silva", phone="11987654321",
                          tags=["retorno"])
    b = attendances.start(practice, medium="email", name="João Souza",
                          email="joao@example.com", type="commercial", status="pending")
    attendances.update(practice, a, status="pending", tags=["retorno", "pagamento"],
                       notes="Quer remarcar")
    with practice.db.read() as s:
        changed = s.exec(select(AuditEvent).where(AuditEvent.action == "attendance_changed")
                         ).one()
    assert '"status": ["in_progress", "pending"]' in changed.changes
    F = attendances.Filter
    ids = lambda f: [c.id for c in attendances.cards(practice, f)]  # noqa: E731
    assert ids(F(medium=Medium.EMAIL)) == [b]
    assert ids(F(tag="pagamento")) == [a]
    assert ids(F(type="commercial")) == [b]
    assert sorted(ids(F(status=AttendanceStatus.PENDING))) == sorted([a, b])
    assert ids(F(text="joão")) == [b]
    assert ids(F(text="98765")) == [a]
    assert ids(F(text="joao@")) == [b]


def test_call_log(practice: Practice) -> None:
    a = attendances.start(practice, medium="voip", name="Ana", phone="11987654321")
    attendances.log_call(practice, a, direction="out", seconds=185, outcome="answered",
                         notes="Confirmou quinta")
    with pytest.raises(FieldInvalid, match="Only an answered call"):
        attendances.log_call(practice, a, direction="out", seconds=30, outcome="no_answer")
    [entry] = conversations.detail(practice, a).entries
    assert (entry.kind, entry.call_seconds, entry.body) == (EntryKind.CALL, 185,
                                                             "Confirmou quinta")
    with pytest.raises(InvalidInput, match="VoIP"):
        conversations.send_text(practice, a, "Olá")


# ---------------------------------------------------------------- the 24-hour window

H = timedelta(hours=1)


@pytest.mark.parametrize(("inbound_ago", "refused_ago", "is_open", "reason"), [
    (None, None, False, "no_reply"),  # no inbound message yet
    (timedelta(hours=23, minutes=59), None, True, "open"),
    (timedelta(hours=24), None, False, "expired"),  # exactly 24 h: closed
    (timedelta(hours=24, minutes=1), None, False, "expired"),
    (2 * H, 1 * H, False, "refused"),  # Meta answered 131047 after the last reply
    (1 * H, 2 * H, True, "open"),  # a reply after the refusal opens it again
])
def test_window_case_by_case(inbound_ago: timedelta | None, refused_ago: timedelta | None,
                             is_open: bool, reason: str) -> None:
    w = whatsapp_window(NOW - inbound_ago if inbound_ago else None,
                        NOW - refused_ago if refused_ago else None, NOW)
    assert (w.open, w.reason) == (is_open, reason)
    if is_open:
        assert w.closes_at == NOW - inbound_ago + timedelta(hours=24)  # type: ignore[operator]


def entry(p: Practice, attendance_id: int, direction: Direction, at: datetime,
          kind: EntryKind = EntryKind.TEXT) -> None:
    with p.db.write() as s:
        s.add(ConversationEntry(attendance_id=attendance_id, direction=direction, kind=kind,
                                body="…", author="x", at=at,
                                state=DeliveryState.RECEIVED if direction is Direction.INBOUND
                                else DeliveryState.SENT))


def test_window_counts_only_the_clients_messages(practice: Practice, clock: FrozenClock) -> None:
    a = attendances.start(practice, medium="whatsapp", name="Maria", phone="11987654321")
    # Only outbound messages (a template sent an hour ago): still closed.
    entry(practice, a, Direction.OUTBOUND, NOW - H, EntryKind.TEMPLATE)
    assert conversations.window(practice, a).reason == "no_reply"
    # A quick-reply tap counts as a reply.
    entry(practice, a, Direction.INBOUND, NOW - 30 * H, EntryKind.REPLY_BUTTON)
    assert conversations.window(practice, a).reason == "expired"
    entry(practice, a, Direction.INBOUND, NOW - 2 * H, EntryKind.REPLY_BUTTON)
    w = conversations.window(practice, a)
    assert w.open and w.left(NOW) == timedelta(hours=22)
    # A newer inbound message resets it.
    clock.advance(timedelta(hours=20))
    entry(practice, a, Direction.INBOUND, clock.now())
    assert conversations.window(practice, a).left(clock.now()) == timedelta(hours=24)
    # A template sent now does not extend it.
    entry(practice, a, Direction.OUTBOUND, clock.now() + H, EntryKind.TEMPLATE)
    clock.advance(timedelta(hours=24))
    assert not conversations.window(practice, a).open


def test_first_contact_must_be_a_template(practice: Practice) -> None:
    a = attendances.start(practice, medium="whatsapp", name="Maria", phone="11987654321")
    with pytest.raises(InvalidInput, match="first contact must be an approved template"):
        conversations.send_text(practice, a, "Olá, tudo bem?")
    t = conversations.save_template(practice, name="boas_vindas", language="pt_BR",
                                    body="Olá {{1}}, aqui é do {{2}}.",
                                    labels=["Nome", "Consultório"])
    with pytest.raises(FieldInvalid, match="needs 2 parameters"):
        conversations.send_template(practice, a, t, ["Maria"])
    queued = conversations.send_template(practice, a, t, ["Maria", "Bem-Estar"])
    [sent] = conversations.detail(practice, a).entries
    assert sent.id == queued.entry_id and sent.body == "Olá Maria, aqui é do Bem-Estar."
    assert sent.state is DeliveryState.QUEUED
    with pytest.raises(InvalidInput, match="first contact"):  # a template does not open it
        conversations.send_text(practice, a, "E então?")
    entry(practice, a, Direction.INBOUND, NOW)
    conversations.send_text(practice, a, "Que bom que respondeu!")
    assert len(conversations.detail(practice, a).entries) == 3


def test_templates_are_checked(practice: Practice) -> None:
    with pytest.raises(FieldInvalid) as bad:
        conversations.save_template(practice, name="Boas Vindas", language="pt_BR", body="x")
    assert bad.value.field == "name"
    with pytest.raises(FieldInvalid, match="without gaps"):
        conversations.save_template(practice, name="x", language="pt_BR", body="{{1}} {{3}}")
    with pytest.raises(FieldInvalid) as bad:
        conversations.save_template(practice, name="x", language="portuguese", body="oi")
    assert bad.value.field == "language"
    t = conversations.save_template(practice, name="x", language="pt_BR", body="oi {{1}}")
    with pytest.raises(FieldInvalid, match="already registered"):
        conversations.save_template(practice, name="x", language="pt_BR", body="olá {{1}}")
    assert [x.parameter_count for x in conversations.templates(practice)] == [1]
    conversations.remove_template(practice, t)
    assert conversations.templates(practice) == []


def test_own_types_refuse_built_in_names_commas_and_keep_order(practice: Practice) -> None:
    from app.services import conecta_setup

    assert conecta_setup.set_own_types(practice, ["Avaliação", " Retorno ", "avaliação"]) == (
        "Avaliação", "Retorno")
    for bad in (["Support"], ["commercial"], ["a, b"], ["x" * 41]):
        with pytest.raises(FieldInvalid) as refused:
            conecta_setup.set_own_types(practice, bad)
        assert refused.value.field == "types"
    assert attendances.types(practice)[3:] == ["Avaliação", "Retorno"]  # unchanged
    a = attendances.start(practice, medium="voip", name="Ana", phone="11987654321",
                          type="Retorno")
    conecta_setup.set_own_types(practice, [])
    assert attendances.card(practice, a).type == "Retorno"  # kept by the card


def test_originators_read_local_numbers_and_save_all_or_nothing(practice: Practice) -> None:
    from app.services import conecta_setup

    config.set_value(practice, "smtp.from", "agenda@bemestar.example")
    assert conecta_setup.load(practice).fallback[Medium.EMAIL] == "agenda@bemestar.example"
    with pytest.raises(FieldInvalid) as refused:
        conecta_setup.set_originators(practice, {Medium.WHATSAPP: ["(11) 3456-7890"],
                                                 Medium.SMS: ["123"]})
    assert refused.value.field == "sms" and "123" in str(refused.value)
    assert attendances.originators(practice, Medium.WHATSAPP) == []
    saved = conecta_setup.set_originators(practice, {
        Medium.WHATSAPP: ["(11) 3456-7890", "+55 11 3456-7890"],
        Medium.EMAIL: ["Contato@BemEstar.example"]})
    assert saved[Medium.WHATSAPP] == ("+551134567890",)
    assert attendances.originators(practice, Medium.WHATSAPP) == ["+551134567890"]
    assert attendances.originators(practice, Medium.EMAIL) == ["Contato@bemestar.example"]
    assert conecta_setup.load(practice).listed[Medium.SMS] == ()


def test_years_of_finished_attendances_never_hide_an_open_one(practice: Practice,
                                                              clock: FrozenClock) -> None:
    waiting = attendances.start(practice, medium="voip", name="Ana", phone="11987654321",
                                status="pending")
    for i in range(4):
        clock.advance(timedelta(hours=1))
        attendances.start(practice, medium="voip", name=f"C{i}", phone=f"1198765000{i}",
                          status="finished")
    board = attendances.cards(practice, limit=3)
    assert [c.status for c in board].count(AttendanceStatus.FINISHED) == 3
    assert waiting in [c.id for c in board]
    assert [c.id for c in board] == sorted((c.id for c in board), reverse=True)  # newest first
