"""A card opened: the conversation thread, the linked client's next session with
a quick confirm, status / type / tags / notes, and the composer, whose state
follows the channel's rules (WhatsApp: templates only until the client replies
and after the 24-hour window closes)."""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING

from PySide6.QtCore import QStringListModel, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCompleter,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app import i18n
from app.i18n import _
from app.models.conecta import (
    AttendanceStatus,
    CallOutcome,
    DeliveryState,
    Direction,
    EntryKind,
    Window,
)
from app.models.conecta import Medium as M
from app.models.enums import AppointmentStatus
from app.services import attendances, conversations, scheduling
from app.services.conversations import Detail, Template
from app.services.errors import ChangedMeanwhile, PracticeError
from app.services.values import format_phone
from app.ui.client_picker import NO_CLIENT, ClientPickerDialog
from app.ui.conecta_dialog import split_tags
from app.ui.plain import button_text, escape, plain
from app.ui.plain import label as plain_label
from app.ui.wheel_guard import ComboBox, SpinBox

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

STATE_MARK = {DeliveryState.QUEUED: "…", DeliveryState.SENT: "✓", DeliveryState.DELIVERED: "✓✓",
              DeliveryState.READ: "✓✓", DeliveryState.FAILED: "⚠", DeliveryState.RECEIVED: ""}


def duration(seconds: int) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{minutes}:{secs:02d}"


SHOWN_AT_FIRST = 80  # the most recent messages; earlier ones on request (a long
# thread would otherwise cost a noticeable moment to lay out each time it is opened)
EARLIER = "earlier"


def thread_html(d: Detail, zone: tzinfo, everything: bool = False) -> str:
    """The thread as chat bubbles: the client's on the left, the practice's right,
    times in the practice's zone."""
    parts = []
    entries = d.entries if everything else d.entries[-SHOWN_AT_FIRST:]
    hidden = len(d.entries) - len(entries)
    if hidden:
        more = _("Show {n} earlier messages").format(n=hidden)
        parts.append(f"<p align='center'><a href='#{EARLIER}'>{more}</a></p>")
    for e in entries:
        ours = e.direction is Direction.OUTBOUND
        when = i18n.format_datetime(e.at.astimezone(zone))
        if e.kind is EntryKind.CALL:
            way = _("Outgoing call") if ours else _("Incoming call")
            body = (f"📞 <b>{way}</b> · {attendances.call_outcome_label(e.call_outcome)}"
                    + (f" · {duration(e.call_seconds)}" if e.call_seconds else "")
                    + (f"<br>{escape(e.body)}" if e.body else ""))
        else:
            # What the client wrote (and the sender's profile name, the subject, a
            # provider's error) is shown as the characters it is: a stranger's
            # <b> or <a href> is neither bold nor a link here.
            body = escape(e.body)
            if e.kind is EntryKind.TEMPLATE:
                label = _("Template")
                body = (f"<span style='color:#64748b'>{label} {escape(e.template or '')}</span>"
                        f"<br>{body}")
            if e.subject and ours:
                body = f"<b>{escape(e.subject)}</b><br>{body}"
        meta = f"{escape(e.author)} · {when}"
        if ours and e.state is not DeliveryState.RECEIVED:
            colour = "#dc2626" if e.state is DeliveryState.FAILED else \
                "#2563eb" if e.state is DeliveryState.READ else "#64748b"
            meta += f" · <span style='color:{colour}'>{STATE_MARK[e.state]} " \
                    f"{attendances.delivery_label(e.state)}</span>"
        if e.error:
            meta += f"<br><span style='color:#dc2626'>{escape(e.error)}</span>"
        bg = "#dbeafe" if ours else "#ffffff"
        align = "right" if ours else "left"
        parts.append(
            f"<table width='100%' cellspacing='0' cellpadding='0'><tr><td align='{align}'>"
            f"<table cellpadding='8' style='background:{bg}; border:1px solid #e2e8f0;'>"
            f"<tr><td>{body}<br><span style='color:#64748b; font-size:small'>{meta}</span>"
            f"</td></tr></table></td></tr></table><br>")
    if not parts:
        nothing = _("No messages yet.")
        parts.append(f"<p style='color:#64748b'>{nothing}</p>")
    return "".join(parts)


class Composer(QWidget):
    """Free text, a template with its parameters and preview, or the call log."""

    def __init__(self, view: AttendanceView) -> None:
        super().__init__()
        self.view = view
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.window_state = plain(QLabel())
        self.window_state.setWordWrap(True)
        layout.addWidget(self.window_state)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack)
        # Free text.
        text_page = QWidget()
        tl = QVBoxLayout(text_page)
        tl.setContentsMargins(0, 0, 0, 0)
        self.subject = QLineEdit()
        self.subject.setPlaceholderText(_("Subject"))
        tl.addWidget(self.subject)
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText(_("Write a message…"))
        self.text.setFixedHeight(80)
        tl.addWidget(self.text)
        row = QHBoxLayout()
        self.use_template = QPushButton(_("Use a template"))
        self.use_template.clicked.connect(lambda: self.stack.setCurrentIndex(1))
        row.addWidget(self.use_template)
        row.addStretch(1)
        self.send = QPushButton(_("Send"))
        self.send.setObjectName("primary")
        self.send.clicked.connect(view.send_text)
        row.addWidget(self.send)
        tl.addLayout(row)
        self.stack.addWidget(text_page)
        # A template.
        template_page = QWidget()
        pl = QVBoxLayout(template_page)
        pl.setContentsMargins(0, 0, 0, 0)
        self.template = ComboBox()
        self.template.currentIndexChanged.connect(self.template_chosen)
        pl.addWidget(self.template)
        self.params = QFormLayout()
        pl.addLayout(self.params)
        self.param_edits: list[QLineEdit] = []
        self.preview = plain(QLabel())  # the parameters may be pasted from a message
        self.preview.setWordWrap(True)
        self.preview.setObjectName("preview")
        self.preview.setStyleSheet("background: #f1f5f9; border-radius: 6px; padding: 8px;")
        pl.addWidget(self.preview)
        row = QHBoxLayout()
        self.back_to_text = QPushButton(_("Write free text"))
        self.back_to_text.clicked.connect(lambda: self.stack.setCurrentIndex(0))
        row.addWidget(self.back_to_text)
        row.addStretch(1)
        self.send_template = QPushButton(_("Send template"))
        self.send_template.setObjectName("primary")
        self.send_template.clicked.connect(view.send_template)
        row.addWidget(self.send_template)
        pl.addLayout(row)
        self.stack.addWidget(template_page)
        # The call log (VoIP).
        call_page = QWidget()
        cl = QVBoxLayout(call_page)
        cl.setContentsMargins(0, 0, 0, 0)
        self.call_link = QPushButton(_("Call"))
        self.call_link.clicked.connect(view.call)
        cl.addWidget(self.call_link, 0, Qt.AlignmentFlag.AlignLeft)
        form = QFormLayout()
        self.call_direction = ComboBox()
        self.call_direction.addItem(_("Outgoing call"), Direction.OUTBOUND.value)
        self.call_direction.addItem(_("Incoming call"), Direction.INBOUND.value)
        self.call_outcome = ComboBox()
        for o in CallOutcome:
            self.call_outcome.addItem(attendances.call_outcome_label(o), o.value)
        self.call_minutes = SpinBox()
        self.call_minutes.setRange(0, 600)
        self.call_minutes.setSuffix(" min")
        self.call_notes = QLineEdit()
        form.addRow(_("Direction"), self.call_direction)
        form.addRow(_("Outcome"), self.call_outcome)
        form.addRow(_("Duration"), self.call_minutes)
        form.addRow(_("Notes"), self.call_notes)
        cl.addLayout(form)
        self.log_call = QPushButton(_("Log call"))
        self.log_call.setObjectName("primary")
        self.log_call.clicked.connect(view.log_call)
        cl.addWidget(self.log_call, 0, Qt.AlignmentFlag.AlignRight)
        self.stack.addWidget(call_page)
        self.error = plain(QLabel())  # a provider's answer
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.templates: list[Template] = []
        self.known: dict[str, str] = {}  # what fills a template's parameters
        # On templates because the window was closed (not the person's choice).
        self.forced_template = False

    def reset(self) -> None:
        """Another card: nothing typed for the previous one stays (a draft, a subject,
        a provider's answer, a call's notes), and the way of writing starts afresh."""
        self.text.clear()
        self.subject.clear()
        self.error.clear()
        self.call_notes.clear()
        self.call_minutes.setValue(0)
        self.call_direction.setCurrentIndex(0)
        self.call_outcome.setCurrentIndex(0)
        self.forced_template = False
        self.stack.setCurrentIndex(0)

    def set_templates(self, templates: list[Template], known: dict[str, str] | None = None
                      ) -> None:
        """known: what the app knows of the card's client and next session, to fill
        the template's parameters (still editable)."""
        self.templates = templates
        self.known = known or {}
        self.template.blockSignals(True)
        self.template.clear()
        for t in templates:
            self.template.addItem(f"{t.name} ({t.language})", t.id)
        self.template.blockSignals(False)
        self.template_chosen()

    def current_template(self) -> Template | None:
        i = self.template.currentIndex()
        return self.templates[i] if 0 <= i < len(self.templates) else None

    def template_chosen(self) -> None:
        while self.params.rowCount():
            self.params.removeRow(0)
        self.param_edits = []
        t = self.current_template()
        if t is None:
            self.preview.setText(_("No approved template is registered: add them in "
                                   "Settings › Conecta."))
            self.send_template.setEnabled(False)
            return
        self.send_template.setEnabled(True)
        values = conversations.prefill(t.labels, t.parameter_count, self.known)
        for i in range(t.parameter_count):
            edit = QLineEdit(values[i])
            edit.textChanged.connect(self.update_preview)
            # A label typed in the settings: its "&" or markup shown as written.
            label = t.labels[i] if i < len(t.labels) else f"{{{{{i + 1}}}}}"
            self.params.addRow(plain_label(button_text(label)), edit)  # buddy: & is a key
            self.param_edits.append(edit)
        self.update_preview()

    def parameters(self) -> list[str]:
        return [e.text() for e in self.param_edits]

    def update_preview(self) -> None:
        t = self.current_template()
        if t is not None:
            self.preview.setText(conversations.render(t.body, self.parameters()))


class AttendanceView(QFrame):
    """The right-hand side of Conecta for one card."""

    read = Signal(int)  # a card with unread messages was opened

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.setObjectName("card")
        self.window_ = window
        self.detail: Detail | None = None
        self.attendance_id: int | None = None
        self._version: int | None = None  # the card's, as its fields were filled
        self._keep_version = False  # a field typed in was changed elsewhere meanwhile
        self._refill = False  # the next load shows the card as it is, typing or not
        self._load_token = 0  # the newest load; older answers are dropped
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        # The card's name is the sender's WhatsApp profile name when no client has
        # the number: anyone's text.
        self.title = plain(QLabel())
        self.title.setObjectName("pageTitle")
        layout.addWidget(self.title)
        self.subtitle = plain(QLabel())
        self.subtitle.setObjectName("muted")
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.subtitle)
        edits = QHBoxLayout()
        self.status = ComboBox()
        for st in AttendanceStatus:
            self.status.addItem(attendances.status_label(st), st.value)
        self.type = ComboBox()
        self.tags = QLineEdit()
        self.tags.setPlaceholderText(_("Tags, separated by commas"))
        edits.addWidget(self.status)
        edits.addWidget(self.type)
        edits.addWidget(self.tags, 1)
        layout.addLayout(edits)
        self.status.activated.connect(lambda _i: self.save(status=self.status.currentData()))
        self.type.activated.connect(lambda _i: self.save(type=self.type.currentData()))
        self.tags.editingFinished.connect(self._tags_edited)
        client_row = QHBoxLayout()
        self.client = plain(QLabel())
        client_row.addWidget(self.client, 1)
        self.open_client_button = QPushButton(_("Open client file"))
        self.open_client_button.clicked.connect(self.show_client)
        self.change_client = QPushButton(_("Change client…"))
        self.change_client.clicked.connect(self.pick_client)
        client_row.addWidget(self.open_client_button)
        client_row.addWidget(self.change_client)
        layout.addLayout(client_row)
        session_row = QHBoxLayout()
        self.session = plain(QLabel())
        session_row.addWidget(self.session, 1)
        self.confirm_session = QPushButton(_("Confirm appointment"))
        self.confirm_session.clicked.connect(self.confirm)
        self.open_session = QPushButton(_("Reschedule"))
        self.open_session.clicked.connect(self.reschedule)
        session_row.addWidget(self.confirm_session)
        session_row.addWidget(self.open_session)
        layout.addLayout(session_row)
        self.thread = QTextBrowser()
        self.thread.setOpenExternalLinks(False)
        self.thread.setOpenLinks(False)
        self.thread.anchorClicked.connect(self._anchor)
        layout.addWidget(self.thread, 1)
        self.notes = QLineEdit()
        self.notes.setPlaceholderText(_("Notes about this attendance (not sent)"))
        self.notes.editingFinished.connect(
            lambda: self.save(notes=self.notes.text()) if self.detail and
            self.notes.text() != self.detail.card.notes else None)
        layout.addWidget(self.notes)
        self.composer = Composer(self)
        layout.addWidget(self.composer)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.show_window)
        self.timer.start(30_000)
        self.show_empty()

    def show_empty(self) -> None:
        self.title.setText(_("No attendance selected"))
        self.subtitle.setText(_("Choose a card, or start an attendance with (+)."))
        for w in (self.status, self.type, self.tags, self.notes, self.composer,
                  self.confirm_session, self.open_session, self.open_client_button,
                  self.change_client):
            w.setEnabled(False)
        self.session.clear()
        self.client.clear()
        self.thread.clear()

    # ------------------------------------------------------------ loading

    def load(self, attendance_id: int) -> None:
        if attendance_id != self.attendance_id:
            self._keep_version = False
        self.attendance_id = attendance_id
        # Loads run on a pool and may finish out of order: only the newest is shown,
        # or an older read (say, from before the client's reply) would overwrite it.
        self._load_token += 1
        token = self._load_token
        p = self.window_.practice

        def work() -> tuple[Detail, list[str], list[Template], list[str], bool]:
            was_unread = attendances.mark_read(p, attendance_id, announce=False)
            return (conversations.detail(p, attendance_id), attendances.types(p),
                    conversations.templates(p), attendances.tags_in_use(p), was_unread)

        self.window_.tasks.run(work, lambda result: self._loaded(result, token),
                               self.window_.show_error)

    def _loaded(self, result: tuple[Detail, list[str], list[Template], list[str], bool],
                token: int) -> None:
        d, kinds, templates, tags, was_unread = result
        if was_unread:  # the counts on the board and the navigation go down
            self.read.emit(d.card.id)
        if token != self._load_token:
            return  # another card was chosen, or the same one read again, meanwhile
        if self.detail is None or self.detail.card.id != d.card.id:
            self.composer.reset()
        prev, refill = self.detail, self._refill
        self._refill = False
        self.detail = d
        c = d.card
        # A field being typed in is kept (its save follows on leaving it). The card's
        # version is taken only when nobody else changed that field meanwhile, so a
        # save over another's change is refused rather than written over it.
        typed: dict[QLineEdit, str] = {}
        if prev is not None and prev.card.id == c.id and not refill:
            for field, before, now in ((self.notes, prev.card.notes, c.notes),
                                       (self.tags, ", ".join(prev.card.tags),
                                        ", ".join(c.tags))):
                if field.text() != before:
                    typed[field] = field.text()
                    if now != before:
                        self._keep_version = True
        if not self._keep_version:
            self._version = c.version
        for w in (self.status, self.type, self.tags, self.notes, self.composer,
                  self.change_client):
            w.setEnabled(True)
        self.title.setText(c.name)
        contact = c.email if c.medium is M.EMAIL else \
            format_phone(c.phone, self.window_.country)
        bits = [attendances.medium_label(c.medium), contact]
        if c.originator:
            bits.append(_("via {originator}").format(
                originator=c.originator if "@" in c.originator else
                format_phone(c.originator, self.window_.country)))
        self.client.setText(_("Client: {name}").format(name=d.client_name)
                            if c.client_id else _("Not linked to a client."))
        self.open_client_button.setEnabled(c.client_id is not None)
        self.change_client.setText(_("Change client…") if c.client_id else
                                   _("Link to a client…"))
        self.subtitle.setText(" · ".join(b for b in bits if b))
        self.status.setCurrentIndex(self.status.findData(c.status.value))
        self.type.clear()
        for key in kinds if c.type in kinds else [*kinds, c.type]:
            self.type.addItem(attendances.type_label(key), key)
        self.type.setCurrentIndex(self.type.findData(c.type))
        self.tags.setText(typed.get(self.tags, ", ".join(c.tags)))
        completer = QCompleter(QStringListModel(tags, self), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.tags.setCompleter(completer)
        self.notes.setText(typed.get(self.notes, c.notes))
        nxt = d.next_session
        if nxt is not None:
            self.session.setText(_("Next session: {when} · {status}").format(
                when=i18n.format_datetime(nxt.start.astimezone(self.window_.zone)),
                status=scheduling.status_text(AppointmentStatus(nxt.status),
                                              nxt.cancel_requested)))
            self.confirm_session.setEnabled(nxt.status == "scheduled" and
                                            not nxt.cancel_requested)
            self.confirm_session.setToolTip(scheduling.cancel_requested_reason(nxt.id)
                                            if nxt.cancel_requested else "")
            self.open_session.setEnabled(True)
        else:
            self.session.setText(_("No upcoming session.") if c.client_id else "")
            self.confirm_session.setEnabled(False)
            self.confirm_session.setToolTip("")
            self.open_session.setEnabled(False)
        for w in (self.session, self.confirm_session, self.open_session):
            w.setVisible(c.client_id is not None)  # sessions belong to a client file
        self.thread.setHtml(thread_html(d, self.window_.zone))
        bar = self.thread.verticalScrollBar()
        bar.setValue(bar.maximum())
        self.composer.set_templates(templates, d.known)
        self.composer.subject.setVisible(c.medium is M.EMAIL)
        self.show_window()

    def _anchor(self, url: QUrl) -> None:
        if url.fragment() == EARLIER and self.detail is not None:
            bar = self.thread.verticalScrollBar()
            from_bottom = bar.maximum() - bar.value()
            self.thread.setHtml(thread_html(self.detail, self.window_.zone, everything=True))
            bar.setValue(bar.maximum() - from_bottom)  # stay at the same message

    def show_window(self) -> None:
        """The composer's state: which way of writing the channel allows now."""
        d, composer = self.detail, self.composer
        if d is None:
            return
        medium = d.card.medium
        # Worked out afresh for every card: a WhatsApp card's closed window must not
        # leave "Send" disabled for the e-mail card opened next.
        composer.use_template.setVisible(medium is M.WHATSAPP)
        composer.back_to_text.setVisible(medium is M.WHATSAPP)
        for button in (composer.send, composer.use_template, composer.back_to_text):
            button.setEnabled(True)
            button.setToolTip("")
        composer.window_state.setStyleSheet("")
        if medium is not M.WHATSAPP:
            composer.forced_template = False
        if medium is M.VOIP:
            composer.stack.setCurrentIndex(2)
            composer.window_state.setText(_("Calls are made from your phone: log each one "
                                            "here."))
            composer.call_link.setText(_("Call {phone}").format(
                phone=format_phone(d.card.phone, self.window_.country)))
            return
        if medium is not M.WHATSAPP or d.window is None:
            composer.stack.setCurrentIndex(0)
            composer.window_state.setText("")
            return
        now = self.window_.practice.clock.now()
        win = d.window
        if win.open and win.closes_at is not None and now >= win.closes_at:
            win = Window(False, None, "expired")  # the clock moved on since loading
        if win.open:
            left = win.left(now)
            hours, minutes = divmod(int(left.total_seconds()) // 60, 60)
            left_text = _("{hours} h {minutes} min").format(hours=hours, minutes=minutes) \
                if minutes else _("{hours} h").format(hours=hours) if hours else \
                _("{minutes} min").format(minutes=minutes)
            composer.window_state.setText(_("24-hour window open: {left} left for free "
                                            "text.").format(left=left_text))
            composer.window_state.setStyleSheet("color: #047857;")
            composer.send.setEnabled(True)
            composer.use_template.setEnabled(True)
            composer.back_to_text.setEnabled(True)
            if composer.forced_template:  # the client replied: free text at once
                composer.forced_template = False
                composer.stack.setCurrentIndex(0)
        else:
            composer.window_state.setText(conversations.window_explanation(win))
            composer.window_state.setStyleSheet("color: #b45309;")
            composer.stack.setCurrentIndex(1)
            composer.forced_template = True
            composer.back_to_text.setEnabled(False)
            composer.send.setEnabled(False)
            composer.send.setToolTip(conversations.window_explanation(win))

    # ------------------------------------------------------------ acting

    def _run(self, work: object, said: str | None, after: object = None) -> None:
        """said None: the work's result is the sentence to say."""
        composer = self.composer
        composer.error.clear()

        def done(result: object) -> None:
            self.window_.say(str(result) if said is None else said)
            if callable(after):
                after()

        aid = self.attendance_id

        def failed(exc: BaseException) -> None:
            if aid is not None:
                self._save_failed(exc, aid)
            elif isinstance(exc, PracticeError):
                composer.error.setText(str(exc))
            else:
                self.window_.show_error(exc)

        assert callable(work)
        self.window_.tasks.run(work, done, failed)

    def save(self, **changes: object) -> None:
        """A field of the card saved, with the version it was filled from: another
        computer's change since is refused with who and when, and the card shows
        what is there now."""
        if self.attendance_id is None:
            return
        aid, p, version = self.attendance_id, self.window_.practice, self._version

        def work() -> int:
            return attendances.update(p, aid, **changes,  # type: ignore[arg-type]
                                      expected_version=version)

        def saved(new_version: object) -> None:
            if self.attendance_id == aid and self._version == version and \
                    isinstance(new_version, int):
                self._version = new_version  # the next field's save follows this one
                self._keep_version = False
            self.window_.say(_("Attendance updated."))

        self.composer.error.clear()
        self.window_.tasks.run(work, saved, lambda exc: self._save_failed(exc, aid))

    def _save_failed(self, exc: BaseException, aid: int) -> None:
        if not isinstance(exc, PracticeError):
            self.window_.show_error(exc)
            return
        self.composer.error.setText(str(exc))
        if isinstance(exc, ChangedMeanwhile) and self.attendance_id == aid:
            self._refill, self._keep_version = True, False
            self.load(aid)  # the card as it is now; nothing of the refused save kept

    def _tags_edited(self) -> None:
        if self.detail is not None and split_tags(self.tags.text()) != list(
                self.detail.card.tags):
            self.save(tags=split_tags(self.tags.text()))

    def send_text(self) -> None:
        if self.attendance_id is None:
            return
        aid, p = self.attendance_id, self.window_.practice
        text, subject = self.composer.text.toPlainText(), self.composer.subject.text()

        def work() -> str:
            return conversations.send_now(p, conversations.send_text(p, aid, text,
                                                                     subject or None))

        self._run(work, None, self.composer.text.clear)

    def send_template(self) -> None:
        t = self.composer.current_template()
        if self.attendance_id is None or t is None:
            return
        aid, p, params = self.attendance_id, self.window_.practice, self.composer.parameters()

        def work() -> str:
            return conversations.send_now(p, conversations.send_template(p, aid, t.id, params))

        self._run(work, None)

    def log_call(self) -> None:
        if self.attendance_id is None:
            return
        c, aid, p = self.composer, self.attendance_id, self.window_.practice
        values = dict(direction=c.call_direction.currentData(),
                      outcome=c.call_outcome.currentData(),
                      seconds=c.call_minutes.value() * 60, notes=c.call_notes.text())
        self._run(lambda: attendances.log_call(p, aid, **values),  # type: ignore[arg-type]
                  _("Call logged."), c.call_notes.clear)

    def call(self) -> None:
        if self.detail is not None and self.detail.card.phone:
            QDesktopServices.openUrl(QUrl(f"tel:{self.detail.card.phone}"))

    def confirm(self) -> None:
        d = self.detail
        if d is None or d.next_session is None:
            return
        sid, p = d.next_session.id, self.window_.practice
        self._run(lambda: scheduling.confirm(p, sid), None)

    def show_client(self) -> None:
        if self.detail is not None and self.detail.card.client_id is not None:
            self.window_.open_client(self.detail.card.client_id)

    def pick_client(self) -> ClientPickerDialog | None:
        """Changes which client file the attendance belongs to (or none)."""
        d = self.detail
        if d is None:
            return None
        c = d.card
        dialog = ClientPickerDialog(self.window_, c.name, c.client_id)
        aid, p = c.id, self.window_.practice

        def chosen() -> None:
            if dialog.chosen is None or dialog.chosen == c.client_id:
                return
            client_id = None if dialog.chosen == NO_CLIENT else dialog.chosen
            version = self._version if self.attendance_id == aid else c.version
            self._run(lambda: attendances.update(p, aid, client_id=client_id,
                                                 expected_version=version),
                      _("Attendance linked to the client.") if client_id else
                      _("Attendance no longer linked to a client."))

        dialog.accepted.connect(chosen)
        self.client_picker = dialog
        dialog.open()
        return dialog

    def reschedule(self) -> None:
        d = self.detail
        if d is not None and d.next_session is not None:
            self.window_.open_appointment(d.next_session.id)
