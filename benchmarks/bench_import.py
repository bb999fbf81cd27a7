"""Bulk import: a CSV of N sessions (a practice's year: 150 clients, 2 professionals,
a few services, a third of the sessions still to come) imported with every check,
against a floor measured in the same run: plain sqlite3.executemany inserting the
same clients, sessions and audit events into the same empty database.

    .venv/bin/python benchmarks/bench_import.py [--rows 10000] [--repeats 7]
    .venv/bin/python benchmarks/bench_import.py --memory 100000
    .venv/bin/python benchmarks/bench_import.py --smoke

Ours and the floor run alternately, each into its own copy of the same empty
practice; medians with their ranges. Goal: ours <= 5x the floor.
The second form imports 100,000 rows in a fresh process and prints its peak
resident memory, and the process's memory just before the import (goal < 300 MB).
--smoke: 200 rows, 2 repeats, and 2,000 rows for the memory form; nothing timed
is asserted.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import measure  # benchmarks/, beside this file

from app.services import catalog, importing
from app.services import settings as practice_settings
from app.services.clock import FrozenClock
from app.services.practice import Practice, open_practice

ZONE = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 9, 1, 12, tzinfo=UTC)
HOURS = ["08:00", "09:00", "10:00", "11:00", "13:00", "14h", "15:00", "16:00", "17:00", "18:00"]
STAFF = ["Dra. Ana", "Dr. Paulo"]
SERVICES = ["Psicoterapia", "Avaliação", "Terapia de casal"]


def write_csv(path: Path, rows: int) -> list[tuple[str, str, str, datetime, str]]:
    """A file as Brazilian Excel saves it; returns what a floor inserts."""
    rng = random.Random(7)
    people = [(f"Cliente {i} da Silva", f"(11) 98{i:03d}-{i:04d}") for i in range(150)]
    out = []
    day = date(2026, 1, 5)
    lines = ["Nome;Telefone;E-mail;Serviço;Data;Hora;Duração;Profissional;Observações"]
    slot = 0
    while len(out) < rows:
        if day.weekday() < 5:
            for staff in STAFF:
                name, phone = people[rng.randrange(len(people))]
                hour = HOURS[slot % len(HOURS)]
                service = SERVICES[slot % len(SERVICES)]
                start = datetime.combine(day, datetime.strptime(hour.replace("h", ":00"),
                                                                "%H:%M").time(), ZONE)
                lines.append(f"{name};{phone};;{service};{day.strftime('%d/%m/%Y')};{hour};50;"
                             f"{staff};importado")
                out.append((name, phone, staff, start, service))
                if len(out) == rows:
                    break
            slot += 1
            if slot % len(HOURS) == 0:
                day += timedelta(days=1)
        else:
            day += timedelta(days=1)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return out


def empty_practice(folder: Path) -> Practice:
    p = open_practice(folder, clock=FrozenClock(NOW), actor="bench", logging_on=False)
    practice_settings.set_value(p, "timezone", "America/Sao_Paulo")
    practice_settings.set_value(p, "hours", "mon-fri 08:00-19:00")
    for name in SERVICES:
        catalog.add_service(p, name=name, duration_minutes=50)
    catalog.rename_staff(p, 1, STAFF[0])
    catalog.add_staff(p, name=STAFF[1])
    return p


def floor(db_path: Path, rows: list[tuple[str, str, str, datetime, str]]) -> None:
    """The same rows, already clean, straight into the tables."""
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    clients: dict[str, int] = {}
    stamp = "2026-09-01 12:00:00.000000"
    for _name, phone, *_rest in rows:
        clients.setdefault(phone, len(clients) + 1)
    with db:
        db.executemany("INSERT INTO client (id, name, phone, notes, active, created_at) "
                       "VALUES (?, ?, ?, '', 1, ?)",
                       [(cid, phone, phone, stamp) for phone, cid in clients.items()])
        db.executemany(
            "INSERT INTO appointment (client_id, service_id, staff_id, start, duration_minutes,"
            " buffer_before_minutes, buffer_after_minutes, status, source, quoted_price_cents,"
            " notes, internal_notes, created_at, updated_at) VALUES (?, 1, 1, ?, 50, 0, 0,"
            " 'scheduled', 'import', 0, 'importado', '', ?, ?)",
            [(clients[phone], start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"), stamp,
              stamp) for _n, phone, _s, start, _v in rows])
        db.executemany(
            "INSERT INTO audit_event (at, actor, entity, entity_id, action, changes) "
            "VALUES (?, 'import', 'appointment', ?, 'created', ?)",
            [(stamp, i + 1, '{"file": "agenda.csv"}') for i in range(len(rows))])
    db.close()


GOAL = 5.0  # ours at most this many times the floor


def compare(rows: int, repeats: int) -> None:
    base = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        csv_path = base / "agenda.csv"
        data = write_csv(csv_path, rows)
        template = base / "template"
        empty_practice(template).close()
        runs = iter(range(10**9))
        imported = []

        def ours() -> float:
            folder = base / f"ours{next(runs)}"
            shutil.copytree(template, folder)
            p = open_practice(folder, clock=FrozenClock(NOW), actor="bench", logging_on=False)
            try:
                seconds = measure.timed(
                    lambda: imported.append(importing.import_file(p, csv_path).imported))
            finally:
                p.close()
            shutil.rmtree(folder)
            return seconds

        def bare() -> float:
            folder = base / f"floor{next(runs)}"
            shutil.copytree(template, folder)
            seconds = measure.timed(lambda: floor(folder / "practice.sqlite3", data))
            shutil.rmtree(folder)
            return seconds

        ours_fig, floor_fig = measure.alternate(ours, bare, repeats)
        assert imported and all(n == imported[0] > 0 for n in imported), imported
        print(f"import of {rows:,} rows ({imported[0]:,} imported), {repeats} runs each, "
              "alternately:")
        print(f"  ours (importing.import_file, every check): {ours_fig.ms()}")
        print(f"  floor (sqlite3.executemany, same rows):    {floor_fig.ms()}")
        print(f"  ratio: {measure.ratio(ours_fig, floor_fig)}")
        print(f"  goal:  <= {GOAL:.0f}x the floor")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def memory(rows: int) -> None:
    base = Path(tempfile.mkdtemp(prefix="bench-import-mem-"))
    try:
        csv_path = base / "agenda.csv"
        write_csv(csv_path, rows)
        empty_practice(base / "data").close()
        code = ("import resource, sys; sys.path.insert(0, %r)\n"
                "from app.services import importing\n"
                "from app.services.practice import open_practice\n"
                "from app.services.clock import FrozenClock\n"
                "from datetime import datetime, UTC\n"
                "p = open_practice(%r, clock=FrozenClock(datetime(2026, 9, 1, 12, tzinfo=UTC)),"
                " logging_on=False)\n"
                "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
                "%s\n"
                "print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
        root = str(Path(__file__).resolve().parent.parent)
        body = (f"r = importing.import_file(p, {str(csv_path)!r}); "
                "assert r.imported > 0, r.imported")
        out = subprocess.run([sys.executable, "-c", code % (root, str(base / "data"), body)],
                             capture_output=True, text=True, check=True).stdout.split()
        before, peak = int(out[0]) / 1024, int(out[1]) / 1024
        print(f"import {rows} rows: peak resident memory {peak:.0f} MB "
              f"(the same process before importing: {before:.0f} MB)")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = measure.parser(__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--memory", type=int, metavar="ROWS")
    args = parser.parse_args()
    if args.smoke:
        compare(200, 2)
        memory(2_000)
    elif args.memory:
        memory(args.memory)
    else:
        compare(args.rows, args.repeats)


if __name__ == "__main__":
    main()
