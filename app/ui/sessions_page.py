"""Sessões (seed 002's "Dashboard > Appointments"): every session across
professionals, with the client's name and phone, service, date and time,
duration, status, origin and professional; sortable by any column, filtered by
period, status, professional, origin and a search by name or phone; counted;
the session panel's actions on the selection (several confirmed at once); and
*Exportar* of exactly what is listed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, QEvent, QModelIndex, QObject, QStandardPaths, Qt, QTimer
from PySide6.QtWidgets import (
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import i18n
from app.i18n import _, ngettext
from app.models.enums import AppointmentSource, AppointmentStatus, Channel
from app.models.outbox import MessageKind
from app.models.transitions import Action
from app.services import exports, reminders, scheduling, session_list
from app.services.events import Change
from app.services.exports import Format
from app.services.queries import AppointmentView
from app.services.scheduling import source_label, status_label
from app.services.session_list import SORTS, Listing
from app.ui import file_chooser
from app.ui.session_list_model import ID_ROLE, SessionListModel
from app.ui.steady_header import SteadyHeader
from app.ui.text_cells import TextCellDelegate, TextTable
from app.ui.wheel_guard import ComboBox, DateEdit

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

# The panel's actions on one selected session: (action, its method on the panel).
PANEL_ACTIONS = ((Action.CANCEL, "cancel"), (Action.RESCHEDULE, "reschedule"),
                 (Action.COMPLETE, "complete"), (Action.NO_SHOW, "no_show"))
EXPORT_FILTERS = {Format.CSV: "CSV (*.csv)", Format.XLSX: "Excel (*.xlsx)",
                  Format.ICS: "iCalendar (*.ics)"}


def periods() -> list[tuple[str, str]]:
    """The period filter's choices: (key, words)."""
    return [("upcoming", _("From today on")), ("today", _("Today")),
            ("week", _("This week")), ("month", _("This month")),
            ("last30", _("Last 30 days")), ("all", _("All dates")),
            ("custom", _("Choose dates…"))]


def period_days(key: str, today: date) -> tuple[date | None, date | None]:
    """The local days a period choice covers, both inclusive; None is open."""
    if key == "upcoming":
        return today, None
    if key == "today":
        return today, today
    if key == "week":
        monday = today - timedelta(days=today.weekday())
        return monday, monday + timedelta(days=6)
    if key == "month":
        first = today.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following - timedelta(days=1)
    if key == "last30":
        return today - timedelta(days=30), today
    return None, None


# The columns' widths beside the client's, which takes the room left: they fit a
# laptop's 1280 pixels without a sideways scroll (what is longer ends in …).
WIDTHS = {"phone": 122, "service": 150, "start": 132, "duration": 64, "status": 124,
          "source": 150, "staff": 132}


def _filters(listing: Listing) -> Listing:
    """The listing's filters alone: what its count depends on."""
    return replace(listing, sort="start", descending=False)


def _notice_issue(n: int, held: bool, reason: str) -> str:
    """How many confirmation e-mails wait (held) or will not go, and why."""
    return (ngettext("{n} confirmation e-mail waits until this is fixed: {reason}",
                     "{n} confirmation e-mails wait until this is fixed: {reason}", n)
            if held else ngettext("{n} confirmation e-mail will not be sent: {reason}",
                                  "{n} confirmation e-mails will not be sent: {reason}", n)
            ).format(n=i18n.format_number(n), reason=reason)


def _notice_count(n: int, held: bool) -> str:
    return (ngettext("{n} confirmation e-mail waits until its channel is fixed.",
                     "{n} confirmation e-mails wait until their channel is fixed.", n)
            if held else ngettext("{n} confirmation e-mail will not be sent.",
                                  "{n} confirmation e-mails will not be sent.", n)
            ).format(n=i18n.format_number(n))


class SessionsPage(QWidget):
    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.setObjectName("page")
        self.window_ = window
        self.listing = Listing()
        self._shown_listing: Listing | None = None  # the question the rows answer
        self._counts: dict[Listing, int] = {}  # by filters, until the data changes
        self._ahead_held = False  # a new answer's rows are painted before any read ahead
        self._selection_asked = -1  # the listing whose selected rows are being read
        # Sessions selected before the list was read again whose rows are not read
        # yet: selected as their pages come.
        self._still_chosen: set[int] = set()
        self._choosing_again = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 18, 24, 18)
        head = QHBoxLayout()
        title = QLabel(_("Sessions"))
        title.setObjectName("pageTitle")
        head.addWidget(title)
        head.addStretch(1)
        self.count_label = QLabel()
        self.count_label.setObjectName("muted")
        head.addWidget(self.count_label)
        self.export_button = QPushButton(_("Export…"))
        self.export_button.setToolTip(_("Write exactly the sessions listed to a file"))
        self.export_button.clicked.connect(self.export)
        head.addWidget(self.export_button)
        outer.addLayout(head)

        filters = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText(_("Search by name or phone"))
        self.search.setClearButtonEnabled(True)
        filters.addWidget(self.search, 2)
        self.period = ComboBox()
        for key, words in periods():
            self.period.addItem(words, key)
        filters.addWidget(self.period)
        self.start = self._date_edit()
        self.end = self._date_edit()
        filters.addWidget(self.start)
        filters.addWidget(self.end)
        self.status = ComboBox()
        self.status.addItem(_("All statuses"), None)
        for s in AppointmentStatus:
            self.status.addItem(status_label(s), s.value)
        filters.addWidget(self.status)
        self.staff = ComboBox()
        filters.addWidget(self.staff)
        self.source = ComboBox()
        self.source.addItem(_("All origins"), None)
        for source in AppointmentSource:
            self.source.addItem(source_label(source.value), source.value)
        filters.addWidget(self.source)
        outer.addLayout(filters)

        self.model = SessionListModel(self._fetch, window.phone, self._sorted)
        self.table = TextTable()
        self.table.setHorizontalHeader(SteadyHeader(self.table))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        # One line a session: rows of one height need no measuring, with a row for
        # each of 100,000 sessions.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        # The bar's room is kept whether or not a listing needs it: the columns do
        # not move, nor the table paint twice, as listings grow and shrink.
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)  # one line a session; what does not fit is elided
        TextCellDelegate(self.table)
        self.table.setSortingEnabled(True)
        header = self.table.horizontalHeader()
        header.setSortIndicator(SORTS.index("start"), Qt.SortOrder.AscendingOrder)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(SORTS.index("client"), QHeaderView.ResizeMode.Stretch)
        for key, width in WIDTHS.items():
            header.resizeSection(SORTS.index(key), width)
        self._titles_fitted = False
        self.table.doubleClicked.connect(self._open)
        self.table.activated.connect(self._open)
        self.table.verticalScrollBar().valueChanged.connect(self._read_ahead)
        self.table.viewport().installEventFilter(self)
        outer.addWidget(self.table, 1)
        self.empty = QLabel()
        self.empty.setObjectName("muted")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        outer.addWidget(self.empty)

        actions = QHBoxLayout()
        self.confirm_button = QPushButton(_("Confirm"))
        self.confirm_button.setObjectName("primary")
        self.confirm_button.clicked.connect(self.confirm_selected)
        actions.addWidget(self.confirm_button)
        self.open_button = QPushButton(_("Open session"))
        self.open_button.clicked.connect(lambda: self._open(None))
        actions.addWidget(self.open_button)
        self.action_buttons: dict[Action, QPushButton] = {}
        for action, text in ((Action.CANCEL, _("Cancel session")),
                             (Action.RESCHEDULE, _("Reschedule")),
                             (Action.COMPLETE, _("Complete")), (Action.NO_SHOW, _("No-show"))):
            button = QPushButton(text)
            button.clicked.connect(lambda _c=False, a=action: self._panel_action(a))
            actions.addWidget(button)
            self.action_buttons[action] = button
        actions.addStretch(1)
        self.selection_label = QLabel()
        self.selection_label.setObjectName("muted")
        actions.addWidget(self.selection_label)
        outer.addLayout(actions)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self._debounce.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        for combo in (self.period, self.status, self.staff, self.source):
            combo.currentIndexChanged.connect(lambda _i: self._filters_changed())
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        window.bridge.changed.connect(self._on_change)
        self._request = 0
        self._stale = True  # loaded when first shown, then on every change while shown
        self.fill_staff()
        self._filters_changed(reload=False)
        self._selection()

    def _date_edit(self) -> QDateEdit:
        today = self.window_.today()
        edit = DateEdit(QDate(today.year, today.month, today.day))
        edit.setCalendarPopup(True)
        edit.setLocale(self.window_.qlocale())
        edit.setDisplayFormat(self.window_.date_format())
        edit.dateChanged.connect(lambda _d: self._debounce.start())
        return edit

    def fill_staff(self) -> None:
        """The professionals the window keeps loaded, keeping the one chosen."""
        chosen = self.staff.currentData()
        self.staff.blockSignals(True)
        self.staff.clear()
        self.staff.addItem(_("All professionals"), None)
        for person in self.window_.staff:
            self.staff.addItem(person.name, person.id)
        self.staff.setCurrentIndex(max(0, self.staff.findData(chosen)))
        self.staff.blockSignals(False)

    # ------------------------------------------------------------ the question

    def _filters_changed(self, reload: bool = True) -> None:
        custom = self.period.currentData() == "custom"
        self.start.setVisible(custom)
        self.end.setVisible(custom)
        if reload:
            self.reload()

    def current_listing(self) -> Listing:
        key = str(self.period.currentData())
        if key == "custom":
            start: date | None = self.start.date().toPython()  # type: ignore[assignment]
            end: date | None = self.end.date().toPython()  # type: ignore[assignment]
        else:
            start, end = period_days(key, self.window_.today())
        status, source = self.status.currentData(), self.source.currentData()
        return Listing(start=start, end=end,
                       statuses=(AppointmentStatus(status),) if status else (),
                       staff_id=self.staff.currentData(),
                       sources=(AppointmentSource(source),) if source else (),
                       text=self.search.text(), sort=self.listing.sort,
                       descending=self.listing.descending)

    def _sorted(self, key: str, descending: bool) -> None:
        if (key, descending) != (self.listing.sort, self.listing.descending):
            self.listing = Listing(sort=key, descending=descending)
            self.reload()

    # ------------------------------------------------------------ loading

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._titles_fitted:
            # Once shown, the titles have their bold font and sort arrows: no column
            # is narrower than its title ("Duration" did not fit 64 pixels).
            self._titles_fitted = True
            header = self.table.horizontalHeader()
            for key, width in WIDTHS.items():
                section = SORTS.index(key)
                header.resizeSection(section, max(width, header.sectionSizeHint(section)))
        if self._stale:
            self.reload()

    def _on_change(self, change: Change) -> None:
        if change.appointments or change.clients or change.settings:
            self._counts.clear()
            self.reload()

    def reload(self) -> None:
        """Ask the listing again: its count and first page, off the GUI thread."""
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        listing = self.current_listing()
        self.listing = listing
        self._request += 1
        token, p = self._request, self.window_.practice
        if listing.start and listing.end and listing.end < listing.start:
            self._loaded((token, listing, 0, [], 0))
            self.empty.setText(_("The period ends before it begins."))
            return

        # A screen's rows first, the rest read ahead once they are painted (a page
        # of 60 took ~1.5 ms more to read and make than the ~25 a laptop shows).
        # The same question asked again (a change from elsewhere, the buttons below)
        # reads again the rows in view: the view stays on the rows it showed.
        at, rows = 0, self._screen_rows()
        in_view = self._rows_in_view()
        if listing == self._shown_listing and in_view is not None:
            top, bottom = in_view
            at = top - top % session_list.PAGE
            rows = max(rows, bottom + 1 - at)
        # The count and the page in one task and one reading (they agree): on the
        # pool's two threads at once they took turns at Python's lock and were no
        # sooner, and the other thread is left for the pages read ahead.
        # The same filters in another order, or asked again, hold as many sessions
        # as they did: not counted again until the data changes (counting one status
        # among 100,000 sessions takes ~2 ms).
        known = self._counts.get(_filters(listing))
        self.window_.tasks.run(
            lambda: (token, listing, *session_list.answer(p, listing, at, rows, known), at),
            self._loaded, self.window_.show_error)

    def _loaded(self, result: tuple[int, Listing, int, list[AppointmentView], int]) -> None:
        token, listing, total, read, at = result
        if token != self._request:
            return
        rows = self._selected_rows()
        chosen = {v.id for v in self._chosen(rows)} | self._still_chosen
        whole = 0 < self.model.total == len(rows)  # Ctrl+A, say
        same = listing == self._shown_listing
        # The scroll bar moves as the rows come: nothing is read ahead until the
        # rows in view are painted.
        self._ahead_held = True
        # Another question starts at its first row; the same one asked again stays
        # where it was (without this the view kept its place clamped to the rows
        # first read, a hundred rows down).
        bar = self.table.verticalScrollBar()
        kept = bar.value() if same else 0
        self._shown_listing = listing
        self._counts[_filters(listing)] = total
        self.model.reset(total, read, at)
        # Laid out now, not on Qt's next turn: the scroll bar takes its new range
        # before the first paint, and the list is painted once, not twice.
        self.table.doItemsLayout()
        bar.setValue(kept)
        # What was selected stays selected: the whole list when it all was and the
        # same list is read again (after a change, a confirmation), else each
        # session, as its row is read.
        self._still_chosen = set()
        if whole and same:
            self.table.selectAll()
        else:
            self._still_chosen = chosen
            self._choose_again(self.model.loaded())
        self.count_label.setText(ngettext("{n} session", "{n} sessions", total).format(
            n=i18n.format_number(total)) if total else "")
        self.export_button.setEnabled(total > 0)
        self.export_button.setToolTip(
            _("Write exactly the sessions listed to a file") if total else
            _("Nothing is listed to export."))
        filtered = self.period.currentData() != "upcoming" or bool(
            listing.statuses or listing.sources or listing.staff_id or listing.text.strip())
        self.empty.setText(
            "" if total else
            _("No session matches these filters.") if filtered else
            _("No sessions from today on. Book one with New session (Ctrl+N)."))
        self.empty.setVisible(total == 0)
        self._selection()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The view's first paint of a new answer: the rows below are read once it
        is drawn. (Qt posts its paints at a low priority: a call posted with the
        answer came before the paint, and its reading shared the paint's time.)"""
        if self._ahead_held and event.type() == QEvent.Type.Paint \
                and watched is self.table.viewport():
            self._ahead_held = False
            QTimer.singleShot(0, self, lambda: self._read_ahead(0))
        return False

    def _screen_rows(self) -> int:
        """How many rows the view shows at its height, with one partly shown."""
        row = max(self.table.verticalHeader().defaultSectionSize(), 1)
        return max(-(-self.table.viewport().height() // row) + 1, 10)

    def _rows_in_view(self) -> tuple[int, int] | None:
        """The first and last rows the view shows, None when it shows none."""
        top = self.table.rowAt(0)
        if top < 0:
            return None
        bottom = self.table.rowAt(self.table.viewport().height() - 1)
        return top, self.model.rowCount() - 1 if bottom < 0 else bottom

    def _read_ahead(self, _value: int) -> None:
        """The rows two screens below and above the view are read before they come
        into sight, so scrolling on finds them there rather than blank."""
        in_view = None if self._ahead_held else self._rows_in_view()
        if in_view is None:
            return
        top, bottom = in_view
        screen = bottom - top + 1
        self.model.want_between(top - 2 * screen, bottom + 2 * screen)

    def _fetch(self, offset: int, limit: int) -> None:
        # The question the rows shown answer (a newer one may be on its way).
        generation, listing, p = self.model.generation, self._shown_listing, \
            self.window_.practice
        total = self.model.total
        if listing is None:
            return

        def arrived(rows: list[AppointmentView]) -> None:
            self.model.fill(generation, offset, rows, limit)
            if generation == self.model.generation:
                self._choose_again(list(enumerate(rows, start=offset)))
            self._read_ahead(0)

        self.window_.tasks.run(lambda: session_list.page(p, listing, offset, limit, total),
                               arrived,
                               self.window_.show_error)

    # ------------------------------------------------------------ the selection

    def _choose_again(self, read: list[tuple[int, AppointmentView]]) -> None:
        """Select the rows just read of sessions selected before the list was read
        again."""
        if not self._still_chosen:
            return
        selection = self.table.selectionModel()
        self._choosing_again = True
        try:
            for row, v in read:
                if v.id in self._still_chosen:
                    self._still_chosen.discard(v.id)
                    selection.select(self.model.index(row, 0), selection.SelectionFlag.Select
                                     | selection.SelectionFlag.Rows)
        finally:
            self._choosing_again = False

    def _selection_changed(self, *_args: object) -> None:
        if not self._choosing_again:
            self._still_chosen = set()  # a person chose anew: nothing comes back
        self._selection()

    def _selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.table.selectionModel().selectedRows()})

    def selected_ids(self) -> list[int]:
        return [v.id for v in self._chosen(self._selected_rows())]

    def selected_views(self) -> list[AppointmentView]:
        return self._chosen(self._selected_rows())

    def _chosen(self, rows: list[int]) -> list[AppointmentView]:
        """The sessions of these rows that are read (a row not yet read is blank)."""
        found = (self.model.rows.get(r) for r in rows)
        return [v for v in found if v is not None]

    def _selection(self) -> None:
        """Each button says what it would do to the selection, or why it cannot. A
        selection reaching rows not read yet (Ctrl+A, a Shift+click after a drag of
        the bar) has them read first: until then no button acts on it, since what
        it would do to the sessions not read is not known."""
        rows = self._selected_rows()
        unread = [r for r in rows if r not in self.model.rows]
        if unread:
            self._read_selected(unread)
            for button in (self.confirm_button, self.open_button, *self.action_buttons.values()):
                button.setEnabled(False)
                button.setToolTip(_("Reading the selected sessions…"))
            self.confirm_button.setText(_("Confirm"))
            self.selection_label.setText(ngettext("{n} selected", "{n} selected", len(rows))
                                         .format(n=i18n.format_number(len(rows))))
            return
        chosen = self._chosen(rows)
        confirmable = [v for v in chosen if v.status is AppointmentStatus.SCHEDULED and
                       not v.cancel_requested]
        n = len(confirmable)
        self.confirm_button.setText(ngettext("Confirm {n} session", "Confirm {n} sessions", n)
                                    .format(n=i18n.format_number(n)) if n > 1 else _("Confirm"))
        self.confirm_button.setEnabled(n > 0)
        self.confirm_button.setToolTip(
            "" if n else _("Select one or more scheduled sessions to confirm them.")
            if not chosen else _("None of the selected sessions is waiting for confirmation."))
        single = chosen[0] if len(chosen) == 1 else None
        self.open_button.setEnabled(single is not None)
        self.open_button.setToolTip("" if single else _("Select one session to open it."))
        for action, button in self.action_buttons.items():
            reason = scheduling.blocked_reason(self.window_.practice, single.status, single.start,
                                               action, single.id,
                                               cancel_requested=single.cancel_requested) \
                if single else \
                _("Select one session.")
            button.setEnabled(reason is None)
            button.setToolTip(reason or "")
        self.selection_label.setText(ngettext("{n} selected", "{n} selected", len(chosen))
                                     .format(n=i18n.format_number(len(chosen)))
                                     if len(chosen) > 1 else "")

    def _read_selected(self, unread: list[int]) -> None:
        """Read the selected rows not read yet, in one task (a run of rows a
        statement), then say again what the buttons would do."""
        generation, listing, p = self.model.generation, self._shown_listing, \
            self.window_.practice
        if listing is None or self._selection_asked == generation:
            return  # on its way: the selection is looked at again when it comes
        self._selection_asked = generation
        runs: list[tuple[int, int]] = []  # (first row, rows)
        for row in unread:
            if runs and runs[-1][0] + runs[-1][1] == row:
                runs[-1] = (runs[-1][0], runs[-1][1] + 1)
            else:
                runs.append((row, 1))
        total = self.model.total

        def read() -> list[tuple[int, int, list[AppointmentView]]]:
            return [(first, n, session_list.page(p, listing, first, n, total))
                    for first, n in runs]

        def arrived(pages: list[tuple[int, int, list[AppointmentView]]]) -> None:
            if self._selection_asked == generation:
                self._selection_asked = -1
            for first, n, views in pages:
                self.model.fill(generation, first, views, n)
            if generation == self.model.generation:
                self._selection()

        def failed(exc: Exception) -> None:
            if self._selection_asked == generation:
                self._selection_asked = -1  # asked again at the next change of selection
            self.window_.show_error(exc)

        self.window_.tasks.run(read, arrived, failed)

    def confirm_selected(self) -> None:
        ids = [v.id for v in self.selected_views() if v.status is AppointmentStatus.SCHEDULED]
        if not ids:
            return
        p = self.window_.practice

        def work() -> tuple[list[int], dict[tuple[Channel, bool, str], int]]:
            confirmed = scheduling.confirm_many(p, ids)
            return confirmed, reminders.notice_issues(p, confirmed, MessageKind.CONFIRMATION)

        def done(result: tuple[list[int], dict[tuple[Channel, bool, str], int]]) -> None:
            confirmed, issues = result
            said = ngettext("{n} session confirmed.", "{n} sessions confirmed.",
                            len(confirmed)).format(n=i18n.format_number(len(confirmed)))
            ranked = sorted(issues.items(), key=lambda kv: -kv[1])  # most sessions first
            reasons = [_notice_issue(n, held, reason) for (_channel, held, reason), n in ranked]
            whole = " ".join([said, *reasons])
            if self.window_.fits_status(whole):
                self.window_.say(whole)
                return
            # Reasons name their clients, so many sessions give many reasons: the bar
            # says how many will not go, and a box lists each reason.
            counts = {False: 0, True: 0}
            for (_channel, held, _reason), n in issues.items():
                counts[held] += n
            summary = " ".join([said, *(_notice_count(n, held)
                                        for held, n in counts.items() if n)])
            self.window_.say(summary)
            self._notice_box(summary, reasons)

        self.window_.tasks.run(work, done, self.window_.show_error)

    def _notice_box(self, summary: str, reasons: list[str]) -> None:
        """A box with what a bulk confirmation could not send, a reason a line (a
        reason holds a client's name: plain text, never markup)."""
        box = QMessageBox(QMessageBox.Icon.Information, _("Sessions confirmed"), "", parent=self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(summary)
        box.setInformativeText(_("The reason for each client is in the details, and in "
                                 "each session's messages."))
        box.setDetailedText("\n".join(reasons))
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        self.notice_box = box
        box.open()

    def _open(self, index: QModelIndex | None) -> None:
        if index is not None and index.isValid():
            self.window_.open_appointment(int(self.model.data(index, ID_ROLE)))
            return
        ids = self.selected_ids()
        if len(ids) == 1:
            self.window_.open_appointment(ids[0])

    def _panel_action(self, action: Action) -> None:
        ids = self.selected_ids()
        if len(ids) != 1:
            return
        panel = self.window_.open_appointment(ids[0])
        panel.when_ready(dict(PANEL_ACTIONS)[action])

    # ------------------------------------------------------------ export

    def export(self) -> None:
        listing = self.listing
        folder = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())
        if not Path(folder).is_dir():  # no Documents folder: the home, not where the app runs
            folder = str(Path.home())
        suggested = str(Path(folder) / f"sessoes-{self.window_.today():%Y-%m-%d}.csv"
                        if i18n.current_language() == "pt_BR" else
                        Path(folder) / f"sessions-{self.window_.today():%Y-%m-%d}.csv")
        path, chosen = file_chooser.save_path(
            self, _("Export sessions"), suggested, ";;".join(EXPORT_FILTERS.values()))
        if not path:
            return
        target = Path(path)
        fmt = next((f for f in Format if target.suffix.lower() == f".{f.value}"),
                   next((f for f, name in EXPORT_FILTERS.items() if name == chosen), Format.CSV))
        if target.suffix.lower() != f".{fmt.value}":
            target = target.with_name(f"{target.name}.{fmt.value}")
        p = self.window_.practice
        self.window_.say(_("Writing {file}…").format(file=target.name))

        def done(count: int) -> None:
            self.window_.say(ngettext("{n} session exported to {file}.",
                                      "{n} sessions exported to {file}.", count)
                             .format(n=i18n.format_number(count), file=target))

        self.window_.tasks.run(
            lambda: exports.write(p, fmt, target, session_list.every(p, listing)), done,
            self.window_.show_error)
