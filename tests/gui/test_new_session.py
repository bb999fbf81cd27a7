"""Nova sessão: search a client as you type, conflicts before saving, overriding
with a second click, a weekly series with its conflicting dates, a new client."""

from __future__ import annotations

from PySide6.QtCore import QDate, QPoint, Qt, QTime
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.services import clients, queries
from app.services.practice import Practice
from app.ui.main_window import MainWindow
from app.ui.new_session import NewSessionDialog
from tests.conftest import local


def open_form(qtbot: QtBot, w: MainWindow) -> NewSessionDialog:
    qtbot.mouseClick(w.agenda.new_button, Qt.MouseButton.LeftButton)
    dialog = w.new_session_dialog
    assert isinstance(dialog, NewSessionDialog) and dialog.isVisible()
    return dialog


def pick_client(qtbot: QtBot, dialog: NewSessionDialog, typed: str, name: str) -> None:
    qtbot.keyClicks(dialog.client_search, typed)
    qtbot.waitUntil(lambda: [c.name for c in dialog.matches] == [name], timeout=3000)
    item = dialog.client_list.item(0)
    qtbot.mouseClick(dialog.client_list.viewport(), Qt.MouseButton.LeftButton,
                     pos=dialog.client_list.visualItemRect(item).center())
    assert dialog.client is not None and dialog.client.name == name


def when(dialog: NewSessionDialog, day: QDate, hour: int, minute: int = 0) -> None:
    dialog.date.setDate(day)
    dialog.time.setTime(QTime(hour, minute))


def test_book_for_a_searched_client(qtbot: QtBot, window: MainWindow,
                                    practice: Practice, seeded: dict[str, int]) -> None:
    dialog = open_form(qtbot, window)
    pick_client(qtbot, dialog, "alves", "João Alves")
    assert dialog.phone.text() == "(21) 99876-5432"
    when(dialog, QDate(2026, 11, 24), 9)
    assert dialog.duration.value() == 50
    dialog.notes.setPlainText("Primeira sessão")
    qtbot.waitUntil(lambda: "No conflicts" in dialog.status.text(), timeout=3000)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.created), timeout=3000)
    view = queries.show(practice, dialog.created[0])
    assert (view.client_name, view.start, view.notes) == (
        "João Alves", local("2026-11-24T09:00"), "Primeira sessão")


def test_a_conflict_is_shown_and_overriding_needs_a_second_click(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    dialog = open_form(qtbot, window)
    pick_client(qtbot, dialog, "alves", "João Alves")
    when(dialog, QDate(2026, 11, 23), 10, 30)
    qtbot.waitUntil(lambda: "busy" in dialog.status.text(), timeout=3000)
    assert "Maria Silva" in dialog.status.text()
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert dialog.ok.text() == "Create anyway" and not dialog.created
    assert len(queries.list_appointments(practice)) == 2
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.created), timeout=3000)
    assert queries.show(practice, dialog.created[0]).history[0].changes["override"]


def test_weekly_series_lists_its_conflicts_before_saving(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    dialog = open_form(qtbot, window)
    pick_client(qtbot, dialog, "alves", "João Alves")
    when(dialog, QDate(2026, 11, 23), 10)
    dialog.repeat.setCurrentIndex(dialog.repeat.findData("weekly"))
    dialog.count.setValue(3)
    qtbot.waitUntil(lambda: dialog.occurrence_list.count() == 3, timeout=3000)
    texts = [dialog.occurrence_list.item(i).text() for i in range(3)]
    assert texts[0].startswith("⚠") and "busy" in texts[0]
    assert texts[1].startswith("✓") and texts[2].startswith("✓")
    assert "1 of 3 sessions conflict" in dialog.status.text()
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(dialog.created) == 2, timeout=3000)
    starts = [queries.show(practice, i).start for i in dialog.created]
    assert starts == [local("2026-11-30T10:00"), local("2026-12-07T10:00")]


def test_a_new_client_is_created_with_the_session(qtbot: QtBot, window: MainWindow,
                                                  practice: Practice) -> None:
    dialog = open_form(qtbot, window)
    qtbot.mouseClick(dialog.new_client, Qt.MouseButton.LeftButton,
                     pos=QPoint(8, dialog.new_client.height() // 2))
    qtbot.keyClicks(dialog.name, "Carla Mendes")
    qtbot.keyClicks(dialog.phone, "123")
    when(dialog, QDate(2026, 11, 25), 11)
    # The check says what saving would: the phone, before anyone clicks Create.
    qtbot.waitUntil(lambda: "not a valid phone" in dialog.status.text(), timeout=3000)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.wait(300)
    assert "not a valid phone" in dialog.status.text() and not dialog.created
    assert clients.search(practice, "Carla") == []
    dialog.phone.clear()
    qtbot.keyClicks(dialog.phone, "(11) 91234-5678")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.created), timeout=3000)
    [carla] = clients.search(practice, "Carla")
    assert carla.phone == "+5511912345678"
    assert queries.show(practice, dialog.created[0]).client_id == carla.id


def test_the_whole_form_by_keyboard(qtbot: QtBot, window: MainWindow,
                                    practice: Practice) -> None:
    from PySide6.QtTest import QTest

    QTest.keySequence(window, "Ctrl+N")
    dialog = window.new_session_dialog
    assert isinstance(dialog, NewSessionDialog)
    dialog.client_search.setFocus()
    qtbot.keyClicks(dialog.client_search, "alves")
    qtbot.keyClick(dialog.client_search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.client is not None, timeout=3000)
    assert dialog.client.name == "João Alves"
    when(dialog, QDate(2026, 11, 26), 15)
    qtbot.waitUntil(lambda: "No conflicts" in dialog.status.text(), timeout=3000)
    dialog.ok.setFocus()
    qtbot.keyClick(dialog.ok, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: bool(dialog.created), timeout=3000)
    assert queries.show(practice, dialog.created[0]).start == local("2026-11-26T15:00")


def new_client(qtbot: QtBot, dialog: NewSessionDialog, name: str, phone: str) -> None:
    qtbot.mouseClick(dialog.new_client, Qt.MouseButton.LeftButton,
                     pos=QPoint(8, dialog.new_client.height() // 2))
    qtbot.keyClicks(dialog.name, name)
    qtbot.keyClicks(dialog.phone, phone)


def test_the_check_shown_is_the_check_applied_and_a_refusal_saves_no_client(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    """The handed case: a new client on a Sunday at 23:00 (outside hours)."""
    dialog = open_form(qtbot, window)
    new_client(qtbot, dialog, "Zoe Prado", "(11) 97777-1234")
    when(dialog, QDate(2026, 11, 29), 23)
    qtbot.waitUntil(lambda: "outside" in dialog.status.text(), timeout=3000)
    assert "No conflicts" not in dialog.status.text()
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)  # arms "Create anyway"
    assert dialog.ok.text() == "Create anyway" and clients.search(practice, "Zoe") == []
    when(dialog, QDate(2026, 11, 30), 10)
    qtbot.waitUntil(lambda: "No conflicts" in dialog.status.text(), timeout=3000)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.created), timeout=3000)
    assert [c.name for c in clients.search(practice, "Zoe")] == ["Zoe Prado"]


def test_a_new_client_with_a_known_phone_is_offered_the_existing_record(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    dialog = open_form(qtbot, window)
    new_client(qtbot, dialog, "Maria S.", "11 8765-4321")  # her number, without the ninth digit
    qtbot.waitUntil(lambda: dialog.same_box.isVisible(), timeout=3000)
    assert dialog.same_label.text() == ("Already a client: Maria Silva, (11) 98765-4321 — "
                                        "use this record?")
    qtbot.mouseClick(dialog.use_same, Qt.MouseButton.LeftButton)
    assert dialog.client is not None and dialog.client.id == seeded["maria"]
    assert not dialog.new_client.isChecked()
    when(dialog, QDate(2026, 11, 24), 15)
    qtbot.waitUntil(lambda: "No conflicts" in dialog.status.text(), timeout=3000)
    assert not dialog.same_box.isVisible()
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.created), timeout=3000)
    assert queries.show(practice, dialog.created[0]).client_id == seeded["maria"]
    assert len(clients.search(practice, "Maria")) == 1


def test_a_new_clients_consent_is_asked_with_the_practices_default(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    from app.models.enums import Channel
    from app.services import config, reminders

    config.set_value(practice, "clients.consent", "whatsapp,email")
    config.set_value(practice, "reminders.default", "whatsapp:1440")
    dialog = open_form(qtbot, window)
    assert not dialog.consent_box.isVisible()  # a known client's consent is in their file
    qtbot.mouseClick(dialog.new_client, Qt.MouseButton.LeftButton,
                     pos=QPoint(8, dialog.new_client.height() // 2))
    assert dialog.consent_box.isVisible()
    qtbot.waitUntil(lambda: dialog.consent[Channel.WHATSAPP].isChecked(), timeout=3000)
    assert dialog.consent_note.text() == "(the practice's default: WhatsApp, e-mail)"
    email = dialog.consent[Channel.EMAIL]
    assert not email.isEnabled() and not email.isChecked()  # no address yet
    qtbot.keyClicks(dialog.name, "Carla Mendes")
    qtbot.keyClicks(dialog.phone, "(11) 91234-5678")
    qtbot.keyClicks(dialog.email, "carla@example.com")
    assert email.isEnabled() and email.isChecked()
    qtbot.mouseClick(dialog.consent[Channel.SMS], Qt.MouseButton.LeftButton,
                     pos=QPoint(8, dialog.consent[Channel.SMS].height() // 2))
    when(dialog, QDate(2026, 11, 25), 11)
    qtbot.waitUntil(lambda: "not a valid" not in dialog.status.text() and
                    dialog.status.text() != "Checking…", timeout=3000)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.created), timeout=3000)
    [carla] = clients.search(practice, "Carla")
    assert {k for k, v in carla.consent.items() if v} == {"whatsapp", "email", "sms"}
    # Agreed at booking: the default reminder waits to go, it is not skipped.
    [planned] = reminders.list_for(practice, dialog.created[0])
    assert (planned.channel, planned.state) == ("whatsapp", "pending")


def test_the_default_consent_is_chosen_in_settings(qtbot: QtBot, window: MainWindow,
                                                   practice: Practice) -> None:
    from app.services import config

    window.show_page("settings")
    window.settings_page.show_tab("notifications")
    tab = window.settings_page.notifications
    qtbot.waitUntil(lambda: tab.loaded, timeout=3000)
    tab.consent_default["whatsapp"].setChecked(True)
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: config.get(practice, "clients.consent") == "whatsapp",
                    timeout=3000)


def test_the_everyday_service_is_proposed_not_the_first_in_the_alphabet(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    from tests.conftest import add_service

    add_service(practice, name="Avaliação inicial", duration_minutes=90)
    window.load_catalogue()
    qtbot.waitUntil(lambda: len(window.services) == 2, timeout=3000)
    dialog = open_form(qtbot, window)
    assert dialog.service.currentData() == seeded["therapy"]  # Psicoterapia, made first
    assert dialog.duration.value() == 50
    dialog.reject()


def test_an_empty_new_client_is_not_scolded_before_create(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    dialog = open_form(qtbot, window)
    qtbot.mouseClick(dialog.new_client, Qt.MouseButton.LeftButton,
                     pos=QPoint(8, dialog.new_client.height() // 2))
    qtbot.waitUntil(lambda: "phone number is required" in dialog.status.text(), timeout=3000)
    assert dialog.problem_kind == "muted"  # said quietly: nothing was typed yet
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.problem_kind == "error", timeout=3000)
    assert not dialog.created
    dialog.reject()


def test_details_typed_before_ticking_new_client_are_kept(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    """Typing a name and phone with nobody chosen describes a new client: the box
    ticks itself, and ticking or unticking it never wipes what was typed. Only the
    details of a client chosen from the list are cleared for a new one."""
    dialog = open_form(qtbot, window)
    qtbot.keyClicks(dialog.name, "Carla Mendes")
    assert dialog.new_client.isChecked() and dialog.consent_box.isVisible()
    qtbot.keyClicks(dialog.phone, "(11) 91234-5678")
    click_box = QPoint(8, dialog.new_client.height() // 2)
    qtbot.mouseClick(dialog.new_client, Qt.MouseButton.LeftButton, pos=click_box)  # off
    qtbot.mouseClick(dialog.new_client, Qt.MouseButton.LeftButton, pos=click_box)  # on
    assert (dialog.name.text(), dialog.phone.text()) == ("Carla Mendes", "(11) 91234-5678")
    when(dialog, QDate(2026, 11, 25), 11)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.created), timeout=3000)
    [carla] = clients.search(practice, "Carla")
    assert carla.phone == "+5511912345678"

    dialog = open_form(qtbot, window)
    pick_client(qtbot, dialog, "Maria", "Maria Silva")
    qtbot.mouseClick(dialog.new_client, Qt.MouseButton.LeftButton, pos=click_box)
    assert dialog.client is None and dialog.phone.text() == "" and dialog.email.text() == ""
    dialog.close()


def test_a_new_session_proposes_the_next_time_it_fits(qtbot: QtBot, window: MainWindow,
                                                      practice: Practice) -> None:
    from PySide6.QtTest import QTest

    from app.services import settings

    settings.set_value(practice, "hours", "mon-fri 08:00-12:00,13:00-19:00")
    practice.clock.set(local("2026-11-23T11:10"))  # type: ignore[attr-defined]
    QTest.keySequence(window, "Ctrl+N")
    dialog = window.new_session_dialog
    assert isinstance(dialog, NewSessionDialog)
    # 11:30 would run a 50-minute session into the lunch break: 13:00 is proposed.
    qtbot.waitUntil(lambda: dialog.time.time() == QTime(13, 0), timeout=3000)
    assert dialog.date.date() == QDate(2026, 11, 23)
    pick_client(qtbot, dialog, "alves", "João Alves")
    qtbot.waitUntil(lambda: "No conflicts" in dialog.status.text(), timeout=3000)
    dialog.reject()
    # A time the person chose stays chosen.
    QTest.keySequence(window, "Ctrl+N")
    dialog = window.new_session_dialog
    assert isinstance(dialog, NewSessionDialog)
    when(dialog, QDate(2026, 11, 24), 9)
    qtbot.wait(100)
    window.tasks.wait()
    qtbot.wait(50)
    assert (dialog.date.date(), dialog.time.time()) == (QDate(2026, 11, 24), QTime(9, 0))
    dialog.reject()


def test_a_long_warning_overlaps_nothing_on_a_laptop(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    from app.services import scheduling
    from app.services.scheduling import BookingRequest

    window.resize(1366, 768)
    scheduling.book(practice, BookingRequest(client_id=seeded["joao"],
                                             start=local("2026-11-23T11:00"),
                                             service_id=seeded["therapy"]))
    dialog = open_form(qtbot, window)
    pick_client(qtbot, dialog, "alves", "João Alves")
    when(dialog, QDate(2026, 11, 23), 10, 30)  # Maria before, João himself after
    qtbot.waitUntil(lambda: "busy" in dialog.status.text(), timeout=3000)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)  # and the "click again" words
    qtbot.wait(50)

    def box(widget: QWidget) -> tuple[int, int]:
        top = widget.mapTo(dialog, QPoint(0, 0)).y()
        return top, top + widget.height()

    status, ok = box(dialog.status), box(dialog.ok)
    assert dialog.status.height() >= dialog.status.heightForWidth(dialog.status.width())
    assert box(dialog.repeat)[1] <= status[0] and status[1] <= ok[0], (status, ok)
    assert dialog.height() <= 768
    dialog.reject()


def test_the_form_does_not_jump_when_a_new_client_is_described(
        qtbot: QtBot, window: MainWindow) -> None:
    dialog = open_form(qtbot, window)
    qtbot.wait(50)
    before = {w: w.mapTo(dialog, QPoint(0, 0)) for w in (dialog.name, dialog.phone, dialog.email,
                                                          dialog.date, dialog.service)}
    size = dialog.size()
    qtbot.keyClicks(dialog.name, "Carla")  # ticks Novo cliente: the consent row appears
    assert dialog.new_client.isChecked() and dialog.consent_box.isVisible()
    qtbot.wait(50)
    assert {w: w.mapTo(dialog, QPoint(0, 0)) for w in before} == before
    assert dialog.size() == size
    dialog.close()
