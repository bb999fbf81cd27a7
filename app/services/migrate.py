"""Schema migrations at start-up (DESIGN.md rule 9): the database file is copied
aside before any upgrade, and a database written by a newer version is refused
and left exactly as it was."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, inspect

from app.i18n import _
from app.services.database import copy_database
from app.services.errors import SchemaTooNew

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, db_path: Path, backups: Path, target: str = "head") -> Path | None:
    """Bring the schema to `target`. Returns the copy made aside, if any."""
    script = ScriptDirectory.from_config(alembic_config())
    current = current_revision(engine)
    if current is not None:
        try:
            script.get_revision(current)
        except CommandError:
            raise SchemaTooNew(_(
                "This database was written by a newer version of Practice Desk "
                "(schema {revision}). Install the newer version to open it; "
                "the file was left untouched.").format(revision=current)) from None
    elif _has_foreign_tables(engine):
        raise SchemaTooNew(_("{path} is not a Practice Desk database; it was left untouched.")
                           .format(path=db_path))
    wanted = script.get_current_head() if target == "head" else target
    if current == wanted:
        return None
    copy: Path | None = None
    if current is not None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        copy = backups / f"before-upgrade-{current}-{stamp}.sqlite3"
        copy_database(db_path, copy)
        log.info("database copied aside to %s before upgrading from %s", copy, current)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)
    log.info("database schema upgraded from %s to %s", current, wanted)
    return copy


def _has_foreign_tables(engine: Engine) -> bool:
    names = set(inspect(engine).get_table_names())
    return bool(names - {"alembic_version"})
