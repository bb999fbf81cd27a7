"""The first-run assistant: a new practice is set up in six short steps, each saying
in one line why it matters — the practice, the people, the weekly hours (a grid,
not typed text), the services, the default reminders, and who uses this
computer. Skippable; Configurações opens it again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app import i18n
from app.i18n import _
from app.models.people import Person, Role
from app.services import first_run, people
from app.services.errors import InvalidInput
from app.services.first_run import Person as Professional
from app.services.first_run import ServiceDraft, Setup
from app.services.values import parse_money
from app.ui import place_fields
from app.ui.channel_words import REMINDER_CHANNELS, channel_label
from app.ui.hours_grid import HoursGrid
from app.ui.lead_time import LeadTime
from app.ui.plain import plain
from app.ui.wheel_guard import ComboBox, SpinBox
from app.ui.who_uses import stored_user as stored_user
from app.ui.who_uses import user_key as user_key

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

def _page(title: str, why: str) -> tuple[QWizardPage, QVBoxLayout]:
    page = QWizardPage()
    page.setTitle(title)
    page.setSubTitle(why)
    col = QVBoxLayout(page)
    return page, col


def _error() -> QLabel:
    label = plain(QLabel())
    label.setObjectName("error")
    label.setWordWrap(True)
    return label


class NamesList(QWidget):
    """A list of names to fill, one line each, with a button to add a line."""

    def __init__(self, names: list[str], add_text: str, placeholder: str) -> None:
        super().__init__()
        self.col = QVBoxLayout(self)
        self.col.setContentsMargins(0, 0, 0, 0)
        self.edits: list[QLineEdit] = []
        self.placeholder = placeholder
        for name in names or [""]:
            self.add(name)
        self.add_button = QPushButton(add_text)
        self.add_button.clicked.connect(lambda: self.add("").setFocus())
        self.col.addWidget(self.add_button)

    def add(self, name: str) -> QLineEdit:
        edit = QLineEdit(name)
        edit.setPlaceholderText(self.placeholder)
        self.edits.append(edit)
        self.col.insertWidget(len(self.edits) - 1, edit)
        return edit

    def names(self) -> list[str]:
        return [e.text().strip() for e in self.edits]


class FirstRunWizard(QWizard):
    def __init__(self, window: MainWindow, proposal: Setup) -> None:
        super().__init__(window)
        self.window_ = window
        self.proposal = proposal
        self.setWindowTitle(_("Set up your practice"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, False)
        self.setButtonText(QWizard.WizardButton.CancelButton, _("Skip for now"))
        self.setButtonText(QWizard.WizardButton.FinishButton, _("Start using"))
        self.setMinimumSize(720, 560)
        self.addPage(self._practice_page())
        self.addPage(self._people_page())
        self.addPage(self._hours_page())
        self.addPage(self._services_page())
        self.addPage(self._reminders_page())
        self.addPage(self._computer_page())
        self.currentIdChanged.connect(self._entered)
        self.saved = False

    # ------------------------------------------------------------ pages

    def _practice_page(self) -> QWizardPage:
        page, col = _page(_("Your practice"), _("Its name signs every reminder; the time "
                                                "zone and country set the clock and how "
                                                "phone numbers are read."))
        form = QFormLayout()
        self.name = QLineEdit(self.proposal.name)
        self.name.setPlaceholderText(_("e.g. Consultório Bem-Estar"))
        form.addRow(_("Practice name"), self.name)
        self.zone = place_fields.zone_chooser(self.window_.today().year)
        self.zone.set_code(self.proposal.timezone)
        form.addRow(_("Time zone"), self.zone)
        self.country = place_fields.country_chooser()
        self.country.set_code(self.proposal.country)
        form.addRow(_("Country"), self.country)
        self.language = ComboBox()
        for code, words in (("", _("Follow the system")), ("pt_BR", "Português (Brasil)"),
                            ("en", "English")):
            self.language.addItem(words, code)
        self.language.setCurrentIndex(max(0, self.language.findData(self.proposal.language)))
        form.addRow(_("Language"), self.language)
        col.addLayout(form)
        col.addStretch(1)
        join_note = QLabel(_("Does the practice already use Practice Desk on another "
                             "computer? Then its set-up is done: connect this computer to "
                             "it instead."))
        join_note.setObjectName("muted")
        join_note.setWordWrap(True)
        col.addWidget(join_note)
        self.join_button = QPushButton(_("Join a practice that already uses Practice Desk on "
                                         "another computer…"))
        self.join_button.clicked.connect(self.join)
        col.addWidget(self.join_button)
        return page

    def join(self) -> None:
        """Connect this computer to the practice's server; once connected, the set-up
        that practice already has is skipped and the window opens it from there."""
        from app.ui.server_form import JoinDialog

        self.join_dialog = JoinDialog(self, self.window_.tasks, self.window_.practice.paths)
        self.join_dialog.accepted.connect(self._joined)
        self.join_dialog.open()

    def _joined(self) -> None:
        self.saved = True  # nothing to skip here: the practice is set up over there
        super().reject()
        self.window_.reopen()

    def _people_page(self) -> QWizardPage:
        page, col = _page(_("The people"), _("Each professional has an agenda of their own; "
                                             "the history says who did what."))
        col.addWidget(QLabel(_("Professionals — each reads the internal notes of their own "
                               "clients' sessions")))
        self.professionals = NamesList([p.name for p in self.proposal.professionals],
                                       _("Add a professional"), _("e.g. Dra. Ana Souza"))
        col.addWidget(self.professionals)
        col.addWidget(QLabel(_("Reception (optional) — books, confirms and talks to clients; "
                               "does not read internal notes")))
        self.reception = NamesList(list(self.proposal.reception), _("Add a receptionist"),
                                   _("e.g. Carla"))
        col.addWidget(self.reception)
        self.people_error = _error()
        col.addWidget(self.people_error)
        col.addStretch(1)
        self.people_page = page
        return page

    def _hours_page(self) -> QWizardPage:
        page, col = _page(_("Working hours"), _("Sessions are offered inside these hours; "
                                                "booking outside them asks first."))
        self.hours_grid = HoursGrid(self.proposal.hours)
        self.days = self.hours_grid.days
        col.addWidget(self.hours_grid)
        col.addStretch(1)
        return page

    def _services_page(self) -> QWizardPage:
        page, col = _page(_("Services"), _("A service sets a session's length and price, so "
                                           "booking takes one choice."))
        self.service_grid = QGridLayout()
        for c, head in enumerate((_("Name"), _("Minutes"), _("Price"))):
            self.service_grid.addWidget(QLabel(head), 0, c)
        self.service_rows: list[tuple[QLineEdit, QSpinBox, QLineEdit]] = []
        for sv in self.proposal.services:
            self._add_service(sv)
        col.addLayout(self.service_grid)
        add = QPushButton(_("Add a service"))
        add.clicked.connect(lambda: self._add_service(ServiceDraft(""))[0].setFocus())
        col.addWidget(add)
        self.services_error = _error()
        col.addWidget(self.services_error)
        col.addStretch(1)
        self.services_page = page
        return page

    def _add_service(self, sv: ServiceDraft) -> tuple[QLineEdit, QSpinBox, QLineEdit]:
        name = QLineEdit(sv.name)
        minutes = SpinBox()
        minutes.setRange(5, 24 * 60)
        minutes.setSingleStep(5)
        minutes.setValue(sv.duration_minutes)
        price = QLineEdit(i18n.format_amount(sv.price_cents))
        row = len(self.service_rows) + 1
        for c, widget in enumerate((name, minutes, price)):
            self.service_grid.addWidget(widget, row, c)
        self.service_rows.append((name, minutes, price))
        return name, minutes, price

    def _reminders_page(self) -> QWizardPage:
        page, col = _page(_("Reminders"), _("Reminders cut no-shows: each session gets these "
                                            "unless you change it."))
        form = QFormLayout()
        planned = [r.split(":") for r in self.proposal.reminders.split(",") if r] or \
            [["whatsapp", "1440"], ["email", "120"]]
        self.reminders: list[tuple[QComboBox, LeadTime]] = []
        for i in range(3):
            channel = ComboBox()
            channel.addItem(_("None"), "")
            for value in REMINDER_CHANNELS:
                channel.addItem(channel_label(value), value)
            lead = LeadTime(int(planned[i][1]) if i < len(planned) else 60)
            channel.setCurrentIndex(max(0, channel.findData(planned[i][0]))
                                    if i < len(planned) else 0)
            row = QHBoxLayout()
            row.addWidget(channel)
            row.addWidget(lead)
            form.addRow(_("Reminder {n}").format(n=i + 1), row)
            self.reminders.append((channel, lead))
        col.addLayout(form)
        note = QLabel(_("Each channel is set up in Settings › Integrations; until then its "
                        "reminders are skipped, and each session says so."))
        note.setObjectName("muted")
        note.setWordWrap(True)
        col.addWidget(note)
        col.addStretch(1)
        return page

    def _computer_page(self) -> QWizardPage:
        page, col = _page(_("This computer"), _("Everything done here is recorded in the "
                                                "name of who uses it (the File menu changes "
                                                "it)."))
        self.user = ComboBox()  # the people just named, each with their role
        col.addWidget(QLabel(_("Who uses this computer?")))
        col.addWidget(self.user)
        self.error = _error()
        col.addWidget(self.error)
        col.addStretch(1)
        return page

    def validateCurrentPage(self) -> bool:
        """A wrong answer is said on its own page, before the next one."""
        page = self.currentPage()
        if page is self.people_page:
            ok = any(self.professionals.names())
            self.people_error.setText("" if ok else _("Add at least one professional."))
            return ok
        if page is self.services_page:
            for name, _minutes, price in self.service_rows:
                try:
                    if price.text().strip():
                        parse_money(price.text())
                except InvalidInput as exc:  # said beside the price, nothing saved
                    self.services_error.setText(
                        _("{service}: {problem}").format(service=name.text() or "—",
                                                         problem=exc))
                    price.setFocus()
                    return False
            self.services_error.clear()
        return bool(super().validateCurrentPage())

    def _entered(self, page_id: int) -> None:
        if page_id == self.pageIds()[-1]:  # the people may have changed: offer them
            chosen = self.user.currentData()
            self.user.clear()
            for names, role in ((self.professionals.names(), Role.PROFESSIONAL),
                                (self.reception.names(), Role.RECEPTION)):
                for name in filter(None, names):
                    self.user.addItem(people.described(Person(name, role)), name)
            self.user.setCurrentIndex(max(0, self.user.findData(chosen)))

    # ------------------------------------------------------------ saving

    def answers(self) -> Setup:
        """What the assistant holds, as the service takes it. Raises InvalidInput
        for a price that is not an amount."""
        named = self.professionals.names()
        kept = list(self.proposal.professionals)
        professionals = tuple(Professional(name, kept[i].colour, kept[i].id)
                              if i < len(kept) else Professional(name)
                              for i, name in enumerate(named))
        services = tuple(ServiceDraft(n.text().strip(), m.value(),
                                      parse_money(p.text()) if p.text().strip() else 0)
                         for n, m, p in self.service_rows if n.text().strip())
        reminders = ",".join(f"{c.currentData()}:{lead.value()}"
                             for c, lead in self.reminders if c.currentData())
        return Setup(name=self.name.text(), timezone=self.zone.code(),
                     country=self.country.code(), language=self.language.currentData(),
                     professionals=professionals,
                     reception=tuple(n for n in self.reception.names() if n),
                     hours=self.hours_grid.hours(),
                     services=services, reminders=reminders)

    def accept(self) -> None:
        """Save everything, or stay open saying what was refused."""
        try:
            setup = self.answers()
        except InvalidInput as exc:  # a price typed wrong: said here, nothing saved
            self.error.setText(str(exc))
            return
        user = str(self.user.currentData() or "").strip()
        p = self.window_.practice
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)

        def save() -> list[Person]:
            first_run.apply(p, setup)
            return people.list_people(p)

        def done(everyone: list[Person]) -> None:
            self.saved = True
            if user:
                self.window_.set_user(user, people.find(everyone, user))
            self.window_.say(_("Your practice is set up. Book the first session with "
                               "New session."))
            super(FirstRunWizard, self).accept()

        def failed(exc: Exception) -> None:
            self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
            self.error.setText(str(exc))

        self.window_.tasks.run(save, done, failed)

    def reject(self) -> None:
        if not self.saved:
            p = self.window_.practice
            self.window_.tasks.run(lambda: first_run.skip(p), lambda _r: None,
                                   self.window_.show_error)
        super().reject()


