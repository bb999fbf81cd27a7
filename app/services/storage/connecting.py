"""Which database this computer uses, and changing it: connecting to the
practice's PostgreSQL server (`practice database connect`), moving this
computer's SQLite practice onto an empty server (`practice database move-to`),
going back to the SQLite file (`practice database disconnect`), and saying
where the data is (`practice database show`).

The server's address is kept in the data folder without its password; the
password, when the server wants one, goes to the keyring only
(location.PASSWORD). Nothing is saved until the server has answered and proved
to be a Practice Desk practice (or an empty database, which becomes one)."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, inspect
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from app.i18n import _
from app.services import migrate, secrets, this_computer
from app.services.database import server_error
from app.services.errors import InvalidInput, PracticeError
from app.services.paths import DataPaths
from app.services.storage import copying, engines, location, network_folder

log = logging.getLogger(__name__)


class PasswordNeeded(InvalidInput):
    """The server asks for a password and none was given: nothing was saved."""


@dataclass(frozen=True)
class DatabaseState:
    """What `practice database show` says. `where` is the file's path or the
    server's host[:port]/database (never a password)."""

    engine: str  # "sqlite" or "postgresql"
    where: str
    source: str  # "file", "this-computer" (practice database connect) or "env"
    user: str  # the server's user; "" for the file
    revision: str | None  # the schema's revision; None when there is none yet
    answers: bool | None  # the server answered; None for the file
    problem: str  # why the server did not answer, or why the file is refused; "" if none
    password_in_keyring: bool | None  # None when the keyring cannot be read

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Connected:
    where: str
    user: str
    revision: str
    password_in_keyring: bool
    overridden_by_env: bool  # PRACTICE_DATABASE_URL is set and still chooses

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Moved:
    where: str
    user: str
    file: str  # the SQLite file, left as it was
    rows: dict[str, int]  # each table's rows, the same in the file and on the server

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "total": self.total}


def _needs_password(exc: OperationalError) -> bool:
    """libpq's PQconnectionNeedsPassword: the server asked for a password and none
    was given (psycopg keeps the failed connection on the error)."""
    pgconn = getattr(exc.orig, "pgconn", None)
    return bool(getattr(pgconn, "needs_password", False))


def _not_permitted(exc: ProgrammingError, url: URL) -> Exception:
    """The server's user may not create the practice's tables (PostgreSQL 15 lets
    only the database's owner create in its public schema): what to do, in one
    sentence. Anything else stays as it was raised."""
    if getattr(exc.orig, "sqlstate", None) != "42501":
        return exc
    log.warning("the server refused to create the practice's tables (42501)")
    return InvalidInput(_(
        "The user {user} may not create the practice's tables in {where}: make it the "
        "database's owner (createdb --owner {user}, or ALTER DATABASE … OWNER TO "
        "{user}), then try again. Nothing was changed.").format(
        user=url.username, where=engines.where(url)))


def _reach(url: URL) -> None:
    """One connection to the server, or the sentence saying why not."""
    engine = engines.make_engine(url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except OperationalError as exc:
        if _needs_password(exc):
            raise PasswordNeeded(_(
                "The practice's server at {where} asks for {user}'s password; nothing was "
                "saved.").format(where=engines.where(url), user=url.username)) from None
        raise server_error(exc, engines.where(url)) from None
    finally:
        engine.dispose()


def _address(address: str, password: str | None) -> tuple[URL, str | None]:
    """The typed address without its password, and the password (given apart, else
    the one written in the address)."""
    url = location.server_url(address)
    given = password if password else url.password
    # URL.set() leaves a field as it is when given None: built again, without it.
    bare = URL.create(url.drivername, url.username, None, url.host, url.port, url.database,
                      url.query)
    return bare, (str(given) if given else None)


def _env_set() -> bool:
    return bool(os.environ.get(location.ENV, "").strip())


def _keyring_ready(password: str | None) -> None:
    """When a password must be kept, a usable keyring first (before anything is
    done); raises SecretsUnavailable."""
    if password:
        secrets.is_set(location.PASSWORD)


def _remember(paths: DataPaths, url: URL, password: str | None) -> bool:
    """This computer opens `url` from now on: its password in the keyring (or the
    old one taken out, so no other server is ever sent it), the address without
    it in the data folder. Returns whether a password is kept."""
    if password:
        secrets.store(location.PASSWORD, password)
    else:
        # Nothing can be in a keyring that is not there.
        with contextlib.suppress(secrets.SecretsUnavailable):
            secrets.forget(location.PASSWORD)
    this_computer.save(paths, database_url=url.render_as_string(hide_password=False))
    log.info("this computer now opens the practice's server at %s", engines.where(url))
    _daily_aside(paths)
    return bool(password)


def _daily_aside(paths: DataPaths) -> None:
    """Today's automatic copy was taken from the database this computer opened
    before: kept under another name (listed as a copy made by hand), so the copy of
    the day is taken again, from the server."""
    from datetime import UTC, datetime

    from app.services.backups import DAILY_PREFIX, taken

    now = datetime.now(UTC)
    for daily in paths.backups.glob(f"{DAILY_PREFIX}*.sqlite3"):
        if (now - taken(daily)).total_seconds() < 24 * 3600:
            kept = daily.with_name(f"practice-before-the-server-{now:%Y-%m-%d-%H%M%S}.sqlite3")
            with contextlib.suppress(OSError):
                daily.replace(kept)
                log.info("today's copy of the database opened before kept as %s", kept.name)


def connect(paths: DataPaths, address: str, password: str | None = None) -> Connected:
    """This computer opens the practice on the server at `address`
    (postgresql://user@computer[:port]/database). The server is reached and
    opened as a practice first — its schema brought to this version, or an empty
    database made a new practice — and only then is the address saved. Raises
    InvalidInput (a bad address), PasswordNeeded, DatabaseUnavailable (does not
    answer, login refused, no such database), SchemaTooNew, SecretsUnavailable;
    in every case nothing is saved."""
    from app.services.practice import open_server

    url, password = _address(address, password)
    _keyring_ready(password)
    reach = url.set(password=password) if password else url
    _reach(reach)
    try:
        db = open_server(reach, paths.ensure())
    except ProgrammingError as exc:
        raise _not_permitted(exc, url) from None
    try:
        revision = migrate.current_revision(db.engine) or ""
    finally:
        db.dispose()
    kept = _remember(paths, url, password)
    return Connected(engines.where(url), str(url.username), revision, kept, _env_set())


def _file_revision(path: Path) -> str | None:
    from app.services.schema_check import read_only_uri

    try:
        db = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            row = db.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


def _refuse_if_used(engine: Engine, where: str) -> None:
    """The server's database must be empty: a practice already there (or another
    program's tables) is never mixed with this one."""
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
    if "alembic_version" in names:
        raise InvalidInput(_(
            "The database {where} already holds a practice; nothing was copied and this "
            "computer still opens its own file. To use that practice, connect to it "
            "(practice database connect); to move this one, create an empty database."
        ).format(where=where))
    if names:
        raise InvalidInput(_(
            "The database {where} is not empty (it holds tables that are not Practice "
            "Desk's); nothing was copied. Create an empty database for the practice."
        ).format(where=where))


def move_to(paths: DataPaths, address: str, password: str | None = None) -> Moved:
    """This computer's SQLite practice copied onto the empty database at `address`
    (every table, ids and id counters kept; each table's row count and digest
    compared), then this computer switched to it. The SQLite file is only read (it
    is first brought to this version's schema, as opening it would) and stays
    where it is. The schema and the rows go to the server in one transaction, so a
    refusal leaves the server's database empty as it was. Raises InvalidInput (a
    bad address, a database that is not empty, a copy that does not read back the
    same, this computer already on a server), PasswordNeeded,
    DatabaseUnavailable, SecretsUnavailable; nothing is switched then."""
    from alembic import command

    from app.services.practice import open_file

    if _env_set():
        raise InvalidInput(_(
            "PRACTICE_DATABASE_URL is set, so this computer already opens that server; "
            "nothing was copied. Unset it to move this computer's own practice."))
    saved = this_computer.read(paths).database_url
    if saved:
        raise InvalidInput(_(
            "This computer already opens the practice's server at {where}; nothing was "
            "copied. Run practice database disconnect first to move the practice in this "
            "computer's file.").format(where=engines.where(location.server_url(saved))))
    if not paths.database.exists():
        raise InvalidInput(_("There is no practice in {path} to move; nothing was copied.")
                           .format(path=paths.database))
    url, password = _address(address, password)
    _keyring_ready(password)
    reach = url.set(password=password) if password else url
    where = engines.where(url)
    _reach(reach)
    # As opening would: checked, and brought to this version's schema.
    open_file(paths, network_check=False).dispose()
    revision = _file_revision(paths.database) or migrate.HEAD
    engine = engines.make_engine(reach)
    try:
        _refuse_if_used(engine, where)
        try:
            with engines.writer(engine).connect() as dst, dst.begin():
                cfg = migrate.alembic_config()
                cfg.attributes["connection"] = dst
                command.upgrade(cfg, revision)
                copying.rows_from_file(paths.database, dst)
            with engine.connect() as conn, conn.begin():
                on_server = copying.digests(conn)
        except OperationalError as exc:
            raise server_error(exc, where) from None
        except ProgrammingError as exc:
            raise _not_permitted(exc, url) from None
        except IntegrityError as exc:
            log.warning("the server refused a row of the practice being moved: %s",
                        type(exc.orig).__name__)
            raise InvalidInput(_(
                "The server refused part of the practice ({problem}); nothing was copied "
                "and this computer still opens its own file.").format(
                problem=getattr(getattr(exc.orig, "diag", None), "constraint_name", "")
                or type(exc.orig).__name__)) from None
    finally:
        engine.dispose()
    in_file = _file_digests(paths.database)
    if in_file != on_server:  # read back after the commit, on a connection of its own
        raise InvalidInput(_("The copy on the server does not read back as the file; this "
                             "computer still opens its own file."))
    _remember(paths, url, password)
    return Moved(where, str(url.username), str(paths.database),
                 {name: t.rows for name, t in sorted(on_server.items())})


def _file_digests(path: Path) -> dict[str, copying.TableCopy]:
    from sqlalchemy import create_engine

    from app.services.schema_check import read_only_uri

    reader = create_engine("sqlite://", creator=lambda: sqlite3.connect(
        read_only_uri(path, closed=True), uri=True, check_same_thread=False))
    try:
        with reader.connect() as conn, conn.begin():
            return copying.digests(conn)
    finally:
        reader.dispose()


def disconnect(paths: DataPaths) -> tuple[str, bool]:
    """This computer opens its SQLite file again (as it was when it was last used
    here: what was done on the server is not in it); the server's address and
    password are forgotten. Returns the file's path and whether
    PRACTICE_DATABASE_URL still chooses the server."""
    if this_computer.read(paths).database_url:
        this_computer.save(paths, database_url="")
        log.info("this computer opens its SQLite file again")
    with contextlib.suppress(secrets.SecretsUnavailable):
        secrets.forget(location.PASSWORD)
    return str(paths.database), _env_set()


def state(paths: DataPaths) -> DatabaseState:
    """Which database this computer opens and whether it can: the server is asked
    for its schema's revision (a few seconds at most when it does not answer).
    Raises InvalidInput when PRACTICE_DATABASE_URL is not a server's address."""
    where = location.locate(paths)
    try:
        stored: bool | None = secrets.is_set(location.PASSWORD)
    except secrets.SecretsUnavailable:
        stored = None
    if not where.on_server:
        place = network_folder.network_place(paths.root)
        problem = _("The data folder is in a network folder ({place}): it is not opened "
                    "there.").format(place=place) if place else ""
        return DatabaseState("sqlite", str(paths.database), where.source, "",
                             _file_revision(paths.database) if paths.database.exists()
                             else None, None, problem, stored)
    url = where.url
    engine = engines.make_engine(url)
    revision: str | None = None
    answers, problem = True, ""
    try:
        revision = migrate.current_revision(engine)
    except OperationalError as exc:
        answers = False
        problem = _("The practice's server at {where} asks for {user}'s password.").format(
            where=engines.where(url), user=url.username) if _needs_password(exc) else \
            str(server_error(exc, engines.where(url)))
    except PracticeError as exc:
        answers, problem = False, str(exc)
    finally:
        engine.dispose()
    return DatabaseState("postgresql", engines.where(url), where.source, str(url.username or ""),
                         revision, answers, problem, stored)
