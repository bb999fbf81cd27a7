"""Booking, availability and a week's list, each against a plain-sqlite3 floor
measured in the same run on a copy of the same database.

    .venv/bin/python benchmarks/bench_scheduling.py [--sessions 20000] [--repeats 200]

Ours and the floor alternately; prints medians (min–max) and the ratio to the
floor; docs/PERFORMANCE.md quotes them.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.services import availability, catalog, clients, queries, scheduling
from app.services import settings as practice_settings
from app.services.clock import FrozenClock
from app.services.practice import Practice, open_practice
from app.services.scheduling import BookingRequest
from benchmarks import measure

ZONE = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
HOURS = [8, 9, 10, 11, 13, 14, 15, 16, 17]  # 18:00 stays free for the booking test


def weekdays(start: date, count: int) -> list[date]:
    out, day = [], start
    while len(out) < count:
        if day.weekday() < 5:
            out.append(day)
        day += timedelta(days=1)
    return out


def build(folder: Path, sessions: int) -> tuple[Practice, int, list[int], list[date]]:
    p = open_practice(folder, clock=FrozenClock(NOW), actor="bench", logging_on=False)
    practice_settings.set_value(p, "timezone", "America/Sao_Paulo")
    practice_settings.set_value(p, "hours", "mon-fri 08:00-19:00")
    service = catalog.add_service(p, name="Sessão", duration_minutes=50).id
    people = [clients.add(p, name=f"Cliente {i}", phone=f"+55119{70000000 + i}").id
              for i in range(200)]
    days = weekdays(date(2026, 1, 5), sessions // len(HOURS) + 1)
    rng = random.Random(1)
    rows = []
    for i in range(sessions):
        day, hour = days[i // len(HOURS)], HOURS[i % len(HOURS)]
        start = datetime(day.year, day.month, day.day, hour, tzinfo=ZONE).astimezone(UTC)
        rows.append((rng.choice(people), service, 1, start.strftime("%Y-%m-%d %H:%M:%S.%f"),
                     rng.choice(["scheduled", "confirmed", "completed", "cancelled"])))
    db = sqlite3.connect(p.paths.database)
    db.executemany(
        "INSERT INTO appointment (client_id, service_id, staff_id, start, duration_minutes,"
        " buffer_before_minutes, buffer_after_minutes, status, source, quoted_price_cents,"
        " notes, internal_notes, created_at, updated_at) VALUES (?, ?, ?, ?, 50, 0, 0, ?,"
        " 'import', 0, '', '', '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')",
        rows)
    db.commit()
    db.close()
    return p, service, people, days[: len(rows) // len(HOURS)]


def median_ms(fn: Callable[[int], object], repeats: int) -> float:
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = measure.parser(__doc__)
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    if args.smoke:
        args.sessions, args.repeats = 300, 3
    with tempfile.TemporaryDirectory() as tmp:
        p, service, people, days = build(Path(tmp) / "p", args.sessions)
        floor_db_path = Path(tmp) / "floor.sqlite3"
        shutil.copy(p.paths.database, floor_db_path)
        floor = sqlite3.connect(floor_db_path, isolation_level=None)
        rng = random.Random(2)
        # Within two years of NOW: further ahead a booking is asked about (FAR_AHEAD).
        picks = rng.sample(range(min(len(days), 500)), args.repeats * 2)

        def at(day: date, hour: int) -> datetime:
            return datetime(day.year, day.month, day.day, hour, tzinfo=ZONE)

        def book(i: int) -> None:
            scheduling.book(p, BookingRequest(client_id=people[i % 200],
                                              start=at(days[picks[i]], 18), service_id=service))

        def book_floor(i: int) -> None:
            start = at(days[picks[args.repeats + i]], 18).astimezone(UTC)
            lo = (start - timedelta(minutes=50)).strftime("%Y-%m-%d %H:%M:%S.%f")
            hi = (start + timedelta(minutes=50)).strftime("%Y-%m-%d %H:%M:%S.%f")
            floor.execute("BEGIN IMMEDIATE")
            floor.execute("SELECT id FROM appointment WHERE staff_id = 1 AND start > ? AND "
                          "start < ? AND status IN ('scheduled', 'confirmed')", (lo, hi)).fetchall()
            floor.execute(
                "INSERT INTO appointment (client_id, service_id, staff_id, start, "
                "duration_minutes, buffer_before_minutes, buffer_after_minutes, status, source,"
                " quoted_price_cents, notes, internal_notes, created_at, updated_at) VALUES "
                "(1, 1, 1, ?, 50, 0, 0, 'scheduled', 'manual', 0, '', '', ?, ?)",
                (start.strftime("%Y-%m-%d %H:%M:%S.%f"), lo, lo))
            floor.execute("COMMIT")

        def slots(i: int) -> None:
            availability.free_slots(p, days[picks[i]], service_id=service)

        def slots_floor(i: int) -> None:
            lo = at(days[picks[i]], 0).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            hi = at(days[picks[i]] + timedelta(days=1), 0).astimezone(UTC) \
                .strftime("%Y-%m-%d %H:%M:%S.%f")
            floor.execute("SELECT * FROM appointment WHERE staff_id = 1 AND start >= ? AND "
                          "start < ?", (lo, hi)).fetchall()

        def week(i: int) -> None:
            monday = days[picks[i]] - timedelta(days=days[picks[i]].weekday())
            queries.list_appointments(p, start=monday, end=monday + timedelta(days=6))

        def week_floor(i: int) -> None:
            monday = days[picks[i]] - timedelta(days=days[picks[i]].weekday())
            lo = at(monday, 0).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            hi = at(monday + timedelta(days=7), 0).astimezone(UTC) \
                .strftime("%Y-%m-%d %H:%M:%S.%f")
            floor.execute("SELECT a.*, c.name, s.name FROM appointment a JOIN client c ON "
                          "c.id = a.client_id JOIN staff s ON s.id = a.staff_id WHERE "
                          "a.start >= ? AND a.start < ? ORDER BY a.start", (lo, hi)).fetchall()

        print(f"{args.sessions} sessions, {args.repeats} repeats alternately, medians "
              "(min–max)")
        for name, fn, base in (("book one session", book, book_floor),
                               ("free slots of a day", slots, slots_floor),
                               ("list a week", week, week_floor)):
            ours, theirs = measure.alternate_calls(fn, base, args.repeats)
            print(f"{name:<22} {ours.ms():<26} floor {theirs.ms():<26} "
                  f"ratio {measure.ratio(ours, theirs)}")
        floor.close()
        p.close()


if __name__ == "__main__":
    main()
