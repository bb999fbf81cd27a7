"""The main window: navigation (Painel, Agenda, Clientes, Conecta, Configurações)
and, on the Agenda page, the sessions of the shown week."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import i18n
from app.i18n import _
from app.services import queries, settings
from app.services.errors import PracticeError
from app.services.events import Change
from app.services.practice import Practice
from app.ui.bridge import ChangeBridge
from app.ui.tasks import TaskRunner
from app.ui.week_model import WeekModel

STYLE = """
QMainWindow { background: #f8fafc; }
QListWidget#nav { background: #0f172a; color: #e2e8f0; border: none; font-size: 14px;
                  padding-top: 12px; }
QListWidget#nav::item { padding: 10px 18px; }
QListWidget#nav::item:selected { background: #1e3a8a; color: white; }
QLabel#pageTitle { font-size: 20px; font-weight: 600; color: #0f172a; }
QLabel#period { font-size: 14px; color: #334155; }
QTableView { background: white; border: 1px solid #e2e8f0; gridline-color: #f1f5f9; }
QPushButton { padding: 5px 12px; }
"""


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


class AgendaPage(QWidget):
    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window_ = window
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        title = QLabel(_("General Agenda"))
        title.setObjectName("pageTitle")
        head.addWidget(title)
        head.addStretch(1)
        self.prev_button = QPushButton("‹")
        self.today_button = QPushButton(_("Today"))
        self.next_button = QPushButton("›")
        self.period = QLabel()
        self.period.setObjectName("period")
        for w in (self.period, self.prev_button, self.today_button, self.next_button):
            head.addWidget(w)
        layout.addLayout(head)
        self.model = WeekModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setAlternatingRowColors(True)
        layout.addWidget(self.table)
        self.empty = QLabel(_("No sessions this week."))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        layout.addWidget(self.empty)
        self.prev_button.clicked.connect(lambda: window.show_week(window.week - timedelta(7)))
        self.next_button.clicked.connect(lambda: window.show_week(window.week + timedelta(7)))
        self.today_button.clicked.connect(window.go_today)


def placeholder(title: str, text: str) -> QWidget:
    page = QWidget()
    layout = QVBoxLayout(page)
    label = QLabel(title)
    label.setObjectName("pageTitle")
    layout.addWidget(label)
    body = QLabel(text)
    body.setWordWrap(True)
    layout.addWidget(body)
    layout.addStretch(1)
    return page


class MainWindow(QMainWindow):
    PAGES = ("painel", "agenda", "clientes", "conecta", "configuracoes")

    def __init__(self, practice: Practice, zone: ZoneInfo) -> None:
        super().__init__()
        self.practice = practice
        self.zone = zone  # refreshed in the background when the settings change
        self.tasks = TaskRunner(self)
        self.bridge = ChangeBridge(practice.bus, self)
        self.bridge.changed.connect(self.on_change)
        self.week = week_start(self.today())
        self.setWindowTitle("Practice Desk")
        self.setStyleSheet(STYLE)
        self.resize(1100, 700)

        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(190)
        self.nav.addItems([_("Dashboard"), _("Agenda"), _("Clients"), _("Conecta"),
                           _("Settings")])
        self.stack = QStackedWidget()
        self.agenda = AgendaPage(self)
        self.stack.addWidget(placeholder(_("Dashboard"), _("Today's sessions and what needs "
                                                        "your attention.")))
        self.stack.addWidget(self.agenda)
        self.stack.addWidget(placeholder(_("Clients"), _("Your clients and their files.")))
        self.stack.addWidget(placeholder(_("Conecta"), _("Conversations with clients.")))
        self.stack.addWidget(placeholder(_("Settings"), _("Practice settings.")))
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._actions()
        self.statusBar()
        self._restore()
        self.nav.setCurrentRow(self.PAGES.index("agenda"))
        self.show_week(self.week)

    def _actions(self) -> None:
        menu = self.menuBar().addMenu(_("&Agenda"))
        for text, keys, slot in (
            (_("Today"), "Ctrl+T", self.go_today),
            (_("Previous week"), "Ctrl+Left", lambda: self.show_week(self.week - timedelta(7))),
            (_("Next week"), "Ctrl+Right", lambda: self.show_week(self.week + timedelta(7))),
        ):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(keys))
            action.triggered.connect(slot)
            menu.addAction(action)
            self.addAction(action)

    def today(self) -> date:
        return self.practice.clock.now().astimezone(self.zone).date()

    def go_today(self) -> None:
        self.show_week(week_start(self.today()))

    def show_week(self, monday: date) -> None:
        self.week = monday
        sunday = monday + timedelta(days=6)
        self.agenda.period.setText(f"{i18n.format_date(monday, 'medium')} – "
                                   f"{i18n.format_date(sunday, 'medium')}")
        practice = self.practice

        def load() -> list[queries.AppointmentView]:
            return queries.list_appointments(practice, start=monday, end=sunday)

        self.tasks.run(load, lambda rows, m=monday: self._show_rows(m, rows), self._failed)

    def _show_rows(self, monday: date, rows: list[queries.AppointmentView]) -> None:
        if monday != self.week:
            return  # an older request answered late
        self.agenda.model.set_rows(rows)
        self.agenda.empty.setVisible(not rows)

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, PracticeError):
            self.statusBar().showMessage(str(exc), 10_000)
        else:
            raise exc

    def on_change(self, change: Change) -> None:
        if change.settings:
            practice = self.practice
            self.tasks.run(lambda: settings.get(practice).zone, self._zone_loaded, self._failed)
        if change.appointments or change.clients or change.staff or change.services:
            self.show_week(self.week)

    def _zone_loaded(self, zone: ZoneInfo) -> None:
        if zone != self.zone:
            self.zone = zone
            self.show_week(self.week)

    def _restore(self) -> None:
        geometry = QSettings().value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)

    def closeEvent(self, event: QCloseEvent) -> None:
        QSettings().setValue("window/geometry", self.saveGeometry())
        self.tasks.wait()
        self.bridge.close()
        super().closeEvent(event)
