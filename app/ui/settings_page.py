"""Configurações: the practice (name, time zone, country, language, working hours,
cancellation policy), its services with their constraints, and its professionals
(name, colour, own hours)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import i18n
from app.i18n import _
from app.models.hours import WEEKDAY_KEYS
from app.services import catalog, config, people, settings
from app.services.catalog import ServiceView, StaffView
from app.services.errors import ChangedMeanwhile
from app.services.settings import SettingsView
from app.ui import place_fields
from app.ui.form_version import FormVersion
from app.ui.hours_grid import HoursGrid
from app.ui.wheel_guard import ComboBox, SpinBox

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

LANGUAGES = (("", "System"), ("pt_BR", "Português (Brasil)"), ("en", "English"))


def _error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("error")
    label.setWordWrap(True)
    return label


def _names_shown(stored: str) -> str:
    """A list of names as stored ("Carla,Joana") as a person types it."""
    return ", ".join(n for n in stored.split(",") if n)


class SettingsPage(QWidget):
    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.setObjectName("page")
        self.window_ = window
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        title = QLabel(_("Settings"))
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self.tabs.addTab(self._practice_tab(), _("Practice"))
        self.tabs.addTab(self._services_tab(), _("Services"))
        self.tabs.addTab(self._staff_tab(), _("Professionals"))
        from app.ui.conecta_settings import ConectaTab
        from app.ui.integrations import IntegrationsTab
        from app.ui.notifications_page import NotificationsTab

        self.notifications = NotificationsTab(window)
        self.integrations = IntegrationsTab(window)
        self.tabs.addTab(self.notifications, _("Client notifications"))
        self.tabs.addTab(self.integrations, _("Integrations"))
        self.conecta = ConectaTab(window)
        self.tabs.addTab(self.conecta, _("Conecta"))
        from app.ui.backups_tab import BackupsTab

        self.backups = BackupsTab(window)
        self.tabs.addTab(self.backups, _("Backups"))
        from app.ui.database_tab import DatabaseTab

        self.database = DatabaseTab(window)
        self.tabs.addTab(self.database, _("Database"))
        self.current: SettingsView | None = None
        self._zones_filled = False
        self._shown_service: int | None = None  # what the service form holds
        self._shown_staff: int | None = None  # what the professional form holds
        # Each form's values as last filled: a change made elsewhere (the set-up
        # assistant, another computer, the command line) refills a form nobody edited,
        # and never one being typed in.
        self._filled: dict[str, tuple[object, ...]] = {}
        self._select: dict[str, int] = {}  # just saved: select it when the list refreshes
        # What each form's Salvar names: the row's version as filled (versions.py).
        self._versions = {form: FormVersion() for form in ("practice", "service", "staff")}

    def show_tab(self, name: str) -> None:
        """Bring one tab forward: "notifications", "integrations", "conecta", "backups",
        "database"."""
        tab = {"notifications": self.notifications, "integrations": self.integrations,
               "conecta": self.conecta, "backups": self.backups,
               "database": self.database}[name]
        self.tabs.setCurrentWidget(tab)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._zones_filled:
            self._zones_filled = True
            # Filled when first shown, not while the window opens.
            self.timezone.fill(place_fields.zone_names(self.window_.today().year))
            self.country.fill(place_fields.country_names())
            self.currency.fill(place_fields.currency_names())
        if self.current is None:
            self.reload()

    # ------------------------------------------------------------ practice

    def _practice_tab(self) -> QWidget:
        page = QWidget()
        row = QHBoxLayout(page)
        host = QWidget()
        host.setMaximumWidth(760)
        row.addWidget(host, 1)
        row.addStretch(0)
        form = QFormLayout(host)
        self.name = QLineEdit()
        form.addRow(_("Practice name"), self.name)
        self.timezone = place_fields.CodeChooser(())  # the zones are filled when first shown
        form.addRow(_("Time zone"), self.timezone)
        self.country = place_fields.CodeChooser(())
        self.country.setToolTip(_("Phone numbers without a country code are read as this "
                                  "country's"))
        form.addRow(_("Country"), self.country)
        self.address = QLineEdit()
        self.address.setPlaceholderText(_("e.g. Rua das Flores, 120, sala 3 — São Paulo"))
        self.address.setToolTip(_("Shown to clients in their reminders and notices"))
        form.addRow(_("Address"), self.address)
        self.currency = place_fields.CodeChooser(())
        form.addRow(_("Currency"), self.currency)
        self.language = ComboBox()
        for code, name in LANGUAGES:
            self.language.addItem(_("Follow the system") if not code else name, code)
        form.addRow(_("Language"), self.language)
        self.hours_grid = HoursGrid()  # a grid, as in the set-up assistant: no typed text
        form.addRow(_("Working hours"), self.hours_grid)
        self.notice = SpinBox()
        self.notice.setRange(0, 24 * 14)
        self.notice.setSuffix(" h")
        form.addRow(_("Cancellation notice"), self.notice)
        self.fee = QLineEdit()
        form.addRow(_("Late cancellation fee"), self.fee)
        self.practice_error = _error_label()
        form.addRow(self.practice_error)
        self.save_practice = QPushButton(_("Save"))
        self.save_practice.setObjectName("primary")
        self.save_practice.clicked.connect(self.save)
        self.assistant_button = QPushButton(_("Set-up assistant…"))
        self.assistant_button.setToolTip(_("The practice, its people, hours, services and "
                                           "reminders, step by step"))
        self.assistant_button.clicked.connect(lambda: self.window_.open_first_run())
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_practice)
        buttons.addWidget(self.assistant_button)
        buttons.addStretch(1)
        form.addRow("", buttons)
        return page

    def reload(self) -> None:
        p = self.window_.practice
        self.window_.tasks.run(lambda: settings.get(p), self._loaded, self.window_.show_error)

    def _loaded(self, view: SettingsView) -> None:
        self.current = view
        self.name.setText(view.name)
        self.timezone.set_code(view.timezone)
        self.country.set_code(view.country)
        self.currency.set_code(view.currency)
        self.language.setCurrentIndex(max(0, self.language.findData(view.language)))
        self.hours_grid.set_hours(view.hours)
        self.notice.setValue(view.cancel_notice_minutes // 60)
        self.fee.setText(i18n.format_amount(view.cancel_fee_cents))
        self.address.setText(view.address)
        self._filled["practice"] = self._practice_values()
        self._versions["practice"].read_again(view.version)

    def _practice_values(self) -> tuple[object, ...]:
        return (self.name.text(), self.timezone.code(), self.country.code(),
                self.currency.code(), self.language.currentData(), self.hours_grid.hours(),
                self.notice.value(), self.fee.text(), self.address.text())

    def settings_changed(self) -> None:
        """The practice's settings changed somewhere: shown again unless being edited."""
        if self.current is not None and self._unedited("practice", self._practice_values()):
            self.reload()
        # The other tabs read again when next shown; one on screen may be being edited.
        for tab in (self.notifications, self.integrations):
            if not tab.isVisible():
                tab.loaded = False
        if self.integrations.isVisible():  # its overview holds no field being edited
            self.integrations.reload_overview()

    def _unedited(self, form: str, values: tuple[object, ...]) -> bool:
        return self._filled.get(form) == values

    def save(self) -> None:
        changes = [("name", self.name.text()), ("timezone", self.timezone.code()),
                   ("country", self.country.code()), ("currency", self.currency.code()),
                   ("language", self.language.currentData() or ""),
                   ("cancel_notice", f"{self.notice.value()}h"), ("cancel_fee", self.fee.text()),
                   ("address", self.address.text())]
        changes += [("hours", f"{key} {spec}") for key, spec in self.hours_grid.hours().items()]
        p = self.window_.practice
        old_language = self.current.language if self.current else ""
        version = self._versions["practice"]

        def done(view: SettingsView) -> None:
            self.practice_error.clear()
            self.window_.say(_("Settings saved."))
            if view.language != old_language:
                self.window_.switch_language(view.language)
            else:
                self._loaded(view)

        def work() -> SettingsView:
            return version.save(lambda expected: settings.set_values(
                p, changes, expected_version=expected), lambda view: view.version)

        self._run(work, done, self.practice_error, self.reload)

    def _run(self, work: Callable[[], Any], done: Callable[[Any], None], error: QLabel,
             refill: Callable[[], None] | None = None) -> None:
        """refill: on a save refused for another's change since the form was filled
        (ChangedMeanwhile), the form shows the row as it is now; the sentence stays."""
        def failed(exc: Exception) -> None:
            error.setText(str(exc))
            self.window_.show_error(exc)
            if isinstance(exc, ChangedMeanwhile) and refill is not None:
                refill()

        self.window_.tasks.run(work, done, failed)

    # ------------------------------------------------------------ services

    def _services_tab(self) -> QWidget:
        page = QWidget()
        row = QHBoxLayout(page)
        self.service_list = QListWidget()
        self.service_list.setObjectName("list")
        self.service_list.setFixedWidth(240)
        self.service_list.currentItemChanged.connect(self._service_chosen)
        row.addWidget(self.service_list)
        form_host = QWidget()
        form = QFormLayout(form_host)
        self.sv_name = QLineEdit()
        self.sv_duration = SpinBox()
        self.sv_duration.setRange(5, 24 * 60)
        self.sv_duration.setSingleStep(5)
        self.sv_duration.setSuffix(" min")
        self.sv_price = QLineEdit()
        self.sv_before = SpinBox()
        self.sv_before.setRange(0, 240)
        self.sv_before.setSuffix(" min")
        self.sv_after = SpinBox()
        self.sv_after.setRange(0, 240)
        self.sv_after.setSuffix(" min")
        self.sv_notice = SpinBox()
        self.sv_notice.setRange(0, 24 * 30)
        self.sv_notice.setSuffix(" h")
        self.sv_days = QLineEdit()
        self.sv_days.setPlaceholderText(_("every day, or e.g. mon-fri"))
        self.sv_hours = QLineEdit()
        self.sv_hours.setPlaceholderText(_("any time, or e.g. 09:00-17:00"))
        self.sv_max = SpinBox()
        self.sv_max.setRange(0, 50)
        self.sv_max.setSpecialValueText(_("no limit"))
        for label, widget in ((_("Name"), self.sv_name), (_("Duration"), self.sv_duration),
                              (_("Price"), self.sv_price),
                              (_("Buffer before"), self.sv_before),
                              (_("Buffer after"), self.sv_after),
                              (_("Minimum notice"), self.sv_notice),
                              (_("Bookable days"), self.sv_days),
                              (_("Bookable hours"), self.sv_hours),
                              (_("Maximum per day"), self.sv_max)):
            form.addRow(label, widget)
        self.service_error = _error_label()
        form.addRow(self.service_error)
        buttons = QHBoxLayout()
        self.save_service = QPushButton(_("Save service"))
        self.save_service.setObjectName("primary")
        self.save_service.clicked.connect(self._save_service)
        self.new_service = QPushButton(_("New service"))
        self.new_service.clicked.connect(lambda: self.service_list.setCurrentRow(-1) or
                                         self._service_chosen(None))
        self.retire = QPushButton(_("Stop offering"))
        self.retire.setObjectName("danger")
        self.retire.clicked.connect(self._retire_service)
        for b in (self.save_service, self.new_service, self.retire):
            buttons.addWidget(b)
        form.addRow(buttons)
        row.addWidget(form_host, 1)
        return page

    def catalogue_loaded(self) -> None:
        w = self.window_
        self._load_team_choices()  # the practice's settings may have changed too
        current = self.service_list.currentItem()
        keep = self._select.pop("service", current.data(256) if current else None)
        self.service_list.blockSignals(True)
        self.service_list.clear()
        for sv in w.services:
            item = QListWidgetItem(sv.name)
            item.setData(256, sv.id)
            self.service_list.addItem(item)
            if sv.id == keep:
                self.service_list.setCurrentItem(item)
        self.service_list.blockSignals(False)
        current = self.service_list.currentItem()
        if (current.data(256) if current else None) != self._shown_service or \
                self._unedited("service", self._service_values()):
            self._service_chosen(current)  # never over what is being typed
        keep_staff = self._select.pop("staff", self.staff_list.currentItem().data(256)
                                      if self.staff_list.currentItem() else None)
        self.staff_list.blockSignals(True)
        self.staff_list.clear()
        for st in w.staff:
            item = QListWidgetItem(f"● {st.name}")
            item.setForeground(_colour(st.color))
            item.setData(256, st.id)
            self.staff_list.addItem(item)
            if st.id == keep_staff:
                self.staff_list.setCurrentItem(item)
        self.staff_list.blockSignals(False)
        current = self.staff_list.currentItem()
        if current is None and self.staff_list.count() and self._shown_staff is None \
                and not self.st_name.text():
            self.staff_list.setCurrentRow(0)
        elif (current.data(256) if current else None) != self._shown_staff or \
                self._unedited("staff", self._staff_values()):
            self._staff_chosen(current)  # a refresh must not wipe what is being typed

    def _service(self, service_id: int | None) -> ServiceView | None:
        return next((s for s in self.window_.services if s.id == service_id), None)

    def _service_chosen(self, item: QListWidgetItem | None) -> None:
        sv = self._service(item.data(256)) if item else None
        shown = self._shown_service
        if (sv.id if sv else None) != shown:
            self.service_error.clear()  # another's; one refilled keeps why it was
        self._shown_service = sv.id if sv else None
        self.retire.setEnabled(sv is not None)
        self.sv_name.setText(sv.name if sv else "")
        self.sv_duration.setValue(sv.duration_minutes if sv else 50)
        self.sv_price.setText(i18n.format_amount(sv.price_cents if sv else 0))
        self.sv_before.setValue(sv.buffer_before_minutes if sv else 0)
        self.sv_after.setValue(sv.buffer_after_minutes if sv else 0)
        self.sv_notice.setValue(sv.min_notice_minutes // 60 if sv else 0)
        days = sv.bookable_weekdays if sv else "0123456"
        self.sv_days.setText("" if days == "0123456" else
                             ",".join(WEEKDAY_KEYS[int(d)] for d in days))
        self.sv_hours.setText(f"{sv.bookable_from or '00:00'}-{sv.bookable_until or '24:00'}"
                              if sv and (sv.bookable_from or sv.bookable_until) else "")
        self.sv_max.setValue(sv.max_per_day or 0 if sv else 0)
        self._filled["service"] = self._service_values()
        if sv is None or sv.id != shown:
            self._versions["service"].filled(sv.version if sv else None)
        else:
            self._versions["service"].read_again(sv.version)

    def _service_values(self) -> tuple[object, ...]:
        return (self.sv_name.text(), self.sv_duration.value(), self.sv_price.text(),
                self.sv_before.value(), self.sv_after.value(), self.sv_notice.value(),
                self.sv_days.text(), self.sv_hours.text(), self.sv_max.value())

    def _staff_values(self) -> tuple[object, ...]:
        return (self.st_name.text(), self.st_color.text(), self.st_hours.text())

    def _save_service(self) -> None:
        from app.services.values import parse_money

        item = self.service_list.currentItem()
        service_id = item.data(256) if item else None
        p = self.window_.practice
        try:
            price = parse_money(self.sv_price.text() or "0")
        except Exception as exc:  # InvalidInput: shown beside the form
            self.service_error.setText(str(exc))
            return
        fields = {"name": self.sv_name.text(), "duration_minutes": self.sv_duration.value(),
                  "price_cents": price, "buffer_before_minutes": self.sv_before.value(),
                  "buffer_after_minutes": self.sv_after.value(),
                  "min_notice_minutes": self.sv_notice.value() * 60,
                  "bookable_days": self.sv_days.text().strip() or None,
                  "bookable_hours": self.sv_hours.text().strip() or None,
                  "max_per_day": self.sv_max.value() or None}

        version = self._versions["service"]

        def save(expected: int | None) -> ServiceView:
            if service_id is None:
                return catalog.add_service(p, **fields)
            return catalog.update_service(p, int(service_id), **fields,
                                          expected_version=expected)

        def run() -> ServiceView:
            return version.save(save, lambda view: view.version)

        def done(view: ServiceView) -> None:
            self._select["service"] = view.id
            self.service_error.clear()
            self._filled["service"] = self._service_values()  # what is stored now
            self.window_.load_catalogue()  # a load that surely comes after the choice
            self.window_.say(_("Service saved."))

        def refill() -> None:
            self._filled["service"] = self._service_values()  # refilled, not kept
            self.window_.load_catalogue()

        self._run(run, done, self.service_error, refill)

    def _retire_service(self) -> None:
        item = self.service_list.currentItem()
        if item is None:
            return
        p, service_id = self.window_.practice, int(item.data(256))
        self._run(lambda: catalog.retire_service(p, service_id),
                  lambda _v: self.window_.say(_("The service is no longer offered.")),
                  self.service_error)

    # ------------------------------------------------------------ professionals

    def _staff_tab(self) -> QWidget:
        page = QWidget()
        row = QHBoxLayout(page)
        self.staff_list = QListWidget()
        self.staff_list.setObjectName("list")
        self.staff_list.setFixedWidth(240)
        self.staff_list.currentItemChanged.connect(self._staff_chosen)
        row.addWidget(self.staff_list)
        host = QWidget()
        form = QFormLayout(host)
        self.st_name = QLineEdit()
        self.st_color = QLineEdit()
        self.st_color.setPlaceholderText("#3b82f6")
        form.addRow(_("Name"), self.st_name)
        form.addRow(_("Colour"), self.st_color)
        self.st_hours = QLineEdit()
        self.st_hours.setPlaceholderText(_("the practice's hours, or e.g. "
                                           "mon-thu 09:00-17:00; fri 09:00-12:00"))
        form.addRow(_("Own hours"), self.st_hours)
        self.staff_error = _error_label()
        form.addRow(self.staff_error)
        buttons = QHBoxLayout()
        self.save_staff = QPushButton(_("Save professional"))
        self.save_staff.setObjectName("primary")
        self.save_staff.clicked.connect(self._save_staff)
        self.new_staff = QPushButton(_("New professional"))
        self.new_staff.clicked.connect(self._new_staff)
        buttons.addWidget(self.save_staff)
        buttons.addWidget(self.new_staff)
        form.addRow(buttons)
        # Whose internal notes a professional reads: a choice of the practice's.
        self.notes_shared = QCheckBox(_("Professionals read each other's internal notes"))
        self.notes_shared.setToolTip(_("Off: each professional reads the internal notes of "
                                       "their own clients' sessions only. Reception never "
                                       "reads them."))
        self.notes_shared.clicked.connect(self._save_notes_shared)
        form.addRow(self.notes_shared)
        self.notes_error = _error_label()
        form.addRow(self.notes_error)
        # The reception: people who act in the practice's name without an agenda of
        # their own (who uses a computer is chosen among them and the professionals).
        reception = QHBoxLayout()
        self.reception = QLineEdit()
        self.reception.setPlaceholderText(_("e.g. Carla, Joana"))
        self.reception.setToolTip(_("Names separated by commas. They can say they are the "
                                    "ones using a computer (File › Who is using this "
                                    "computer…); reception never reads internal notes."))
        self.save_reception = QPushButton(_("Save reception"))
        self.save_reception.clicked.connect(self._save_reception)
        reception.addWidget(self.reception, 1)
        reception.addWidget(self.save_reception)
        form.addRow(_("Reception"), reception)
        self.reception_error = _error_label()
        form.addRow(self.reception_error)
        row.addWidget(host, 1)
        return page

    def _save_reception(self) -> None:
        p, typed = self.window_.practice, self.reception.text()

        def failed(exc: Exception) -> None:
            self.reception_error.setText(str(exc))
            self.window_.show_error(exc)

        def done(value: str) -> None:
            self.reception_error.clear()
            self.reception.setText(_names_shown(value))
            self.window_.say(_("Reception saved."))

        self.window_.tasks.run(lambda: config.set_value(p, "team.reception", typed), done,
                               failed)

    def _load_team_choices(self) -> None:
        """The practice's choices beside its professionals: whether they read each
        other's notes, and its reception (left alone while someone edits it)."""
        p = self.window_.practice
        reception_before = self.reception.text()

        def shown(values: tuple[str, str]) -> None:
            notes, reception = values
            self.notes_shared.setChecked(notes == "on")
            if self.reception.text() == reception_before and \
                    not self.reception.hasFocus():
                self.reception.setText(_names_shown(reception))

        self.window_.tasks.run(lambda: (config.get(p, people.NOTES_SHARED),
                                        config.get(p, "team.reception")), shown,
                               self.window_.show_error)

    def _save_notes_shared(self, on: bool) -> None:
        p = self.window_.practice

        def failed(exc: Exception) -> None:
            self.notes_shared.setChecked(not on)  # refused: as it was
            self.notes_error.setText(str(exc))
            self.window_.show_error(exc)

        def done(_value: str) -> None:
            self.notes_error.clear()
            self.window_.say(_("Settings saved."))

        self.window_.tasks.run(lambda: config.set_value(p, people.NOTES_SHARED,
                                                        "on" if on else "off"), done, failed)

    def _staff_chosen(self, item: QListWidgetItem | None) -> None:
        st: StaffView | None = next((s for s in self.window_.staff
                                     if item and s.id == item.data(256)), None)
        shown = self._shown_staff
        if (st.id if st else None) != shown:
            self.staff_error.clear()  # another's; one refilled keeps why it was
        self._shown_staff = st.id if st else None
        self.st_name.setText(st.name if st else "")
        self.st_color.setText(st.color if st else "")
        self.st_hours.clear()
        self._filled["staff"] = self._staff_values()
        if st is None or st.id != shown:
            self._versions["staff"].filled(st.version if st else None)
        else:
            self._versions["staff"].read_again(st.version)
        if st is None:
            return
        p = self.window_.practice

        def load() -> str:
            if not settings.staff_has_own_hours(p, st.id):
                return ""
            hours = settings.working_hours(p, st.id)
            from app.models.hours import format_intervals

            return "; ".join(f"{WEEKDAY_KEYS[d]} {format_intervals(iv)}"
                             for d, iv in sorted(hours.items()))

        def loaded(hours: str) -> None:
            if self._shown_staff == st.id and self._unedited("staff", self._staff_values()):
                self.st_hours.setText(hours)
                self._filled["staff"] = self._staff_values()

        self.window_.tasks.run(load, loaded, self.window_.show_error)

    def _new_staff(self) -> None:
        self.staff_list.setCurrentRow(-1)
        self._staff_chosen(None)
        self.st_name.setFocus()

    def _save_staff(self) -> None:
        item = self.staff_list.currentItem()
        staff_id = int(item.data(256)) if item else None
        p = self.window_.practice
        name, color = self.st_name.text(), self.st_color.text().strip() or None
        specs = [s.strip() for s in self.st_hours.text().split(";") if s.strip()] or None
        version = self._versions["staff"]

        def save(expected: int | None) -> StaffView:
            for spec in specs or []:
                settings.check_hours(spec)  # refuse before anything is written
            view = catalog.add_staff(p, name=name, color=color) if staff_id is None else \
                catalog.rename_staff(p, staff_id, name, color, expected_version=expected)
            settings.set_staff_hours(p, view.id, specs, expected_version=view.version)
            # The hours raise the version too: the one the next save names.
            return next(st for st in catalog.list_staff(p) if st.id == view.id)

        def run() -> StaffView:
            return version.save(save, lambda view: view.version)

        def done(view: StaffView) -> None:
            self._select["staff"] = view.id
            self.staff_error.clear()
            self._filled["staff"] = self._staff_values()  # what is stored now
            self.window_.load_catalogue()  # a load that surely comes after the choice
            self.window_.say(_("Professional saved."))

        def refill() -> None:
            self._filled["staff"] = self._staff_values()  # refilled, not kept
            self.window_.load_catalogue()

        self._run(run, done, self.staff_error, refill)


def _colour(value: str) -> Any:
    from PySide6.QtGui import QColor

    return QColor(value)
