"""One practice on the server, two computers each running `practice worker`
(two processes, each with its own data folder connected to the server). They are
killed with SIGKILL at random moments and started again. Afterwards no message
reached the provider twice, and every message is sent or `unknown`: none lost.
Whenever both run, one sends; when the sender is killed, the other takes over.

The seed is printed; PRACTICE_KILL_SEED replays it."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.models.enums import Channel
from app.services import clients, config, reminders, scheduling, secrets, settings, this_computer
from app.services.clock import FrozenClock
from app.services.paths import DataPaths
from app.services.practice import open_practice
from app.services.scheduling import BookingRequest
from app.services.storage.sender import holder
from app.services.worker import CLAIM_SECONDS
from tests.conftest import add_service, local
from tests.fakes.postgres import PostgresCluster
from tests.fakes.whatsapp import FakeWhatsApp, Rules

SESSIONS = 40


def computer(root: Path, url: str, name: str) -> Path:
    this_computer.save(DataPaths(root), database_url=url, name=name)
    return root


@pytest.mark.slow
def test_two_computers_killed_at_random_never_send_twice_or_lose(
        tmp_path: Path, postgres: PostgresCluster) -> None:
    url = postgres.practice_database()
    rooms = [computer(tmp_path / "recepcao", url, "Recepção"),
             computer(tmp_path / "sala2", url, "Sala 2")]
    booked_at = datetime(2026, 11, 20, 12, tzinfo=UTC)
    with FakeWhatsApp(Rules(delay=0.4)) as wa:
        p = open_practice(rooms[0], clock=FrozenClock(booked_at), actor="t", logging_on=False)
        assert p.db.on_server
        config.set_value(p, "whatsapp.api_base", wa.url)
        config.set_value(p, "whatsapp.phone_number_id", wa.rules.phone_number_id)
        config.set_value(p, "whatsapp.template", "lembrete_sessao")
        config.set_value(p, "reminders.default", "whatsapp:1440")
        settings.set_value(p, "timezone", "America/Sao_Paulo")
        settings.set_value(p, "hours", "mon-fri 07:00-21:00")
        secrets.store("whatsapp.token", wa.rules.token)  # both computers' keyring here
        service = add_service(p, duration_minutes=20)
        for i in range(SESSIONS):
            c = clients.add(p, name=f"Cliente {i}", phone=f"+55 11 9{87650000 + i}",
                            consent=[Channel.WHATSAPP]).id
            start = local("2026-11-23T07:00") + timedelta(minutes=20 * i)
            scheduling.book(p, BookingRequest(client_id=c, start=start, service_id=service))
        assert len(reminders.list_outbox(p)) == SESSIONS
        p.close()

        env = {**os.environ, "PRACTICE_NOW": "2026-11-22T23:00:00+00:00", "LANGUAGE": "en"}
        seed = int(os.environ.get("PRACTICE_KILL_SEED", time.time_ns() % 2**32))
        print(f"PRACTICE_KILL_SEED={seed}")
        rng = random.Random(seed)

        def start(room: Path) -> subprocess.Popen[bytes]:
            return subprocess.Popen([sys.executable, "-m", "app", "worker", "--data-dir",
                                     str(room)], env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)

        running = [start(room) for room in rooms]
        watcher = open_practice(rooms[0], logging_on=False)
        kills = takeovers = 0
        try:
            for _round in range(4):
                wa.arrived.clear()
                if not wa.arrived.wait(CLAIM_SECONDS + 20):
                    break  # nothing left to send
                time.sleep(rng.uniform(0, 0.6))
                # Every other round the sender (named by the server's lock), else either.
                sender = holder(watcher.db, rooms[0])
                names = ["Recepção", "Sala 2"]
                victim = names.index(sender.computer) if _round % 2 == 0 and sender and \
                    sender.computer in names else rng.randrange(2)
                running[victim].send_signal(signal.SIGKILL)
                running[victim].wait()
                kills += 1
                wa.arrived.clear()
                # The other goes on sending, or takes over within its next claim.
                if wa.arrived.wait(CLAIM_SECONDS + 20):
                    takeovers += 1
                running[victim] = start(rooms[victim])
        finally:
            watcher.close()
            for worker in running:
                worker.send_signal(signal.SIGKILL)
                worker.wait()
        assert kills >= 2, f"seed {seed}"
        assert takeovers >= 1, f"no computer went on sending after a kill (seed {seed})"
        # Later, a last pass from either computer: stale claims become `unknown`.
        later = {**env, "PRACTICE_NOW": "2026-11-22T23:30:00+00:00"}
        done = subprocess.run([sys.executable, "-m", "app", "worker", "--once", "--data-dir",
                               str(rooms[1])], env=later, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        p = open_practice(rooms[1], logging_on=False)
        final = reminders.list_outbox(p)
        p.close()

    delivered = Counter((s.to, tuple(s.parameters)) for s in wa.sent)
    assert all(n == 1 for n in delivered.values()), f"a message reached WhatsApp twice ({seed})"
    by_state = Counter(m.state for m in final)
    assert set(by_state) <= {"sent", "unknown"}, (by_state, {m.last_error for m in final})
    assert by_state["sent"] + by_state["unknown"] == SESSIONS  # none lost or left hanging
    wamids = {s.id for s in wa.sent}
    assert all(m.provider_message_id in wamids for m in final if m.state == "sent")
    assert by_state["sent"] <= len(wa.sent) <= by_state["sent"] + by_state["unknown"]
