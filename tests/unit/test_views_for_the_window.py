"""Service views the window relies on: history sentences, the Painel, the client
directory, and the series preview."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from app.models.enums import ChargeDecision, RepeatFrequency
from app.services import audit, clients, dashboard, history, queries, scheduling, settings
from app.services.clock import FrozenClock
from app.services.practice import Practice
from app.services.scheduling import BookingRequest, Repeat
from tests.conftest import add_client, add_service, local

Z = ZoneInfo("America/Sao_Paulo")


def sentences(p: Practice, appointment_id: int) -> list[str]:
    view = queries.show(p, appointment_id)
    return [history.sentence(h, Z, "BRL").replace("\u202f", " ").replace("\xa0", " ")
            for h in view.history]


def test_history_sentences(practice: Practice, clock: FrozenClock) -> None:
    settings.set_value(practice, "cancel_fee", "80")
    c, sv = add_client(practice), add_service(practice)
    a = scheduling.book(practice, BookingRequest(client_id=c, start=local("2026-11-23T10:00"),
                                                 service_id=sv))
    scheduling.confirm(practice.acting_as(audit.CLIENT), a)
    b = scheduling.reschedule(practice, a, local("2026-11-20T15:00"))[a]
    scheduling.cancel(practice, b, reason="Febre", notify=True, charge=ChargeDecision.CHARGE)
    assert sentences(practice, a) == [
        "Dra. Ana booked the session for 11/23/26, 10:00 AM.",
        "The client confirmed the session through the link.",
        f"Dra. Ana moved the session from 11/23/26, 10:00 AM to 11/20/26, 3:00 PM "
        f"(session #{b}).",
    ]
    assert sentences(practice, b) == [
        f"Dra. Ana moved session #{a} here.",
        # Nothing is set up to send with: the history promises no notice.
        "Dra. Ana cancelled the session: “Febre”. Called off by the client. "
        "Late cancellation fee: R$80.00. No channel could reach the client: see the Reminders tab.",
    ]


def test_dashboard(practice: Practice, clock: FrozenClock) -> None:
    c, sv = add_client(practice), add_service(practice)
    book = lambda t: scheduling.book(practice, BookingRequest(  # noqa: E731
        client_id=c, start=local(t), service_id=sv), override=True)
    missed = book("2026-11-10T10:00")
    today_1, today_2 = book("2026-11-20T10:00"), book("2026-11-20T16:00")
    soon, later = book("2026-11-23T10:00"), book("2026-11-25T10:00")
    clock.set(local("2026-11-10T12:00"))
    scheduling.no_show(practice, missed)
    clock.set(local("2026-11-20T09:00"))
    scheduling.confirm(practice, today_2)
    board = dashboard.load(practice, unconfirmed_hours=80)
    assert [v.id for v in board.today] == [today_1, today_2]
    assert [v.id for v in board.unconfirmed] == [today_1, soon]  # later is beyond 80 h
    assert [v.id for v in board.no_shows] == [missed]
    assert later not in [v.id for v in board.unconfirmed]


def test_client_directory(practice: Practice, clock: FrozenClock) -> None:
    maria = add_client(practice)
    joao = add_client(practice, "João Alves", "+55 21 99876-5432", None)
    sv = add_service(practice)
    ids = [scheduling.book(practice, BookingRequest(client_id=maria, start=local(t),
                                                    service_id=sv), override=True)
           for t in ("2026-11-02T10:00", "2026-11-03T10:00", "2026-11-04T10:00",
                     "2026-11-26T10:00")]
    clock.set(local("2026-11-05T10:00"))
    scheduling.complete(practice, ids[0])
    scheduling.complete(practice, ids[1])
    scheduling.no_show(practice, ids[2])
    rows = {r.name: r for r in clients.directory(practice)}
    assert rows["Maria Silva"].next_session == local("2026-11-26T10:00")
    assert str(rows["Maria Silva"].next_session.tzinfo) == "America/Sao_Paulo"  # as shown
    assert rows["Maria Silva"].no_show_rate == round(1 / 3, 4)
    # No session due yet: no rate ("—" in the list), not 0%.
    assert (rows["João Alves"].next_session, rows["João Alves"].no_show_rate) == (None, None)
    assert [r.id for r in clients.directory(practice, "joão")] == [joao]


def test_client_directory_reads_only_the_page_it_lists(practice: Practice,
                                                      clock: FrozenClock) -> None:
    """The page is cut before each client's figures are read: the clients past the
    limit are not listed, and each listed client's figures are its own."""
    sv = add_service(practice)
    names = ["Carla Dias", "Ana Souza", "Bruno Lima"]
    ids = {n: add_client(practice, n, f"+55 11 98765-432{i}", None)
           for i, n in enumerate(names)}
    booked = {(name, t): scheduling.book(practice, BookingRequest(
        client_id=ids[name], start=local(t), service_id=sv), override=True)
        for name, times in (("Carla Dias", ("2026-11-02T10:00", "2026-11-26T10:00")),
                            ("Bruno Lima", ("2026-11-03T10:00", "2026-11-27T11:00")))
        for t in times}
    clock.set(local("2026-11-05T10:00"))
    scheduling.no_show(practice, booked["Bruno Lima", "2026-11-03T10:00"])
    scheduling.complete(practice, booked["Carla Dias", "2026-11-02T10:00"])
    rows = clients.directory(practice, limit=2)
    assert [(r.name, r.next_session, r.no_show_rate) for r in rows] == [
        ("Ana Souza", None, None), ("Bruno Lima", local("2026-11-27T11:00"), 1.0)]


def test_series_preview_books_nothing(practice: Practice) -> None:
    c, sv = add_client(practice), add_service(practice)
    other = add_client(practice, "João", "+55 21 99876-5432", None)
    scheduling.book(practice, BookingRequest(client_id=other, start=local("2026-11-30T10:00"),
                                             service_id=sv))
    preview = scheduling.preview_series(practice, BookingRequest(
        client_id=c, start=local("2026-11-23T10:00"), service_id=sv),
        Repeat(RepeatFrequency.WEEKLY, count=3))
    assert [(o.start, bool(o.conflicts)) for o in preview] == [
        (local("2026-11-23T10:00"), False), (local("2026-11-30T10:00"), True),
        (local("2026-12-07T10:00"), False)]
    assert queries.list_appointments(practice, client_id=c) == []
