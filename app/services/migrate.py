"""Schema migrations at start-up (DESIGN.md rule 9): the database file is copied
aside before any upgrade, and a database written by a newer version is refused
and left exactly as it was.

Alembic is imported only when an upgrade is due: every start of the command
line reads the current revision with one query instead."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, inspect, text

from app.i18n import _
from app.services.database import copy_database
from app.services.errors import SchemaTooNew
from app.services.storage import engines

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions; a test keeps the two in step.
HEAD = "0017"


def alembic_config() -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def script_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert isinstance(head, str)
    return head


def known(revision: str) -> bool:
    """Whether this version of Practice Desk wrote (or can upgrade) that schema."""
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        return False
    return True


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return _revision(conn)


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    return str(row[0]) if row else None


def _too_new(revision: str, where: str) -> SchemaTooNew:
    if where:
        return SchemaTooNew(_(
            "The practice's server ({where}) was upgraded by a newer Practice Desk (schema "
            "{revision}; this computer's writes {head}). Update Practice Desk on this "
            "computer; nothing on the server was changed.").format(
            where=where, revision=revision, head=HEAD))
    return SchemaTooNew(_(
        "This database was written by a newer version of Practice Desk "
        "(schema {revision}). Install the newer version to open it; "
        "the file was left untouched.").format(revision=revision))


def upgrade(engine: Engine, db_path: Path | None, backups: Path, *, keep_copy: bool = True
            ) -> Path | None:
    """Bring the schema to HEAD. Returns the copy made aside, if any (none when
    `keep_copy` is False: a file being checked before a restore is itself a copy)."""
    if engine.dialect.name != "sqlite":
        return _upgrade_server(engine, backups)
    assert db_path is not None
    current = current_revision(engine)
    if current == HEAD:
        return None
    from alembic import command

    if current is not None:
        if not known(current):
            raise _too_new(current, "")
    elif _has_foreign_tables(engine):
        raise SchemaTooNew(_("{path} is not a Practice Desk database; it was left untouched.")
                           .format(path=db_path))
    copy: Path | None = None
    if current is not None and keep_copy:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        copy = backups / f"before-upgrade-{current}-{stamp}.sqlite3"
        copy_database(db_path, copy)
        log.info("database copied aside to %s before upgrading from %s", copy, current)
    cfg = alembic_config()
    with engine.connect() as conn:
        # Some steps rebuild tables that others refer to; SQLite's way (its "making
        # other kinds of table schema changes") is foreign keys off around the
        # transaction and a check of every reference before it commits.
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the upgrade left {len(broken)} broken references")
        finally:
            raw.execute("PRAGMA foreign_keys=ON")
    log.info("database schema upgraded from %s to %s", current, HEAD)
    return copy


def _has_foreign_tables(engine: Engine | Connection) -> bool:
    names = set(inspect(engine).get_table_names())
    return bool(names - {"alembic_version"})


def _upgrade_server(engine: Engine, backups: Path) -> Path | None:
    """The practice's server brought to HEAD by one computer at a time (a
    session-level advisory lock; another computer starting meanwhile waits, then
    finds it done). A copy of the practice is taken first, into this computer's
    backups folder; PostgreSQL changes the schema in one transaction, so a
    failed step leaves the server as it was."""
    from alembic import command

    where = engines.where(engine.url)
    with engine.connect() as conn:
        current = _revision(conn)
        if current == HEAD:
            conn.rollback()
            return None
        conn.rollback()
        conn.exec_driver_sql(f"SELECT pg_advisory_lock({engines.PRACTICE}, "
                             f"{engines.UPGRADE_LOCK})")
        conn.commit()
        try:
            current = _revision(conn)  # another computer may have upgraded meanwhile
            conn.rollback()
            if current == HEAD:
                return None
            if current is not None and not known(current):
                raise _too_new(current, where)
            if current is None and _has_foreign_tables(conn):
                raise SchemaTooNew(_("The database {where} holds tables that are not "
                                     "Practice Desk's; it was left untouched.")
                                   .format(where=where))
            copy = None
            if current is not None:
                from app.services.storage import copying

                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
                copy = backups / f"before-upgrade-{current}-{stamp}.sqlite3"
                copying.server_to_file(engine, copy)
                log.info("the practice's server copied to %s before upgrading from %s",
                         copy, current)
            cfg = alembic_config()
            conn.rollback()
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
            log.info("the practice's server upgraded from %s to %s", current, HEAD)
            return copy
        finally:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({engines.PRACTICE}, "
                                 f"{engines.UPGRADE_LOCK})")
            conn.commit()
