"""The window on a large practice: 100,000 sessions, 5,000 clients, 5 professionals.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_window.py [--starts 5]

Measures, in one run, medians of:
- start-up to the first painted week, against a floor: a bare PySide6 window in a
  process that imports the same libraries (SQLAlchemy, SQLModel, Babel, ...);
- next-week navigation, from the click to the new week painted: as people use it
  (the neighbouring weeks pre-fetched while they look), and with nothing cached;
- opening a client file with 500 sessions, until its Sessões table is filled;
- a search typed in the client list, from the query to the table filled;
- Sessões: the list opened (count and first page painted), sorted by client name,
  searched by name, and a page read deep in the list as it scrolls; against a
  floor: the same first page read with plain sqlite3 (no ORM, no Qt).
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ZONE = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 11, 18, 10, tzinfo=ZONE)
FIRST_NAMES = ["Ana", "Bruno", "Carla", "Diego", "Elisa", "Fábio", "Gabriela", "Hugo", "Íris",
               "João", "Karen", "Luís", "Marta", "Nuno", "Olga", "Pedro", "Rita", "Sérgio"]
LAST_NAMES = ["Silva", "Souza", "Costa", "Lima", "Alves", "Rocha", "Dias", "Melo", "Pinto"]

STARTUP_CHILD = """
import sys, time
t0 = float(sys.argv[1])
from PySide6.QtWidgets import QApplication
from app.services.practice import open_practice
from app.services import settings
from app.services.clock import FrozenClock
from app.ui.main_window import MainWindow
from datetime import datetime
from zoneinfo import ZoneInfo
app = QApplication(sys.argv[:1])
p = open_practice(sys.argv[2], clock=FrozenClock(datetime(2026, 11, 18, 10,
                  tzinfo=ZoneInfo("America/Sao_Paulo"))), logging_on=False)
w = MainWindow(p, settings.get(p).zone)
w.resize(1280, 800)
w.show()
grid = w.agenda.grid
while not grid.sessions():
    app.processEvents()
    w.tasks.wait(5)
grid.repaint()
print(time.time() - t0)
"""

FLOOR_CHILD = """
import sys, time
t0 = float(sys.argv[1])
from PySide6.QtWidgets import QApplication, QMainWindow, QLabel
import sqlalchemy, sqlmodel, alembic, babel.dates, babel.numbers, phonenumbers
import email_validator, dateutil.rrule, platformdirs, sqlite3
app = QApplication(sys.argv[:1])
w = QMainWindow()
w.setCentralWidget(QLabel("week"))
w.resize(1280, 800)
w.show()
db = sqlite3.connect(sys.argv[2])
db.execute("SELECT * FROM appointment WHERE start >= '2026-11-16' AND start < '2026-11-23'"
           ).fetchall()
w.repaint()
print(time.time() - t0)
"""


def build(folder: Path, sessions: int, clients: int) -> tuple[int, Path]:
    """The practice, written with plain SQL for speed; returns the client with 500
    sessions and the database path."""
    from app.services import settings
    from app.services.clock import FrozenClock
    from app.services.practice import open_practice

    p = open_practice(folder, clock=FrozenClock(NOW), actor="bench", logging_on=False)
    settings.set_value(p, "timezone", "America/Sao_Paulo")
    settings.set_value(p, "hours", "mon-fri 08:00-20:00")
    path = p.paths.database
    p.close()
    rng = random.Random(3)
    db = sqlite3.connect(path)
    db.executemany("INSERT INTO staff (id, name, active, color) VALUES (?, ?, 1, ?)",
                   [(i, f"Profissional {i}", c) for i, c in
                    zip(range(2, 6), ["#10b981", "#f59e0b", "#8b5cf6", "#ef4444"], strict=True)])
    db.execute("INSERT INTO service (id, name, duration_minutes, price_cents, "
               "buffer_before_minutes, buffer_after_minutes, min_notice_minutes, "
               "bookable_weekdays, active) VALUES (1, 'Sessão', 50, 20000, 0, 0, 0, '0123456', 1)")
    stamp = "2026-01-01 00:00:00.000000"
    db.executemany(
        "INSERT INTO client (id, name, phone, email, notes, active, created_at) VALUES "
        "(?, ?, ?, ?, '', 1, ?)",
        [(i, f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {i}",
          f"+55119{70000000 + i}", f"cliente{i}@example.com", stamp)
         for i in range(1, clients + 1)])
    # Weekdays around today, each professional 8 sessions a day.
    per_day = 5 * 8
    days_needed = sessions // per_day + 1
    start_day = NOW.date() - timedelta(days=int(days_needed * 7 / 5 * 0.7))
    days, d = [], start_day
    while len(days) < days_needed:
        if d.weekday() < 5:
            days.append(d)
        d += timedelta(days=1)
    heavy = 1  # the client with 500 sessions
    rows = []
    for i in range(sessions):
        day = days[i // per_day]
        staff = (i % per_day) // 8 + 1
        hour = 8 + (i % 8) + (1 if (i % 8) >= 4 else 0)
        start = datetime(day.year, day.month, day.day, hour, tzinfo=ZONE).astimezone(UTC)
        client = heavy if i % (sessions // 500) == 0 else rng.randint(2, clients)
        status = "completed" if day < NOW.date() else rng.choice(["scheduled", "confirmed"])
        rows.append((client, staff, start.strftime("%Y-%m-%d %H:%M:%S.%f"), status, stamp))
    db.executemany(
        "INSERT INTO appointment (client_id, service_id, staff_id, start, duration_minutes, "
        "buffer_before_minutes, buffer_after_minutes, status, source, quoted_price_cents, "
        "notes, internal_notes, created_at, updated_at) VALUES (?, 1, ?, ?, 50, 0, 0, ?, "
        "'import', 20000, '', '', ?, ?)", [(*r, r[-1]) for r in rows])
    db.commit()
    db.close()
    return heavy, path


def child_seconds(code: str, arg: str) -> float:
    out = subprocess.run([sys.executable, "-c", code, repr(time.time()), arg],
                         capture_output=True, text=True, check=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=5_000)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        heavy, db_path = build(Path(tmp) / "p", args.sessions, args.clients)
        print(f"built {args.sessions} sessions, {args.clients} clients in "
              f"{time.perf_counter() - t:.1f} s")

        starts, floors = [], []
        for _ in range(args.starts):
            floors.append(child_seconds(FLOOR_CHILD, str(db_path)))
            starts.append(child_seconds(STARTUP_CHILD, str(Path(tmp) / "p")))
        start_ms, floor_ms = statistics.median(starts) * 1000, statistics.median(floors) * 1000

        from PySide6.QtCore import QCoreApplication, QSettings
        from PySide6.QtWidgets import QApplication

        from app.services import settings
        from app.services.clock import FrozenClock
        from app.services.practice import open_practice
        from app.ui.main_window import PAGES, MainWindow

        app = QApplication(sys.argv[:1])
        QCoreApplication.setOrganizationName("PracticeDeskBench")
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        QSettings().setValue("agenda/view", "week")
        p = open_practice(Path(tmp) / "p", clock=FrozenClock(NOW), logging_on=False)
        w = MainWindow(p, settings.get(p).zone)
        w.resize(1280, 800)
        w.show()
        grid = w.agenda.grid

        def wait_for(condition) -> None:  # type: ignore[no-untyped-def]
            while not condition():
                app.processEvents()
                w.tasks.wait(1)

        wait_for(lambda: bool(grid.sessions()))
        shown_per_week = len(grid.sessions())

        def step(cold: bool) -> float:
            # A person pauses between clicks: the background pre-fetch finishes.
            pause = time.perf_counter()
            while time.perf_counter() - pause < 0.2:
                app.processEvents()
            wait_for(lambda: not w.agenda._prefetching)
            if cold:
                w.agenda._generation += 1
                w.agenda._cache.clear()
            before = w.agenda._request
            t0 = time.perf_counter()
            w.agenda.step(1)
            wait_for(lambda b=before: getattr(w.agenda, "loaded_token", 0) > b)
            grid.repaint()
            return (time.perf_counter() - t0) * 1000

        nav = [step(cold=False) for _ in range(args.repeats)]
        cold = [step(cold=True) for _ in range(args.repeats)]

        w.nav.setCurrentRow(PAGES.index("clients"))
        opening = []
        for _ in range(max(5, args.repeats // 3)):
            t0 = time.perf_counter()
            file = w.clients.open_client(heavy)
            wait_for(lambda f=file: f.sessions_model.rowCount() >= 500)
            file.sessions.repaint()
            opening.append((time.perf_counter() - t0) * 1000)
        w.clients.close_client()

        typing = []
        words = ["a", "an", "ana", "ana s", "m", "ma", "mar", "mart", "5", "55", "555"]
        for text in words * 3:
            w.clients.search.blockSignals(True)
            w.clients.search.setText(text)
            w.clients.search.blockSignals(False)
            token = w.clients._request
            t0 = time.perf_counter()
            w.clients.refresh()  # what the keystroke's debounce timer calls
            wait_for(lambda tk=token: w.clients._request > tk and
                     w.clients.count.text() != "" and
                     w.clients.model.rows is not None and _settled(w))
            w.clients.table.repaint()
            typing.append((time.perf_counter() - t0) * 1000)
        lists = _session_list(w, app, wait_for, db_path, args.repeats)
        w.close()
        p.close()

    print(f"{'measure':<44}{'median':>10}")
    print(f"{'start-up to the first painted week':<44}{start_ms:>8.0f} ms")
    print(f"{'  floor: bare PySide6 window, same imports':<44}{floor_ms:>8.0f} ms"
          f"   ratio {start_ms / floor_ms:.2f}")
    print(f"{'next week (' + str(shown_per_week) + ' sessions drawn)':<44}"
          f"{statistics.median(nav):>8.1f} ms")
    print(f"{'  the same with nothing pre-fetched':<44}{statistics.median(cold):>8.1f} ms")
    print(f"{'open a client file with 500 sessions':<44}{statistics.median(opening):>8.1f} ms")
    print(f"{'client search, one query':<44}{statistics.median(typing):>8.1f} ms")
    floor = statistics.median(lists.pop("floor"))
    for name, times in lists.items():
        ms = statistics.median(times)
        print(f"{name:<44}{ms:>8.1f} ms   ratio {ms / floor:.1f}")
    print(f"{'  floor: the first page in plain sqlite3':<44}{floor:>8.1f} ms")


def _session_list(w, app, wait_for, db_path: Path, repeats: int  # type: ignore[no-untyped-def]
                  ) -> dict[str, list[float]]:
    """The Sessões page over the whole practice, each figure from the request to
    the table painted."""
    from app.services.session_list import PAGE

    page = w.sessions
    w.show_page("sessions")
    all_dates = page.period.findData("all")
    out: dict[str, list[float]] = {"floor": [], "Sessões: open the list (all dates)": [],
                                   "Sessões: sort by client name": [],
                                   "Sessões: search by name": [],
                                   "Sessões: a page 50,000 rows down": []}

    def filled(action) -> float:  # type: ignore[no-untyped-def]
        token = page._request
        t0 = time.perf_counter()
        action()
        wait_for(lambda: page._request > token and page.model.rowCount() > 0 and
                 page.count_label.text() != "" and _settled(w))
        page.table.repaint()
        return (time.perf_counter() - t0) * 1000

    db = sqlite3.connect(db_path)
    for _ in range(repeats):
        t0 = time.perf_counter()
        db.execute(
            "SELECT a.*, c.name, c.phone, c.email, s.name, s.color, v.name FROM appointment a "
            "JOIN client c ON c.id = a.client_id JOIN staff s ON s.id = a.staff_id "
            "LEFT JOIN service v ON v.id = a.service_id ORDER BY a.start, a.id LIMIT ?",
            (PAGE,)).fetchall()
        out["floor"].append((time.perf_counter() - t0) * 1000)
    db.close()
    page.period.blockSignals(True)
    page.period.setCurrentIndex(all_dates)
    page.period.blockSignals(False)
    for _ in range(max(5, repeats // 3)):
        out["Sessões: open the list (all dates)"].append(filled(page.reload))
    for descending in [False, True] * max(3, repeats // 6):
        out["Sessões: sort by client name"].append(
            filled(lambda d=descending: page._sorted("client", d)))
    page._sorted("start", False)
    for text in ["ana", "ana s", "mar", "5", "555"] * max(1, repeats // 10):
        page.search.blockSignals(True)
        page.search.setText(text)
        page.search.blockSignals(False)
        out["Sessões: search by name"].append(filled(page.reload))
    page.search.setText("")
    filled(page.reload)
    from app.services import session_list

    listing = page.listing
    for _ in range(max(5, repeats // 3)):  # what fetchMore asks for, deep in the list
        t0 = time.perf_counter()
        rows = session_list.page(w.practice, listing, 50_000)
        out["Sessões: a page 50,000 rows down"].append((time.perf_counter() - t0) * 1000)
        assert len(rows) == PAGE
    return out


def _settled(w) -> bool:  # type: ignore[no-untyped-def]
    return not w.tasks.pool.activeThreadCount()


if __name__ == "__main__":
    main()
