"""A practice on the PostgreSQL server beside the same practice in its SQLite file:
booking, a week's list and the Sessões list's first page, each against a floor of
the same SQL through the plain driver; and how long a change made by one computer
takes to reach another (two processes: one confirms sessions, the other follows
the change feed), against a floor of a bare NOTIFY between two connections; and a
client search typed in the client list (5,000 clients: the matching clients with
their next session and no-show rate), against the same clients found by plain SQL.

    .venv/bin/python benchmarks/bench_shared_practice.py [--sessions 20000] [--repeats 200]
        [--changes 100] [--clients 5000]

The server is a throwaway PostgreSQL on loopback (tests/fakes/postgres.py; Debian's
`postgresql` package). Prints medians (and p95 for the latency); docs/PERFORMANCE.md
quotes them.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")

import psycopg

from app.models.search_text import like_pattern, search_key, words
from app.services import clients, queries, scheduling, session_list, this_computer
from app.services.clock import FrozenClock
from app.services.database import Database
from app.services.migrate import upgrade
from app.services.paths import DataPaths
from app.services.practice import Practice, open_practice
from app.services.scheduling import BookingRequest
from app.services.storage import copying
from app.services.storage.change_feed import Watcher

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scheduling import NOW, build

from benchmarks import measure
from tests.fakes.postgres import PostgresCluster

ZONE = ZoneInfo("America/Sao_Paulo")
WEEK_SQL = ("SELECT a.*, c.name, s.name FROM appointment a JOIN client c ON c.id = a.client_id "
            "JOIN staff s ON s.id = a.staff_id WHERE a.start >= {p} AND a.start < {p} "
            "ORDER BY a.start")
SEARCH_SQL = ("SELECT id, name, phone, email FROM client WHERE active AND {where} "
              "ORDER BY search_key LIMIT 200")
FIRST = ["Ana", "Bruno", "Carla", "Diego", "Élisa", "Fábio", "Gabriela", "Hugo", "Íris", "João"]
LAST = ["Silva", "Souza", "Costa", "Lima", "Conceição", "Rocha", "Dias", "Melo", "Araújo"]
PAGE_SQL = ("SELECT a.*, c.name, s.name FROM appointment a JOIN client c ON c.id = a.client_id "
            "JOIN staff s ON s.id = a.staff_id ORDER BY a.start, a.id LIMIT 200")


def more_clients(path: Path, count: int) -> None:
    """`count` more clients in the SQLite file, as an import writes them."""
    rng = random.Random(5)
    db = sqlite3.connect(path)
    start = db.execute("SELECT max(id) FROM client").fetchone()[0] + 1
    names = [f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}" for i in range(start, start + count)]
    db.executemany(
        "INSERT INTO client (id, name, phone, email, notes, active, created_at, search_key) "
        "VALUES (?, ?, ?, ?, '', 1, '2026-01-01 00:00:00.000000', ?)",
        [(i, n, f"+55118{10000000 + i}", f"c{i}@example.com",
          search_key(n, f"c{i}@example.com")) for i, n in zip(range(start, start + count),
                                                              names, strict=True)])
    db.commit()
    db.close()


def on_server(cluster: PostgresCluster, sqlite_practice: Path, folder: Path) -> Practice:
    """The SQLite practice moved to a new database on the server, opened there."""
    url = cluster.new_database()
    db = Database(url)
    upgrade(db.engine, None, folder / "backups")
    copying.file_to_server(sqlite_practice, db.engine)
    db.dispose()
    this_computer.save(DataPaths(folder), database_url=url)
    return open_practice(folder, clock=FrozenClock(NOW), actor="bench", logging_on=False)


def follow(folder: str, ready: Any, out: Any, stop: Any) -> None:
    """The other computer: follows the feed and says when each change arrived."""
    p = open_practice(folder, logging_on=False)
    watcher = Watcher(p.db, lambda change: out.put(time.time()) if change else None)
    import threading

    halt = threading.Event()
    thread = threading.Thread(target=watcher.follow, args=(halt,), daemon=True)
    thread.start()
    time.sleep(1.0)
    ready.set()
    stop.wait()
    halt.set()
    thread.join(timeout=10)
    p.close()


def latency(p: Practice, ids: list[int], changes: int) -> list[float]:
    """Milliseconds from calling confirm on one computer to the other's feed
    publishing it."""
    spawn = multiprocessing.get_context("spawn")
    ready, stop, out = spawn.Event(), spawn.Event(), spawn.Queue()
    other = spawn.Process(target=follow, args=(str(p.paths.root), ready, out, stop))
    other.start()
    ready.wait(60)
    samples = []
    for appointment in ids[:changes]:
        t0 = time.time()
        scheduling.confirm(p, appointment)
        samples.append((out.get(timeout=10) - t0) * 1000)
        time.sleep(0.05)
    stop.set()
    other.join(timeout=30)
    return samples


def notify_floor(url: str, changes: int) -> list[float]:
    """A bare NOTIFY from one connection to another LISTENing one, in ms."""
    dsn = url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn, autocommit=True) as listen, \
            psycopg.connect(dsn, autocommit=True) as say:
        listen.execute("LISTEN bench")
        samples = []
        for _ in range(changes):
            t0 = time.time()
            say.execute("NOTIFY bench, '1'")
            for _n in listen.notifies(timeout=5, stop_after=1):
                break
            samples.append((time.time() - t0) * 1000)
    return samples


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = measure.parser(__doc__)
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--clients", type=int, default=5_000)
    args = parser.parse_args()
    if args.smoke:
        args.sessions, args.repeats, args.changes, args.clients = 300, 3, 3, 100
    cluster = PostgresCluster().start()
    tmp = tempfile.mkdtemp()
    os.environ["KEYRING_PROPERTY_FILE_PATH"] = str(Path(tmp) / "keyring.cfg")
    try:
        lite, service, people, days = build(Path(tmp) / "lite", args.sessions)
        more_clients(lite.paths.database, args.clients)
        server = on_server(cluster, lite.paths.database, Path(tmp) / "server")
        lite_floor = sqlite3.connect(lite.paths.database, isolation_level=None)
        server_floor = psycopg.connect(str(server.db.url.set(drivername="postgresql")
                                           .render_as_string(hide_password=False)),
                                       autocommit=True)
        rng = random.Random(2)
        # Within two years of NOW: further ahead a booking is asked about (FAR_AHEAD).
        picks = rng.sample(range(min(len(days), 500)), args.repeats * 2)

        def at(day: date, hour: int) -> datetime:
            return datetime(day.year, day.month, day.day, hour, tzinfo=ZONE)

        def booker(p: Practice, shift: int) -> Callable[[int], None]:
            def book(i: int) -> None:
                scheduling.book(p, BookingRequest(client_id=people[i % 200], service_id=service,
                                                  start=at(days[picks[shift + i]], 18)))
            return book

        insert = ("INSERT INTO appointment (client_id, service_id, staff_id, start, "
                  "duration_minutes, buffer_before_minutes, buffer_after_minutes, status, source,"
                  " quoted_price_cents, notes, internal_notes, created_at, updated_at) VALUES "
                  "(1, 1, 1, {p}, 50, 0, 0, 'scheduled', 'manual', 0, '', '', {p}, {p})")
        overlap = ("SELECT id FROM appointment WHERE staff_id = 1 AND start > {p} AND "
                   "start < {p} AND status IN ('scheduled', 'confirmed')")

        def book_lite_floor(i: int) -> None:
            """BEGIN IMMEDIATE, one overlap SELECT, one INSERT, COMMIT."""
            start = at(days[picks[args.repeats + i]], 19).astimezone(UTC)
            lo, hi = (str((start + timedelta(minutes=m)).replace(tzinfo=None)) for m in (-50, 50))
            lite_floor.execute("BEGIN IMMEDIATE")
            lite_floor.execute(overlap.format(p="?"), (lo, hi)).fetchall()
            lite_floor.execute(insert.format(p="?"), (str(start.replace(tzinfo=None)), lo, lo))
            lite_floor.execute("COMMIT")

        def book_server_floor(i: int) -> None:
            """The same, the practice's write lock taken as the app does."""
            start = at(days[picks[args.repeats + i]], 19).astimezone(UTC).replace(tzinfo=None)
            with server_floor.transaction():
                server_floor.execute("SELECT pg_advisory_xact_lock(1349673075, 1)")
                server_floor.execute(overlap.format(p="%s"),  # type: ignore[arg-type]
                                     (start - timedelta(minutes=50),
                                      start + timedelta(minutes=50))).fetchall()
                server_floor.execute(insert.format(p="%s"),  # type: ignore[arg-type]
                                     (start, start, start))

        def week(p: Practice) -> Callable[[int], None]:
            def run(i: int) -> None:
                monday = days[picks[i]] - timedelta(days=days[picks[i]].weekday())
                queries.list_appointments(p, start=monday, end=monday + timedelta(days=6))
            return run

        def week_floor(execute: Callable[[str, tuple[Any, ...]], object], mark: str
                       ) -> Callable[[int], None]:
            def run(i: int) -> None:
                monday = days[picks[i]] - timedelta(days=days[picks[i]].weekday())
                lo = at(monday, 0).astimezone(UTC).replace(tzinfo=None)
                hi = at(monday + timedelta(days=7), 0).astimezone(UTC).replace(tzinfo=None)
                if mark == "?":
                    execute(WEEK_SQL.format(p="?"), (str(lo), str(hi)))
                else:
                    execute(WEEK_SQL.format(p="%s"), (lo, hi))
            return run

        def first_page(p: Practice) -> Callable[[int], None]:
            listing = session_list.Listing()

            def run(_i: int) -> None:
                session_list.count(p, listing)
                session_list.page(p, listing)
            return run

        def lite_sql(sql: str, params: tuple[Any, ...]) -> object:
            return lite_floor.execute(sql, params).fetchall()

        def server_sql(sql: str, params: tuple[Any, ...]) -> object:
            return server_floor.execute(sql, params).fetchall()  # type: ignore[arg-type]

        typed = ["souza", "joao", "conceicao", "ana s", "erica"]

        def search(p: Practice) -> Callable[[int], None]:
            def run(i: int) -> None:
                clients.directory(p, typed[i % len(typed)])
            return run

        def search_floor(execute: Callable[[str, tuple[Any, ...]], object], mark: str
                         ) -> Callable[[int], None]:
            def run(i: int) -> None:
                found = words(typed[i % len(typed)])
                where = " AND ".join([f"search_key LIKE {mark}"] * len(found))
                execute(SEARCH_SQL.format(where=where), tuple(like_pattern(w) for w in found))
            return run

        print(f"{args.sessions} sessions, {args.clients + 200} clients, {args.repeats} "
              "repeats alternately; medians in ms, min–max after each")
        rows = [
            ("book one session", booker(lite, 0), book_lite_floor, booker(server, 0),
             book_server_floor),
            ("list a week", week(lite), week_floor(lite_sql, "?"), week(server),
             week_floor(server_sql, "%s")),
            ("Sessões: count and first page", first_page(lite),
             lambda _i: (lite_sql("SELECT count(*) FROM appointment", ()),
                         lite_sql(PAGE_SQL, ())),
             first_page(server),
             lambda _i: (server_sql("SELECT count(*) FROM appointment", ()),
                         server_sql(PAGE_SQL, ()))),
            ("a client search (directory)", search(lite), search_floor(lite_sql, "?"),
             search(server), search_floor(server_sql, "%s")),
        ]
        for name, ours_lite, floor_lite, ours_server, floor_server in rows:
            a, b = measure.alternate_calls(ours_lite, floor_lite, args.repeats)
            c, d = measure.alternate_calls(ours_server, floor_server, args.repeats)
            print(f"{name}\n  SQLite {a.ms()}, floor {b.ms()}, ratio {measure.ratio(a, b)}"
                  f"\n  server {c.ms()}, floor {d.ms()}, ratio {measure.ratio(c, d)}")

        scheduled = [v.id for v in queries.list_appointments(server)
                     if v.status.value == "scheduled"]
        lite_scheduled = [v.id for v in queries.list_appointments(lite)
                          if v.status.value == "scheduled"]
        print(f"\nA confirmation reaching the other computer ({args.changes} changes), ms")
        for name, values in (
                ("server: confirm to the other's feed", latency(server, scheduled, args.changes)),
                ("SQLite: confirm to another process", latency(lite, lite_scheduled,
                                                                args.changes)),
                ("floor: a bare NOTIFY between two connections",
                 notify_floor(str(server.db.url.render_as_string(hide_password=False)),
                              args.changes))):
            print(f"{name:<46} p50 {statistics.median(values):>7.1f}   p95 {p95(values):>7.1f}")
        lite_floor.close()
        server_floor.close()
        lite.close()
        server.close()
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
