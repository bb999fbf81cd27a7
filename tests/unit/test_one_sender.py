"""Exactly one sender per practice, on both engines: of two workers on the same
practice (two computers on the server, two processes on the SQLite file) one
sends; the other says who does and takes over when it stops; a computer whose
keyring lacks the channels' secrets never becomes the sender."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.models.enums import Channel
from app.services import clients, config, reminders, scheduling, secrets
from app.services.clock import FrozenClock
from app.services.practice import Practice, open_practice
from app.services.scheduling import BookingRequest
from app.services.worker import Worker
from tests.conftest import add_client, add_service, local


def reminder_due(p: Practice, clock: FrozenClock) -> int:
    """A reminder by e-mail due now, on a practice whose e-mail is not set up: the
    sender would settle it at once (skipped, naming the setting); nobody else may."""
    config.set_value(p, "reminders.default", "email:60")
    client = add_client(p)
    clients.update(p, client, grant=[Channel.EMAIL])
    scheduling.book(p, BookingRequest(client_id=client, service_id=add_service(p),
                                      start=local("2026-11-23T10:00")))
    clock.set(local("2026-11-23T09:30"))
    (message,) = reminders.list_outbox(p)
    assert message.state == "pending"
    return message.id


def state_of(p: Practice, message_id: int) -> str:
    return str(next(m.state for m in reminders.list_outbox(p) if m.id == message_id))


@pytest.fixture
def other(practice: Practice, data_dir: Path, clock: FrozenClock) -> Iterator[Practice]:
    p = open_practice(data_dir, clock=clock, actor="Recepção", logging_on=False)
    yield p
    p.close()


def test_one_worker_sends_the_other_says_who_and_takes_over(
        practice: Practice, other: Practice, clock: FrozenClock) -> None:
    message = reminder_due(practice, clock)
    first, second = Worker(practice), Worker(other)
    first.sender.computer, second.sender.computer = "Recepção", "Sala 2"
    try:
        assert first.claim() and first.sending
        assert not second.claim() and not second.sending
        who = second.sender.who()
        assert who is not None and (who.computer, who.here) == ("Recepção", False)
        assert who.since is not None
        here = first.sender.who()
        assert here is not None and here.here
        assert second.run_once().skipped == 0 and second.read_mail() == 0
        assert state_of(other, message) == "pending"  # not its part: left alone
        first.stop()  # the reception's computer is switched off
        assert second.claim() and second.sending
        assert second.run_once().skipped == 1  # now it settles what is due
        assert state_of(other, message) == "skipped"
        who = first.sender.who()
        assert who is not None and who.computer == "Sala 2"
    finally:
        first.stop()
        second.stop()


def test_nobody_sends_when_every_worker_stopped(practice: Practice) -> None:
    worker = Worker(practice)
    assert worker.claim()
    worker.stop()
    assert worker.sender.who() is None


def test_a_stopped_worker_never_sends_nor_takes_the_part_again(
        practice: Practice, clock: FrozenClock) -> None:
    """What a thread started before the stop does when it runs late (the catch-up
    begun by a claim, the daily copy): after Quit, nothing is sent, and the sender's
    part stays free for another computer."""
    message = reminder_due(practice, clock)
    worker = Worker(practice)
    assert worker.claim()
    worker.stop()
    assert worker.run_once().skipped == 0 and worker.read_mail() == 0
    assert not worker.claim() and not worker.sending
    assert state_of(practice, message) == "pending"
    assert worker.sender.who() is None


def test_a_computer_without_the_channels_secrets_does_not_send(
        practice: Practice, other: Practice, clock: FrozenClock) -> None:
    message = reminder_due(practice, clock)
    config.set_value(practice, "whatsapp.phone_number_id", "106540352242922")
    worker = Worker(other)
    try:
        assert not worker.claim()
        assert worker.lacking == ["whatsapp.token"]
        assert worker.run_once().skipped == 0
        assert state_of(other, message) == "pending"  # not marked "not set up" here
        secrets.store("whatsapp.token", "EAAG-test-token")
        assert worker.claim() and worker.lacking == []
    finally:
        worker.stop()
