"""A rotating log file in the data folder. Never log secrets or message text."""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

from app.services.files import private_file

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _ShownFormatter(logging.Formatter):
    """A record's text with its control characters (but line breaks and tabs: a
    traceback's) written as \\xNN: the log is read in terminals and editors, and an
    exception can quote what a stranger wrote."""

    def format(self, record: logging.LogRecord) -> str:
        return _CONTROL.sub(_shown, super().format(record))


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class _PrivateRotatingHandler(logging.handlers.RotatingFileHandler):
    """Each log file, the first and every one after a rotation, is its owner's only."""

    def _open(self):  # type: ignore[no-untyped-def]
        private_file(Path(self.baseFilename))
        return super()._open()


QUIET = ("apscheduler",)


def setup_logging(folder: Path, level: int = logging.INFO) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "practice.log"
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, logging.handlers.RotatingFileHandler) and \
                Path(handler.baseFilename) == path:
            return path
    handler = _PrivateRotatingHandler(
        path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(_ShownFormatter(_FORMAT))
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    # The scheduler says "job executed" every half minute: only its warnings are news.
    for chatty in QUIET:
        logging.getLogger(chatty).setLevel(max(level, logging.WARNING))
    return path
