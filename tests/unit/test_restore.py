"""A restore replaces the data only after the file has proved itself: sound, exactly
one of our schemas (no extra table, view or trigger), upgraded if older — checked
on a copy, so a refusal or a failure leaves the database byte for byte as it was.
Ids are never handed out twice, a restore included."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from app.services import attendances, backups, migrate, queries, scheduling
from app.services.errors import DatabaseDamaged, InvalidInput
from app.services.paths import DataPaths
from app.services.practice import Practice, open_practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_client, local
from tests.unit.test_migrations import database_at


def fingerprint(p: Practice) -> str:
    """The database file's bytes (its write-ahead log included); on the practice's
    server, every table's rows."""
    if p.db.on_server:
        from app.services.storage import copying

        with p.db.engine.connect() as conn:
            return repr(sorted(copying.digests(conn).items()))
    h = hashlib.sha256(p.paths.database.read_bytes())
    wal = p.paths.database.with_name(p.paths.database.name + "-wal")
    if wal.exists():
        h.update(wal.read_bytes())
    return h.hexdigest()


def book(p: Practice, day: str = "2026-11-23T10:00", client: int | None = None) -> int:
    return scheduling.book(p, BookingRequest(
        client_id=client or add_client(p, f"Client {day}", f"+55 11 9{day[8:10]}{day[11:13]}-0000",
                                       None),
        start=local(day), custom_service_name="Sessão", duration_minutes=50))


@pytest.fixture
def copy(practice: Practice, tmp_path: Path) -> Path:
    book(practice)
    return backups.backup(practice, tmp_path / "copy.sqlite3").path


def refused(p: Practice, path: Path, match: str) -> None:
    before, asides = fingerprint(p), sorted(p.paths.backups.glob("*"))
    with pytest.raises(InvalidInput, match=match):
        backups.restore(p, path)
    assert fingerprint(p) == before
    assert sorted(p.paths.backups.glob("*")) == asides
    assert not list(p.paths.root.glob(".restore-*"))
    book(p, "2026-11-27T15:00")  # and the practice works on


def test_a_file_naming_no_schema_version_is_refused(practice: Practice, copy: Path) -> None:
    with sqlite3.connect(copy) as db:
        db.execute("DELETE FROM alembic_version")
    refused(practice, copy, "names no schema version")
    reopened = open_practice(practice.paths.root, clock=practice.clock, logging_on=False)
    assert len(queries.list_appointments(reopened)) == 2
    reopened.close()


def test_a_file_with_only_some_of_our_tables_is_refused(practice: Practice,
                                                        tmp_path: Path) -> None:
    path = tmp_path / "four.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(f"""
            CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
            INSERT INTO alembic_version VALUES ('{migrate.HEAD}');
            CREATE TABLE appointment (id INTEGER PRIMARY KEY);
            CREATE TABLE client (id INTEGER PRIMARY KEY);
            CREATE TABLE practice_settings (id INTEGER PRIMARY KEY);""")
    refused(practice, path, "not a Practice Desk database as this version wrote it")


@pytest.mark.parametrize("addition", [
    "CREATE TABLE shadow (name TEXT); CREATE TRIGGER copy_clients AFTER INSERT ON client "
    "BEGIN INSERT INTO shadow VALUES (new.name); END;",
    "CREATE TRIGGER forget AFTER INSERT ON appointment BEGIN DELETE FROM audit_event; END;",
    "CREATE VIEW everyone AS SELECT name, phone FROM client;",
    "CREATE INDEX extra ON client (notes);",
    # The same names with another meaning, or hidden behind SQLite's own prefix.
    "CREATE TRIGGER sqlitex_evil AFTER INSERT ON appointment "
    "BEGIN UPDATE client SET name = 'x'; END;",
    "CREATE TABLE sqlite1evil (x);",
    "DROP INDEX ix_client_phone; CREATE UNIQUE INDEX ix_client_phone ON client (phone);",
    "DROP INDEX ix_client_phone; CREATE INDEX ix_client_phone ON client (phone) "
    "WHERE phone IS NOT NULL;",
])
def test_a_real_backup_with_something_added_is_refused(practice: Practice, copy: Path,
                                                       addition: str) -> None:
    with sqlite3.connect(copy) as db:
        db.executescript(addition)
    refused(practice, copy, "not a Practice Desk database as this version wrote it")


@pytest.mark.parametrize("damage", ["truncated", "garbage_page"])
def test_a_damaged_file_is_refused(practice: Practice, copy: Path, damage: str) -> None:
    data = bytearray(copy.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        data[4096 * 2: 4096 * 2 + 200] = b"\xff" * 200
    copy.write_bytes(bytes(data))
    before = fingerprint(practice)
    with pytest.raises(InvalidInput):
        backups.restore(practice, copy)
    assert fingerprint(practice) == before


def test_an_older_backup_is_upgraded_on_the_copy_then_restored(practice: Practice,
                                                               tmp_path: Path) -> None:
    old = database_at(tmp_path / "old", "0002")
    with sqlite3.connect(old) as db:
        db.executescript("""
            INSERT INTO practice_settings (id, name, timezone, country, currency, language,
                cancel_notice_minutes, cancel_fee_cents)
                VALUES (1, 'Antigo', 'America/Sao_Paulo', 'BR', 'BRL', '', 1440, 0);
            INSERT INTO staff (id, name, active, color) VALUES (1, 'Dra. Ana', 1, '#3b82f6');
            INSERT INTO client (id, name, phone, email, notes, active, created_at)
                VALUES (1, 'Maria Silva', '+5511987654321', NULL, '', 1,
                        '2026-01-05 12:00:00.000000');
            INSERT INTO appointment (id, client_id, service_id, staff_id, start,
                duration_minutes, buffer_before_minutes, buffer_after_minutes, status, source,
                quoted_price_cents, notes, internal_notes, created_at, updated_at)
                VALUES (1, 1, NULL, 1, '2026-12-02 13:00:00.000000', 50, 0, 0, 'scheduled',
                        'manual', 0, '', '', '2026-01-05 12:00:00.000000',
                        '2026-01-05 12:00:00.000000');""")
    source_bytes = old.read_bytes()
    info, aside = backups.restore(practice, old)
    assert info.sessions == 1 and aside.exists()
    assert old.read_bytes() == source_bytes  # the backup itself is not upgraded
    assert migrate.current_revision(practice.db.engine) == migrate.HEAD
    [only] = queries.list_appointments(practice)
    assert only.client_name == "Maria Silva"
    assert not list(practice.paths.backups.glob("before-upgrade-*"))


def test_any_file_name_works(practice: Practice, copy: Path, tmp_path: Path) -> None:
    odd = tmp_path / "Cópias #3 ?final" / "Backup #3.sqlite3"
    odd.parent.mkdir()
    odd.write_bytes(copy.read_bytes())
    info, _aside = backups.restore(practice, odd)
    assert info.path == odd and info.sessions == 1
    # No stray "Backup " files from a name read as a URI, here or where we run.
    assert list(odd.parent.iterdir()) == [odd]
    assert not [*tmp_path.glob("Backup*"), *Path.cwd().glob("Backup*")]


def test_two_restores_in_one_second_keep_both_earlier_databases(practice: Practice,
                                                               copy: Path) -> None:
    book(practice, "2026-11-25T10:00")
    _info, first = backups.restore(practice, copy)
    book(practice, "2026-11-26T10:00")
    _info, second = backups.restore(practice, copy)  # the frozen clock: the same second
    assert first != second and first.exists() and second.exists()
    assert backups.inspect_file(first).sessions == 2
    assert backups.inspect_file(second).sessions == 2


def test_ids_are_not_handed_out_again_after_a_restore(practice: Practice,
                                                      tmp_path: Path) -> None:
    copy = backups.backup(practice, tmp_path / "empty.sqlite3").path
    ana = add_client(practice, "Ana Teste", "+55 11 91111-1111", None)
    hers = book(practice, "2026-11-24T10:00", ana)
    card = attendances.start(practice, medium="whatsapp", name="Ana", phone="+55 11 91111-1111")
    backups.restore(practice, copy)
    bruno = add_client(practice, "Bruno Lima", "+55 11 92222-2222", None)
    assert bruno > ana
    assert book(practice, "2026-11-24T10:00", bruno) > hers
    assert attendances.start(practice, medium="whatsapp", name="Bruno",
                             phone="+55 11 92222-2222") > card


def test_an_upgraded_database_keeps_its_ids_going_up(tmp_path: Path) -> None:
    """Ids handed out before this version (without AUTOINCREMENT) stay taken."""
    from tests.unit.test_migrations import make_v1_database

    make_v1_database(tmp_path)
    p = open_practice(tmp_path, logging_on=False)
    try:
        with sqlite3.connect(p.paths.database) as db:
            assert dict(db.execute("SELECT name, seq FROM sqlite_sequence"))["appointment"] == 2
    finally:
        p.close()


@pytest.mark.sqlite_only  # the local file itself, damaged or tampered with
@pytest.mark.parametrize("damage", ["trigger", "view", "garbage_page", "no_version"])
def test_a_damaged_or_tampered_database_at_start_up_is_refused_untouched(
        practice: Practice, copy: Path, damage: str) -> None:
    root, db_file = practice.paths.root, practice.paths.database
    last = max(book(practice, "2026-11-25T10:00"), book(practice, "2026-11-26T10:00"))
    practice.close()
    db = sqlite3.connect(db_file)
    if damage == "trigger":
        db.executescript("CREATE TRIGGER forget AFTER INSERT ON appointment "
                         "BEGIN DELETE FROM audit_event; END;")
    elif damage == "view":
        db.executescript("CREATE VIEW everyone AS SELECT name, phone FROM client;")
    elif damage == "no_version":
        db.execute("DELETE FROM alembic_version")
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    if damage == "garbage_page":
        data = bytearray(db_file.read_bytes())
        data[4096 * 3: 4096 * 3 + 300] = b"\xee" * 300
        db_file.write_bytes(bytes(data))
    before = db_file.read_bytes()
    with pytest.raises(DatabaseDamaged, match="It was left untouched: restore one of the copies"):
        open_practice(root, logging_on=False)
    assert db_file.read_bytes() == before

    # The way back: a copy takes its place, the damaged file is kept aside.
    kept = backups.replace_damaged(DataPaths(root), copy, practice.clock.now())
    assert kept.read_bytes() == before and kept.name.startswith("damaged-")
    # The relay will hear what the links lead to now, as after any restore.
    with sqlite3.connect(root / "practice.sqlite3") as db:
        notes = sorted(db.execute("SELECT appointment_id, state FROM link_notice"))
    assert (1, "open") in notes
    if damage != "garbage_page":
        assert {(2, "gone"), (3, "gone")} <= set(notes)
    reopened = open_practice(root, clock=practice.clock, logging_on=False)
    assert len(queries.list_appointments(reopened)) == 1
    assert [c.kind for c in backups.copies(reopened)].count(backups.CopyKind.DAMAGED) == 1
    if damage != "garbage_page":  # ids the damaged file handed out stay taken
        assert book(reopened, "2026-11-27T10:00") > last
    reopened.close()


def test_a_copy_that_is_not_sound_never_replaces_a_damaged_database(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "p").ensure()
    paths.database.write_bytes(b"garbage")
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"also garbage")
    with pytest.raises(InvalidInput):
        backups.replace_damaged(paths, bad)
    assert paths.database.read_bytes() == b"garbage" and not list(paths.backups.iterdir())


def test_a_copy_stands_alone_and_checking_it_leaves_nothing_beside_it(
        practice: Practice, tmp_path: Path) -> None:
    folder = tmp_path / "usb"
    folder.mkdir()
    book(practice)
    info = backups.backup(practice, folder)
    backups.inspect_file(info.path)
    backups.restore(practice, info.path)
    assert [p.name for p in folder.iterdir()] == [info.path.name]
    assert info.path.read_bytes()[18:20] == b"\x01\x01"  # rollback journal, not WAL


def test_the_shipped_schema_shape_is_this_versions() -> None:
    """schema_head.json is what the migrations build; after a new migration run
    `python -m app.services.schema_check` to write it again."""
    import json

    from app.services import schema_check

    # Written for this revision: else every start would build the reference
    # database with Alembic, the file silently ignored.
    shipped = json.loads(schema_check.HEAD_SHAPE.read_text(encoding="utf-8"))
    assert shipped["revision"] == migrate.HEAD
    assert schema_check.reference(migrate.HEAD) == schema_check._build(migrate.HEAD)


def test_a_table_rebuilt_with_a_check_is_refused(practice: Practice, copy: Path) -> None:
    db = sqlite3.connect(copy)
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'staff'").fetchone()[0]
    db.executescript(f"""
        PRAGMA foreign_keys=OFF;
        ALTER TABLE staff RENAME TO staff_old;
        {sql.replace("PRIMARY KEY", "CHECK (length(name) < 300) PRIMARY KEY", 1)};
        INSERT INTO staff SELECT * FROM staff_old; DROP TABLE staff_old;""")
    db.close()
    refused(practice, copy, "not a Practice Desk database as this version wrote it")


def tampered(practice: Practice, sql: str) -> Path:
    """The practice closed and its own database changed behind its back."""
    root = practice.paths.root
    practice.close()
    db = sqlite3.connect(root / "practice.sqlite3")
    db.executescript(sql)
    db.close()
    return root


@pytest.mark.sqlite_only  # the local file itself, damaged or tampered with
def test_same_names_with_another_meaning_are_refused_at_start_up(practice: Practice) -> None:
    root = tampered(practice, "DROP INDEX ix_client_phone; "
                              "CREATE UNIQUE INDEX ix_client_phone ON client (phone);")
    with pytest.raises(DatabaseDamaged, match="did not put there"):
        open_practice(root, logging_on=False)


def test_an_import_after_a_restore_hands_out_no_id_twice(practice: Practice,
                                                         tmp_path: Path) -> None:
    from app.services import importing
    from tests.conftest import add_service

    add_service(practice, name="Sessão")
    copy = backups.backup(practice, tmp_path / "before.sqlite3").path
    hers = book(practice, "2026-11-24T10:00")
    backups.restore(practice, copy)
    f = tmp_path / "rows.csv"
    f.write_text("nome;telefone;serviço;data;hora\n"
                 "Bruno Lima;11 92222-2222;Sessão;25/11/2026;10:00\n", encoding="utf-8")
    [row] = importing.import_file(practice, f).rows
    assert row.appointment_id is not None and row.appointment_id > hers
    assert queries.show(practice, row.appointment_id).client_id > 1


@pytest.mark.sqlite_only  # the local file itself, damaged or tampered with
def test_an_older_copy_over_a_damaged_database_keeps_its_ids_taken(practice: Practice,
                                                                   tmp_path: Path) -> None:
    """The copy is upgraded before the counters are raised: before 0007 its tables
    have no counters to raise."""
    old = database_at(tmp_path / "old", "0005")
    last = max(book(practice, "2026-11-25T10:00"), book(practice, "2026-11-26T10:00"))
    root = tampered(practice, "CREATE VIEW everyone AS SELECT name FROM client;")
    backups.replace_damaged(DataPaths(root), old, practice.clock.now())
    with sqlite3.connect(root / "practice.sqlite3") as db:
        seq = dict(db.execute("SELECT name, seq FROM sqlite_sequence"))
    assert seq["appointment"] >= last and seq["client"] >= 2


@pytest.mark.sqlite_only  # the local file itself, damaged or tampered with
def test_an_unreadable_database_takes_its_id_floors_from_the_copies_kept(
        practice: Practice, tmp_path: Path) -> None:
    """Nothing of the damaged file can be read: the newest copies kept in backups/
    (a daily copy made after the one restored) still say which ids were handed out."""
    old = backups.backup(practice, tmp_path / "old.sqlite3").path
    last = max(book(practice, "2026-11-25T10:00"), book(practice, "2026-11-26T10:00"))
    backups.backup(practice, practice.paths.backups)  # as the daily copy is made
    root = practice.paths.root
    practice.close()
    data = bytearray((root / "practice.sqlite3").read_bytes())
    data[:100] = b"\x00" * 100
    (root / "practice.sqlite3").write_bytes(bytes(data))
    backups.replace_damaged(DataPaths(root), old, practice.clock.now())
    with sqlite3.connect(root / "practice.sqlite3") as db:
        seq = dict(db.execute("SELECT name, seq FROM sqlite_sequence"))
    assert seq["appointment"] >= last
