"""The import's judgement after it was made fast (issue 21): rows are judged against
interval indexes per professional and per client, a row's meaning is understood
once, a past session with nothing near skips the rules that only judge future
sessions, and the sessions' audit entries come from a template. Every rule must
still hold: each test imports a real file into a real SQLite practice."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select

from app.models.tables import AuditEvent
from app.services import catalog, importing, scheduling
from app.services.importing.commit import _CreatedText
from app.services.importing.rows import Row
from app.services.practice import Practice
from tests.conftest import add_client, add_service, local

HEADER = "Nome;Telefone;E-mail;Serviço;Data;Hora;Duração;Profissional;Observações\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def statuses(report: importing.Report) -> list[str]:
    return [r.status.value for r in report.rows]


def test_past_sessions_still_collide_with_the_agenda_and_each_other(
        practice: Practice, tmp_path: Path) -> None:
    """History (before the practice's now, 2026-11-20) skips the hours rules, never
    the overlaps: a past row over an existing session, or over an earlier row."""
    service = add_service(practice)
    existing = scheduling.book(practice, scheduling.BookingRequest(
        client_id=add_client(practice), start=local("2026-11-23T14:00"), service_id=service),
        override=True)
    with practice.db.write() as s:  # the same session moved into the past, as history is
        from app.models.tables import Appointment
        a = s.get(Appointment, existing)
        assert a is not None
        a.start = local("2026-10-05T14:00")
    f = write(tmp_path / "past.csv", HEADER
              + "João Alves;11 91234-5678;;Psicoterapia;05/10/2026;14:20;;;\n"  # the agenda
              + "Ana Lima;11 93333-4444;;Psicoterapia;06/10/2026;22:00;;;\n"  # out of hours: ok
              + "Rui Costa;11 95555-6666;;Psicoterapia;06/10/2026;22:30;;;\n"  # row 3
              + "Rui Costa;11 95555-6666;;Psicoterapia;07/10/2026;09:00;;;\n")
    report = importing.import_file(practice, f, dry=True)
    assert statuses(report) == ["conflict", "ok", "conflict", "ok"]
    assert report.rows[0].appointment_id == existing
    assert "row 3" in report.rows[2].reason


def test_a_long_session_reaches_the_next_day_and_buffers_keep_their_minutes(
        practice: Practice, tmp_path: Path) -> None:
    catalog.add_service(practice, name="Plantão", duration_minutes=50,
                        buffer_after_minutes=15)
    f = write(tmp_path / "long.csv", HEADER
              # 4 Oct 20:00 for 15 hours: ends 5 Oct 11:00.
              + "Ana Lima;11 93333-4444;;Plantão;04/10/2026;20:00;900;;\n"
              + "João Alves;11 91234-5678;;Plantão;05/10/2026;10:30;;;\n"  # inside row 2
              + "Rui Costa;11 95555-6666;;Plantão;05/10/2026;14:00;;;\n"
              # 14:50 + 15 minutes kept after: 15:00 is still taken, 15:05 is free.
              + "Lia Souza;11 97777-8888;;Plantão;05/10/2026;15:00;;;\n"
              + "Bia Melo;11 96666-7777;;Plantão;05/10/2026;15:05;;;\n")
    report = importing.import_file(practice, f, dry=True)
    assert statuses(report) == ["ok", "conflict", "ok", "conflict", "ok"]
    assert "row 2" in report.rows[1].reason and "row 4" in report.rows[3].reason


def test_a_client_cannot_be_with_two_professionals_at_once(practice: Practice,
                                                           tmp_path: Path) -> None:
    add_service(practice)
    f = write(tmp_path / "client.csv", HEADER
              + "Ana Lima;11 93333-4444;;Psicoterapia;05/10/2026;10:00;;Dra. Ana;\n"
              + "Ana Lima;11 93333-4444;;Psicoterapia;05/10/2026;10:30;;Dr. Paulo;\n"
              + "Ana Lima;11 93333-4444;;Psicoterapia;05/10/2026;10:50;;Dr. Paulo;\n")
    report = importing.import_file(practice, f, dry=True)
    assert statuses(report) == ["ok", "conflict", "ok"]
    assert "Ana Lima already has a session" in report.rows[1].reason


def test_the_daily_limit_counts_the_rows_of_the_file(practice: Practice, tmp_path: Path) -> None:
    add_service(practice, max_per_day=2)
    f = write(tmp_path / "limit.csv", HEADER
              + "Ana Lima;11 93333-4444;;Psicoterapia;23/11/2026;09:00;;;\n"
              + "João Alves;11 91234-5678;;Psicoterapia;23/11/2026;10:00;;;\n"
              + "Rui Costa;11 95555-6666;;Psicoterapia;23/11/2026;17:00;;;\n"
              + "Lia Souza;11 97777-8888;;Psicoterapia;24/11/2026;09:00;;;\n")
    report = importing.import_file(practice, f, dry=True)
    assert statuses(report) == ["ok", "ok", "conflict", "ok"]


def test_a_service_refused_for_lacking_a_duration_is_known_once_a_later_row_creates_it(
        practice: Practice, tmp_path: Path) -> None:
    add_service(practice)
    line = "Ana Lima;11 93333-4444;;Avaliação;{day}/10/2026;10:00;{minutes};;\n"
    f = write(tmp_path / "new.csv", HEADER + line.format(day="05", minutes="")
              + line.format(day="06", minutes="90") + line.format(day="07", minutes=""))
    report = importing.import_file(practice, f)
    assert statuses(report) == ["skipped", "imported", "imported"]
    assert "Duration: required for Avaliação" in report.rows[0].reason
    assert report.services_created == ["Avaliação"]


def test_the_audit_entry_of_an_imported_session_is_the_json_of_its_changes(
        practice: Practice, tmp_path: Path) -> None:
    service = add_service(practice)
    scheduling.book(practice, scheduling.BookingRequest(
        client_id=add_client(practice), start=local("2026-11-23T14:00"), service_id=service))
    f = write(tmp_path / 'agenda "nova".csv', HEADER
              + 'João Alves;11 91234-5678;;Psicoterapia;23/11/2026;14:30;;;"Disse: ""já '
                'volto""\\ até\nlogo"\n')
    report = importing.import_file(practice, f, overrides=True)
    assert statuses(report) == ["imported"]
    with practice.db.read() as s:
        event = s.exec(select(AuditEvent).where(
            AuditEvent.entity == "appointment",
            AuditEvent.entity_id == report.rows[0].appointment_id)).one()
    changes = json.loads(event.changes)
    assert event.changes == json.dumps(changes, ensure_ascii=False, sort_keys=True)
    assert changes["notes"] == 'Disse: "já volto"\\ até\nlogo'
    assert changes["file"] == 'agenda "nova".csv' and changes["row"] == 2
    assert changes["service_id"] == service and changes["status"] == "scheduled"
    assert len(changes["override"]) == 1 and "Maria Silva" in changes["override"][0]


def test_the_template_writes_what_json_dumps_writes() -> None:
    from datetime import UTC, datetime

    from app.models.enums import AppointmentStatus

    row = Row(7, start=datetime(2026, 1, 5, 11, tzinfo=UTC))
    values: dict[str, object] = {
        "client_id": 3, "duration_minutes": 50, "staff_id": 1, "service_id": None,
        "quoted_price_cents": 0, "notes": 'a"\\\n\u2028\x07é', "status": AppointmentStatus.NO_SHOW}
    origin = {"file": "a\tção.csv", "by": "Zé \"da\" Silva"}
    for overridden in ((), ("um", 'dois "2"')):
        expected = {k: values[k] for k in ("client_id", "duration_minutes", "staff_id",
                                           "service_id", "quoted_price_cents", "notes",
                                           "status")}
        expected |= {"start": "2026-01-05T11:00:00+00:00", "source": "import", **origin,
                     "row": 7}
        if overridden:
            expected["override"] = list(overridden)
        assert _CreatedText(origin)(values, row, overridden) == json.dumps(
            expected, ensure_ascii=False, sort_keys=True)
