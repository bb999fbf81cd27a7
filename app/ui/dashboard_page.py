"""The Painel: today's sessions, unconfirmed sessions in the next 48 hours with a
one-click confirm, what clients confirmed lately, past sessions still without an
outcome, no-shows to follow up, what waits for the professional's decision, and
messages that did not go or cannot go."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app import i18n
from app.i18n import _, ngettext
from app.models.enums import AppointmentStatus as S
from app.services import (
    channel_setup,
    dashboard,
    failures,
    outbox,
    relay_client,
    scheduling,
)
from app.services.dashboard import Dashboard
from app.services.failures import About, BlockedGroup, FailureGroup
from app.services.queries import AppointmentView
from app.services.relay_client import RequestView
from app.services.reminders import MessageView
from app.ui.appointment_panel import message_state_label, notice_label
from app.ui.channel_words import channel_label
from app.ui.dialogs import RescheduleDialog
from app.ui.plain import button_text, escape, escape_breakable, label, rich, verbatim
from app.ui.style import STATUS_COLOURS

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


def _fit(widget: QPushButton | QLabel, whole: str, room: int) -> str:
    """`whole` as it fits in `room` pixels ("…" standing for the rest), with the
    tooltip saying it whole only when it had to be shortened."""
    shown = widget.fontMetrics().elidedText(whole, Qt.TextElideMode.ElideRight, max(room, 20))
    widget.setToolTip(verbatim(whole) if shown != whole else "")
    return shown


class FittedButton(QPushButton):
    """A flat link to a session: outside text shown as it is, "…" when the card is
    narrower than the name. It gives way to the row's status and buttons, however
    long the name."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.whole = text
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(60)
        self.resizeEvent(None)

    def resizeEvent(self, event: Any) -> None:
        if event is not None:
            super().resizeEvent(event)
        self.setText(button_text(_fit(self, self.whole, self.width() - 8)))


class FittedLabel(QLabel):
    """A one-line plain label that ends in "…" rather than being cut."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.whole = text
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)
        self.resizeEvent(None)

    def resizeEvent(self, event: Any) -> None:
        if event is not None:
            super().resizeEvent(event)
        self.setText(_fit(self, self.whole, self.width() - 4))


class Card(QFrame):
    def __init__(self, title: str) -> None:
        super().__init__()
        self.setObjectName("card")
        self.base_title = title
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        self.title = QLabel(title)
        self.title.setObjectName("sectionTitle")
        layout.addWidget(self.title)
        self.body = QVBoxLayout()
        self.body.setSpacing(2)
        layout.addLayout(self.body)
        layout.addStretch(1)
        self.rows: list[QWidget] = []

    def clear(self, count: int) -> None:
        self.title.setText(f"{self.base_title}  ({count})")
        for row in self.rows:
            row.deleteLater()
        self.rows = []

    def add(self, row: QWidget) -> None:
        self.body.addWidget(row)
        self.rows.append(row)

    def empty(self, text: str) -> None:
        label = QLabel(text)
        label.setObjectName("muted")
        label.setWordWrap(True)
        self.add(label)


class SessionRow(QWidget):
    def __init__(self, view: AppointmentView, when: str, open_it: Callable[[int], object],
                 action: tuple[str, Callable[[], None]] | None = None,
                 widest: str = "",
                 more: Sequence[tuple[str, str, Callable[[], None]]] = ()) -> None:
        """widest: the longest `when` the card may show, so its rows line up;
        more: further (key, text, action) buttons, in self.buttons by key."""
        super().__init__()
        self.view = view
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 3, 0, 3)
        dot = QLabel("✓" if view.status is S.CONFIRMED else "●")
        dot.setStyleSheet(f"color: {STATUS_COLOURS[view.status]}; font-size: 13px;")
        dot.setFixedWidth(16)
        row.addWidget(dot)
        time_label = QLabel(when)
        time_label.setMinimumWidth(max(110, time_label.fontMetrics().horizontalAdvance(
            widest or when) + 10))
        row.addWidget(time_label)
        # The client's name, and the service beneath it: two short lines fit a
        # laptop's half-width card where "name · service" on one line was cut.
        names = QVBoxLayout()
        names.setSpacing(0)
        self.link = FittedButton(view.client_name)
        self.link.setFlat(True)
        self.link.setStyleSheet("text-align: left; border: none; padding: 0 2px; "
                                "font-weight: 600;")
        self.link.setCursor(Qt.CursorShape.PointingHandCursor)
        self.link.clicked.connect(lambda: open_it(view.id))
        names.addWidget(self.link)
        self.service = FittedLabel(view.service_name)
        self.service.setObjectName("muted")
        self.service.setContentsMargins(2, 0, 0, 0)
        names.addWidget(self.service)
        row.addLayout(names, 1)
        self.status = status = QLabel(scheduling.status_text(view.status, view.cancel_requested))
        status.setObjectName("muted")
        row.addWidget(status)
        # With two actions beside it the name needs the room; the mark before the time
        # (● scheduled, ✓ confirmed) still says the status, and its tooltip in words.
        status.setVisible(len(more) < 2)
        dot.setToolTip(status.text())
        self.button: QPushButton | None = None
        if action is not None:
            self.button = QPushButton(action[0])
            self.button.clicked.connect(action[1])
            row.addWidget(self.button)
        self.buttons: dict[str, QPushButton] = {}
        for key, text, work in more:
            button = QPushButton(text)
            button.clicked.connect(lambda _c=False, f=work: f())
            row.addWidget(button)
            self.buttons[key] = button


def _fix_button(page: DashboardPage, fix: str | None) -> QPushButton | None:
    """The button that opens the setting a cause is fixed in."""
    if fix is None:
        return None
    text = {channel_setup.INTEGRATIONS: _("Open Integrations"),
            channel_setup.NOTIFICATIONS: _("Open Client notifications")}[fix]
    button = QPushButton(text)
    button.clicked.connect(lambda _c=False: page.window_.show_settings(fix))
    return button


def about_text(about: About) -> str:
    """"Maria Silva · Mon 15/03/27 10:00": whom and which session, as the other
    cards name a session (the client's name is outside text: escape it for rich
    text)."""
    when = i18n.format_datetime(about.session_start)
    return f"{about.client_name} · {when}"


class DecisionRow(QWidget):
    """A message that failed, or whose fate is unknown, with what can be done:
    named by its client and session's day and time (a message about no session,
    by when it was due)."""

    def __init__(self, m: MessageView, page: DashboardPage, fix: str | None = None,
                 about: About | None = None) -> None:
        super().__init__()
        self.message = m
        w = page.window_
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 4, 0, 6)
        what = notice_label(m.kind) if m.kind != "reminder" else _("reminder")
        whom = escape_breakable(about_text(about)) if about is not None else \
            i18n.format_datetime(m.due_at)
        self.title = rich(f"<b>{escape(channel_label(m.channel))} · {escape(what)}</b> — "
                          f"{whom} · {escape(message_state_label(m.state))}")
        self.title.setWordWrap(True)
        col.addWidget(self.title)
        self.reason = label(m.last_error or "")  # what the provider answered
        self.reason.setWordWrap(True)
        self.reason.setObjectName("muted")
        col.addWidget(self.reason)
        buttons = QHBoxLayout()
        p = w.practice
        self.buttons: dict[str, QPushButton] = {}
        fix_button = _fix_button(page, fix)
        if fix_button is not None:
            buttons.addWidget(fix_button)
            self.buttons["fix"] = fix_button
        choices: list[tuple[str, str, Callable[[], object], str]] = []
        if m.state == "unknown":
            choices = [("resend", _("Send again"),
                        lambda: outbox.resolve_unknown(p, m.id, resend=True),
                        _("It will be sent again.")),
                       ("mark_sent", _("It arrived"),
                        lambda: outbox.resolve_unknown(p, m.id, resend=False),
                        _("Marked as sent."))]
        else:
            choices = [("retry", _("Try again"), lambda: outbox.retry_failed(p, m.id),
                        _("It will be sent again.")),
                       ("dismiss", _("Dismiss"), lambda: outbox.dismiss(p, m.id),
                        _("Dismissed."))]
        for key, text, work, said in choices:
            button = QPushButton(text)
            button.clicked.connect(lambda _c=False, f=work, s=said: page.decide(f, s))
            buttons.addWidget(button)
            self.buttons[key] = button
        if m.appointment_id:
            open_button = QPushButton(_("Open session"))
            open_button.clicked.connect(
                lambda _c=False, i=m.appointment_id: w.open_appointment(i))
            buttons.addWidget(open_button)
        buttons.addStretch(1)
        col.addLayout(buttons)


def group_title(group: FailureGroup) -> str:
    """"12 e-mails not sent": each channel its own words, for each language's grammar."""
    n = group.count
    if group.channel == "email":
        text = ngettext("{n} e-mail not sent", "{n} e-mails not sent", n)
    elif group.channel == "whatsapp":
        text = ngettext("{n} WhatsApp message not sent", "{n} WhatsApp messages not sent", n)
    elif group.channel == "sms":
        text = ngettext("{n} SMS not sent", "{n} SMS not sent", n)
    elif group.channel == "voice":
        text = ngettext("{n} reminder call not made", "{n} reminder calls not made", n)
    elif group.channel == "push":
        text = ngettext("{n} phone notification not sent", "{n} phone notifications not sent",
                        n)
    else:
        text = ngettext("{n} message not sent", "{n} messages not sent", n)
    return text.format(n=i18n.format_number(n))


class _CauseRow(QWidget):
    """Messages held by one cause: a counted title, the cause once, and a row of
    buttons beginning with the setting that fixes it, when one does."""

    def __init__(self, title: str, reason: str, page: DashboardPage, fix: str | None) -> None:
        super().__init__()
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 4, 0, 6)
        self.title = QLabel(title)
        self.title.setObjectName("strong")
        col.addWidget(self.title)
        self.reason = label(reason)
        self.reason.setWordWrap(True)
        self.reason.setObjectName("muted")
        col.addWidget(self.reason)
        self.button_row = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        fix_button = _fix_button(page, fix)
        if fix_button is not None:
            self.button_row.addWidget(fix_button)
            self.buttons["fix"] = fix_button
        col.addLayout(self.button_row)

    def add(self, key: str, button: QPushButton) -> None:
        self.button_row.addWidget(button)
        self.buttons[key] = button


class FailureGroupRow(_CauseRow):
    """Messages not sent for one cause: the cause once, whom and which sessions
    (the newest few), one action for them all."""

    def __init__(self, group: FailureGroup, page: DashboardPage) -> None:
        # The newest message's reason stands for the group.
        super().__init__(group_title(group), group.newest.last_error or "", page, group.fix)
        self.group = group
        named = [about_text(a) for a in group.about.values()]
        if named:
            more = group.count - len(named)
            if more > 0:
                named.append(ngettext("and {n} more", "and {n} more", more).format(
                    n=i18n.format_number(more)))
            self.sessions = label("\n".join(named))
            self.sessions.setWordWrap(True)
            layout = self.layout()
            assert isinstance(layout, QVBoxLayout)
            layout.insertWidget(1, self.sessions)
        p = page.window_.practice
        key, n = group.key, group.count
        for name, text, work, said in (
                ("retry", _("Try all again"), lambda: failures.retry_group(p, key),
                 ngettext("{n} message will be sent again.",
                          "{n} messages will be sent again.", n)),
                ("dismiss", _("Dismiss all"), lambda: failures.dismiss_group(p, key),
                 ngettext("{n} message dismissed.", "{n} messages dismissed.", n))):
            button = QPushButton(text)
            button.clicked.connect(lambda _c=False, f=work, s=said: page.decide(
                f, s.format(n=i18n.format_number(n))))
            self.add(name, button)
        self.button_row.addStretch(1)


def blocked_title(group: BlockedGroup) -> str:
    """"3 e-mails waiting": the messages a cause holds back, counted; "WhatsApp
    stopped working" for a channel that did."""
    n = group.count
    if group.cause == failures.STOPPED:
        name = channel_label(group.channel)
        return _("{channel} stopped working").format(channel=name)
    if group.channel == "email":
        text = ngettext("{n} e-mail waiting", "{n} e-mails waiting", n)
    elif group.channel == "whatsapp":
        text = ngettext("{n} WhatsApp message waiting", "{n} WhatsApp messages waiting", n)
    elif group.channel == "sms":
        text = ngettext("{n} SMS waiting", "{n} SMS waiting", n)
    elif group.channel == "voice":
        text = ngettext("{n} reminder call waiting", "{n} reminder calls waiting", n)
    elif group.channel == "push":
        text = ngettext("{n} phone notification waiting", "{n} phone notifications waiting", n)
    else:
        text = ngettext("{n} message waiting", "{n} messages waiting", n)
    return text.format(n=i18n.format_number(n))


class BlockedGroupRow(_CauseRow):
    """Messages that cannot go for one cause: the cause once, with its count and
    the action that fixes it (the setting to open; for a keyring, what to do)."""

    def __init__(self, group: BlockedGroup, page: DashboardPage) -> None:
        super().__init__(blocked_title(group), group.reason, page, group.fix)
        self.group = group
        if "fix" not in self.buttons:  # the keyring: unlocked outside the app, then again
            again = QPushButton(_("Check again"))
            again.clicked.connect(lambda _c=False: page.reload())
            self.add("again", again)
        self.button_row.addStretch(1)


class RequestRow(QWidget):
    """"Cliente pediu cancelamento": the session, the client's reason, the policy,
    and the professional's four choices. A notice only needs dismissing."""

    def __init__(self, request: RequestView, view: AppointmentView, policy: str,
                 page: DashboardPage, fee: str = "") -> None:
        """fee: the amount "Charge the session" would charge ("" when none is due)."""
        super().__init__()
        self.request, self.view, self.fee = request, view, fee
        w = page.window_
        p = w.practice
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 4, 0, 8)
        when = f"{i18n.format_datetime(view.start)}"
        if request.kind == "cancel":
            head = _("Client asked to cancel")
            # The client's name, the service and the reason come from outside: shown
            # as the characters they are, never as markup or a link.
            self.head = rich(f"<b>{head}</b> — {escape_breakable(view.client_name)} · "
                             f"{escape_breakable(view.service_name)} · {when}")
            self.head.setWordWrap(True)
            col.addWidget(self.head)
            by_phone = request.via == "phone"
            self.reason = label(
                (_("Reason: {reason}").format(reason=request.reason) if request.reason else
                 _("No reason given.")) +
                (" " + _("Asked by phone, on a reminder call's keypad.") if by_phone else ""))
            self.reason.setWordWrap(True)
            col.addWidget(self.reason)
            note = label(policy)
            note.setObjectName("muted")
            note.setWordWrap(True)
            col.addWidget(note)
        else:
            self.head = rich(f"<b>{escape_breakable(view.client_name)}</b> · {when}")
            self.head.setWordWrap(True)
            col.addWidget(self.head)
            self.reason = label(request.reason)
            self.reason.setWordWrap(True)
            self.reason.setObjectName("muted")
            col.addWidget(self.reason)
        row = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        rid = request.id
        said = {"charge": _("Session cancelled and charged per the policy."),
                "waive": _("Session cancelled without charge."),
                "keep": _("The session is kept."), "dismiss": _("Dismissed.")}
        choices = [("charge", _("Charge the session")), ("reschedule", _("Reschedule")),
                   ("waive", _("Cancel without charge")), ("keep", _("Keep"))] \
            if request.kind == "cancel" else [("dismiss", _("Dismiss"))]
        for key, text in choices:
            button = QPushButton(text)
            if key == "reschedule":
                button.clicked.connect(lambda _c=False: self.reschedule(page))
            elif key == "charge":
                button.clicked.connect(lambda _c=False: self.ask_to_charge(page, said["charge"]))
            else:
                button.clicked.connect(lambda _c=False, k=key: page.decide(
                    lambda: relay_client.resolve(p, rid, k), said[k]))
            row.addWidget(button)
            self.buttons[key] = button
        row.addStretch(1)
        col.addLayout(row)
        self.dialog: RescheduleDialog | None = None
        self.question: QMessageBox | None = None

    def ask_to_charge(self, page: DashboardPage, said: str) -> QMessageBox:
        """Charging cancels the session and cannot be taken back: who, when and the
        amount are said first, and nothing happens until the person agrees."""
        w, rid, v = page.window_, self.request.id, self.view
        when = i18n.format_datetime(v.start)
        if self.fee:
            text = _("Cancel {client}'s session of {when} and charge the late cancellation "
                     "fee of {amount}?").format(client=v.client_name, when=when,
                                                amount=self.fee)
            yes = _("Cancel and charge {amount}").format(amount=self.fee)
        else:
            text = _("Cancel {client}'s session of {when}? It was asked early enough: no "
                     "fee is due, so nothing will be charged.").format(
                client=v.client_name, when=when)
            yes = _("Cancel the session")
        box = QMessageBox(QMessageBox.Icon.Question, _("Charge the session"), text,
                          QMessageBox.StandardButton.NoButton, w)
        box.setTextFormat(Qt.TextFormat.PlainText)  # the client's name, as written
        box.setInformativeText(_("The session stays in the history as cancelled; this "
                                 "cannot be undone."))
        charge = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
        box.addButton(_("Go back"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(charge)

        def answered(button: object) -> None:
            if button is charge:
                page.decide(lambda: relay_client.resolve(w.practice, rid, "charge"), said)

        box.buttonClicked.connect(answered)
        self.question = box
        box.open()
        return box

    def reschedule(self, page: DashboardPage) -> None:
        """Opens rescheduling with the day's free times; the choice resolves the request."""
        w, rid = page.window_, self.request.id
        # The window, not this row, owns the dialog: the Painel may refresh (and
        # rebuild its rows) while the professional is choosing the new time.
        dialog = RescheduleDialog(w, self.view, w)
        self.dialog = dialog

        def accepted() -> None:
            start, override = dialog.start(), dialog.override
            page.decide(lambda: relay_client.resolve(w.practice, rid, "reschedule", start,
                                                     override),
                        _("Session rescheduled to {when}.").format(
                            when=i18n.format_datetime(start)))

        dialog.accepted.connect(accepted)
        dialog.open()


class DashboardPage(QWidget):
    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.setObjectName("page")
        self.window_ = window
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 18, 24, 18)
        head = QHBoxLayout()
        title = QLabel(_("Dashboard"))
        title.setObjectName("pageTitle")
        head.addWidget(title)
        head.addStretch(1)
        self.date_label = QLabel()
        self.date_label.setObjectName("period")
        head.addWidget(self.date_label)
        outer.addLayout(head)
        grid_host = QWidget()
        grid = QGridLayout(grid_host)
        grid.setSpacing(14)
        grid.setContentsMargins(0, 8, 0, 0)
        # A person's decisions first; then the day; messages not sent last, and
        # only when there are some.
        self.decisions_card = Card(_("Waiting for your decision"))
        self.today_card = Card(_("Today"))
        self.unconfirmed_card = Card(_("To confirm in the next 48 hours"))
        self.no_show_card = Card(_("No-shows to follow up"))
        self.confirmations_card = Card(_("Confirmed by clients in the last 24 hours"))
        self.no_outcome_card = Card(_("Sessions without an outcome"))
        self.blocked_card = Card(_("Messages waiting: something keeps them from going"))
        self.failures_card = Card(_("Messages not sent"))
        grid.addWidget(self.decisions_card, 0, 0)
        grid.addWidget(self.today_card, 0, 1)
        grid.addWidget(self.unconfirmed_card, 1, 0)
        grid.addWidget(self.confirmations_card, 1, 1)
        grid.addWidget(self.no_outcome_card, 2, 0)
        grid.addWidget(self.no_show_card, 2, 1)
        grid.addWidget(self.blocked_card, 3, 0, 1, 2)
        grid.addWidget(self.failures_card, 4, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        scroll = QScrollArea()
        scroll.setWidget(grid_host)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(scroll, 1)
        self.board: Dashboard | None = None
        self._stale = True  # loaded when first shown, then on every change while shown

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def reload(self) -> None:
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        p = self.window_.practice
        self.window_.tasks.run(lambda: dashboard.load(p), self._loaded, self.window_.show_error)

    def _loaded(self, board: Dashboard) -> None:
        self.board = board
        w = self.window_
        self.date_label.setText(i18n.first_upper(i18n.format_date(w.today(), "full")))
        self.today_card.clear(len(board.today))
        late = datetime(2026, 12, 28, 23, 50, tzinfo=w.zone)  # the widest date and time
        widest_span = f"{i18n.format_time(late)}–{i18n.format_time(late)}"
        for v in board.today:
            self.today_card.add(SessionRow(
                v, f"{i18n.format_time(v.start)}–{i18n.format_time(v.end)}", w.open_appointment,
                widest=widest_span))
        if not board.has_sessions:
            self.today_card.empty(_("No sessions yet. Book the first one: it appears here on "
                                    "its day, with its confirmation and reminders."))
            book = QPushButton(_("New session"))
            book.clicked.connect(lambda _c=False: w.new_session())
            self.today_card.add(book)
        elif not board.today:
            self.today_card.empty(_("No sessions today."))
        self.unconfirmed_card.clear(len(board.unconfirmed))
        for v in board.unconfirmed:
            self.unconfirmed_card.add(SessionRow(
                v, i18n.format_datetime(v.start), w.open_appointment,
                (_("Confirm"), lambda _checked=False, i=v.id: self.confirm(i)),
                widest=i18n.format_datetime(late)))
        if not board.unconfirmed:
            self.unconfirmed_card.empty(
                _("Sessions of the next 48 hours that are not confirmed yet appear here, to "
                  "confirm in one click.") if not board.has_sessions else
                _("No sessions to confirm in the next 48 hours."))
        self.confirmations_card.clear(len(board.confirmations))
        for at, v in board.confirmations:
            self.confirmations_card.add(SessionRow(
                v, i18n.format_datetime(v.start), w.open_appointment,
                widest=i18n.format_datetime(late)))
            self.confirmations_card.rows[-1].setToolTip(
                _("Confirmed by the client at {when}.").format(when=i18n.format_datetime(at)))
        if not board.confirmations:
            self.confirmations_card.empty(_("When a client confirms through the link, the "
                                            "session appears here at once."))
        self.no_outcome_card.clear(board.no_outcome_total)
        for v in board.no_outcome:
            self.no_outcome_card.add(SessionRow(
                v, i18n.format_datetime(v.start), w.open_appointment,
                widest=i18n.format_datetime(late), more=(
                    ("complete", _("Complete"),
                     lambda i=v.id: self.decide(lambda: scheduling.complete(w.practice, i),
                                                _("Session completed."))),
                    ("no_show", _("No-show"),
                     lambda i=v.id: self.decide(lambda: scheduling.no_show(w.practice, i),
                                                _("Recorded as a no-show."))))))
        hidden = board.no_outcome_total - len(board.no_outcome)
        if hidden > 0:
            self.no_outcome_card.empty(ngettext(
                "{n} older session also has no outcome: see Sessions.",
                "{n} older sessions also have no outcome: see Sessions.",
                hidden).format(n=i18n.format_number(hidden)))
        if not board.no_outcome:
            self.no_outcome_card.empty(_("Every past session has an outcome."))
        self.no_show_card.clear(len(board.no_shows))
        for v in board.no_shows:
            self.no_show_card.add(SessionRow(
                v, i18n.format_date(v.start.date(), "medium"), w.open_appointment,
                widest=i18n.format_date(late.date(), "medium")))
        if not board.no_shows:
            self.no_show_card.empty(_("No no-shows in the last 30 days."))
        self.decisions_card.clear(board.decisions_total + len(board.requests))
        for request, view, policy in board.requests:
            self.decisions_card.add(RequestRow(request, view, policy, self,
                                               board.fees.get(request.id, "")))
        for m in board.decisions:
            self.decisions_card.add(DecisionRow(m, self, about=board.about.get(m.id)))
        more = board.decisions_total - len(board.decisions)
        if more > 0:
            self.decisions_card.empty(ngettext(
                "{n} older message also waits: it appears here as these are decided.",
                "{n} older messages also wait: they appear here as these are decided.",
                more).format(n=i18n.format_number(more)))
        if not board.decisions and not board.requests:
            self.decisions_card.empty(_("Nothing is waiting for you. A client's cancellation "
                                        "request, or a message whose fate is unknown, would "
                                        "appear here."))
        self.blocked_card.clear(sum(g.count for g in board.blocked))
        for blocked in board.blocked:
            self.blocked_card.add(BlockedGroupRow(blocked, self))
        self.blocked_card.setVisible(bool(board.blocked))
        self.failures_card.clear(sum(g.count for g in board.failures))
        for group in board.failures:
            self.failures_card.add(
                DecisionRow(group.newest, self, group.fix, group.about.get(group.newest.id))
                if group.count == 1 else FailureGroupRow(group, self))
        self.failures_card.setVisible(bool(board.failures))

    def decide(self, work: Callable[[], object], message: str) -> None:
        """`message` is said once done, unless the work says something else (when
        a message sent again will go)."""
        self.window_.tasks.run(
            work, lambda said: self.window_.say(said if isinstance(said, str) else message),
            self.window_.show_error)

    def confirm(self, appointment_id: int) -> None:
        p = self.window_.practice
        self.window_.tasks.run(lambda: scheduling.confirm(p, appointment_id),
                               self.window_.say,
                               self.window_.show_error)
