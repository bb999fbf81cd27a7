"""The open practice: its files, database, clock, change bus and who is acting.
Every service function takes one as its first argument."""

from __future__ import annotations

import getpass
import logging
import os
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import URL, Table
from sqlalchemy import select as core_select
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlmodel import Session

from app import models
from app.i18n import _
from app.models import plain_tables
from app.models.people import Person
from app.services import migrate, schema_check
from app.services.clock import Clock, SystemClock
from app.services.database import Database, server_error
from app.services.errors import (
    DatabaseDamaged,
    DatabaseUnavailable,
    InvalidInput,
    OnNetworkFolder,
)
from app.services.events import ChangeBus
from app.services.files import private_file
from app.services.logs import setup_logging
from app.services.paths import DataPaths, resolve
from app.services.storage import location, network_folder

if TYPE_CHECKING:
    from app.services.storage.change_feed import Watcher

log = logging.getLogger(__name__)

DEFAULT_HOURS = {d: [(time(8), time(19))] for d in range(5)}  # Monday to Friday


@dataclass
class Practice:
    paths: DataPaths
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    bus: ChangeBus = field(default_factory=ChangeBus)
    actor: str = "user"
    # Who is acting as one of the practice's people (their role decides what they
    # read, see app/models/people.py); None is the practice itself.
    person: Person | None = None

    def acting_as(self, actor: str) -> Practice:
        """The same practice, with changes attributed to someone else who is not one
        of its people ("system", "client", "import", a login name)."""
        return replace(self, actor=actor, person=None)

    def acting_as_person(self, person: Person) -> Practice:
        """The same practice, acted on by one of its people: changes are recorded in
        their name and what they read follows their role."""
        return replace(self, actor=person.name, person=person)

    def close(self) -> None:
        self.db.dispose()


def default_actor() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "user"


def open_practice(data_dir: str | os.PathLike[str] | None = None, *, clock: Clock | None = None,
                  actor: str | None = None, logging_on: bool = True) -> Practice:
    """Open (or create) the practice's database, upgrading its schema first."""
    paths = resolve(data_dir)
    tightened = paths.private_folders()
    if logging_on:
        setup_logging(paths.logs)
    for folder in tightened:
        log.warning("%s could be read by other accounts on this computer; it is now "
                    "the owner's only", folder)
    where = location.locate(paths)
    db = _open_server(where.url, paths) if where.on_server else _open_file(paths)
    db.moved = lambda: location.moved_from(paths, where)
    db.revision = migrate.HEAD
    return Practice(paths=paths, db=db, clock=clock or SystemClock(),
                    actor=actor or default_actor())


def open_followed(data_dir: str | os.PathLike[str] | None = None, *,
                  clock: Clock | None = None) -> tuple[Practice, Watcher]:
    """open_practice for a window, with the change feed's watcher whose watermark is
    taken before the window reads anything: what another program or computer
    commits from then on is announced, even while the window is still being built.
    Raises what open_practice raises, or the first read's error (the practice then
    closed)."""
    from app.services.storage.change_feed import Watcher

    practice = open_practice(data_dir, clock=clock)
    try:
        watcher = Watcher(practice.db, practice.bus.publish)
        watcher.check()  # the watermark
    except BaseException:
        practice.close()
        raise
    return practice, watcher


def refuse_network_folder(paths: DataPaths) -> None:
    """A SQLite practice is not opened from a network folder (a NAS, a shared
    drive): SQLite's locking does not work over a network file system
    (https://www.sqlite.org/useovernet.html), and two computers writing one file
    would damage it. Raises OnNetworkFolder saying what to do instead."""
    place = network_folder.network_place(paths.root)
    if place is None:
        return
    log.warning("the data folder %s is on a network file system (%s): not opened",
                paths.root, place)
    raise OnNetworkFolder(_(
        "The practice's data folder {folder} is in a network folder ({place}). SQLite's "
        "locking does not work over a network file system, so computers sharing this file "
        "would damage it; it was not opened. To share the practice between computers, "
        "connect each one to the practice's server (practice database connect URL, or the "
        "assistant's \"join a practice\"); for a practice of one, keep the data folder on "
        "this computer's own disk (--data-dir or PRACTICE_HOME).").format(
        folder=paths.root, place=place))


def _open_file(paths: DataPaths, *, network_check: bool = True) -> Database:
    """The SQLite practice in the data folder, checked and upgraded. `network_check`
    False only to read a practice out of a network folder (moving it to a server)."""
    if network_check:
        refuse_network_folder(paths)
    try:
        schema_check.check_found(paths.database)
    except InvalidInput as exc:
        log.warning("the database at start-up: %s", exc)
        raise DatabaseDamaged(_("{problem} It was left untouched: restore one of the copies "
                                "in {backups}.").format(problem=exc, backups=paths.backups)
                              ) from None
    # Before SQLite opens it: the -wal and -shm it makes take the database's mode.
    for part in (paths.database, *(paths.database.with_name(paths.database.name + x)
                                   for x in ("-wal", "-shm"))):
        if part == paths.database or part.exists():
            private_file(part)
    db = Database(paths.database)
    try:
        migrate.upgrade(db.engine, paths.database, paths.backups)
        _ensure_defaults(db)
    except DatabaseError as exc:
        db.dispose()
        if isinstance(exc, OperationalError) and "locked" in str(exc):
            raise DatabaseUnavailable(_("The database is busy in another program; "
                                        "try again in a moment.")) from None
        raise DatabaseDamaged(_(
            "{path} is damaged or is not a Practice Desk database; it was left untouched. "
            "Copies made before each upgrade are in {backups}.").format(
            path=paths.database, backups=paths.backups)) from None
    except BaseException:
        db.dispose()
        raise
    return db


def _open_server(url: URL, paths: DataPaths) -> Database:
    """The practice's server: its schema brought to this version (or this computer
    refused, when the server's is newer), the defaults of a new practice written."""
    db = Database(url)
    try:
        migrate.upgrade(db.engine, None, paths.backups)
        _ensure_defaults(db)
    except OperationalError as exc:
        db.dispose()
        raise server_error(exc, db.where) from None
    except BaseException:
        db.dispose()
        raise
    return db


# Opened without a Practice around them: connecting this computer to a server,
# moving its practice there (storage.connecting).
open_file, open_server = _open_file, _open_server


def _ensure_defaults(db: Database) -> None:
    """A new practice starts with its settings, one professional and weekday hours.
    Asked of the plain tables (app.models.plain_tables): every start asks, and
    rarely adds; the table classes are needed only to add."""
    with db.write() as s:
        if _none_in(s, plain_tables.practice_settings):
            s.add(models.PracticeSettings(timezone=_system_zone() or "America/Sao_Paulo"))
            for day, intervals in DEFAULT_HOURS.items():
                for lo, hi in intervals:
                    s.add(models.WorkingHours(staff_id=None, weekday=day, start=lo, end=hi))
        if _none_in(s, plain_tables.staff):
            s.add(models.Staff(name=_("Professional")))


def _none_in(s: Session, table: Table) -> bool:
    """Whether `table` has no row yet (pending rows of `s` included)."""
    s.flush()
    return s.connection().execute(core_select(table.c.id).limit(1)).first() is None


def _system_zone() -> str | None:
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz and "/" in tz:
        return tz
    try:
        target = Path("/etc/localtime").resolve()
    except OSError:
        return None
    parts = target.parts
    if "zoneinfo" in parts:
        name = "/".join(parts[parts.index("zoneinfo") + 1:])
        return name if "/" in name and not name.startswith("Etc/") else None
    return None
