"""A psychologist opens Practice Desk on an empty database: the assistant takes
them from nothing to a practice ready to book, or steps aside; afterwards the
agenda says how to book, and every change is recorded in their name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QSettings, Qt, QTime, QTimer
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from app.services import catalog, config, first_run, queries, scheduling, settings
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from app.ui.first_run_wizard import FirstRunWizard
from app.ui.main_window import MainWindow
from tests.conftest import add_client, local


@pytest.fixture
def empty_window(qtbot: QtBot, practice: Practice) -> Iterator[MainWindow]:
    QSettings().setValue("window/page", "agenda")
    QSettings().setValue("agenda/view", "week")
    w = MainWindow(practice, settings.get(practice).zone)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    yield w
    w.tasks.wait()


def open_assistant(qtbot: QtBot, w: MainWindow) -> FirstRunWizard:
    assert first_run.needed(w.practice)
    w.open_first_run()
    qtbot.waitUntil(lambda: w.first_run is not None and w.first_run.isVisible(), timeout=3000)
    return w.first_run


def next_page(qtbot: QtBot, wizard: FirstRunWizard) -> None:
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)


def test_from_an_empty_database_to_a_practice_ready_to_book(
        qtbot: QtBot, empty_window: MainWindow, practice: Practice) -> None:
    w = empty_window
    qtbot.waitUntil(lambda: w.agenda.empty_hint.isVisible(), timeout=3000)
    assert "Double-click a free time" in w.agenda.empty_hint.text()
    wizard = open_assistant(qtbot, w)
    # 1. The practice.
    wizard.name.clear()
    qtbot.keyClicks(wizard.name, "Consultorio Bem-Estar")
    assert wizard.currentPage().subTitle().startswith("Its name signs every reminder")
    next_page(qtbot, wizard)
    # 2. The people: the default professional renamed, a second one, a receptionist.
    first = wizard.professionals.edits[0]
    first.clear()
    qtbot.keyClicks(first, "Dra. Ana Souza")
    qtbot.mouseClick(wizard.professionals.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(wizard.professionals.edits[1], "Dr. Bruno Reis")
    qtbot.keyClicks(wizard.reception.edits[0], "Carla")
    next_page(qtbot, wizard)
    # 3. Hours as a grid: Monday with a lunch break, Saturday closed.
    monday, saturday = wizard.days[0], wizard.days[5]
    monday.start.setTime(QTime(9, 0))
    qtbot.mouseClick(monday.pause, Qt.MouseButton.LeftButton)
    assert monday.pause_start.isEnabled()
    assert not saturday.open.isChecked() and not saturday.start.isEnabled()
    next_page(qtbot, wizard)
    # 4. Services: 50 minutes proposed.
    name, minutes, price = wizard.service_rows[0]
    assert minutes.value() == 50
    name.clear()
    qtbot.keyClicks(name, "Psicoterapia individual")
    price.clear()
    qtbot.keyClicks(price, "200")
    next_page(qtbot, wizard)
    # 5. Reminders: a day before by WhatsApp, two hours before by e-mail.
    assert [(c.currentData(), lead.value()) for c, lead in wizard.reminders][:2] == [
        ("whatsapp", 1440), ("email", 120)]
    next_page(qtbot, wizard)
    # 6. This computer: each person offered with their role.
    assert [wizard.user.itemText(i) for i in range(wizard.user.count())] == [
        "Dra. Ana Souza — professional", "Dr. Bruno Reis — professional",
        "Carla — reception"]
    wizard.user.setCurrentIndex(2)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=3000)

    view = settings.get(practice)
    assert view.name == "Consultorio Bem-Estar"
    assert view.hours["mon"] == "09:00-12:00,13:00-19:00" and view.hours["sat"] == "closed"
    assert [s.name for s in catalog.list_staff(practice)] == ["Dra. Ana Souza",
                                                              "Dr. Bruno Reis"]
    [service] = catalog.list_services(practice)
    assert (service.name, service.duration_minutes, service.price_cents) == (
        "Psicoterapia individual", 50, 20000)
    assert config.get(practice, "reminders.default") == "whatsapp:1440,email:120"
    assert not first_run.needed(practice)
    # Who is acting: the receptionist, on this computer, in the history.
    qtbot.waitUntil(lambda: w.user_label.text() == "Using: Carla — reception", timeout=3000)
    assert w.practice.person is not None and w.practice.person.role == "reception"
    client = add_client(w.practice)
    booked = scheduling.book(w.practice, BookingRequest(
        client_id=client, start=local("2026-11-20T15:00"), service_id=service.id))
    assert queries.show(practice, booked).history[0].actor == "Carla"
    w.show_page("agenda")  # the week now has a session: the hint steps aside
    qtbot.waitUntil(lambda: not w.agenda.empty_hint.isVisible(), timeout=3000)


def test_a_wrong_answer_keeps_the_assistant_open_and_saves_nothing(
        qtbot: QtBot, empty_window: MainWindow, practice: Practice) -> None:
    wizard = open_assistant(qtbot, empty_window)
    next_page(qtbot, wizard)
    wizard.professionals.edits[0].clear()  # nobody: said here, before the next step
    next_page(qtbot, wizard)
    assert wizard.currentPage() is wizard.people_page
    assert wizard.people_error.text() == "Add at least one professional."
    qtbot.keyClicks(wizard.professionals.edits[0], "Dra. Ana")
    for _page in range(2):
        next_page(qtbot, wizard)
    wizard.service_rows[0][2].setText("duzentos")
    next_page(qtbot, wizard)  # the price is said wrong on its own page
    assert wizard.currentPage() is wizard.services_page
    assert "not an amount" in wizard.services_error.text()
    assert catalog.list_services(practice) == [] and first_run.needed(practice)
    wizard.service_rows[0][2].setText("180,50")
    for _page in range(2):
        next_page(qtbot, wizard)
    wizard.name.setText("")  # and no name: the service says which answer is missing
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "needs a name" in wizard.error.text(), timeout=3000)
    assert catalog.list_services(practice) == []


def test_skipping_is_remembered_and_settings_open_it_again(
        qtbot: QtBot, empty_window: MainWindow, practice: Practice) -> None:
    w = empty_window
    wizard = open_assistant(qtbot, w)
    assert wizard.button(QWizard.WizardButton.CancelButton).text() == "Skip for now"
    wizard.reject()
    qtbot.waitUntil(lambda: not first_run.needed(practice), timeout=3000)
    w.show_page("settings")
    qtbot.mouseClick(w.settings_page.assistant_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.first_run is not wizard and w.first_run.isVisible(),
                    timeout=3000)
    w.first_run.reject()


def test_who_uses_this_computer_belongs_to_the_practices_folder(
        qtbot: QtBot, empty_window: MainWindow, practice: Practice, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from app.services.practice import open_practice
    from app.ui.first_run_wizard import stored_user

    empty_window.set_user("Dra. Ana Souza")
    assert stored_user(practice) == "Dra. Ana Souza"
    other = open_practice(tmp_path / "demo", clock=practice.clock, logging_on=False)
    try:
        assert stored_user(other) == ""  # the demo does not inherit Ana
    finally:
        other.close()


def test_a_practice_with_data_asks_once_who_uses_this_computer(
        qtbot: QtBot, empty_window: MainWindow, practice: Practice) -> None:
    """A practice that needs no set-up (the demo, a copy from another computer) still
    asks who is here, once, offering the practice's people and not the login."""
    from PySide6.QtWidgets import QApplication, QComboBox, QInputDialog

    from app.ui.first_run_wizard import stored_user

    first_run.skip(practice)
    catalog.add_staff(practice, name="Dra. Ana Souza")
    asked: list[list[str]] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QInputDialog)
        combo = dialog.findChild(QComboBox)
        asked.append([combo.itemText(i) for i in range(combo.count())])
        combo.setCurrentIndex(asked[0].index("Dra. Ana Souza — professional"))
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: not first_run.needed(practice), timeout=3000)
    QTimer.singleShot(300, answer)
    empty_window.start()
    qtbot.waitUntil(lambda: stored_user(practice) == "Dra. Ana Souza", timeout=5000)
    # Not the login ("Dra. Ana"), nor the stand-in a new database names its first
    # professional: the people of the practice.
    assert asked[0] == ["Dra. Ana Souza — professional"]
    assert empty_window.practice.actor == "Dra. Ana Souza"
    assert "Dra. Ana Souza" in empty_window.user_label.text()
    asked.clear()
    empty_window.start()  # opened again: not asked again
    empty_window.tasks.wait()
    qtbot.wait(400)
    assert asked == [] and QApplication.activeModalWidget() is None


def test_the_first_professional_is_asked_for_not_named_by_the_app(
        qtbot: QtBot, empty_window: MainWindow) -> None:
    """A new database's stand-in professional is offered as an empty name with its
    example, so a hurried Next does not keep a professional called "Professional"."""
    wizard = open_assistant(qtbot, empty_window)
    assert wizard.professionals.names() == [""]
    assert wizard.professionals.edits[0].placeholderText()
    wizard.done(0)
