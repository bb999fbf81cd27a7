"""Dispatching due reminders to the WhatsApp fake on loopback.

    .venv/bin/python benchmarks/bench_dispatch.py [--messages 1000] [--limit 80] [--repeats 5]

Measures, alternately in one run (medians, min–max):
- the outbox's throughput with no provider limit (and not paced to Meta's
  published 80 messages a second), against a floor: the same requests sent by a
  bare `requests` loop;
- the outbox against a provider allowing `--limit` messages a second (answering
  130429 above it, as Meta does), against the most the machine can reach there
  (the smaller of the limit and the unlimited throughput just measured), counting
  refusals and checking every message arrives exactly once;
- a booking made in the window while the outbox is being slowed down: how long it
  takes, against the same booking with the outbox idle.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")

import keyring  # noqa: E402
from keyrings.alt.file import PlaintextKeyring  # noqa: E402

from app.models.enums import Channel  # noqa: E402
from app.services import (  # noqa: E402
    clients,
    config,
    outbox,
    pacing,
    scheduling,
    secrets,
    settings,
)
from app.services.clock import FrozenClock  # noqa: E402
from app.services.practice import Practice, open_practice  # noqa: E402
from app.services.scheduling import BookingRequest  # noqa: E402
from benchmarks import measure  # noqa: E402
from tests.fakes.whatsapp import FakeWhatsApp, Rules  # noqa: E402

BOOKED = datetime(2026, 1, 5, 12, tzinfo=UTC)
FIRST = datetime(2026, 1, 12, 10, tzinfo=UTC)


def build(folder: Path, count: int) -> None:
    """A practice with `count` WhatsApp reminders, all due now; closed."""
    p = open_practice(folder, clock=FrozenClock(BOOKED), actor="bench", logging_on=False)
    settings.set_value(p, "timezone", "America/Sao_Paulo")
    settings.set_value(p, "hours", "mon-sun 07:00-22:00")
    config.set_values(p, {"whatsapp.api_base": "http://127.0.0.1:9",
                          "whatsapp.phone_number_id": Rules().phone_number_id,
                          "whatsapp.template": "lembrete_sessao",
                          "reminders.default": "whatsapp:1440"})
    people = [clients.add(p, name=f"Cliente {i}", phone=f"+55119{70000000 + i}",
                          consent=[Channel.WHATSAPP]).id for i in range(50)]
    for i in range(count):
        start = FIRST + timedelta(days=i // 14, minutes=60 * (i % 14))
        scheduling.book(p, BookingRequest(client_id=people[i % 50], start=start,
                                          custom_service_name="Sessão", duration_minutes=50),
                        override=True)
    from sqlmodel import update

    from app.models.outbox import OutboxMessage

    with p.db.write() as s:
        s.exec(update(OutboxMessage).values(due_at=p.clock.now() - timedelta(minutes=1)))
    p.close()


def opened(template: Path, folder: Path, wa: FakeWhatsApp) -> Practice:
    """A fresh copy of the built practice, pointed at this fake."""
    shutil.copytree(template, folder)
    p = open_practice(folder, clock=FrozenClock(BOOKED), actor="bench", logging_on=False)
    config.set_value(p, "whatsapp.api_base", wa.url)
    secrets.store("whatsapp.token", wa.rules.token)
    return p


def floor(wa: FakeWhatsApp, count: int) -> float:
    url = f"{wa.url}/{wa.rules.phone_number_id}/messages"
    payload = {"messaging_product": "whatsapp", "recipient_type": "individual",
               "to": "5511970000000", "type": "template",
               "template": {"name": "lembrete_sessao",
                            "language": {"code": "pt_BR", "policy": "deterministic"},
                            "components": [{"type": "body", "parameters": [
                                {"type": "text", "text": "x"}] * 3}]}}
    with requests.Session() as http:
        t0 = time.perf_counter()
        for _ in range(count):
            http.post(url, json=payload, headers={"Authorization": f"Bearer {wa.rules.token}"},
                      timeout=10).raise_for_status()
        return time.perf_counter() - t0


class Run:
    """One dispatch of every due reminder in a fresh copy; what it did."""

    def __init__(self, template: Path, work: Path, count: int, limit: int | None,
                 book_meanwhile: bool = False) -> None:
        self.seconds = 0.0
        self.refusals = 0
        self.twice = 0
        self.bookings: list[float] = []
        with FakeWhatsApp(Rules(rate_limit=limit or 10**9)) as wa:
            folder = Path(tempfile.mkdtemp(dir=work))
            p = opened(template, folder / "p", wa)
            done = threading.Event()
            booker = threading.Thread(target=self._book, args=(p, done), daemon=True)
            if book_meanwhile:
                booker.start()
            dispatcher = outbox.Dispatcher(p)
            if limit is None:  # the outbox's own cost: not paced to Meta's published 80/s
                dispatcher.pacer = pacing.Pacer(published={})
            t0 = time.perf_counter()
            report = dispatcher.dispatch_due(limit=count * 2)
            self.seconds = time.perf_counter() - t0
            done.set()
            if book_meanwhile:
                booker.join()
            assert report.sent == count, report.as_json()
            self.refusals = wa.refused.count(130429)
            delivered = Counter((s.to, tuple(s.parameters)) for s in wa.sent)
            self.twice = sum(1 for n in delivered.values() if n > 1)
            assert len(wa.sent) == count and self.twice == 0
            p.close()
            shutil.rmtree(folder)

    def _book(self, p: Practice, done: threading.Event) -> None:
        """Books a session every 50 ms while the outbox sends, timing each."""
        person = clients.add(p, name="Cliente da recepção", phone="+5511988887777").id
        day = FIRST + timedelta(days=400)
        i = 0
        while not done.is_set():
            start = day + timedelta(days=i // 10, minutes=60 * (i % 10))
            t0 = time.perf_counter()
            scheduling.book(p, BookingRequest(client_id=person, start=start,
                                              custom_service_name="Sessão",
                                              duration_minutes=50), override=True)
            self.bookings.append(time.perf_counter() - t0)
            i += 1
            done.wait(0.05)


def main() -> None:
    parser = measure.parser(__doc__)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=80)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    count, repeats, limit = args.messages, args.repeats, args.limit
    if args.smoke:
        count, repeats, limit = 40, 2, 20
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        backend = PlaintextKeyring()
        backend.file_path = str(work / "keyring.cfg")
        keyring.set_keyring(backend)
        template = work / "template"
        build(template, count)

        def ours() -> float:
            return Run(template, work, count, None).seconds

        def bare() -> float:
            with FakeWhatsApp() as wa:
                return floor(wa, count)

        free, base = measure.alternate(ours, bare, repeats)
        limited = [Run(template, work, count, limit) for _ in range(repeats)]
        slowed = [Run(template, work, count, limit, book_meanwhile=True)
                  for _ in range(max(1, repeats // 2))]

        idle: list[float] = []
        with FakeWhatsApp() as wa:
            p = opened(template, work / "idle", wa)
            person = clients.add(p, name="Cliente da recepção", phone="+5511988887777").id
            for i in range(40 if not args.smoke else 5):
                start = FIRST + timedelta(days=500 + i // 10, minutes=60 * (i % 10))
                idle.append(measure.timed(lambda s=start: scheduling.book(p, BookingRequest(
                    client_id=person, start=s, custom_service_name="Sessão",
                    duration_minutes=50), override=True)))
            p.close()

    rate_free = [count / s for s in free.samples]
    rate_floor = [count / s for s in base.samples]
    rate_limited = [count / r.seconds for r in limited]
    reach = min(limit, statistics.median(rate_free))
    meanwhile = [b for r in slowed for b in r.bookings]
    print(f"{count} reminders, WhatsApp fake on loopback; medians of {repeats} (min–max)")
    print(f"outbox, no provider limit: {statistics.median(rate_free):.0f} msg/s "
          f"({min(rate_free):.0f}–{max(rate_free):.0f})")
    print(f"floor, bare requests loop: {statistics.median(rate_floor):.0f} msg/s "
          f"({min(rate_floor):.0f}–{max(rate_floor):.0f}); time ratio "
          f"{measure.ratio(free, base)}")
    print(f"outbox, provider allows {limit}/s: {statistics.median(rate_limited):.1f} msg/s "
          f"({min(rate_limited):.1f}–{max(rate_limited):.1f}) = "
          f"{statistics.median(rate_limited) / reach:.1%} of the {reach:.0f}/s the machine can "
          f"reach there (goal ≥ 95 %); 130429 refusals per run: "
          f"{sorted(r.refusals for r in limited)} (goal ≈ 0); sent twice: "
          f"{sum(r.twice for r in limited)}")
    print(f"a booking while the outbox is slowed down: "
          f"{measure.Figure(meanwhile).ms() if meanwhile else 'n/a'} over {len(meanwhile)}; "
          f"with the outbox idle: {measure.Figure(idle).ms()}")


if __name__ == "__main__":
    main()
