"""Characters that change how the text around them is shown are not kept, whatever
door a name, note, reason or message comes in by: a right-to-left override
(U+202E) in a client's name reversed the app's own dates and words after it
wherever the name was shown; control characters drove terminals and broke the
Excel export; a line break in a name made fake rows in listings."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlmodel import select

from app.models.conecta import Attendance, ConversationEntry
from app.models.requests import ClientRequest
from app.models.shown_text import free_text, one_line
from app.models.tables import Appointment, AuditEvent, Client, Service, Staff
from app.services import catalog, clients, exports, scheduling, settings
from app.services.exports import Format
from app.services.importing import import_file
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_client, add_service, local
from tests.outside import asks_to_cancel, sends_email, sends_sms, writes_on_whatsapp

RLO, LRE, PDF, FSI, PDI = "\u202e", "\u202a", "\u202c", "\u2068", "\u2069"
HIDDEN = f"{RLO}{LRE}{PDF}{FSI}{PDI}\u200b\u2060\ufeff\x1b\x07\x9b\x7f\x00"
NAME = f"Davi {RLO}Neto\x1b[2J\u200b"  # shown as "Davi Neto[2J"
NOTE = f"linha 1\r\nlinha 2\rlinha 3{RLO}\x07 fim"


def clean(value: str) -> bool:
    return not any(ch in value for ch in HIDDEN) and "\r" not in value


def test_the_rules() -> None:
    assert one_line(f"Ana\n#999  Cliente Falso\t+55{RLO}") == "Ana #999 Cliente Falso +55"
    assert free_text(NOTE) == "linha 1\nlinha 2\nlinha 3 fim"
    # What right-to-left scripts and emoji need stays.
    for kept in ("שלום עולם", "مرحبا", "👩\u200d⚕️", "क्\u200dष", "Zoë\tcafé"):
        assert free_text(kept) == kept


def test_every_door_keeps_names_and_text_without_what_hides_text(
        practice: Practice, tmp_path: Path) -> None:
    client = clients.add(practice, name=NAME, phone="+55 11 97777-1111", notes=NOTE).id
    service = catalog.add_service(practice, name=f"Terapia{RLO}\n2", duration_minutes=50).id
    catalog.add_staff(practice, name=f"Dra.{RLO} Ana\x1b")
    settings.set_value(practice, "name", f"Consultório{RLO}\x07 Bem-Estar")
    session = scheduling.book(practice, BookingRequest(
        client_id=client, start=local("2026-11-24T10:00"), service_id=service, notes=NOTE))
    other = scheduling.book(practice, BookingRequest(
        client_id=add_client(practice), start=local("2026-11-24T15:00"),
        service_id=add_service(practice)))
    scheduling.cancel(practice, other, reason=NOTE)
    asks_to_cancel(practice, session, NOTE)  # a client, on the link's page
    writes_on_whatsapp(practice, NOTE, profile=NAME)
    sends_sms(practice, NOTE)
    clients.add(practice, name="Carla Dias", phone="+55 11 95555-6666", email="carla@example.com")
    sends_email(practice, "carla@example.com", NAME, f"Assunto{RLO}\x1b", NOTE)
    sheet = tmp_path / "agenda.csv"
    sheet.write_text("Paciente;Celular;Dia;Horário;Serviço;Observações\n"
                     f"Bia{RLO} Souza;11 93333-4444;25/11/2026;11:00;Psicoterapia;"
                     f"\"{NOTE}\"\n", encoding="utf-8")
    assert import_file(practice, sheet).imported == 1

    with practice.db.read() as s:
        names = [c.name for c in s.exec(select(Client))]
        assert "Davi Neto[2J" in names and "Bia Souza" in names
        assert all(clean(n) for n in names)
        assert [sv.name for sv in s.exec(select(Service)) if sv.id == service] == ["Terapia 2"]
        assert "Dra. Ana" in [st.name for st in s.exec(select(Staff))]
        texts = [c.notes for c in s.exec(select(Client))]
        for a in s.exec(select(Appointment)):
            texts += [a.notes, a.internal_notes, a.cancellation_reason or ""]
        texts += [r.reason for r in s.exec(select(ClientRequest))]
        for e in s.exec(select(ConversationEntry)):
            texts += [e.body, e.subject or "", e.author]
        texts += [a.name for a in s.exec(select(Attendance))]
        texts += [a.subject for a in s.exec(select(Attendance))]
        assert "linha 1\nlinha 2\nlinha 3 fim" in texts
        assert all(clean(t) for t in texts), [t for t in texts if not clean(t)]
        # The history remembers what was written, without the hidden characters.
        changes = [e.changes for e in s.exec(select(AuditEvent))]
        assert not any(ch in c for c in changes for ch in RLO + "\u200b")
        assert any("Davi Neto" in c for c in changes)
    assert settings.get(practice).name == "Consultório Bem-Estar"


@pytest.mark.sqlite_only  # the server never held a NUL in text: it refuses them
def test_an_excel_export_of_rows_kept_before_still_writes(practice: Practice,
                                                          tmp_path: Path) -> None:
    """Rows an older version kept with control characters: XML cannot hold them."""
    session = scheduling.book(practice, BookingRequest(
        client_id=add_client(practice), start=local("2026-11-24T10:00"),
        service_id=add_service(practice)))
    with practice.db.write() as s:
        s.execute(text("UPDATE client SET name = :v"), {"v": "Ana\x1b[2J\x07 Lima"})
        s.execute(text("UPDATE appointment SET notes = :v"), {"v": "nota\x00\x0b fim"})
    path = tmp_path / "agenda.xlsx"
    rows = exports.sessions(practice, local("2026-11-24T00:00").date(),
                            local("2026-11-25T00:00").date())
    assert [r.id for r in rows] == [session]
    assert exports.write(practice, Format.XLSX, path, rows) == 1
    values = [c for row in load_workbook(path).active.iter_rows(values_only=True) for c in row]
    assert "Ana[2J Lima" in values and "nota fim" in values


def test_every_kept_column_is_named_as_its_table_has_it() -> None:
    """The rules are keyed by table name (so kept_text builds no table): each name
    is a table, each column one of its text columns, and both searched tables
    carry a search key."""
    from sqlmodel import SQLModel

    import app.models
    from app.services import kept_text

    app.models.load_all()
    tables = SQLModel.metadata.tables
    for table, columns in kept_text.FIELDS.items():
        assert table in tables, table
        for column in columns:
            assert column in tables[table].c, f"{table}.{column}"
    assert all("search_key" in tables[t].c for t in kept_text.SEARCHED)
    assert kept_text.rules(Client)["name"] is one_line
    assert kept_text.rules(Attendance)["notes"] is free_text
    assert kept_text.searched(Client) and kept_text.searched(Attendance)
    assert not kept_text.searched(Appointment) and kept_text.rules(Staff) == {"name": one_line}
