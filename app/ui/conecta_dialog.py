"""Novo atendimento: the (+) button's form. The chosen channel (Meio de
Comunicação) decides which fields are required and which of the practice's
numbers or addresses are offered as Originado por; a refusal names the field."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import (
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _
from app.models.conecta import NEEDS_EMAIL, NEEDS_PHONE, AttendanceStatus, Medium
from app.services import attendances
from app.services.errors import FieldInvalid, PracticeError
from app.ui.plain import plain
from app.ui.wheel_guard import ComboBox

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

INVALID = "border: 1px solid #dc2626; border-radius: 4px;"


def split_tags(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


class NewAttendanceDialog(QDialog):
    def __init__(self, window: MainWindow, *, name: str = "", phone: str = "", email: str = "",
                 client_id: int | None = None, medium: Medium = Medium.WHATSAPP) -> None:
        super().__init__(window)
        self.window_ = window
        self.client_id = client_id
        self.created: int | None = None
        self.originator_options: dict[Medium, list[str]] = {}
        self.setWindowTitle(_("New attendance"))
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.medium = ComboBox()
        for m in (Medium.SMS, Medium.EMAIL, Medium.WHATSAPP, Medium.VOIP):
            self.medium.addItem(attendances.medium_label(m), m.value)
        self.name = QLineEdit(name)
        self.phone = QLineEdit(phone)
        self.phone.setPlaceholderText("(11) 98765-4321")
        self.email = QLineEdit(email)
        self.email.setPlaceholderText("nome@exemplo.com")
        self.status = ComboBox()
        for st in AttendanceStatus:
            self.status.addItem(attendances.status_label(st), st.value)
        self.type = ComboBox()
        self.originator = ComboBox()
        self.tags = QLineEdit()
        self.tags.setPlaceholderText(_("Separated by commas"))
        self.labels: dict[str, QLabel] = {}
        self.fields: dict[str, QWidget] = {
            "medium": self.medium, "name": self.name, "phone": self.phone, "email": self.email,
            "status": self.status, "type": self.type, "originator": self.originator,
            "tags": self.tags}
        for key, text in (("medium", _("Means of communication")), ("name", _("Name")),
                          ("phone", _("Phone")),
                          ("email", _("E-mail")), ("status", _("Attendance status")),
                          ("type", _("Attendance type")), ("originator", _("Originated by")),
                          ("tags", _("Tags"))):
            label = QLabel(text)
            self.labels[key] = label
            form.addRow(label, self.fields[key])
        self.base_text = {k: label.text() for k, label in self.labels.items()}
        layout.addLayout(form)
        self.hint = QLabel()
        self.hint.setObjectName("muted")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        self.error = plain(QLabel())  # a refusal may quote what was typed
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox()
        self.start_button = QPushButton(_("Start attendance"))
        self.start_button.setObjectName("primary")
        self.start_button.setDefault(True)
        buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.medium.currentIndexChanged.connect(self.channel_changed)
        self.medium.setCurrentIndex(self.medium.findData(medium.value))
        self.channel_changed()
        self._load_choices()

    # ------------------------------------------------------------ choices

    def _load_choices(self) -> None:
        p = self.window_.practice

        def load() -> tuple[list[str], dict[Medium, list[str]], list[str]]:
            return (attendances.types(p), {m: attendances.originators(p, m) for m in Medium},
                    attendances.tags_in_use(p))

        self.window_.tasks.run(load, self._choices_loaded, self.window_.show_error)

    def _choices_loaded(self, result: tuple[list[str], dict[Medium, list[str]], list[str]]
                        ) -> None:
        kinds, self.originator_options, tags = result
        self.type.clear()
        for key in kinds:
            self.type.addItem(attendances.type_label(key), key)
        completer = QCompleter(QStringListModel(tags, self), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.tags.setCompleter(completer)
        self.channel_changed()

    def current_medium(self) -> Medium:
        return Medium(self.medium.currentData())

    def channel_changed(self) -> None:
        """Marks the fields this channel requires and offers only its originators."""
        m = self.current_medium()
        required = {"phone": m in NEEDS_PHONE, "email": m in NEEDS_EMAIL, "name": True}
        for key, label in self.labels.items():
            label.setText(self.base_text[key] + (" *" if required.get(key) else ""))
        self.originator.clear()
        options = self.originator_options.get(m, [])
        for value in options:
            self.originator.addItem(value, value)
        self.originator.setEnabled(bool(options))
        if not options:
            self.originator.addItem(_("None set up in Settings › Conecta"), "")
        self.hint.setText({
            Medium.WHATSAPP: _("WhatsApp: the first message must be an approved template; "
                               "free text is unlocked when the client replies."),
            Medium.SMS: _("SMS: messages go to the phone number through Twilio."),
            Medium.EMAIL: _("E-mail: messages go to the address, threaded as one "
                            "conversation."),
            Medium.VOIP: _("VoIP: call from your phone and log each call on the card."),
        }[m])
        self.clear_marks()

    def clear_marks(self) -> None:
        for widget in self.fields.values():
            widget.setStyleSheet("")
        self.error.clear()

    # ------------------------------------------------------------ starting

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = dict(
            medium=self.current_medium(), name=self.name.text(), phone=self.phone.text(),
            email=self.email.text(), status=self.status.currentData(),
            type=self.type.currentData() or "support",
            originator=self.originator.currentData() or "", tags=split_tags(self.tags.text()))
        if self.client_id is not None:
            values["client_id"] = self.client_id
        return values

    def submit(self) -> None:
        self.clear_marks()
        values, p = self.values(), self.window_.practice
        self.start_button.setEnabled(False)
        self.window_.tasks.run(lambda: attendances.start(p, **values), self._started,
                               self._refused)

    def _started(self, attendance_id: int) -> None:
        self.created = attendance_id
        self.window_.say(_("Attendance started."))
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self.start_button.setEnabled(True)
        if isinstance(exc, FieldInvalid) and exc.field in self.fields:
            widget = self.fields[exc.field]
            widget.setStyleSheet(INVALID)
            widget.setFocus()
        if not isinstance(exc, PracticeError):
            self.window_.show_error(exc)  # unexpected: the exception hook's business
            return
        self.error.setText(str(exc))
