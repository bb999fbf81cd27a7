"""A session's panel: cancel with a reason, reschedule by dialog (a conflict shown
live, overriding takes a second click), complete with price, no-show, and the
actions that do not apply disabled with the reason."""

from __future__ import annotations

from PySide6.QtCore import QDate, QPoint, Qt, QTime
from pytestqt.qtbot import QtBot

from app.services import queries, scheduling
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from app.ui.appointment_panel import AppointmentPanel
from app.ui.dialogs import CancelDialog, CompleteDialog, RescheduleDialog
from app.ui.main_window import MainWindow
from tests.conftest import local
from tests.gui.conftest import status_of


def open_panel(qtbot: QtBot, w: MainWindow, appointment_id: int) -> AppointmentPanel:
    panel = w.open_appointment(appointment_id)
    qtbot.waitUntil(lambda: panel.view is not None, timeout=3000)
    return panel


def test_cancel_needs_a_reason_and_keeps_the_session(qtbot: QtBot, window: MainWindow,
                                                     practice: Practice,
                                                     seeded: dict[str, int]) -> None:
    from app.services import settings

    settings.set_value(practice, "cancel_fee", "80")  # a fee to charge or waive
    panel = open_panel(qtbot, window, seeded["monday"])
    qtbot.mouseClick(panel.buttons[panel_action("CANCEL")], Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert isinstance(dialog, CancelDialog)
    assert not dialog.ok.isEnabled()
    qtbot.keyClicks(dialog.reason, "Cliente com febre")
    assert dialog.ok.isEnabled()
    qtbot.mouseClick(dialog.waive, Qt.MouseButton.LeftButton,
                     pos=QPoint(8, dialog.waive.height() // 2))  # on its round indicator
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(practice, seeded["monday"]) == "cancelled", timeout=3000)
    view = queries.show(practice, seeded["monday"])
    assert (view.cancellation_reason, view.charge_decision) == ("Cliente com febre", "waive")
    qtbot.waitUntil(lambda: panel.status_button.text().startswith("Cancelled"), timeout=3000)
    # Shown, not offered: no arrow and no menu of one greyed item.
    assert "▾" not in panel.status_button.text() and panel.status_button.menu() is None
    assert "Cliente com febre" in panel.history.item(0).text()
    for button in panel.buttons.values():
        assert not button.isEnabled()
        assert "is cancelled" in button.toolTip()
    assert not panel.add_reminder_button.isEnabled()
    assert "no reminder is sent" in panel.add_reminder_button.toolTip()


def panel_action(name: str):  # type: ignore[no-untyped-def]
    from app.models.transitions import Action

    return Action[name]


def test_reschedule_dialog_shows_conflicts_and_suggests_times(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    blocker = scheduling.book(practice, BookingRequest(
        client_id=seeded["joao"], start=local("2026-11-24T15:00"), service_id=seeded["therapy"]))
    panel = open_panel(qtbot, window, seeded["monday"])
    qtbot.mouseClick(panel.buttons[panel_action("RESCHEDULE")], Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert isinstance(dialog, RescheduleDialog)
    dialog.date.setDate(QDate(2026, 11, 24))
    dialog.time.setTime(QTime(15, 30))
    qtbot.waitUntil(lambda: "busy" in dialog.status.text(), timeout=3000)
    assert f"session #{blocker}" in dialog.status.text()
    times = [dialog.suggestions.item(i).text() for i in range(dialog.suggestions.count())]
    assert "3:00 PM".replace(" ", "\u202f") not in times and "8:00\u202fAM" in times
    # First click only warns; the session is untouched.
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert dialog.ok.text() == "Reschedule anyway"
    assert status_of(practice, seeded["monday"]) == "scheduled"
    # Picking a suggested free time clears the conflict.
    item = next(dialog.suggestions.item(i) for i in range(dialog.suggestions.count())
                if dialog.suggestions.item(i).text() == "4:30\u202fPM")
    rect = dialog.suggestions.visualItemRect(item)
    qtbot.mouseClick(dialog.suggestions.viewport(), Qt.MouseButton.LeftButton,
                     pos=rect.center())
    qtbot.waitUntil(lambda: "free" in dialog.status.text(), timeout=3000)
    assert dialog.ok.text() == "Reschedule"
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(practice, seeded["monday"]) == "rescheduled", timeout=3000)
    new = queries.show(practice, seeded["monday"]).rescheduled_to
    assert new is not None and queries.show(practice, new).start == local("2026-11-24T16:30")
    # The window goes with the session to its new time, ready for what comes next.
    qtbot.waitUntil(lambda: panel.appointment_id == new and panel.view is not None
                    and panel.view.id == new, timeout=3000)
    assert panel.buttons[panel_action("CANCEL")].isEnabled()


def test_reschedule_over_a_conflict_takes_a_second_click(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    scheduling.book(practice, BookingRequest(
        client_id=seeded["joao"], start=local("2026-11-24T15:00"), service_id=seeded["therapy"]))
    panel = open_panel(qtbot, window, seeded["monday"])
    qtbot.mouseClick(panel.buttons[panel_action("RESCHEDULE")], Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert isinstance(dialog, RescheduleDialog)
    dialog.date.setDate(QDate(2026, 11, 24))
    dialog.time.setTime(QTime(15, 30))
    qtbot.waitUntil(lambda: "busy" in dialog.status.text(), timeout=3000)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(practice, seeded["monday"]) == "rescheduled", timeout=3000)
    new = queries.show(practice, seeded["monday"]).rescheduled_to
    created = queries.show(practice, new).history[0]
    assert created.changes["override"][0]["rule"] == "staff_busy"


def test_complete_with_price_and_no_show(qtbot: QtBot, window: MainWindow,
                                         practice: Practice, seeded: dict[str, int]) -> None:
    panel = open_panel(qtbot, window, seeded["monday"])
    complete = panel.buttons[panel_action("COMPLETE")]
    assert not complete.isEnabled() and "begun" in complete.toolTip()
    panel.close()
    practice.clock.set(local("2026-11-23T12:00"))  # type: ignore[attr-defined]
    panel = open_panel(qtbot, window, seeded["monday"])
    qtbot.mouseClick(panel.buttons[panel_action("COMPLETE")], Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert isinstance(dialog, CompleteDialog)
    qtbot.keyClicks(dialog.price, "abc")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert "not an amount" in dialog.error.text()
    dialog.price.clear()
    qtbot.keyClicks(dialog.price, "180,00")
    dialog.notes.setPlainText("Boa evolução")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(practice, seeded["monday"]) == "completed", timeout=3000)
    view = queries.show(practice, seeded["monday"])
    assert (view.actual_price_cents, view.internal_notes) == (18000, "Boa evolução")

    other = open_panel(qtbot, window, seeded["today"])
    practice.clock.set(local("2026-11-23T12:00"))  # type: ignore[attr-defined]
    other.reload()
    qtbot.waitUntil(lambda: other.buttons[panel_action("NO_SHOW")].isEnabled(), timeout=3000)
    qtbot.mouseClick(other.buttons[panel_action("NO_SHOW")], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(practice, seeded["today"]) == "no_show", timeout=3000)


def test_tell_the_client_is_offered_only_when_a_channel_can_reach_them(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    """No channel set up: the box cannot be ticked and says why; the history does
    not promise a notice. With SMS set up, the box names the channel it will use."""
    from app.services import config, secrets
    from tests.fakes.twilio import FakeTwilio

    panel = open_panel(qtbot, window, seeded["monday"])
    qtbot.mouseClick(panel.buttons[panel_action("CANCEL")], Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert isinstance(dialog, CancelDialog)
    assert not dialog.notify.isEnabled() and not dialog.notify.isChecked()
    assert dialog.why_not.isVisible()
    # No fee in the practice's policy: nothing to charge or waive, and it says so.
    assert not dialog.charge.isVisible() and not dialog.waive.isVisible()
    assert dialog.no_fee.isVisible() and "no late-cancellation fee" in dialog.no_fee.text()
    assert "has not agreed to messages by e-mail" in dialog.why_not.text()
    assert dialog.why_not.text().startswith("Notices go by e-mail or SMS.")  # not WhatsApp
    assert dialog.notify.toolTip()
    dialog.reject()
    with FakeTwilio() as tw:
        for key, value in {"sms.api_base": tw.url, "sms.account_sid": tw.account.sid,
                           "sms.from": "+15005550006"}.items():
            config.set_value(practice, key, value)
        secrets.store("sms.auth_token", tw.account.token)
        from app.models.enums import Channel
        from app.services import clients

        clients.update(practice, seeded["maria"], grant=[Channel.SMS])
        qtbot.waitUntil(lambda: panel.cancel_route[0] is Channel.SMS, timeout=3000)
        qtbot.mouseClick(panel.buttons[panel_action("CANCEL")], Qt.MouseButton.LeftButton)
        dialog = panel.dialog
        assert isinstance(dialog, CancelDialog)
        assert dialog.notify.isEnabled() and dialog.notify.isChecked()
        assert dialog.notify.text() == "Tell the client by SMS"
        assert not dialog.why_not.isVisible()
        qtbot.keyClicks(dialog.reason, "Viagem")
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: status_of(practice, seeded["monday"]) == "cancelled",
                        timeout=3000)
        qtbot.waitUntil(lambda: panel.history.count() > 0 and
                        "told by SMS" in panel.history.item(0).text(), timeout=3000)


def test_a_reminder_that_will_not_go_says_so_with_the_fix(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    from app.models.enums import Channel
    from app.services import clients

    panel = open_panel(qtbot, window, seeded["monday"])
    panel.tabs.setCurrentIndex(2)
    panel.reminder_channel.setCurrentIndex(panel.reminder_channel.findData("email"))
    qtbot.mouseClick(panel.add_reminder_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.reminder_notice.isVisible(), timeout=3000)
    assert panel.reminder_notice.text().startswith("This reminder will not be sent. Maria "
                                                   "Silva has not agreed to messages by e-mail")
    assert panel.reminder_fix.text() == "Open client file"
    qtbot.mouseClick(panel.reminder_fix, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.clients

    clients.update(practice, seeded["maria"], grant=[Channel.EMAIL])
    panel.reminder_minutes.setValue(120)
    qtbot.mouseClick(panel.add_reminder_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.reminder_notice.text().startswith("Reminder added, but"),
                    timeout=3000)
    assert "E-mail is not set up" in panel.reminder_notice.text()
    assert panel.reminder_fix.text() == "Open Integrations"
    qtbot.waitUntil(lambda: any(
        panel.reminder_table.item(r, 2).text() == "Waiting: will be skipped"
        for r in range(panel.reminder_table.rowCount())), timeout=3000)
    qtbot.mouseClick(panel.reminder_fix, Qt.MouseButton.LeftButton)
    assert window.settings_page.tabs.currentWidget() is window.settings_page.integrations


def test_a_completion_marked_by_mistake_is_undone_the_same_day(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    panel = open_panel(qtbot, window, seeded["today"])
    assert panel.buttons[panel_action("CANCEL")].text() == "Cancel session"
    assert not panel.undo_button.isVisible()
    practice.clock.set(local("2026-11-20T15:00"))  # type: ignore[attr-defined]
    scheduling.complete(practice, seeded["today"])
    qtbot.waitUntil(lambda: panel.undo_button.isVisible(), timeout=3000)
    assert panel.undo_button.text() == "Undo completion" and panel.undo_button.isEnabled()
    qtbot.mouseClick(panel.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(practice, seeded["today"]) == "confirmed", timeout=3000)
    qtbot.waitUntil(lambda: not panel.undo_button.isVisible(), timeout=3000)
    assert "undid the completion" in panel.history.item(0).text()
    scheduling.no_show(practice, seeded["today"])
    qtbot.waitUntil(lambda: panel.undo_button.text() == "Undo no-show", timeout=3000)
    practice.clock.set(local("2026-11-21T09:00"))  # type: ignore[attr-defined]
    panel.reload()
    qtbot.waitUntil(lambda: not panel.undo_button.isEnabled(), timeout=3000)
    assert "on the day it was recorded" in panel.undo_button.toolTip()


def test_a_cancellation_says_who_called_it_off_and_the_practice_is_never_charged(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    """Late notice, a fee in the policy: the client's cancellation can be charged; the
    practice's own never is, and the session says who called it off."""
    from app.services import scheduling, settings
    from app.services.scheduling import BookingRequest
    from tests.conftest import local

    settings.set_value(practice, "cancel_fee", "80")
    soon = [scheduling.book(practice, BookingRequest(
        client_id=seeded["maria"], start=local(f"2026-11-20T{hour}:00"),
        service_id=seeded["therapy"])) for hour in (15, 17)]  # hours away: late notice
    for appointment_id, by_practice in zip(soon, (True, False), strict=True):
        panel = open_panel(qtbot, window, appointment_id)
        qtbot.mouseClick(panel.buttons[panel_action("CANCEL")], Qt.MouseButton.LeftButton)
        dialog = panel.dialog
        assert isinstance(dialog, CancelDialog)
        qtbot.keyClicks(dialog.reason, "Imprevisto")
        assert dialog.by_client.isChecked() and dialog.charge.isEnabled()
        if by_practice:
            qtbot.mouseClick(dialog.by_practice, Qt.MouseButton.LeftButton,
                             pos=QPoint(8, dialog.by_practice.height() // 2))
            assert not dialog.charge.isEnabled() and dialog.practice_pays.isVisible()
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda i=appointment_id: status_of(practice, i) == "cancelled",
                        timeout=3000)
        view = queries.show(practice, appointment_id)
        if by_practice:
            assert (view.cancelled_by, view.cancellation_fee_cents) == ("practice", 0)
            qtbot.waitUntil(lambda p=panel: "by the practice" in
                            p.fields["cancellation"].text(), timeout=3000)
            assert "Called off by the practice" in panel.history.item(0).text()
        else:
            assert (view.cancelled_by, view.cancellation_fee_cents) == ("client", 8000)
            qtbot.waitUntil(lambda p=panel: "Called off by the client." in
                            p.history.item(0).text(), timeout=3000)
        panel.close()


def test_the_session_windows_buttons_keep_their_words_whole(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    """With the undo button beside the four actions (a no-show today), no button is
    squeezed below its own size (the words were cut: "ancelar sessã")."""
    from app.i18n import set_language

    set_language("pt_BR")
    try:
        practice.clock.set(local("2026-11-20T15:00"))  # type: ignore[attr-defined]
        scheduling.no_show(practice, seeded["today"])
        panel = open_panel(qtbot, window, seeded["today"])
        qtbot.waitUntil(lambda: panel.undo_button.isVisible(), timeout=3000)
        panel.resize(400, 600)  # as small as a person can make it
        qtbot.wait(50)
        for button in [*panel.buttons.values(), panel.undo_button]:
            text = button.text().replace("&", "")
            assert button.width() >= button.sizeHint().width(), text
    finally:
        set_language("en")
