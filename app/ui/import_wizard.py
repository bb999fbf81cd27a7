"""Agenda › Importar (seed 002, Bulk Import): choose a CSV or Excel file, check
which column holds what, review every row (ok, conflict with the session in the
way, invalid with the reason), tick override where a conflict is wanted, and
import the accepted rows in one go. Reading, judging and importing run off the
GUI thread."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import i18n
from app.i18n import _
from app.models.enums import Channel
from app.services import config, importing
from app.services.errors import PracticeError
from app.services.importing import columns
from app.services.importing.cells import text_of
from app.services.importing.columns import ColumnMap, Field
from app.services.importing.commit import Report, RowReport, summary
from app.services.importing.judge import RowStatus
from app.services.importing.rows import Row
from app.ui import file_chooser
from app.ui.channel_words import AGREED_BY_PRACTICE, channel_label
from app.ui.plain import plain, verbatim
from app.ui.style import MUTED
from app.ui.wheel_guard import ComboBox

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

Index = QModelIndex | QPersistentModelIndex

STATUS_TEXT = {RowStatus.OK: "ok", RowStatus.CONFLICT: "conflict", RowStatus.INVALID: "invalid"}
STATUS_COLOUR = {RowStatus.OK: "#047857", RowStatus.CONFLICT: "#b45309",
                 RowStatus.INVALID: "#b91c1c", RowStatus.IMPORTED: "#047857",
                 RowStatus.SKIPPED: "#64748b"}
PREVIEW_ROWS = 5


def status_label(status: RowStatus) -> str:
    return {RowStatus.OK: _("Ok"), RowStatus.CONFLICT: _("Conflict"),
            RowStatus.INVALID: _("Invalid"), RowStatus.IMPORTED: _("Imported"),
            RowStatus.SKIPPED: _("Skipped")}[status]


def _page(title: str) -> tuple[QWidget, QVBoxLayout]:
    page = QWidget()
    col = QVBoxLayout(page)
    heading = QLabel(title)
    heading.setObjectName("pageTitle")
    col.addWidget(heading)
    return page, col


def _muted(text: str) -> QLabel:
    label = plain(QLabel(text))  # file names and cells are not markup
    label.setWordWrap(True)
    label.setObjectName("muted")
    return label


class ReviewModel(QAbstractTableModel):
    """Every row with its verdict; the first column ticks override."""

    HEADERS = ("", "#", "status", "name", "when", "service", "staff", "reason")
    overrides_changed = Signal()  # a row's override was ticked or unticked

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []
        self.reports: list[RowReport] = []
        self.overrides: set[int] = set()
        self.shown: list[int] = []  # indexes into rows, after the filter
        self.filter: RowStatus | None = None

    def load(self, rows: list[Row], reports: list[RowReport]) -> None:
        self.beginResetModel()
        self.rows, self.reports = rows, reports
        self._refilter()
        self.endResetModel()

    def set_filter(self, status: RowStatus | None) -> None:
        self.beginResetModel()
        self.filter = status
        self._refilter()
        self.endResetModel()

    def _refilter(self) -> None:
        self.shown = [i for i, r in enumerate(self.reports)
                      if self.filter is None or r.status is self.filter]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.shown)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return ["", _("Row"), _("Status"), _("Name"), _("Date and time"), _("Service"),
                _("Professional"), _("Reason")][section]

    def report_at(self, index: Index) -> RowReport:
        return self.reports[self.shown[index.row()]]

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == 0 and self.report_at(index).overridable:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        report = self.report_at(index)
        row = self.rows[self.shown[index.row()]]
        column = index.column()
        if role == Qt.ItemDataRole.CheckStateRole and column == 0 and report.overridable:
            return Qt.CheckState.Checked if report.row in self.overrides else \
                Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole and column in (0, 7):
            # A reason quotes the file's cells: shown as they are, never as markup.
            return _("Import this row despite the conflict") if column == 0 else \
                verbatim(report.reason)
        if role == Qt.ItemDataRole.ForegroundRole and column == 2:
            return QColor(STATUS_COLOUR[report.status])
        if role == Qt.ItemDataRole.FontRole and column == 2:
            font = QFont()
            font.setBold(True)
            return font
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == 1:
            return str(report.row)
        if column == 2:
            text = status_label(report.status)
            return text + " ✓" if report.row in self.overrides and report.overridable else text
        if column == 3:
            return row.name
        if column == 4:
            return i18n.format_datetime(row.local) if row.local else ""
        if column == 5:
            return row.service
        if column == 6:
            return row.staff
        if column == 7:
            return report.reason
        return None

    def setData(self, index: Index, value: Any,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != 0:
            return False
        report = self.report_at(index)
        checked = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2)
        (self.overrides.add if checked else self.overrides.discard)(report.row)
        self.dataChanged.emit(index, self.index(index.row(), len(self.HEADERS) - 1))
        self.overrides_changed.emit()
        return True


def encoding_words(encoding: str) -> str:
    """How a file's characters were written, in a person's words (the codec's name
    says nothing to one)."""
    name = encoding.lower().replace("_", "-")
    if name.startswith("utf"):
        return _("accents as written today (UTF-8)")
    if name in ("cp1252", "windows-1252", "latin-1", "latin1", "iso-8859-1"):
        return _("accents as older Windows and Excel write them")
    return encoding


def delimiter_words(delimiter: str) -> str:
    return {";": _("semicolons"), ",": _("commas"), "\t": _("tabs"),
            "|": _("vertical bars")}.get(delimiter, f"'{delimiter}'")


class ImportDialog(QDialog):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window_ = window
        self.setWindowTitle(_("Import sessions"))
        self.resize(1060, 640)
        self.sheet: importing.Sheet | None = None
        self.rows: list[Row] = []
        self.report: Report | None = None
        self.result: Report | None = None
        self.generation = 0
        layout = QVBoxLayout(self)
        self.steps = QLabel()
        self.steps.setObjectName("muted")
        layout.addWidget(self.steps)
        self.pages = QStackedWidget()
        self.pages.addWidget(self._file_page())
        self.pages.addWidget(self._columns_page())
        self.pages.addWidget(self._review_page())
        self.pages.addWidget(self._done_page())
        layout.addWidget(self.pages, 1)
        self.message = plain(QLabel())  # names the file; a refusal may quote a cell
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        self.back_button = QPushButton(_("Back"))
        self.back_button.clicked.connect(self.back)
        self.next_button = QPushButton(_("Next"))
        self.next_button.setObjectName("primary")
        self.next_button.clicked.connect(self.forward)
        self.close_button = QPushButton(_("Cancel"))
        self.close_button.clicked.connect(self.reject)
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.next_button)
        layout.addLayout(buttons)
        self.show_page(0)

    # ------------------------------------------------------------ pages

    def _file_page(self) -> QWidget:
        page, col = _page(_("Choose the file with the sessions"))
        col.addWidget(_muted(_(
            "A CSV or Excel (.xlsx) file with one session per row and the column names in the "
            "first row. Columns are recognised in Portuguese or English: name, phone, e-mail, "
            "service, date, time (or one date-and-time column), duration, professional, notes, "
            "status and price. Dates as 21/11/2026 or 2026-11-21; times as 14:00 or 14h.")))
        row = QHBoxLayout()
        self.choose_button = QPushButton(_("Choose a file…"))
        self.choose_button.clicked.connect(self.choose)
        row.addWidget(self.choose_button)
        self.file_label = plain(QLabel(_("No file chosen.")))
        row.addWidget(self.file_label, 1)
        col.addLayout(row)
        col.addStretch(1)
        return page

    def _columns_page(self) -> QWidget:
        page, col = _page(_("Which column holds what"))
        self.file_info = _muted("")
        col.addWidget(self.file_info)
        body = QHBoxLayout()
        form_box = QFrame()
        form_box.setObjectName("card")
        form = QFormLayout(form_box)
        self.combos: dict[Field, QComboBox] = {}
        for f in Field:
            combo = ComboBox()
            combo.currentIndexChanged.connect(lambda _i, f=f: self._mapping_changed(f))
            self.combos[f] = combo
            required = f in columns.REQUIRED or f in (Field.DATE, Field.TIME)
            form.addRow(columns.label(f) + (" *" if required else ""), combo)
        body.addWidget(form_box)
        self.preview = QTableWidget()
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.preview.verticalHeader().setVisible(False)
        body.addWidget(self.preview, 1)
        col.addLayout(body, 1)
        # The clients this file creates: which channels they agreed to (LGPD),
        # ticked as the practice chose in Configurações.
        consent_row = QHBoxLayout()
        consent_row.addWidget(QLabel(_("New clients agree to")))
        self.consent: dict[Channel, QCheckBox] = {}
        for channel in map(Channel, AGREED_BY_PRACTICE):
            box = QCheckBox(channel_label(channel))
            consent_row.addWidget(box)
            self.consent[channel] = box
        consent_row.addWidget(_muted(_("(e-mail only where the row has an address)")), 1)
        col.addLayout(consent_row)
        p = self.window_.practice
        self.window_.tasks.run(lambda: config.get(p, "clients.consent"), self._consent_loaded,
                               self.window_.show_error)
        self.missing_label = QLabel()
        self.missing_label.setObjectName("error")
        col.addWidget(self.missing_label)
        return page

    def _consent_loaded(self, value: str) -> None:
        agreed = value.split(",")
        for channel, box in self.consent.items():
            box.setChecked(channel.value in agreed)

    def _review_page(self) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        top = QHBoxLayout()
        title = QLabel(_("Review"))
        title.setObjectName("pageTitle")
        top.addWidget(title)
        self.counts = QLabel()
        top.addWidget(self.counts, 1)
        top.addWidget(QLabel(_("Show")))
        self.filter_combo = ComboBox()
        for text, status in ((_("All rows"), None), (_("Ok"), RowStatus.OK),
                             (_("Conflicts"), RowStatus.CONFLICT),
                             (_("Invalid"), RowStatus.INVALID)):
            self.filter_combo.addItem(text, status.value if status else "")
        self.filter_combo.currentIndexChanged.connect(
            lambda _i: self.model.set_filter(RowStatus(self.filter_combo.currentData())
                                             if self.filter_combo.currentData() else None))
        top.addWidget(self.filter_combo)
        col.addLayout(top)
        col.addWidget(_muted(_(
            "Conflicting rows are skipped unless you tick them to import anyway. Invalid rows "
            "are skipped; fix them in the file and import it again (rows already imported are "
            "recognised and skipped).")))
        self.model = ReviewModel()
        self.model.overrides_changed.connect(self.rejudge)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for i, width in enumerate((34, 50, 84, 150, 130, 140, 120)):
            header.resizeSection(i, width)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        col.addWidget(self.table, 1)
        # Reasons are long; the chosen row's is shown whole under the table.
        self.detail = plain(QLabel())
        self.detail.setWordWrap(True)
        self.detail.setMinimumHeight(36)
        col.addWidget(self.detail)
        self.table.selectionModel().currentRowChanged.connect(self._show_detail)
        self.model.modelReset.connect(lambda: self.detail.clear())
        return page

    def _done_page(self) -> QWidget:
        page, col = _page(_("Import finished"))
        self.done_label = plain(QLabel())  # the services and people the file named
        self.done_label.setWordWrap(True)
        col.addWidget(self.done_label)
        col.addStretch(1)
        return page

    # ------------------------------------------------------------ navigation

    def show_page(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        names = [_("1. File"), _("2. Columns"), _("3. Review"), _("4. Done")]
        self.steps.setText("   ›   ".join(f"<b>{n}</b>" if i == index else n
                                          for i, n in enumerate(names)))
        self.back_button.setVisible(index in (1, 2))
        self.next_button.setVisible(index != 0)
        self.close_button.setText(_("Close") if index == 3 else _("Cancel"))
        if index == 1:
            self.next_button.setText(_("Next"))
            self._mapping_changed(None)
        elif index == 2:
            self._update_import_button()
        elif index == 3:
            self.next_button.setVisible(False)
        self.message.clear()

    def back(self) -> None:
        self.show_page(max(0, self.pages.currentIndex() - 1))

    def forward(self) -> None:
        index = self.pages.currentIndex()
        if index == 1:
            self.judge()
        elif index == 2:
            self.start_import()

    def busy(self, text: str) -> None:
        self.message.setStyleSheet(f"color: {MUTED};")
        self.message.setText(text)
        for b in (self.next_button, self.back_button, self.choose_button):
            b.setEnabled(False)

    def idle(self) -> None:
        for b in (self.back_button, self.choose_button):
            b.setEnabled(True)
        self.next_button.setEnabled(True)

    def fail(self, exc: BaseException) -> None:
        self.idle()
        if isinstance(exc, PracticeError):
            self.message.setText(str(exc))
            self.message.setStyleSheet(f"color: {STATUS_COLOUR[RowStatus.INVALID]};")
            if self.pages.currentIndex() == 1:
                self._mapping_changed(None)
            return
        self.message.clear()
        self.window_.show_error(exc)

    # ------------------------------------------------------------ file

    def choose(self) -> None:
        path = file_chooser.open_path(
            self, _("Choose the file with the sessions"), str(Path.home()),
            _("Spreadsheets (*.csv *.xlsx *.txt);;All files (*)"))
        if path:
            self.open_file(path)

    def open_file(self, path: str) -> None:
        self.file_label.setText(path)
        self.busy(_("Reading {name}…").format(name=Path(path).name))
        self.window_.tasks.run(lambda: importing.open_sheet(path), self._opened, self.fail)

    def _opened(self, result: tuple[importing.Sheet, ColumnMap]) -> None:
        self.idle()
        self.sheet, guessed = result
        sheet = self.sheet
        headers = [h or _("column {n}").format(n=i + 1) for i, h in enumerate(sheet.headers)]
        for f, combo in self.combos.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(_("— not in the file —"), -1)
            for i, h in enumerate(headers):
                combo.addItem(h, i)
            combo.setCurrentIndex(guessed[f] + 1 if f in guessed else 0)
            combo.blockSignals(False)
        kind = _("Excel workbook") if sheet.kind == "xlsx" else \
            _("text spreadsheet (CSV), {written}, columns separated by {delimiter}").format(
                written=encoding_words(sheet.encoding), delimiter=delimiter_words(sheet.delimiter))
        self.file_info.setText("\n".join([_("{name}: {rows} rows · {kind}").format(
            name=sheet.name, rows=i18n.format_number(len(sheet.rows)), kind=kind),
            *("⚠ " + note for note in sheet.notes)]))
        self.preview.clear()
        self.preview.setColumnCount(len(headers))
        self.preview.setHorizontalHeaderLabels(headers)
        sample = sheet.rows[:PREVIEW_ROWS]
        self.preview.setRowCount(len(sample))
        for r, (_n, cells) in enumerate(sample):
            for c in range(len(headers)):
                value = cells[c] if c < len(cells) else None
                self.preview.setItem(r, c, QTableWidgetItem(text_of(value)))
        self.preview.resizeColumnsToContents()
        self.show_page(1)

    def mapping(self) -> ColumnMap:
        out: ColumnMap = {}
        for f, combo in self.combos.items():
            index = combo.currentData()
            if isinstance(index, int) and index >= 0:
                out[f] = index
        if Field.DATETIME in out and (Field.DATE in out or Field.TIME in out):
            out.pop(Field.DATETIME)
        return out

    def _mapping_changed(self, _f: Field | None) -> None:
        lacking = columns.missing(self.mapping())
        self.missing_label.setText(
            _("Still needed: {fields}.").format(fields=", ".join(lacking)) if lacking else "")
        self.next_button.setEnabled(not lacking and self.sheet is not None)

    # ------------------------------------------------------------ review

    def judge(self) -> None:
        sheet, mapping, p = self.sheet, self.mapping(), self.window_.practice
        if sheet is None:
            return
        self.model.overrides.clear()
        self.busy(_("Checking every row…"))

        def work() -> tuple[list[Row], Report]:
            rows = importing.rows_of(p, sheet, mapping)
            return rows, importing.dry_run(p, sheet.name, rows, set())

        self.window_.tasks.run(work, self._judged, self.fail)

    def _judged(self, result: tuple[list[Row], Report]) -> None:
        self.idle()
        self.rows, self.report = result
        self.model.load(self.rows, self.report.rows)
        self._show_counts()
        self.show_page(2)

    def _show_detail(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid() or not self.model.shown:
            self.detail.clear()
            return
        report = self.model.report_at(current)
        self.detail.setText(_("Row {row}: {reason}").format(row=report.row, reason=report.reason)
                            if report.reason else "")

    def rejudge(self) -> None:
        if self.sheet is None:
            return
        self.generation += 1
        generation, rows, name = self.generation, self.rows, self.sheet.name
        overrides, p = set(self.model.overrides), self.window_.practice
        self.next_button.setEnabled(False)

        def done(report: Report) -> None:
            if generation == self.generation:  # a later tick supersedes this one
                self.report = report
                self.model.load(self.rows, report.rows)
                self._show_counts()
                self.next_button.setEnabled(True)

        self.window_.tasks.run(lambda: importing.dry_run(p, name, rows, overrides), done,
                               self.fail)

    def _show_counts(self) -> None:
        report = self.report
        if report is None:
            return
        n = {s: sum(1 for r in report.rows if r.status is s) for s in RowStatus}
        self.counts.setText("   ".join(
            f"<span style='color:{STATUS_COLOUR[s]}; font-weight:600'>{text}</span>"
            for s, text in (
                (RowStatus.OK, _("Ok: {n}").format(n=i18n.format_number(n[RowStatus.OK]))),
                (RowStatus.CONFLICT, _("Conflicts: {n}").format(
                    n=i18n.format_number(n[RowStatus.CONFLICT]))),
                (RowStatus.INVALID, _("Invalid: {n}").format(
                    n=i18n.format_number(n[RowStatus.INVALID]))))))
        self._update_import_button()

    def _update_import_button(self) -> None:
        ok = self.report.would_import if self.report else 0
        self.next_button.setText(
            i18n.ngettext("Import {n} session", "Import {n} sessions", ok).format(
                n=i18n.format_number(ok)) if ok else _("Nothing to import"))
        self.next_button.setEnabled(ok > 0)

    def start_import(self) -> None:
        if self.sheet is None:
            return
        rows, name, p = self.rows, self.sheet.name, self.window_.practice
        overrides = set(self.model.overrides)
        consent = [c for c, box in self.consent.items() if box.isChecked()]
        self.busy(_("Importing…"))
        self.window_.tasks.run(lambda: importing.run(p, name, rows, overrides, consent=consent),
                               self._imported, self.fail)

    def _imported(self, report: Report) -> None:
        self.idle()
        self.result = report
        lines = [summary(report)]
        if report.clients_created:
            lines.append(i18n.ngettext("{n} new client.", "{n} new clients.",
                                       len(report.clients_created))
                         .format(n=i18n.format_number(len(report.clients_created))))
        if report.services_created:
            lines.append(_("New services: {names}.").format(
                names=", ".join(report.services_created)))
        if report.staff_created:
            lines.append(_("New professionals: {names}.").format(
                names=", ".join(report.staff_created)))
        if report.skipped:
            lines.append(_("Skipped rows are listed in the review; the file can be fixed and "
                           "imported again."))
        self.done_label.setText("\n\n".join(lines))
        self.window_.say(summary(report))
        self.show_page(3)
