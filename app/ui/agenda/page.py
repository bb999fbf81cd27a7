"""The Agenda Geral page: day, work-week, week and month views with a professional
filter, the mini calendar, a status legend and the availability of a service."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app import i18n
from app.i18n import _
from app.models.enums import AppointmentStatus as S
from app.services import queries, settings
from app.services.events import Change
from app.services.queries import AppointmentView
from app.services.status_words import status_label
from app.ui.agenda.mini_month import MiniMonth, add_months
from app.ui.agenda.month import MonthGrid
from app.ui.agenda.timegrid import FADED, DayHeader, Prepared, TimeGrid
from app.ui.plain import plain
from app.ui.style import FREE_COLOUR, STATUS_COLOURS
from app.ui.wheel_guard import ComboBox

if TYPE_CHECKING:
    from app.services.catalog import ServiceView, StaffView
    from app.services.practice import Practice
    from app.ui.main_window import MainWindow
    from app.ui.tasks import Task

VIEWS = ("day", "workweek", "week", "month")
# A period that has not come after this long is said to be loading (most come in a
# few milliseconds: saying it at once would flash); said this far down the grid,
# below the days' names.
LOADING_SAID_AFTER_MS = 150
LOADING_TOP = 56
OVERLAY_MAX_WIDTH = 560


@dataclass(frozen=True)
class Loaded:
    """One period's sessions and what is drawn under them."""

    views: list[AppointmentView]
    staff: int | None
    hours: Any
    free: Any
    times: dict[int, tuple[str, str]]
    generation: int


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


class AgendaPage(QWidget):
    period_changed = Signal()
    loaded = Signal()  # a period's sessions were put on the grid or the month

    @property
    def practice(self) -> Practice:
        """The window's, asked each time: it changes hands when someone else says they
        are using this computer, and every change must be recorded in their name."""
        return self.window_.practice

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.setObjectName("page")
        self.window_ = window
        self.anchor = window.today()
        self.mode = str(QSettings().value("agenda/view", "week"))
        if self.mode not in VIEWS:
            self.mode = "week"
        self.staff: list[StaffView] = []
        self.services: list[ServiceView] = []
        self._request = 0
        self.rows: list[AppointmentView] = []
        self._hours: dict[int | None, Any] = {}  # per professional filter, until settings change
        # Loaded periods, so stepping to a neighbour paints at once. Any change
        # event empties it (changed()), so it never shows stale sessions.
        self._cache: OrderedDict[tuple[Any, ...], Loaded] = OrderedDict()
        self._prefetching: set[tuple[Any, ...]] = set()
        # The blocks of pre-fetched periods, worked out when they arrive (while the
        # person looks at the shown one), so stepping there only paints.
        self._prepared: dict[tuple[Any, ...], Prepared] = {}
        self._generation = 0  # bumped by every change; older loads are not cached
        # The request the page waits for, read by the loads on the pool's threads: a
        # load asked for a period already stepped past is skipped when its turn comes,
        # so the period the person stops on does not queue behind those skipped.
        self._wanted = [0]
        self._catalogued = False  # the professionals and services not given yet
        # Pre-fetching starts once the new period is painted, so it never competes
        # with that paint.
        self._prefetch_timer = QTimer(self)
        self._prefetch_timer.setSingleShot(True)
        self._prefetch_timer.setInterval(150)
        self._prefetch_timer.timeout.connect(self._prefetch_neighbours)
        # The period shown first is asked for now, before the page's widgets are
        # made (with the filters they start with: every professional, no shading),
        # so the query runs while they are; reload() below takes it as its own.
        days = self.days()
        faded = QSettings().value("agenda/faded", "false") == "true"
        key = (self.mode == "month", days[0], days[-1], None, None, faded)
        self._request = self._wanted[0] = 1
        self.first_load: Task | None = window.tasks.run(
            self._loader(key, days, self._request), self._loaded, self._load_failed)
        self._first_key: tuple[Any, ...] | None = key

        outer = QHBoxLayout(self)
        outer.setContentsMargins(16, 14, 16, 12)
        outer.setSpacing(14)
        outer.addWidget(self._side(), 0)
        main = QVBoxLayout()
        main.setSpacing(8)
        outer.addLayout(main, 1)
        main.addLayout(self._toolbar())
        self.notice = plain(QLabel())  # a refusal names the clients in the way
        self.move_question: QMessageBox | None = None  # a dragged session, asked about
        self.notice.setObjectName("error")
        self.notice.setWordWrap(True)
        self.notice.hide()
        main.addWidget(self.notice)

        self.grid = TimeGrid(window.zone)
        self.grid.set_zoom(float(QSettings().value("agenda/zoom", 56.0)))
        self.header = DayHeader(self.grid)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.grid)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        timeline = QWidget()
        tl = QVBoxLayout(timeline)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.setSpacing(0)
        tl.addWidget(self.header)
        tl.addWidget(self.scroll, 1)
        timeline.setObjectName("card")
        self.month = MonthGrid(window.zone)
        self.stack = QStackedWidget()
        self.stack.addWidget(timeline)
        self.stack.addWidget(self.month)
        main.addWidget(self.stack, 1)
        # Said over the grid, not above it (the grid would move down and back as
        # weeks are turned): a period with nothing in it says how to begin, and one
        # that takes a while to come (a busy computer, weeks turned fast) says it is
        # on its way, so an empty grid is never taken for a free week. Clicks go
        # through to the grid.
        self.empty_hint = QLabel(self.stack)
        self.empty_hint.setObjectName("hint")
        self.empty_hint.setWordWrap(True)
        self.loading = QLabel(_("Loading sessions…"), self.stack)
        self.loading.setObjectName("loading")
        for label in (self.empty_hint, self.loading):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            label.hide()
        self._loading_timer = QTimer(self)
        self._loading_timer.setSingleShot(True)
        self._loading_timer.setInterval(LOADING_SAID_AFTER_MS)
        self._loading_timer.timeout.connect(self._say_loading)

        self.grid.opened.connect(window.open_appointment)
        self.month.opened.connect(window.open_appointment)
        self.grid.create_requested.connect(window.new_session)
        self.grid.move_requested.connect(self.move)
        self.month.day_requested.connect(self.show_day)
        self.header.day_clicked.connect(self.show_day)
        self._tick = QTimer(self)
        self._tick.timeout.connect(self._update_now)
        self._tick.start(60_000)
        self.set_mode(self.mode)

    # ------------------------------------------------------------ building

    def _toolbar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.prev_button = QPushButton("‹")
        self.prev_button.setToolTip(_("Previous period") + " (Ctrl+←)")
        self.today_button = QPushButton(_("Today"))
        self.today_button.setToolTip(_("Today") + " (Ctrl+T)")
        self.next_button = QPushButton("›")
        self.next_button.setToolTip(_("Next period") + " (Ctrl+→)")
        for b in (self.prev_button, self.today_button, self.next_button):
            bar.addWidget(b)
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.today_button.clicked.connect(self.go_today)
        self.period = QLabel()
        self.period.setObjectName("period")
        bar.addWidget(self.period, 1)
        self.view_buttons: dict[str, QPushButton] = {}
        group = QButtonGroup(self)
        for key, text, keys in (("day", _("Day"), "Alt+1"), ("workweek", _("Work week"), "Alt+2"),
                                ("week", _("Week"), "Alt+3"), ("month", _("Month"), "Alt+4")):
            button = QPushButton(text)
            button.setCheckable(True)
            button.setToolTip(f"{text} ({keys})")
            button.clicked.connect(lambda _c=False, k=key: self.set_mode(k))
            group.addButton(button)
            bar.addWidget(button)
            self.view_buttons[key] = button
        return bar

    def open_import(self) -> Any:
        from app.ui.import_wizard import ImportDialog

        return _shown_modal(ImportDialog(self.window_))

    def open_export(self) -> Any:
        """The export dialog, for the period and the professional on screen."""
        from app.ui.export_dialog import ExportDialog

        days = self.days()
        return _shown_modal(ExportDialog(self.window_, days[0], days[-1], self.staff_filter()))

    def _side(self) -> QWidget:
        """The column beside the agenda; on a short screen it scrolls rather than
        squeezing the mini-calendar (whose last week was cut at 768 px)."""
        side = QWidget()
        side.setFixedWidth(250)
        scroll = QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedWidth(250 + scroll.verticalScrollBar().sizeHint().width())
        scroll.setObjectName("side")  # transparent (style.STYLE)
        col = QVBoxLayout(side)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(8)
        title = QLabel(_("General Agenda"))
        title.setObjectName("pageTitle")
        col.addWidget(title)
        self.new_button = QPushButton(_("New session"))
        self.new_button.setObjectName("primary")
        self.new_button.setToolTip(_("New session") + " (Ctrl+N)")
        self.new_button.clicked.connect(lambda: self.window_.new_session(None))
        col.addWidget(self.new_button)
        self.import_button = QPushButton(_("Import…"))
        self.import_button.setToolTip(_("Import sessions from a CSV or Excel file"))
        self.import_button.clicked.connect(self.open_import)
        self.export_button = QPushButton(_("Export…"))
        self.export_button.setToolTip(_("Export the sessions to a spreadsheet or calendar file"))
        self.export_button.clicked.connect(self.open_export)
        data_row = QHBoxLayout()
        data_row.setSpacing(8)
        data_row.addWidget(self.import_button)
        data_row.addWidget(self.export_button)
        col.addLayout(data_row)
        self.mini = MiniMonth()
        self.mini.set_selected(self.anchor)
        self.mini.set_today(self.window_.today())
        self.mini.picked.connect(self.jump)
        col.addWidget(self.mini)

        col.addWidget(_section(_("Professional")))
        # Each filter says what it starts as from the first paint; the professionals
        # and services join it when the catalogue is read (set_catalogue).
        self.staff_combo = ComboBox()
        self.staff_combo.addItem(_("All professionals"), None)
        self.staff_combo.currentIndexChanged.connect(lambda _i: self.reload())
        col.addWidget(self.staff_combo)

        col.addWidget(_section(_("Availability")))
        self.service_combo = ComboBox()
        self.service_combo.addItem(_("Do not shade"), None)
        self.service_combo.setToolTip(_("Shade the free times for a service"))
        self.service_combo.currentIndexChanged.connect(lambda _i: self.reload())
        col.addWidget(self.service_combo)

        self.show_faded = QCheckBox(_("Show cancelled and rescheduled"))
        self.show_faded.setChecked(QSettings().value("agenda/faded", "false") == "true")
        self.show_faded.toggled.connect(self._faded_toggled)
        col.addWidget(self.show_faded)

        col.addWidget(_section(_("Legend")))
        legend = QGridLayout()  # two columns: the legend takes half the height
        legend.setContentsMargins(0, 0, 0, 0)
        legend.setHorizontalSpacing(10)
        for i, status in enumerate((S.SCHEDULED, S.CONFIRMED, S.COMPLETED, S.NO_SHOW,
                                    S.CANCELLED, S.RESCHEDULED)):
            mark = "✓" if status is S.CONFIRMED else "●"
            label = QLabel(f"<span style='color:{STATUS_COLOURS[status]}; font-size:14px'>"
                           f"{mark}</span>&nbsp; {status_label(status)}")
            legend.addWidget(label, i // 2, i % 2)
        col.addLayout(legend)
        free_text = _("Free for the chosen service")
        free = QLabel(f"<span style='color:{FREE_COLOUR}; font-size:14px'>■</span>&nbsp; "
                      f"{free_text}")
        free.setWordWrap(True)
        col.addWidget(free)
        col.addStretch(1)
        return scroll

    # ------------------------------------------------------------ state

    def set_catalogue(self, staff: list[StaffView], services: list[ServiceView]) -> None:
        """The professionals and services to filter and shade by. The first time
        (the window opening) the period already on its way was asked with the
        same filters from fresh data, so it is not asked again (that made the
        first week wait for a second load); afterwards the catalogue changed,
        and everything loaded is forgotten."""
        first = not self._catalogued
        self._catalogued = True
        self.staff, self.services = staff, services
        asked = self._key(self.days())
        current_staff = self.staff_combo.currentData()
        current_service = self.service_combo.currentData()
        for combo in (self.staff_combo, self.service_combo):
            combo.blockSignals(True)
            combo.clear()
        self.staff_combo.addItem(_("All professionals"), None)
        for st in staff:
            self.staff_combo.addItem(st.name, st.id)
        self.service_combo.addItem(_("Do not shade"), None)
        for sv in services:
            self.service_combo.addItem(sv.name, sv.id)
        for combo, value in ((self.staff_combo, current_staff),
                             (self.service_combo, current_service)):
            index = combo.findData(value)
            combo.setCurrentIndex(max(0, index))
            combo.blockSignals(False)
        if first and self._key(self.days()) == asked:
            return
        self._hours.clear()  # settings or professionals changed
        self._generation += 1
        self._cache.clear()
        self._prepared.clear()
        self.reload()

    def staff_filter(self) -> int | None:
        value = self.staff_combo.currentData()
        return int(value) if value is not None else None

    def days(self) -> list[date]:
        if self.mode == "day":
            return [self.anchor]
        if self.mode == "month":
            first = self.anchor.replace(day=1)
            start = week_start(first)
            return [start + timedelta(days=i) for i in range(42)]
        monday = week_start(self.anchor)
        return [monday + timedelta(days=i) for i in range(5 if self.mode == "workweek" else 7)]

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        _remember("agenda/view", mode)
        self.view_buttons[mode].setChecked(True)
        self.stack.setCurrentIndex(1 if mode == "month" else 0)
        self.reload()

    def step_anchor(self, direction: int) -> None:
        if self.mode == "day":
            self.anchor += timedelta(days=direction)
        elif self.mode == "month":
            self.anchor = add_months(self.anchor, direction)
        else:
            self.anchor += timedelta(days=7 * direction)

    def step(self, direction: int) -> None:
        self.step_anchor(direction)
        self.reload()

    def go_today(self) -> None:
        self.jump(self.window_.today())

    def jump(self, day: date) -> None:
        self.anchor = day
        self.reload()

    def show_day(self, day: date) -> None:
        self.anchor = day
        self.set_mode("day")

    def zoom(self, factor: float) -> None:
        self.grid.set_zoom(self.grid.hour_height * factor)
        QSettings().setValue("agenda/zoom", self.grid.hour_height)

    def _faded_toggled(self, on: bool) -> None:
        QSettings().setValue("agenda/faded", "true" if on else "false")
        self.reload()

    def _period_text(self, days: list[date]) -> str:
        if self.mode == "day":
            return i18n.format_date(days[0], "full")
        if self.mode == "month":
            return i18n.first_upper(i18n.format_date(self.anchor, "LLLL y"))
        return i18n.format_period(days[0], days[-1])

    # ------------------------------------------------------------ loading

    def changed(self) -> None:
        """Something changed in the data: forget loaded periods and load again. A
        refusal said before is about data as it was: it goes."""
        self.notice.hide()
        self._generation += 1
        self._cache.clear()
        self._prepared.clear()
        self.reload()

    def _key(self, days: list[date]) -> tuple[Any, ...]:
        service = self.service_combo.currentData() if self.mode != "month" else None
        return (self.mode == "month", days[0], days[-1], self.staff_filter(), service,
                self.show_faded.isChecked())

    def reload(self, _change: Change | None = None) -> None:
        days = self.days()
        today = self.window_.today()
        self.period.setText(self._period_text(days))
        self.mini.set_selected(self.anchor)
        self.mini.set_today(today)
        self.mini.set_period(days)
        self.header.today = self.month.today = today
        if self.mode == "month":
            self.month.set_month(self.anchor)
        else:
            self.grid.set_period(days)
            self.header.update()
        key = self._key(days)
        asked, self._first_key = self._first_key, None
        if key != asked:
            self._request += 1
            self._wanted[0] = self._request
        token = self._request  # (the period asked as the page was made: its own load)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            self._apply(cached, self._prepared.get(key))
            self.loaded_token = token
            self._prefetch_timer.start()
        else:
            self._loading_timer.start()
            if key != asked:
                self.window_.tasks.run(self._loader(key, days, token), self._loaded,
                                       self._load_failed)
        self.period_changed.emit()

    def _loader(self, key: tuple[Any, ...], days: list[date], token: int) -> Any:
        """The load of `days` with the filters `key` holds (_key)."""
        p, staff, service, faded = self.practice, key[3], key[4], key[5]
        first, last = days[0], days[-1]
        timed_days = days if self.mode != "month" else []
        known_hours = self._hours.get(staff)
        generation = self._generation
        wanted = self._wanted

        def load() -> tuple[int, tuple[Any, ...], Loaded | None]:
            if token > 0 and token != wanted[0]:
                return token, key, None  # stepped past before its turn came
            views = queries.list_appointments(p, start=first, end=last, staff_id=staff)
            if not faded:
                views = [v for v in views if v.status not in FADED]
            hours = known_hours if known_hours is not None else settings.working_hours(p, staff)
            free = {}
            if service is not None:
                from app.services import availability  # only while a service is shaded

                free = availability.free_ranges(p, timed_days, service_id=service,
                                                staff_id=staff)
            times = {v.id: (i18n.format_time(v.start), i18n.format_time(v.end)) for v in views}
            return token, key, Loaded(views, staff, hours, free, times, generation)

        return load

    def _loaded(self, result: tuple[int, tuple[Any, ...], Loaded | None]) -> None:
        token, key, data = result
        if data is None:
            return  # skipped: a newer request is on its way
        self._hours[data.staff] = data.hours
        self._remember(key, data)
        if token != self._request:
            return  # a newer request is on its way
        self._apply(data)
        self.loaded_token = token
        self._prefetch_timer.start()

    def _remember(self, key: tuple[Any, ...], data: Loaded) -> None:
        if data.generation != self._generation:
            return  # loaded before a change: not to be reused
        self._cache[key] = data
        self._cache.move_to_end(key)
        self._prepared.pop(key, None)  # made of the data this replaces
        while len(self._cache) > 12:
            gone, _data = self._cache.popitem(last=False)
            self._prepared.pop(gone, None)

    def _prepare(self, key: tuple[Any, ...], days: list[date]) -> None:
        """A pre-fetched week or day made ready to paint, now rather than on the click."""
        data = self._cache.get(key)
        if data is None or key[0]:  # not kept, or a month (drawn by MonthGrid)
            return
        self._prepared[key] = self.grid.prepare(days, data.views, data.times, data.free,
                                                paint=True)

    def _load_failed(self, exc: Exception) -> None:
        """A period that could not be read is no longer said to be on its way; why
        is said by the window (the status bar, or the error report)."""
        self._loading_timer.stop()
        self.loading.hide()
        self.window_.show_error(exc)

    def _say_loading(self) -> None:
        self.empty_hint.hide()
        self._place(self.loading)
        self.loading.show()

    def _place(self, label: QLabel) -> None:
        """`label` centred over the top of the grid, as wide as its words or the grid."""
        width = self.stack.width()
        margins = label.contentsMargins()
        natural = label.fontMetrics().horizontalAdvance(label.text()) + \
            margins.left() + margins.right() + 2
        fits = max(120, min(natural, OVERLAY_MAX_WIDTH, width - 48))
        label.setFixedSize(fits, label.heightForWidth(fits))
        label.move((width - fits) // 2, LOADING_TOP)
        label.raise_()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        QTimer.singleShot(0, self._place_shown)  # once the layout has sized the grid

    def _place_shown(self) -> None:
        for label in (self.empty_hint, self.loading):
            if label.isVisible():
                self._place(label)

    def _apply(self, data: Loaded, prepared: Prepared | None = None) -> None:
        self._loading_timer.stop()
        self.loading.hide()
        self.rows = data.views
        self.empty_hint.setText(
            _("No sessions in this period. Double-click a free time to book one, or use "
              "New session (Ctrl+N).") if self.mode != "month" else
            _("No sessions this month. Double-click a day to open it, or use New session "
              "(Ctrl+N)."))
        if data.views:
            self.empty_hint.hide()
        else:
            self._place(self.empty_hint)
            self.empty_hint.show()
        if self.mode == "month":
            self.month.set_sessions(data.views, data.times)
        else:
            if data.hours != self.grid.hours:
                self.grid.set_hours(data.hours)
            self.grid.set_free(data.free)
            self.grid.set_sessions(data.views, data.times, prepared)
            self._update_now()
        self.loaded.emit()

    def _prefetch_neighbours(self) -> None:
        """Load the periods before and after the shown one in the background."""
        anchor = self.anchor
        for direction in (1, -1):
            self.step_anchor(direction)
            days = self.days()
            key = self._key(days)
            self.anchor = anchor
            if key in self._cache or key in self._prefetching:
                continue
            self._prefetching.add(key)
            load = self._loader(key, days, -1)

            def done(result: tuple[int, tuple[Any, ...], Loaded | None], k: Any = key,
                     period: list[date] = days) -> None:
                self._prefetching.discard(k)
                if result[2] is not None:  # (a pre-fetch is never skipped)
                    self._remember(result[1], result[2])
                self._prepare(k, period)

            def failed(_exc: Exception, k: Any = key) -> None:
                self._prefetching.discard(k)

            self.window_.tasks.run(load, done, failed)

    def _update_now(self) -> None:
        self.grid.now = self.practice.clock.now()
        self.grid.update()

    def scroll_to_morning(self) -> None:
        self.scroll.verticalScrollBar().setValue(int(self.grid.hour_height * 0.5))

    # ------------------------------------------------------------ moving

    def move(self, appointment_id: int, start: datetime) -> None:
        """A dragged block, checked like any booking first: onto a busy time it is
        refused at once, with whom it meets (not asked about and refused after);
        otherwise asked about (who, from when to when: a slip of the mouse must not
        move a client), then rescheduled. Enter moves it; Escape leaves it."""
        self.notice.hide()
        view = next((v for v in self.grid.sessions() if v.id == appointment_id), None)
        if view is None:
            return
        p = self.practice

        def check() -> list[str]:
            from app.services import scheduling  # imported once the week is painted

            req = scheduling.BookingRequest(
                client_id=view.client_id, start=start, service_id=view.service_id,
                custom_service_name=view.service_name if view.service_id is None else None,
                duration_minutes=view.duration_minutes, staff_id=view.staff_id)
            return [c.message for c in scheduling.check_booking(p, req)
                    if c.appointment_id != view.id]

        def checked(conflicts: list[str]) -> None:
            if conflicts:
                self.notice.setText(_("Not moved: {reason}").format(
                    reason=" ".join(conflicts)))
                self.notice.show()
                self.window_.say(_("Not moved."))
                self.reload()  # the block goes back where it was
            else:
                self._ask_to_move(view, start)

        self.window_.tasks.run(check, checked, self.window_.show_error)

    def _ask_to_move(self, view: AppointmentView, start: datetime) -> None:
        appointment_id = view.id
        zone = self.window_.zone
        question = QMessageBox(self)
        question.setIcon(QMessageBox.Icon.Question)
        question.setWindowTitle(_("Move session"))
        question.setTextFormat(Qt.TextFormat.PlainText)  # the client's name as typed
        question.setText(_("Move {client}'s session from {old} to {new}?").format(
            client=view.client_name, old=i18n.format_datetime(view.start.astimezone(zone)),
            new=i18n.format_datetime(start.astimezone(zone))))
        question.setInformativeText(_("The client is told of the new time as after any "
                                      "rescheduling."))
        go = question.addButton(_("Move"), QMessageBox.ButtonRole.AcceptRole)
        stay = question.addButton(_("Leave it where it was"), QMessageBox.ButtonRole.RejectRole)
        question.setDefaultButton(go)
        question.setEscapeButton(stay)
        self.move_question = question

        def answered() -> None:
            self.move_question = None
            if question.clickedButton() is go:
                self._move(appointment_id, start)
            else:
                self.window_.say(_("Not moved."))

        question.finished.connect(answered)
        question.open()

    def _move(self, appointment_id: int, start: datetime) -> None:
        p = self.practice

        def run() -> dict[int, int]:
            from app.services import scheduling

            return scheduling.reschedule(p, appointment_id, start)

        def done(mapping: dict[int, int]) -> None:
            self.window_.say(_("Session moved to {when}.").format(
                when=i18n.format_datetime(start.astimezone(self.window_.zone))))

        def failed(exc: Exception) -> None:
            self.notice.setText(_("Not moved: {reason}").format(reason=exc))
            self.notice.show()
            self.window_.show_error(exc)
            self.reload()

        self.window_.tasks.run(run, done, failed)


def _shown_modal(dialog: QDialog) -> QDialog:
    dialog.setModal(True)
    dialog.show()
    return dialog


def _section(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionTitle")
    return label


def _remember(key: str, value: str) -> None:
    """Kept in Qt's settings for next time; written only when it changed (each
    write goes to the disk)."""
    settings_ = QSettings()
    if settings_.value(key) != value:
        settings_.setValue(key, value)
