"""Conecta on a busy practice: 20,000 attendances (years of them, most finished),
200,000 messages, 40,000 tags.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_conecta.py [--repeats 30]

Measures, in one run, ours and each floor alternately, medians (min–max) of:
- the board's data (each status's 500 most recent cards, their tags and previews),
  against a floor: the same rows read with plain `sqlite3`;
- a search by name, against the same LIKE query in plain `sqlite3`;
- the board in the window, from the refresh to the three columns drawn, against a
  floor: three bare QListWidgets filled with the same rows read by plain `sqlite3`;
- opening a card with 300 messages until its thread is drawn, against a floor:
  the 300 rows read by plain `sqlite3` and put in a bare QTextBrowser;
- a client's WhatsApp message taken in (found its card, written, counted unread),
  against a floor: one INSERT and one UPDATE committed with plain `sqlite3`.
"""

from __future__ import annotations

import html
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import measure  # noqa: E402

ZONE = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 11, 18, 10, tzinfo=ZONE)
FIRST = ["Ana", "Bruno", "Carla", "Diego", "Elisa", "Fábio", "Gabriela", "Hugo", "Íris",
         "João", "Karen", "Luís", "Marta", "Nuno", "Olga", "Pedro", "Rita", "Sérgio"]
LAST = ["Silva", "Souza", "Costa", "Lima", "Alves", "Rocha", "Dias", "Melo", "Pinto"]
MEDIA = ["whatsapp", "whatsapp", "whatsapp", "sms", "email", "voip"]
TAGS = ["retorno", "pagamento", "primeira consulta", "convênio", "remarcar", "urgente"]
STAMP = "%Y-%m-%d %H:%M:%S.%f"
HEAVY = 1  # the attendance with 300 messages


def build(folder: Path, count: int, per: int) -> Path:
    """Written with plain SQL for speed; the schema is the app's own."""
    from app.services import settings
    from app.services.clock import FrozenClock
    from app.services.practice import open_practice

    p = open_practice(folder, clock=FrozenClock(NOW), actor="bench", logging_on=False)
    settings.set_value(p, "timezone", "America/Sao_Paulo")
    path = p.paths.database
    p.close()
    rng = random.Random(7)
    db = sqlite3.connect(path)
    start = NOW.astimezone(UTC) - timedelta(days=3 * 365)
    span = (NOW.astimezone(UTC) - start).total_seconds()
    attendances, tags, entries = [], [], []
    for i in range(1, count + 1):
        medium = rng.choice(MEDIA)
        at = start + timedelta(seconds=span * i / count)
        age = (NOW.astimezone(UTC) - at).days
        status = "finished" if age > 10 else rng.choice(["in_progress", "pending", "finished"])
        phone = f"+55119{70000000 + i}" if medium != "email" else None
        email = f"cliente{i}@example.com" if medium == "email" else None
        attendances.append((i, medium, f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}", phone,
                            email, status, "support", "", "", rng.randint(0, 2) if status !=
                            "finished" else 0, "", "bench", at.strftime(STAMP),
                            at.strftime(STAMP)))
        for tag in rng.sample(TAGS, 2):
            tags.append((i, tag))
        for k in range(300 if i == HEAVY else per):
            inbound = k % 2 == 0
            entries.append((i, "in" if inbound else "out",
                            "text", f"Mensagem {k} sobre a sessão de quinta às 10h, tudo bem?",
                            "Cliente" if inbound else "Recepção",
                            (at + timedelta(minutes=k)).strftime(STAMP),
                            "received" if inbound else "read", f"wamid.{i}.{k}"))
    from app.models.search_text import search_key

    db.executemany("INSERT INTO attendance (id, medium, name, phone, email, status, type, "
                   "originator, client_id, unread, subject, created_by, created_at, "
                   "last_activity_at, notes, search_key) VALUES "
                   "(?,?,?,?,?,?,?,?,NULLIF(?, ''),?,?,?,?,?,'',?)",
                   [(*a, search_key(a[2], a[4])) for a in attendances])
    db.executemany("INSERT INTO attendance_tag (attendance_id, tag) VALUES (?, ?)", tags)
    db.executemany("INSERT INTO conversation_entry (attendance_id, direction, kind, body, "
                   "author, at, state, provider_id) VALUES (?,?,?,?,?,?,?,?)", entries)
    db.commit()
    db.close()
    return path


# ---------------------------------------------------------------- floors

BOARD_SQL = ("SELECT id, medium, name, phone, email, status, type, originator, unread, "
             "last_activity_at, client_id, notes FROM attendance WHERE status = ? "
             "ORDER BY last_activity_at DESC, id DESC LIMIT 500")


def floor_board(db: sqlite3.Connection) -> list[tuple]:  # type: ignore[type-arg]
    rows = []
    for status in ("in_progress", "pending", "finished"):
        rows += db.execute(BOARD_SQL, (status,)).fetchall()
    ids = ",".join(str(r[0]) for r in rows)
    db.execute(f"SELECT attendance_id, tag FROM attendance_tag WHERE attendance_id IN ({ids}) "
               "ORDER BY tag").fetchall()
    db.execute("SELECT e.attendance_id, e.body FROM conversation_entry e JOIN "
               "(SELECT attendance_id, max(id) AS last FROM conversation_entry WHERE "
               f"attendance_id IN ({ids}) AND kind != 'note' GROUP BY attendance_id) m "
               "ON e.id = m.last").fetchall()
    return rows


def floor_search(db: sqlite3.Connection, text: str) -> list[tuple]:  # type: ignore[type-arg]
    from app.models.search_text import like_pattern, words

    found = words(text)
    where = " AND ".join(["search_key LIKE ? ESCAPE '\\'"] * len(found))
    return db.execute("SELECT id, name, phone, email, status FROM attendance WHERE "
                      f"{where} ORDER BY last_activity_at DESC LIMIT 1500",
                      tuple(like_pattern(w) for w in found)).fetchall()


def main() -> None:
    parser = measure.parser(__doc__)
    parser.add_argument("--attendances", type=int, default=20_000)
    parser.add_argument("--messages-each", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--inbound", type=int, default=500)
    args = parser.parse_args()
    if args.smoke:
        args.attendances, args.messages_each, args.repeats, args.inbound = 300, 3, 2, 5
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        db_path = build(Path(tmp) / "p", args.attendances, args.messages_each)
        print(f"built {args.attendances} attendances, "
              f"{args.attendances * args.messages_each} messages in "
              f"{time.perf_counter() - t:.1f} s")

        from PySide6.QtCore import QCoreApplication, QSettings
        from PySide6.QtWidgets import QApplication, QListWidget, QTextBrowser

        from app.services import attendances, settings
        from app.services.attendances import Filter
        from app.services.clock import FrozenClock
        from app.services.inbound import Touched, take_in
        from app.services.practice import open_practice
        from app.ui.main_window import MainWindow

        qapp = QApplication(sys.argv[:1])
        QCoreApplication.setOrganizationName("PracticeDeskBench")
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        p = open_practice(Path(tmp) / "p", clock=FrozenClock(NOW), logging_on=False)
        raw = sqlite3.connect(db_path)
        n = args.repeats
        results: list[tuple[str, measure.Figure, measure.Figure]] = []

        def pair(ours: Callable[[], object], floor: Callable[[], object],
                 repeats: int) -> tuple[measure.Figure, measure.Figure]:
            return measure.alternate(lambda: measure.timed(ours),
                                     lambda: measure.timed(floor), repeats)

        board = attendances.cards(p)
        results.append(("the board's data (cards, tags, previews)",
                        *pair(lambda: attendances.cards(p), lambda: floor_board(raw), n)))
        found = attendances.cards(p, Filter(text="souza"))
        results.append(("a search by name (\"souza\")",
                        *pair(lambda: attendances.cards(p, Filter(text="souza")),
                              lambda: floor_search(raw, "souza"), n)))

        w = MainWindow(p, settings.get(p).zone)
        w.resize(1280, 800)
        w.show()
        w.show_page("conecta")
        page = w.conecta
        done = {"board": 0, "card": 0}
        original_loaded = page._loaded

        def board_loaded(result: object) -> None:
            original_loaded(result)  # type: ignore[arg-type]
            done["board"] += 1

        page._loaded = board_loaded  # type: ignore[method-assign]
        view = page.view
        original_card = view._loaded

        def card_loaded(result: object, token: int) -> None:
            original_card(result, token)  # type: ignore[arg-type]
            done["card"] += 1

        view._loaded = card_loaded  # type: ignore[method-assign]

        def wait_for(key: str, before: int) -> None:
            deadline = time.monotonic() + 60
            while done[key] == before:
                if time.monotonic() > deadline:  # a hook that no longer fires
                    raise SystemExit(f"the {key} never finished loading")
                qapp.processEvents()
                w.tasks.wait(1)
            qapp.processEvents()

        def refresh() -> None:
            before = done["board"]
            page.refresh()
            wait_for("board", before)
            page.repaint()

        refresh()
        lists = [QListWidget() for _ in range(3)]

        def floor_refresh() -> None:
            by_status: dict[str, list[str]] = {}
            for r in floor_board(raw):
                by_status.setdefault(r[5], []).append(f"{r[2]}\n{r[3] or r[4]}")
            for widget, status in zip(lists, ("in_progress", "pending", "finished"),
                                      strict=True):
                widget.clear()
                widget.addItems(by_status.get(status, []))
                widget.repaint()

        results.append((f"the board in the window ({len(board)} cards, refresh to drawn)",
                        *pair(refresh, floor_refresh, max(2, n // 3))))

        def open_card() -> None:
            before = done["card"]
            view.load(HEAVY)
            wait_for("card", before)
            view.repaint()

        browser = QTextBrowser()

        def floor_open() -> None:
            rows = raw.execute("SELECT direction, body, author, at, state FROM "
                               "conversation_entry WHERE attendance_id = ? ORDER BY at, id",
                               (HEAVY,)).fetchall()
            browser.setHtml("".join(f"<p>{html.escape(r[1])}<br>{r[2]} {r[3]}</p>"
                                    for r in rows))
            browser.repaint()

        open_card()
        results.append(("open a card with 300 messages, until the thread is drawn",
                        *pair(open_card, floor_open, n)))
        w.close()

        rng = random.Random(11)
        targets = [i for i, in raw.execute(
            "SELECT id FROM attendance WHERE medium = 'whatsapp' AND status != 'finished'")]

        def one_message(k: int) -> Callable[[], object]:
            target = rng.choice(targets)
            data = {"message": {"from": f"55119{70000000 + target}", "id": f"wamid.in.{k}",
                                "timestamp": str(int(NOW.timestamp())), "type": "text",
                                "text": {"body": "Oi, posso remarcar?"}},
                    "contacts": [{"profile": {"name": "Cliente"}}],
                    "metadata": {"display_phone_number": "551130001000"}}

            def run() -> object:
                with p.db.write() as s:
                    return take_in(s, p, "whatsapp_message", data, Touched())
            return run

        def floor_message(k: int) -> Callable[[], object]:
            target = rng.choice(targets)

            def run() -> object:
                with raw:
                    raw.execute("INSERT INTO conversation_entry (attendance_id, direction, "
                                "kind, body, author, at, state, provider_id) VALUES "
                                "(?, 'in', 'text', 'Oi', 'Cliente', ?, 'received', ?)",
                                (target, NOW.strftime(STAMP), f"wamid.floor.{k}"))
                    raw.execute("UPDATE attendance SET unread = unread + 1, "
                                "last_activity_at = ? WHERE id = ?",
                                (NOW.strftime(STAMP), target))
                return None
            return run

        ours = [one_message(k) for k in range(args.inbound)]
        floors = [floor_message(k) for k in range(args.inbound)]
        taken: list[float] = []
        floor_taken: list[float] = []
        for mine, floor in zip(ours, floors, strict=True):
            t = time.perf_counter()
            outcome = mine()
            taken.append(time.perf_counter() - t)
            assert outcome == "message", outcome
            t = time.perf_counter()
            floor()
            floor_taken.append(time.perf_counter() - t)
        results.append(("a client's WhatsApp message taken in",
                        measure.Figure(taken), measure.Figure(floor_taken)))
        p.close()


    print(f"\nfound {len(found)} cards for the search; board {len(board)} cards\n")
    print("| measure | Practice Desk | floor | ratio |")
    print("|---|---:|---:|---:|")
    for name, ours, floor in results:
        print(f"| {name} | {ours.ms()} | {floor.ms()} | {measure.ratio(ours, floor)} |")


if __name__ == "__main__":
    main()
