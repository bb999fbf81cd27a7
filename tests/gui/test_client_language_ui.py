"""Where a psychologist says in which language a client reads their messages, and
where the practice's address and fee are set, in the locale's own writing."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app import i18n
from app.services import clients, settings
from app.services.practice import Practice
from app.ui.clients_page import ClientFile
from app.ui.main_window import MainWindow


def test_a_clients_language_is_chosen_in_the_client_file(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    window.open_client(seeded["maria"])
    file = window.clients.file
    assert isinstance(file, ClientFile)
    qtbot.waitUntil(lambda: file.client is not None, timeout=3000)
    assert file.language.currentText() == "The practice's language"
    file.language.setCurrentIndex(file.language.findData("en"))
    qtbot.mouseClick(file.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: clients.get(practice, seeded["maria"]).language == "en",
                    timeout=3000)
    file.language.setCurrentIndex(0)
    qtbot.mouseClick(file.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: clients.get(practice, seeded["maria"]).language == "",
                    timeout=3000)


def test_the_address_and_the_fee_are_written_as_the_locale_writes(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    settings.set_value(practice, "cancel_fee", "1234,5")
    i18n.set_language("pt_BR")
    try:
        window.show_page("settings")
        page = window.settings_page
        qtbot.waitUntil(lambda: page.current is not None and page.fee.text() != "",
                        timeout=3000)
        page.reload()
        qtbot.waitUntil(lambda: page.fee.text() == "1.234,50", timeout=3000)
        page.address.setText("Rua das Flores, 120 —  sala 3")
        qtbot.mouseClick(page.save_practice, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: settings.get(practice).address ==
                        "Rua das Flores, 120 — sala 3", timeout=3000)
        assert settings.get(practice).cancel_fee_cents == 123450  # read back, not 1.23
    finally:
        i18n.set_language("en")
