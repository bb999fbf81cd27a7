"""The window on a large practice: 100,000 sessions, 5,000 clients, 5 professionals.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_window.py [--smoke]

Each figure is a median with its range; where it has a floor, ours and the floor
are measured alternately in the same run (benchmarks/measure.py):
- start-up to the first painted week, against a floor: a bare PySide6 window in a
  process that imports the same libraries our start-up has imported by the time
  its first week is painted (the list is taken from our start-up in this run, so
  the floor never imports what we no longer do; it is printed);
- next week, from the click to the new week painted (every widget the click
  changed, not only the grid): as people use it (the neighbouring weeks
  pre-fetched while they look), and with nothing cached; against a floor: the
  same window painting the week already shown again;
- opening a client file with 500 sessions, until its Sessões table is painted;
- a search typed in the client list, from the query to the table painted; and
  the table's own part: the rows handed to the table until it is painted;
- Sessões: the list opened (count and first page painted), sorted by client
  name (its count known), filtered by status (counted, and chosen again with
  its count known), searched by name, a page read deep in the list,
  against a floor: the same first page read with plain sqlite3 (no ORM, no Qt);
  and scrolled a screen at a time as Page Down held down does, counting the
  screens that reached rows not yet read.

The practice is built as one is kept: a third of the clients carry 2 kB of notes
and each session held 1.5 kB of the professional's.

`--smoke` runs all of it on 2,000 sessions and 200 clients, 2 starts and 3
repeats, asserting nothing about time.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import measure  # noqa: E402
from benchmarks.measure import Figure  # noqa: E402

ZONE = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 11, 18, 10, tzinfo=ZONE)
FRAME_MS = 1000 / 60
FIRST_NAMES = ["Ana", "Bruno", "Carla", "Diego", "Elisa", "Fábio", "Gabriela", "Hugo", "Íris",
               "João", "Karen", "Luís", "Marta", "Nuno", "Olga", "Pedro", "Rita", "Sérgio"]
LAST_NAMES = ["Silva", "Souza", "Costa", "Lima", "Alves", "Rocha", "Dias", "Melo", "Pinto"]

# Both children keep Qt's remembered settings in the run's folder, on the agenda's
# week, under the names the app gives itself (app/ui/app.py).
CHILD_SETTINGS = """
from PySide6.QtCore import QCoreApplication, QSettings
QCoreApplication.setOrganizationName("PracticeDesk")
QCoreApplication.setApplicationName("Practice Desk")
QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[3])
QSettings().setValue("agenda/view", "week")
QSettings().setValue("window/page", "agenda")
"""

# Ours opens the window as `practice` with no arguments does: the same entry
# (app.launch.main: the database read ahead, then app.cli.main), so the command
# line's parser, the practice opened with logging, the error hook, the reminders'
# worker and the window's start() are all in the figure, and nothing is imported
# before the entry would import it (PySide6 costs every module imported after it,
# so the order is part of the figure). The practice folder comes from
# PRACTICE_HOME, its clock from PRACTICE_NOW (so the week shown has sessions on any
# day the bench runs). Once the window's module is being imported, Qt and the
# application exist (run_window made it): the child then asks, for when the event
# loop runs, to hear from the agenda when its first week is put on the grid (no
# polling: a timer waking Python every millisecond would take Python's lock from
# the week's loading); the grid is then painted, the time taken, and the window
# quits as the tray's Quit does.
STARTUP_CHILD = """
import sys, time
t0 = float(sys.argv[1])
seen, asked = [], []

def painted(window, agenda):
    if seen or not agenda.grid.sessions():
        return
    agenda.grid.repaint()
    seen.append(time.time() - t0)
    own = ("app", "relay", "benchmarks", "__main__")  # imported by now, for the floor
    seen.append("\\t".join(m for m in list(sys.modules)
                           if m.split(".")[0] not in own and
                           m.split(".")[0] not in sys.stdlib_module_names))
    window.quit()

def begin():
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    for window in QApplication.topLevelWidgets():
        agenda = window.built("agenda") if hasattr(window, "built") else None
        if agenda is not None:
            agenda.loaded.connect(lambda: painted(window, agenda))
            painted(window, agenda)  # the week may have come before the loop ran
            return
    QTimer.singleShot(1, begin)  # the window is not made yet

def watch(event, args):
    if event != "import" or args[0] != "app.ui.main_window" or asked:
        return
    asked.append(True)
    from PySide6.QtCore import QTimer
""" + textwrap.indent(CHILD_SETTINGS, "    ") + """
    QTimer.singleShot(0, begin)

sys.addaudithook(watch)
from app.launch import main
code = main([])
print(seen[0])
print(seen[1])
sys.exit(code)
"""

# The floor imports the same modules in the same order as ours did (Qt among
# them where ours imported it: PySide6 reads the source of every module imported
# after it, so the order is part of the cost).
FLOOR_CHILD = """
import sys, time, importlib
t0 = float(sys.argv[1])
for name in sys.argv[4].split("\\t"):
    try:
        importlib.import_module(name)
    except Exception:
        pass  # a module only its package can import (shiboken's own, cython's)
from PySide6.QtWidgets import QApplication, QMainWindow, QLabel
""" + CHILD_SETTINGS + """
import sqlite3
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


# A third of the clients carry notes of about 2 kB, as a practice's first interviews
# leave them: a search must not read them.
NOTES = "Primeira entrevista: queixa principal, história, combinados do contrato. " * 28


# Each session held carries about 1.5 kB of the professional's notes.
SESSION_NOTES = "Sessão: relato, intervenções, tarefas combinadas, próximos passos. " * 22


def build(folder: Path, sessions: int, clients: int) -> tuple[int, int, Path]:
    """The practice, written with plain SQL for speed; returns the client with the
    most sessions, how many they have, and the database path."""
    from app.models.search_text import search_key
    from app.services import settings, this_computer
    from app.services.clock import FrozenClock
    from app.services.practice import open_practice

    p = open_practice(folder, clock=FrozenClock(NOW), actor="bench", logging_on=False)
    settings.set_value(p, "timezone", "America/Sao_Paulo")
    settings.set_value(p, "hours", "mon-fri 08:00-20:00")
    # This computer says who uses it (one of the professionals written below), so
    # the window opens without asking.
    this_computer.save(p.paths, person="Profissional 2")
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
        "INSERT INTO client (id, name, phone, email, notes, active, created_at, search_key) "
        "VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
        [(i, name, f"+55119{70000000 + i}", f"cliente{i}@example.com",
          NOTES if i % 3 == 0 else "", stamp, search_key(name, f"cliente{i}@example.com"))
         for i, name in ((i, f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {i}")
                         for i in range(1, clients + 1))])
    # Weekdays around today, each professional 8 sessions a day.
    per_day = 5 * 8
    days_needed = sessions // per_day + 1
    start_day = NOW.date() - timedelta(days=int(days_needed * 7 / 5 * 0.7))
    days, d = [], start_day
    while len(days) < days_needed:
        if d.weekday() < 5:
            days.append(d)
        d += timedelta(days=1)
    heavy = 1  # the client with 500 sessions (a quarter of a small practice's)
    every = max(sessions // 500, 4)
    rows = []
    for i in range(sessions):
        day = days[i // per_day]
        staff = (i % per_day) // 8 + 1
        hour = 8 + (i % 8) + (1 if (i % 8) >= 4 else 0)
        start = datetime(day.year, day.month, day.day, hour, tzinfo=ZONE).astimezone(UTC)
        client = heavy if i % every == 0 else rng.randint(2, clients)
        status = "completed" if day < NOW.date() else rng.choice(["scheduled", "confirmed"])
        rows.append((client, staff, start.strftime("%Y-%m-%d %H:%M:%S.%f"), status,
                     SESSION_NOTES if status == "completed" else "", stamp))
    db.executemany(
        "INSERT INTO appointment (client_id, service_id, staff_id, start, duration_minutes, "
        "buffer_before_minutes, buffer_after_minutes, status, source, quoted_price_cents, "
        "notes, internal_notes, created_at, updated_at) VALUES (?, 1, ?, ?, 50, 0, 0, ?, "
        "'import', 20000, ?, '', ?, ?)", [(*r, r[-1]) for r in rows])
    db.commit()
    db.close()
    return heavy, len(range(0, sessions, every)), path


def child(code: str, *args: str, bytecode: str, home: str = "") -> list[str]:
    """A Python process running `code`; its output's lines. Its compiled modules
    are kept in `bytecode` (as an installed app has them: with
    PYTHONDONTWRITEBYTECODE set, each start would compile our code again while
    the libraries' came compiled). `home`: the practice folder, as PRACTICE_HOME,
    with the clock at NOW."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": bytecode}
    if home:
        env.update(PRACTICE_HOME=home, PRACTICE_NOW=NOW.isoformat())
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run([sys.executable, "-c", code, repr(time.time()), *args],
                         capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    return out.stdout.strip().splitlines()


class _Paints:
    """Counts the paints `widget` receives (an event filter; Qt classes imported
    when the window's part of the benchmark runs)."""

    def __init__(self, widget: Any) -> None:
        from PySide6.QtCore import QEvent, QObject

        paint = QEvent.Type.Paint
        outer = self

        class Filter(QObject):
            def eventFilter(self, _watched: Any, event: Any) -> bool:
                if event.type() == paint:
                    outer.count += 1
                return False

        self.count = 0
        self._filter = Filter()
        widget.installEventFilter(self._filter)


def line(label: str, value: str) -> None:
    print(f"{label:<52}{value}")


def main() -> None:
    parser = measure.parser(__doc__)
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=5_000)
    parser.add_argument("--starts", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--only", choices=["start-up", "window"],
                        help="measure only the start-up, or only the open window")
    args = parser.parse_args()
    if args.smoke:
        args.sessions, args.clients, args.starts, args.repeats = 2_000, 200, 2, 3
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        heavy, heavy_sessions, db_path = build(Path(tmp) / "p", args.sessions, args.clients)
        print(f"built {args.sessions:,} sessions, {args.clients:,} clients in "
              f"{time.perf_counter() - t:.1f} s")
        if args.only != "window":
            _start_up(Path(tmp), db_path, args.starts)
        if args.only != "start-up":
            _window(Path(tmp), db_path, heavy, heavy_sessions, args.repeats)


def _start_up(tmp: Path, db_path: Path, starts: int) -> None:
    folder, qt, bytecode = str(tmp / "p"), str(tmp / "qt"), str(tmp / "bytecode")
    # Once untimed, each: what our start-up imports (for the floor), and both
    # compiled once as an installed app's modules are.
    modules = child(STARTUP_CHILD, folder, qt, bytecode=bytecode, home=folder)[-1]
    child(FLOOR_CHILD, str(db_path), qt, modules, bytecode=bytecode)
    ours_figure, floor = measure.alternate(
        lambda: float(child(STARTUP_CHILD, folder, qt, bytecode=bytecode, home=folder)[-2]),
        lambda: float(child(FLOOR_CHILD, str(db_path), qt, modules, bytecode=bytecode)[-1]),
        starts)
    packages = sorted({m.split(".")[0] for m in modules.split("\t") if m})
    print("start-up imports, and so the floor's: " + " ".join(
        p for p in packages if not p.startswith("_")))
    line("start-up to the first painted week", floor_ms(ours_figure))
    line("  floor: bare PySide6 window, the same imports", floor_ms(floor))
    line("  ratio", measure.ratio(ours_figure, floor))
    line("  goal", "≤ 1.30×")


def floor_ms(figure: Figure) -> str:
    return f"{figure.median * 1000:.0f} ms ({figure.low * 1000:.0f}–{figure.high * 1000:.0f})"


def _window(tmp: Path, db_path: Path, heavy: int, heavy_sessions: int, repeats: int) -> None:
    from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings
    from PySide6.QtWidgets import QApplication

    from app.services import clients, settings
    from app.services.clock import FrozenClock
    from app.services.practice import open_practice
    from app.ui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    QCoreApplication.setOrganizationName("PracticeDeskBench")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp / "qt"))
    QSettings().setValue("agenda/view", "week")
    QSettings().setValue("window/page", "agenda")
    p = open_practice(tmp / "p", clock=FrozenClock(NOW), logging_on=False)
    w = MainWindow(p, settings.get(p).zone)
    w.resize(1280, 800)
    w.show()
    grid = w.agenda.grid

    def wait_for(condition: Callable[[], bool]) -> None:
        while not condition():
            app.processEvents()
            w.tasks.wait(1)

    def settled() -> bool:
        return not w.tasks.pool.activeThreadCount()

    wait_for(lambda: bool(grid.sessions()))
    # As the window opens: the person this computer says uses it (a professional
    # of five) is who reads, and what they may read is asked on each list.
    w.start()
    wait_for(lambda: w.practice.person is not None)
    print(f"\nreading as {w.practice.person.name} ({w.practice.person.role.value})")
    shown_per_week = len(grid.sessions())

    def step(cold: bool) -> float:
        # A person pauses between clicks: the background pre-fetch finishes.
        pause = time.perf_counter()
        while time.perf_counter() - pause < 0.2:
            app.processEvents()
        wait_for(lambda: not w.agenda._prefetching and settled())
        app.processEvents()
        if cold:
            w.agenda._generation += 1
            w.agenda._cache.clear()
        before = w.agenda._request
        t0 = time.perf_counter()
        w.agenda.step(1)
        wait_for(lambda: getattr(w.agenda, "loaded_token", 0) > before)
        # Painting the grid now paints whatever else the click changed in the window
        # too (its days, the period, the calendar): Qt flushes the window at once.
        grid.repaint()
        return time.perf_counter() - t0

    def again() -> float:
        """The floor: the same window painting the week it shows once more."""
        grid.update()
        w.agenda.header.update()
        t0 = time.perf_counter()
        grid.repaint()
        return time.perf_counter() - t0

    print(f"\nnext week, click → painted ({shown_per_week} sessions drawn; a frame is "
          f"{FRAME_MS:.1f} ms)")
    warm, floor = measure.alternate(lambda: step(cold=False), again, repeats)
    line("  pre-fetched, as people use it", warm.ms())
    line("  floor: the same week painted again", floor.ms())
    line("  ratio", measure.ratio(warm, floor))
    line("  goal", "≤ 8 ms")
    cold, floor = measure.alternate(lambda: step(cold=True), again, max(5, repeats // 2))
    line("  with nothing pre-fetched", cold.ms())
    line("  floor: the same week painted again", floor.ms())
    line("  ratio", measure.ratio(cold, floor))

    w.show_page("clients")
    opening = []
    for _ in range(max(5, repeats // 3)):
        t0 = time.perf_counter()
        file = w.clients.open_client(heavy)
        wait_for(lambda f=file: f.sessions_model.rowCount() >= heavy_sessions)
        file.sessions.repaint()
        opening.append(time.perf_counter() - t0)
    w.clients.close_client()
    wait_for(settled)
    print()
    line(f"open a client file with {heavy_sessions} sessions", Figure(opening).ms())

    # Typing: from the search's start (what the keystroke's debounce timer calls) to
    # the table's first paint with its answer, waiting in Qt's loop as the window's
    # own event loop does (a spinning wait would hold Python's lock the search needs).
    words = ["a", "an", "ana", "ana s", "m", "ma", "mar", "mart", "5", "55", "555"]
    typing, filling = [], []
    table = w.clients.table.viewport()
    watch = _Paints(table)
    resets, painted_at_reset = [0], [0]  # the table's rows replaced, once per answer

    def reset() -> None:
        resets[0] += 1
        painted_at_reset[0] = watch.count

    w.clients.model.modelReset.connect(reset)

    def until_painted(answered: int) -> None:
        while not (resets[0] > answered and watch.count > painted_at_reset[0]):
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)

    for text in words * max(1, repeats // 10):
        w.clients.search.blockSignals(True)
        w.clients.search.setText(text)
        w.clients.search.blockSignals(False)
        wait_for(settled)
        answered = resets[0]
        t0 = time.perf_counter()
        w.clients.refresh()
        until_painted(answered)
        typing.append(time.perf_counter() - t0)
    for text in words * max(1, repeats // 10):
        rows = clients.directory(w.practice, text)
        w.clients.table.scrollToTop()
        w.clients.model.set_rows([])
        w.clients.table.repaint()
        answered = resets[0]
        t0 = time.perf_counter()
        w.clients._loaded((w.clients._request, text, rows))
        until_painted(answered)
        filling.append(time.perf_counter() - t0)
    line("client search, query → table painted", Figure(typing).ms())
    line("  of which the table: rows given → painted", Figure(filling).ms())
    line("  goal (the whole)", "≤ 16 ms")
    _session_list(w, wait_for, settled, db_path, repeats)
    w.close()
    p.close()


def _session_list(w: Any, wait_for: Callable[[Callable[[], bool]], None],
                  settled: Callable[[], bool], db_path: Path, repeats: int) -> None:
    """The Sessões page over the whole practice, each figure from the request to
    the table painted, each beside the same first page read in plain sqlite3."""
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from app.services import session_list
    app_events = QApplication.processEvents

    page = w.sessions
    w.show_page("sessions")
    wait_for(lambda: page.model.rowCount() > 0 and settled())
    db = sqlite3.connect(db_path)
    first_rows = page._screen_rows()  # what the window reads first: a screen's

    def floor() -> float:
        t0 = time.perf_counter()
        db.execute(
            "SELECT a.*, c.name, c.phone, c.email, s.name, s.color, v.name FROM appointment a "
            "JOIN client c ON c.id = a.client_id JOIN staff s ON s.id = a.staff_id "
            "LEFT JOIN service v ON v.id = a.service_id ORDER BY a.start, a.id LIMIT ?",
            (first_rows,)).fetchall()
        return time.perf_counter() - t0

    # Each answer from the request to the table's first paint with it, waiting in
    # Qt's loop as the window's own event loop does (as the client search is
    # measured): the paint is the one the window makes, not one more.
    watch = _Paints(page.table.viewport())
    painted_at_reset = [0]
    page.model.modelReset.connect(lambda: painted_at_reset.__setitem__(0, watch.count))

    def quiet() -> None:
        """The rows read ahead after the last answer are in: a person looks at a
        list longer than that before choosing again."""
        for _ in range(2):
            app_events()
            wait_for(settled)

    def filled(action: Callable[[], None]) -> float:
        """Seconds from `action` to its answer in the table, painted."""
        quiet()
        answered = page.model.generation  # a new listing's rows replace the old ones
        t0 = time.perf_counter()
        action()
        while not (page.model.generation > answered and watch.count > painted_at_reset[0]):
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        return time.perf_counter() - t0

    def search(text: str) -> None:
        page.search.blockSignals(True)
        page.search.setText(text)
        page.search.blockSignals(False)
        page._counts.clear()  # typed for the first time since the data changed
        page.reload()

    def status(index: int, again: bool = False) -> None:
        page.status.blockSignals(True)
        page.status.setCurrentIndex(index)
        page.status.blockSignals(False)
        if not again:
            page._counts.clear()  # chosen for the first time since the data changed
        page.reload()

    page.period.blockSignals(True)
    page.period.setCurrentIndex(page.period.findData("all"))
    page.period.blockSignals(False)
    filled(page.reload)
    texts = iter(["ana", "ana s", "mar", "5", "555"] * repeats)
    directions = iter([False, True] * repeats)
    statuses = iter([1, 2, 3, 0] * repeats)  # scheduled, confirmed, completed, all
    n = max(5, repeats // 3)
    figures = {
        "open the list (all dates)": lambda: filled(page.reload),
        "sort by client name": lambda: filled(
            lambda: page._sorted("client", next(directions))),
        "filter by status": lambda: filled(lambda: status(next(statuses))),
        "filter by status, chosen again": lambda: filled(
            lambda: status(next(statuses), again=True)),
        "search by name": lambda: filled(lambda: search(next(texts))),
    }
    print(f"\nSessões, {page.model.total:,} sessions listed, {first_rows} rows read first "
          f"(a frame is {FRAME_MS:.1f} ms)")
    for name, ours in figures.items():
        if name == "search by name":
            page._sorted("start", False)
            status(0)
            wait_for(settled)
        mine, plain = measure.alternate(ours, floor, n)
        line(f"  {name}", mine.ms())
        line("    floor: the first page in plain sqlite3", plain.ms())
        line("    ratio", measure.ratio(mine, plain))
    filled(lambda: search(""))
    listing, deep = page.listing, min(50_000, page.model.total // 2)

    def deep_page() -> float:  # what fetchMore asks for, deep in the list
        t0 = time.perf_counter()
        rows = session_list.page(w.practice, listing, deep)
        assert rows, "no rows that deep"
        return time.perf_counter() - t0

    mine, plain = measure.alternate(deep_page, floor, n)
    line(f"  a page {deep:,} rows down", mine.ms())
    line("    floor: the first page in plain sqlite3", plain.ms())
    line("    ratio", measure.ratio(mine, plain))

    # Scrolling a screen at a time as Page Down held down does (30 a second): each
    # step from the key to painted, and every time the view showed rows not read yet
    # (blank until their page comes).
    bar = page.table.verticalScrollBar()
    bar.setValue(0)
    page.table.repaint()
    quiet()  # the list is looked at before it is scrolled: the rows below are read

    def in_view() -> list[Any]:
        table = page.table
        top, bottom = table.rowAt(0), table.rowAt(table.viewport().height() - 1)
        bottom = page.model.rowCount() - 1 if bottom < 0 else bottom
        return [page.model.rows.get(r) for r in range(max(top, 0), bottom + 1)]

    def unread() -> bool:
        return any(v is None for v in in_view())

    scrolls: list[float] = []
    stalls: list[float] = []
    for _ in range(max(repeats, 40)):
        t0 = time.perf_counter()
        bar.setValue(bar.value() + bar.pageStep())
        page.table.repaint()
        scrolls.append(time.perf_counter() - t0)
        if unread():
            wait_for(lambda: not unread())
            page.table.repaint()
            stalls.append(time.perf_counter() - t0)
        pause = time.perf_counter()
        while time.perf_counter() - pause < 1 / 30:
            app_events()
    line("  scroll a screen down, 30 a second", Figure(scrolls).ms())
    line(f"  of {len(scrolls)} screens, showed rows not yet read",
         f"{len(stalls)}" + (f" (until read: {Figure(stalls).ms()})" if stalls else ""))
    line("  goal", f"a frame, ≤ {FRAME_MS:.1f} ms")

    # Jumps: to the end (Ctrl+End) and to the middle (the bar dragged), from the
    # key to the rows where it lands read and painted.
    jumps: list[float] = []
    for i in range(max(5, repeats // 3)):
        bar.setValue(0)
        wait_for(lambda: not unread() and settled())
        t0 = time.perf_counter()
        bar.setValue(bar.maximum() if i % 2 == 0 else bar.maximum() // 2)
        page.table.repaint()
        wait_for(lambda: not unread())
        page.table.repaint()
        jumps.append(time.perf_counter() - t0)
    line("  jump to the end or the middle, rows shown", Figure(jumps).ms())
    db.close()


if __name__ == "__main__":
    main()
