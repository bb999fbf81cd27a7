"""The practice's server and the versions of Practice Desk on its computers: an
older server schema is upgraded by one computer at a time after a copy of the
practice; a computer older than the server is refused with a sentence and changes
nothing; a database holding someone else's tables is left alone."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import psycopg
import pytest
from alembic import command
from sqlalchemy import create_engine

from app.services import clients, migrate, this_computer
from app.services.errors import SchemaTooNew
from app.services.paths import DataPaths
from app.services.practice import Practice, open_practice
from app.services.storage import copying
from tests.fakes.postgres import PostgresCluster


def server_at(cluster: PostgresCluster, revision: str) -> str:
    url = cluster.new_database()
    engine = create_engine(url)
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    engine.dispose()
    return url


def connected(root: Path, url: str) -> Path:
    this_computer.save(DataPaths(root), database_url=url)
    return root


def sql(url: str, statement: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"),
                         autocommit=True) as conn:
        cur = conn.execute(statement)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []


def test_an_older_server_is_upgraded_once_after_a_copy(tmp_path: Path,
                                                       postgres: PostgresCluster) -> None:
    url = server_at(postgres, "0012")
    sql(url, "INSERT INTO client (name, active, created_at, notes) "
             "VALUES ('Maria Silva', true, now(), 'alérgica')")
    rooms = [connected(tmp_path / f"computer{i}", url) for i in range(3)]
    opened: list[Practice] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(len(rooms))

    def start(root: Path) -> None:  # three computers started at the same moment
        barrier.wait()
        try:
            opened.append(open_practice(root, logging_on=False))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(r,)) for r in rooms]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert failures == [] and len(opened) == 3
    try:
        assert sql(url, "SELECT version_num FROM alembic_version") == [(migrate.HEAD,)]
        copies = [c for r in rooms for c in (r / "backups").glob("before-upgrade-0012-*")]
        assert len(copies) == 1  # one computer upgraded; the others found it done
        assert clients.get(opened[0], 1).notes == "alérgica"
        db = sqlite3.connect(copies[0])
        assert db.execute("SELECT name, notes FROM client").fetchall() == [
            ("Maria Silva", "alérgica")]
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [("0012",)]
        db.close()
    finally:
        for p in opened:
            p.close()


def test_a_computer_older_than_the_server_is_refused(tmp_path: Path,
                                                     postgres: PostgresCluster) -> None:
    url = postgres.practice_database()
    sql(url, "UPDATE alembic_version SET version_num = '9999'")
    before = sql(url, "SELECT count(*) FROM change_log")
    with pytest.raises(SchemaTooNew, match="Update Practice Desk on this computer"):
        open_practice(connected(tmp_path / "old", url), logging_on=False)
    assert sql(url, "SELECT version_num FROM alembic_version") == [("9999",)]
    assert sql(url, "SELECT count(*) FROM change_log") == before


def test_a_database_with_someone_elses_tables_is_left_alone(tmp_path: Path,
                                                            postgres: PostgresCluster) -> None:
    url = postgres.new_database()
    sql(url, "CREATE TABLE invoices (id int)")
    with pytest.raises(SchemaTooNew, match="not Practice Desk's"):
        open_practice(connected(tmp_path / "c", url), logging_on=False)
    assert sql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'") == [
        ("invoices",)]


def test_a_copy_of_the_server_reads_back_the_same(tmp_path: Path,
                                                   postgres: PostgresCluster) -> None:
    url = postgres.practice_database()
    p = open_practice(connected(tmp_path / "c", url), logging_on=False)
    try:
        clients.add(p, name="Maria Silva", phone="+55 11 98765-4321")
        target = tmp_path / "copy.sqlite3"
        copying.server_to_file(p.db.engine, target)
        with p.db.engine.connect() as conn:
            here = copying.digests(conn)
        reader = create_engine(f"sqlite:///{target}")
        with reader.connect() as conn:
            assert copying.digests(conn) == here
        reader.dispose()
        assert oct(target.stat().st_mode & 0o777) == "0o600"
    finally:
        p.close()


def test_an_open_practice_changes_nothing_once_a_newer_version_upgraded_the_server(
        tmp_path: Path, postgres: PostgresCluster) -> None:
    url = postgres.practice_database()
    p = open_practice(connected(tmp_path / "room", url), logging_on=False)
    try:
        maria = clients.add(p, name="Maria Silva", phone="+55 11 98765-4321").id
        sql(url, "UPDATE alembic_version SET version_num = '9999'")  # another computer
        with pytest.raises(SchemaTooNew, match="Update Practice Desk on this computer"):
            clients.update(p, maria, notes="depois da atualização")
        assert clients.get(p, maria).notes == ""  # reading still works, writing does not
    finally:
        p.close()


def test_a_window_left_open_through_a_move_changes_nothing_in_the_old_file(
        tmp_path: Path, postgres: PostgresCluster) -> None:
    """Another process moved this computer's practice to the server (or connected it
    elsewhere): the practice opened before writes nowhere, and does not send."""
    from app.services.errors import PracticeMoved
    from app.services.worker import Worker

    folder = tmp_path / "ana"
    p = open_practice(folder, logging_on=False)
    worker = Worker(p)
    try:
        maria = clients.add(p, name="Maria Silva", phone="+55 11 98765-4321").id
        assert worker.claim()
        this_computer.save(DataPaths(folder), database_url=postgres.practice_database())
        with pytest.raises(PracticeMoved, match="now opens the practice at postgresql"):
            clients.update(p, maria, notes="perdida")
        assert not worker.claim() and not worker.sender.held  # the new place sends
        assert worker.run_once().sent == 0
        assert clients.get(p, maria).notes == ""
        # And back to the file: a practice opened on the server writes nowhere either.
        on_server = open_practice(folder, logging_on=False)
        this_computer.save(DataPaths(folder), database_url="")
        with pytest.raises(PracticeMoved, match=r"practice\.sqlite3"):
            clients.add(on_server, name="João Alves", phone="+55 21 99876-5432")
        on_server.close()
    finally:
        worker.stop()
        p.close()


def test_a_database_the_user_does_not_own_is_refused_with_what_to_do(
        tmp_path: Path, postgres: PostgresCluster) -> None:
    """createdb without --owner: the user may not create tables there (PostgreSQL
    15's public schema); moving or connecting says what to do and changes nothing."""
    from app.services.errors import InvalidInput
    from app.services.storage import connecting

    postgres._admin("DO $$ BEGIN CREATE ROLE visitor LOGIN; "
                    "EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    url = postgres.new_database().replace("postgres@", "visitor@")
    folder = tmp_path / "ana"
    p = open_practice(folder, logging_on=False)
    clients.add(p, name="Maria Silva", phone="+55 11 98765-4321")
    p.close()
    for step in (connecting.move_to, connecting.connect):
        with pytest.raises(InvalidInput, match="may not create the practice's tables"):
            step(DataPaths(folder), url)
        assert this_computer.read(DataPaths(folder)).database_url == ""
    assert sql(url.replace("visitor@", "postgres@"),
               "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


def test_a_password_changed_on_the_server_is_said_as_a_refused_login(
        tmp_path: Path, postgres: PostgresCluster) -> None:
    """The window's change feed loses the server because the password changed (not
    because the server is away): it says the login was refused, and where to fix it."""
    from app.services import secrets
    from app.services.storage import location
    from app.services.storage.change_feed import Watcher

    name = f"room{tmp_path.name[-6:].lower().replace('-', '')}"
    url = postgres.password_login(name, "antiga")
    secrets.store(location.PASSWORD, "antiga")
    p = open_practice(connected(tmp_path / "room", url), logging_on=False)
    states: list[tuple[bool, str]] = []
    said = threading.Event()

    def on_state(online: bool, why: str) -> None:
        states.append((online, why))
        said.set()

    watcher, stop = Watcher(p.db, lambda _c: None), threading.Event()
    follower = threading.Thread(target=watcher.follow, args=(stop, on_state), daemon=True)
    follower.start()
    try:
        deadline = 50
        while not watcher.following and deadline:
            threading.Event().wait(0.1)
            deadline -= 1
        postgres._admin(f"ALTER ROLE {name} PASSWORD 'nova'")
        postgres._admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        f"WHERE usename = '{name}'")
        for _ in range(200):  # the connection cut first, then the login refused
            if any("refused this computer's login" in why for _o, why in states):
                break
            threading.Event().wait(0.1)
        refused = [why for online, why in states if "refused" in why and not online]
        assert refused and "Settings › Database" in refused[0]
    finally:
        stop.set()
        follower.join(timeout=20)
        watcher.close()
        p.close()


def test_on_the_day_of_moving_the_daily_copy_is_taken_again_from_the_server(
        tmp_path: Path, postgres: PostgresCluster) -> None:
    from app.services import backups
    from app.services.storage import connecting

    folder = tmp_path / "ana"
    p = open_practice(folder, logging_on=False)
    made = backups.daily(p)
    assert made is not None
    clients.add(p, name="Maria Silva", phone="+55 11 98765-4321")
    p.close()
    connecting.move_to(DataPaths(folder), postgres.new_database())
    assert not made.exists()  # kept under another name, listed as a copy by hand
    assert [c.kind for c in backups.copies_in(DataPaths(folder).backups)] == [
        backups.CopyKind.MANUAL]
    p = open_practice(folder, logging_on=False)
    try:
        again = backups.daily(p)
        assert again is not None and backups.inspect_file(again).clients == 1
    finally:
        p.close()
