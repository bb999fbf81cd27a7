"""Exactly one sender per practice, on both engines: of two workers on the same
practice (two computers on the server, two processes on the SQLite file) one
sends; the other says who does and takes over when it stops; a computer whose
keyring lacks the channels' secrets never becomes the sender."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services import config, secrets
from app.services.clock import FrozenClock
from app.services.practice import Practice, open_practice
from app.services.worker import Worker


@pytest.fixture
def other(practice: Practice, data_dir: Path, clock: FrozenClock) -> Iterator[Practice]:
    p = open_practice(data_dir, clock=clock, actor="Recepção", logging_on=False)
    yield p
    p.close()


def test_one_worker_sends_the_other_says_who_and_takes_over(
        practice: Practice, other: Practice) -> None:
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
        assert second.run_once().as_json() == second.run_once().as_json()  # sends nothing
        assert second.read_mail() == 0
        first.stop()  # the reception's computer is switched off
        assert second.claim() and second.sending
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


def test_a_computer_without_the_channels_secrets_does_not_send(
        practice: Practice, other: Practice) -> None:
    config.set_value(practice, "whatsapp.phone_number_id", "106540352242922")
    worker = Worker(other)
    try:
        assert not worker.claim()
        assert worker.lacking == ["whatsapp.token"]
        assert worker.run_once().sent == 0
        secrets.store("whatsapp.token", "EAAG-test-token")
        assert worker.claim() and worker.lacking == []
    finally:
        worker.stop()
