"""The `practice` command's entry point (installed script, `python -m app`, the
bundle). Given no command it opens the window, whose practice is read while the
libraries import: SQLite's check of the database (tens of milliseconds on a large
practice, off Python's lock) then costs the start nothing."""

from __future__ import annotations

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
    if len(args) == 2 and args[0] == "--data-dir":
        return True, args[1]
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
    read_ahead(raw)
    from app.cli import main as command

    return command(raw)
