"""The dialogs of a session's actions: cancel, reschedule, complete. Each collects
plain values; the panel runs the service call off the GUI thread."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, QTime, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app import i18n
from app.i18n import _
from app.models.enums import CancelledBy, Channel, ChargeDecision, SeriesScope
from app.models.recurrence import resolve_local
from app.models.rules import late_notice
from app.services import availability, scheduling
from app.services.errors import InvalidInput
from app.services.queries import AppointmentView
from app.services.reminders import channel_name
from app.services.settings import SettingsView
from app.services.values import parse_money
from app.ui.plain import label, plain, verbatim
from app.ui.wheel_guard import ComboBox, DateEdit, TimeEdit

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


def scope_box(view: AppointmentView, parent: QWidget) -> tuple[QWidget | None, QButtonGroup]:
    """For a session in a series: this one, this and the following, or all."""
    group = QButtonGroup(parent)
    if view.series_id is None:
        return None, group
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    for i, (scope, text) in enumerate(((SeriesScope.THIS, _("This session")),
                                       (SeriesScope.FOLLOWING, _("This and following")),
                                       (SeriesScope.ALL, _("All in the series")))):
        radio = QRadioButton(text)
        radio.setProperty("scope", scope.value)
        radio.setChecked(i == 0)
        group.addButton(radio)
        row.addWidget(radio)
    return box, group


def chosen_scope(group: QButtonGroup) -> SeriesScope:
    button = group.checkedButton()
    return SeriesScope(button.property("scope")) if button else SeriesScope.THIS


class CancelDialog(QDialog):
    def __init__(self, view: AppointmentView, policy: SettingsView, now: datetime,
                 parent: QWidget | None = None,
                 route: tuple[Channel | None, str] = (Channel.EMAIL, "")) -> None:
        """route: reminders.notice_route_for(): the channel a notice would take, or
        None and why none can reach the client."""
        super().__init__(parent)
        self.setWindowTitle(_("Cancel session"))
        self.setMinimumWidth(440)
        form = QFormLayout(self)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(_("Required, e.g. the client is ill"))
        form.addRow(_("Reason"), self.reason)
        # Who called it off: a late-cancellation fee is the client's only.
        who = QWidget()
        who_row = QHBoxLayout(who)
        who_row.setContentsMargins(0, 0, 0, 0)
        self.by_client = QRadioButton(_("The client"))
        self.by_practice = QRadioButton(_("The practice"))
        self.by_client.setChecked(True)
        self.by_group = QButtonGroup(self)
        for radio in (self.by_client, self.by_practice):
            self.by_group.addButton(radio)
            who_row.addWidget(radio)
        who_row.addStretch(1)
        form.addRow(_("Called off by"), who)
        channel, why_not = route
        self.notify = QCheckBox(_("Tell the client by {channel}").format(
            channel=channel_name(channel)) if channel else _("Tell the client"))
        self.notify.setChecked(channel is not None)
        self.notify.setEnabled(channel is not None)
        form.addRow("", self.notify)
        # A box that cannot be ticked says why, where it is read.
        self.why_not = label(why_not)
        self.why_not.setObjectName("muted")
        self.why_not.setWordWrap(True)
        self.why_not.setVisible(channel is None)
        self.notify.setToolTip(verbatim(why_not))
        form.addRow("", self.why_not)
        late = late_notice(view.start, now, policy.cancel_notice_minutes)
        fee = i18n.format_money(policy.cancel_fee_cents, policy.currency)
        hours = policy.cancel_notice_minutes // 60
        self.charge = QRadioButton(
            _("Charge per policy ({fee}: less than {hours} h notice)").format(fee=fee, hours=hours)
            if late and policy.cancel_fee_cents else _("Charge per policy (no fee is due)"))
        self.waive = QRadioButton(_("Waive any fee"))
        self.charge.setChecked(True)
        charges = QButtonGroup(self)
        charges.addButton(self.charge)
        charges.addButton(self.waive)
        if policy.cancel_fee_cents:
            form.addRow(_("Charge"), self.charge)
            form.addRow("", self.waive)
        else:  # nothing to decide: said, not offered
            self.charge.hide()
            self.waive.hide()
            self.no_fee = label(_("The practice has no late-cancellation fee (Settings › "
                                  "Practice)."))
            self.no_fee.setObjectName("muted")
            self.no_fee.setWordWrap(True)
            form.addRow(_("Charge"), self.no_fee)
        self.practice_pays = label(_("No fee: the practice called it off."))
        self.practice_pays.setObjectName("muted")
        form.addRow("", self.practice_pays)
        self.practice_pays.hide()
        self.by_practice.toggled.connect(self._who_changed)
        self.scope_widget, self.scopes = scope_box(view, self)
        if self.scope_widget is not None:
            form.addRow(_("Apply to"), self.scope_widget)
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton(_("Cancel session"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("danger")
        buttons.addButton(_("Keep it"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.ok.setEnabled(False)
        self.reason.textChanged.connect(lambda t: self.ok.setEnabled(bool(t.strip())))

    def _who_changed(self, practice: bool) -> None:
        for radio in (self.charge, self.waive):
            radio.setEnabled(not practice)
        self.practice_pays.setVisible(practice and not self.charge.isHidden())

    @property
    def by(self) -> CancelledBy:
        return CancelledBy.PRACTICE if self.by_practice.isChecked() else CancelledBy.CLIENT

    @property
    def decision(self) -> ChargeDecision:
        return ChargeDecision.WAIVE if self.waive.isChecked() or \
            self.by is CancelledBy.PRACTICE else ChargeDecision.CHARGE

    @property
    def scope(self) -> SeriesScope:
        return chosen_scope(self.scopes)


class CompleteDialog(QDialog):
    def __init__(self, view: AppointmentView, currency: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Complete session"))
        self.setMinimumWidth(420)
        form = QFormLayout(self)
        quoted = i18n.format_money(view.quoted_price_cents, currency)
        self.price = QLineEdit()
        self.price.setPlaceholderText(_("Quoted: {price}").format(price=quoted))
        form.addRow(_("Actual price"), self.price)
        # Notes this person may not read are not offered (the services would refuse
        # them): completing leaves them as they are.
        self.notes: QPlainTextEdit | None = None
        if not view.internal_notes_withheld:
            self.notes = QPlainTextEdit(view.internal_notes)
            self.notes.setPlaceholderText(_("Only you see these notes"))
            self.notes.setFixedHeight(90)
            form.addRow(_("Internal notes"), self.notes)
        self.error = plain(QLabel())
        self.error.setObjectName("error")
        form.addRow(self.error)
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton(_("Complete"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.price_cents: int | None = None

    def notes_text(self) -> str | None:
        """The internal notes typed, or None when they are not offered."""
        return self.notes.toPlainText() if self.notes is not None else None

    def _check(self) -> None:
        try:
            text = self.price.text().strip()
            self.price_cents = parse_money(text) if text else None
        except InvalidInput as exc:
            self.error.setText(str(exc))
            return
        self.accept()


class RescheduleDialog(QDialog):
    """A new date and time, with the conflicts shown as they are typed and the
    free times of that day suggested. Booking over a conflict takes a second,
    deliberate click."""

    def __init__(self, window: MainWindow, view: AppointmentView,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_, self.view = window, view
        self.setWindowTitle(_("Reschedule session"))
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        self.intro = intro = label(_("{client} · {service} · now {when}").format(
            client=view.client_name, service=view.service_name,
            when=i18n.format_datetime(view.start)))
        intro.setObjectName("muted")
        layout.addWidget(intro)
        form = QFormLayout()
        layout.addLayout(form)
        local = view.start.astimezone(window.zone)
        self.date = DateEdit(QDate(local.year, local.month, local.day))
        self.date.setCalendarPopup(True)
        self.date.setLocale(window.qlocale())
        self.date.setDisplayFormat(window.date_format())
        self.time = TimeEdit(QTime(local.hour, local.minute))
        self.time.setLocale(window.qlocale())
        when = QHBoxLayout()
        when.addWidget(self.date)
        when.addWidget(self.time)
        form.addRow(_("New date and time"), when)
        self.staff = ComboBox()
        for st in window.staff:
            self.staff.addItem(st.name, st.id)
        self.staff.setCurrentIndex(max(0, self.staff.findData(view.staff_id)))
        form.addRow(_("Professional"), self.staff)
        self.scope_widget, self.scopes = scope_box(view, self)
        if self.scope_widget is not None:
            form.addRow(_("Apply to"), self.scope_widget)
        self.status = plain(QLabel())  # conflicts name the clients in the way
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        layout.addWidget(QLabel(_("Free times that day")))
        self.suggestions = QListWidget()
        self.suggestions.setObjectName("list")
        self.suggestions.setFlow(QListWidget.Flow.LeftToRight)
        self.suggestions.setWrapping(True)
        self.suggestions.setMinimumHeight(72)
        self.suggestions.setMaximumHeight(96)
        self.suggestions.itemClicked.connect(self._pick)
        layout.addWidget(self.suggestions)
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton(_("Reschedule"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.ok.clicked.connect(self._confirm)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.conflicts: list[str] = []
        self.override = False
        self._armed = False
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self._debounce.timeout.connect(self._check)
        self.date.dateChanged.connect(self._changed)
        self.time.timeChanged.connect(self._changed)
        self.staff.currentIndexChanged.connect(self._changed)
        self._request = 0
        # It opens on the next free time after the current one (the current time,
        # named in the line above, is no choice); until that is found, nothing to book.
        self._proposing, self._opened = True, False
        self.ok.setEnabled(False)
        self._changed()
        self._opened = True  # from now on a change is the person's choice

    def _same(self) -> str | None:
        """Why the chosen time is no move (the session's own time and professional)."""
        return scheduling.same_time_reason(self.view.id, self.view.start, self.view.staff_id,
                                           self.start(), self.staff_id(), self.window_.zone)

    def _say(self, text: str, kind: str) -> None:
        """The status line, restyled, with the dialog grown so that nothing overlaps."""
        self.status.setText(text)
        self.status.setObjectName(kind)
        self.status.setStyleSheet("")  # re-polish after the object name changed
        self._fit()

    def _fit(self) -> None:
        layout = self.layout()
        layout.activate()
        need = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() \
            else layout.totalSizeHint().height()
        screen = self.screen().availableGeometry().height() if self.screen() else need
        need = min(need, screen)
        self.setMinimumHeight(need)
        if self.height() < need:
            self.resize(self.width(), need)

    def start(self) -> datetime:
        naive = datetime.combine(self.date.date().toPython(), self.time.time().toPython())
        return resolve_local(naive.replace(second=0, microsecond=0), self.window_.zone)

    def staff_id(self) -> int | None:
        value = self.staff.currentData()
        return int(value) if value is not None else None

    @property
    def scope(self) -> SeriesScope:
        return chosen_scope(self.scopes)

    def _changed(self) -> None:
        if self._opened:
            self._proposing = False
        self._armed = False
        self.ok.setText(_("Reschedule"))
        self._say(_("Checking…"), "muted")
        self._debounce.start()

    def _check(self) -> None:
        self._request += 1
        token, p, view = self._request, self.window_.practice, self.view
        start, staff_id, day = self.start(), self.staff_id(), self.date.date().toPython()
        proposing, self._proposing = self._proposing, False

        def run() -> tuple[int, list[str], list[datetime], datetime | None]:
            req = scheduling.BookingRequest(
                client_id=view.client_id, start=start, service_id=view.service_id,
                custom_service_name=view.service_name if view.service_id is None else None,
                duration_minutes=view.duration_minutes, staff_id=staff_id)
            conflicts = [c.message for c in scheduling.check_booking(p, req)
                         if c.appointment_id != view.id]
            slots = availability.free_slots(p, day, service_id=view.service_id,
                                            staff_id=staff_id,
                                            duration_minutes=view.duration_minutes,
                                            step_minutes=30, ignoring=[view.id])
            # Proposed: the first free time after the session ends, so the proposal
            # is a real move; the list of free times also offers the ones it overlaps.
            proposal = availability.next_free(
                p, view.end - timedelta(seconds=1), service_id=view.service_id,
                staff_id=staff_id, duration_minutes=view.duration_minutes,
                ignoring=[view.id]) if proposing else None
            return token, conflicts, slots, proposal

        self.window_.tasks.run(run, self._checked, self._failed)

    def _checked(self, result: tuple[int, list[str], list[datetime], datetime | None]
                 ) -> None:
        token, conflicts, slots, proposal = result
        if token != self._request:
            return
        if proposal is not None:
            local = proposal.astimezone(self.window_.zone)
            self.date.setDate(QDate(local.year, local.month, local.day))
            self.time.setTime(QTime(local.hour, local.minute))
            return  # the change checks the proposed time
        self.conflicts = conflicts
        same = self._same()
        self.ok.setEnabled(same is None)
        self.ok.setToolTip(same or "")
        if same:
            self._say("⚠ " + same, "warning")
        elif conflicts:
            self._say("⚠ " + " ".join(conflicts), "warning")
        else:
            self._say("✓ " + _("This time is free."), "muted")
        self.suggestions.clear()
        for slot in slots:
            item = QListWidgetItem(i18n.format_time(slot))
            item.setData(256, slot.astimezone(self.window_.zone).time())
            self.suggestions.addItem(item)
        if not slots:
            self.suggestions.addItem(_("No free time that day."))

    def _failed(self, exc: Exception) -> None:
        self._say(str(exc), "error")

    def _pick(self, item: QListWidgetItem) -> None:
        value = item.data(256)
        if isinstance(value, time):
            self.time.setTime(QTime(value.hour, value.minute))

    def _confirm(self) -> None:
        if self._debounce.isActive():
            self._debounce.stop()
            self._check()
            return
        if self._same():
            return  # no move: said in the status line
        if self.conflicts and not self._armed:
            self._armed = True
            self.ok.setText(_("Reschedule anyway"))
            self._say("⚠ " + " ".join(self.conflicts) + " " +
                      _("Click again to book over the conflict; it will be recorded."), "warning")
            return
        self.override = bool(self.conflicts)
        self.accept()
