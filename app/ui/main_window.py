"""The main window: navigation (Painel, Agenda, Clientes, Conecta, Configurações),
menus listing every shortcut, and a status bar for messages. Pages are built again
when the language changes."""

from __future__ import annotations

import gc
import importlib
import logging
import threading
from collections.abc import Callable
from contextlib import suppress
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QLocale, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app import i18n
from app.i18n import _
from app.models.people import Person, Role
from app.services import people, settings, this_computer
from app.services.errors import DatabaseUnavailable, PracticeError, PracticeMoved
from app.services.events import Change
from app.services.practice import Practice
from app.services.settings import SettingsView
from app.services.values import format_phone
from app.ui import qt_language
from app.ui.bridge import ChangeBridge
from app.ui.plain import plain, verbatim
from app.ui.style import STYLE
from app.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from app.services.catalog import ServiceView, StaffView
    from app.services.storage.change_feed import Watcher
    from app.ui.agenda.page import AgendaPage
    from app.ui.clients_page import ClientsPage
    from app.ui.conecta_page import ConectaPage
    from app.ui.dashboard_page import DashboardPage
    from app.ui.sessions_page import SessionsPage
    from app.ui.settings_page import SettingsPage

log = logging.getLogger(__name__)

PAGES = ("dashboard", "agenda", "sessions", "clients", "conecta", "settings")
# Each page's module and class. A page is built when first shown or first asked
# for (window.conecta, a shortcut, a notification), so the window opens with only
# the page it shows, and the code of the others (Conecta's channels, calendars,
# the web) is imported once the first page is on screen.
PAGE_CLASSES = {"dashboard": ("app.ui.dashboard_page", "DashboardPage"),
                "agenda": ("app.ui.agenda.page", "AgendaPage"),
                "sessions": ("app.ui.sessions_page", "SessionsPage"),
                "clients": ("app.ui.clients_page", "ClientsPage"),
                "conecta": ("app.ui.conecta_page", "ConectaPage"),
                "settings": ("app.ui.settings_page", "SettingsPage")}
# Imported off the GUI thread once the first page is painted (no Qt in them), so
# the first click on another page builds it without waiting for its imports.
WARM_UP = ("app.services.scheduling", "app.services.attendances", "app.services.conversations",
           "app.services.dashboard", "app.services.session_list", "app.services.config")
FIRST_PERIOD_WAIT_S = 0.25  # the agenda's first period, waited for before the first paint
FIRST_PAINT_WAIT_MS = 1000  # what waits for that paint, at most
LATER_MS = 50  # after the first week is applied, by when it is painted
LATER_AT_MOST_MS = 2000  # a window opening on another page
# The View menu's shortcuts: Ctrl+1..5 kept their pages when Sessões came in.
PAGE_KEYS = {"dashboard": "Ctrl+1", "agenda": "Ctrl+2", "clients": "Ctrl+3",
             "conecta": "Ctrl+4", "settings": "Ctrl+5", "sessions": "Ctrl+6"}
ICON = Path(__file__).resolve().parents[2] / "resources" / "icons" / "practice-desk.svg"


SENDER_MS = 15_000  # how often the status bar says again who sends


class MainWindow(QMainWindow):
    server_state = Signal(bool, str)  # the practice's server answers, or why not
    # The reminders' worker started on its thread (None), or why it could not start.
    worker_started = Signal(object)
    # The practice is to be opened again from where this computer now keeps it
    # (connected to the practice's server, moved there, or back to its file).
    reopen_asked = Signal()

    def __init__(self, practice: Practice, zone: ZoneInfo, *,
                 background_worker: bool = False, watcher: Watcher | None = None) -> None:
        """`watcher`: the change feed's watcher, already following (its watermark
        taken before anything of the practice was read: app.ui.app does it on the
        thread that opens the practice); without one, the window takes the
        watermark itself, before its pages read anything."""
        super().__init__()
        _keep_what_is_loaded()
        qt_language.install()  # Qt's own buttons and dialogs in the app's language
        self.practice = practice
        self.zone = zone  # refreshed in the background when the settings change
        self.tasks = TaskRunner(self)
        self.bridge = ChangeBridge(practice.bus, self)
        self.bridge.changed.connect(self.on_change)
        self.country = "BR"  # for showing phone numbers; loaded with the catalogue
        self.staff: list[StaffView] = []
        self.services: list[ServiceView] = []
        self._catalogue_loaded_once = False
        self.panels: dict[int, Any] = {}
        self.new_session_dialog: Any = None
        self.setWindowTitle("Practice Desk")
        self.setStyleSheet(STYLE)
        self.setMinimumSize(960, 620)
        self.resize(self.first_size())
        self.statusBar()
        self.user_label = plain(QLabel())  # who uses this computer, once said
        self.user_label.setObjectName("muted")
        self.statusBar().addPermanentWidget(self.user_label)
        # Said alone, a long sentence hides the quiet words; they come back after it.
        self.statusBar().messageChanged.connect(
            lambda text: text or self._show_status_words())
        self.first_run: Any = None
        self._warm_stop = threading.Event()  # the warm-up's (_later), set on closing
        self._warming: threading.Thread | None = None
        # Before any page reads: what others commit from this moment is announced.
        self._watch_other_processes(watcher)
        self.build()
        geometry = QSettings().value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self._after_paint: list[Callable[[], None]] | None = None  # None: nothing waits
        self._settle_first_period()
        # The collector, off while the window started (app.launch), is on again once
        # the first week is painted.
        self.after_first_paint(gc.enable)
        self.after_first_paint(self.load_catalogue)
        self.after_first_paint(self._refresh_statistics)
        self.worker: Any = None
        self.tray: Any = None
        self.quitting = False
        self.reopening = False
        self._background_worker = background_worker
        self._worker_thread: threading.Thread | None = None
        self._worker_lock = threading.Lock()
        self._worker_cancelled = False
        if background_worker:
            self._show_worker_state()

    def _watch_other_processes(self, watcher: Watcher | None) -> None:
        """What another process or computer commits (the headless worker, the command
        line, a second window, the reception's computer) reaches the open pages
        within a second, as our own changes do: the change feed is followed on a
        thread of its own, whose findings the bridge brings to the GUI thread. A
        commit made after the watermark and before a page's first read is both read
        and announced (the page reads it twice); one made before the watermark but
        after the read would be lost, hence the watermark comes first."""
        import threading

        from app.services.storage.change_feed import Watcher

        if watcher is None:
            watcher = Watcher(self.practice.db, self.practice.bus.publish)
            watcher.check()  # the watermark: one indexed read
        self.watcher: Watcher | None = watcher
        self._watch_stop = threading.Event()
        self.server_state.connect(self._on_server_state)
        watcher, stop, said = self.watcher, self._watch_stop, self.server_state.emit
        self._watch_thread = threading.Thread(
            target=lambda: watcher.follow(stop, said), name="change-feed", daemon=True)
        self._watch_thread.start()

    def _on_server_state(self, online: bool, said: str) -> None:
        """The practice's server lost or found again: said in the status bar, where it
        stays while the window waits (nothing typed is lost; saving says why not).
        A login refused (a password changed on the server) is said as such: the
        window cannot mend that by waiting."""
        if not online and said:  # away (it reconnects by itself), or refusing the login
            self.statusBar().showMessage(said)
            return
        if online:
            self.say(_("The practice's server answers again; the pages are up to date."))
            self.practice.bus.publish(Change.of(appointments=[-1], clients=[-1],
                                                conversations=[-1], settings=True))
        else:
            self.statusBar().showMessage(_(
                "The practice's server does not answer: waiting for it. Nothing is lost; "
                "this window reconnects by itself."))

    def _show_worker_state(self) -> None:
        """The status bar's quiet words on the reminders' worker: the relay's state,
        and which computer sends. The worker itself starts once the first page is
        painted (_start_worker); until then both say nothing."""
        self.relay_state = plain(QLabel())  # a quiet word, never a dialog
        self.relay_state.setObjectName("muted")
        self.statusBar().addPermanentWidget(self.relay_state)
        self._relay_timer = QTimer(self)
        self._relay_timer.timeout.connect(self.show_relay_state)
        self._relay_timer.start(2000)
        # Which computer sends for the practice: a quiet word beside it.
        self.sender_state = plain(QLabel())
        self.sender_state.setObjectName("muted")
        self.sender_state.setVisible(False)
        self.statusBar().addPermanentWidget(self.sender_state)
        self._sender_timer = QTimer(self)
        self._sender_timer.timeout.connect(self.show_sender_state)
        self._sender_timer.start(SENDER_MS)
        self.worker_started.connect(self._worker_started)

    def _start_worker(self) -> None:
        """Reminders keep going while the app runs; with a system tray, closing the
        window only hides it, and Quit in the tray ends everything.

        Called once the first page is painted (_later: about 50 ms after the first
        week, at most LATER_AT_MOST_MS after the window opens on another page). The
        worker is built and started on a thread of its own: its code (the scheduler,
        the channels, the relay's client) took half a second to import, which the
        GUI thread spent before the first paint. Reminders therefore start about a
        second later than the window; none is missed or sent twice: the outbox rows
        hold the truth, and the worker's first pass sends whatever fell due
        meanwhile, as after any start."""
        if self._worker_thread is not None or self._worker_cancelled:  # once; never after closing
            return
        from PySide6.QtGui import QIcon
        from PySide6.QtWidgets import QMenu, QSystemTrayIcon

        if self.tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(QIcon(str(ICON)), self)
            self.tray.setToolTip("Practice Desk")
            menu = QMenu(self)
            menu.addAction(_("Open Practice Desk"), self._show_from_tray)
            menu.addAction(_("Quit"), self.quit)
            self.tray.setContextMenu(menu)
            self.tray.activated.connect(lambda _reason: self._show_from_tray())
            self.tray.show()
        practice, said = self.practice, self.worker_started.emit

        def start() -> None:
            try:
                from app.services.worker import Worker

                worker = Worker(practice)
                with self._worker_lock:  # the window closing waits for this, or stops it
                    if self._worker_cancelled:
                        return
                    worker.start()
                    self.worker = worker
                    said(None)
            except Exception as exc:  # said on the GUI thread, as a task's failure is
                with suppress(RuntimeError):  # the window is gone: nobody to tell
                    said(exc)

        self._worker_thread = threading.Thread(target=start, name="worker-start", daemon=True)
        self._worker_thread.start()

    def _worker_started(self, problem: BaseException | None) -> None:
        if problem is not None:
            self.show_error(problem)
            return
        self.show_relay_state()
        QTimer.singleShot(3000, self.show_sender_state)  # once the first claim was tried

    def _stop_worker(self) -> None:
        """The worker stopped, or kept from starting when the window closes first."""
        with self._worker_lock:
            self._worker_cancelled = True
        if self._worker_thread is not None:
            self._worker_thread.join(timeout=30)
        if self.worker is not None:
            self.worker.stop()

    def show_relay_state(self) -> None:
        poller = self.worker.poller if self.worker is not None else None
        connected = poller.connected if poller is not None else None
        # A short word in the status bar, the whole sentence in its tooltip: a long
        # one left no room for what the app had just said.
        word, text = {True: (_("Links: connected"), _("Relay: connected")),
                      False: (_("Links: unreachable"), _("Relay unreachable: clients' answers "
                                                         "wait there until it is back")),
                      None: ("", "")}[connected]
        problem = poller.problem if poller is not None else None
        if connected and problem:
            word, text = _("Links: messages waiting"), _(
                "Relay: clients' messages wait there, unread on this computer")
        paused_by = poller.paused_by if poller is not None else None
        if paused_by:  # the relay may be fine: this computer cannot read its key
            word, text, problem = _("Links: paused"), _(
                "Relay paused: this computer has no keyring for its key"), paused_by
        self.relay_state.setText(word)
        self.relay_state.setToolTip(verbatim("\n".join(x for x in (text, problem) if x)))

    def show_sender_state(self) -> None:
        """Who sends reminders for the practice, and since when — shown when it is not
        simply this window of a practice of one."""
        worker = self.worker
        if worker is None:
            return
        on_server = self.practice.db.on_server

        def shown(who: Any) -> None:
            word, tip = "", ""
            if who is None:
                word = _("Nobody is sending")
                tip = _("No computer of the practice sends reminders now: open Practice Desk "
                        "on the computer where the channels were set up.")
                if worker.lacking:
                    tip += " " + _("This computer's keyring lacks: {names}.").format(
                        names=", ".join(worker.lacking))
            elif who.here:
                word = _("Sending: this computer") if on_server else ""
                tip = _("Reminders, the links' answers and the mailbox are handled by this "
                        "computer since {time}.").format(time=self._when(who.since))
            else:
                name = who.computer or _("another computer")
                word = _("Sending: {computer}").format(computer=name)
                tip = _("Reminders, the links' answers and the mailbox are handled by "
                        "{computer} since {time}.").format(computer=name,
                                                          time=self._when(who.since))
            self.sender_state.setText(word)  # a plain label: a computer's name as typed
            self.sender_state.setToolTip(verbatim(tip))
            self.sender_state.setVisible(bool(word))

        def unknown(_exc: BaseException) -> None:
            self.sender_state.setVisible(False)  # the server's state is said by the feed

        self.tasks.run(worker.sender.who, shown, unknown)

    def _when(self, instant: Any) -> str:
        if instant is None:
            return "?"
        from app.i18n import format_datetime

        return format_datetime(instant.astimezone(self.zone))

    def _show_from_tray(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()

    def quit(self) -> None:
        self.quitting = True
        self.close()

    def _offer_reopen(self, said: str) -> None:
        """This computer keeps the practice elsewhere now: nothing is changed here
        until the window reopens it from there (asked once at a time)."""
        if getattr(self, "_asking_reopen", False):
            return
        self._asking_reopen = True
        box = QMessageBox(QMessageBox.Icon.Information, "Practice Desk", said, parent=self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        again = box.addButton(_("Reopen now"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(_("Later"), QMessageBox.ButtonRole.RejectRole)

        def answered() -> None:
            self._asking_reopen = False
            if box.clickedButton() is again:
                self.reopen()

        box.finished.connect(lambda _code: answered())
        box.open()
        self.say(said, 12_000)

    def reopen(self) -> None:
        """Close this window and open the practice again from where this computer
        now keeps it (app.run_window opens a new window on it)."""
        self.reopening = True
        self.reopen_asked.emit()
        self.quit()

    # ------------------------------------------------------------ building

    def _settle_first_period(self) -> None:
        """The agenda's first period, asked for as its page was made and loaded
        while the rest of the window was, is waited for (up to FIRST_PERIOD_WAIT_S)
        and put on the grid before the window is first painted: the window then
        opens with its sessions, painted once, rather than painted empty and again
        a moment later. A slower load (a distant server) arrives as any other.
        The catalogue's and the start's reads wait until then, so they do not
        slow that load down."""
        agenda = self.built("agenda")
        if agenda is not None and agenda.first_load is not None:
            if agenda.first_load.settle(FIRST_PERIOD_WAIT_S):
                # The week is on the grid: what else the window reads waits until it
                # is painted (the reads' Python would slow the paint down), or until
                # FIRST_PAINT_WAIT_MS have passed (a window opened minimized).
                self._after_paint = []
                agenda.grid.first_painted.connect(self._first_painted)
                QTimer.singleShot(FIRST_PAINT_WAIT_MS, self._first_painted)
            agenda.first_load = None

    def after_first_paint(self, work: Callable[[], None]) -> None:
        """`work` once the agenda's first week is painted (at once when the window
        opened on another page, or has been painted already)."""
        if self._after_paint is None:
            work()
        else:
            self._after_paint.append(work)

    def _first_painted(self) -> None:
        waiting, self._after_paint = self._after_paint, None
        if waiting:  # after the paint has finished, not inside it
            QTimer.singleShot(0, self, lambda: [work() for work in waiting])

    def build(self) -> None:
        """(Re)build the navigation and menus in the current language; each page is
        built again when next shown (page())."""
        last = str(QSettings().value("window/page", "agenda"))
        self.menuBar().clear()
        for action in self.actions():
            self.removeAction(action)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(200)
        self.nav.addItems([self.page_name(name) for name in PAGES])
        self.stack = QStackedWidget()
        self._pages: dict[str, QWidget] = {}
        for _name in PAGES:
            unbuilt = QWidget()  # stands in the page's place until it is built
            unbuilt.setObjectName("page")
            self.stack.addWidget(unbuilt)
        self.nav.currentRowChanged.connect(self._page_changed)
        side = QWidget()
        side_col = QVBoxLayout(side)
        side_col.setContentsMargins(0, 0, 0, 0)
        side_col.setSpacing(0)
        brand = QLabel("Practice Desk")
        brand.setObjectName("brand")
        side_col.addWidget(brand)
        side_col.addWidget(self.nav, 1)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(side)
        row.addWidget(self.stack, 1)
        old = self.centralWidget()
        self.setCentralWidget(central)
        if old is not None:
            old.deleteLater()
        self._menus()
        self.nav.setCurrentRow(PAGES.index(last) if last in PAGES else 1)
        self._later_done = False
        QTimer.singleShot(LATER_AT_MOST_MS, self._later)

    # ------------------------------------------------------------ pages

    def page(self, name: str) -> Any:
        """The page called `name` (one of PAGES), built now if it was not yet."""
        built = self._pages.get(name)
        if built is not None:
            return built
        module, cls = PAGE_CLASSES[name]
        built = getattr(importlib.import_module(module), cls)(self)
        self._pages[name] = built
        index = PAGES.index(name)
        unbuilt = self.stack.widget(index)
        shown = self.stack.currentIndex() == index
        self.stack.insertWidget(index, built)
        self.stack.removeWidget(unbuilt)
        unbuilt.deleteLater()
        if shown:
            self.stack.setCurrentIndex(index)
        self._page_built(name, built)
        return built

    def built(self, name: str) -> Any | None:
        """The page if it was built (what changes in the data is said only to
        those; the others read it all when they are built)."""
        return self._pages.get(name)

    def _page_built(self, name: str, page: Any) -> None:
        """What the window had loaded before the page existed, given to it."""
        if name == "agenda":
            page.loaded.connect(lambda: self._later_done or QTimer.singleShot(LATER_MS,
                                                                              self._later))
            if self.staff or self.services:
                page.set_catalogue(self.staff, self.services)
        elif name == "clients":
            page.model.region = self.country
        elif name == "settings" and self._catalogue_loaded_once:
            page.catalogue_loaded()

    @property
    def dashboard(self) -> DashboardPage:
        return self.page("dashboard")  # type: ignore[no-any-return]

    @property
    def agenda(self) -> AgendaPage:
        return self.page("agenda")  # type: ignore[no-any-return]

    @property
    def sessions(self) -> SessionsPage:
        return self.page("sessions")  # type: ignore[no-any-return]

    @property
    def clients(self) -> ClientsPage:
        return self.page("clients")  # type: ignore[no-any-return]

    @property
    def conecta(self) -> ConectaPage:
        return self.page("conecta")  # type: ignore[no-any-return]

    @property
    def settings_page(self) -> SettingsPage:
        return self.page("settings")  # type: ignore[no-any-return]

    def _later(self) -> None:
        """Once the first page is on screen: Conecta's count of waiting messages,
        and the other pages' services imported in the background."""
        if self._later_done:
            return
        self._later_done = True
        if self._background_worker:
            self._start_worker()
        self.update_unread()
        if self._warming is not None:
            return  # the window was rebuilt (another language): imported already
        self._warming = threading.Thread(target=_warm_up, args=(self._warm_stop,),
                                         name="warm-up", daemon=True)
        self._warming.start()

    def _menus(self) -> None:
        def add(menu: Any, text: str, keys: str | QKeySequence.StandardKey | None,
                slot: Callable[[], Any]) -> QAction:
            action = QAction(text, self)
            if keys is not None:
                action.setShortcut(QKeySequence(keys))
            action.triggered.connect(lambda _checked=False: slot())
            menu.addAction(action)
            self.addAction(action)
            return action

        file_menu = self.menuBar().addMenu(_("&File"))
        add(file_menu, _("New session…"), "Ctrl+N", lambda: self.new_session(None))
        add(file_menu, _("New attendance…"), "Ctrl+Shift+N",
            lambda: self.conecta.new_attendance())
        file_menu.addSeparator()
        add(file_menu, _("Who is using this computer…"), None, self.choose_user)
        add(file_menu, _("Set-up assistant…"), None, self.open_first_run)
        file_menu.addSeparator()
        add(file_menu, _("Quit"), "Ctrl+Q", self.close)
        view_menu = self.menuBar().addMenu(_("&View"))
        for name in sorted(PAGES, key=lambda n: PAGE_KEYS[n]):
            add(view_menu, self.page_name(name), PAGE_KEYS[name],
                lambda n=name: self.show_page(n))
        view_menu.addSeparator()
        add(view_menu, _("Zoom in"), "Ctrl++", lambda: self.agenda.zoom(1.2))
        add(view_menu, _("Zoom out"), "Ctrl+-", lambda: self.agenda.zoom(1 / 1.2))
        agenda_menu = self.menuBar().addMenu(_("&Agenda"))
        add(agenda_menu, _("Today"), "Ctrl+T", self._today)
        add(agenda_menu, _("Previous period"), "Ctrl+Left", lambda: self._step(-1))
        add(agenda_menu, _("Next period"), "Ctrl+Right", lambda: self._step(1))
        agenda_menu.addSeparator()
        for key, text, keys in (("day", _("Day"), "Alt+1"), ("workweek", _("Work week"), "Alt+2"),
                                ("week", _("Week"), "Alt+3"), ("month", _("Month"), "Alt+4")):
            add(agenda_menu, text, keys, lambda k=key: self._view(k))
        agenda_menu.addSeparator()
        self.import_action = add(agenda_menu, _("Import…"), "Ctrl+I",
                                 lambda: self._on_agenda(self.agenda.open_import))
        self.export_action = add(agenda_menu, _("Export…"), "Ctrl+E",
                                 lambda: self._on_agenda(self.agenda.open_export))
        clients_menu = self.menuBar().addMenu(_("&Clients"))
        add(clients_menu, _("Search clients"), "Ctrl+F", self._search_clients)

    def _on_agenda(self, open_dialog: Callable[[], Any]) -> None:
        """Agenda menu dialogs open over the agenda they act on."""
        self.show_page("agenda")
        open_dialog()

    def _page_changed(self, row: int) -> None:
        self.page(PAGES[row])
        self.stack.setCurrentIndex(row)
        remembered = QSettings()
        if remembered.value("window/page") != PAGES[row]:  # each write goes to the disk
            remembered.setValue("window/page", PAGES[row])


    def _today(self) -> None:
        self.nav.setCurrentRow(PAGES.index("agenda"))
        self.agenda.go_today()

    def _step(self, direction: int) -> None:
        self.nav.setCurrentRow(PAGES.index("agenda"))
        self.agenda.step(direction)

    def _view(self, mode: str) -> None:
        self.nav.setCurrentRow(PAGES.index("agenda"))
        self.agenda.set_mode(mode)

    def _search_clients(self) -> None:
        """Ctrl+F: the client list with its search ready, from any page, a client's
        file included (the search would otherwise be typed into the hidden list)."""
        self.nav.setCurrentRow(PAGES.index("clients"))
        if self.clients.stack.currentIndex() != 0:
            self.clients.close_client()
        self.clients.search.setFocus()
        self.clients.search.selectAll()

    # ------------------------------------------------------------ shared helpers

    def today(self) -> date:
        return self.practice.clock.now().astimezone(self.zone).date()

    def now(self) -> datetime:
        return self.practice.clock.now().astimezone(self.zone)

    def qlocale(self) -> QLocale:
        return QLocale("pt_BR" if i18n.current_language() == "pt_BR" else "en_US")

    def date_format(self) -> str:
        """For date fields: the locale's short date with a four-digit year."""
        return "dd/MM/yyyy" if i18n.current_language() == "pt_BR" else "MM/dd/yyyy"

    def phone(self, e164: str | None) -> str:
        return format_phone(e164, self.country)

    def fits_status(self, message: str) -> bool:
        """Whether `message` fits the status bar whole, alone in it."""
        bar = self.statusBar()
        return bar.fontMetrics().horizontalAdvance(message) <= bar.width() - 40

    def say(self, message: str, ms: int = 8000) -> None:
        """A sentence in the status bar for a few seconds. One too long to share the
        bar has it alone (the quiet words at the right step aside until it goes)."""
        bar = self.statusBar()
        beside = [w for w in (self.user_label, getattr(self, "relay_state", None),
                              getattr(self, "sender_state", None))
                  if w is not None and w.text()]
        room = bar.width() - 40 - sum(w.sizeHint().width() + 12 for w in beside)
        alone = bar.fontMetrics().horizontalAdvance(message) > room
        for w in beside:
            w.setVisible(not alone)
        bar.showMessage(message, ms)

    def _show_status_words(self) -> None:
        for w in (self.user_label, getattr(self, "relay_state", None),
                  getattr(self, "sender_state", None)):
            if w is not None:
                w.setVisible(bool(w.text()))

    def show_error(self, exc: BaseException) -> None:
        """Expected failures become a sentence in the status bar; anything else goes
        to the exception hook (logged, and shown once)."""
        if isinstance(exc, PracticeMoved):
            self._offer_reopen(str(exc))
            return
        if isinstance(exc, PracticeError | DatabaseUnavailable):
            self.say(str(exc), 12_000)
            return
        log.error("unexpected error in a background task", exc_info=exc)
        from app.ui.errors import report

        report(type(exc), exc, exc.__traceback__)

    def _refresh_statistics(self) -> None:
        """SQLite's index statistics, gathered again when the sessions have grown
        (services.planner_statistics); upkeep nobody asked for, so a failure is
        only logged."""
        from app.services import planner_statistics

        p = self.practice
        self.tasks.run(lambda: planner_statistics.refresh_if_due(p), lambda _ran: None,
                       lambda exc: log.warning("index statistics not gathered: %s", exc))

    def load_catalogue(self) -> None:
        p = self.practice

        def load() -> tuple[list[StaffView], list[ServiceView], SettingsView]:
            from app.services import catalog  # after the first paint, off its path

            return catalog.list_staff(p), catalog.list_services(p), settings.get(p)

        self.tasks.run(load, self._catalogue_loaded, self.show_error)

    def _catalogue_loaded(self, result: tuple[list[StaffView], list[ServiceView],
                                              SettingsView]) -> None:
        self.staff, self.services, current = result
        self._catalogue_loaded_once = True
        zone, self.country = current.zone, current.country
        clients, agenda = self.built("clients"), self.built("agenda")
        sessions, settings_page = self.built("sessions"), self.built("settings")
        if clients is not None:
            clients.model.region = self.country
        if zone != self.zone:
            self.zone = zone
            if agenda is not None:
                agenda.grid.zone = agenda.month.zone = zone
        if agenda is not None:
            agenda.set_catalogue(self.staff, self.services)
        if sessions is not None:
            sessions.fill_staff()
        if settings_page is not None:
            settings_page.catalogue_loaded()

    # ------------------------------------------------------------ opening things

    def open_appointment(self, appointment_id: int) -> Any:
        from app.ui.appointment_panel import AppointmentPanel

        panel = self.panels.get(appointment_id)
        if panel is None or not panel.isVisible():
            panel = AppointmentPanel(self, appointment_id)
            panel.finished.connect(lambda _r, shown=panel: self.forget_panel(shown))
            self.panels[appointment_id] = panel
        panel.show()
        panel.raise_()
        panel.activateWindow()
        return panel

    def forget_panel(self, panel: Any) -> None:
        """A session window closed: whichever session it showed last is no longer open."""
        for key in [k for k, v in self.panels.items() if v is panel]:
            del self.panels[key]

    def open_client(self, client_id: int) -> Any:
        """The Ficha do Cliente, from anywhere in the window."""
        self.show_page("clients")
        return self.clients.open_client(client_id)

    def new_session(self, start: datetime | None = None, client_id: int | None = None) -> Any:
        from app.ui.new_session import NewSessionDialog

        dialog = NewSessionDialog(self, start, client_id)
        self.new_session_dialog = dialog
        dialog.open()
        return dialog

    # ------------------------------------------------------------ changes

    # ------------------------------------------------------------ people

    def set_user(self, name: str, person: Person | None = None) -> None:
        """Who uses this computer: kept for this computer's login and practice folder,
        and every change made here is recorded in that name (the audit's "who").
        `person` (a person of the practice, with their role) decides what the
        services let this window read; a bare name is looked up among the
        practice's people in the background (a practice of one keeps a name that is
        not among them, as before; a shared practice treats it as not said)."""
        from app.ui.who_uses import user_key

        name = " ".join(name.split())
        if not name:
            return
        if person is None:
            self.practice = self.practice.acting_as(name)
            self._look_up(name)
        else:
            self.practice = self.practice.acting_as_person(person)
        if person is None or person.role is not Role.UNNAMED:
            QSettings().setValue(user_key(self.practice), name)
            paths = self.practice.paths
            self.tasks.run(lambda: this_computer.save(paths, person=name), lambda _r: None,
                           self.show_error)
        self._show_user()

    def _look_up(self, name: str) -> None:
        p = self.practice

        def found(everyone: list[Person]) -> None:
            if self.practice.actor != name or self.practice.person is not None:
                return  # someone else was said meanwhile
            person = people.find(everyone, name)
            if person is not None:
                self.set_user(person.name, person)
            elif not people.alone(everyone):
                self.set_user(name, people.unnamed(name))

        self.tasks.run(lambda: people.list_people(p), found, self.show_error)

    def _show_user(self) -> None:
        """The status bar's quiet word: who uses this computer, with their role."""
        person = self.practice.person
        if person is not None and person.role is Role.UNNAMED:
            self.user_label.setText(_("Who is using this computer? (File menu)"))
            self.user_label.setToolTip(_("Until someone says who is using this computer, "
                                         "sessions' internal notes stay hidden here."))
            return
        self.user_label.setText(_("Using: {name}").format(
            name=people.described(person) if person else self.practice.actor))
        self.user_label.setToolTip(_("Changes made here are recorded in this name. "
                                     "File › Who is using this computer… changes it."))

    def start(self) -> None:
        """What opening the window asks: an empty practice opens the set-up assistant;
        otherwise, on a computer that has not said who uses it (or names someone the
        practice no longer has), that question once, so the history names a person,
        not the computer's login. Until it is answered in a practice of several
        people, this window reads no internal notes. Asked once the first week is
        painted (after_first_paint)."""
        self.after_first_paint(self._start)

    def _start(self) -> None:
        from app.ui.who_uses import stored_user

        p = self.practice
        known = stored_user(p)

        def look() -> tuple[bool, list[Person], str]:
            from app.services import first_run  # on this thread, not the GUI's

            said = known or this_computer.read(p.paths).person
            return first_run.needed(p), people.list_people(p), said

        def decide(result: tuple[bool, list[Person], str]) -> None:
            needed, everyone, said = result
            person = people.find(everyone, said) if said else None
            if person is not None:
                self.set_user(person.name, person)
            elif said and people.alone(everyone):
                self.set_user(said)  # a practice of one keeps its owner's name
            elif not people.alone(everyone):
                self.set_user(said or self.practice.actor,
                              people.unnamed(said or self.practice.actor))
            if needed:
                self.open_first_run()
            elif person is None and not (said and people.alone(everyone)):
                self.choose_user(first_time=True)

        self.tasks.run(look, decide, self.show_error)

    def choose_user(self, first_time: bool = False) -> None:
        """Who is using this computer, among the practice's people with their role
        ("Ana Lima — professional", "Carla — reception")."""
        from PySide6.QtWidgets import QInputDialog

        p = self.practice

        def ask(everyone: list[Person]) -> None:
            if not everyone:
                return
            shown = [people.described(x) for x in everyone]
            current = people.find(everyone, self.practice.actor)
            at = everyone.index(current) if current in everyone else 0
            chosen, ok = QInputDialog.getItem(
                self, _("Who is using this computer"),
                _("Changes made here are recorded in the name of (the role decides what "
                  "is shown):"), shown, at, False)
            if ok and chosen in shown:
                person = everyone[shown.index(chosen)]
                self.set_user(person.name, person)
                self.say(_("Now using: {name}.").format(name=people.described(person)))

        self.tasks.run(lambda: people.offered(p), ask, self.show_error)

    def open_first_run(self) -> None:
        """The set-up assistant, with the practice's answers so far."""
        from app.services import first_run
        from app.ui.first_run_wizard import FirstRunWizard

        p = self.practice

        def show(proposal: Any) -> None:
            self.first_run = FirstRunWizard(self, proposal)
            self.first_run.open()

        self.tasks.run(lambda: first_run.proposal(p), show, self.show_error)

    @staticmethod
    def page_name(name: str) -> str:
        return {"dashboard": _("Dashboard"), "agenda": _("Agenda"), "sessions": _("Sessions"),
                "clients": _("Clients"), "conecta": _("Conecta"),
                "settings": _("Settings")}[name]

    def show_page(self, name: str) -> None:
        self.nav.setCurrentRow(PAGES.index(name))

    def show_settings(self, tab: str) -> None:
        """Configurações opened on one tab: "integrations", "notifications", ..."""
        self.show_page("settings")
        self.settings_page.show_tab(tab)

    def update_unread(self) -> None:
        """Conecta's entry in the navigation shows how many client messages wait."""
        p = self.practice

        def count() -> int:
            from app.services import attendances  # the channels' code: not needed to open

            return attendances.unread_total(p)

        def shown(unread: int) -> None:
            item = self.nav.item(PAGES.index("conecta"))
            if item is not None:
                item.setText(_("Conecta") + (f"  ({unread})" if unread else ""))

        self.tasks.run(count, shown, self.show_error)

    def on_change(self, change: Change) -> None:
        """Said to the pages built; the others read everything when built."""
        conecta, settings_page = self.built("conecta"), self.built("settings")
        agenda, dashboard, clients = self.built("agenda"), self.built("dashboard"), \
            self.built("clients")
        if change.conversations:
            if conecta is not None:
                conecta.changed(change.conversations)
            else:
                self.update_unread()  # as Conecta would
        if change.settings or change.staff or change.services:
            self.load_catalogue()
        if change.settings:
            if conecta is not None:
                conecta.settings_changed()
            if settings_page is not None:
                settings_page.settings_changed()
        if agenda is not None and (change.appointments or change.staff or change.clients):
            agenda.changed()
        # A check that brings a channel back (settings) changes the Painel too.
        if dashboard is not None and (change.appointments or change.clients or
                                      change.settings):
            dashboard.reload()  # now if shown, else when next shown
        if clients is not None and (change.clients or change.appointments):
            clients.changed(change)

    def switch_language(self, code: str) -> None:
        i18n.set_language(code or None)
        self.statusBar().clearMessage()  # a message in the old language would linger
        self.build()
        if self.practice.actor and self.user_label.text():
            self._show_user()  # "Usando:" said again, in the new words
        self.say(_("Settings saved."))

    def first_size(self) -> QSize:
        """1280×800, or less where the screen's free area (without panels) is smaller:
        a 1366×768 laptop gets the whole of its height, never a window that runs off
        the bottom."""
        screen = self.screen() or QApplication.primaryScreen()
        wanted = QSize(1280, 800)
        if screen is None:
            return wanted
        free = screen.availableGeometry().size()
        frame = QSize(0, 40)  # the title bar the window manager adds
        return wanted.boundedTo(free - frame).expandedTo(self.minimumSize())

    def closeEvent(self, event: QCloseEvent) -> None:
        QSettings().setValue("window/geometry", self.saveGeometry())
        if self.tray is not None and not self.quitting:
            event.ignore()  # the tray keeps reminders going
            self.hide()
            self.tray.showMessage("Practice Desk", _("Still sending reminders. Quit from "
                                                      "this icon's menu."))
            return
        # Nothing begins after this (the timer that starts the worker and the warm-up
        # may still be due), and the warm-up ends first: a thread left importing when
        # Python shuts down can hold a lock its shutdown then waits for for ever.
        self._later_done = True
        self._warm_stop.set()
        if self._warming is not None:
            self._warming.join(timeout=10)
        self._stop_worker()
        if self.tray is not None:
            self.tray.hide()
        self._watch_stop.set()
        self.tasks.wait()
        self._watch_thread.join(timeout=10)
        if self.watcher is not None:
            self.watcher.close()
            self.watcher = None
        self.bridge.close()
        super().closeEvent(event)


_kept = False


def _keep_what_is_loaded() -> None:
    """What the process holds when its first window opens (the libraries, the
    tables, the settings) stays for as long as it runs: Python's collector is told
    so (gc.freeze), instead of walking it all again on every full collection, which
    took 150–250 ms while the window was being built and would take as long at any
    moment later (a click that waits a fifth of a second). Once per process; the
    collector, off while the window starts, is turned on again once its first week
    is painted (MainWindow.__init__).
    https://docs.python.org/3/library/gc.html#gc.freeze"""
    global _kept
    if not _kept:
        _kept = True
        gc.freeze()


def _warm_up(stop: threading.Event) -> None:
    """Imports WARM_UP (no Qt in them) on a thread of its own, until `stop` is
    set (the window closing); a module that fails here fails again, and is
    reported, where it is used."""
    for name in WARM_UP:
        if stop.is_set():
            return
        try:
            importlib.import_module(name)
        except Exception:  # said where it is imported for use
            log.debug("warm-up import of %s failed", name, exc_info=True)
