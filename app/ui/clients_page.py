"""Clientes: a searchable list (name, phone, e-mail, next session, no-show rate) and
the Ficha do Cliente with its Dados, Sessões and Histórico tabs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import i18n
from app.i18n import _, ngettext
from app.models.enums import AppointmentStatus as S
from app.models.enums import Channel
from app.services import client_data, clients, queries, scheduling
from app.services.clients import ClientStats, ClientView
from app.services.errors import ChangedMeanwhile
from app.services.events import Change
from app.services.queries import AppointmentView
from app.ui import file_chooser
from app.ui.channel_words import REMINDER_CHANNELS, channel_label
from app.ui.client_models import ID_ROLE, DirectoryModel, SessionsModel
from app.ui.form_version import FormVersion
from app.ui.plain import plain, verbatim
from app.ui.steady_header import SteadyHeader
from app.ui.text_cells import TextCellDelegate, TextTable
from app.ui.wheel_guard import ComboBox

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

LISTED = 200  # clients listed at once; a search narrows the rest


class ClientsPage(QWidget):
    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.setObjectName("page")
        self.window_ = window
        self.stack = QStackedWidget()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 18, 24, 18)
        outer.addWidget(self.stack)

        listing = QWidget()
        col = QVBoxLayout(listing)
        col.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        title = QLabel(_("Clients"))
        title.setObjectName("pageTitle")
        head.addWidget(title)
        head.addStretch(1)
        self.new_button = QPushButton(_("New client"))
        self.new_button.setObjectName("primary")
        self.new_button.clicked.connect(lambda: self.open_client(None))
        head.addWidget(self.new_button)
        col.addLayout(head)
        self.search = QLineEdit()
        self.search.setPlaceholderText(_("Search by name, phone or e-mail (Ctrl+F)"))
        self.search.setClearButtonEnabled(True)
        col.addWidget(self.search)
        self.model = DirectoryModel()
        self.table = TextTable()
        # Each search resets the list: its titles are not painted again for it.
        self.table.setHorizontalHeader(SteadyHeader(self.table))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)  # one line a client; what does not fit is elided
        TextCellDelegate(self.table)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        # The bar's room is kept whether or not an answer needs it: the columns do
        # not move, nor the table paint twice, as answers grow and shrink.
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.table.activated.connect(self._activated)
        self.table.doubleClicked.connect(self._activated)
        col.addWidget(self.table, 1)
        self.count = QLabel()
        self.count.setObjectName("muted")
        col.addWidget(self.count)
        self.stack.addWidget(listing)
        self.file: ClientFile | None = None

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(60)  # a search costs ~10–25 ms: run it while typing
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self._open_first)
        self._request = 0
        self._answered: str | None = None  # the search the rows shown answer
        self._open_first_of = 0  # a search whose first client Enter opens when it comes
        self._open_first_text = ""  # the text it was pressed on
        self._stale = True  # loaded when first shown

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        self._stale = False
        self._debounce.stop()
        self._request += 1
        token, p, text = self._request, self.window_.practice, self.search.text()
        self.window_.tasks.run(
            lambda: (token, text, clients.directory(p, text, LISTED + 1)), self._loaded,
            self.window_.show_error)

    def _loaded(self, result: tuple[int, str, list[clients.DirectoryRow]]) -> None:
        token, text, rows = result
        if token != self._request:
            return
        more = len(rows) > LISTED
        rows = rows[:LISTED]
        self._answered = text
        self.model.set_rows(rows)
        # Laid out now, not on Qt's next turn: the scroll bar (shown or hidden by
        # the new count) and the columns it narrows are settled before the first
        # paint, so the answer is painted once, its columns where they stay.
        self.table.doItemsLayout()
        self.count.setText(
            _("The first {n} clients are shown: type more of a name, phone or e-mail to find "
              "the others.").format(n=LISTED) if more else
            ngettext("{n} client shown", "{n} clients shown", len(rows)).format(
                n=i18n.format_number(len(rows))))
        # The answer to the search Enter was pressed on, or to a later reading of the
        # same text (a change from elsewhere may have read the list again meanwhile).
        if self._open_first_of and token >= self._open_first_of and \
                text == self._open_first_text:
            self._open_first_of = 0
            if rows:
                self.open_client(rows[0].id)

    def _activated(self, index: QModelIndex) -> None:
        self.open_client(int(self.model.data(index, ID_ROLE)))

    def _open_first(self) -> None:
        """Enter opens the first client found for what is typed now: when the list
        still shows an earlier search (typed faster than the pause before a search),
        the search runs at once and its first client opens when it comes."""
        if self._debounce.isActive() or self._answered != self.search.text() or \
                self._open_first_of:
            self.refresh()
            self._open_first_of, self._open_first_text = self._request, self.search.text()
            return
        if self.model.rows:
            self.open_client(self.model.rows[0].id)

    def open_client(self, client_id: int | None) -> ClientFile:
        if self.file is not None:
            self.stack.removeWidget(self.file)
            self.file.deleteLater()
        # The name the list shows heads the file while the client is read.
        known = next((r.name for r in self.model.rows if r.id == client_id), "")
        self.file = ClientFile(self.window_, client_id, self.close_client, known)
        self.stack.addWidget(self.file)
        self.stack.setCurrentWidget(self.file)
        return self.file

    def close_client(self) -> None:
        self.stack.setCurrentIndex(0)
        self.refresh()

    def changed(self, change: Change) -> None:
        if not self.isVisible():
            self._stale = True
        elif self.stack.currentIndex() == 0:
            self.refresh()
        elif self.file is not None:
            self.file.changed(change)


class ClientFile(QWidget):
    """The Ficha do Cliente. With no id it creates a client. An existing client's
    file is headed by `name` (as the list shows it) and its Dados form is greyed
    until the client is read: never an empty "New client" form with Save on."""

    def __init__(self, window: MainWindow, client_id: int | None, back: Any,
                 name: str = "") -> None:
        super().__init__()
        self.window_ = window
        self.client_id = client_id
        self.client: ClientView | None = None  # as the Dados form was filled
        self.version = FormVersion()  # what Salvar names
        self._filled: tuple[object, ...] = ()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        back_button = QPushButton("‹ " + _("Clients"))
        back_button.clicked.connect(back)
        head.addWidget(back_button)
        self.title = plain(QLabel(_("New client") if client_id is None else name))
        self.title.setObjectName("pageTitle")
        head.addWidget(self.title, 1)
        self.book_button = QPushButton(_("New session"))
        self.book_button.setObjectName("primary")
        self.book_button.clicked.connect(
            lambda: window.new_session(None, self.client_id))
        self.book_button.setEnabled(client_id is not None)
        self.attend_button = QPushButton(_("New attendance"))
        self.attend_button.setToolTip(_("Start a conversation with this client in Conecta"))
        self.attend_button.clicked.connect(self.start_attendance)
        self.attend_button.setEnabled(client_id is not None)
        self.privacy_button = QPushButton(_("Privacy (LGPD)"))
        self.privacy_button.setToolTip(_("The client's data on request: export or erase"))
        privacy = QMenu(self.privacy_button)
        self.export_action = privacy.addAction(_("Export the client's data…"))
        self.export_action.triggered.connect(self.export_data)
        self.erase_action = privacy.addAction(_("Erase the client's data…"))
        self.erase_action.triggered.connect(self.erase_data)
        self.privacy_button.setMenu(privacy)
        self.privacy_button.setEnabled(client_id is not None)
        head.addWidget(self.privacy_button)
        head.addWidget(self.attend_button)
        head.addWidget(self.book_button)
        layout.addLayout(head)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self.data_page = self._data_tab()
        self.data_page.setEnabled(client_id is None)  # until the client is read (_fill)
        self.tabs.addTab(self.data_page, _("Data"))
        self.sessions_model = SessionsModel()
        self.sessions = TextTable()
        self.sessions.setModel(self.sessions_model)
        self.sessions.verticalHeader().hide()
        self.sessions.setShowGrid(False)
        self.sessions.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.sessions.setWordWrap(False)
        TextCellDelegate(self.sessions)
        header = self.sessions.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        self.sessions.setColumnWidth(0, 36)
        self.sessions.clicked.connect(self._session_clicked)
        self.sessions.activated.connect(self._session_activated)
        self.sessions.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.sessions.customContextMenuRequested.connect(self._context_menu)
        self.tabs.addTab(self.sessions, _("Sessions"))
        self.tabs.addTab(self._history_tab(), _("History"))
        self.tabs.setTabEnabled(1, client_id is not None)
        self.tabs.setTabEnabled(2, client_id is not None)
        if client_id is not None:
            self.reload()

    # ------------------------------------------------------------ tabs

    def _data_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.name = QLineEdit()
        self.phone = QLineEdit()
        self.phone.setPlaceholderText(_("e.g. (11) 98765-4321"))
        self.email = QLineEdit()
        self.preferred = ComboBox()
        self.preferred.addItem(_("No preference"), "")
        for value in REMINDER_CHANNELS:
            self.preferred.addItem(channel_label(value), value)
        # The language the client's reminders and notices are written in.
        self.language = ComboBox()
        self.language.addItem(_("The practice's language"), "")
        self.language.addItem("Português (Brasil)", "pt_BR")
        self.language.addItem("English", "en")
        self.language.setToolTip(_("Reminders, confirmations and notices to this client are "
                                   "written in this language."))
        self.notes = QPlainTextEdit()
        self.notes.setFixedHeight(80)
        form.addRow(_("Name"), self.name)
        form.addRow(_("Phone"), self.phone)
        form.addRow(_("E-mail"), self.email)
        form.addRow(_("Preferred channel"), self.preferred)
        form.addRow(_("Messages in"), self.language)
        self.consent: dict[Channel, QCheckBox] = {}
        for channel in map(Channel, REMINDER_CHANNELS):
            box = QCheckBox(_("Agrees to messages by {channel}").format(
                channel=channel_label(channel)))
            self.consent[channel] = box
            form.addRow("" if channel is not Channel.WHATSAPP else _("Consent"), box)
        # Only the client's phone turns notifications on (a new client has none yet):
        # greyed, saying where, until it has; then the practice may turn them off.
        self._push_by_client(False)
        form.addRow(_("Notes"), self.notes)
        self.data_error = plain(QLabel())
        self.data_error.setObjectName("error")
        self.data_error.setWordWrap(True)
        form.addRow(self.data_error)
        self.save_button = QPushButton(_("Save"))
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save)
        form.addRow("", self.save_button)
        return page

    def _history_tab(self) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        self.totals = QLabel()
        self.totals.setWordWrap(True)
        col.addWidget(self.totals)
        self.events = QListWidget()
        self.events.setObjectName("list")
        self.events.setWordWrap(True)
        col.addWidget(self.events, 1)
        return page

    # ------------------------------------------------------------ loading

    def reload(self, *, refill: bool = False) -> None:
        """Read the client again. The Dados form is refilled unless the person is
        editing it (a change from elsewhere never wipes what is being typed; the
        save then names who changed the client meanwhile); refill: always."""
        p, client_id = self.window_.practice, self.client_id
        assert client_id is not None

        def load() -> tuple[ClientView, list[AppointmentView], ClientStats, datetime]:
            return (clients.get(p, client_id), queries.list_appointments(p, client_id=client_id),
                    clients.stats(p, client_id), p.clock.now())

        self.window_.tasks.run(lambda: (load(), refill), self._loaded_or_kept,
                               self.window_.show_error)

    def _data_values(self) -> tuple[object, ...]:
        """What the Dados form holds, to tell whether the person edited it."""
        return (self.name.text(), self.phone.text(), self.email.text(),
                self.preferred.currentData(), self.language.currentData(),
                self.notes.toPlainText(),
                tuple(box.isChecked() for box in self.consent.values()))

    def _loaded_or_kept(self, result: tuple[tuple[ClientView, list[AppointmentView],
                                                  ClientStats, datetime], bool]) -> None:
        loaded, refill = result
        if not refill and self.client is not None and self._data_values() != self._filled:
            # Being edited: the form keeps its values and the version it was filled
            # from; the rest of the Ficha shows what is new.
            self._loaded(loaded, keep_form=True)
        else:
            self._loaded(loaded)

    def _loaded(self, result: tuple[ClientView, list[AppointmentView], ClientStats,
                                    datetime], keep_form: bool = False) -> None:
        client, sessions, stats, now = result
        if not keep_form:
            self._fill(client)
        self._show_sessions(sessions, stats, now)

    def _fill(self, client: ClientView) -> None:
        """The Dados form filled from the client as read (its version is the one the
        save names)."""
        self.client = client
        self.version.read_again(client.version)
        self.data_page.setEnabled(True)
        self.title.setText(client.name)
        self.name.setText(client.name)
        self.phone.setText(self.window_.phone(client.phone))  # as the practice writes it
        self.email.setText(client.email or "")
        self.preferred.setCurrentIndex(max(0, self.preferred.findData(
            client.preferred_channel or "")))
        self.notes.setPlainText(client.notes)
        self.language.setCurrentIndex(max(0, self.language.findData(client.language)))
        for channel, box in self.consent.items():
            since = client.consent.get(channel.value)
            box.setChecked(since is not None)
            text = _("Agrees to messages by {channel}").format(channel=channel_label(channel))
            if since:
                text += " — " + _("since {date}").format(date=i18n.format_date(
                    datetime.fromisoformat(since).astimezone(self.window_.zone).date()))
            box.setText(text)
        self._push_by_client(self.consent[Channel.PUSH].isChecked())
        self._filled = self._data_values()

    def _show_sessions(self, sessions: list[AppointmentView], stats: ClientStats,
                       now: datetime) -> None:
        self.sessions_model.set_rows(sessions, now)
        # Each count with its own plural ("1 cancelada", "2 canceladas").
        rate = round(stats.no_show_rate * 100)
        counts = (
            (ngettext("{n} session", "{n} sessions", stats.sessions), stats.sessions),
            (ngettext("{n} completed", "{n} completed", stats.completed), stats.completed),
            (ngettext("{n} cancelled", "{n} cancelled", stats.cancelled), stats.cancelled),
            (ngettext("{n} no-show ({rate}%)", "{n} no-shows ({rate}%)", stats.no_shows),
             stats.no_shows),
            (ngettext("{n} upcoming", "{n} upcoming", stats.upcoming), stats.upcoming))
        # Only what happened: "0 canceladas" says nothing, and zero's plural differs
        # between languages.
        self.totals.setText(" · ".join(text.format(n=i18n.format_number(n), rate=rate)
                                       for text, n in counts if n) or _("No sessions yet."))
        self.events.clear()
        for v in sorted(sessions, key=lambda v: v.start, reverse=True):
            if v.status is S.CANCELLED:
                self.events.addItem(_("{when}: cancelled — “{reason}”").format(
                    when=i18n.format_datetime(v.start), reason=v.cancellation_reason or ""))
            elif v.status is S.NO_SHOW:
                self.events.addItem(_("{when}: did not come").format(
                    when=i18n.format_datetime(v.start)))
        if self.events.count() == 0:
            self.events.addItem(_("No cancellations or no-shows."))

    def export_data(self) -> None:
        """Everything about the client as one JSON file (LGPD art. 18 / GDPR art. 15)."""
        client_id, p = self.client_id, self.window_.practice
        if client_id is None:
            return
        path, _filter = file_chooser.save_path(
            self, _("Export the client's data"), f"client-{client_id}.json", "JSON (*.json)")
        if not path:
            return

        def work() -> Path:
            return client_data.write_export(p, client_id, path)

        self.window_.tasks.run(work, lambda written: self.window_.say(
            _("The client's data was written to {file}.").format(file=written)),
            self.window_.show_error)

    def erase_data(self) -> None:
        """Anonymise the client after a clear warning; the sessions stay."""
        client_id, p = self.client_id, self.window_.practice
        if client_id is None or self.client is None:
            return
        answer = QMessageBox.warning(
            self, _("Erase the client's data"),
            verbatim(_("Erase {name}'s name, contacts, notes and messages? The sessions stay "
                       "in the agenda and in the totals, without anything that identifies the "
                       "person. This cannot be undone.").format(name=self.client.name)),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return
        def done(_result: None) -> None:
            self.window_.say(_("Client #{id} anonymised; their session records were kept.")
                             .format(id=client_id))
            self.reload(refill=True)

        self.window_.tasks.run(lambda: client_data.erase(p, client_id), done,
                               self.window_.show_error)

    def changed(self, change: Change) -> None:
        if self.client_id is None:
            return
        if self.client_id in change.clients or change.appointments:
            self.reload()

    # ------------------------------------------------------------ actions

    def _push_by_client(self, on: bool) -> None:
        """The push box: enabled only to turn off what the client's phone turned on."""
        push = self.consent[Channel.PUSH]
        push.setEnabled(on)
        push.setToolTip("" if on else _(
            "The client turns this on from the link in a reminder (Receive reminders on this "
            "phone)."))

    def start_attendance(self) -> Any:
        """Conecta's (+) form, filled in with this client and linked to them."""
        c = self.client
        if c is None:
            return None
        from app.models.conecta import Medium

        by = {"voice": Medium.VOIP}.get(c.preferred_channel or "", c.preferred_channel)
        medium = Medium(by) if by in {m.value for m in Medium} else \
            Medium.WHATSAPP if c.phone else Medium.EMAIL
        return self.window_.conecta.new_attendance(
            name=c.name, phone=self.window_.phone(c.phone),
            email=c.email or "", client_id=c.id,
            medium=medium)

    def save(self) -> None:
        p = self.window_.practice
        fields = {"name": self.name.text(), "phone": self.phone.text(),
                  "email": self.email.text() or None,
                  "preferred_channel": self.preferred.currentData() or None,
                  "notes": self.notes.toPlainText(), "language": self.language.currentData()}
        wanted = {ch for ch, box in self.consent.items() if box.isChecked()}
        client_id, opened, version = self.client_id, self.client, self.version

        def run() -> ClientView:
            if client_id is None or opened is None:
                return clients.add(p, consent=wanted, **fields)

            def update(expected: int | None) -> ClientView:
                # As the form was filled: a change since is refused (ChangedMeanwhile).
                had = {Channel(k) for k, v in opened.consent.items() if v}
                return clients.update(p, client_id, grant=wanted - had, revoke=had - wanted,
                                      **{**fields, "email": fields["email"] or ""},
                                      expected_version=expected)

            return version.save(update, lambda view: view.version)

        def done(view: ClientView) -> None:
            self.data_error.clear()
            self.window_.say(_("Client saved."))
            if self.client_id is None:
                self.client_id = view.id
                self.book_button.setEnabled(True)
                self.privacy_button.setEnabled(True)
                self.tabs.setTabEnabled(1, True)
                self.tabs.setTabEnabled(2, True)
            self.reload(refill=True)

        def failed(exc: Exception) -> None:
            self.data_error.setText(str(exc))
            self.window_.show_error(exc)
            if isinstance(exc, ChangedMeanwhile):  # nothing kept: the client as it is now
                self.reload(refill=True)

        self.window_.tasks.run(run, done, failed)

    def _session_activated(self, index: QModelIndex) -> None:
        """Enter (or a double-click): on the calendar icon it confirms, elsewhere it
        opens the session."""
        if index.column() == SessionsModel.CONFIRM_COLUMN and \
                self.sessions_model.confirmable(index.row()):
            self._session_clicked(index)
        else:
            self.window_.open_appointment(int(self.sessions_model.data(index, ID_ROLE)))

    def _session_clicked(self, index: QModelIndex) -> None:
        if index.column() != SessionsModel.CONFIRM_COLUMN or \
                not self.sessions_model.confirmable(index.row()):
            return
        appointment_id = self.sessions_model.rows[index.row()].id
        p = self.window_.practice
        self.window_.tasks.run(lambda: scheduling.confirm(p, appointment_id),
                               self.window_.say,
                               self.window_.show_error)

    def _context_menu(self, pos: QPoint) -> None:
        index = self.sessions.indexAt(pos)
        if not index.isValid():
            return
        self.context_menu(index.row()).popup(self.sessions.viewport().mapToGlobal(pos))

    def context_menu(self, row: int) -> QMenu:
        """Open, confirm, cancel, reschedule, complete or mark a no-show: each
        action opens the session's panel, where it is carried out."""
        view = self.sessions_model.rows[row]
        menu = QMenu(self)
        w = self.window_

        def panel_action(text: str, method: str, action: Any) -> None:
            item = QAction(text, menu)
            reason = scheduling.blocked_reason(
                w.practice, view.status, view.start, action, view.id,
                cancel_requested=view.cancel_requested) if action is not None else None
            item.setEnabled(reason is None)
            item.setToolTip(reason or "")
            item.triggered.connect(lambda: w.open_appointment(view.id).when_ready(method))
            menu.addAction(item)

        from app.models.transitions import Action

        panel_action(_("Open"), "show", None)
        panel_action(_("Confirm appointment"), "confirm", Action.CONFIRM)
        panel_action(_("Reschedule…"), "reschedule", Action.RESCHEDULE)
        panel_action(_("Cancel…"), "cancel", Action.CANCEL)
        panel_action(_("Complete…"), "complete", Action.COMPLETE)
        panel_action(_("No-show"), "no_show", Action.NO_SHOW)
        menu.setToolTipsVisible(True)
        return menu
