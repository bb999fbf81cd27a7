"""An action that writes several things writes all or none: a session with its new
client, a session with its client's changed contacts, a series with its client.
And a new client whose phone (with or without the ninth digit) or e-mail is
already a client's is found, to be offered, never refused."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from app.models.enums import RepeatFrequency
from app.models.tables import AuditEvent, Client
from app.services import clients, queries, scheduling
from app.services.clients import ClientDetails
from app.services.errors import BookingConflict, InvalidInput
from app.services.practice import Practice
from app.services.scheduling import BookingRequest, Repeat
from tests.conftest import add_client, add_service, local


def counts(p: Practice) -> tuple[int, int]:
    with p.db.read() as s:
        return (s.exec(select(func.count()).select_from(Client)).one(),
                s.exec(select(func.count()).select_from(AuditEvent)).one())


def request(p: Practice, start: str, **kw: object) -> BookingRequest:
    return BookingRequest(client_id=0, start=local(start), service_id=add_service(p),
                          **kw)  # type: ignore[arg-type]


ZOE = ClientDetails("Zoe Prado", "(11) 97777-1234", "zoe@example.com")


def test_a_refused_booking_leaves_no_new_client(practice: Practice) -> None:
    before = counts(practice)
    sunday_night = request(practice, "2026-11-29T23:00", new_client=ZOE)
    conflicts = [c.rule for c in scheduling.check_booking(practice, sunday_night)]
    with pytest.raises(BookingConflict) as refused:
        scheduling.book(practice, sunday_night)
    assert [c.rule for c in refused.value.conflicts] == conflicts == ["outside_hours"]
    assert counts(practice) == (before[0], before[1] + 1)  # only the service's own event
    new_id = scheduling.book(practice, request(practice, "2026-11-30T10:00", new_client=ZOE))
    view = queries.show(practice, new_id)
    assert (view.client_name, view.client_phone, view.client_email) == (
        "Zoe Prado", "+5511977771234", "zoe@example.com")
    assert [c.name for c in clients.search(practice, "Zoe")] == ["Zoe Prado"]


def test_the_preview_refuses_what_saving_refuses(practice: Practice) -> None:
    bad = request(practice, "2026-11-30T10:00",
                  new_client=ClientDetails("Zoe Prado", "123", None))
    with pytest.raises(InvalidInput, match="not a valid phone"):
        scheduling.check_booking(practice, bad)
    with pytest.raises(InvalidInput, match="not a valid phone"):
        scheduling.book(practice, bad)
    assert clients.search(practice, "Zoe") == []


def test_changed_contacts_are_saved_with_the_session_or_not_at_all(practice: Practice) -> None:
    maria = add_client(practice)
    changed = ClientDetails("Maria Silva", "(11) 96666-5555", "nova@example.com")
    refused = request(practice, "2026-11-29T23:00", contact=changed)
    refused = BookingRequest(**{**refused.__dict__, "client_id": maria})
    with pytest.raises(BookingConflict):
        scheduling.book(practice, refused)
    assert clients.get(practice, maria).phone == "+5511987654321"
    ok = BookingRequest(**{**refused.__dict__, "start": local("2026-11-30T10:00")})
    scheduling.book(practice, ok)
    assert (clients.get(practice, maria).phone, clients.get(practice, maria).email) == (
        "+5511966665555", "nova@example.com")


def test_a_series_none_of_which_can_be_booked_keeps_no_client(practice: Practice) -> None:
    sundays = request(practice, "2026-11-29T10:00", new_client=ZOE)
    weekly = Repeat(RepeatFrequency.WEEKLY, count=3)
    assert all(o.conflicts for o in scheduling.preview_series(practice, sundays, weekly))
    with pytest.raises(BookingConflict):
        scheduling.book_series(practice, sundays, weekly)
    assert clients.search(practice, "Zoe") == []
    mondays = request(practice, "2026-11-30T10:00", new_client=ZOE)
    assert len(scheduling.book_series(practice, mondays, weekly).ids) == 3
    assert len(clients.search(practice, "Zoe")) == 1


def test_clients_with_the_same_phone_or_email_are_found(practice: Practice) -> None:
    maria = add_client(practice, "Maria Silva", "+55 11 98765-4321", "maria@example.com")
    joao = add_client(practice, "João Alves", "+55 21 99876-5432", "MARIA@example.com")
    found = clients.similar(practice, phone="(11) 8765-4321", email="maria@Example.com")
    assert [(x.kind, x.client.id) for x in found] == [("same_phone", maria),
                                                      ("same_email", joao)]
    assert clients.similar(practice, phone="123", email="not an address") == []
    assert clients.similar(practice, phone="+55 11 98765-4321", email=None,
                           exclude=maria) == []
