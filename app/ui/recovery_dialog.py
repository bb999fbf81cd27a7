"""Shown at start-up when the database in the data folder is damaged or is not a
Practice Desk database: what was found, the copies in the backups folder, and a
way back — a listed copy or any file takes its place after proving itself, and
the damaged file is set aside, never deleted."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from app.i18n import _
from app.services import backups, schema_check
from app.services.backups import Copy, CopyKind
from app.services.errors import PracticeError
from app.services.paths import DataPaths
from app.ui import file_chooser
from app.ui.backups_tab import kind_label, size_label, when_label
from app.ui.style import STYLE
from app.ui.tasks import TaskRunner


class RecoveryDialog(QDialog):
    """accept()ed once a copy is in place: the caller opens the practice again."""

    def __init__(self, paths: DataPaths, problem: str) -> None:
        super().__init__()
        self.paths = paths
        self.tasks = TaskRunner(self)
        self.setStyleSheet(STYLE)  # shown before the main window, which carries the style
        self.setWindowTitle(_("The practice's data could not be opened"))
        self.resize(760, 480)
        layout = QVBoxLayout(self)
        title = QLabel(_("The practice's data could not be opened"))
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        said = QLabel(problem)
        said.setTextFormat(Qt.TextFormat.PlainText)
        said.setWordWrap(True)
        said.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(said)
        hint = QLabel(_("Choose a copy to put in its place. The file found now is kept in "
                        "the backups folder, not deleted."))
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        layout.addWidget(hint)

        self.copies: list[Copy] = [c for c in backups.copies_in(paths.backups)
                                   if c.kind is not CopyKind.DAMAGED]
        self.table = QTableWidget(len(self.copies), 3)
        self.table.setHorizontalHeaderLabels([_("Made on"), _("Kind"), _("Size")])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        zone = _practice_zone(paths)
        for row, copy in enumerate(self.copies):
            made = QTableWidgetItem(when_label(copy.taken.astimezone(zone)))
            made.setToolTip(str(copy.path))
            size = QTableWidgetItem(size_label(copy.size))
            size.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for col, item in enumerate((made, QTableWidgetItem(kind_label(copy.kind)), size)):
                self.table.setItem(row, col, item)
        for col in (0, 2):
            self.table.resizeColumnToContents(col)
            self.table.setColumnWidth(col, self.table.columnWidth(col) + 32)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self.restore_selected())
        layout.addWidget(self.table, 1)
        if not self.copies:
            none = QLabel(_("There is no copy in {folder}.").format(folder=paths.backups))
            none.setTextFormat(Qt.TextFormat.PlainText)
            none.setObjectName("muted")
            layout.addWidget(none)

        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        buttons = QHBoxLayout()
        self.restore_button = QPushButton(_("Restore this copy"))
        self.restore_button.setObjectName("primary")
        self.restore_button.clicked.connect(self.restore_selected)
        self.file_button = QPushButton(_("Restore from a file…"))
        self.file_button.clicked.connect(self.restore_from_file)
        folder = QPushButton(_("Open the folder"))
        folder.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.backups))))
        quit_button = QPushButton(_("Quit"))
        quit_button.clicked.connect(self.reject)
        for button in (self.restore_button, self.file_button, folder):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(quit_button)
        layout.addLayout(buttons)
        if self.copies:
            self.table.selectRow(0)
        self._selection_changed()

    def _selection_changed(self) -> None:
        self.restore_button.setEnabled(bool(self.table.selectionModel().selectedRows()))

    def restore_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self._restore(self.copies[rows[0].row()].path)

    def restore_from_file(self) -> None:
        path = file_chooser.open_path(
            self, _("Restore from a file"), str(self.paths.backups),
            _("Practice Desk backup (*.sqlite3);;All files (*)"))
        if path:
            self._restore(Path(path))

    def _restore(self, path: Path) -> None:
        for button in (self.restore_button, self.file_button):
            button.setEnabled(False)
        self.status.setText(_("Checking the copy…"))
        paths = self.paths

        def failed(exc: Exception) -> None:
            self.status.setText(str(exc) if isinstance(exc, PracticeError) else
                                _("The copy could not be put in place: {problem}").format(
                                    problem=exc))
            self.file_button.setEnabled(True)
            self._selection_changed()

        self.tasks.run(lambda: backups.replace_damaged(paths, path), self._restored, failed)

    def _restored(self, kept: Path) -> None:
        self.kept_at: Path = kept
        self.restored_at: datetime = datetime.now()
        self.accept()


def _practice_zone(paths: DataPaths) -> ZoneInfo | None:
    """The practice's time zone as its damaged file still says it, so a copy's time
    reads as in the settings' backups list; None (this computer's) when unreadable."""
    name = schema_check.stored_timezone(paths.database)
    try:
        return ZoneInfo(name) if name else None
    except (ValueError, ZoneInfoNotFoundError):
        return None
