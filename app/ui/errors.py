"""One exception hook: an unexpected error is logged and shown once in a dialog;
the same error again (a timer, a repaint) is only logged."""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox

from app.i18n import _

log = logging.getLogger("app.ui")
_shown: set[str] = set()


def report(kind: type[BaseException], exc: BaseException,
           tb: TracebackType | None) -> None:
    log.error("unexpected error", exc_info=(kind, exc, tb))
    key = "".join(traceback.format_exception_only(kind, exc)).strip()
    if key in _shown or QApplication.instance() is None:
        return
    _shown.add(key)
    box = QMessageBox(QMessageBox.Icon.Critical, "Practice Desk",
                      _("Something went wrong and was written to the log. Your data is safe: "
                        "every change is saved as it is made."))
    box.setDetailedText("".join(traceback.format_exception(kind, exc, tb)))
    box.open()


def install() -> None:
    sys.excepthook = report
