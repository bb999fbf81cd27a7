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

from sqlalchemy import Engine, inspect, text

from app.i18n import _
from app.services.database import copy_database
from app.services.errors import SchemaTooNew

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions; a test keeps the two in step.
HEAD = "0012"


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
        if not conn.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                 "AND name = 'alembic_version'")).first():
            return None
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        return str(row[0]) if row else None


def upgrade(engine: Engine, db_path: Path, backups: Path, *, keep_copy: bool = True
            ) -> Path | None:
    """Bring the schema to HEAD. Returns the copy made aside, if any (none when
    `keep_copy` is False: a file being checked before a restore is itself a copy)."""
    current = current_revision(engine)
    if current == HEAD:
        return None
    from alembic import command

    if current is not None:
        if not known(current):
            raise SchemaTooNew(_(
                "This database was written by a newer version of Practice Desk "
                "(schema {revision}). Install the newer version to open it; "
                "the file was left untouched.").format(revision=current))
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


def _has_foreign_tables(engine: Engine) -> bool:
    names = set(inspect(engine).get_table_names())
    return bool(names - {"alembic_version"})
