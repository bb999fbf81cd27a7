"""Clients (E.164 phones, valid e-mails, consent with dates, figures) and settings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.models.enums import Channel
from app.services import clients, scheduling, settings
from app.services.clock import FrozenClock
from app.services.errors import InvalidInput, NotFound
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import NOW, add_client, add_service, local


@pytest.mark.parametrize(("typed", "stored"), [
    ("(11) 98765-4321", "+5511987654321"),
    ("+55 21 99876 5432", "+5521998765432"),
    ("011 98765-4321", "+5511987654321"),
])
def test_phones_are_stored_e164_with_the_practice_country(practice: Practice, typed: str,
                                                          stored: str) -> None:
    assert clients.add(practice, name="A", phone=typed).phone == stored


def test_the_country_setting_is_the_default_region(practice: Practice) -> None:
    settings.set_value(practice, "country", "PT")
    assert clients.add(practice, name="A", phone="912 345 678").phone == "+351912345678"


@pytest.mark.parametrize(("phone", "email", "message"), [
    ("12345", None, "not a valid phone number"),
    ("abc", None, "not a phone number"),
    # A keypad would read the letters as digits: 92223-1234, a stranger's number.
    ("11 9abcd-1234", None, "it has letters"),
    ("+55 11 98765-432I", None, "it has letters"),
    ("", None, "phone number is required"),
    ("(11) 98765-4321", "maria@", "not a valid e-mail"),
    ("(11) 98765-4321", "maria at example.com", "not a valid e-mail"),
])
def test_bad_contacts_are_refused_and_nothing_is_added(practice: Practice, phone: str,
                                                       email: str | None, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        clients.add(practice, name="Maria", phone=phone, email=email)
    assert clients.search(practice) == []


def test_consent_is_dated_and_can_be_withdrawn(practice: Practice, clock: FrozenClock) -> None:
    c = clients.add(practice, name="Maria", phone="(11) 98765-4321", email="m@example.com",
                    consent=[Channel.WHATSAPP])
    assert c.consent == {"whatsapp": NOW.isoformat(), "email": None, "sms": None,
                         "voice": None, "push": None}
    clock.advance(timedelta(days=1))
    c = clients.update(practice, c.id, grant=[Channel.EMAIL], revoke=[Channel.WHATSAPP])
    assert c.consent == {"whatsapp": None, "email": (NOW + timedelta(days=1)).isoformat(),
                         "sms": None, "voice": None, "push": None}
    # Voice is agreed like the others; push only from the client's own phone.
    c = clients.update(practice, c.id, grant=[Channel.VOICE])
    assert c.consent["voice"] == (NOW + timedelta(days=1)).isoformat()
    with pytest.raises(InvalidInput, match="turned on by the client"):
        clients.update(practice, c.id, grant=[Channel.PUSH])
    with pytest.raises(InvalidInput, match="turned on by the client"):
        clients.add(practice, name="C", phone="(11) 98765-4323", consent=[Channel.PUSH])
    with pytest.raises(InvalidInput, match="needs an e-mail"):
        clients.add(practice, name="B", phone="(11) 98765-4322", consent=[Channel.EMAIL])


def test_search_by_name_phone_or_email(practice: Practice) -> None:
    add_client(practice, "Maria Silva", "(11) 98765-4321", "maria@example.com")
    add_client(practice, "João Alves", "(21) 99876-5432", "joao@work.com")
    assert [c.name for c in clients.search(practice, "mar")] == ["Maria Silva"]
    assert [c.name for c in clients.search(practice, "99876")] == ["João Alves"]
    assert [c.name for c in clients.search(practice, "work.com")] == ["João Alves"]
    assert len(clients.search(practice)) == 2


def test_client_figures(practice: Practice, clock: FrozenClock) -> None:
    c, sv = add_client(practice), add_service(practice)
    ids = [scheduling.book(practice, BookingRequest(client_id=c, start=local(t), service_id=sv))
           for t in ("2026-11-23T10:00", "2026-11-24T10:00", "2026-11-25T10:00",
                     "2026-11-26T10:00", "2026-11-27T10:00")]
    scheduling.reschedule(practice, ids[4], local("2026-12-01T10:00"))
    scheduling.cancel(practice, ids[3], reason="viagem")
    clock.set(local("2026-11-25T12:00"))
    scheduling.complete(practice, ids[0])
    scheduling.complete(practice, ids[1])
    scheduling.no_show(practice, ids[2])
    st = clients.stats(practice, c)
    assert (st.sessions, st.completed, st.cancelled, st.no_shows, st.rescheduled, st.upcoming) \
        == (5, 2, 1, 1, 1, 1)
    assert st.no_show_rate == pytest.approx(1 / 3, abs=1e-4)
    with pytest.raises(NotFound):
        clients.stats(practice, 999)


def test_settings_are_validated(practice: Practice) -> None:
    for key, value, message in [("timezone", "Mars/Olympus", "not a time zone"),
                                ("country", "XX", "not a country code"),
                                ("hours", "mon-fri 19:00-08:00", "not understood"),
                                ("cancel_fee", "abc", "not an amount"),
                                ("colour", "blue", "Unknown setting")]:
        before = settings.get(practice)
        with pytest.raises(InvalidInput, match=message):
            settings.set_value(practice, key, value)
        assert settings.get(practice) == before
    view = settings.set_value(practice, "hours", "sat 09:00-13:00")
    assert view.hours["sat"] == "09:00-13:00" and view.hours["mon"] == "08:00-19:00"
    assert settings.set_value(practice, "cancel_fee", "R$ 1.234,50").cancel_fee_cents == 123450
    assert settings.set_value(practice, "cancel_notice", "48h").cancel_notice_minutes == 2880


def test_no_door_reads_letters_as_a_keypads_digits(practice: Practice) -> None:
    """The same number with letters, through every door that takes a phone."""
    from app.services import attendances, config
    from app.services.inbound import _e164
    from app.services.values import normalize_phone

    typed = "11 9abcd-1234"
    with pytest.raises(InvalidInput, match="has letters"):
        normalize_phone(typed, "BR")  # the import's cells and the test message use it
    c = clients.add(practice, name="Maria", phone="(11) 98765-4321")
    with pytest.raises(InvalidInput, match="has letters"):
        clients.update(practice, c.id, phone=typed)
    assert clients.get(practice, c.id).phone == "+5511987654321"
    with pytest.raises(InvalidInput, match="has letters"):
        attendances.start(practice, medium="whatsapp", name="Maria", phone=typed)
    with pytest.raises(InvalidInput, match="country code"):
        config.set_value(practice, "conecta.originators.whatsapp", "+55 11 3abc-7890")
    assert _e164("55119abcd1234") is None  # a provider's "from" with letters matches no one


@pytest.mark.parametrize(("typed", "said"), [
    ("8h as 18h", "08:00-18:00"),
    ("8h às 12h, 13h a 19h", "08:00-12:00,13:00-19:00"),
    ("08:00 – 12:00", "08:00-12:00"),
])
def test_hours_are_read_as_people_write_them(practice: Practice, typed: str, said: str) -> None:
    assert settings.set_value(practice, "hours", f"tue {typed}").hours["tue"] == said


def test_a_refused_hour_is_said_whole_in_the_users_language(practice: Practice) -> None:
    from app import i18n

    i18n.set_language("pt_BR")
    try:
        for typed, problem in (("oito às dezoito", "'oito' não é um horário"),
                               ("19:00-08:00", "'19:00-08:00' termina antes de começar"),
                               ("08:00-12:00,11:00-13:00", "dois intervalos se sobrepõem")):
            with pytest.raises(InvalidInput) as caught:
                settings.set_value(practice, "hours", f"tue {typed}")
            assert str(caught.value) == (f"Terça-feira: Horário de atendimento não compreendido: "
                                         f"{problem}. Escreva assim: 08:00-12:00,13:00-19:00, "
                                         "ou fechado.")  # the grid's row is named
    finally:
        i18n.set_language("en")
    assert settings.get(practice).hours["tue"] == "08:00-19:00"


def test_withdrawing_push_or_erasing_the_client_stops_every_phone(
        practice: Practice, clock: FrozenClock) -> None:
    """A client's phones subscribe on their own; the practice can stop them all, and
    erasing the client does (each kept with when and why)."""
    from app.models.tables import Client
    from app.services import client_data, push_devices

    ana, bia = add_client(practice, "Ana"), add_client(practice, "Bia", "(11) 98765-4999")
    with practice.db.write() as s:
        for client_id, phones in ((ana, 2), (bia, 1)):
            client = s.get(Client, client_id)
            assert client is not None
            for n in range(phones):
                push_devices.add(s, client, f"https://push.example/{client_id}/{n}",
                                 "BKey", "auth", clock.now())
        assert len(push_devices.live(s, ana)) == 2
    assert clients.get(practice, ana).consent["push"] == NOW.isoformat()
    clock.advance(timedelta(hours=1))
    c = clients.update(practice, ana, revoke=[Channel.PUSH])
    assert c.consent["push"] is None
    client_data.erase(practice, bia)
    with practice.db.read() as s:
        assert push_devices.live(s, ana) == push_devices.live(s, bia) == []
        from sqlmodel import select

        from app.models.push import PushSubscription

        kept = {(x.client_id, x.dropped_reason) for x in s.exec(select(PushSubscription))}
        assert kept == {(ana, "consent withdrawn"), (bia, "erased")}


@pytest.mark.parametrize("values, message", [
    ({"voice.quiet_start": "07:30"}, "between 8:00\u202fAM and 8:00\u202fPM at the widest"),
    ({"voice.quiet_end": "21:00"}, "between 8:00\u202fAM and 8:00\u202fPM at the widest"),
    ({"voice.quiet_start": "18:00", "voice.quiet_end": "09:00"}, "end before they begin"),
    ({"voice.quiet_start": "25:00"}, "not a time of day"),
    ({"voice.retry_minutes": "0"}, "from 5 to 240"),
    ({"voice.from": "+55 11 3456-7890, +55 11 3456-7891"}, "one phone number"),
    ({"voice.fallback": "maybe"}, "Use one of"),
    ({"reminders.default": "voice:120,fax:60"}, "fax:60"),
])
def test_call_settings_are_checked_and_a_refusal_changes_nothing(
        practice: Practice, values: dict[str, str], message: str) -> None:
    from app.services import config

    before = config.get_all(practice)
    with pytest.raises(InvalidInput, match=message):
        config.set_values(practice, values)
    assert config.get_all(practice) == before


def test_calls_may_ring_in_narrower_hours(practice: Practice) -> None:
    from app.services import config

    config.set_values(practice, {"voice.quiet_start": "9:30", "voice.quiet_end": "1800"})
    cfg = config.get_all(practice)
    assert config.calling_hours(cfg) == ("09:30", "18:00")
