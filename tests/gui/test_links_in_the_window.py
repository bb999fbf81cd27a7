"""With the window open, a client's tap on the relay reaches the agenda within a
second; a cancellation request appears in the Painel and is decided there."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from app.models.enums import Channel
from app.services import clients, config, queries, relay_client, scheduling, secrets, settings
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from app.ui.main_window import PAGES, MainWindow
from tests.conftest import add_service, local
from tests.fakes.relay_server import API_KEY, LINK_SECRET, RelayServer


@pytest.fixture
def live(qtbot: QtBot, practice: Practice, tmp_path: Path
         ) -> Iterator[tuple[MainWindow, RelayServer, int]]:
    public = relay_client.keys(practice)
    with RelayServer(tmp_path / "relay", public_key=public) as relay:
        config.set_value(practice, "relay.url", relay.url)
        secrets.store("relay.api_key", API_KEY)
        secrets.store("relay.link_secret", LINK_SECRET)
        c = clients.add(practice, name="Maria Silva", phone="+55 11 98765-4321",
                        consent=[Channel.EMAIL], email="maria@example.com").id
        session = scheduling.book(practice, BookingRequest(
            client_id=c, start=local("2027-03-15T10:00"), service_id=add_service(practice)))
        QSettings().setValue("window/page", "agenda")
        w = MainWindow(practice, settings.get(practice).zone, background_worker=True)
        qtbot.addWidget(w)
        w.show()
        w.agenda.jump(date(2027, 3, 15))
        qtbot.waitUntil(lambda: [v.id for v in w.agenda.grid.sessions()] == [session],
                        timeout=5000)
        yield w, relay, session
        w.quit()


def test_a_tap_on_confirm_shows_in_the_agenda_within_a_second(
        qtbot: QtBot, practice: Practice, live: tuple[MainWindow, RelayServer, int]) -> None:
    w, _relay, session = live
    url = relay_client.link(practice, session)
    qtbot.wait(300)  # the poller is waiting on the relay, as it does all day
    t0 = time.monotonic()
    assert requests.post(url, data={"action": "confirm"}, timeout=5).status_code == 200
    qtbot.waitUntil(lambda: [v.status.value for v in w.agenda.grid.sessions()] ==
                    ["confirmed"], timeout=3000)
    assert time.monotonic() - t0 < 1.0
    assert queries.show(practice, session).history[-1].actor == "client"
    # The status bar follows the relay by itself, both ways.
    qtbot.waitUntil(lambda: w.relay_state.text() == "Links: connected", timeout=3000)
    _relay.__exit__(None, None, None)
    qtbot.waitUntil(lambda: w.relay_state.text() == "Links: unreachable", timeout=8000)
    assert "Relay unreachable: clients" in w.relay_state.toolTip()  # the whole sentence
    # A sentence too long to share the bar is said alone; the quiet words come back.
    w.set_user("Dra. Ana Souza")
    w.say("Sessão confirmada. " + "O e-mail de confirmação não será enviado. " * 4, 300)
    assert not w.relay_state.isVisible() and not w.user_label.isVisible()
    qtbot.waitUntil(lambda: w.relay_state.isVisible() and w.user_label.isVisible(),
                    timeout=3000)
    w.say("Session confirmed.")
    assert w.relay_state.isVisible() and w.user_label.isVisible()


def test_a_cancellation_request_is_decided_in_the_painel(
        qtbot: QtBot, practice: Practice, live: tuple[MainWindow, RelayServer, int]) -> None:
    w, _relay, session = live
    requests.post(relay_client.link(practice, session), timeout=5,
                  data={"action": "cancel", "reason": "Viagem a trabalho"})
    w.nav.setCurrentRow(PAGES.index("dashboard"))
    page = w.dashboard
    qtbot.waitUntil(lambda: page.board is not None and len(page.board.requests) == 1,
                    timeout=5000)
    row = next(r for r in page.decisions_card.rows if hasattr(r, "request"))
    assert queries.show(practice, session).status.value == "scheduled"
    assert set(row.buttons) == {"charge", "reschedule", "waive", "keep"}
    qtbot.mouseClick(row.buttons["charge"], Qt.MouseButton.LeftButton)
    box = row.question  # charging cancels for good: it asks first
    assert box is not None
    qtbot.waitUntil(box.isVisible)
    qtbot.mouseClick(box.buttons()[0] if box.buttonRole(box.buttons()[0]) ==
                     box.ButtonRole.AcceptRole else box.buttons()[1], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: queries.show(practice, session).status.value == "cancelled",
                    timeout=3000)
    view = queries.show(practice, session)
    assert "Viagem a trabalho" in (view.cancellation_reason or "")
    qtbot.waitUntil(lambda: page.board is not None and not page.board.requests, timeout=3000)


def test_reagendar_from_the_painel_opens_rescheduling(
        qtbot: QtBot, practice: Practice, live: tuple[MainWindow, RelayServer, int]) -> None:
    from PySide6.QtCore import QDate, QTime

    w, _relay, session = live
    requests.post(relay_client.link(practice, session), data={"action": "cancel"}, timeout=5)
    w.nav.setCurrentRow(PAGES.index("dashboard"))
    page = w.dashboard
    qtbot.waitUntil(lambda: page.board is not None and len(page.board.requests) == 1,
                    timeout=5000)
    row = next(r for r in page.decisions_card.rows if hasattr(r, "request"))
    qtbot.mouseClick(row.buttons["reschedule"], Qt.MouseButton.LeftButton)
    dialog = row.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.suggestions.count() > 0, timeout=3000)  # free times
    dialog.date.setDate(QDate(2027, 3, 16))
    dialog.time.setTime(QTime(15, 0))
    qtbot.waitUntil(lambda: "free" in dialog.status.text(), timeout=3000)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: queries.show(practice, session).status.value == "rescheduled",
                    timeout=3000)
    new = queries.show(practice, session).rescheduled_to
    assert new is not None and queries.show(practice, new).start == local("2027-03-16T15:00")
    qtbot.waitUntil(lambda: page.board is not None and not page.board.requests, timeout=3000)
