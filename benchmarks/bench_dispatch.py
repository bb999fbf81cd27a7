"""Dispatching 1,000 due reminders to the WhatsApp fake on loopback.

    .venv/bin/python benchmarks/bench_dispatch.py [--messages 1000] [--limit 80]

Measures, in one run: the outbox's throughput with no provider limit, against a
floor of the same 1,000 requests sent by a bare `requests` loop; then the same
dispatch against a provider allowing `--limit` messages a second (answering 130429
above it), checking every message arrives exactly once."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import keyring  # noqa: E402
from keyrings.alt.file import PlaintextKeyring  # noqa: E402

from app.models.enums import Channel  # noqa: E402
from app.services import clients, config, outbox, scheduling, secrets, settings  # noqa: E402
from app.services.clock import FrozenClock  # noqa: E402
from app.services.practice import Practice, open_practice  # noqa: E402
from app.services.scheduling import BookingRequest  # noqa: E402
from tests.fakes.whatsapp import FakeWhatsApp, Rules  # noqa: E402

BOOKED = datetime(2026, 1, 5, 12, tzinfo=UTC)


def build(folder: Path, wa: FakeWhatsApp, count: int) -> Practice:
    p = open_practice(folder, clock=FrozenClock(BOOKED), actor="bench", logging_on=False)
    settings.set_value(p, "timezone", "America/Sao_Paulo")
    settings.set_value(p, "hours", "mon-sun 07:00-22:00")
    config.set_values(p, {"whatsapp.api_base": wa.url,
                          "whatsapp.phone_number_id": wa.rules.phone_number_id,
                          "whatsapp.template": "lembrete_sessao",
                          "reminders.default": "whatsapp:1440"})
    secrets.store("whatsapp.token", wa.rules.token)
    people = [clients.add(p, name=f"Cliente {i}", phone=f"+55119{70000000 + i}",
                          consent=[Channel.WHATSAPP]).id for i in range(50)]
    first = datetime(2026, 1, 12, 10, tzinfo=UTC)
    for i in range(count):
        start = first + timedelta(days=i // 14, minutes=60 * (i % 14))
        scheduling.book(p, BookingRequest(client_id=people[i % 50], start=start,
                                          custom_service_name="Sessão", duration_minutes=50),
                        override=True)
    return p


def floor(wa: FakeWhatsApp, count: int) -> float:
    url = f"{wa.url}/{wa.rules.phone_number_id}/messages"
    payload = {"messaging_product": "whatsapp", "recipient_type": "individual",
               "to": "5511970000000", "type": "template",
               "template": {"name": "lembrete_sessao", "language": {"code": "pt_BR"},
                            "components": [{"type": "body", "parameters": [
                                {"type": "text", "text": "x"}] * 3}]}}
    t0 = time.perf_counter()
    for _ in range(count):
        requests.post(url, json=payload, headers={"Authorization": f"Bearer {wa.rules.token}"},
                      timeout=10).raise_for_status()
    return time.perf_counter() - t0


def run(count: int, limit: int | None) -> tuple[float, FakeWhatsApp, Counter[str]]:
    with tempfile.TemporaryDirectory() as tmp, \
            FakeWhatsApp(Rules(rate_limit=limit or 10**9)) as wa:
        backend = PlaintextKeyring()
        backend.file_path = str(Path(tmp) / "keyring.cfg")
        keyring.set_keyring(backend)
        p = build(Path(tmp) / "p", wa, count)
        # Every reminder falls due now; the sessions themselves are still ahead.
        from sqlmodel import update

        from app.models.outbox import OutboxMessage

        with p.db.write() as s:
            s.exec(update(OutboxMessage).values(due_at=p.clock.now() - timedelta(minutes=1)))
        dispatcher = outbox.Dispatcher(p)
        t0 = time.perf_counter()
        report = dispatcher.dispatch_due(limit=count * 2)
        elapsed = time.perf_counter() - t0
        assert report.sent == count, report.as_json()
        from app.services import reminders

        states = Counter(m.state for m in reminders.list_outbox(p, limit=count * 2))
        p.close()
        floor_s = floor(wa, count) if limit is None else 0.0
        return elapsed, wa, Counter({**states, "floor": floor_s})  # type: ignore[dict-item]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=80)
    args = parser.parse_args()
    free, wa_free, info = run(args.messages, None)
    floor_s = float(info["floor"])
    limited, wa_limited, states = run(args.messages, args.limit)
    delivered = Counter((s.to, tuple(s.parameters)) for s in wa_limited.sent)
    twice = sum(1 for n in delivered.values() if n > 1)
    print(f"{args.messages} reminders, WhatsApp fake on loopback")
    print(f"{'outbox, no provider limit':<38}{args.messages / free:>8.0f} msg/s "
          f"({free:.1f} s)")
    print(f"{'floor: bare requests loop':<38}{args.messages / floor_s:>8.0f} msg/s "
          f"({floor_s:.1f} s)   ratio {free / floor_s:.1f}")
    print(f"{'outbox, provider allows ' + str(args.limit) + '/s':<38}"
          f"{args.messages / limited:>8.0f} msg/s ({limited:.1f} s)")
    print(f"  130429 answers: {wa_limited.refused.count(130429)}; delivered "
          f"{len(wa_limited.sent)}; twice: {twice}; states: "
          f"{dict((k, v) for k, v in states.items() if k != 'floor')}")
    assert len(wa_limited.sent) == args.messages and twice == 0 and len(wa_free.sent) >= \
        args.messages


if __name__ == "__main__":
    main()
