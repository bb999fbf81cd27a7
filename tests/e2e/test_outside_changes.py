"""Changes committed by another process reach this one's change bus, naming what
changed: two practices opened on one folder stand for two processes (each its own
connections), and a real `practice` command for the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.models.enums import Channel
from app.services import clients, config, scheduling, settings
from app.services.clock import FrozenClock
from app.services.events import Change
from app.services.practice import Practice, open_practice
from app.services.scheduling import BookingRequest
from app.services.storage.change_feed import Watcher
from tests.conftest import add_client, add_service, local


def test_what_another_process_commits_is_announced_once_with_its_ids(
        practice: Practice, clock: FrozenClock, data_dir: Path) -> None:
    maria, service = add_client(practice), add_service(practice)
    seen: list[Change] = []
    practice.bus.subscribe(seen.append)
    watcher = Watcher(practice.db, practice.bus.publish)
    assert watcher.check() == Change()  # the first look only takes the watermarks
    other = open_practice(data_dir, clock=clock, actor="Recepção", logging_on=False)
    try:
        assert watcher.check() == Change() and seen == []  # nothing yet
        a = scheduling.book(other, BookingRequest(client_id=maria, start=local(
            "2026-11-23T10:00"), service_id=service))
        scheduling.confirm(other, a)
        clients.update(other, maria, notes="Prefere manhãs")
        change = watcher.check()
        assert change.appointments == {a} and change.clients == {maria}
        assert seen == [change]
        assert watcher.check() == Change()  # announced once
        settings.set_value(other, "name", "Consultório Bem-Estar")
        config.set_value(other, "reminders.default", "email:60")
        assert watcher.check().settings
        clients.update(other, maria, grant=[Channel.EMAIL])
        scheduling.cancel(other, a, reason="Viagem", notify=True)  # queues a notice
        change = watcher.check()
        assert a in change.appointments and maria in change.clients
    finally:
        other.close()
        watcher.close()


def test_the_command_line_is_another_process(practice: Practice, clock: FrozenClock,
                                             data_dir: Path) -> None:
    maria, service = add_client(practice), add_service(practice)
    a = scheduling.book(practice, BookingRequest(client_id=maria, start=local(
        "2026-11-23T10:00"), service_id=service))
    watcher = Watcher(practice.db, practice.bus.publish)
    watcher.check()  # the watermarks, as the window's first tick takes them
    try:
        result = subprocess.run(
            [sys.executable, "-m", "app", "confirm", str(a), "--data-dir", str(data_dir)],
            env={**os.environ, "PRACTICE_NOW": "2026-11-20T12:00:00Z", "LANGUAGE": "en"},
            capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert watcher.check().appointments == {a}
    finally:
        watcher.close()
