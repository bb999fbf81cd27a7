"""Configurações › Conecta: the practice's own attendance types, its numbers and
addresses per channel (Originado por), and the WhatsApp templates Meta approved,
with their parameters and a preview."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _
from app.models.conecta import BUILT_IN_TYPES, Medium
from app.services import attendances, conecta_setup, conversations
from app.services.conecta_setup import Setup
from app.services.conversations import Template
from app.services.errors import ChangedMeanwhile, FieldInvalid, PracticeError
from app.ui.conecta_dialog import INVALID
from app.ui.notifications_page import message_label
from app.ui.plain import verbatim

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

ID_ROLE = Qt.ItemDataRole.UserRole
CHANNELS = (Medium.WHATSAPP, Medium.SMS, Medium.VOIP, Medium.EMAIL)


class ConectaTab(QScrollArea):
    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window_ = window
        self.setWidgetResizable(True)
        inner = QWidget()
        inner.setMaximumWidth(900)
        column = QVBoxLayout(inner)
        column.addWidget(self._types_box())
        column.addWidget(self._originators_box())
        column.addWidget(self._templates_box())
        column.addStretch(1)
        self.setWidget(inner)
        self.setup: Setup | None = None
        self.templates: list[Template] = []
        self._select_template: int | None = None

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.setup is None:
            self.reload()

    def reload(self) -> None:
        p = self.window_.practice
        self.window_.tasks.run(lambda: (conecta_setup.load(p), conversations.templates(p)),
                               self._loaded, self.window_.show_error)

    def _loaded(self, result: tuple[Setup, list[Template]]) -> None:
        self.setup, self.templates = result
        self._show_types(self.setup.own_types)
        for medium, edit in self.originator_edits.items():
            edit.setText(self._shown(medium, self.setup.listed[medium]))
            fallback = self.setup.fallback.get(medium, "")
            edit.setPlaceholderText(
                _("None listed: {value} (from Integrations) is used").format(value=fallback)
                if fallback else self.placeholders[medium])
        self._show_templates()

    def _run(self, work: Callable[[], Any], done: Callable[[Any], None], error: QLabel,
             fields: dict[str, QWidget]) -> None:
        for widget in fields.values():
            widget.setStyleSheet("")
        error.clear()

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, PracticeError):
                self.window_.show_error(exc)
                return
            error.setText(str(exc))
            if isinstance(exc, ChangedMeanwhile):  # as it is now; nothing kept
                self.reload()
            if isinstance(exc, FieldInvalid) and exc.field in fields:
                fields[exc.field].setStyleSheet(INVALID)
                fields[exc.field].setFocus()

        self.window_.tasks.run(work, done, failed)

    # ------------------------------------------------------------ types

    def _types_box(self) -> QGroupBox:
        box = QGroupBox(_("Attendance types"))
        layout = QVBoxLayout(box)
        intro = message_label("muted")
        intro.setText(_("Support, After-sales and Commercial are always offered; add the "
                        "practice's own types here."))
        layout.addWidget(intro)
        row = QHBoxLayout()
        self.type_list = QListWidget()
        self.type_list.setObjectName("list")
        self.type_list.setFixedHeight(120)
        self.type_list.currentItemChanged.connect(
            lambda item, _old: self.remove_type_button.setEnabled(
                item is not None and bool(item.data(ID_ROLE))))
        row.addWidget(self.type_list, 1)
        side = QVBoxLayout()
        self.new_type = QLineEdit()
        self.new_type.setPlaceholderText(_("New type, e.g. Evaluation"))
        self.new_type.returnPressed.connect(self.add_type)
        self.add_type_button = QPushButton(_("Add type"))
        self.add_type_button.clicked.connect(self.add_type)
        self.remove_type_button = QPushButton(_("Remove type"))
        self.remove_type_button.setObjectName("danger")
        self.remove_type_button.setEnabled(False)
        self.remove_type_button.clicked.connect(self.remove_type)
        for w in (self.new_type, self.add_type_button, self.remove_type_button):
            side.addWidget(w)
        side.addStretch(1)
        row.addLayout(side, 1)
        layout.addLayout(row)
        self.types_error = message_label("error")
        layout.addWidget(self.types_error)
        return box

    def _show_types(self, own: tuple[str, ...]) -> None:
        self.type_list.clear()
        for key in BUILT_IN_TYPES:
            item = QListWidgetItem(attendances.type_label(key) + "  " + _("(built-in)"))
            item.setForeground(Qt.GlobalColor.gray)
            item.setData(ID_ROLE, "")
            self.type_list.addItem(item)
        for name in own:
            item = QListWidgetItem(name)
            item.setData(ID_ROLE, name)
            self.type_list.addItem(item)
        self.remove_type_button.setEnabled(False)

    def _own_types(self) -> list[str]:
        return list(self.setup.own_types) if self.setup else []

    def _save_types(self, names: list[str], said: str) -> None:
        p = self.window_.practice

        # The list as it was read: another computer's change since is refused.
        version = self.setup.versions.get("conecta.types") if self.setup else None

        def done(saved: tuple[str, ...]) -> None:
            self._show_types(saved)
            self.new_type.clear()
            self.window_.say(said)
            self.reload()  # the versions the next save names

        self._run(lambda: conecta_setup.set_own_types(p, names, expected_version=version),
                  done, self.types_error, {"types": self.new_type})

    def add_type(self) -> None:
        name = self.new_type.text().strip()
        if name:
            self._save_types([*self._own_types(), name], _("Attendance type added."))

    def remove_type(self) -> None:
        item = self.type_list.currentItem()
        if item is None or not item.data(ID_ROLE):
            return
        self._save_types([t for t in self._own_types() if t != item.data(ID_ROLE)],
                         _("Attendance type removed; attendances that use it keep it."))

    # ------------------------------------------------------------ originators

    def _originators_box(self) -> QGroupBox:
        box = QGroupBox(_("Originated by"))
        form = QFormLayout(box)
        intro = message_label("muted")
        intro.setText(_("The practice's own numbers and addresses, per channel, separated "
                        "by commas. A new attendance offers only those of its channel."))
        form.addRow(intro)
        self.placeholders = {
            Medium.WHATSAPP: _("e.g. (11) 3456-7890, +55 11 98765-4321"),
            Medium.SMS: _("e.g. +55 11 98765-4321"),
            Medium.VOIP: _("e.g. (11) 3456-7890"),
            Medium.EMAIL: _("e.g. contato@clinica.com.br"),
        }
        self.originator_edits: dict[Medium, QLineEdit] = {}
        for medium in CHANNELS:
            edit = QLineEdit()
            edit.setPlaceholderText(self.placeholders[medium])
            self.originator_edits[medium] = edit
            form.addRow(attendances.medium_label(medium), edit)
        self.originators_error = message_label("error")
        form.addRow(self.originators_error)
        self.save_originators_button = QPushButton(_("Save numbers and addresses"))
        self.save_originators_button.setObjectName("primary")
        self.save_originators_button.clicked.connect(self.save_originators)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.save_originators_button)
        form.addRow(row)
        return box

    def _shown(self, medium: Medium, values: tuple[str, ...]) -> str:
        """Numbers as the practice writes them; stored with their country code."""
        if medium is Medium.EMAIL:
            return ", ".join(values)
        return ", ".join(self.window_.phone(v) for v in values)

    def save_originators(self) -> None:
        p = self.window_.practice
        given = {m: e.text().replace(";", ",").split(",")
                 for m, e in self.originator_edits.items()}

        versions = {k: v for k, v in self.setup.versions.items()
                    if k.startswith("conecta.originators.")} if self.setup else None

        def done(saved: dict[Medium, tuple[str, ...]]) -> None:
            for medium, values in saved.items():
                self.originator_edits[medium].setText(self._shown(medium, values))
            self.window_.say(_("Numbers and addresses saved."))
            self.reload()  # the versions the next save names

        self._run(lambda: conecta_setup.set_originators(p, given,
                                                        expected_versions=versions), done,
                  self.originators_error,
                  {m.value: e for m, e in self.originator_edits.items()})

    # ------------------------------------------------------------ templates

    def _templates_box(self) -> QGroupBox:
        box = QGroupBox(_("WhatsApp templates"))
        outer = QVBoxLayout(box)
        intro = message_label("muted")
        intro.setText(_("Register each template exactly as Meta approved it: its name, "
                        "language and text, with {{1}}, {{2}}... where the parameters go. "
                        "A conversation's first message, and any after 24 hours without a "
                        "reply, must be one of these. With the WhatsApp Business Account's "
                        "id in Settings › Integrations, they are read from Meta: Refresh "
                        "templates there."))
        outer.addWidget(intro)
        row = QHBoxLayout()
        self.template_list = QListWidget()
        self.template_list.setObjectName("list")
        self.template_list.setFixedWidth(240)
        self.template_list.currentItemChanged.connect(
            lambda item, _old: self._template_chosen(item))
        row.addWidget(self.template_list)
        host = QWidget()
        form = QFormLayout(host)
        self.tp_name = QLineEdit()
        self.tp_name.setPlaceholderText("lembrete_sessao")
        self.tp_language = QLineEdit()
        self.tp_language.setPlaceholderText("pt_BR")
        self.tp_body = QPlainTextEdit()
        self.tp_body.setPlaceholderText(_("Hello {{1}}, your session is on {{2}} at {{3}}."))
        self.tp_body.setFixedHeight(90)
        self.tp_body.textChanged.connect(self._body_changed)
        form.addRow(_("Name at Meta"), self.tp_name)
        form.addRow(_("Language"), self.tp_language)
        form.addRow(_("Text"), self.tp_body)
        self.tp_params = QFormLayout()
        form.addRow(_("Parameters"), self._wrap(self.tp_params))
        self.tp_param_edits: list[QLineEdit] = []
        self.tp_preview = message_label("preview")
        self.tp_preview.setStyleSheet("background: #f1f5f9; border-radius: 6px; padding: 8px;")
        form.addRow(_("Preview"), self.tp_preview)
        self.templates_error = message_label("error")
        form.addRow(self.templates_error)
        buttons = QHBoxLayout()
        self.save_template_button = QPushButton(_("Save template"))
        self.save_template_button.setObjectName("primary")
        self.save_template_button.clicked.connect(self.save_template)
        self.new_template_button = QPushButton(_("New template"))
        self.new_template_button.clicked.connect(self.new_template)
        self.remove_template_button = QPushButton(_("Remove template"))
        self.remove_template_button.setObjectName("danger")
        self.remove_template_button.clicked.connect(self.remove_template)
        for b in (self.save_template_button, self.new_template_button,
                  self.remove_template_button):
            buttons.addWidget(b)
        form.addRow(buttons)
        row.addWidget(host, 1)
        outer.addLayout(row)
        return box

    @staticmethod
    def _wrap(layout: QFormLayout) -> QWidget:
        host = QWidget()
        host.setLayout(layout)
        layout.setContentsMargins(0, 0, 0, 0)
        return host

    def _show_templates(self) -> None:
        keep = self._select_template
        if keep is None and self.template_list.currentItem() is not None:
            keep = self.template_list.currentItem().data(ID_ROLE)
        self._select_template = None
        self.template_list.blockSignals(True)
        self.template_list.clear()
        for t in self.templates:
            item = QListWidgetItem(f"{t.name} ({t.language})")
            if t.unusable:  # Meta paused, rejected or disabled it: marked, with why
                item.setText(f"⚠ {t.name} ({t.language})")
                item.setToolTip(verbatim(t.unusable))
            item.setData(ID_ROLE, t.id)
            self.template_list.addItem(item)
            if t.id == keep:
                self.template_list.setCurrentItem(item)
        self.template_list.blockSignals(False)
        if self.template_list.currentItem() is None and self.templates:
            self.template_list.setCurrentRow(0)
        else:
            self._template_chosen(self.template_list.currentItem())

    def current_template(self) -> Template | None:
        item = self.template_list.currentItem()
        return next((t for t in self.templates if item and t.id == item.data(ID_ROLE)), None)

    def _template_chosen(self, item: QListWidgetItem | None) -> None:
        t = self.current_template() if item is not None else None
        self.templates_error.clear()
        for w in (self.tp_name, self.tp_language, self.tp_body):
            w.setStyleSheet("")
        self.remove_template_button.setEnabled(t is not None)
        self.tp_name.setText(t.name if t else "")
        self.tp_language.setText(t.language if t else "pt_BR")
        self._clear_params()  # another template's labels must not carry over
        self.tp_body.setPlainText(t.body if t else "")
        for edit, label in zip(self.tp_param_edits, t.labels if t else (), strict=False):
            edit.setText(label)
        self._body_changed()
        if t is not None and t.unusable:
            self.templates_error.setText(t.unusable)

    def new_template(self) -> None:
        self.template_list.setCurrentRow(-1)
        self._template_chosen(None)
        self.tp_name.setFocus()

    def _body_changed(self) -> None:
        """One label per {{n}} in the text, keeping what was typed."""
        count = conversations.parameter_count(self.tp_body.toPlainText())
        typed = [e.text() for e in self.tp_param_edits]
        if count != len(self.tp_param_edits) or not count:
            self._clear_params()
            for i in range(count):
                edit = QLineEdit(typed[i] if i < len(typed) else "")
                edit.setPlaceholderText(_("What goes here, e.g. First name"))
                edit.textChanged.connect(self._update_template_preview)
                self.tp_params.addRow(f"{{{{{i + 1}}}}}", edit)
                self.tp_param_edits.append(edit)
        if not count:
            self.tp_params.addRow(QLabel(_("None: the text has no {{1}}.")))
        self._update_template_preview()

    def _clear_params(self) -> None:
        while self.tp_params.rowCount():
            self.tp_params.removeRow(0)
        self.tp_param_edits = []

    def _update_template_preview(self) -> None:
        labels = [f"[{e.text().strip() or i + 1}]" for i, e in enumerate(self.tp_param_edits)]
        body = self.tp_body.toPlainText().strip()
        self.tp_preview.setText(conversations.render(body, labels) if body else "")

    def save_template(self) -> None:
        p, t = self.window_.practice, self.current_template()
        fields: dict[str, Any] = dict(
            name=self.tp_name.text(), language=self.tp_language.text(),
            body=self.tp_body.toPlainText(), labels=[e.text() for e in self.tp_param_edits],
            template_id=t.id if t else None)

        def run() -> tuple[int, list[Template]]:
            saved = conversations.save_template(p, **fields)
            return saved, conversations.templates(p)

        def done(result: tuple[int, list[Template]]) -> None:
            self._select_template, self.templates = result
            self._show_templates()
            self.window_.say(_("Template saved."))

        self._run(run, done, self.templates_error,
                  {"name": self.tp_name, "language": self.tp_language, "body": self.tp_body})

    def remove_template(self) -> None:
        p, t = self.window_.practice, self.current_template()
        if t is None:
            return

        def run() -> list[Template]:
            conversations.remove_template(p, t.id)
            return conversations.templates(p)

        def done(templates: list[Template]) -> None:
            self.templates = templates
            self._show_templates()
            self.window_.say(_("Template removed; messages already sent with it keep it."))

        self._run(run, done, self.templates_error, {})
