"""The client list, a client's sessions and Sessões format a row's texts once and
keep them: what they show must still follow new rows, the practice's country
and the language."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app import i18n
from app.i18n import set_language
from app.models.enums import AppointmentStatus as S
from app.services import queries
from app.services.clients import DirectoryRow
from app.services.practice import Practice
from app.services.values import format_phone
from app.ui.client_models import ID_ROLE, DirectoryModel, SessionsModel
from app.ui.session_list_model import SessionListModel

ZONE = ZoneInfo("America/Sao_Paulo")
ANA = DirectoryRow(1, "Ana Lima", "+5511987654321", "ana@example.com",
                   datetime(2026, 11, 23, 10, tzinfo=ZONE), 0.25)
RUI = DirectoryRow(2, "Rui Costa", "+351912345678", None, None, None)


def texts(model: DirectoryModel | SessionsModel | SessionListModel, row: int) -> list[str]:
    return [model.data(model.index(row, c)) for c in range(model.columnCount())]


def test_the_client_list_shows_new_rows_and_the_practices_country(qtbot: QtBot) -> None:
    model = DirectoryModel()
    model.set_rows([ANA, RUI])
    assert texts(model, 0) == ["Ana Lima", "(11) 98765-4321", "ana@example.com",
                               i18n.format_datetime(ANA.next_session), "25%"]
    assert texts(model, 1) == ["Rui Costa", "+351 912 345 678", "", "—", "—"]
    assert model.data(model.index(1, 0), ID_ROLE) == 2
    assert model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole) is None
    # The same places, other clients: nothing of the old rows is shown.
    model.set_rows([RUI])
    assert model.rowCount() == 1 and texts(model, 0)[0] == "Rui Costa"
    # The practice moves to Portugal: its phones are written as there, at once.
    with qtbot.waitSignal(model.dataChanged):
        model.region = "PT"
    assert texts(model, 0)[1] == format_phone(RUI.phone, "PT") == "912 345 678"
    model.set_rows([ANA])
    assert texts(model, 0)[1] == "+55 11 98765-4321"


def test_headers_follow_the_language() -> None:
    model = DirectoryModel()
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Name"
    set_language("pt_BR")
    try:
        assert model.headerData(0, Qt.Orientation.Horizontal) == "Nome"
    finally:
        set_language("en")
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Name"


def test_a_clients_sessions_and_sessoes_show_the_rows_they_hold(
        practice: Practice, seeded: dict[str, int]) -> None:
    views = sorted(queries.list_appointments(practice), key=lambda v: v.start)
    assert [v.status for v in views] == [S.CONFIRMED, S.SCHEDULED]
    sessions = SessionsModel()
    sessions.set_rows(views, practice.clock.now())
    assert [texts(sessions, r)[0] for r in range(2)] == [None, "✓"]  # newest first
    assert texts(sessions, 1)[1] == (f"{i18n.format_datetime(views[0].start)}–"
                                     f"{i18n.format_time(views[0].end)}")
    moved = replace(views[0], status=S.CANCELLED)
    sessions.set_rows([moved], practice.clock.now())
    assert texts(sessions, 0)[0] is None and texts(sessions, 0)[4] == "Cancelled"

    asked: list[tuple[int, int]] = []  # (offset, rows) of each reading asked for
    listing = SessionListModel(lambda offset, rows: asked.append((offset, rows)),
                               lambda phone: format_phone(phone, "BR"),
                               lambda key, descending: None)
    listing.reset(3, views[:1])
    assert texts(listing, 0) == ["Maria Silva", "(11) 98765-4321", "Psicoterapia",
                                 i18n.format_datetime(views[0].start), "50 min",
                                 "✓ Confirmed",
                                 "Booked by hand", views[0].staff_name]
    assert listing.data(listing.index(0, 5), Qt.ItemDataRole.ForegroundRole).name() == \
        "#059669"
    assert listing.rowCount() == 3  # a row for each session, read or not
    assert texts(listing, 1) == [None] * 8  # blank until read; its page asked for once
    assert texts(listing, 2) == [None] * 8
    assert asked == [(1, 2)]  # the rows of its page not read yet
    listing.fill(listing.generation, 1, [moved], 2)  # one went away meanwhile
    assert listing.rowCount() == 2
    assert texts(listing, 1)[5] == "Cancelled"
    assert listing.data(listing.index(1, 0), Qt.ItemDataRole.FontRole).italic()
    assert listing.data(listing.index(0, 0), Qt.ItemDataRole.FontRole) is None
    listing.reset(1, [views[1]])
    assert listing.rowCount() == 1 and texts(listing, 0)[5] == "Scheduled"
