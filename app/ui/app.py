"""Starting the window: the Qt application, the practice, the main window."""

from __future__ import annotations

import gc
import importlib
import logging
import os
import signal
import sys
import threading
from contextlib import suppress
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QSettings, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from app import __version__, i18n
from app.i18n import _
from app.services import files, schema_check, settings
from app.services.clock import from_environment
from app.services.errors import (
    DatabaseDamaged,
    DatabaseUnavailable,
    OnNetworkFolder,
    PracticeError,
)
from app.services.paths import DataPaths, resolve
from app.services.practice import Practice, open_followed

if TYPE_CHECKING:
    from app.services.storage.change_feed import Watcher
    from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)


def keep_settings_private() -> None:
    """The window's own settings (who uses this computer, by name; the last page)
    and Qt's (the folders a file was last chosen in) are their owner's only, like
    the practice's files: created 0600 before Qt writes them, which Qt then keeps
    (it replaces the file with one of the same permissions)."""
    ours = Path(QSettings().fileName())
    qts = Path(QSettings(QSettings.defaultFormat(), QSettings.Scope.UserScope,
                         "QtProject").fileName())  # where Qt's file dialogs keep theirs
    try:
        if ours.parent.name == QCoreApplication.organizationName():  # ours alone
            files.private_folder(ours.parent)
        for path in (ours, qts):
            files.private_file(path)
    except OSError as exc:  # a settings folder we cannot tighten is no reason not to start
        log.warning("the window's settings could not be made private: %s", exc)


def run_window(data_dir: str | os.PathLike[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setOrganizationName("PracticeDesk")
    app.setApplicationName("Practice Desk")
    app.setDesktopFileName("practice-desk")  # ties the window to its menu entry and icon
    keep_settings_private()
    from app.ui.main_window import ICON

    app.setWindowIcon(QIcon(str(ICON)))  # the title bar and task switcher, where no menu entry says
    app.setQuitOnLastWindowClosed(False)  # the tray may keep the app alive
    while True:
        opened = _open(data_dir)
        if opened is None:
            return 3
        code, again = _run(app, *opened)
        if not again:
            return code
        log.info("reopening the practice from where this computer now keeps it")


def _run(app: QApplication, practice: Practice, watcher: Watcher) -> tuple[int, bool]:
    """One window on `practice` until it closes: the exit code, and whether the
    practice is to be opened again (this computer was connected to the practice's
    server, or back to its file). `watcher`: the change feed's, following since
    before anything was read (open_followed)."""
    current = settings.get(practice)  # once, before the window exists
    i18n.set_language(current.language or None)
    from app.ui.errors import install
    from app.ui.main_window import MainWindow

    install()
    window = MainWindow(practice, current.zone, background_worker=True, watcher=watcher)
    asked: list[bool] = []
    window.reopen_asked.connect(lambda: asked.append(True))
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closing (not hiding) quits
    window.destroyed.connect(app.quit)
    window.show()
    window.start()  # the set-up assistant, or who uses this computer
    # Logged once the event loop has painted the window: the packaged app's
    # smoke test (and anyone reading a support log) learns the start got this far.
    QTimer.singleShot(0, lambda: log.info(
        "window open: Practice Desk %s, %s, %dx%d on %s, icon %s", __version__,
        i18n.current_language(), window.width(), window.height(), QApplication.platformName(),
        "missing" if QApplication.windowIcon().pixmap(32, 32).isNull() else "drawn"))
    _quit_on_terminate(window)
    code = app.exec()
    practice.close()
    log.info("window closed")
    return int(code), bool(asked)


def _open(data_dir: str | os.PathLike[str] | None) -> tuple[Practice, Watcher] | None:
    """The practice and its change feed's watcher (see _opening), or None when it
    cannot be opened and the person gave up. A damaged or foreign database offers
    the copies in the backups folder."""
    paths = resolve(data_dir)
    # What goes wrong is said in the practice's language, read even from a damaged file.
    i18n.set_language(schema_check.stored_language(paths.database) or None)
    while True:
        try:
            return _opening(data_dir)
        except PracticeError as exc:
            gc.enable()  # off while the window started (app.launch): a dialog comes first
            problem = exc
        if isinstance(problem, OnNetworkFolder):
            if not _join_instead(paths, str(problem)):
                return None
        elif isinstance(problem, DatabaseDamaged):
            from app.ui.recovery_dialog import RecoveryDialog

            dialog = RecoveryDialog(paths, str(problem))
            if dialog.exec() != RecoveryDialog.DialogCode.Accepted:
                return None
        elif isinstance(problem, DatabaseUnavailable):  # the server does not answer: wait
            from app.ui.server_wait import ServerWait

            waiting = ServerWait(data_dir, str(problem))
            if waiting.exec() != ServerWait.DialogCode.Accepted:
                return None
            return waiting.opened
        else:
            from app.ui.plain import verbatim

            QMessageBox.critical(None, "Practice Desk", verbatim(str(problem)))
            return None


def _opening(data_dir: str | os.PathLike[str] | None) -> tuple[Practice, Watcher]:
    """open_practice, on a thread of its own while this (the GUI) thread imports the
    window's code and the page it opens on: the database's check and upgrade
    (SQLite reads the whole file for its quick check, letting go of Python's lock
    while it does) and the imports overlap instead of following each other. The
    same thread takes the change feed's watermark before the window reads anything,
    so what another program commits while the window opens is announced to it.
    Raises what open_practice raises, here. PRACTICE_NOW freezes the clock, as for
    the command line (scripts, the window's benchmark); unset, the system's."""
    outcome: list[tuple[Practice, Watcher] | BaseException] = []

    def work() -> None:
        try:
            outcome.append(open_followed(data_dir, clock=from_environment()))
        except BaseException as exc:  # raised again on the GUI thread, below
            outcome.append(exc)
            return
        # The language's dates read from Babel's files once, here rather than when
        # the agenda first writes its period (25 ms of the GUI thread).
        today = date.today()
        with suppress(Exception):  # only a head start: the agenda formats it again
            i18n.format_period(today, today + timedelta(days=6))

    opening = threading.Thread(target=work, name="open-practice", daemon=True)
    opening.start()
    from app.ui.main_window import PAGE_CLASSES

    first = PAGE_CLASSES.get(str(QSettings().value("window/page", "agenda")))
    if first is not None:
        importlib.import_module(first[0])
    opening.join()
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def _join_instead(paths: DataPaths, problem: str) -> bool:
    """A data folder in a network folder is not opened; the person may connect this
    computer to the practice's server instead. True when it was connected."""
    from app.ui.plain import verbatim
    from app.ui.server_form import JoinDialog
    from app.ui.tasks import TaskRunner

    box = QMessageBox(QMessageBox.Icon.Warning, "Practice Desk", verbatim(problem))
    join = box.addButton(_("Connect to the practice's server…"),
                         QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Close)
    box.exec()
    if box.clickedButton() is not join:
        return False
    tasks = TaskRunner()
    dialog = JoinDialog(None, tasks, paths)
    joined = dialog.exec() == JoinDialog.DialogCode.Accepted
    tasks.wait()
    return joined


def _quit_on_terminate(window: MainWindow) -> None:
    """A logout or shutdown (SIGTERM) quits like the tray's Quit: the worker stops
    and the database closes, instead of the process dying mid-write. Python runs
    signal handlers only between bytecodes, so a timer hands it the thread."""
    signal.signal(signal.SIGTERM, lambda _signum, _frame: window.quit())
    ticker = QTimer(window)
    ticker.timeout.connect(lambda: None)
    ticker.start(250)
