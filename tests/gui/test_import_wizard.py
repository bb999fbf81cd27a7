"""Agenda › Importar driven as a person does: choose the file, check the columns,
review the rows, tick override on a conflict, import, and see the sessions."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlmodel import select

from app.models.enums import AppointmentSource
from app.models.tables import Appointment
from app.services.importing.columns import Field
from app.services.practice import Practice
from app.ui import file_chooser
from app.ui.import_wizard import ImportDialog
from app.ui.main_window import MainWindow

CSV = ("Paciente;Celular;Dia;Horário;Serviço;Comentário livre\n"
       "Ana Lima;11 93333-4444;23/11/2026;10:30;Psicoterapia;primeira\n"  # collides with 10:00
       "Bia Souza;123;24/11/2026;10:00;Psicoterapia;\n"
       "Carla Dias;11 95555-6666;24/11/2026;11:00;Psicoterapia;\n")


def open_wizard(window: MainWindow, qtbot: QtBot, path: Path,
                monkeypatch: pytest.MonkeyPatch) -> ImportDialog:
    monkeypatch.setattr(file_chooser, "open_path",
                        lambda *a, **k: str(path))
    window.show_page("agenda")
    qtbot.mouseClick(window.agenda.import_button, Qt.MouseButton.LeftButton)
    dialog = next(w for w in window.findChildren(ImportDialog) if w.isVisible())
    qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=5000)
    return dialog


def test_import_with_review_and_override(window: MainWindow, qtbot: QtBot, practice: Practice,
                                         seeded: dict[str, int], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from app.models.enums import Channel
    from app.services import clients, config

    config.set_value(practice, "clients.consent", "whatsapp")  # the practice's default
    f = tmp_path / "agenda.csv"
    f.write_bytes(CSV.encode("cp1252"))
    dialog = open_wizard(window, qtbot, f, monkeypatch)
    # The clients it creates: consent asked here, ticked as the practice chose.
    qtbot.waitUntil(lambda: dialog.consent[Channel.WHATSAPP].isChecked(), timeout=3000)
    assert not dialog.consent[Channel.SMS].isChecked()
    # Headers the practice wrote were recognised; the notes column is chosen by hand.
    assert dialog.combos[Field.NAME].currentText() == "Paciente"
    assert dialog.combos[Field.TIME].currentText() == "Horário"
    assert dialog.combos[Field.NOTES].currentIndex() == 0
    assert "4 rows" not in dialog.file_info.text() and "3 rows" in dialog.file_info.text()
    notes = dialog.combos[Field.NOTES]
    notes.setCurrentIndex(notes.findText("Comentário livre"))
    qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 2, timeout=5000)
    assert "Ok: 1" in dialog.counts.text() and "Conflicts: 1" in dialog.counts.text()
    assert dialog.next_button.text() == "Import 1 session"
    model = dialog.model
    statuses = [model.index(r, 2).data() for r in range(model.rowCount())]
    assert statuses == ["Conflict", "Invalid", "Ok"]
    assert f"session #{seeded['monday']}" in model.index(0, 7).data()
    assert model.index(1, 7).data().startswith("Celular: '123'")
    dialog.table.setCurrentIndex(model.index(0, 3))  # the whole reason under the table
    assert dialog.detail.text() == "Row 2: " + model.index(0, 7).data()

    # Only conflicts: tick override on the row with the keyboard.
    dialog.filter_combo.setCurrentIndex(2)
    assert model.rowCount() == 1
    dialog.table.setFocus()
    dialog.table.setCurrentIndex(model.index(0, 0))
    qtbot.keyClick(dialog.table, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.next_button.text() == "Import 2 sessions", timeout=5000)
    dialog.filter_combo.setCurrentIndex(0)
    assert model.index(0, 2).data() == "Ok ✓"

    qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 3, timeout=5000)
    assert "sessions imported: 2; rows skipped: 1" in dialog.done_label.text()
    with practice.db.read() as s:
        imported = s.exec(select(Appointment).where(
            Appointment.source == AppointmentSource.IMPORT)).all()
    assert sorted(a.notes for a in imported) == ["", "primeira"]
    [carla] = clients.search(practice, "Carla Dias")
    assert {k for k, v in carla.consent.items() if v} == {"whatsapp"}
    # The agenda hears about it: Monday's week shows the imported sessions.
    window.agenda.jump(imported[0].start.date())
    qtbot.waitUntil(lambda: {a.id for a in imported} <= {
        v.id for v in window.agenda.grid.sessions()}, timeout=5000)


def test_a_file_that_cannot_be_used_says_why_and_stays_on_the_page(
        window: MainWindow, qtbot: QtBot, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "notes.csv"
    f.write_text("Quem;Fone1;Quando\nAna;11 93333-4444;amanhã\n")
    dialog = open_wizard(window, qtbot, f, monkeypatch)
    assert dialog.missing_label.text() == "Still needed: Name, Phone."
    assert not dialog.next_button.isEnabled()
    dialog.combos[Field.NAME].setCurrentIndex(1)
    assert dialog.missing_label.text() == "Still needed: Phone."
    dialog.combos[Field.PHONE].setCurrentIndex(2)
    assert dialog.next_button.isEnabled()
    qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 2, timeout=5000)
    assert dialog.model.index(0, 2).data() == "Invalid"
    assert not dialog.next_button.isEnabled()

    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really")
    dialog.show_page(0)
    dialog.open_file(str(broken))
    qtbot.waitUntil(lambda: "not a .xlsx workbook" in dialog.message.text(), timeout=5000)
    assert dialog.pages.currentIndex() == 0


def test_agenda_menu_opens_the_import(window: MainWindow, qtbot: QtBot) -> None:
    window.show_page("dashboard")
    window.import_action.trigger()
    dialog = next(w for w in window.findChildren(ImportDialog) if w.isVisible())
    assert window.stack.currentWidget() is window.agenda
    assert dialog.pages.currentIndex() == 0 and dialog.choose_button.isEnabled()


def test_a_guessed_encoding_is_said_and_a_hostile_file_refused_without_a_freeze(
        window: MainWindow, qtbot: QtBot, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    mixed = tmp_path / "<b>mixed<i>.csv"
    mixed.write_bytes("Paciente;Celular\nJoão Araújo;11 93333-4444\n".encode()
                      + "Zé Conceição;11 93333-5555\n".encode("cp1252"))
    dialog = open_wizard(window, qtbot, mixed, monkeypatch)
    info = dialog.file_info.text()
    assert info.startswith("<b>mixed<i>.csv: 2 rows") and "⚠ Row 3 is not in UTF-8" in info
    assert "columns separated by semicolons" in info  # words, not ';' or a codec's name
    assert dialog.file_info.textFormat() == Qt.TextFormat.PlainText
    assert dialog.preview.item(0, 0).text() == "João Araújo"

    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["Paciente", "Celular"])
    wb.active.cell(row=1_048_576, column=16_384, value="x")
    far = tmp_path / "far.xlsx"
    wb.save(far)
    dialog.show_page(0)
    dialog.open_file(str(far))
    assert dialog.message.text() == "Reading far.xlsx…"  # the window keeps answering meanwhile
    qtbot.waitUntil(lambda: "more than 200 columns" in dialog.message.text(), timeout=15000)
    assert dialog.pages.currentIndex() == 0
