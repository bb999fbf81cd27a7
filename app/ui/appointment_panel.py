"""A session's panel: who, what, when, price, source, professional and notes; the
status button (Agendado → Confirmar agendamento); the actions, disabled with the
reason when they do not apply; and the Histórico and Lembretes tabs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import i18n
from app.i18n import _
from app.models.enums import AppointmentStatus as S
from app.models.enums import Channel
from app.models.instants import later_minutes
from app.models.outbox import MessageKind
from app.models.transitions import Action
from app.services import history, queries, reminders, scheduling
from app.services import settings as practice_settings
from app.services.errors import ChangedMeanwhile
from app.services.events import Change
from app.services.queries import AppointmentView
from app.services.reminders import MessageView
from app.services.settings import SettingsView
from app.ui.channel_words import REMINDER_CHANNELS, channel_label
from app.ui.dialogs import CancelDialog, CompleteDialog, RescheduleDialog
from app.ui.lead_time import LeadTime
from app.ui.plain import plain, verbatim
from app.ui.style import STATUS_COLOURS
from app.ui.wheel_guard import ComboBox

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


def message_state_label(state: str) -> str:
    return {"pending": _("Waiting"), "sending": _("Sending"), "sent": _("Sent"),
            "failed": _("Failed"), "skipped": _("Skipped"), "cancelled": _("Cancelled"),
            "unknown": _("Unknown: check")}.get(state, state)


def notice_label(kind: str) -> str:
    return {"confirmation": _("confirmation"), "cancellation": _("cancellation notice"),
            "reschedule": _("new time notice"), "test": _("test")}.get(kind, kind)


# What the panel reads off the GUI thread: the session, the practice's policy, its
# messages, how a cancellation notice would reach the client, and why today's
# outcome cannot be undone (None when it can, or when there is none).
Loaded = tuple[AppointmentView, SettingsView, list[MessageView], tuple[Channel | None, str],
               str | None]


class AppointmentPanel(QDialog):
    def __init__(self, window: MainWindow, appointment_id: int) -> None:
        super().__init__(window)
        self.window_ = window
        self.appointment_id = appointment_id
        self.view: AppointmentView | None = None
        self.policy: SettingsView | None = None
        self.cancel_route: tuple[Channel | None, str] = (None, "")
        self.dialog: QDialog | None = None  # the open action dialog, if any
        self._pending: list[str] = []
        self.setWindowTitle(_("Session"))
        # No fixed minimum width: the layout's own (its row of actions, with the undo
        # button when shown) keeps every button's word whole.
        self.setMinimumHeight(600)
        self.resize(660, 680)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)

        head = QHBoxLayout()
        self.title = plain(QLabel())  # the client's name
        self.title.setObjectName("pageTitle")
        self.title.setWordWrap(True)
        head.addWidget(self.title, 1)
        self.status_button = QToolButton()
        self.status_button.setObjectName("status")
        self.status_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.status_button)
        self.confirm_action = QAction(_("Confirm appointment"), self)
        self.confirm_action.triggered.connect(self.confirm)
        menu.addAction(self.confirm_action)
        # A confirmation recorded by mistake goes back to Agendado.
        self.unconfirm_action = QAction(_("Undo confirmation"), self)
        self.unconfirm_action.triggered.connect(self.unconfirm)
        menu.addAction(self.unconfirm_action)
        menu.setToolTipsVisible(True)  # a disabled entry says why
        self.status_menu = menu
        self.status_button.setMenu(menu)
        head.addWidget(self.status_button)
        layout.addLayout(head)

        self.subtitle = plain(QLabel())
        self.subtitle.setObjectName("muted")
        layout.addWidget(self.subtitle)

        actions = QHBoxLayout()
        self.buttons: dict[Action, QPushButton] = {}
        for action, text, handler in (
            # Not "Cancel": that word closes dialogs; this one cancels the session.
            (Action.CANCEL, _("Cancel session"), self.cancel),
            (Action.RESCHEDULE, _("Reschedule"), self.reschedule),
            (Action.COMPLETE, _("Complete"), self.complete),
            (Action.NO_SHOW, _("No-show"), self.no_show),
        ):
            button = QPushButton(text)
            button.clicked.connect(handler)
            actions.addWidget(button)
            self.buttons[action] = button
        # A completion or no-show marked by mistake, undone the same day.
        self.undo_button = QPushButton()
        self.undo_button.clicked.connect(self.undo)
        self.undo_button.hide()
        actions.addWidget(self.undo_button)
        actions.addStretch(1)
        layout.addLayout(actions)
        # Why the actions are off, where it is read (not only on hover).
        self.state_note = plain(QLabel())
        self.state_note.setObjectName("muted")
        self.state_note.setWordWrap(True)
        self.state_note.hide()
        layout.addWidget(self.state_note)

        self.error = plain(QLabel())
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)

        details = QWidget()
        self.form = QFormLayout(details)
        self.fields: dict[str, QLabel] = {}
        for key, label in (("client", _("Client")), ("contact", _("Contact")),
                           ("service", _("Service")), ("when", _("When")),
                           ("duration", _("Duration")), ("price", _("Price")),
                           ("staff", _("Professional")), ("source", _("Origin")),
                           ("notes", _("Notes")), ("internal", _("Internal notes")),
                           ("cancellation", _("Cancellation")), ("link", _("Rescheduling"))):
            value = QLabel()
            value.setWordWrap(True)
            # Names, notes and the client's reason are shown as typed; only the
            # app's own links between sessions (ids, never outside text) are rich.
            value.setTextFormat(Qt.TextFormat.RichText if key == "link" else
                                Qt.TextFormat.PlainText)
            value.setOpenExternalLinks(False)
            value.linkActivated.connect(lambda href: self.follow(int(href)))
            self.form.addRow(label, value)
            self.fields[key] = value
        self.tabs = QTabWidget()
        self.tabs.addTab(details, _("Details"))
        self.history = QListWidget()
        self.history.setObjectName("list")
        self.history.setWordWrap(True)
        self.tabs.addTab(self.history, _("History"))
        self.tabs.addTab(self._reminders_tab(), _("Reminders"))
        layout.addWidget(self.tabs, 1)

        window.bridge.changed.connect(self._on_change)
        self.reload()

    def _reminders_tab(self) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        self.reminder_table = QTableWidget(0, 5)
        self.reminder_table.setHorizontalHeaderLabels(
            [_("Send at"), _("Channel"), _("State"), _("Attempts"), _("Details")])
        self.reminder_table.verticalHeader().hide()
        self.reminder_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.reminder_table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        header = self.reminder_table.horizontalHeader()
        for column in range(4):  # short values sized to fit; the details take the rest
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.reminder_table.setWordWrap(True)  # why a message will not go, read whole
        header.sectionResized.connect(lambda *_a: self.reminder_table.resizeRowsToContents())
        self.reminder_table.itemSelectionChanged.connect(self._reminder_selection)
        col.addWidget(self.reminder_table, 1)
        row = QHBoxLayout()
        self.reminder_channel = ComboBox()
        for channel in REMINDER_CHANNELS:
            self.reminder_channel.addItem(channel_label(channel), channel)
        self.reminder_minutes = LeadTime()  # a day before, to begin with
        self.reminder_text = QLineEdit()
        self.reminder_text.setPlaceholderText(_("Own text (optional)"))
        self.add_reminder_button = QPushButton(_("Add reminder"))
        self.add_reminder_button.clicked.connect(self.add_reminder)
        self.remove_reminder_button = QPushButton(_("Remove"))
        self.remove_reminder_button.clicked.connect(self.remove_reminder)
        # The own text gets a line's width; the buttons sit beneath, at the right.
        for w in (self.reminder_channel, self.reminder_minutes):
            row.addWidget(w)
        row.addWidget(self.reminder_text, 1)
        col.addLayout(row)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.add_reminder_button)
        buttons.addWidget(self.remove_reminder_button)
        col.addLayout(buttons)
        # What happens to the reminder just added, when it is not simply "it will go".
        notice_row = QHBoxLayout()
        self.reminder_notice = plain(QLabel())
        self.reminder_notice.setObjectName("warning")
        self.reminder_notice.setWordWrap(True)
        notice_row.addWidget(self.reminder_notice, 1)
        self.reminder_fix = QPushButton()
        self.reminder_fix.clicked.connect(self._fix_reminder)
        notice_row.addWidget(self.reminder_fix)
        col.addLayout(notice_row)
        self.reminder_notice.hide()
        self.reminder_fix.hide()
        self._fix: str | None = None
        self._notice_for: int | None = None  # the reminder the warning is about
        self.reminder_rows: list[MessageView] = []
        self._reminder_selection()
        return page

    # ------------------------------------------------------------ data

    def reload(self) -> None:
        p, appointment_id = self.window_.practice, self.appointment_id

        def load() -> Loaded:
            view = queries.show(p, appointment_id)
            return (view, practice_settings.get(p), reminders.list_for(p, appointment_id),
                    reminders.notice_route_for(p, appointment_id, MessageKind.CANCELLATION),
                    scheduling.undo_blocked(p, appointment_id)
                    if view.status in scheduling.OUTCOMES else None)

        self.window_.tasks.run(load, self._loaded, self._show_error)

    def _on_change(self, change: Change) -> None:
        if self.appointment_id in change.appointments or change.settings:
            self.reload()

    def _loaded(self, result: Loaded) -> None:
        view, policy, messages, cancel_route, undo_blocked = result
        if view.id != self.appointment_id:
            return  # a load begun before the window went to another session (a move)
        self.cancel_route = cancel_route
        self.view, self.policy = view, policy
        self.undo_button.setVisible(view.status in scheduling.OUTCOMES)
        self.undo_button.setText(_("Undo no-show") if view.status is S.NO_SHOW
                                 else _("Undo completion"))
        self.undo_button.setEnabled(undo_blocked is None)
        self.undo_button.setToolTip(undo_blocked or _(
            "Back to the status it had before; the history keeps both."))
        self._show_reminders(messages)
        zone = self.window_.zone
        start = view.start.astimezone(zone)
        self.title.setText(view.client_name)
        self.subtitle.setText(f"{view.service_name} · {i18n.format_date(start.date(), 'full')}"
                              f" · {i18n.format_time(start)}–{i18n.format_time(view.end)}")
        label = scheduling.status_text(view.status, view.cancel_requested)
        self.status_button.setText(("✓ " if view.status is S.CONFIRMED else "") + label + "  ▾")
        self.status_button.setToolTip(_("Change the status"))
        self.status_button.setStyleSheet(
            f"QToolButton#status {{ background: {STATUS_COLOURS[view.status]}; }}")
        self.status_button.setAccessibleName(label)
        refusal = reminders.reminder_refusal(view.id, view.status, view.start,
                                             self.window_.practice.clock.now())
        self.add_reminder_button.setEnabled(refusal is None)
        self.add_reminder_button.setToolTip(refusal or "")
        reason = self._reason(Action.CONFIRM)
        self.confirm_action.setEnabled(reason is None)
        self.confirm_action.setToolTip(reason or "")
        self.confirm_action.setVisible(view.status is not S.CONFIRMED)
        back = scheduling.unconfirm_blocked(self.window_.practice, view.status, view.start)
        self.unconfirm_action.setVisible(view.status is S.CONFIRMED)
        self.unconfirm_action.setEnabled(back is None)
        self.unconfirm_action.setToolTip(back or _(
            "Back to Scheduled, to be confirmed later; the history keeps both."))
        # A status nothing can change from here (cancelled, moved, done) is shown, not
        # offered: no arrow, no menu holding one greyed item.
        live = view.status in (S.SCHEDULED, S.CONFIRMED)
        self.status_button.setMenu(self.status_menu if live else None)
        self.status_button.setText(("✓ " if view.status is S.CONFIRMED else "") + label +
                                   ("  ▾" if live else ""))
        self.status_button.setToolTip(_("Change the status") if live else
                                      (self._state_note(view) or label))
        note = self._state_note(view)
        for action, button in self.buttons.items():
            reason = self._reason(action)
            button.setEnabled(reason is None)
            button.setToolTip(" ".join(x for x in (note, reason) if x) if reason else "")
        self.state_note.setText(note)
        self.state_note.setVisible(bool(note))
        f = self.fields
        f["client"].setText(view.client_name)
        f["contact"].setText(" · ".join(x for x in (self.window_.phone(view.client_phone),
                                                    view.client_email) if x) or "—")
        f["service"].setText(view.service_name)
        f["when"].setText(f"{i18n.format_date(start.date(), 'medium')}, "
                          f"{i18n.format_time(start)} – {i18n.format_time(view.end)}")
        f["duration"].setText(_("{minutes} min").format(minutes=view.duration_minutes))
        price = i18n.format_money(view.quoted_price_cents, policy.currency)
        if view.actual_price_cents is not None:
            price = _("{actual} (quoted {quoted})").format(
                actual=i18n.format_money(view.actual_price_cents, policy.currency), quoted=price)
        f["price"].setText(price)
        f["staff"].setText(view.staff_name)
        f["source"].setText(scheduling.source_label(view.source))
        f["notes"].setText(view.notes or "—")
        # Withheld by the services for this person: said, not shown as empty.
        f["internal"].setText(_("Visible only to the professional")
                              if view.internal_notes_withheld else view.internal_notes or "—")
        cancellation = "—"
        if view.cancellation_reason:
            cancellation = f"“{view.cancellation_reason}”"
            who = {"client": _("by the client"), "practice": _("by the practice")}.get(
                view.cancelled_by or "")
            if who:
                cancellation += " · " + who
            if view.cancellation_fee_cents:
                cancellation += " · " + _("fee {fee}").format(
                    fee=i18n.format_money(view.cancellation_fee_cents, policy.currency))
        f["cancellation"].setText(cancellation)
        links = []
        if view.rescheduled_from:
            links.append(_("Moved from <a href='{id}'>session #{id}</a>").format(
                id=view.rescheduled_from))
        if view.rescheduled_to:
            links.append(_("Moved to <a href='{id}'>session #{id}</a>").format(
                id=view.rescheduled_to))
        f["link"].setText(" · ".join(links) or "—")
        self.history.clear()
        for entry in reversed(history.readable(view.history)):
            at = i18n.format_datetime(entry.at.astimezone(zone))
            self.history.addItem(f"{at} — {history.sentence(entry, zone, policy.currency)}")
        pending, self._pending = self._pending, []
        for method in pending:
            getattr(self, method)()

    def _state_note(self, view: AppointmentView) -> str:
        """What a session that is over, moved or called off still allows, in a sentence."""
        if view.status is S.CANCELLED:
            return _("This session was cancelled; it stays in the history. To see the "
                     "client again, book a new session.")
        if view.status is S.RESCHEDULED:
            return _("This session was moved to session #{id}; make any change there.").format(
                id=view.rescheduled_to) if view.rescheduled_to else \
                _("This session was moved; make any change on the new one.")
        if view.status in scheduling.OUTCOMES:
            return _("Its outcome is recorded, so it can no longer be confirmed, cancelled or "
                     "moved.")
        return ""

    def _show_reminders(self, messages: list[MessageView]) -> None:
        # The same reminder stays selected across refreshes, or none is.
        chosen = self._chosen_reminder()
        self.reminder_rows = messages
        table = self.reminder_table
        table.blockSignals(True)
        table.clearSelection()
        table.setRowCount(len(messages))
        for r, m in enumerate(messages):
            what = channel_label(m.channel)
            if m.kind != "reminder":
                what += " · " + notice_label(m.kind)
            details = m.blocked or m.last_error or m.outcome or (m.provider_message_id or "")
            if m.custom_text:  # the person's own words, as they will go
                own = _("Own text: “{text}”").format(text=" ".join(m.custom_text.split()))
                details = f"{details}\n{own}" if details else own
            state = _("Waiting: will be skipped") if m.blocked else message_state_label(m.state)
            for c, text in enumerate((i18n.format_datetime(m.due_at), what,
                                      state, str(m.attempts), details)):
                item = QTableWidgetItem(text)
                if c == 4:  # what the provider said, in full
                    item.setToolTip(verbatim(text))
                table.setItem(r, c, item)
        # Attempts say something only once a message was tried again.
        table.setColumnHidden(3, all(m.attempts <= 1 for m in messages))
        table.resizeRowsToContents()
        row = next((r for r, m in enumerate(messages) if chosen is not None and m.id == chosen),
                   None)
        if row is None:
            table.setCurrentItem(None)
        else:
            table.selectRow(row)
        table.blockSignals(False)
        self._reminder_selection()
        # The warning about a reminder goes with it (removed, or no longer blocked).
        said = next((m for m in messages if m.id == self._notice_for), None)
        if self._notice_for is not None and (
                said is None or said.state != "pending" or not said.blocked):
            self._hide_notice()

    def _chosen_reminder(self) -> int | None:
        rows = self.reminder_table.selectionModel().selectedRows()
        if not rows or not 0 <= rows[0].row() < len(self.reminder_rows):
            return None
        return self.reminder_rows[rows[0].row()].id

    def _reminder_selection(self) -> None:
        """Remove acts on the selected reminder, and says why when it cannot."""
        chosen = next((m for m in self.reminder_rows if m.id == self._chosen_reminder()), None)
        why = _("Select a reminder to remove it.") if chosen is None else \
            _("Only a reminder still waiting can be removed.") \
            if chosen.kind != "reminder" or chosen.state != "pending" else None
        self.remove_reminder_button.setEnabled(why is None)
        self.remove_reminder_button.setToolTip(why or "")

    def _hide_notice(self) -> None:
        self._notice_for = None
        self.reminder_notice.hide()
        self.reminder_fix.hide()

    def add_reminder(self) -> None:
        p, i = self.window_.practice, self.appointment_id
        channel = Channel(self.reminder_channel.currentData())
        minutes, text = self.reminder_minutes.value(), self.reminder_text.text()
        self.error.hide()
        self.window_.tasks.run(lambda: reminders.add(p, i, channel, minutes, text),
                               self._reminder_added, self._show_error)
        self.reminder_text.clear()

    def _reminder_added(self, m: MessageView) -> None:
        """"Added" only for a reminder that will go; otherwise why not, and the fix."""
        if m.state == "skipped":
            # The reason is a sentence of its own (it begins with a capital).
            said = _("This reminder will not be sent. {reason}").format(reason=m.last_error)
        elif m.blocked:
            said = _("Reminder added, but it will be skipped unless this is fixed before it "
                     "is due. {reason}").format(reason=m.blocked)
        else:
            self._hide_notice()
            late = m.minutes_before is not None and self.view is not None and \
                m.due_at < later_minutes(self.view.start, -m.minutes_before)
            self.window_.say(_("Reminder added: its time had passed, so it goes now.") if late
                             else _("Reminder added."))
            return
        self.reminder_notice.setText(said)
        self.reminder_notice.show()
        self._notice_for = m.id if m.state == "pending" else None
        self._fix = m.fix
        fix_text = {"client": _("Open client file"), "integrations": _("Open Integrations"),
                    "notifications": _("Open Client notifications")}.get(m.fix or "")
        self.reminder_fix.setText(fix_text or "")
        self.reminder_fix.setVisible(fix_text is not None)
        self.window_.say(said)

    def _fix_reminder(self) -> None:
        if self._fix == "client":
            if not self._ready():
                return
            assert self.view is not None and self.policy is not None
            self.window_.open_client(self.view.client_id)
        elif self._fix:
            self.window_.show_settings(self._fix)

    def remove_reminder(self) -> None:
        message_id = self._chosen_reminder()
        if message_id is None:
            return
        p = self.window_.practice
        self._run(lambda: reminders.remove(p, message_id), _("Reminder removed."))

    def _ready(self) -> bool:
        """An action works on the session as it is now: while it is (re)read — or
        could not be, the practice's server away — the action waits and says so."""
        if self.view is not None and self.policy is not None:
            return True
        self.window_.say(_("The session is still being read; try again in a moment."))
        self.reload()
        return False

    def when_ready(self, method: str) -> None:
        """Run one of the actions as soon as the session is loaded."""
        if self.view is not None:
            getattr(self, method)()
        else:
            self._pending.append(method)

    def _reason(self, action: Action) -> str | None:
        assert self.view is not None
        return scheduling.blocked_reason(self.window_.practice, self.view.status, self.view.start,
                                         action, self.view.id,
                                         cancel_requested=self.view.cancel_requested)

    # ------------------------------------------------------------ actions

    def _run(self, work: Callable[[], Any], done_message: str | None) -> None:
        """done_message None: the work's result is the sentence to say."""
        self.error.hide()

        def done(result: Any) -> None:
            self.window_.say(str(result) if done_message is None else done_message)

        self.window_.tasks.run(work, done, self._show_error)

    def _show_error(self, exc: Exception) -> None:
        self.error.setText(str(exc))
        self.error.show()
        self.window_.show_error(exc)
        if isinstance(exc, ChangedMeanwhile):  # the session as it is now; nothing kept
            self.reload()

    def confirm(self) -> None:
        p, i = self.window_.practice, self.appointment_id
        self._run(lambda: scheduling.confirm(p, i), None)

    def unconfirm(self) -> None:
        p, i = self.window_.practice, self.appointment_id
        self._run(lambda: scheduling.unconfirm(p, i), _("The session is scheduled again."))

    def follow(self, appointment_id: int) -> None:
        """A link to another session (moved from, moved to): this window shows it, or
        the window already showing it comes to the front; windows do not pile up."""
        panels = self.window_.panels
        other = panels.get(appointment_id)
        if other is not None and other is not self and other.isVisible():
            other.raise_()
            other.activateWindow()
            return
        self.window_.forget_panel(self)
        panels[appointment_id] = self
        self.appointment_id, self.view = appointment_id, None
        self._hide_notice()
        self.error.hide()
        self.reload()

    def undo(self) -> None:
        p, i = self.window_.practice, self.appointment_id
        self._run(lambda: scheduling.undo_outcome(p, i), _("Undone."))

    def no_show(self) -> None:
        p, i = self.window_.practice, self.appointment_id
        self._run(lambda: scheduling.no_show(p, i), _("Recorded as a no-show."))

    def cancel(self) -> None:
        if not self._ready():
            return
        assert self.view is not None and self.policy is not None
        dialog = CancelDialog(self.view, self.policy, self.window_.practice.clock.now(), self,
                              self.cancel_route)
        p, i = self.window_.practice, self.appointment_id

        def accepted() -> None:
            reason, notify = dialog.reason.text(), dialog.notify.isChecked()
            decision, scope, by = dialog.decision, dialog.scope, dialog.by
            self._run(lambda: scheduling.cancel(p, i, reason=reason, notify=notify,
                                                charge=decision, scope=scope, by=by),
                      _("Session cancelled."))

        self._open(dialog, accepted)

    def complete(self) -> None:
        if not self._ready():
            return
        assert self.view is not None and self.policy is not None
        dialog = CompleteDialog(self.view, self.policy.currency, self)
        # The form is filled from the session as it is now: a change made elsewhere
        # before Concluir is refused (ChangedMeanwhile), never written over.
        p, i, version = self.window_.practice, self.appointment_id, self.view.version

        def accepted() -> None:
            price, notes = dialog.price_cents, dialog.notes_text()
            self._run(lambda: scheduling.complete(p, i, actual_price_cents=price,
                                                  internal_notes=notes,
                                                  expected_version=version),
                      _("Session completed."))

        self._open(dialog, accepted)

    def reschedule(self) -> None:
        if not self._ready():
            return
        assert self.view is not None and self.policy is not None
        dialog = RescheduleDialog(self.window_, self.view, self)
        p, i, version = self.window_.practice, self.appointment_id, self.view.version

        def accepted() -> None:
            start, staff, scope, override = dialog.start(), dialog.staff_id(), dialog.scope, \
                dialog.override
            said = _("Session rescheduled to {when}.").format(when=i18n.format_datetime(start))

            def moved(mapping: dict[int, int]) -> None:
                self.window_.say(said)
                if mapping.get(i):  # the window goes with the session to its new time
                    self.follow(mapping[i])

            self.error.hide()
            self.window_.tasks.run(
                lambda: scheduling.reschedule(p, i, start, staff_id=staff, scope=scope,
                                              override=override, expected_version=version),
                moved, self._show_error)

        self._open(dialog, accepted)

    def _open(self, dialog: QDialog, accepted: Callable[[], None]) -> None:
        self.dialog = dialog
        dialog.accepted.connect(accepted)
        dialog.open()
