"""Configurações › Integrações opens on whether the practice can reach its
clients: one line per channel and the links, that follows each test as it is
made, and a button that brings the channel's form into view."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.services import channel_checks, config
from app.services.practice import Practice
from app.ui.main_window import MainWindow


def open_integrations(qtbot: QtBot, window: MainWindow) -> object:
    window.show_page("settings")
    page = window.settings_page
    page.show_tab("integrations")
    tab = page.integrations
    qtbot.waitUntil(lambda: tab.overview.rows["links"].state.text() != "", timeout=5000)
    return tab


def test_the_overview_says_what_each_channel_lacks_and_follows_each_test(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    config.set_values(practice, {"smtp.host": "smtp.example.com",
                                 "smtp.from": "agenda@example.com", "smtp.security": "ssl",
                                 "smtp.port": "465"})
    tab = open_integrations(qtbot, window)
    rows = tab.overview.rows  # type: ignore[attr-defined]
    assert {ch: r.state.text() for ch, r in rows.items()} == {
        "whatsapp": "Not set up", "email": "Set up", "sms": "Not set up",
        "voice": "Not set up", "push": "Not set up", "links": "Not set up"}
    assert rows["voice"].step.text().startswith("Not set up yet: calls need SMS (Twilio)")
    assert rows["push"].step.text() == (
        "Not set up yet: with the confirmation links set up, press Turn on below.")
    assert rows["email"].details.text() == "Never tested."
    assert rows["email"].step.text() == "Press Test below to check that it works."
    assert rows["sms"].step.text().startswith("Not set up yet: below, fill in the Twilio")
    assert rows["sms"].go.text() == "Set it up" and rows["email"].go.text() == "Open"

    # A test made now shows at once, in words.
    channel_checks.record(practice, "email", False, "The server refused the password.")
    qtbot.waitUntil(lambda: rows["email"].state.text() == "Has a problem", timeout=3000)
    assert rows["email"].details.text().startswith("Last test (")
    assert rows["email"].details.text().endswith("failed. The server refused the password.")
    assert rows["email"].step.text().startswith("The last test failed")

    # "Set it up" brings the channel's form into view, ready to type in.
    qtbot.mouseClick(rows["sms"].go, Qt.MouseButton.LeftButton)
    box = tab.sms  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: tab.area.verticalScrollBar().value() > 0,  # type: ignore[attr-defined]
                    timeout=3000)
    top = box.mapTo(tab.area.viewport(), box.rect().topLeft()).y()  # type: ignore[attr-defined]
    view = tab.area.viewport().height()  # type: ignore[attr-defined]
    assert top >= 0 and (top + box.height() <= view or top == 0)

    # WhatsApp connected but its reminders' template not chosen: not finished, and
    # the button opens Notificações, where it is chosen.
    from app.services import secrets

    config.set_values(practice, {"whatsapp.phone_number_id": "109876543210"})
    secrets.store("whatsapp.token", "EAAG-token")
    tab.reload_overview()  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: "template" in rows["whatsapp"].step.text(), timeout=3000)
    assert rows["whatsapp"].state.text() == "Not set up"
    assert rows["whatsapp"].go.text() == "Open Client notifications"
    qtbot.mouseClick(rows["whatsapp"].go, Qt.MouseButton.LeftButton)
    assert window.settings_page.tabs.currentWidget() is window.settings_page.notifications


def test_the_wheel_scrolls_the_page_and_never_changes_a_field_on_the_way(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication, QComboBox

    tab = open_integrations(qtbot, window)
    security = next(w for k, _l, w in tab.email.fields  # type: ignore[attr-defined]
                    if k == "smtp.security")
    assert isinstance(security, QComboBox) and not security.hasFocus()
    before, top = security.currentData(), tab.area.verticalScrollBar().value()  # type: ignore[attr-defined]
    middle = QPointF(security.width() / 2, security.height() / 2)
    for _turn in range(3):
        wheel = QWheelEvent(middle, QPointF(security.mapToGlobal(middle.toPoint())),
                            QPoint(0, 0), QPoint(0, -120), Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(security, wheel)
    assert security.currentData() == before
    assert tab.area.verticalScrollBar().value() > top  # type: ignore[attr-defined]


def test_a_date_abbreviated_at_a_sentences_end_takes_its_full_stop() -> None:
    from datetime import UTC, datetime

    from app import i18n
    from app.services.reach import Reach, State
    from app.ui.integrations.overview import details

    now = datetime(2026, 12, 20, 12, tzinfo=UTC)
    links = Reach("links", State.WORKING, None, datetime(2026, 12, 10, 12, tzinfo=UTC), (),
                  "", None)
    with i18n.speaking("pt_BR"):
        assert details(links, now)[-1] == "Última resposta por um link: 10 de dez."
