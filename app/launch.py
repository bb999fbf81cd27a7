"""The `practice` command's entry point (installed script, `python -m app`, the
bundle). Given no command it opens the window, whose practice is read while the
libraries import: SQLite's check of the database (tens of milliseconds on a large
practice, off Python's lock) then costs the start nothing. Python's collector
waits while the window starts (the window turns it back on)."""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence


def window_folder(argv: Sequence[str]) -> tuple[bool, str | None]:
    """Whether `argv` (the arguments after the program's name) opens the window —
    none, or only --data-dir DIR — and the DIR it names (None: the usual folder,
    app.services.paths). (False, None) for any other command line, which the
    command line's parser reads."""
    args = list(argv)
    if not args:
        return True, None
    if len(args) == 2 and args[0] == "--data-dir" and not args[1].startswith("-"):
        return True, args[1]  # (a value like an option is the parser's to refuse)
    if len(args) == 1 and args[0].startswith("--data-dir="):
        return True, args[0].split("=", 1)[1]
    return False, None


def read_ahead(argv: Sequence[str]) -> None:
    """When `argv` opens the window, begin reading its database now, on a thread
    (app.services.db_survey)."""
    opens, folder = window_folder(argv)
    if not opens:
        return
    from app.services import db_survey
    from app.services.paths import resolve

    db_survey.read_ahead(resolve(folder).database)


def main(argv: Sequence[str] | None = None) -> int:
    """`practice [ARGS]`: the command's exit status (app.cli.main)."""
    raw = list(sys.argv[1:] if argv is None else argv)
    if window_folder(raw)[0]:
        # Importing the libraries and our code makes hundreds of thousands of objects
        # that live as long as the process; the collector walked them over and over
        # (a seventh of the start). The window turns it back on once built, after
        # telling it those objects stay (app.ui.main_window), and so does any dialog
        # shown before the window (app.ui.app).
        # https://docs.python.org/3/library/gc.html#gc.freeze
        gc.disable()
    read_ahead(raw)
    from app.cli import main as command

    return command(raw)
