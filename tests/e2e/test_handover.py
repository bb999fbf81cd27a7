"""A client's answer is handed over exactly once: the relay stores it with its event
for the desktop in one transaction, and the desktop asks for every event it has
not acknowledged, so neither a failure between two writes nor the order in which
two relay processes commit can lose an answer. Both relay databases, real servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from app.models.enums import Channel
from app.services import clients, config, queries, relay_client, scheduling, secrets
from app.services.clock import FrozenClock
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from relay import store as relay_store
from tests.conftest import add_service, local
from tests.fakes.postgres import PostgresCluster
from tests.fakes.relay_server import API_KEY, LINK_SECRET, RelayServer

REFUSE = {
    "sqlite": ["CREATE TRIGGER refuse_events BEFORE INSERT ON relay_event "
               "BEGIN SELECT RAISE(ABORT, 'disk full'); END"],
    "postgresql": ["CREATE FUNCTION refuse_events() RETURNS trigger AS $$ BEGIN "
                   "RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql",
                   "CREATE TRIGGER refuse_events BEFORE INSERT ON relay_event "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_events()"]}
MEND = {"sqlite": ["DROP TRIGGER refuse_events"],
        "postgresql": ["DROP TRIGGER refuse_events ON relay_event"]}


@pytest.fixture(params=["sqlite", "postgresql"])
def relay(request: pytest.FixtureRequest, practice: Practice, tmp_path: Path
          ) -> Iterator[RelayServer]:
    public = relay_client.keys(practice)
    overrides: dict[str, object] = {}
    if request.param == "postgresql":
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        overrides["database_url"] = cluster.new_database()
    with RelayServer(tmp_path / "relay", public_key=public, **overrides) as server:
        config.set_value(practice, "relay.url", server.url)
        secrets.store("relay.api_key", API_KEY)
        secrets.store("relay.link_secret", LINK_SECRET)
        server.engine_name = request.param  # type: ignore[attr-defined]
        yield server


def sessions(p: Practice, n: int) -> list[int]:
    c = clients.add(p, name="Maria Silva", phone="+55 11 98765-4321",
                    email="maria@example.com", consent=[Channel.EMAIL]).id
    service = add_service(p)
    return [scheduling.book(p, BookingRequest(  # Mondays, 08:00 onwards
        client_id=c, service_id=service,
        start=local(f"2027-03-{15 + 7 * (i // 8)}T{8 + i % 8:02d}:00"))) for i in range(n)]


def tap(url: str, action: str = "confirm") -> requests.Response:
    return requests.post(url, data={"action": action}, headers={"Accept-Language": "en"},
                         timeout=10)


def run_sql(relay: RelayServer, statements: list[str]) -> None:
    engine = create_engine(relay.settings.database_url)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def status(p: Practice, appointment_id: int) -> str:
    return queries.show(p, appointment_id).status.value


def test_an_answer_whose_event_cannot_be_stored_is_not_stored_either(
        practice: Practice, clock: FrozenClock, relay: RelayServer) -> None:
    """The handed case: a failure between "this link was answered" and the event."""
    [a] = sessions(practice, 1)
    url = relay_client.link(practice, a)
    engine_name = relay.engine_name  # type: ignore[attr-defined]
    run_sql(relay, REFUSE[engine_name])
    assert tap(url).status_code == 500  # the event could not be written
    run_sql(relay, MEND[engine_name])
    again = tap(url)  # the client taps again: the answer was not half-taken
    assert again.status_code == 200 and "Your session is confirmed" in again.text
    assert "already" not in again.text
    result = relay_client.Poller(practice).poll_once()
    assert (result.applied, result.seen) == (1, 1) and status(practice, a) == "confirmed"


@pytest.mark.parametrize("relay", ["postgresql"], indirect=True)  # SQLite: one writer
def test_an_event_committed_after_a_higher_one_is_not_skipped(
        practice: Practice, clock: FrozenClock, relay: RelayServer) -> None:
    """Two relay processes on PostgreSQL: one commits an answer after the other
    committed a later id, and after the desktop already read that later one."""
    first, second = sessions(practice, 2)
    engine = create_engine(relay.settings.database_url)
    poller = relay_client.Poller(practice)
    with engine.connect() as slow:
        held = slow.begin()  # another relay process, slow to commit
        relay_store._insert_event(slow, "default", "confirmed", first, f"confirmed:{first}",
                                  None, queries.show(practice, first).start)
        assert tap(relay_client.link(practice, second)).status_code == 200
        assert poller.poll_once().applied == 1  # the later id, committed first
        assert (status(practice, first), status(practice, second)) == ("scheduled",
                                                                       "confirmed")
        held.commit()
    engine.dispose()
    assert poller.poll_once().applied == 1  # the earlier id, committed later
    assert status(practice, first) == "confirmed"
    assert poller.poll_once().seen == 0


def test_more_events_than_a_page_each_arrive_once(
        practice: Practice, clock: FrozenClock, tmp_path: Path) -> None:
    """The relay answers a page of events at a time; the pages' edges lose nothing
    and repeat nothing, however many answers wait."""
    public = relay_client.keys(practice)
    booked = sessions(practice, 12)
    with RelayServer(tmp_path / "relay", public_key=public, events_per_page=5) as server:
        config.set_value(practice, "relay.url", server.url)
        secrets.store("relay.api_key", API_KEY)
        secrets.store("relay.link_secret", LINK_SECRET)
        for a in booked:
            assert tap(relay_client.link(practice, a)).status_code == 200
        poller = relay_client.Poller(practice)
        pages = [poller.poll_once() for _ in range(4)]
    assert [(r.applied, r.seen) for r in pages] == [(5, 5), (5, 5), (2, 2), (0, 0)]
    assert {status(practice, a) for a in booked} == {"confirmed"}


def test_a_page_larger_than_one_acknowledgement_is_acknowledged_whole(
        practice: Practice, clock: FrozenClock, tmp_path: Path) -> None:
    """The desktop acknowledges at most 1,000 ids a request (the relay's limit)."""
    public = relay_client.keys(practice)
    with RelayServer(tmp_path / "relay", public_key=public, events_per_page=1500) as server:
        config.set_value(practice, "relay.url", server.url)
        secrets.store("relay.api_key", API_KEY)
        store = relay_store.Store(server.settings.database_url)
        for n in range(1, 1201):  # answers for sessions this desktop no longer has
            store.add("default", "confirmed", 100_000 + n, f"confirmed:{100_000 + n}")
        poller = relay_client.Poller(practice)
        assert (poller.poll_once().seen, poller.poll_once().seen) == (1200, 0)


def test_a_relay_moved_to_a_new_database_numbers_from_one_and_nothing_is_lost(
        practice: Practice, clock: FrozenClock, tmp_path: Path) -> None:
    """The relay moves to a new database (SQLite to PostgreSQL, a rebuilt server): its
    event ids start again at 1, and the desktop still applies each new answer."""
    first, second = sessions(practice, 2)
    public = relay_client.keys(practice)
    secrets.store("relay.api_key", API_KEY)
    secrets.store("relay.link_secret", LINK_SECRET)
    poller = relay_client.Poller(practice)
    for folder, session in (("old", first), ("new", second)):
        with RelayServer(tmp_path / folder, public_key=public) as server:
            config.set_value(practice, "relay.url", server.url)
            assert tap(relay_client.link(practice, session)).status_code == 200
            assert poller.poll_once().applied == 1
    assert (status(practice, first), status(practice, second)) == ("confirmed", "confirmed")


def test_a_relay_database_from_before_relays_named_themselves_keeps_its_events_known(
        tmp_path: Path) -> None:
    """Its events were recorded by the desktop under the name "": it keeps that name,
    so an answer applied but not yet acknowledged is still recognised."""
    import sqlite3

    path = tmp_path / "relay.sqlite3"
    relay_store.Store(f"sqlite:///{path}")
    with sqlite3.connect(path) as db:  # as an earlier relay left it
        db.execute("DROP TABLE relay_meta")
    assert relay_store.Store(f"sqlite:///{path}").instance == ""
    fresh = relay_store.Store(f"sqlite:///{tmp_path / 'fresh.sqlite3'}").instance
    assert len(fresh) == 32 and fresh == relay_store.Store(
        f"sqlite:///{tmp_path / 'fresh.sqlite3'}").instance


def test_a_client_who_changes_their_mind_is_heard_each_time(
        practice: Practice, clock: FrozenClock, relay: RelayServer) -> None:
    """Confirm, then Cancel on the same link: the cancellation reaches the Painel;
    Confirm again: the request is withdrawn and the session stays confirmed. A
    repeated tap adds nothing."""
    [a] = sessions(practice, 1)
    url = relay_client.link(practice, a)
    poller = relay_client.Poller(practice)
    assert "Your session is confirmed" in tap(url).text
    poller.poll_once()
    assert status(practice, a) == "confirmed"
    for _twice in range(2):
        cancel = tap(url, "cancel")
    assert "already sent" in cancel.text
    assert poller.poll_once().applied == 1
    [request] = relay_client.pending_requests(practice)
    assert request.appointment_id == a and status(practice, a) == "confirmed"
    assert "Your session is confirmed" in tap(url).text
    poller.poll_once()
    assert relay_client.pending_requests(practice) == [] and status(practice, a) == "confirmed"


def test_a_session_id_handed_out_again_is_another_session_on_the_relay(
        practice: Practice, clock: FrozenClock, relay: RelayServer, tmp_path: Path) -> None:
    """A second computer set up afresh on the same relay (or a damaged database
    replaced by an old copy) numbers its sessions from 1 again: the relay keeps the
    first computer's answer and note for the first session #1's links only."""
    from app.services.practice import open_practice

    [first] = sessions(practice, 1)
    old_link = relay_client.link(practice, first)
    tap(old_link)
    relay_client.Poller(practice).poll_once()
    scheduling.cancel(practice, first, reason="Viagem")
    relay_client.Poller(practice).poll_once()  # the relay hears of the cancellation
    assert "cancelled" in requests.get(old_link, timeout=5,
                                       headers={"Accept-Language": "en"}).text
    other = open_practice(tmp_path / "second", clock=clock, actor="t", logging_on=False)
    try:
        from app.services import settings

        settings.set_value(other, "timezone", "America/Sao_Paulo")
        settings.set_value(other, "hours", "mon-fri 08:00-19:00")
        config.set_value(other, "relay.url", relay.url)
        c = clients.add(other, name="Bruno Lima", phone="+55 11 97777-6666").id
        again = scheduling.book(other, BookingRequest(
            client_id=c, service_id=add_service(other), start=local("2027-03-16T09:00")))
        assert again == first
        new_link = relay_client.link(other, again)
        page = requests.get(new_link, timeout=5, headers={"Accept-Language": "en"}).text
        assert "<form" in page and "cancelled" not in page
        answered = tap(new_link)
        assert "Your session is confirmed" in answered.text and "already" not in answered.text
        assert relay_client.Poller(other).poll_once().applied == 1
        assert status(other, again) == "confirmed"
    finally:
        other.close()


def test_a_relay_on_a_new_database_hears_what_became_of_every_session(
        practice: Practice, clock: FrozenClock, tmp_path: Path) -> None:
    """Moved to a new database, the relay knew nothing of a cancelled session: its
    link offered Confirm and thanked the client. It is told on the first poll."""
    [a] = sessions(practice, 1)
    public = relay_client.keys(practice)
    secrets.store("relay.api_key", API_KEY)
    secrets.store("relay.link_secret", LINK_SECRET)
    for folder in ("old", "new"):
        with RelayServer(tmp_path / folder, public_key=public) as server:
            config.set_value(practice, "relay.url", server.url)
            if folder == "old":
                relay_client.Poller(practice).poll_once()
                scheduling.cancel(practice, a, reason="Viagem")
                relay_client.Poller(practice).poll_once()
            else:
                relay_client.Poller(practice).poll_once()
                url = relay_client.link(practice, a)
                page = requests.get(url, timeout=5, headers={"Accept-Language": "en"}).text
                assert "cancelled" in page and "<form" not in page
