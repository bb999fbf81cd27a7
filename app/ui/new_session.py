"""Nova sessão: the client (searched as you type, or created here), the service or a
custom name, date, time, duration, professional, contact and notes, and an optional
repeat. Conflicts are shown before saving; booking over them takes a second,
deliberate click and is recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt, QTime, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import i18n
from app.i18n import _, ngettext
from app.models.enums import Channel, RepeatFrequency
from app.models.instants import later_minutes
from app.models.recurrence import resolve_local
from app.services import availability, clients, config, reminders, scheduling
from app.services.clients import ClientDetails, ClientView, Similar
from app.services.errors import InvalidInput, PracticeError
from app.services.scheduling import BookingRequest, Occurrence, Repeat
from app.services.values import parse_money
from app.ui.channel_words import AGREED_BY_PRACTICE, channel_label
from app.ui.wheel_guard import ComboBox, DateEdit, SpinBox, TimeEdit

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

CUSTOM = -1


@dataclass(frozen=True)
class Form:
    """What the form holds, as plain values for the background check and save."""

    client_id: int | None
    name: str
    phone: str
    email: str
    start: datetime
    service_id: int | None
    custom_name: str | None
    duration: int
    staff_id: int | None
    notes: str
    price_cents: int | None
    repeat: Repeat | None
    consent: tuple[Channel, ...] = ()  # a new client's


@dataclass
class Checked:
    """A background check's answer: the conflicts of the session (or of each
    occurrence), clients with the new client's details, or why it cannot be saved."""

    token: int
    conflicts: list[str] = field(default_factory=list)
    occurrences: list[Occurrence] = field(default_factory=list)
    same: list[Similar] = field(default_factory=list)
    problem: str | None = None


class NewSessionDialog(QDialog):
    def __init__(self, window: MainWindow, start: datetime | None,
                 client_id: int | None = None) -> None:
        super().__init__(window)
        self.window_ = window
        self.setWindowTitle(_("New session"))
        self.setMinimumWidth(620)
        self.client: ClientView | None = None
        self.matches: list[ClientView] = []
        self.conflicts: list[str] = []
        self.occurrences: list[Occurrence] = []
        self.created: list[int] = []
        self._armed = False
        self._checked_once = False
        self._save_when_checked = False
        self._request = 0  # conflict checks
        self._search_request = 0  # client searches
        self._answered: str | None = None  # the search the list of matches answers
        self._pick_first_when_found = False  # Enter came before its search's answer
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)

        # Client: search as you type, or a new one.
        self.client_search = QLineEdit()
        self.client_search.setPlaceholderText(_("Type a name, phone or e-mail"))
        self.client_list = QListWidget()
        self.client_list.setObjectName("list")
        self.client_list.setFixedHeight(84)
        self.client_list.itemClicked.connect(
            lambda item: self.choose_client(self.matches[self.client_list.row(item)]))
        self.client_list.itemActivated.connect(
            lambda item: self.choose_client(self.matches[self.client_list.row(item)]))
        self.new_client = QCheckBox(_("New client"))
        self.new_client.toggled.connect(self._new_client_toggled)
        search_row = QHBoxLayout()
        search_row.addWidget(self.client_search, 1)
        search_row.addWidget(self.new_client)
        form.addRow(_("Client"), search_row)
        form.addRow("", self.client_list)
        self.chosen = QLabel()
        self.chosen.setTextFormat(Qt.TextFormat.PlainText)
        self.chosen.setObjectName("muted")
        form.addRow("", self.chosen)
        self.name = QLineEdit()
        self.phone = QLineEdit()
        self.phone.setPlaceholderText(_("Required, e.g. (11) 98765-4321"))
        self.email = QLineEdit()
        self.email.setPlaceholderText(_("For confirmations and reminders"))
        form.addRow(_("Name"), self.name)
        form.addRow(_("Phone"), self.phone)
        form.addRow(_("E-mail"), self.email)
        for typed_in in (self.name, self.phone, self.email):
            typed_in.textEdited.connect(self._details_typed)
        # A new client's consent, asked where they are created; ticked as the practice
        # chose in Configurações, and said so.
        self.consent_box = QWidget()
        consent_row = QHBoxLayout(self.consent_box)
        consent_row.setContentsMargins(0, 0, 0, 0)
        self.consent: dict[Channel, QCheckBox] = {}
        for channel in map(Channel, AGREED_BY_PRACTICE):
            box = QCheckBox(channel_label(channel))
            box.toggled.connect(lambda _on: self.changed())
            consent_row.addWidget(box)
            self.consent[channel] = box
        consent_row.addStretch(1)
        self.consent_note = QLabel()  # its own line: beside the boxes it was cut
        self.consent_note.setObjectName("muted")
        self.consent_note.setWordWrap(True)
        self.consent_row_label = QLabel(_("Agrees to messages by"))
        # One field holding the boxes and the note: it stays in the form while they are
        # hidden, so the form does not jump when they appear.
        consent_area = QWidget()
        area = QVBoxLayout(consent_area)
        area.setContentsMargins(0, 0, 0, 0)
        area.setSpacing(2)
        area.addWidget(self.consent_box)
        area.addWidget(self.consent_note)
        form.addRow(self.consent_row_label, consent_area)
        # Hidden until a new client is described, but their room is kept: the form
        # must not jump under the pointer when they appear (a click meant for Phone
        # landed in Name).
        for keep in (self.consent_box, self.consent_note, self.consent_row_label):
            policy = keep.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            keep.setSizePolicy(policy)
            keep.hide()
        self.email.textChanged.connect(self._email_consent)
        self._consent_default: tuple[str, ...] = ()
        self.problem_kind = ""  # how the last refusal was said: "muted" before Create
        self._email_consent_touched = False  # the person ticked or unticked it
        self.consent[Channel.EMAIL].clicked.connect(
            lambda _c=False: setattr(self, "_email_consent_touched", True))
        window.tasks.run(lambda: config.get(window.practice, "clients.consent"),
                         self._consent_loaded, window.show_error)
        # A new client whose phone or e-mail is already a client's: offered, not refused
        # (families share a phone).
        self.same: list[Similar] = []
        self.same_box = QWidget()
        same_row = QHBoxLayout(self.same_box)
        same_row.setContentsMargins(0, 0, 0, 0)
        self.same_label = QLabel()
        self.same_label.setTextFormat(Qt.TextFormat.PlainText)
        self.same_label.setWordWrap(True)
        self.same_label.setStyleSheet("color: #b45309;")
        self.use_same = QPushButton(_("Use this record"))
        self.use_same.clicked.connect(self._use_same)
        same_row.addWidget(self.same_label, 1)
        same_row.addWidget(self.use_same)
        self.same_box.hide()
        form.addRow("", self.same_box)

        # What and when.
        self.service = ComboBox()
        for sv in window.services:
            self.service.addItem(f"{sv.name} · {sv.duration_minutes} min", sv.id)
        self.service.addItem(_("Custom service…"), CUSTOM)
        if window.services:  # the practice's first service, its everyday one, not A–Z's first
            everyday = min(window.services, key=lambda sv: sv.id)
            self.service.setCurrentIndex(self.service.findData(everyday.id))
        self.custom = QLineEdit()
        self.custom.setPlaceholderText(_("Name of the custom service"))
        self.custom.hide()
        form.addRow(_("Service"), self.service)
        form.addRow("", self.custom)
        local = (start or self._next_half_hour()).astimezone(window.zone)
        self.date = DateEdit(QDate(local.year, local.month, local.day))
        self.date.setCalendarPopup(True)
        self.date.setLocale(window.qlocale())
        self.date.setDisplayFormat(window.date_format())
        self.time = TimeEdit(QTime(local.hour, local.minute))
        self.time.setLocale(window.qlocale())
        self.duration = SpinBox()
        self.duration.setRange(5, 24 * 60)
        self.duration.setSingleStep(5)
        self.duration.setSuffix(" min")
        when = QHBoxLayout()
        when.addWidget(self.date)
        when.addWidget(self.time)
        when.addWidget(self.duration)
        form.addRow(_("Date, time, duration"), when)
        self.staff = ComboBox()
        for st in window.staff:
            self.staff.addItem(st.name, st.id)
        form.addRow(_("Professional"), self.staff)
        self.price = QLineEdit()
        self.price.setPlaceholderText(_("The service's price"))
        form.addRow(_("Price"), self.price)
        self.notes = QPlainTextEdit()
        self.notes.setFixedHeight(56)
        form.addRow(_("Notes"), self.notes)

        # Repeat.
        self.repeat = ComboBox()
        self.repeat.addItem(_("Does not repeat"), None)
        self.repeat.addItem(_("Every week"), RepeatFrequency.WEEKLY.value)
        self.repeat.addItem(_("Every N weeks"), "n_weeks")
        self.repeat.addItem(_("Monthly, same weekday"), RepeatFrequency.MONTHLY.value)
        self.interval = SpinBox()
        self.interval.setRange(2, 12)
        self.interval.setPrefix(_("every "))
        self.interval.setSuffix(_(" weeks"))
        self.end_kind = ComboBox()
        self.end_kind.addItem(_("after"), "count")
        self.end_kind.addItem(_("until"), "until")
        self.count = SpinBox()
        self.count.setRange(2, 100)
        self.count.setValue(8)
        self.count.setSuffix(_(" sessions"))
        self.until = DateEdit(self.date.date().addMonths(3))
        self.until.setCalendarPopup(True)
        self.until.setLocale(window.qlocale())
        self.until.setDisplayFormat(window.date_format())
        self.repeat_box = QWidget()
        repeat_row = QHBoxLayout(self.repeat_box)
        repeat_row.setContentsMargins(0, 0, 0, 0)
        for w in (self.interval, self.end_kind, self.count, self.until):
            repeat_row.addWidget(w)
        repeat_row.addStretch(1)
        form.addRow(_("Repeat"), self.repeat)
        form.addRow("", self.repeat_box)
        self.occurrence_list = QListWidget()
        self.occurrence_list.setObjectName("list")
        self.occurrence_list.setFixedHeight(120)
        self.occurrence_list.setWordWrap(True)
        form.addRow(_("Sessions"), self.occurrence_list)

        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton(_("Create"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("primary")
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.ok.clicked.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(120)
        self._search_timer.timeout.connect(self._search)
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(200)
        self._check_timer.timeout.connect(self.check)
        self.client_search.textChanged.connect(lambda _t: self._search_timer.start())
        self.client_search.returnPressed.connect(self._choose_first)
        self.service.currentIndexChanged.connect(self._service_changed)
        for signal in (self.date.dateChanged, self.time.timeChanged,
                       self.duration.valueChanged, self.staff.currentIndexChanged,
                       self.interval.valueChanged, self.count.valueChanged,
                       self.until.dateChanged, self.end_kind.currentIndexChanged,
                       self.custom.textChanged, self.name.textChanged,
                       self.phone.textChanged, self.email.textChanged):
            signal.connect(self.changed)
        self.repeat.currentIndexChanged.connect(self._repeat_changed)
        # Without a time chosen (Ctrl+N, the button), the form proposes the next free
        # time the service fits in the professional's hours, again when the service
        # or the professional changes, until the person picks a date or time.
        self._proposing = start is None
        self._proposal = 0
        self._applying = False
        self.date.dateChanged.connect(self._when_chosen)
        self.time.timeChanged.connect(self._when_chosen)
        self.staff.currentIndexChanged.connect(self._propose)
        self._service_changed()
        self._repeat_changed()
        if client_id is not None:
            p = window.practice
            window.tasks.run(lambda: clients.get(p, client_id), self.choose_client,
                             window.show_error)
        self._search()

    def _when_chosen(self) -> None:
        if not self._applying:
            self._proposing = False

    def _propose(self) -> None:
        if not self._proposing:
            return
        self._proposal += 1
        token, p, now = self._proposal, self.window_.practice, self.window_.now()
        service_id = self.service.currentData()
        service_id = None if service_id == CUSTOM else service_id
        staff_id, minutes = self.staff.currentData(), self.duration.value()

        def run() -> tuple[int, datetime | None]:
            return token, availability.next_free(p, now, service_id=service_id,
                                                 staff_id=staff_id, duration_minutes=minutes)

        self.window_.tasks.run(run, self._proposed, self.window_.show_error)

    def _proposed(self, result: tuple[int, datetime | None]) -> None:
        token, start = result
        if token != self._proposal or not self._proposing or start is None:
            return
        local = start.astimezone(self.window_.zone)
        self._applying = True
        try:
            self.date.setDate(QDate(local.year, local.month, local.day))
            self.time.setTime(QTime(local.hour, local.minute))
        finally:
            self._applying = False

    def _next_half_hour(self) -> datetime:
        now = self.window_.now()
        base = now.replace(minute=0, second=0, microsecond=0)
        return later_minutes(base, 30 if now.minute < 30 else 60)

    # ------------------------------------------------------------ client

    def _search(self) -> None:
        p, text = self.window_.practice, self.client_search.text()
        self._search_request += 1
        token = self._search_request
        self.window_.tasks.run(lambda: (token, text, clients.search(p, text, limit=8)),
                               self._found, self.window_.show_error)

    def _found(self, result: tuple[int, str, list[ClientView]]) -> None:
        token, text, found = result
        if token != self._search_request:
            return
        self._answered = text
        self.matches = found
        if self._pick_first_when_found and found:
            self._pick_first_when_found = False
            self.choose_client(found[0])
        self.client_list.clear()
        for c in found:
            contact = "  ·  ".join(x for x in (self.window_.phone(c.phone), c.email) if x)
            self.client_list.addItem(f"{c.name}  ·  {contact}")

    def _choose_first(self) -> None:
        """Enter in the search field takes the first match for what is typed now,
        as a person expects (not the first of a search still on screen)."""
        if self._search_timer.isActive() or self._answered != self.client_search.text():
            self._search_timer.stop()
            self._search()
            self._pick_first_when_found = True
            return
        if self.matches:
            self.choose_client(self.matches[0])

    def choose_client(self, client: ClientView) -> None:
        self.new_client.setChecked(False)
        self.client = client
        self.chosen.setText(_("Booking for {name}").format(name=client.name))
        self.name.setText(client.name)
        self.phone.setText(self.window_.phone(client.phone))
        self.email.setText(client.email or "")
        self.changed()

    def _consent_loaded(self, value: str) -> None:
        self._consent_default = tuple(v for v in value.split(",") if v)
        names = ", ".join(reminders.channel_name(v) for v in self._consent_default)
        self.consent_note.setText(_("(the practice's default: {channels})").format(
            channels=names) if names else _("(the practice's default: none)"))
        self.consent_note.setToolTip(_("Settings › Client notifications › New clients agree "
                                       "to"))
        for channel, box in self.consent.items():
            box.setChecked(channel.value in self._consent_default)
        self._email_consent()

    def _email_consent(self) -> None:
        """Consent to e-mail needs an address: the box waits for one."""
        box = self.consent[Channel.EMAIL]
        has = bool(self.email.text().strip())
        box.setEnabled(has)
        box.setToolTip("" if has else _("Type the client's e-mail first."))
        if not has:
            box.setChecked(False)
        elif Channel.EMAIL.value in self._consent_default and not box.isChecked() and \
                not self._email_consent_touched:
            box.setChecked(True)

    def _new_client_toggled(self, on: bool) -> None:
        self.consent_box.setVisible(on)
        self.consent_note.setVisible(on)
        self.consent_row_label.setVisible(on)
        if on:
            chosen, self.client = self.client, None
            self.chosen.setText(_("A new client will be created."))
            if chosen is not None:  # the fields hold someone else's details
                self.phone.clear()
                self.email.clear()
                self.name.clear()
            # What was typed is the new client's: kept, never wiped.
            if not self.name.text().strip():
                self.name.setText(self.client_search.text())
            if self.sender() is self.new_client:
                self.name.setFocus()
        self.changed()

    def _details_typed(self) -> None:
        """Typing a name, phone or e-mail with nobody chosen describes a new client."""
        if self.client is None and not self.new_client.isChecked():
            self.new_client.setChecked(True)

    # ------------------------------------------------------------ form

    def _service_changed(self) -> None:
        service_id = self.service.currentData()
        self.custom.setVisible(service_id == CUSTOM)
        sv = next((s for s in self.window_.services if s.id == service_id), None)
        if sv is not None:
            self.duration.setValue(sv.duration_minutes)
        elif self.duration.value() == 0:
            self.duration.setValue(50)
        self.changed()
        self._propose()

    def _repeat_changed(self) -> None:
        kind = self.repeat.currentData()
        self.repeat_box.setVisible(kind is not None)
        self.interval.setVisible(kind == "n_weeks")
        self.changed()

    def form(self) -> Form:
        kind = self.repeat.currentData()
        repeat = None
        if kind is not None:
            frequency = RepeatFrequency.MONTHLY if kind == "monthly" else RepeatFrequency.WEEKLY
            by_count = self.end_kind.currentData() == "count"
            repeat = Repeat(frequency, count=self.count.value() if by_count else None,
                            until=None if by_count else self.until.date().toPython(),
                            interval=self.interval.value() if kind == "n_weeks" else 1)
        service_id = self.service.currentData()
        price_text = self.price.text().strip()
        naive = datetime.combine(self.date.date().toPython(), self.time.time().toPython())
        return Form(
            client_id=self.client.id if self.client else None, name=self.name.text(),
            phone=self.phone.text(), email=self.email.text(),
            start=resolve_local(naive.replace(second=0, microsecond=0), self.window_.zone),
            service_id=None if service_id == CUSTOM else service_id,
            custom_name=self.custom.text() if service_id == CUSTOM else None,
            duration=self.duration.value(), staff_id=self.staff.currentData(),
            notes=self.notes.toPlainText(),
            price_cents=parse_money(price_text) if price_text else None, repeat=repeat,
            consent=tuple(c for c, box in self.consent.items() if box.isChecked()))

    def changed(self) -> None:
        self._armed = False
        self._checked_once = False
        self.ok.setText(_("Create"))
        self._show(_("Checking…"), "muted")
        self._check_timer.start()

    def _request_for(self, f: Form) -> BookingRequest | None:
        """The very request saving sends: the check and the save share it, so the
        form never shows one answer and saving give another. None: no client yet."""
        new = self.client is None and self.new_client.isChecked()
        details = ClientDetails(f.name, f.phone, f.email or None, f.consent if new else ())
        contact = None
        if self.client is not None and (f.phone, f.email) != (
                self.window_.phone(self.client.phone), self.client.email or ""):
            contact = details
        if f.client_id is None and not new:
            return None
        return BookingRequest(client_id=f.client_id or 0, start=f.start,
                              service_id=f.service_id, custom_service_name=f.custom_name,
                              duration_minutes=f.duration, staff_id=f.staff_id, notes=f.notes,
                              price_cents=f.price_cents, new_client=details if new else None,
                              contact=contact)

    def check(self) -> None:
        """The conflicts of the session (or of each occurrence), before saving, by
        the rules and with the inputs saving uses — a new client included."""
        try:
            f = self.form()
        except InvalidInput as exc:
            self._show(str(exc), "error")
            return
        p = self.window_.practice
        self._request += 1
        token = self._request
        req = self._request_for(f)
        repeat = f.repeat

        def run() -> Checked:
            if req is None:
                return Checked(token)
            same = clients.similar(p, phone=req.new_client.phone, email=req.new_client.email) \
                if req.new_client is not None else []
            try:
                if repeat is None:
                    return Checked(token, [c.message for c in scheduling.check_booking(p, req)],
                                   same=same)
                return Checked(token, occurrences=scheduling.preview_series(p, req, repeat),
                               same=same)
            except InvalidInput as exc:  # said as saving would say it; the match is kept
                return Checked(token, same=same, problem=str(exc))

        self.window_.tasks.run(run, self._checked, lambda exc: self._show(str(exc), "error"))

    def _use_same(self) -> None:
        if self.same:
            self.choose_client(self.same[0].client)

    def _show_same(self, same: list[Similar]) -> None:
        self.same = same
        if not same:
            self.same_box.hide()
            return
        first = same[0].client
        text = _("Already a client: {name}, {phone} — use this record?").format(
            name=first.name, phone=self.window_.phone(first.phone) or first.email or "")
        if len(same) > 1:
            text += " " + ngettext("({n} more with the same details)",
                                   "({n} more with the same details)",
                                   len(same) - 1).format(n=len(same) - 1)
        self.same_label.setText(text)
        self.same_box.show()

    def _checked(self, result: Checked) -> None:
        token, conflicts, occurrences = result.token, result.conflicts, result.occurrences
        if token != self._request:
            return
        self._show_same(result.same)
        if result.problem is not None:
            # A new client's empty form is not yet a mistake: said quietly until Create.
            quiet = self.new_client.isChecked() and not self.phone.text().strip() and \
                not self._save_when_checked
            self._checked_once = False
            self._save_when_checked = False
            self.problem_kind = "muted" if quiet else "error"
            self._show(result.problem, self.problem_kind)
            return
        self._checked_once = True
        self.conflicts = conflicts + [f"{i18n.format_datetime(o.start)}: {o.conflicts[0].message}"
                                      for o in occurrences if o.conflicts]
        self.occurrences = occurrences
        self.occurrence_list.clear()
        for o in occurrences:
            mark = "⚠" if o.conflicts else "✓"
            reason = f" — {o.conflicts[0].message}" if o.conflicts else ""
            self.occurrence_list.addItem(f"{mark} {i18n.format_datetime(o.start)}{reason}")
        self.occurrence_list.setVisible(bool(occurrences))
        if self.client is None and not self.new_client.isChecked():
            self._show(_("Choose a client, or tick “New client”."), "muted")
        elif self.conflicts:
            self._show("⚠ " + " ".join(conflicts) if conflicts else
                       "⚠ " + _("{n} of {total} sessions conflict and will be left out.").format(
                           n=sum(1 for o in occurrences if o.conflicts), total=len(occurrences)),
                       "warning")
        else:
            self._show("✓ " + _("No conflicts."), "muted")
        if self._save_when_checked:
            self._save_when_checked = False
            self.save()

    def _show(self, text: str, kind: str) -> None:
        self.status.setText(text)
        colours = {"error": "#b91c1c", "warning": "#b45309", "muted": "#64748b"}
        self.status.setStyleSheet(f"color: {colours[kind]};")

    # ------------------------------------------------------------ saving

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter in a field (the client search above all) picks or confirms that field;
        it books only from the Create button itself."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                self.focusWidget() is not self.ok:
            return
        super().keyPressEvent(event)

    def save(self) -> None:
        if self._check_timer.isActive() or not self._checked_once:
            # Create pressed before the latest check answered: save right after it.
            self._check_timer.stop()
            self._save_when_checked = True
            self.check()
            return
        try:
            f = self.form()
        except InvalidInput as exc:
            self._show(str(exc), "error")
            return
        if self.client is None and not self.new_client.isChecked():
            self._show(_("Choose a client, or tick “New client”."), "error")
            return
        single_conflict = f.repeat is None and bool(self.conflicts)
        if single_conflict and not self._armed:
            self._armed = True
            self.ok.setText(_("Create anyway"))
            self._show("⚠ " + " ".join(self.conflicts) + " " +
                       _("Click again to book it anyway; the history records the conflict."),
                       "warning")
            return
        override = single_conflict and self._armed
        p = self.window_.practice
        req = self._request_for(f)
        repeat = f.repeat
        if req is None:
            return

        def run() -> list[int]:
            # One unit of work: the new client (or the changed contacts), the session
            # and its reminders are all written, or none is.
            if repeat is None:
                return [scheduling.book(p, req, override=override)]
            return scheduling.book_series(p, req, repeat).ids

        self.ok.setEnabled(False)
        self.window_.tasks.run(run, self._saved, self._failed)

    def _saved(self, ids: list[int]) -> None:
        self.created = ids
        skipped = sum(1 for o in self.occurrences if o.conflicts)
        message = _("{n} sessions booked.").format(n=len(ids)) if len(ids) > 1 else \
            _("Session booked.")
        if skipped:
            message += " " + _("{n} left out because of conflicts.").format(n=skipped)
        self.window_.say(message)
        self.accept()

    def _failed(self, exc: Exception) -> None:
        self.ok.setEnabled(True)
        self._show(str(exc), "error")
        if not isinstance(exc, PracticeError):
            self.window_.show_error(exc)


__all__ = ["NewSessionDialog"]
