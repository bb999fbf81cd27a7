"""Configurações › Cópias de segurança: the copies in the data folder (the daily
ones, those made by hand, and the database as it was before a restore or an
upgrade), a copy made now or saved elsewhere (a USB stick, a cloud folder), and
a restore — from a listed copy or any file — after saying what it will replace.
Copying, checking and restoring run off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QStandardPaths, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import i18n
from app.i18n import _
from app.services import backups
from app.services.backups import BackupInfo, Copy, CopyKind
from app.ui import file_chooser
from app.ui.plain import plain

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


def kind_label(kind: CopyKind) -> str:
    return {CopyKind.DAILY: _("Daily copy"), CopyKind.MANUAL: _("Made by hand"),
            CopyKind.BEFORE_RESTORE: _("Before a restore"),
            CopyKind.BEFORE_UPGRADE: _("Before an update"),
            CopyKind.DAMAGED: _("Found damaged, set aside")}[kind]


def when_label(moment: datetime) -> str:
    return f"{i18n.format_day(moment.date())}   {i18n.format_time(moment)}"


def size_label(size: int) -> str:
    if size < 1_000_000:
        return f"{i18n.format_number(max(1, round(size / 1000)))} kB"
    return f"{i18n.format_number(round(size / 1_000_000, 1))} MB"


class BackupsTab(QWidget):
    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window_ = window
        self.copies: list[Copy] = []
        layout = QVBoxLayout(self)
        folder = window.practice.paths.backups
        intro = QLabel(_("Practice Desk copies the database every day and keeps the last "
                         "{n} daily copies in {folder}. Keep a copy somewhere else too: "
                         "a USB stick or a cloud folder.").format(n=backups.KEEP_DAILY,
                                                                   folder=folder))
        intro.setObjectName("muted")
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(intro)

        actions = QHBoxLayout()
        self.now_button = QPushButton(_("Back up now"))
        self.now_button.setObjectName("primary")
        self.now_button.clicked.connect(self.back_up_now)
        self.save_button = QPushButton(_("Save a copy as…"))
        self.save_button.clicked.connect(self.save_copy)
        self.open_button = QPushButton(_("Open the folder"))
        self.open_button.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))))
        for button in (self.now_button, self.save_button, self.open_button):
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(actions)

        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([_("Made on"), _("Kind"), _("Size")])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self.restore_selected())
        layout.addWidget(self.table, 1)
        self.empty = QLabel(_("No copy yet: the first daily copy is made when the app "
                              "starts."))
        self.empty.setObjectName("muted")
        layout.addWidget(self.empty)

        restore_row = QHBoxLayout()
        self.restore_button = QPushButton(_("Restore this copy…"))
        self.restore_button.setObjectName("danger")
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(self.restore_selected)
        self.restore_file_button = QPushButton(_("Restore from a file…"))
        self.restore_file_button.clicked.connect(self.restore_from_file)
        restore_row.addWidget(self.restore_button)
        restore_row.addWidget(self.restore_file_button)
        restore_row.addStretch(1)
        layout.addLayout(restore_row)
        self.status = plain(QLabel())  # file names, and what went wrong
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.reload()

    # ------------------------------------------------------------ the list

    def reload(self) -> None:
        p = self.window_.practice
        self.window_.tasks.run(lambda: backups.copies(p), self._fill, self.window_.show_error)

    def _fill(self, copies: list[Copy]) -> None:
        self.copies = copies
        self.table.setRowCount(len(copies))
        zone = self.window_.zone
        for row, copy in enumerate(copies):
            made = QTableWidgetItem(when_label(copy.taken.astimezone(zone)))
            made.setToolTip(str(copy.path))
            kind = QTableWidgetItem(kind_label(copy.kind))
            size = QTableWidgetItem(size_label(copy.size))
            size.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for col, item in enumerate((made, kind, size)):
                self.table.setItem(row, col, item)
        for col in (0, 2):  # their contents, and room to breathe
            self.table.resizeColumnToContents(col)
            self.table.setColumnWidth(col, self.table.columnWidth(col) + 32)
        self.empty.setVisible(not copies)
        self._selection_changed()

    def selected(self) -> Copy | None:
        rows = self.table.selectionModel().selectedRows()
        return self.copies[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        self.restore_button.setEnabled(self.selected() is not None)

    # ------------------------------------------------------------ copying

    def _busy(self, on: bool) -> None:
        for button in (self.now_button, self.save_button, self.restore_button,
                       self.restore_file_button):
            button.setEnabled(not on)
        if not on:
            self._selection_changed()

    def _run(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self._busy(True)

        def finished(result: Any) -> None:
            self._busy(False)
            done(result)

        def failed(exc: Exception) -> None:
            self._busy(False)
            self.status.setObjectName("error")
            self.status.setText(str(exc))
            self.status.style().polish(self.status)
            self.window_.show_error(exc)

        self.window_.tasks.run(work, finished, failed)

    def _said(self, text: str) -> None:
        self.status.setObjectName("muted")
        self.status.style().polish(self.status)
        self.status.setText(text)
        self.window_.say(text)

    def back_up_now(self) -> None:
        p = self.window_.practice
        folder = p.paths.backups

        def done(info: BackupInfo) -> None:
            self._said(_("Copy made: {sessions} sessions, {clients} clients.").format(
                sessions=i18n.format_number(info.sessions),
                clients=i18n.format_number(info.clients)))
            self.reload()

        self._run(lambda: backups.backup(p, folder), done)

    def save_copy(self) -> None:
        p = self.window_.practice
        home = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())
        if not Path(home).is_dir():  # no Documents folder: the home, not where the app runs
            home = str(Path.home())
        stamp = self.window_.now().strftime("%Y-%m-%d")
        path, _filter = file_chooser.save_path(
            self, _("Save a copy as"), str(Path(home) / f"practice-desk-{stamp}.sqlite3"),
            _("Practice Desk backup (*.sqlite3)"))
        if not path:
            return

        def done(info: BackupInfo) -> None:
            self._said(_("Copy saved to {path}.").format(path=info.path))

        self._run(lambda: backups.backup(p, path), done)

    # ------------------------------------------------------------ restoring

    def restore_selected(self) -> None:
        copy = self.selected()
        if copy is not None:
            self._restore(copy.path)

    def restore_from_file(self) -> None:
        path = file_chooser.open_path(
            self, _("Restore from a file"), str(self.window_.practice.paths.backups),
            _("Practice Desk backup (*.sqlite3);;All files (*)"))
        if path:
            self._restore(Path(path))

    def _restore(self, path: Path) -> None:
        """Check the file first, say what it holds and what happens to today's data,
        and only then replace the database."""
        self._run(lambda: (backups.inspect_file(path), backups.taken(path)), self._confirm)

    def _confirm(self, checked: tuple[BackupInfo, datetime]) -> None:
        info, taken = checked
        made = when_label(taken.astimezone(self.window_.zone))
        answer = QMessageBox.warning(
            self, _("Restore a copy"),
            _("Replace all of the practice's data with the copy of {made} "
              "({sessions} sessions, {clients} clients)?\n\nEverything entered since then "
              "is replaced. The data as it is now is kept in the backups folder first, "
              "so this can be undone by restoring that copy.").format(
                made=made, sessions=i18n.format_number(info.sessions),
                clients=i18n.format_number(info.clients)),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return
        p = self.window_.practice

        def done(result: tuple[BackupInfo, Path]) -> None:
            restored, aside = result
            self._said(_("Restored: {sessions} sessions, {clients} clients. The data as it "
                         "was is kept as {aside}.").format(
                sessions=i18n.format_number(restored.sessions),
                clients=i18n.format_number(restored.clients), aside=aside.name))
            self.reload()

        self._run(lambda: backups.restore(p, info.path), done)

