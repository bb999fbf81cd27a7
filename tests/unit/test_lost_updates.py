"""No lost updates, on both engines: every form's save names the version it was
filled from; when another computer (another open practice on the same data)
changed the row since, the save is refused with who changed it and when — in the
practice's time zone and the locale's time format — and nothing is changed; a
save with the new version passes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from pathlib import Path

import pytest

from app import i18n
from app.models.conecta import Medium
from app.services import (
    attendances,
    catalog,
    clients,
    conecta_setup,
    config,
    queries,
    scheduling,
    settings,
)
from app.services.clock import FrozenClock
from app.services.errors import ChangedMeanwhile
from app.services.practice import Practice, open_practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_client, add_service, local


@pytest.fixture
def ana(practice: Practice, data_dir: Path) -> Iterator[Practice]:
    """The reception's computer, on the same data, where Ana works at 14:02 (São
    Paulo) the same day."""
    p = open_practice(data_dir, clock=FrozenClock(local("2026-11-20T14:02")), actor="Ana",
                      logging_on=False)
    yield p
    p.close()


def by_ana_at_1402() -> str:
    return f"Changed by Ana at {i18n.format_time(time(14, 2))} — reload"


def refused(excinfo: pytest.ExceptionInfo[ChangedMeanwhile]) -> None:
    assert str(excinfo.value) == by_ana_at_1402()
    assert excinfo.value.who == "Ana"
    assert excinfo.value.at == local("2026-11-20T14:02")


def test_the_ficha_saved_over_anas_change_is_refused(practice: Practice, ana: Practice) -> None:
    maria = add_client(practice)
    opened = clients.get(practice, maria)  # the Ficha is filled
    clients.update(ana, maria, phone="+55 11 91234-5678", notes="Prefere manhãs")
    with pytest.raises(ChangedMeanwhile) as excinfo:
        clients.update(practice, maria, name="Maria S. Souza", phone=opened.phone or "",
                       notes="Só às terças", expected_version=opened.version)
    refused(excinfo)
    now = clients.get(practice, maria)
    assert (now.name, now.phone, now.notes) == ("Maria Silva", "+5511912345678",
                                                "Prefere manhãs")
    saved = clients.update(practice, maria, name="Maria S. Souza", notes="Só às terças",
                           expected_version=now.version)
    assert (saved.name, saved.phone, saved.notes) == ("Maria S. Souza", "+5511912345678",
                                                      "Só às terças")
    assert saved.version == clients.get(ana, maria).version > now.version
    # The command line and internal callers name no version: not checked.
    clients.update(practice, maria, notes="Terças e quintas")
    assert clients.get(practice, maria).notes == "Terças e quintas"


def test_the_sentence_in_portuguese_and_on_another_day(practice: Practice,
                                                        ana: Practice) -> None:
    maria = add_client(practice)
    opened = clients.get(practice, maria)
    clients.update(ana, maria, notes="Prefere manhãs")
    with i18n.speaking("pt_BR"), pytest.raises(ChangedMeanwhile) as excinfo:
        clients.update(practice, maria, notes="x", expected_version=opened.version)
    assert str(excinfo.value) == "Alterado por Ana às 14:02 — recarregar"
    assert isinstance(practice.clock, FrozenClock)
    practice.clock.set(local("2026-11-21T09:00"))  # the form stayed open overnight
    with pytest.raises(ChangedMeanwhile) as excinfo:
        clients.update(practice, maria, notes="x", expected_version=opened.version)
    assert str(excinfo.value) == "Changed by Ana on {d} at {t} — reload".format(
        d=i18n.format_date(local("2026-11-20T14:02").date()), t=i18n.format_time(time(14, 2)))


def test_completing_a_session_over_anas_change_is_refused(
        practice: Practice, ana: Practice, clock: FrozenClock) -> None:
    maria, therapy = add_client(practice), add_service(practice)
    a = scheduling.book(practice, BookingRequest(client_id=maria, start=local(
        "2026-11-20T08:00"), service_id=therapy), override=True)
    opened = queries.show(practice, a)  # the Concluir form is filled
    scheduling.confirm(ana, a)
    with pytest.raises(ChangedMeanwhile) as excinfo:
        scheduling.complete(practice, a, actual_price_cents=15000, internal_notes="Boa sessão",
                            expected_version=opened.version)
    refused(excinfo)
    now = queries.show(practice, a)
    assert (now.status.value, now.actual_price_cents, now.internal_notes) == (
        "confirmed", None, "")
    scheduling.complete(practice, a, actual_price_cents=15000, internal_notes="Boa sessão",
                        expected_version=now.version)
    done = queries.show(practice, a)
    assert (done.status.value, done.actual_price_cents, done.internal_notes) == (
        "completed", 15000, "Boa sessão")


def test_rescheduling_over_anas_change_is_refused(practice: Practice, ana: Practice) -> None:
    maria, therapy = add_client(practice), add_service(practice)
    a = scheduling.book(practice, BookingRequest(client_id=maria, start=local(
        "2026-11-23T10:00"), service_id=therapy))
    opened = queries.show(practice, a)  # the Reagendar form is filled
    scheduling.confirm(ana, a)
    with pytest.raises(ChangedMeanwhile) as excinfo:
        scheduling.reschedule(practice, a, local("2026-11-24T10:00"),
                              expected_version=opened.version)
    refused(excinfo)
    assert queries.show(practice, a).status.value == "confirmed"
    assert len(queries.list_appointments(practice, client_id=maria)) == 1
    moved = scheduling.reschedule(practice, a, local("2026-11-24T10:00"),
                                  expected_version=queries.show(practice, a).version)
    assert queries.show(practice, moved[a]).start == local("2026-11-24T10:00")


def test_the_conecta_card_saved_over_anas_change_is_refused(practice: Practice,
                                                            ana: Practice) -> None:
    card_id = attendances.start(practice, medium="whatsapp", name="Carla",
                                phone="+55 11 97777-1111", tags=["novo"])
    opened = attendances.card(practice, card_id)
    attendances.update(ana, card_id, tags=["novo", "urgente"])  # tags alone: a change too
    with pytest.raises(ChangedMeanwhile) as excinfo:
        attendances.update(practice, card_id, notes="Ligar depois", tags=["novo"],
                           expected_version=opened.version)
    refused(excinfo)
    now = attendances.card(practice, card_id)
    assert (now.notes, now.tags) == ("", ("novo", "urgente"))
    attendances.update(practice, card_id, notes="Ligar depois", expected_version=now.version)
    assert attendances.card(ana, card_id).notes == "Ligar depois"


def test_the_practice_tab_saved_over_anas_change_is_refused(practice: Practice,
                                                            ana: Practice) -> None:
    opened = settings.get(practice)
    settings.set_value(ana, "hours", "sat 08:00-12:00")  # only the hours: a change too
    with pytest.raises(ChangedMeanwhile) as excinfo:
        settings.set_values(practice, [("name", "Consultório Bem-Estar"),
                                       ("hours", "sat closed")],
                            expected_version=opened.version)
    refused(excinfo)
    now = settings.get(practice)
    assert (now.name, now.hours["sat"]) == (opened.name, "08:00-12:00")
    after = settings.set_values(practice, [("name", "Consultório Bem-Estar")],
                                expected_version=now.version)
    assert (after.name, after.hours["sat"]) == ("Consultório Bem-Estar", "08:00-12:00")
    # The history compares what people set, not the version.
    assert "version" not in settings.get(ana).as_json()


def test_configuration_keys_saved_over_anas_change_are_refused(practice: Practice,
                                                               ana: Practice) -> None:
    _cfg, opened = config.get_with_versions(practice)  # Notificações and Integrações
    config.set_values(ana, {"smtp.host": "smtp.example.com", "smtp.user": "ana@example.com"})
    with pytest.raises(ChangedMeanwhile) as excinfo:
        config.set_values(practice, {"smtp.host": "mail.example.net", "smtp.port": "465"},
                          expected_versions={k: opened[k] for k in ("smtp.host", "smtp.port")})
    refused(excinfo)
    assert config.get(practice, "smtp.host") == "smtp.example.com"
    assert config.get(practice, "smtp.port") == "587"
    # A form showing other keys is not refused for this one.
    config.set_values(practice, {"reminders.default": "email:60"},
                      expected_versions={"reminders.default": opened["reminders.default"]})
    _cfg, now = config.get_with_versions(practice)
    config.set_values(practice, {"smtp.host": "mail.example.net"},
                      expected_versions={"smtp.host": now["smtp.host"]})
    assert config.get(ana, "smtp.host") == "mail.example.net"


def test_conecta_settings_saved_over_anas_change_are_refused(practice: Practice,
                                                             ana: Practice) -> None:
    opened = conecta_setup.load(practice)
    conecta_setup.set_own_types(ana, ["Orçamento"])
    conecta_setup.set_originators(ana, {Medium.SMS: ["+55 11 3456-7890"]})
    with pytest.raises(ChangedMeanwhile) as excinfo:
        conecta_setup.set_own_types(practice, ["Retorno"],
                                    expected_version=opened.versions["conecta.types"])
    refused(excinfo)
    with pytest.raises(ChangedMeanwhile) as excinfo:
        conecta_setup.set_originators(
            practice, {Medium.SMS: []},
            expected_versions={"conecta.originators.sms": opened.versions[
                "conecta.originators.sms"]})
    refused(excinfo)
    now = conecta_setup.load(practice)
    assert now.own_types == ("Orçamento",) and now.listed[Medium.SMS] == ("+551134567890",)
    assert conecta_setup.set_own_types(
        practice, ["Orçamento", "Retorno"],
        expected_version=now.versions["conecta.types"]) == ("Orçamento", "Retorno")


def test_a_service_saved_over_anas_change_is_refused(practice: Practice, ana: Practice) -> None:
    therapy = add_service(practice)
    opened = next(sv for sv in catalog.list_services(practice) if sv.id == therapy)
    catalog.update_service(ana, therapy, name="Psicoterapia", duration_minutes=60,
                           price_cents=25000)
    with pytest.raises(ChangedMeanwhile) as excinfo:
        catalog.update_service(practice, therapy, name="Terapia", duration_minutes=50,
                               price_cents=20000, expected_version=opened.version)
    refused(excinfo)
    now = next(sv for sv in catalog.list_services(practice) if sv.id == therapy)
    assert (now.name, now.duration_minutes, now.price_cents) == ("Psicoterapia", 60, 25000)
    saved = catalog.update_service(practice, therapy, name="Terapia", duration_minutes=60,
                                   price_cents=25000, expected_version=now.version)
    assert saved.name == "Terapia" and saved.version > now.version
    assert "version" not in saved.as_json()


def test_a_professional_saved_over_anas_change_is_refused(practice: Practice,
                                                          ana: Practice) -> None:
    first = catalog.list_staff(practice)[0]  # the professional's form is filled
    settings.set_staff_hours(ana, first.id, ["mon-fri 09:00-17:00"])  # only the hours
    with pytest.raises(ChangedMeanwhile) as excinfo:
        catalog.rename_staff(practice, first.id, "Dra. Ana Lima", "#10b981",
                             expected_version=first.version)
    refused(excinfo)
    with pytest.raises(ChangedMeanwhile):
        settings.set_staff_hours(practice, first.id, None, expected_version=first.version)
    now = catalog.list_staff(practice)[0]
    assert (now.name, now.color) == (first.name, first.color)
    assert settings.staff_has_own_hours(practice, first.id)
    renamed = catalog.rename_staff(practice, first.id, "Dra. Ana Lima", "#10b981",
                                   expected_version=now.version)
    settings.set_staff_hours(practice, first.id, None, expected_version=renamed.version)
    assert catalog.list_staff(ana)[0].name == "Dra. Ana Lima"
    assert not settings.staff_has_own_hours(ana, first.id)
