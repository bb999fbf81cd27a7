"""No lost updates in the window: a form saved over another computer's change says
who changed it and when, shows the row as it is now, and saves nothing of its
own; saved again, it goes through."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app import i18n
from app.services import catalog, clients
from app.services.clock import FrozenClock
from app.services.practice import Practice, open_practice
from app.ui.main_window import PAGES, MainWindow
from tests.conftest import local


@pytest.fixture
def ana(practice: Practice, data_dir: Path) -> Iterator[Practice]:
    """The reception's computer on the same data, where Ana works at 14:02."""
    p = open_practice(data_dir, clock=FrozenClock(local("2026-11-20T14:02")), actor="Ana",
                      logging_on=False)
    yield p
    p.close()


def said() -> str:
    return f"Changed by Ana at {i18n.format_time(time(14, 2))} — reload"


def test_the_ficha_saved_over_anas_change_shows_hers(qtbot: QtBot, window: MainWindow,
                                                     practice: Practice, ana: Practice,
                                                     seeded: dict[str, int]) -> None:
    w = window
    w.nav.setCurrentRow(PAGES.index("clients"))
    file = w.clients.open_client(seeded["joao"])
    qtbot.waitUntil(lambda: file.client is not None, timeout=3000)
    file.notes.setFocus()
    qtbot.keyClicks(file.notes, "Prefere tercas")
    file.name.selectAll()
    qtbot.keyClicks(file.name, "Joao Alves Souza")
    # Meanwhile, at the reception, Ana changes the same client.
    clients.update(ana, seeded["joao"], phone="+55 21 91111-2222", notes="Só à tarde")
    qtbot.mouseClick(file.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: file.data_error.text() == said(), timeout=3000)
    qtbot.waitUntil(lambda: file.notes.toPlainText() == "Só à tarde", timeout=3000)
    assert file.phone.text() == "(21) 91111-2222" and file.name.text() == "João Alves"
    stored = clients.get(practice, seeded["joao"])
    assert (stored.name, stored.notes) == ("João Alves", "Só à tarde")  # nothing of ours
    # Edited again over what is there now, the save goes through.
    file.notes.selectAll()
    qtbot.keyClicks(file.notes, "Tarde; prefere tercas")
    qtbot.mouseClick(file.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: clients.get(practice, seeded["joao"]).notes ==
                    "Tarde; prefere tercas", timeout=3000)
    qtbot.waitUntil(lambda: file.data_error.text() == "", timeout=3000)
    assert clients.get(practice, seeded["joao"]).phone == "+5521911112222"


def test_a_service_saved_over_anas_change_shows_hers(qtbot: QtBot, window: MainWindow,
                                                     practice: Practice, ana: Practice,
                                                     seeded: dict[str, int]) -> None:
    w = window
    w.nav.setCurrentRow(PAGES.index("settings"))
    page = w.settings_page
    page.tabs.setCurrentIndex(1)  # Serviços
    qtbot.waitUntil(lambda: page.service_list.count() == 1, timeout=3000)
    page.service_list.setCurrentRow(0)
    assert page.sv_name.text() == "Psicoterapia"
    page.sv_name.selectAll()
    qtbot.keyClicks(page.sv_name, "Terapia individual")
    catalog.update_service(ana, seeded["therapy"], name="Psicoterapia", duration_minutes=60,
                           price_cents=25000, buffer_after_minutes=10)
    qtbot.mouseClick(page.save_service, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.service_error.text() == said(), timeout=3000)
    qtbot.waitUntil(lambda: page.sv_duration.value() == 60, timeout=3000)
    assert page.sv_name.text() == "Psicoterapia"
    assert catalog.list_services(practice)[0].name == "Psicoterapia"
    page.sv_name.selectAll()
    qtbot.keyClicks(page.sv_name, "Terapia individual")
    qtbot.mouseClick(page.save_service, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: catalog.list_services(practice)[0].name == "Terapia individual",
                    timeout=3000)
    assert catalog.list_services(practice)[0].duration_minutes == 60
    # Its own save is no change "meanwhile": saved again, it goes through.
    qtbot.waitUntil(lambda: page.sv_name.text() == "Terapia individual", timeout=3000)
    page.sv_price.selectAll()
    qtbot.keyClicks(page.sv_price, "260,00")
    qtbot.mouseClick(page.save_service, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: catalog.list_services(practice)[0].price_cents == 26000,
                    timeout=3000)
    # The row is written before the window hears back: the sentence goes once it does.
    qtbot.waitUntil(lambda: page.service_error.text() == "", timeout=3000)
