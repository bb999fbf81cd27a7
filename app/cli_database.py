"""`practice database …`: which database this computer opens — `show`, `connect
URL` (the practice's PostgreSQL server), `move-to URL` (this computer's SQLite
practice onto an empty server, then switched to it) and `disconnect` (the
SQLite file again). These run before any practice is opened: a server that does
not answer, or a data folder in a network folder, must not keep a person from
saying where the practice is."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

# Imported by app.cli while it builds its parser, so app.cli is complete by then.
from app.cli import EXIT_OK, EXIT_REFUSED, _emit, _Later
from app.i18n import _, ngettext
from app.services import schema_check
from app.services.errors import PracticeError
from app.services.logs import setup_logging
from app.services.paths import DataPaths, resolve

if TYPE_CHECKING:
    from app.services.storage import connecting
else:  # imported when a database command runs (it brings the keyring)
    connecting = _Later("app.services.storage.connecting")

Command = Callable[..., argparse.ArgumentParser]
Standalone = Callable[[DataPaths, argparse.Namespace], int]


def add_commands(sub: Any, cmd: Command) -> None:
    db = sub.add_parser("database", help=_("which database this computer opens: the file "
                                           "in the data folder or the practice's server")
                        ).add_subparsers(dest="action", metavar="ACTION", required=True)

    def standalone(name: str, fn: Standalone, help_text: str) -> argparse.ArgumentParser:
        p = cmd(name, _unused, help_text, db)
        p.set_defaults(standalone=lambda data_dir, args: _run(fn, data_dir, args))
        return p

    standalone("show", cmd_show, _("which database this computer opens, and whether it "
                                   "answers"))
    p = standalone("connect", cmd_connect, _(
        "open the practice on its PostgreSQL server from now on (the password goes to the "
        "keyring, asked for when the server wants one)"))
    p.add_argument("url", metavar="URL", help=_(
        "e.g. postgresql://practice@recepcao.local/consultorio"))
    p = standalone("move-to", cmd_move_to, _(
        "copy this computer's practice to an empty database on the server (every table, "
        "ids and history kept, then compared), then open it there; the file stays as it "
        "was"))
    p.add_argument("url", metavar="URL", help=_(
        "an empty database, e.g. postgresql://practice@recepcao.local/consultorio"))
    standalone("disconnect", cmd_disconnect, _(
        "open the file in the data folder again, forgetting the server and its password"))


def _unused(*_args: Any) -> None:  # pragma: no cover - `standalone` runs instead
    raise AssertionError("a database command runs without an open practice")


def _run(fn: Standalone, data_dir: str | None, args: argparse.Namespace) -> int:
    from app import i18n

    paths = resolve(data_dir)
    # The practice's language, when its file says one; else the system's.
    i18n.set_language(schema_check.stored_language(paths.database) or None)
    try:
        setup_logging(paths.ensure().logs)
        return fn(paths, args)
    except PracticeError as exc:
        if getattr(args, "json", False):
            sys.stdout.write(_json({"error": str(exc)}) + "\n")
        sys.stderr.write(f"{exc}\n")
        return EXIT_REFUSED
    except OSError as exc:
        sys.stderr.write(_("Cannot open the data folder: {problem}").format(
            problem=exc.strerror or exc) + "\n")
        return EXIT_REFUSED


def _json(data: Any) -> str:
    from app.services import json_text

    return json_text.dumps(data)


def _ask_password(exc: connecting.PasswordNeeded) -> str:
    """The password, without echo on a terminal; a script gives it on standard
    input (one line). Raises the refusal again when none is given."""
    if sys.stdin is not None and sys.stdin.isatty():
        typed = getpass.getpass(str(exc).split(";")[0] + ". " + _("Password: "))
    else:
        typed = sys.stdin.readline().rstrip("\r\n") if sys.stdin is not None else ""
    if not typed:
        raise exc
    return typed


def _with_password(work: Callable[[str | None], Any]) -> Any:
    try:
        return work(None)
    except connecting.PasswordNeeded as exc:
        return work(_ask_password(exc))


def cmd_show(paths: DataPaths, args: argparse.Namespace) -> int:
    found = connecting.state(paths)

    def text() -> str:
        if found.engine == "sqlite":
            lines = [_("Engine: SQLite (a practice of one computer)"),
                     _("File: {path}").format(path=found.where)]
        else:
            lines = [_("Engine: PostgreSQL (the practice's server)"),
                     _("Server: {where}").format(where=found.where),
                     _("User: {user}").format(user=found.user),
                     _("Chosen by: {source}").format(
                         source="PRACTICE_DATABASE_URL" if found.source == "env"
                         else _("this computer's connection (Settings › Database, or "
                                "practice database connect)")),
                     _("Answers: yes") if found.answers else _("Answers: no")]
        unknown = found.engine != "sqlite" and not found.answers
        lines.append(_("Schema: {revision}").format(
            revision=found.revision or (_("unknown (the server does not answer)") if unknown
                                        else _("none yet"))))
        if found.problem:
            lines.append(found.problem)
        return "\n".join(lines)

    _emit(args, found.as_json(), text)
    return EXIT_OK


def cmd_connect(paths: DataPaths, args: argparse.Namespace) -> int:
    done = _with_password(lambda password: connecting.connect(paths, args.url, password))
    lines = [_("This computer now opens the practice on the server at {where} as {user}.")
             .format(where=done.where, user=done.user)]
    if done.password_in_keyring:
        lines.append(_("The password is kept in the system keyring."))
    if done.overridden_by_env:
        lines.append(_("PRACTICE_DATABASE_URL is set and still chooses the database while "
                       "it is."))
    _emit(args, done.as_json(), "\n".join(lines))
    return EXIT_OK


def cmd_move_to(paths: DataPaths, args: argparse.Namespace) -> int:
    moved = _with_password(lambda password: connecting.move_to(paths, args.url, password))
    lines = [ngettext("The practice was copied to {where}: {n} row in {tables} tables, "
                      "compared table by table.",
                      "The practice was copied to {where}: {n} rows in {tables} tables, "
                      "compared table by table.", moved.total).format(
        where=moved.where, n=moved.total, tables=len(moved.rows)),
        _("This computer now opens it there. The file {file} stays as it was; changes "
          "made from now on are on the server.").format(file=moved.file)]
    _emit(args, moved.as_json(), "\n".join(lines))
    return EXIT_OK


def cmd_disconnect(paths: DataPaths, args: argparse.Namespace) -> int:
    file, env = connecting.disconnect(paths)
    lines = [_("This computer opens the file {file} again; what was done on the server is "
               "not in it.").format(file=file)]
    if env:
        lines.append(_("PRACTICE_DATABASE_URL is set and still chooses the database while "
                       "it is."))
    _emit(args, {"file": file, "overridden_by_env": env}, "\n".join(lines))
    return EXIT_OK
