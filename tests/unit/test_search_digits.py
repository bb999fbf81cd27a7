"""Digits typed into a search box: a number typed alone is looked for among the
phones; with a name, each word must be found, a word of digits in the name, e-mail
or phone ("tatiana 2341"); an e-mail with digits is looked for as an e-mail. Before,
the digits of anything typed were looked for among the phones on their own:
"mariana.13@example.com" found every client whose number holds 13, and Enter opened
the first of them, someone else's file. Every search door is held to it: the
client list, the pickers and the command line, Sessões, Conecta."""

from __future__ import annotations

import pytest

from app.services import attendances, clients, phones, scheduling, session_list
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local

# Every phone holds 13, 2 and 9; no name or e-mail holds them but Mariana's.
PEOPLE = [("Mariana Costa", "+55 11 91313-2929", "mariana.13@example.com"),
          ("Daniel Moreira", "+55 11 91399-1324", "daniel@example.com"),
          ("Ana Beatriz Lima", "+55 21 99132-4913", "ana.beatriz@example.com"),
          ("Hugo Pinto", "+55 31 98913-2491", None)]


@pytest.mark.parametrize(("typed", "digits"), [
    ("mariana.13@example.com", ""), ("ana 2", ""), ("beatriz.23@", ""), ("hugo pinto 1", ""),
    ("13", "13"), ("(11) 91313-2929", "11913132929"), ("+55 11 91313-2929", "5511913132929"),
    ("11.91313.2929", "11913132929"), ("011/91313-2929", "01191313" + "2929"), ("", ""),
    ("  ", ""), ("#13", ""),
])
def test_digits_are_a_phones_only_when_typed_as_one(typed: str, digits: str) -> None:
    assert phones.typed_digits(typed) == digits


@pytest.fixture
def people(practice: Practice) -> dict[str, int]:
    return {name: clients.add(practice, name=name, phone=phone, email=email).id
            for name, phone, email in PEOPLE}


@pytest.mark.parametrize(("typed", "found"), [
    ("mariana.13@example.com", ["Mariana Costa"]),  # the case handed in, and Enter's pick
    ("mariana 13", ["Mariana Costa"]),  # her e-mail (and number) holds 13
    # A name and a part of the number: that client, found by both, never every
    # client whose number holds the digits.
    ("mariana 2929", ["Mariana Costa"]),
    ("2929 mariana", ["Mariana Costa"]),
    ("daniel 1324", ["Daniel Moreira"]),
    ("mariana 1324", []),  # Daniel's number, not hers
    ("hugo 13-2491", ["Hugo Pinto"]),  # a hyphen between digits reads as a space
    ("ana 2", ["Ana Beatriz Lima", "Mariana Costa"]),  # "ana" in both names; 2 in both numbers
    ("beatriz 9132", ["Ana Beatriz Lima"]),
    ("daniel@", ["Daniel Moreira"]),
    ("13", ["Ana Beatriz Lima", "Daniel Moreira", "Hugo Pinto", "Mariana Costa"]),
    ("(11) 91313-2929", ["Mariana Costa"]),  # a number typed whole still finds its client
    ("+55 21 99132-4913", ["Ana Beatriz Lima"]),
    ("31 8913-2491", ["Hugo Pinto"]),  # without the ninth digit
])
def test_a_name_or_email_with_digits_is_not_searched_among_phones(
        practice: Practice, people: dict[str, int], typed: str, found: list[str]) -> None:
    assert [c.name for c in clients.search(practice, typed)] == found
    assert [r.name for r in clients.directory(practice, typed)] == found
    service = add_service(practice)
    for i, name in enumerate(people):
        scheduling.book(practice, BookingRequest(
            client_id=people[name], start=local(f"2026-11-24T{9 + i:02d}:00"),
            service_id=service))
    listed = session_list.page(practice, session_list.Listing(text=typed, sort="client"))
    assert [v.client_name for v in listed] == found


def test_conecta_looks_among_phones_only_for_a_number(practice: Practice) -> None:
    for name, phone, _email in PEOPLE:
        attendances.start(practice, medium="whatsapp", name=name, phone=phone)

    def found(typed: str) -> list[str]:
        return sorted(c.name for c in attendances.cards(practice, attendances.Filter(text=typed)))

    assert found("mariana 2929") == ["Mariana Costa"]  # a name and part of her number
    assert found("hugo 2491") == ["Hugo Pinto"]
    assert found("mariana 2491") == []  # Hugo's number, not hers
    assert found("mariana.13@example.com") == []  # an e-mail is not looked for in phones
    assert found("913") == ["Ana Beatriz Lima", "Daniel Moreira", "Hugo Pinto", "Mariana Costa"]
    assert found("(31) 98913-2491") == ["Hugo Pinto"]
