"""Schema migrations: an old database is upgraded without losing a row, a copy
is kept aside first, and a database from a newer version is refused untouched."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from alembic import command

from app.services import catalog, clients, migrate, queries, schema_check, settings
from app.services.database import make_engine
from app.services.errors import DatabaseDamaged, SchemaTooNew
from app.services.paths import DataPaths
from app.services.practice import open_practice


def database_at(root: Path, revision: str) -> Path:
    """An empty database at an older schema revision, as that version made it."""
    paths = DataPaths(root).ensure()
    engine = make_engine(paths.database)
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    engine.dispose()
    return paths.database


def make_v1_database(root: Path) -> Path:
    """A database at the first schema, filled the way the first version wrote it."""
    path = database_at(root, "0001")
    db = sqlite3.connect(path)
    db.executescript("""
        INSERT INTO practice_settings (id, name, timezone, country, currency, language,
            cancel_notice_minutes, cancel_fee_cents)
            VALUES (1, 'Consultório Antigo', 'America/Sao_Paulo', 'BR', 'BRL', '', 1440, 5000);
        INSERT INTO working_hours (staff_id, weekday, start, "end")
            VALUES (NULL, 0, '08:00:00.000000', '18:00:00.000000'),
                   (NULL, 5, '19:00:00.000000', '23:59:59.000000');
        INSERT INTO staff (id, name, active) VALUES (1, 'Dra. Ana', 1), (2, 'Dr. Paulo', 1);
        INSERT INTO client (id, name, phone, email, notes, active, created_at)
            VALUES (1, 'Maria Silva', '+5511987654321', 'maria@example.com', 'alérgica', 1,
                    '2026-01-05 12:00:00.000000');
        INSERT INTO service (id, name, duration_minutes, price_cents, buffer_before_minutes,
            buffer_after_minutes, min_notice_minutes, bookable_weekdays, active)
            VALUES (1, 'Psicoterapia', 50, 20000, 0, 10, 0, '0123456', 1);
        INSERT INTO appointment (id, client_id, service_id, staff_id, start, duration_minutes,
            buffer_before_minutes, buffer_after_minutes, status, source, quoted_price_cents,
            notes, internal_notes, cancellation_reason, created_at, updated_at)
            VALUES (1, 1, 1, 1, '2026-02-02 13:00:00.000000', 50, 0, 10, 'completed', 'manual',
                    20000, '', 'boa sessão', NULL, '2026-01-05 12:00:00.000000',
                    '2026-02-02 14:00:00.000000'),
                   (2, 1, 1, 2, '2026-02-09 13:00:00.000000', 50, 0, 10, 'cancelled', 'manual',
                    20000, '', '', 'viagem', '2026-01-05 12:00:00.000000',
                    '2026-02-08 14:00:00.000000');
        INSERT INTO audit_event (at, actor, entity, entity_id, action, changes)
            VALUES ('2026-02-08 14:00:00.000000', 'Dra. Ana', 'appointment', 2, 'cancel',
                    '{"status": ["scheduled", "cancelled"]}');
    """)
    db.commit()
    db.close()
    return path


def test_upgrade_keeps_every_row(tmp_path: Path) -> None:
    db_file = make_v1_database(tmp_path)
    p = open_practice(tmp_path, logging_on=False)
    try:
        assert migrate.current_revision(p.db.engine) == migrate.HEAD
        staff = catalog.list_staff(p)
        assert [(s.name, s.color) for s in staff] == [("Dra. Ana", "#3b82f6"),
                                                       ("Dr. Paulo", "#10b981")]
        assert clients.get(p, 1).notes == "alérgica"
        done, cancelled = queries.list_appointments(p)
        assert (done.status.value, done.internal_notes, done.staff_name) == \
            ("completed", "boa sessão", "Dra. Ana")
        assert (cancelled.cancellation_reason, cancelled.staff_name) == ("viagem", "Dr. Paulo")
        assert done.start.isoformat() == "2026-02-02T10:00:00-03:00"
        assert [h.action for h in queries.show(p, 2).history] == ["cancel"]
        # 24:00 was once stored as 23:59:59; it is the closing midnight now.
        assert settings.get(p).hours["sat"] == "19:00-24:00"
    finally:
        p.close()
    # An upgraded database has exactly the shape of a new one: it opens again.
    schema_check.check_found(db_file)
    schema_check.check(db_file)
    copies = list((tmp_path / "backups").glob("before-upgrade-0001-*.sqlite3"))
    assert len(copies) == 1
    old = sqlite3.connect(copies[0])
    assert old.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    assert old.execute("SELECT count(*) FROM appointment").fetchone() == (2,)
    old.close()
    assert db_file.exists()


def test_head_constant_matches_the_migration_scripts() -> None:
    assert migrate.script_head() == migrate.HEAD


def test_opening_an_up_to_date_database_copies_nothing(tmp_path: Path) -> None:
    open_practice(tmp_path, logging_on=False).close()
    open_practice(tmp_path, logging_on=False).close()
    assert list((tmp_path / "backups").iterdir()) == []


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_newer_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    open_practice(tmp_path, logging_on=False).close()
    db_file = tmp_path / "practice.sqlite3"
    db = sqlite3.connect(db_file)
    db.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    before = digest(db_file)
    with pytest.raises(SchemaTooNew, match="newer version of Practice Desk"):
        open_practice(tmp_path, logging_on=False)
    assert digest(db_file) == before
    assert list((tmp_path / "backups").iterdir()) == []


def test_a_foreign_database_is_refused(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    db = sqlite3.connect(tmp_path / "practice.sqlite3")
    db.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
    db.commit()
    db.close()
    with pytest.raises(DatabaseDamaged, match="not a Practice Desk database"):
        open_practice(tmp_path, logging_on=False)


def test_pragmas(tmp_path: Path) -> None:
    p = open_practice(tmp_path, logging_on=False)
    with p.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    p.close()


def test_migrations_build_exactly_the_models(tmp_path: Path) -> None:
    """Alembic's comparison of the migrated database with the models finds nothing."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    p = open_practice(tmp_path, logging_on=False)
    with p.db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
    p.close()


@pytest.mark.sqlite_only
def test_every_table_keeps_autoincrement_through_the_history(tmp_path: Path) -> None:
    """A step that rebuilds a table (SQLite's batch mode) must keep AUTOINCREMENT,
    or ids are handed out again after a restore: the migrated file says it for
    exactly the tables whose models ask for it."""
    from sqlmodel import SQLModel

    p = open_practice(tmp_path, logging_on=False)
    p.close()
    db = sqlite3.connect(DataPaths(tmp_path).database)
    found = {name for name, sql in db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table'") if "AUTOINCREMENT" in sql}
    db.close()
    wanted = {t.name for t in SQLModel.metadata.tables.values()
              if t.dialect_kwargs.get("sqlite_autoincrement")}
    assert found == wanted and "appointment" in found
