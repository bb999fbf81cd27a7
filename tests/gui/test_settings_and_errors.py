"""Configurações: practice settings saved together or not at all, services and
professionals; and the exception hook, which logs and shows an error once."""

from __future__ import annotations

import logging

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.services import catalog, config, people, settings
from app.services.practice import Practice
from app.ui import errors
from app.ui.main_window import PAGES, MainWindow


def open_settings(qtbot: QtBot, w: MainWindow):  # type: ignore[no-untyped-def]
    w.nav.setCurrentRow(PAGES.index("settings"))
    page = w.settings_page
    qtbot.waitUntil(lambda: page.current is not None, timeout=3000)
    return page


def test_practice_settings_save_all_or_nothing(qtbot: QtBot, window: MainWindow,
                                               practice: Practice) -> None:
    page = open_settings(qtbot, window)
    from PySide6.QtCore import QTime

    page.name.setText("Clínica Aurora")
    monday, saturday = page.hours_grid.days[0], page.hours_grid.days[5]
    qtbot.mouseClick(saturday.open, Qt.MouseButton.LeftButton)  # open on Saturdays
    saturday.start.setTime(QTime(9, 0))
    saturday.end.setTime(QTime(13, 0))
    monday.start.setTime(QTime(19, 0))
    monday.end.setTime(QTime(8, 0))  # ends before it starts
    qtbot.mouseClick(page.save_practice, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "not understood" in page.practice_error.text(), timeout=3000)
    assert page.practice_error.text().startswith("Monday: ")
    current = settings.get(practice)
    assert current.name != "Clínica Aurora" and current.hours["sat"] == "closed"
    # Typed over the whole field, as people do: "9:30" stays 09:30 (a QTimeEdit lost the 9).
    saturday.start.lineEdit().selectAll()
    qtbot.keyClicks(saturday.start.lineEdit(), "9:30")
    assert saturday.spec() == "09:30-13:00"
    monday.start.setTime(QTime(8, 0))
    monday.end.setTime(QTime(18, 0))
    qtbot.mouseClick(page.save_practice, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: settings.get(practice).name == "Clínica Aurora", timeout=3000)
    assert settings.get(practice).hours["sat"] == "09:30-13:00"
    assert settings.get(practice).hours["mon"] == "08:00-18:00"


def test_services_and_professionals(qtbot: QtBot, window: MainWindow,
                                    practice: Practice) -> None:
    page = open_settings(qtbot, window)
    page.tabs.setCurrentIndex(1)
    qtbot.mouseClick(page.new_service, Qt.MouseButton.LeftButton)
    page.sv_name.setText("Supervisão")
    page.sv_duration.setValue(90)
    page.sv_price.setText("350,00")
    page.sv_days.setText("tue,thu")
    page.sv_max.setValue(2)
    qtbot.mouseClick(page.save_service, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(s.name == "Supervisão" for s in catalog.list_services(practice)),
                    timeout=3000)
    saved = next(s for s in catalog.list_services(practice) if s.name == "Supervisão")
    assert (saved.duration_minutes, saved.price_cents, saved.bookable_weekdays,
            saved.max_per_day) == (90, 35000, "13", 2)

    page.tabs.setCurrentIndex(2)
    qtbot.mouseClick(page.new_staff, Qt.MouseButton.LeftButton)
    page.st_name.setText("Dr. Paulo")
    page.st_hours.setText("mon-thu 25:00-26:00")
    qtbot.mouseClick(page.save_staff, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "not understood" in page.staff_error.text(), timeout=3000)
    assert [s.name for s in catalog.list_staff(practice)] == ["Professional"]
    page.st_hours.setText("mon-thu 09:00-17:00; fri 09:00-12:00")
    qtbot.mouseClick(page.save_staff, Qt.MouseButton.LeftButton)
    def saved() -> bool:
        staff = catalog.list_staff(practice)
        return len(staff) == 2 and settings.staff_has_own_hours(practice, staff[1].id)

    qtbot.waitUntil(saved, timeout=10_000)
    paulo = catalog.list_staff(practice)[1]
    qtbot.waitUntil(lambda: page.staff_list.currentItem() is not None and
                    page.staff_list.currentItem().data(256) == paulo.id, timeout=5000)
    assert len(catalog.list_staff(practice)) == 2  # saving again edits, not duplicates
    hours = settings.working_hours(practice, paulo.id)
    assert sorted(hours) == [0, 1, 2, 3, 4] and hours[4][0][1].hour == 12
    qtbot.waitUntil(lambda: window.agenda.staff_combo.count() == 3, timeout=3000)


def test_the_reception_is_named_beside_the_professionals(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    # A practice brought in by an import has professionals only: the receptionist
    # adds herself here, then says she is the one using this computer.
    page = open_settings(qtbot, window)
    page.tabs.setCurrentIndex(2)
    page.reception.setFocus()
    page.reception.setText("Carla (recepção), " + "J" * 41)
    qtbot.mouseClick(page.save_reception, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "longer than 40" in page.reception_error.text(), timeout=3000)
    assert config.get(practice, "team.reception") == ""  # refused: nothing saved
    page.reception.setText("Carla (recepção),  Joana , Carla (recepção)")
    qtbot.mouseClick(page.save_reception, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Reception saved.",
                    timeout=3000)
    assert config.get(practice, "team.reception") == "Carla (recepção),Joana"
    assert page.reception.text() == "Carla (recepção), Joana" and not page.reception_error.text()
    assert [people.described(x) for x in people.offered(practice)][-2:] == [
        "Carla (recepção) — reception", "Joana — reception"]
    # Shown again as stored when the tab is read afresh.
    page.reception.clearFocus()
    page.reception.setText("")
    window.load_catalogue()
    qtbot.waitUntil(lambda: page.reception.text() == "Carla (recepção), Joana", timeout=3000)


@pytest.mark.logs_errors
def test_unexpected_errors_are_logged_and_shown_once(qtbot: QtBot, caplog: pytest.LogCaptureFixture,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "open", lambda self: shown.append(self.text()))
    errors._shown.clear()
    with caplog.at_level(logging.ERROR):
        for _ in range(3):
            try:
                raise ValueError("boom")
            except ValueError as exc:
                errors.report(type(exc), exc, exc.__traceback__)
    assert len(shown) == 1 and "Your data is safe" in shown[0]
    assert sum("unexpected error" in r.message for r in caplog.records) == 3
    assert QApplication.instance() is not None


def test_a_result_for_a_destroyed_page_is_dropped_quietly(qtbot: QtBot,
                                                          window: MainWindow) -> None:
    """Switching language rebuilds the pages while their loads are on the way: a
    result or an error for a receiver destroyed meanwhile reaches nobody, and one
    for a live receiver still arrives."""
    import threading

    from PySide6.QtWidgets import QLineEdit

    class Receiver(QLineEdit):
        def __init__(self) -> None:
            super().__init__()
            self.got: list[object] = []

        def take(self, value: object) -> None:
            self.got.append(value)

    gone, alive = Receiver(), Receiver()
    gone_got = gone.got
    destroyed = threading.Event()
    gone.destroyed.connect(lambda: destroyed.set())

    def late() -> str:
        assert destroyed.wait(5), "the receiver was not destroyed"
        return "late"

    def failing() -> str:
        assert destroyed.wait(5)
        raise ValueError("late failure")

    window.tasks.run(late, gone.take)
    window.tasks.run(failing, gone.take, gone.take)
    gone.deleteLater()
    qtbot.waitUntil(destroyed.is_set, timeout=2000)
    window.tasks.run(lambda: "on time", alive.take)
    qtbot.waitUntil(lambda: not window.tasks._live, timeout=5000)  # all delivered
    assert gone_got == [] and alive.got == ["on time"]




def test_country_currency_and_zone_are_chosen_by_name(qtbot: QtBot, window: MainWindow,
                                                       practice: Practice) -> None:
    """Nobody needs ISO codes or the tz database: names in the app's language, found by
    typing any part of them; the settings keep the codes."""
    from app import i18n

    settings.set_value(practice, "country", "BR")
    settings.set_value(practice, "currency", "BRL")
    settings.set_value(practice, "timezone", "America/Sao_Paulo")
    i18n.set_language("pt_BR")
    try:
        window.build()
        page = open_settings(qtbot, window)
        assert page.country.currentText() == "Brasil"
        assert page.currency.currentText() == "Real brasileiro (R$)"
        assert page.timezone.currentText() == "Brasil · São Paulo (UTC−03:00)"
        for field, typed in ((page.country, "portu"), (page.currency, "euro"),
                             (page.timezone, "lisboa")):
            field.lineEdit().selectAll()
            qtbot.keyClicks(field.lineEdit(), typed)
            popup = field.completer().popup()
            qtbot.waitUntil(popup.isVisible, timeout=2000)
            qtbot.keyClick(popup, Qt.Key.Key_Down)
            qtbot.keyClick(popup, Qt.Key.Key_Return)
        assert page.country.currentText() == "Portugal"
        qtbot.mouseClick(page.save_practice, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: settings.get(practice).country == "PT", timeout=3000)
        saved = settings.get(practice)
        assert (saved.currency, saved.timezone) == ("EUR", "Europe/Lisbon")
        # A name typed that matches nothing is refused by the settings' own words.
        page.country.lineEdit().selectAll()
        qtbot.keyClicks(page.country.lineEdit(), "Atlantida")
        qtbot.mouseClick(page.save_practice, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(page.practice_error.text()), timeout=3000)
        assert settings.get(practice).country == "PT"
    finally:
        i18n.set_language("en")
        window.build()


def test_a_change_made_elsewhere_refills_forms_nobody_is_editing(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    """The set-up assistant (or another computer) renames the professional and the
    practice while Configurações is open: the forms show the new names, so saving them
    does not write the old ones back; a form being typed in is left alone."""
    page = open_settings(qtbot, window)
    page.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: page.st_name.text() == "Professional", timeout=3000)
    staff_id = catalog.list_staff(practice)[0].id
    catalog.rename_staff(practice, staff_id, "Dra. Ana Lima")
    qtbot.waitUntil(lambda: page.st_name.text() == "Dra. Ana Lima", timeout=3000)
    qtbot.mouseClick(page.save_staff, Qt.MouseButton.LeftButton)
    window.tasks.wait()
    assert [s.name for s in catalog.list_staff(practice)] == ["Dra. Ana Lima"]

    settings.set_value(practice, "name", "Clínica Aurora")
    qtbot.waitUntil(lambda: page.name.text() == "Clínica Aurora", timeout=3000)

    page.st_name.clear()
    qtbot.keyClicks(page.st_name, "Dra. Ana L. Souza")
    catalog.rename_staff(practice, staff_id, "Dra. Ana Lima", "#2e7d32")
    qtbot.waitUntil(lambda: any(s.color == "#2e7d32" for s in window.staff), timeout=3000)
    window.tasks.wait()
    assert page.st_name.text() == "Dra. Ana L. Souza"  # what is being typed stays


def test_a_tab_out_of_sight_reads_a_change_again_when_shown(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    from app.services import config

    page = open_settings(qtbot, window)
    page.show_tab("notifications")
    tab = page.notifications
    qtbot.waitUntil(lambda: tab.loaded and tab.defaults[0][0].currentData() is not None,
                    timeout=3000)
    page.tabs.setCurrentIndex(0)
    config.set_values(practice, {"reminders.default": "sms:180"})
    qtbot.waitUntil(lambda: not tab.loaded, timeout=3000)  # heard while out of sight
    page.show_tab("notifications")
    qtbot.waitUntil(lambda: tab.defaults[0][0].currentData() == "sms", timeout=3000)
    assert tab.defaults[0][1].value() == 180


def test_a_working_hours_time_steps_from_the_time_shown(qtbot: QtBot) -> None:
    """The arrow keys on a time step to the half hour after or before the one shown
    (08:00 went to 00:30: the list stayed on its first entry)."""
    from datetime import time

    from PySide6.QtCore import QTime

    from app.ui.hours_grid import TimeField

    field = TimeField(time(8))
    qtbot.addWidget(field)
    field.show()
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_Down)
    assert field.text() == "08:30"
    qtbot.keyClick(field, Qt.Key.Key_Up)
    qtbot.keyClick(field, Qt.Key.Key_Up)
    assert field.text() == "07:30"
    field.setTime(QTime(12, 15))  # between two half hours, as it was kept
    assert field.text() == "12:15"
    qtbot.keyClick(field, Qt.Key.Key_Down)
    assert field.text() == "12:30"


def test_working_hours_are_shown_on_the_language_s_clock(qtbot: QtBot) -> None:
    """English writes 8:00 AM, Portuguese 08:00, as the agenda does; either reads
    what a person types ("9:30 pm", "21h30") and the settings keep HH:MM."""
    from datetime import time

    from app import i18n
    from app.ui.hours_grid import HoursGrid, TimeField

    with i18n.speaking("en"):
        field = TimeField(time(8))
        qtbot.addWidget(field)
        assert field.currentText() == "8:00\u202fAM" and field.itemText(27) == "1:30\u202fPM"
        field.lineEdit().selectAll()
        qtbot.keyClicks(field.lineEdit(), "9:30 pm")
        assert field.text() == "21:30"
        grid = HoursGrid({"mon": "08:00-12:00,13:00-19:00"})
        qtbot.addWidget(grid)
        monday = grid.days[0]
        assert [f.currentText() for f in (monday.start, monday.pause_start, monday.pause_end,
                                          monday.end)] == ["8:00\u202fAM", "12:00\u202fPM",
                                                           "1:00\u202fPM", "7:00\u202fPM"]
        assert grid.hours()["mon"] == "08:00-12:00,13:00-19:00"
    with i18n.speaking("pt_BR"):
        field = TimeField(time(8))
        qtbot.addWidget(field)
        assert field.currentText() == "08:00"
        field.lineEdit().selectAll()
        qtbot.keyClicks(field.lineEdit(), "21h30")
        assert field.text() == "21:30"


def test_a_time_typed_is_never_completed_into_another(qtbot: QtBot) -> None:
    """In English "12:00" typed is noon (the list's first "12:00 AM" was taken), and
    a time typed and left is shown as the language writes it, the arrows stepping
    from it."""
    from datetime import time

    from app import i18n
    from app.ui.hours_grid import TimeField

    with i18n.speaking("en"):
        field = TimeField(time(8))
        qtbot.addWidget(field)
        # Qt's own completion of an editable list made "12:00" typed under X11 its
        # first match, "12:00 AM" (checked with real keys under Xvfb; offscreen
        # typing does not trigger it): the field has none.
        assert field.completer() is None
        field.show()
        field.setFocus()
        for typed, kept, shown in (("12:00", "12:00", "12:00\u202fPM"),
                                   ("12:30", "12:30", "12:30\u202fPM"),
                                   ("21h30", "21:30", "9:30\u202fPM"),
                                   ("10:15", "10:15", "10:15\u202fAM")):
            field.lineEdit().selectAll()
            qtbot.keyClicks(field.lineEdit(), typed)
            assert field.text() == kept, typed
            field.lineEdit().editingFinished.emit()
            assert (field.text(), field.currentText()) == (kept, shown), typed
        qtbot.keyClick(field, Qt.Key.Key_Down)
        assert field.text() == "10:30"
        field.lineEdit().selectAll()
        qtbot.keyClicks(field.lineEdit(), "soon")
        field.lineEdit().editingFinished.emit()
        assert field.currentText() == "soon"  # the settings refuse it, naming it
