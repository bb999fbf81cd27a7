"""Bulk import (seed 002) against a real SQLite file: files from the real world,
every row judged (against the agenda and the other rows), one transaction."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, time
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from app.models.enums import AppointmentSource, AppointmentStatus
from app.models.outbox import OutboxMessage
from app.models.tables import Appointment, AuditEvent, Client, Service, Staff
from app.services import catalog, config, importing, scheduling
from app.services.importing.read import FileUnusable
from app.services.practice import Practice
from tests.conftest import add_client, add_service, local

HEADER_PT = "Nome;Telefone;E-mail;Serviço;Data;Hora;Duração;Profissional;Observações\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def counts(p: Practice) -> tuple[int, int, int]:
    with p.db.read() as s:
        return (len(s.exec(select(Appointment.id)).all()), len(s.exec(select(Client.id)).all()),
                len(s.exec(select(AuditEvent.id)).all()))


def test_brazilian_excel_csv_in_windows_1252_with_semicolons(practice: Practice,
                                                              tmp_path: Path) -> None:
    add_service(practice)
    f = write(tmp_path / "agenda.csv", HEADER_PT
              + "Conceição Araújo ;(11) 98765-4321;;Psicoterapia;23/11/2026;14h;50;;"
                "Primeira sessão\r\n"
              + "\r\n"
              + "João Alves;11 91234-5678;joao@example.com;psicoterapia;24/11/2026;9:00;;;\r\n",
              "cp1252")
    report = importing.import_file(practice, f)
    assert (report.imported, report.skipped) == (2, 0)
    # Blank lines keep their place: rows are numbered as the spreadsheet shows them.
    assert [(r.row, r.status.value) for r in report.rows] == [(2, "imported"), (4, "imported")]
    with practice.db.read() as s:
        a = s.get(Appointment, report.rows[0].appointment_id)
        assert a is not None
        client = s.get(Client, a.client_id)
        assert client is not None and client.name == "Conceição Araújo"
        assert client.phone == "+5511987654321"
        assert a.start == local("2026-11-23T14:00")
        assert a.source is AppointmentSource.IMPORT and a.notes == "Primeira sessão"
        assert a.duration_minutes == 50 and a.quoted_price_cents == 20000
        b = s.get(Appointment, report.rows[1].appointment_id)
        assert b is not None and b.start == local("2026-11-24T09:00")


def test_utf8_with_bom_and_commas_and_english_headers(practice: Practice, tmp_path: Path) -> None:
    add_service(practice, name="Therapy")
    f = write(tmp_path / "sessions.csv",
              "\ufeffName,Phone,Email,Service,Date,Time,Duration,Staff,Notes\n"
              '"Silva, Maria",+55 11 98765-4321,maria@example.com,Therapy,2026-11-23,'
              "14:00,50,,\"says \"\"hi\"\"\"\n")
    report = importing.import_file(practice, f)
    assert report.imported == 1
    with practice.db.read() as s:
        a = s.exec(select(Appointment)).one()
        client = s.get(Client, a.client_id)
        assert client is not None and client.name == "Silva, Maria"
        assert a.notes == 'says "hi"'


def test_xlsx_with_real_date_cells_excel_serials_and_time_cells(practice: Practice,
                                                                tmp_path: Path) -> None:
    add_service(practice)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Nome", "Telefone", "Data", "Hora", "Serviço"])
    sheet.append(["Maria Silva", "11987654321", datetime(2026, 11, 23), time(14, 0),
                  "Psicoterapia"])
    sheet.append(["João Alves", 5511912345678, 46349, 0.375, "Psicoterapia"])
    sheet.append([None, None, None, None, None])
    sheet.append(["Ana Lima", "11 93333-4444", "25/11/2026", "16h", "Psicoterapia"])
    path = tmp_path / "agenda.xlsx"
    book.save(path)
    report = importing.import_file(practice, path)
    assert [(r.row, r.status.value) for r in report.rows] == [
        (2, "imported"), (3, "imported"), (5, "imported")]
    with practice.db.read() as s:
        starts = sorted(a.start for a in s.exec(select(Appointment)))
    assert starts == [local("2026-11-23T09:00"), local("2026-11-23T14:00"),
                      local("2026-11-25T16:00")]


def test_one_date_time_column(practice: Practice, tmp_path: Path) -> None:
    add_service(practice)
    # A column the import does not know, after the ones it reads, is left alone.
    f = write(tmp_path / "a.csv", "Cliente;Celular;Data e hora;Convênio\n"
                                  "Maria Silva;11 98765-4321;23/11/2026 14:00;Unimed\n")
    assert importing.import_file(practice, f).imported == 1


def test_each_invalid_row_says_why_naming_the_files_column(practice: Practice,
                                                           tmp_path: Path) -> None:
    add_service(practice)
    before = counts(practice)
    f = write(tmp_path / "a.csv", HEADER_PT
              + ";11 98765-4321;;Psicoterapia;23/11/2026;14:00;;;\n"
              + "Ana;123;;Psicoterapia;23/11/2026;14:00;;;\n"
              + "Ana;11 93333-4444;ana@;Psicoterapia;23/11/2026;14:00;;;\n"
              + "Ana;11 93333-4444;;Psicoterapia;31/02/2026;14:00;;;\n"
              + "Ana;11 93333-4444;;Psicoterapia;23/11/2026;25:00;;;\n"
              + "Ana;11 93333-4444;;Psicoterapia;23/11/2026;14:00;0;;\n"
              + "Ana;11 93333-4444;;Hipnose;23/11/2026;14:00;;;\n")
    report = importing.import_file(practice, f, dry=True)
    reasons = {r.row: r.reason for r in report.rows}
    assert all(r.status.value == "invalid" for r in report.rows)
    assert reasons[2].startswith("Nome: required")
    assert reasons[3].startswith("Telefone: '123' is not a valid phone number")
    assert reasons[4].startswith("E-mail: 'ana@' is not a valid e-mail")
    assert reasons[5].startswith("Data: '31/02/2026' is not a real date")
    assert reasons[6].startswith("Hora: '25:00' is not a time of day")
    assert reasons[7].startswith("Duração: '0' is not between 1 and 1440")
    assert reasons[8].startswith("Duration: required for Hipnose")
    assert counts(practice) == before


def test_a_row_with_several_mistakes_names_each_of_them(practice: Practice,
                                                        tmp_path: Path) -> None:
    """One import says every mistake of a row, not one per attempt."""
    add_service(practice)
    f = write(tmp_path / "a.csv", HEADER_PT
              + "Ana;123;ana@;Psicoterapia;31/02/2026;25:00;0;;\n")
    [row] = importing.import_file(practice, f, dry=True).rows
    assert row.status.value == "invalid"
    parts = row.reason.split("; ")
    assert [p.split(":")[0] for p in parts] == ["Telefone", "E-mail", "Data", "Hora", "Duração"]
    assert row.reason.endswith(".") and ".;" not in row.reason


def test_conflicts_with_the_agenda_name_the_session_and_are_skipped_unless_overridden(
        practice: Practice, tmp_path: Path) -> None:
    service = add_service(practice)
    maria = add_client(practice)
    existing = scheduling.book(practice, scheduling.BookingRequest(
        client_id=maria, start=local("2026-11-23T14:00"), service_id=service))
    f = write(tmp_path / "a.csv", HEADER_PT
              + "João Alves;11 91234-5678;;Psicoterapia;23/11/2026;14:30;;;\n"
              + "Ana Lima;11 93333-4444;;Psicoterapia;23/11/2026;16:00;;;\n")
    dry = importing.import_file(practice, f, dry=True)
    assert [(r.row, r.status.value, r.appointment_id) for r in dry.rows] == [
        (2, "conflict", existing), (3, "ok", None)]
    assert f"session #{existing}" in dry.rows[0].reason and "Maria Silva" in dry.rows[0].reason
    report = importing.import_file(practice, f)
    assert [(r.row, r.status.value, r.cause) for r in report.rows] == [
        (2, "skipped", "conflict"), (3, "imported", None)]
    again = importing.import_file(practice, f, overrides={2})
    assert [(r.row, r.status.value) for r in again.rows] == [(2, "imported"), (3, "skipped")]
    ana_id = report.rows[1].appointment_id
    assert again.rows[1].reason == f"Already in the agenda as session #{ana_id}."
    with practice.db.read() as s:
        event = s.exec(select(AuditEvent).where(
            AuditEvent.entity_id == again.rows[0].appointment_id,
            AuditEvent.entity == "appointment")).one()
    changes = json.loads(event.changes)
    assert event.actor == "import" and changes["file"] == "a.csv" and changes["row"] == 2
    assert changes["by"] == "Dra. Ana" and changes["source"] == "import"
    assert f"session #{existing}" in changes["override"][0]


def test_rows_of_the_same_file_collide_with_each_other(practice: Practice, tmp_path: Path) -> None:
    add_service(practice)
    f = write(tmp_path / "a.csv", HEADER_PT
              + "Maria Silva;11 98765-4321;;Psicoterapia;23/11/2026;14:00;;;\n"
              + "João Alves;11 91234-5678;;Psicoterapia;23/11/2026;14:30;;;\n"
              + "Maria Silva;11 98765-4321;;Psicoterapia;23/11/2026;14:00;;;\n"
              + "Ana Lima;11 93333-4444;;Psicoterapia;23/11/2026;14:30;;Dr. Paulo;\n")
    report = importing.import_file(practice, f, dry=True)
    assert [(r.row, r.status.value) for r in report.rows] == [
        (2, "ok"), (3, "conflict"), (4, "conflict"), (5, "ok")]
    assert "row 2" in report.rows[1].reason
    assert report.rows[2].reason == "The same session as row 2."
    assert report.staff_created == ["Dr. Paulo"]  # another professional: no collision


def test_a_conflicting_row_that_is_skipped_does_not_block_the_rows_after_it(
        practice: Practice, tmp_path: Path) -> None:
    service = add_service(practice)
    scheduling.book(practice, scheduling.BookingRequest(
        client_id=add_client(practice), start=local("2026-11-23T14:00"), service_id=service))
    f = write(tmp_path / "a.csv", HEADER_PT
              + "João Alves;11 91234-5678;;Psicoterapia;23/11/2026;13:30;;;\n"
              + "Ana Lima;11 93333-4444;;Psicoterapia;23/11/2026;13:00;;;\n")
    # Row 2 collides with the agenda and is skipped, so row 3 (13:00–13:50) is free.
    report = importing.import_file(practice, f, dry=True)
    assert [r.status.value for r in report.rows] == ["conflict", "ok"]
    report = importing.import_file(practice, f, dry=True, overrides={2})
    assert [r.status.value for r in report.rows] == ["ok", "conflict"]
    assert "row 2" in report.rows[1].reason


def test_clients_are_matched_by_phone_then_email_and_created_once(practice: Practice,
                                                                 tmp_path: Path) -> None:
    add_service(practice)
    maria = add_client(practice)  # +55 11 98765-4321, maria@example.com
    f = write(tmp_path / "a.csv", HEADER_PT
              + "Maria S.;(11) 98765-4321;;Psicoterapia;23/11/2026;10:00;;;\n"
              + "Maria;21 99999-0000;MARIA@example.com;Psicoterapia;24/11/2026;10:00;;;\n"
              + "Ana Lima;11 93333-4444;;Psicoterapia;25/11/2026;10:00;;;\n"
              + "Ana Lima;+55 11 93333-4444;ana@example.com;Psicoterapia;26/11/2026;10:00;;;\n")
    report = importing.import_file(practice, f)
    assert report.imported == 4 and len(report.clients_created) == 1
    with practice.db.read() as s:
        owners = [s.get(Appointment, r.appointment_id).client_id  # type: ignore[union-attr]
                  for r in report.rows]
        ana = s.get(Client, report.clients_created[0])
        maria_row = s.get(Client, maria)
    assert owners == [maria, maria, ana.id, ana.id]  # type: ignore[union-attr]
    assert ana is not None and ana.email == "ana@example.com"
    assert maria_row is not None and maria_row.name == "Maria Silva"  # not renamed


def test_unknown_services_and_professionals_are_created_and_audited(practice: Practice,
                                                                   tmp_path: Path) -> None:
    add_service(practice)
    catalog.rename_staff(practice, staff_of(practice)[0][0], "Dra. Ana")  # a real one
    f = write(tmp_path / "a.csv", HEADER_PT
              + "Maria Silva;11 98765-4321;;Avaliação;23/11/2026;10:00;90;Dr. Paulo;\n"
              + "João Alves;11 91234-5678;;avaliacao;24/11/2026;10:00;;dr. paulo;\n")
    report = importing.import_file(practice, f)
    assert report.imported == 2
    assert report.services_created == ["Avaliação"] and report.staff_created == ["Dr. Paulo"]
    with practice.db.read() as s:
        service = s.exec(select(Service).where(Service.name == "Avaliação")).one()
        staff = s.exec(select(Staff).where(Staff.name == "Dr. Paulo")).one()
        sessions = s.exec(select(Appointment)).all()
        created = s.exec(select(AuditEvent.action).where(AuditEvent.actor == "import")).all()
    assert service.duration_minutes == 90
    assert {(a.service_id, a.staff_id, a.duration_minutes) for a in sessions} == {
        (service.id, staff.id, 90)}
    assert sorted(created) == ["client_created", "client_created", "created", "created",
                               "service_created", "staff_created"]


def staff_of(p: Practice) -> list[tuple[int, str]]:
    with p.db.read() as s:
        return [(st.id or 0, st.name) for st in s.exec(select(Staff).order_by(col(Staff.id)))]


def test_a_new_practices_stand_in_professional_becomes_the_files_first(
        practice: Practice, tmp_path: Path) -> None:
    # A new database names its one professional "Professional" until someone says
    # who; a file naming its professionals gives that row the first name instead
    # of leaving an unused "Professional" beside them in every list.
    [(stand_in, _name)] = staff_of(practice)
    f = write(tmp_path / "a.csv", HEADER_PT
              + "Maria Silva;11 98765-4321;;Psicoterapia;23/11/2026;10:00;50;Dra. Helena Prado;\n"
              + "João Alves;11 91234-5678;;Psicoterapia;23/11/2026;10:00;50;Dr. Paulo;\n")
    report = importing.import_file(practice, f)
    assert report.imported == 2 and report.staff_created == ["Dra. Helena Prado", "Dr. Paulo"]
    staff = staff_of(practice)
    assert [name for _id, name in staff] == ["Dra. Helena Prado", "Dr. Paulo"]
    assert staff[0][0] == stand_in
    with practice.db.read() as s:
        renamed = s.exec(select(AuditEvent).where(AuditEvent.entity == "staff",
                                                  AuditEvent.entity_id == stand_in)).one()
    assert (renamed.actor, renamed.action) == ("import", "staff_updated")
    assert json.loads(renamed.changes)["name"] == ["Professional", "Dra. Helena Prado"]


@pytest.mark.parametrize("case", ["a row without a professional", "sessions of its own",
                                  "a name of its own"])
def test_a_stand_in_in_use_or_named_stays_as_it_is(
        practice: Practice, tmp_path: Path, case: str) -> None:
    [(stand_in, name)] = staff_of(practice)
    rows = "Maria Silva;11 98765-4321;;Psicoterapia;23/11/2026;10:00;50;Dr. Paulo;\n"
    if case == "a row without a professional":  # that row is the stand-in's session
        rows += "João Alves;11 91234-5678;;Psicoterapia;24/11/2026;10:00;50;;\n"
    elif case == "sessions of its own":
        scheduling.book(practice, scheduling.BookingRequest(
            client_id=add_client(practice, "Ana Lima", "+55 11 93333-4444"),
            start=local("2026-11-25T10:00"), service_id=add_service(practice)))
    else:
        name = catalog.rename_staff(practice, stand_in, "Dra. Ana").name
    report = importing.import_file(practice, write(tmp_path / "a.csv", HEADER_PT + rows))
    assert report.staff_created == ["Dr. Paulo"]
    assert staff_of(practice)[0] == (stand_in, name) and len(staff_of(practice)) == 2


def test_a_history_imports_with_its_statuses_and_only_sessions_to_come_get_reminders(
        practice: Practice, tmp_path: Path) -> None:
    add_service(practice)
    config.set_values(practice, {"reminders.default": "whatsapp:1440"})
    f = write(tmp_path / "a.csv", "Nome;Telefone;Data;Hora;Situação\n"
              "Maria Silva;11 98765-4321;02/03/2026;10:00;Realizado\n"
              "Maria Silva;11 98765-4321;09/03/2026;10:00;Faltou\n"
              "Maria Silva;11 98765-4321;16/03/2026;10:00;Cancelado\n"
              "Maria Silva;11 98765-4321;23/11/2026;10:00;Confirmado\n"
              "Maria Silva;11 98765-4321;30/11/2026;10:00;\n")
    report = importing.import_file(practice, f)
    assert report.imported == 5
    with practice.db.read() as s:
        statuses = [a.status for a in s.exec(select(Appointment).order_by(col(Appointment.start)))]
        reminded = sorted(m.appointment_id for m in s.exec(select(OutboxMessage)))
    assert statuses == [AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW,
                        AppointmentStatus.CANCELLED, AppointmentStatus.CONFIRMED,
                        AppointmentStatus.SCHEDULED]
    assert reminded == [report.rows[3].appointment_id, report.rows[4].appointment_id]


def test_importing_the_same_file_twice_adds_nothing(practice: Practice, tmp_path: Path) -> None:
    add_service(practice)
    f = write(tmp_path / "a.csv", HEADER_PT
              + "Maria Silva;11 98765-4321;;Psicoterapia;02/03/2026;10:00;;;\n"
              + "Maria Silva;11 98765-4321;;Psicoterapia;23/11/2026;10:00;;;\n")
    assert importing.import_file(practice, f).imported == 2
    before = counts(practice)
    again = importing.import_file(practice, f, overrides=True)
    assert again.imported == 0 and all("Already in the agenda" in r.reason for r in again.rows)
    assert counts(practice) == before


def test_a_failure_half_way_leaves_nothing_behind(practice: Practice, tmp_path: Path) -> None:
    add_service(practice)
    lines = [f"Client {i};11 9{i:04d}-{i:04d};;Psicoterapia;{1 + i % 28:02d}/03/2026;"
             f"{8 + (i // 28) % 10}:00;;;{'boom' if i == 150 else ''}\n" for i in range(1, 200)]
    f = write(tmp_path / "a.csv", HEADER_PT + "".join(lines))
    before = counts(practice)
    # A real failure inside the database, at the 150th session: with 50 sessions a
    # batch, two batches (and their events, clients and reminders) are already
    # written inside the transaction when the third fails. The reminders and clients
    # counted before are what must be left.
    if practice.db.on_server:
        with practice.db.engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'disk trouble' USING ERRCODE = '23000'; END $$")
            conn.exec_driver_sql("CREATE TRIGGER fail BEFORE INSERT ON appointment FOR EACH "
                                 "ROW WHEN (NEW.notes = 'boom') EXECUTE FUNCTION boom()")
    else:
        with sqlite3.connect(practice.paths.database) as db:
            db.execute("CREATE TRIGGER fail BEFORE INSERT ON appointment "
                       "WHEN NEW.notes = 'boom' BEGIN SELECT RAISE(ABORT, 'disk trouble'); END")
    with pytest.raises(IntegrityError, match="disk trouble"):
        importing.import_file(practice, f, batch=50)
    assert counts(practice) == before
    if practice.db.on_server:
        with practice.db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER fail ON appointment")
    else:
        with sqlite3.connect(practice.paths.database) as db:
            db.execute("DROP TRIGGER fail")
    # The same file with the failing cell gone imports whole, once.
    f = write(tmp_path / "a.csv", HEADER_PT + "".join(lines).replace(";boom", ";"))
    report = importing.import_file(practice, f, batch=50)
    assert report.imported == 199
    assert counts(practice) == (before[0] + 199, before[1] + 199, before[2] + 2 * 199)


@pytest.mark.parametrize("batch", [1, 3, 7, 8, 2000])
def test_every_row_is_written_once_whatever_the_batch(
        practice: Practice, tmp_path: Path, batch: int) -> None:
    """Sessions, their audit events, the clients created and their reminders, counted
    row by row at batch sizes below, at and above the file's size."""
    add_service(practice)
    config.set_value(practice, "reminders.default", "whatsapp:1440,email:60")
    lines = [f"Cliente {i};11 9{i:04d}-{i:04d};c{i}@example.com;Psicoterapia;"
             f"{7 + i % 5:02d}/12/2026;{8 + i}:00;;;\n" for i in range(8)]
    f = write(tmp_path / "a.csv", HEADER_PT + "".join(lines))
    earlier = counts(practice)[2]
    report = importing.import_file(practice, f, batch=batch)
    assert report.imported == 8 and len(report.clients_created) == 8
    with practice.db.read() as s:
        sessions = s.exec(select(Appointment.id)).all()
        events = [(e.entity, e.entity_id, e.action) for e in s.exec(
            select(AuditEvent).where(col(AuditEvent.id) > earlier))]
        outbox = [(m.appointment_id, m.channel) for m in s.exec(select(OutboxMessage))]
    assert sorted(sessions) == report_ids(report)
    assert sorted(e for e in events if e[0] == "appointment") == [
        ("appointment", a, "created") for a in report_ids(report)]
    assert sorted(e[1] for e in events if e[2] == "client_created") == sorted(
        report.clients_created)
    assert len(events) == 16
    assert sorted(outbox) == sorted((a, c) for a in report_ids(report)
                                    for c in ("email", "whatsapp"))


def test_the_handed_case_2100_rows_write_4200_events(practice: Practice,
                                                      tmp_path: Path) -> None:
    """Past the default batch of 2,000: one event per session and per client created."""
    add_service(practice)
    lines = [f"Cliente {i};11 9{i:04d}-{i:04d};;Psicoterapia;"
             f"{1 + i % 28:02d}/03/2026;{8 + (i // 28) % 10}:{(i // 280) * 5:02d};5;;\n"
             for i in range(2100)]
    f = write(tmp_path / "a.csv", HEADER_PT + "".join(lines))
    before = counts(practice)
    report = importing.import_file(practice, f)
    assert report.imported == 2100, [r for r in report.rows if r.status != "imported"][:3]
    assert counts(practice) == (before[0] + 2100, before[1] + 2100, before[2] + 4200)


def test_a_reminder_listed_twice_is_refused_and_one_stored_earlier_is_planned_once(
        practice: Practice, tmp_path: Path) -> None:
    """Reminders planned in bulk for an import follow the same rule as one booking."""
    from app.models.outbox import ConfigEntry
    from app.services.errors import InvalidInput

    with pytest.raises(InvalidInput, match="The reminder email:60 is listed twice: keep one"):
        config.set_value(practice, "reminders.default", "email:60,whatsapp:1440,email:60")
    assert config.get(practice, "reminders.default") != "email:60,whatsapp:1440,email:60"
    with practice.db.write() as s:  # as a version that let it through stored it
        s.add(ConfigEntry(key="reminders.default", value="email:60,email:60"))
    add_service(practice)
    f = write(tmp_path / "a.csv", HEADER_PT + "João Souza;11 91234-5678;j@example.com;"
              "Psicoterapia;07/12/2026;10:00;;;\n")
    [row] = importing.import_file(practice, f).rows
    with practice.db.read() as s:
        planned = s.exec(select(OutboxMessage).where(
            OutboxMessage.appointment_id == row.appointment_id)).all()
    assert [(m.channel, m.minutes_before) for m in planned] == [("email", 60)]


def test_importing_again_after_a_session_was_moved_adds_nothing(
        practice: Practice, tmp_path: Path) -> None:
    add_service(practice)
    f = write(tmp_path / "a.csv", HEADER_PT + "João Souza;11 91234-5678;;Psicoterapia;"
              "25/11/2026;10:00;;;\n")
    [first] = importing.import_file(practice, f).rows
    assert first.appointment_id is not None
    scheduling.reschedule(practice, first.appointment_id, local("2026-11-26T15:00"))
    before = counts(practice)
    again = importing.import_file(practice, f)
    assert (again.imported, again.skipped) == (0, 1)
    assert again.rows[0].reason == f"Already in the agenda as session #{first.appointment_id}."
    assert counts(practice) == before
    # The agenda exported and imported back: the moved session's old row says why
    # it is skipped, the new one is already there.
    from app.services import exports

    exported = tmp_path / "agenda.csv"
    from datetime import date

    exports.write(practice, exports.Format.CSV, exported,
                  exports.sessions(practice, date(2026, 11, 1), date(2026, 11, 30)))
    report = importing.import_file(practice, exported)
    assert report.imported == 0 and counts(practice) == before
    assert "Status: A rescheduled session is not imported: the row with its new time is." in [
        r.reason for r in report.rows]


def report_ids(report: importing.Report) -> list[int]:
    return sorted(r.appointment_id for r in report.rows if r.appointment_id)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "is empty"),
    (b"\n\n  \n", "is empty"),
    (b"Nome;Telefone;Data;Hora\n", "no rows below"),
    (b"PK\x03\x04garbage that is not a zip", "not a .xlsx workbook or is damaged"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old Excel file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", r"not a text \(CSV\) file"),
    (b"foo;bar\n1;2\n", "has no column for: Name, Phone, Date, Time"),
    (b'Nome;Telefone\n"unterminated;' + b"x" * 70_000 + b"\n", "cannot be read as CSV"),
])
def test_an_unusable_file_is_refused_with_a_sentence_and_changes_nothing(
        practice: Practice, tmp_path: Path, content: bytes, message: str) -> None:
    f = tmp_path / "broken.csv"
    f.write_bytes(content)
    before = counts(practice)
    with pytest.raises(FileUnusable, match=message):
        importing.import_file(practice, f)
    assert counts(practice) == before


def test_a_truncated_workbook_is_refused(practice: Practice, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Nome", "Telefone", "Data", "Hora"])
    for i in range(2000):
        sheet.append([f"Client {i}", "11987654321", "23/11/2026", "10:00"])
    path = tmp_path / "a.xlsx"
    book.save(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    before = counts(practice)
    with pytest.raises(FileUnusable, match=r"a\.xlsx"):
        importing.import_file(practice, path)
    assert counts(practice) == before
