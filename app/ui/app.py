"""Starting the window: the Qt application, the practice, the main window."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from app import i18n
from app.services import settings
from app.services.errors import PracticeError
from app.services.practice import open_practice


def run_window(data_dir: str | os.PathLike[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setOrganizationName("PracticeDesk")
    app.setApplicationName("Practice Desk")
    app.setQuitOnLastWindowClosed(False)  # the tray may keep the app alive
    try:
        practice = open_practice(data_dir)
    except PracticeError as exc:
        QMessageBox.critical(None, "Practice Desk", str(exc))
        return 3
    current = settings.get(practice)  # once, before the window exists
    i18n.set_language(current.language or None)
    from app.ui.errors import install
    from app.ui.main_window import MainWindow

    install()
    window = MainWindow(practice, current.zone, background_worker=True)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closing (not hiding) quits
    window.destroyed.connect(app.quit)
    window.show()
    code = app.exec()
    practice.close()
    return int(code)
