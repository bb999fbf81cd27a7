"""A confirmation link speaks only for the session it was made for, as that session
is now: a moved session's old link shows the new date and no Confirm button, a
cancelled one says so, an answer through a stale link reaches the Painel as a
notice and never changes a session, and a restore never lets an old link name a
session booked afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from app.services import backups, clients, queries, relay_client, scheduling
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local
from tests.e2e.test_links import relay, tap
from tests.fakes.relay_server import RelayServer

__all__ = ["relay"]  # the fixture

EN = {"Accept-Language": "en"}


@pytest.fixture
def ana(practice: Practice) -> Iterator[tuple[int, int]]:
    service = add_service(practice)
    client = clients.add(practice, name="Ana Teste", phone="+55 11 98765-4321").id
    yield client, service


def book(p: Practice, who: tuple[int, int], start: str) -> int:
    return scheduling.book(p, BookingRequest(client_id=who[0], start=local(start),
                                             service_id=who[1]))


def page(url: str) -> str:
    r = requests.get(url, headers=EN, timeout=5)
    assert r.status_code == 200
    return r.text


def test_a_moved_sessions_old_link_shows_the_new_time_and_no_button(
        practice: Practice, relay: RelayServer, ana: tuple[int, int]) -> None:
    first = book(practice, ana, "2027-03-15T10:00")
    old_link = relay_client.link(practice, first)
    assert "Confirm" in page(old_link)
    moved = scheduling.reschedule(practice, first, local("2027-03-16T14:00"))[first]
    poller = relay_client.Poller(practice)
    poller.poll_once()  # the desktop tells the relay
    shown = page(old_link)
    assert "This session was moved." in shown and "Tuesday, March 16, 2027" in shown
    assert "2:00" in shown and "<form" not in shown and "Monday, March 15" not in shown
    # Moved again: the first link follows to the newest time.
    scheduling.reschedule(practice, moved, local("2027-03-17T09:00"))
    poller.poll_once()
    assert "Wednesday, March 17, 2027" in page(old_link)
    assert "Wednesday, March 17, 2027" in page(relay_client.link(practice, moved))

    # A page left open before the move: its answer is a notice, never a confirmation.
    answered = requests.post(old_link, data={"action": "confirm"}, headers=EN, timeout=5)
    assert "This session was moved." in answered.text and "Thank you" not in answered.text
    poller.poll_once()
    assert [v.status.value for v in queries.list_appointments(practice)] == [
        "rescheduled", "rescheduled", "scheduled"]
    [notice] = relay_client.pending_requests(practice)
    assert notice.kind == "notice" and notice.appointment_id == first


def test_a_cancelled_sessions_link_says_so(practice: Practice, relay: RelayServer,
                                           ana: tuple[int, int]) -> None:
    session = book(practice, ana, "2027-03-15T10:00")
    link = relay_client.link(practice, session)
    scheduling.cancel(practice, session, reason="Viagem")
    relay_client.Poller(practice).poll_once()
    shown = page(link)
    assert "This session was cancelled." in shown and "<form" not in shown
    pt = requests.get(link, headers={"Accept-Language": "pt-BR"}, timeout=5).text
    assert "Esta sessão foi cancelada." in pt


def test_an_answer_for_a_time_the_session_no_longer_has_is_a_notice(
        practice: Practice, ana: tuple[int, int]) -> None:
    session = book(practice, ana, "2027-03-15T10:00")
    made_for = datetime(2027, 3, 14, 13, 0, tzinfo=UTC)  # another time than its own
    assert relay_client.apply_event(practice, {
        "id": 901, "kind": "confirmed", "appointment_id": session,
        "session_start": made_for.isoformat()})
    assert queries.show(practice, session).status.value == "scheduled"
    [notice] = relay_client.pending_requests(practice)
    assert notice.kind == "notice" and "no longer has" in notice.reason
    # The link made for the session as it is still confirms it.
    assert relay_client.apply_event(practice, {
        "id": 902, "kind": "confirmed", "appointment_id": session,
        "session_start": local("2027-03-15T10:00").astimezone(UTC).isoformat()})
    assert queries.show(practice, session).status.value == "confirmed"


def test_after_a_restore_an_old_link_never_names_a_new_session(
        practice: Practice, relay: RelayServer, ana: tuple[int, int], tmp_path: Path) -> None:
    copy = backups.backup(practice, tmp_path / "before.sqlite3").path
    hers = book(practice, ana, "2027-03-15T10:00")
    her_link = relay_client.link(practice, hers)
    backups.restore(practice, copy)
    bruno = clients.add(practice, name="Bruno Lima", phone="+55 11 97777-6666").id
    service = add_service(practice, name="Avaliação")
    his = book(practice, (bruno, service), "2027-03-15T10:00")
    assert his != hers
    his_link = relay_client.link(practice, his)
    assert his_link != her_link
    relay_client.Poller(practice).poll_once()  # the relay hears what the restore did
    shown = page(her_link)
    assert "This link no longer leads to a session." in shown and "<form" not in shown
    tap(her_link, "confirm")
    answered = tap(his_link, "confirm")
    assert "Obrigado" in answered.text  # his own answer is not swallowed
    relay_client.Poller(practice).poll_once()
    assert queries.show(practice, his).status.value == "confirmed"
    assert [v.id for v in queries.list_appointments(practice)] == [his]


def test_a_restore_that_brings_a_moved_session_back_reopens_its_link(
        practice: Practice, relay: RelayServer, ana: tuple[int, int], tmp_path: Path) -> None:
    session = book(practice, ana, "2027-03-15T10:00")
    link = relay_client.link(practice, session)
    copy = backups.backup(practice, tmp_path / "before.sqlite3").path
    scheduling.reschedule(practice, session, local("2027-03-15T15:00"))
    poller = relay_client.Poller(practice)
    poller.poll_once()
    assert "This session was moved." in page(link)
    backups.restore(practice, copy)
    poller.poll_once()
    shown = page(link)
    assert "Monday, March 15, 2027" in shown and "10:00" in shown and "<form" in shown
    tap(link, "confirm")
    poller.poll_once()
    assert queries.show(practice, session).status.value == "confirmed"


def test_an_answer_the_restored_copy_lacks_can_be_given_again(
        practice: Practice, relay: RelayServer, ana: tuple[int, int], tmp_path: Path) -> None:
    """A client asked to cancel; the desktop took it in; then a copy from before is
    restored. The link offers its buttons again, and a new tap arrives."""
    session = book(practice, ana, "2027-03-15T10:00")
    link = relay_client.link(practice, session)
    copy = backups.backup(practice, tmp_path / "before.sqlite3").path
    tap(link, "cancel", "Febre")
    poller = relay_client.Poller(practice)
    poller.poll_once()
    assert len(relay_client.pending_requests(practice)) == 1
    backups.restore(practice, copy)
    poller.poll_once()  # the relay hears that the session is open as the copy has it
    assert relay_client.pending_requests(practice) == [] and "<form" in page(link)
    again = tap(link, "cancel", "Febre")
    assert "already" not in again.text
    poller.poll_once()
    [request] = relay_client.pending_requests(practice)
    assert (request.appointment_id, request.reason) == (session, "Febre")


def test_a_long_reason_from_a_browser_is_kept_not_refused(
        practice: Practice, relay: RelayServer, ana: tuple[int, int]) -> None:
    session = book(practice, ana, "2027-03-15T10:00")
    reason = ("Estou com febre.\r\n" * 40)[:495] + "\r\n" * 5  # a textarea's 500, sent as 505
    answered = requests.post(relay_client.link(practice, session), headers=EN, timeout=5,
                             data={"action": "cancel", "reason": reason + "x" * 2000})
    assert answered.status_code == 200 and "Your request to cancel was sent." in answered.text
    relay_client.Poller(practice).poll_once()
    [request] = relay_client.pending_requests(practice)
    assert request.reason.startswith("Estou com febre.\nEstou") and len(request.reason) <= 500


def test_a_running_desktop_tells_the_relay_at_once(practice: Practice, relay: RelayServer,
                                                   ana: tuple[int, int]) -> None:
    import time

    session = book(practice, ana, "2027-03-15T10:00")
    link = relay_client.link(practice, session)
    poller = relay_client.Poller(practice)
    poller.start()
    try:
        time.sleep(0.5)  # the poller is now inside a long poll
        scheduling.cancel(practice, session, reason="Viagem")
        deadline = time.monotonic() + 5
        while "This session was cancelled." not in page(link):
            assert time.monotonic() < deadline, "the relay was not told of the cancellation"
            time.sleep(0.1)
    finally:
        poller.stop()
