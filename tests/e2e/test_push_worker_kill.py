"""The delivery guarantee for push reminders under crashes (as test_worker_kill.py
for WhatsApp): `practice worker` processes are killed with SIGKILL while they send
to a push service that holds each message a moment before answering. Afterwards
no phone got a reminder twice, and each is `sent` (delivered once) or `unknown`
(at most once, waiting for a person); none was lost."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.models.tables import Client
from app.services import (
    clients,
    config,
    push_devices,
    push_keys,
    reminders,
    scheduling,
    secrets,
    settings,
)
from app.services.clock import FrozenClock
from app.services.practice import open_practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local
from tests.e2e.killing import kill_while_sending
from tests.fakes.push import FakePushService
from tests.fakes.relay_server import LINK_SECRET

SESSIONS = 12


def test_killing_the_worker_never_sends_a_push_twice(tmp_path: Path) -> None:
    folder = tmp_path / "practice"
    booked_at = datetime(2026, 11, 20, 12, tzinfo=UTC)
    with FakePushService() as push:
        push.delay = 0.15
        p = open_practice(folder, clock=FrozenClock(booked_at), actor="t", logging_on=False)
        private, public = push_keys.new_pair()
        secrets.store("push.private_key", private)
        secrets.store("relay.link_secret", LINK_SECRET)
        config.set_value(p, "push.public_key", public)
        config.set_value(p, "relay.url", "https://relay.example.com")
        config.set_value(p, "reminders.default", "push:1440")
        push.expected_key = public
        settings.set_value(p, "timezone", "America/Sao_Paulo")
        settings.set_value(p, "hours", "mon-fri 07:00-21:00")
        service = add_service(p, duration_minutes=30)
        for i in range(SESSIONS):
            c = clients.add(p, name=f"Cliente {i}", phone=f"+55 11 9{87650000 + i}").id
            phone = push.subscribe()
            with p.db.write() as s:  # as the relay's event does (push_events)
                client = s.get(Client, c)
                assert client is not None
                push_devices.add(s, client, phone.endpoint, phone.p256dh, phone.auth,
                                 booked_at)
            start = local("2026-11-23T07:00") + timedelta(minutes=30 * i)
            scheduling.book(p, BookingRequest(client_id=c, start=start, service_id=service))
        rows = {m.id for m in reminders.list_outbox(p) if m.state == "pending"}
        assert len(rows) == SESSIONS
        p.close()

        killed = kill_while_sending(folder, 6, push.arrived, push.delay)
        assert killed.kills >= 3, f"seed {killed.seed}"
        assert killed.mid_send >= 1, \
            f"no kill landed while a push was being sent (seed {killed.seed})"
        final = killed.final

    delivered = Counter((d.browser, d.payload["tag"]) for d in push.delivered)
    assert all(n == 1 for n in delivered.values()), "a phone got a reminder twice"
    by_state = Counter(m.state for m in final)
    assert set(by_state) <= {"sent", "unknown"}, (by_state, {m.last_error for m in final})
    assert by_state["sent"] + by_state["unknown"] == SESSIONS  # none lost or left hanging
    assert len(push.delivered) >= by_state["sent"]
    assert len(push.delivered) <= by_state["sent"] + by_state["unknown"]
    assert push.delivered and push.violations == []
