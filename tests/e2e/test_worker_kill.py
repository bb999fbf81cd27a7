"""The delivery guarantee under crashes: `practice worker` processes are killed with
SIGKILL at random moments while they send. Afterwards no message reached the
provider twice, and every message is either sent (delivered exactly once) or
`unknown` (delivered at most once, waiting for a person): none was lost.

Half the kills land at a random moment (the seed is printed, and
PRACTICE_KILL_SEED replays it); the other half land while the provider holds a
request, so some kills certainly hit a send in flight, and the test checks they
did (a row left `sending` by a dead worker)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.models.enums import Channel
from app.services import clients, config, reminders, scheduling, secrets
from app.services.clock import FrozenClock
from app.services.practice import open_practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local
from tests.e2e.killing import kill_while_sending
from tests.fakes.whatsapp import FakeWhatsApp, Rules

SESSIONS = 24


def test_killing_the_worker_never_duplicates_or_loses(tmp_path: Path) -> None:
    folder = tmp_path / "practice"
    booked_at = datetime(2026, 11, 20, 12, tzinfo=UTC)
    with FakeWhatsApp(Rules(delay=0.15)) as wa:
        p = open_practice(folder, clock=FrozenClock(booked_at), actor="t", logging_on=False)
        config.set_value(p, "whatsapp.api_base", wa.url)
        config.set_value(p, "whatsapp.phone_number_id", wa.rules.phone_number_id)
        config.set_value(p, "whatsapp.template", "lembrete_sessao")
        config.set_value(p, "reminders.default", "whatsapp:1440")
        p.close()
        p = open_practice(folder, clock=FrozenClock(booked_at), actor="t", logging_on=False)
        from app.services import settings

        settings.set_value(p, "timezone", "America/Sao_Paulo")
        settings.set_value(p, "hours", "mon-fri 07:00-21:00")
        secrets.store("whatsapp.token", wa.rules.token)
        service = add_service(p, duration_minutes=30)
        for i in range(SESSIONS):
            c = clients.add(p, name=f"Cliente {i}", phone=f"+55 11 9{87650000 + i}",
                            consent=[Channel.WHATSAPP]).id
            start = local("2026-11-23T07:00") + timedelta(minutes=30 * i)
            scheduling.book(p, BookingRequest(client_id=c, start=start, service_id=service))
        rows = {m.id for m in reminders.list_outbox(p)}
        assert len(rows) == SESSIONS
        p.close()

        killed = kill_while_sending(folder, 10, wa.arrived, wa.rules.delay)
        assert killed.kills >= 5, f"seed {killed.seed}"
        assert killed.mid_send >= 1, \
            f"no kill landed while a message was being sent (seed {killed.seed})"
        final = killed.final

    delivered = Counter((s.to, tuple(s.parameters)) for s in wa.sent)
    assert all(n == 1 for n in delivered.values()), "a message reached WhatsApp twice"
    by_state = Counter(m.state for m in final)
    assert set(by_state) <= {"sent", "unknown"}, (by_state, {m.last_error for m in final})
    assert by_state["sent"] + by_state["unknown"] == SESSIONS  # none lost or left hanging
    wamids = {s.id for s in wa.sent}
    for m in final:
        if m.state == "sent":
            assert m.provider_message_id in wamids
    assert len(wa.sent) >= by_state["sent"]
    assert len(wa.sent) <= by_state["sent"] + by_state["unknown"]
