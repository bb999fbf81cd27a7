"""The list of sessions: filters, order, count and pages answer one question, so
what is counted, shown and exported are the same sessions."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from app import i18n
from app.models import plain_tables
from app.models.enums import AppointmentSource, AppointmentStatus
from app.services import catalog, clients, scheduling, session_list
from app.services.clock import FrozenClock
from app.services.errors import InvalidInput
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from app.services.session_list import Listing
from tests.conftest import add_client, add_service, local


@pytest.fixture
def booked(practice: Practice) -> dict[str, int]:
    maria = add_client(practice)
    joao = add_client(practice, "João Alves", "+55 21 99876-5432", None)
    bia = add_client(practice, "beatriz Lima", "+55 11 91234-0000", None)
    therapy = add_service(practice, name="Psicoterapia")
    intake = add_service(practice, name="Avaliação inicial", duration_minutes=90)
    other = catalog.add_staff(practice, name="Dr. Bruno Reis").id
    catalog.rename_staff(practice, catalog.list_staff(practice)[0].id, "Dra. Ana Souza")
    ids = {"maria": maria, "joao": joao, "bia": bia, "other": other}

    def book(client: int, start: str, service: int = therapy, **kw: object) -> int:
        return scheduling.book(practice, BookingRequest(
            client_id=client, start=local(start), service_id=service, **kw))  # type: ignore[arg-type]

    ids["m1"] = book(maria, "2026-11-23T10:00")
    ids["j1"] = book(joao, "2026-11-23T11:00", intake)
    ids["b1"] = book(bia, "2026-11-24T09:00", staff_id=other)
    ids["m2"] = book(maria, "2026-12-01T10:00")
    ids["j2"] = book(joao, "2026-11-25T15:00")
    scheduling.confirm(practice, ids["j1"])
    scheduling.cancel(practice, ids["j2"], reason="Viagem")
    return ids


def ids_of(p: Practice, listing: Listing) -> list[int]:
    rows = session_list.page(p, listing)
    assert session_list.count(p, listing) == len(rows)
    assert [v.id for v in session_list.every(p, listing)] == [v.id for v in rows]
    return [v.id for v in rows]


def test_filters_each_narrow_the_list_and_the_count_agrees(
        practice: Practice, booked: dict[str, int]) -> None:
    b = booked
    assert ids_of(practice, Listing()) == [b["m1"], b["j1"], b["b1"], b["j2"], b["m2"]]
    nov = Listing(start=local("2026-11-23T00:00").date(), end=local("2026-11-24T00:00").date())
    assert ids_of(practice, nov) == [b["m1"], b["j1"], b["b1"]]  # both days included
    assert ids_of(practice, Listing(statuses=(AppointmentStatus.CONFIRMED,
                                              AppointmentStatus.CANCELLED))) == [b["j1"], b["j2"]]
    assert ids_of(practice, Listing(staff_id=b["other"])) == [b["b1"]]
    assert ids_of(practice, Listing(sources=(AppointmentSource.IMPORT,))) == []
    assert ids_of(practice, Listing(text="joão")) == [b["j1"], b["j2"]]
    assert ids_of(practice, Listing(text="(21) 99876")) == [b["j1"], b["j2"]]  # a phone, typed
    assert ids_of(practice, Listing(text="21 99876-5432", statuses=(
        AppointmentStatus.SCHEDULED,))) == []


def test_every_column_sorts_both_ways_and_ties_keep_time_order(
        practice: Practice, booked: dict[str, int]) -> None:
    b = booked
    by_client = ids_of(practice, Listing(sort="client"))
    assert by_client == [b["b1"], b["j1"], b["j2"], b["m1"], b["m2"]]  # case does not matter
    assert ids_of(practice, Listing(sort="client", descending=True))[:3] == [
        b["m1"], b["m2"], b["j1"]]
    assert ids_of(practice, Listing(sort="duration", descending=True))[0] == b["j1"]
    assert ids_of(practice, Listing(sort="staff"))[0] == b["b1"]  # Dr. Bruno < Dra. Ana
    assert ids_of(practice, Listing(sort="staff", descending=True)) == [
        b["m1"], b["j1"], b["j2"], b["m2"], b["b1"]]
    assert ids_of(practice, Listing(sort="service"))[0] == b["j1"]  # Avaliação first
    # Status in the words shown: Cancelled, Confirmed, Scheduled.
    assert ids_of(practice, Listing(sort="status"))[:2] == [b["j2"], b["j1"]]
    assert ids_of(practice, Listing(sort="start", descending=True)) == [
        b["m2"], b["j2"], b["b1"], b["j1"], b["m1"]]
    for key in session_list.SORTS:
        assert sorted(ids_of(practice, Listing(sort=key))) == sorted(by_client)



def test_a_listing_asked_again_in_another_language_is_sorted_by_its_words(
        practice: Practice, booked: dict[str, int]) -> None:
    """A listing's statement is built once for its shape and language: the status
    order is that of the words shown in each (the statement built for one is not
    asked in the other), and the same shape asked with other values answers for
    those."""
    b = booked
    by_status = Listing(sort="status")
    with i18n.speaking("en"):  # Cancelled, Confirmed, Scheduled
        assert ids_of(practice, by_status)[:3] == [b["j2"], b["j1"], b["m1"]]
    with i18n.speaking("pt_BR"):  # Agendado, Cancelado, Confirmado
        assert ids_of(practice, by_status) == [b["m1"], b["b1"], b["m2"], b["j2"], b["j1"]]
    with i18n.speaking("en"):
        assert ids_of(practice, by_status)[:3] == [b["j2"], b["j1"], b["m1"]]
    day = local("2026-11-23T00:00").date()
    for first, last, expected in ((day, day, [b["m1"], b["j1"]]),
                                  (day, day.replace(day=25), [b["m1"], b["j1"], b["b1"], b["j2"]]),
                                  (day.replace(day=24), day.replace(day=24), [b["b1"]])):
        assert ids_of(practice, Listing(start=first, end=last, text="a")) == expected

def test_pages_follow_one_another_without_gaps_or_repeats(
        practice: Practice, booked: dict[str, int]) -> None:
    # A page's sessions are found first and read whole after: each order, each way,
    # filtered or not, pages of two make up the whole list.
    b = booked
    filters = [Listing(), Listing(statuses=(AppointmentStatus.SCHEDULED,)),
               Listing(text="a"), Listing(text="9", staff_id=None),
               Listing(statuses=(AppointmentStatus.CONFIRMED, AppointmentStatus.SCHEDULED),
                       text="maria")]
    for base in filters:
        for key in session_list.SORTS:
            for descending in (False, True):
                listing = Listing(statuses=base.statuses, text=base.text, sort=key,
                                  descending=descending)
                pages = [session_list.page(practice, listing, offset, 2)
                         for offset in (0, 2, 4, 6)]
                assert [v.id for chunk in pages for v in chunk] == \
                    ids_of(practice, listing), listing
    assert ids_of(practice, Listing(text="maria", statuses=(AppointmentStatus.SCHEDULED,))
                  ) == [b["m1"], b["m2"]]


def test_a_question_the_list_cannot_answer_is_refused(practice: Practice,
                                                      clock: FrozenClock) -> None:
    with pytest.raises(InvalidInput, match="cannot be sorted by 'price; drop table'"):
        session_list.page(practice, Listing(sort="price; drop table"))
    with pytest.raises(InvalidInput, match="ends before it begins"):
        session_list.count(practice, Listing(start=local("2026-11-24T00:00").date(),
                                             end=local("2026-11-23T00:00").date()))


def test_confirming_several_leaves_those_that_cannot_be_confirmed(
        practice: Practice, booked: dict[str, int]) -> None:
    b = booked
    changes: list[object] = []
    practice.bus.subscribe(changes.append)
    done = scheduling.confirm_many(practice, [b["m1"], b["j1"], b["j2"], b["m1"], 9999])
    assert done == [b["m1"]]  # j1 was confirmed already, j2 is cancelled, 9999 is no one
    assert len(changes) == 1
    statuses = {v.id: v.status for v in session_list.every(practice, Listing())}
    assert statuses[b["m1"]] is AppointmentStatus.CONFIRMED
    assert statuses[b["j2"]] is AppointmentStatus.CANCELLED
    assert scheduling.confirm_many(practice, [b["j2"]]) == []


@pytest.mark.parametrize("at_most", [2, 5, 100])
def test_a_search_counts_and_lists_the_same_sessions_however_its_clients_are_handed_on(
        practice: Practice, at_most: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A search's clients are handed from one statement to the next as those found
    (few found), as the others (most found: "5" finds every phone by its country
    code) or not at all (too many of both): the count and the rows are the same
    each way, clients without a phone or an e-mail included, with the other
    filters beside the search."""
    monkeypatch.setattr(session_list, "FOUND_AT_MOST", at_most)
    therapy = add_service(practice)
    people = [("Ana Prado", "+55 11 98765-0001", "ana@example.com"),
              ("Bruno Dias", "+55 11 98765-0002", None),
              ("Carla Nunes", None, "carla@example.com"),  # no phone: "5" does not find her
              ("Davi Rocha", "+55 21 91234-0003", None),
              ("Elis Prado", None, None),
              ("Fábio Lima", "+55 31 99999-0004", "fabio5@example.com"),
              ("Gil Santos", "+1 415 555 0100", None)]
    for i, (name, phone, email) in enumerate(people):
        client = clients.add(practice, name=name, phone=phone or "+1 212 234 0100",
                             email=email).id
        if phone is None:  # as an imported list may leave it
            with practice.db.write() as s:
                s.connection().execute(update(plain_tables.client).where(
                    plain_tables.client.c.id == client).values(phone=None))
        for day in range(1, 4):
            session = scheduling.book(practice, BookingRequest(
                client_id=client, start=local(f"2026-12-{day:02}T{8 + i:02}:00"),
                service_id=therapy), override=True)
            if day == 2:
                scheduling.confirm(practice, session)
    confirmed = (AppointmentStatus.CONFIRMED,)
    listings = [Listing(text=text, statuses=statuses, start=start)
                for text in ("5", "55", "prado", "a", "ana", "zz", "98765")
                for statuses in ((), confirmed)
                for start in (None, local("2026-12-02T00:00").date())]
    for listing in listings:
        # The sessions of the clients the text finds, as the export finds them (its
        # clients looked up within the one statement).
        expected = [v.id for v in session_list.every(practice, listing)]
        for first in (0, 2):
            total, rows = session_list.answer(practice, listing, first, 4)
            assert total == len(expected), listing
            assert [v.id for v in rows] == expected[first:first + 4], listing
    # The search that finds most clients: every session but those of the two
    # without a phone and a 5 in their e-mail.
    total, _rows = session_list.answer(practice, Listing(text="5"))
    assert total == 3 * (len(people) - 2)
