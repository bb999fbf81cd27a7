"""Conecta, the attendance inbox: a board with a column per status (drag a card
to change it) or a list, filters by channel, type, tag, status and originator,
search by name, phone or e-mail, unread counts; the chosen card on the right."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QMimeData, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QDropEvent, QFont, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import i18n
from app.i18n import _, ngettext
from app.models.conecta import AttendanceStatus, Medium
from app.services import attendances
from app.services.attendances import Card, Filter
from app.ui.conecta_detail import AttendanceView
from app.ui.conecta_dialog import NewAttendanceDialog
from app.ui.plain import verbatim
from app.ui.style import ACCENT, INK, LINE, MUTED
from app.ui.wheel_guard import ComboBox

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

MIME = "application/x-practice-attendance"
CARD_ROLE = Qt.ItemDataRole.UserRole + 1
WHEN_ROLE = Qt.ItemDataRole.UserRole + 2  # the last activity, formatted off the GUI thread
MEDIUM_COLOURS = {Medium.WHATSAPP: "#16a34a", Medium.SMS: "#7c3aed", Medium.EMAIL: "#2563eb",
                  Medium.VOIP: "#d97706"}
STATUS_ORDER = (AttendanceStatus.IN_PROGRESS, AttendanceStatus.PENDING,
                AttendanceStatus.FINISHED)


@dataclass(frozen=True)
class Loaded:
    """What a refresh reads, off the GUI thread."""

    view: int  # what it was read for: 0 the board, 1 the list
    cards: list[Card]
    when: dict[int, str]  # the last activity, as that view shows it
    types: list[str]
    tags: list[str]
    originators: list[str]


class CardDelegate(QStyledItemDelegate):
    """Paints a card: name, unread badge, channel and type, the last message, tags."""

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(0, 84)  # as wide as the column (its viewport)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        card: Card = index.data(CARD_ROLE)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = option.rect.adjusted(4, 3, -4, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setPen(QColor(ACCENT if selected else LINE))
        painter.setBrush(QColor("#eff6ff" if selected else "white"))
        painter.drawRoundedRect(r, 7, 7)
        painter.fillRect(QRect(r.left(), r.top() + 6, 3, r.height() - 12),
                         QColor(MEDIUM_COLOURS[card.medium]))
        x, w = r.left() + 12, r.width() - 24
        # Line 1: the name, and the last activity on the right, as inboxes show it.
        when = index.data(WHEN_ROLE) or ""
        painter.setFont(option.font)
        when_width = painter.fontMetrics().horizontalAdvance(when)
        painter.setPen(QColor(ACCENT if card.unread else MUTED))
        painter.drawText(QRect(x + w - when_width, r.top() + 6, when_width, 18),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, when)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor(INK))
        name_rect = QRect(x, r.top() + 6, max(w - when_width - 8, 0), 18)
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(card.name, Qt.TextElideMode.ElideRight,
                                                          name_rect.width()))
        painter.setFont(option.font)
        painter.setPen(QColor(MUTED))
        line = f"{attendances.medium_label(card.medium)} · {attendances.type_label(card.type)}"
        painter.drawText(QRect(x, r.top() + 25, w, 16), Qt.AlignmentFlag.AlignLeft,
                         painter.fontMetrics().elidedText(line, Qt.TextElideMode.ElideRight, w))
        # Line 3: the last message, with the unread count beside it.
        preview_width = w - 30 if card.unread else w
        if card.unread:
            badge = QRect(r.right() - 34, r.top() + 42, 24, 16)
            painter.setBrush(QColor("#dc2626"))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(badge, 8, 8)
            painter.setPen(QColor("white"))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, str(card.unread))
        painter.setPen(QColor(INK))
        painter.drawText(QRect(x, r.top() + 42, preview_width, 16), Qt.AlignmentFlag.AlignLeft,
                         painter.fontMetrics().elidedText(card.preview or "—",
                                                          Qt.TextElideMode.ElideRight,
                                                          preview_width))
        if card.tags:
            painter.setPen(QColor(ACCENT))
            tags = "  ".join(f"#{t}" for t in card.tags)
            painter.drawText(QRect(x, r.top() + 59, w, 16), Qt.AlignmentFlag.AlignLeft,
                             painter.fontMetrics().elidedText(tags, Qt.TextElideMode.ElideRight,
                                                              w))
        painter.restore()


class BoardColumn(QListWidget):
    """One status's cards. Dropping a card from another column changes its status."""

    def __init__(self, page: ConectaPage, status: AttendanceStatus) -> None:
        super().__init__()
        self.page, self.status = page, status
        self.setObjectName("list")
        self.setItemDelegate(CardDelegate(self))
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        # Cards take the column's width, whatever it is: never a sideways scroll.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.itemSelectionChanged.connect(self._chosen)

    def mimeTypes(self) -> list[str]:
        return [MIME]

    def mimeData(self, items: Any) -> QMimeData:
        data = QMimeData()
        ids = ",".join(str(i.data(CARD_ROLE).id) for i in items)
        data.setData(MIME, ids.encode())
        return data

    def dragEnterEvent(self, event: Any) -> None:
        if event.mimeData().hasFormat(MIME):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: Any) -> None:
        if event.mimeData().hasFormat(MIME):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        raw = bytes(event.mimeData().data(MIME).data()).decode()
        ids = [int(x) for x in raw.split(",") if x.isdigit()]
        event.setDropAction(Qt.DropAction.IgnoreAction)  # the refresh moves the card
        event.accept()
        for attendance_id in ids:
            self.page.move(attendance_id, self.status)

    def _chosen(self) -> None:
        items = self.selectedItems()
        if items:
            self.page.choose(items[0].data(CARD_ROLE).id, source=self)


class ConectaPage(QWidget):
    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window_ = window
        self.setObjectName("page")
        self.cards: list[Card] = []
        self._filled = 0  # the view the last refresh filled; the other waits until shown
        self.current: int | None = None
        self._stale = True
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        top = QHBoxLayout()
        title = QLabel(_("Conecta"))
        title.setObjectName("pageTitle")
        top.addWidget(title)
        top.addSpacing(12)
        self.new_button = QPushButton("+  " + _("New attendance"))
        self.new_button.setObjectName("primary")
        self.new_button.setToolTip(_("Start an attendance (Ctrl+Shift+N)"))
        self.new_button.clicked.connect(lambda: self.new_attendance())
        top.addWidget(self.new_button)
        top.addStretch(1)
        self.board_button = QPushButton(_("Board"))
        self.list_button = QPushButton(_("List"))
        for i, b in enumerate((self.board_button, self.list_button)):
            b.setCheckable(True)
            b.clicked.connect(lambda _c=False, i=i: self.set_view(i))
            top.addWidget(b)
        layout.addLayout(top)
        filters = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText(_("Search by name, phone or e-mail"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self.refresh())
        filters.addWidget(self.search, 2)
        self.f_medium = self._combo(_("All channels"),
                                    [(attendances.medium_label(m), m.value) for m in Medium])
        self.f_status = self._combo(_("All statuses"), [(attendances.status_label(s), s.value)
                                                        for s in STATUS_ORDER])
        self.f_type = self._combo(_("All types"), [])
        self.f_tag = self._combo(_("All tags"), [])
        self.f_originator = self._combo(_("All originators"), [])
        for combo in (self.f_medium, self.f_status, self.f_type, self.f_tag, self.f_originator):
            filters.addWidget(combo, 1)
        layout.addLayout(filters)
        splitter = QSplitter()
        self.views = QStackedWidget()
        board = QWidget()
        board_layout = QHBoxLayout(board)
        board_layout.setContentsMargins(0, 0, 0, 0)
        self.columns: dict[AttendanceStatus, BoardColumn] = {}
        self.column_titles: dict[AttendanceStatus, QLabel] = {}
        for status in STATUS_ORDER:
            col = QVBoxLayout()
            head = QLabel()
            head.setObjectName("sectionTitle")
            col.addWidget(head)
            column = BoardColumn(self, status)
            col.addWidget(column)
            board_layout.addLayout(col)
            self.columns[status] = column
            self.column_titles[status] = head
        self.views.addWidget(board)
        self.table = QTableWidget(0, 7)
        self.table.setHorizontalHeaderLabels([
            _("Name"), _("Channel"), _("Status"), _("Type"), _("Tags"), _("Unread"),
            _("Last activity")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(48)
        # Fixed widths (measuring hundreds of rows on every refresh costs a frame) that
        # fit beside the open card at a laptop's width; the name takes what is left,
        # and a cell too narrow for its text ends in "…" with the whole in its tooltip.
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column_index, width in enumerate((76, 92, 92, 110, 48, 92), start=1):
            self.table.setColumnWidth(column_index, width)
        self.table.setColumnHidden(5, True)  # unread: the row is bold, as in the board
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.itemSelectionChanged.connect(self._row_chosen)
        self.views.addWidget(self.table)
        splitter.addWidget(self.views)
        self.view = AttendanceView(window)
        self.view.read.connect(self._read)
        splitter.addWidget(self.view)
        splitter.setSizes([640, 520])
        layout.addWidget(splitter, 1)
        self.empty = QLabel()
        self.empty.setObjectName("muted")
        layout.addWidget(self.empty)
        self.set_view(0)
        self.dialog: NewAttendanceDialog | None = None

    def _combo(self, everything: str, items: list[tuple[str, str]]) -> QComboBox:
        combo = ComboBox()
        combo.addItem(everything, None)
        for text, value in items:
            combo.addItem(text, value)
        combo.currentIndexChanged.connect(lambda _i: self.refresh())
        return combo

    def set_view(self, index: int) -> None:
        self.views.setCurrentIndex(index)
        if index != self._filled:
            self.refresh()
        self.board_button.setChecked(index == 0)
        self.list_button.setChecked(index == 1)

    # ------------------------------------------------------------ data

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()
            if self.current is not None:
                self.view.load(self.current)  # the open card, as it is now

    def settings_changed(self) -> None:
        """Templates, types or originators changed (in Configurações, or from the
        command line): the board and the open card offer them at once."""
        if not self.isVisible():
            self._stale = True
            return
        self.refresh()
        if self.current is not None:
            self.view.load(self.current)

    def changed(self, ids: frozenset[int]) -> None:
        """A conversation changed somewhere (a reply came in, a status moved)."""
        self.window_.update_unread()
        if not self.isVisible():
            self._stale = True
            return
        self.refresh()
        if self.current is not None and self.current in ids:
            self.view.load(self.current)

    def _read(self, _attendance_id: int) -> None:
        self.window_.update_unread()
        self.refresh()

    def current_filter(self) -> Filter:
        def value(combo: QComboBox) -> Any:
            return combo.currentData()
        medium, status = value(self.f_medium), value(self.f_status)
        return Filter(medium=Medium(medium) if medium else None,
                      status=AttendanceStatus(status) if status else None,
                      type=value(self.f_type), tag=value(self.f_tag),
                      originator=value(self.f_originator), text=self.search.text())

    def refresh(self) -> None:
        self._stale = False
        p, f = self.window_.practice, self.current_filter()

        zone, view = self.window_.zone, self.views.currentIndex()

        def load() -> Loaded:
            origin = sorted({o for m in Medium for o in attendances.originators(p, m)})
            found, now = attendances.cards(p, f), p.clock.now()
            # The board shows the time today, else the day; the list the full date.
            when = {c.id: i18n.format_recent(c.last_activity_at.astimezone(zone), now)
                    if view == 0 else i18n.format_datetime(c.last_activity_at.astimezone(zone))
                    for c in found}
            return Loaded(view, found, when, attendances.types(p),
                          attendances.tags_in_use(p), origin)

        self.window_.tasks.run(load, self._loaded, self.window_.show_error)

    def _loaded(self, result: Loaded) -> None:
        self.cards, self._filled = result.cards, result.view
        self._fill(self.f_type, [(attendances.type_label(k), k) for k in result.types])
        self._fill(self.f_tag, [(t, t) for t in result.tags])
        self._fill(self.f_originator, [(o, o) for o in result.originators])
        if result.view == 0:
            self._fill_board(result.when)
        else:
            self._fill_table(result.when)
        self.empty.setText("" if self.cards else
                           _("No attendances match. Start one with (+), or clear the filters."))

    def _fill_board(self, when: dict[int, str]) -> None:
        for status, column in self.columns.items():
            column.blockSignals(True)
            column.clear()
            mine = [c for c in self.cards if c.status is status]
            for card in mine:
                item = QListWidgetItem()
                item.setData(CARD_ROLE, card)
                item.setData(WHEN_ROLE, when.get(card.id, ""))
                item.setData(Qt.ItemDataRole.AccessibleTextRole, card.name)
                column.addItem(item)
                if card.id == self.current:
                    item.setSelected(True)
            column.blockSignals(False)
            unread = sum(c.unread for c in mine)
            waiting = ngettext("{n} unread", "{n} unread", unread).format(
                n=i18n.format_number(unread)) \
                if unread else ""
            self.column_titles[status].setText(
                attendances.status_label(status) + f"  ({len(mine)})"
                + (f" · {waiting}" if waiting else ""))

    def _fill_table(self, when: dict[int, str]) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.cards))
        for row, card in enumerate(self.cards):
            values = [card.name, attendances.medium_label(card.medium),
                      attendances.status_label(card.status), attendances.type_label(card.type),
                      ", ".join(card.tags), str(card.unread) if card.unread else "",
                      when.get(card.id, "")]
            for column_index, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setToolTip(verbatim(text))
                item.setData(CARD_ROLE, card.id)
                if card.unread:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column_index, item)
            if card.id == self.current:
                self.table.selectRow(row)
        self.table.blockSignals(False)

    @staticmethod
    def _fill(combo: QComboBox, items: list[tuple[str, str]]) -> None:
        chosen = combo.currentData()
        combo.blockSignals(True)
        while combo.count() > 1:
            combo.removeItem(1)
        for text, value in items:
            combo.addItem(text, value)
        index = combo.findData(chosen) if chosen is not None else 0
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)

    # ------------------------------------------------------------ acting

    def choose(self, attendance_id: int, source: QWidget | None = None) -> None:
        self.current = attendance_id
        for column in self.columns.values():
            if column is not source:
                column.blockSignals(True)
                column.clearSelection()
                column.blockSignals(False)
        self.view.load(attendance_id)

    def _row_chosen(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.choose(int(self.table.item(rows[0].row(), 0).data(CARD_ROLE)))

    def move(self, attendance_id: int, status: AttendanceStatus) -> None:
        p = self.window_.practice
        self.window_.tasks.run(lambda: attendances.update(p, attendance_id, status=status),
                               lambda _r: self.window_.say(
                                   _("Moved to {status}.").format(
                                       status=attendances.status_label(status))),
                               self.window_.show_error)

    def new_attendance(self, **known: Any) -> NewAttendanceDialog:
        dialog = NewAttendanceDialog(self.window_, **known)
        self.dialog = dialog

        def started() -> None:
            if dialog.created is not None:
                self.window_.show_page("conecta")
                self.choose(dialog.created)
                self.refresh()

        dialog.accepted.connect(started)
        dialog.open()
        return dialog
