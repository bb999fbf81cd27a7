"""Searching by name as people type it: without case or accents, wherever a name
is searched (the client list, the pickers, Sessões, Conecta, the command line),
whichever door the name came in by (the form, an edit, an import, an upgrade),
with LIKE's own characters taken literally."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.services import (
    attendances,
    client_data,
    clients,
    importing,
    scheduling,
    session_list,
)
from app.services.clock import FrozenClock
from app.services.practice import Practice, open_practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local
from tests.unit.test_migrations import database_at

NAMES = ["Zélia Prado", "ÉRICA Conceição", "Eduardo Reis", "Érica Lima", "João Alves",
         "Ana_Maria Costa", "Ângela Dias", "Maria da Conceição", "Ana-Lúcia D’Ávila",
         "Łukasz Søren"]


@pytest.fixture
def people(practice: Practice) -> dict[str, int]:
    return {name: clients.add(practice, name=name, phone=f"+55 11 9{8765_4300 + i}").id
            for i, name in enumerate(NAMES)}


@pytest.mark.parametrize(("typed", "found"), [
    ("erica", ["ÉRICA Conceição", "Érica Lima"]),
    ("maria conceicao", ["Maria da Conceição"]),  # words in any order, others between
    ("conceicao   MARIA", ["Maria da Conceição"]),
    ("conceicao", ["ÉRICA Conceição", "Maria da Conceição"]),
    ("ana lucia", ["Ana-Lúcia D’Ávila"]),  # a hyphen is typed as a space
    ("ana-lucia davila", ["Ana-Lúcia D’Ávila"]),
    ("d'avila", ["Ana-Lúcia D’Ávila"]),
    ("lukasz soren", ["Łukasz Søren"]),  # letters NFKD does not take apart
    ("ÉRICA", ["ÉRICA Conceição", "Érica Lima"]),
    ("érica", ["ÉRICA Conceição", "Érica Lima"]),
    ("erica conceicao", ["ÉRICA Conceição"]),
    ("CONCEIÇÃO érica", ["ÉRICA Conceição"]),
    ("joao", ["João Alves"]),
    ("JOÃO", ["João Alves"]),
    ("angela", ["Ângela Dias"]),
    ("  zelia  ", ["Zélia Prado"]),
    ("_", ["Ana_Maria Costa"]),  # LIKE's wildcards are letters here
    ("ana_maria", ["Ana_Maria Costa"]),
    ("%", []),
    ("a%m", []),
    ("\\", []),
])
def test_every_client_search_ignores_case_and_accents(
        practice: Practice, people: dict[str, int], typed: str, found: list[str]) -> None:
    assert [c.name for c in clients.search(practice, typed)] == found
    assert [r.name for r in clients.directory(practice, typed)] == found


def test_clients_are_listed_in_alphabetical_order_whatever_their_accents(
        practice: Practice, people: dict[str, int]) -> None:
    order = ["Ana-Lúcia D’Ávila", "Ana_Maria Costa", "Ângela Dias", "Eduardo Reis",
             "ÉRICA Conceição", "Érica Lima", "João Alves", "Łukasz Søren",
             "Maria da Conceição", "Zélia Prado"]
    assert [c.name for c in clients.search(practice)] == order
    assert [r.name for r in clients.directory(practice)] == order


def test_a_name_changed_or_erased_is_searched_as_it_is_now(
        practice: Practice, people: dict[str, int]) -> None:
    clients.update(practice, people["João Alves"], name="Joaquim Antônio")
    assert clients.search(practice, "joao") == []
    assert [c.name for c in clients.search(practice, "antonio")] == ["Joaquim Antônio"]
    client_data.erase(practice, people["Zélia Prado"])
    assert clients.search(practice, "zelia") == [] and clients.directory(practice, "prado") == []


def test_an_imported_name_is_found_without_its_accents(practice: Practice,
                                                         tmp_path: Path) -> None:
    add_service(practice)
    sheet = tmp_path / "agenda.csv"
    sheet.write_text("Nome;Telefone;E-mail;Serviço;Data;Hora\n"
                     "Conceição Araújo;11 91111-2222;CONCEICAO@Example.com;Psicoterapia;"
                     "23/11/2026;14:00\n", encoding="utf-8")
    assert importing.import_file(practice, sheet).imported == 1
    assert [c.name for c in clients.search(practice, "araujo")] == ["Conceição Araújo"]
    assert [c.name for c in clients.search(practice, "conceicao@example")] == \
        ["Conceição Araújo"]


def test_sessions_are_searched_and_sorted_by_name_without_accents(
        practice: Practice, clock: FrozenClock, people: dict[str, int]) -> None:
    service = add_service(practice)
    for i, name in enumerate(["Zélia Prado", "Érica Lima", "Eduardo Reis", "João Alves"]):
        scheduling.book(practice, BookingRequest(
            client_id=people[name], start=local(f"2026-11-24T{9 + i:02d}:00"),
            service_id=service))
    found = session_list.page(practice, session_list.Listing(text="joao"))
    assert [v.client_name for v in found] == ["João Alves"]
    by_name = session_list.page(practice, session_list.Listing(sort="client"))
    assert [v.client_name for v in by_name] == ["Eduardo Reis", "Érica Lima", "João Alves",
                                                "Zélia Prado"]


def test_conecta_finds_a_conversation_without_case_or_accents(practice: Practice) -> None:
    attendances.start(practice, medium="whatsapp", name="Conceição Gonçalves",
                      phone="+55 11 91234-5678")
    attendances.start(practice, medium="whatsapp", name="Pedro_Souza",
                      phone="+55 11 91234-5679")
    for typed in ("conceicao", "GONÇALVES", "goncalves"):
        assert [c.name for c in attendances.cards(
            practice, attendances.Filter(text=typed))] == ["Conceição Gonçalves"], typed
    assert [c.name for c in attendances.cards(
        practice, attendances.Filter(text="_"))] == ["Pedro_Souza"]


def test_names_written_before_the_upgrade_are_found_after_it(tmp_path: Path) -> None:
    path = database_at(tmp_path, "0014")
    db = sqlite3.connect(path)
    db.execute("INSERT INTO client (id, name, phone, email, notes, active, created_at, "
               "language, version) VALUES (1, 'João Conceição', '+5511987654321', NULL, '', 1, "
               "'2026-01-05 12:00:00.000000', '', 1)")
    db.execute("INSERT INTO attendance (id, medium, name, phone, status, type, originator, "
               "notes, subject, created_at, created_by, last_activity_at, unread, version) "
               "VALUES (1, 'whatsapp', 'Ângela Dias', '+5511987654322', 'in_progress', "
               "'support', '', '', '', '2026-01-05 12:00:00.000000', 'Dra. Ana', "
               "'2026-01-05 12:00:00.000000', 0, 1)")
    db.commit()
    db.close()
    p = open_practice(tmp_path, logging_on=False)
    try:
        assert [c.name for c in clients.search(p, "joao conceicao")] == ["João Conceição"]
        assert [c.name for c in attendances.cards(p, attendances.Filter(text="angela"))] == \
            ["Ângela Dias"]
    finally:
        p.close()
