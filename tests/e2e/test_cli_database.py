"""`practice database connect / move-to / show / disconnect` run as processes against
a real PostgreSQL server: the password goes to the keyring and nowhere else, a
refused connection saves nothing, a practice moves whole (ids, history and id
counters kept) while its SQLite file stays byte for byte as it was."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import keyring
import pytest
from sqlalchemy import create_engine, text

from app.services import migrate, secrets
from app.services.storage import location
from tests.fakes.postgres import PostgresCluster
from tests.fakes.smtp import free_port

NOW = "2026-11-20T12:00:00Z"  # Friday 09:00 in São Paulo


class Computer:
    """One computer's data folder, driven by the `practice` command."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def run(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PRACTICE_NOW": NOW, "LANGUAGE": "en"}
        return subprocess.run([sys.executable, "-m", "app", *args, "--data-dir",
                               str(self.folder)], env=env, input=stdin, capture_output=True,
                              text=True, timeout=120)

    def ok(self, *args: str, stdin: str = "") -> Any:
        result = self.run(*args, "--json", stdin=stdin)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def refused(self, *args: str, stdin: str = "") -> str:
        result = self.run(*args, stdin=stdin)
        assert result.returncode == 3, (result.returncode, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        return result.stderr.strip()

    def saved_url(self) -> str:
        path = self.folder / "this-computer.json"
        return str(json.loads(path.read_text())["database_url"]) if path.exists() else ""

    def everything_written(self) -> str:
        """Every file this computer's data folder holds, logs included, as text."""
        return "\n".join(p.read_bytes().decode("utf-8", "replace")
                         for p in self.folder.rglob("*") if p.is_file())


@pytest.fixture
def computer(tmp_path: Path) -> Computer:
    return Computer(tmp_path / "reception")


def stored_password() -> str | None:
    return keyring.get_password(secrets.SERVICE, location.PASSWORD)


def without_driver(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def test_an_empty_database_becomes_the_practice_and_show_says_where(
        computer: Computer, postgres: PostgresCluster) -> None:
    url = postgres.new_database()
    done = computer.ok("database", "connect", without_driver(url))
    name = url.rsplit("/", 1)[1]
    assert done == {"where": f"127.0.0.1:{postgres.port}/{name}", "user": "postgres",
                    "revision": migrate.HEAD, "password_in_keyring": False,
                    "overridden_by_env": False}
    assert computer.saved_url() == url
    shown = computer.ok("database", "show")
    assert (shown["engine"], shown["where"], shown["source"], shown["user"],
            shown["revision"], shown["answers"], shown["problem"]) == (
        "postgresql", f"127.0.0.1:{postgres.port}/{name}", "this-computer", "postgres",
        migrate.HEAD, True, "")
    # The practice is on the server: what this computer adds is there.
    client = computer.ok("client", "add", "--name", "Maria Silva", "--phone",
                         "(11) 98765-4321")["id"]
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM client WHERE id = :i"),
                            {"i": client}).scalar() == "Maria Silva"
    engine.dispose()
    assert not (computer.folder / "practice.sqlite3").exists()
    words = computer.run("database", "show").stdout
    assert "Engine: PostgreSQL" in words and f"Server: 127.0.0.1:{postgres.port}/{name}" \
        in words and "Answers: yes" in words
    # The way back: the file in the data folder, a practice without that client.
    back = computer.ok("database", "disconnect")
    assert back["file"] == str(computer.folder / "practice.sqlite3")
    assert computer.saved_url() == ""
    assert computer.ok("database", "show")["engine"] == "sqlite"
    assert computer.ok("client", "list") == []


def test_a_password_goes_to_the_keyring_only(computer: Computer,
                                             postgres: PostgresCluster) -> None:
    login = f"ana_{uuid.uuid4().hex[:8]}"
    url = postgres.password_login(login, "s3nha-Forte")
    with_password = url.replace(f"{login}@", f"{login}:s3nha-Forte@")
    result = computer.run("database", "connect", with_password)
    assert result.returncode == 0, result.stderr
    assert "s3nha-Forte" not in result.stdout + result.stderr
    assert "The password is kept in the system keyring." in result.stdout
    assert stored_password() == "s3nha-Forte"
    assert computer.saved_url() == url
    computer.ok("client", "add", "--name", "Maria Silva", "--phone", "(11) 98765-4321")
    assert computer.ok("database", "show")["answers"] is True
    assert "s3nha-Forte" not in computer.everything_written()  # nor in a log line

    # Another computer connects without the password in the address: asked for it.
    other = Computer(computer.folder.parent / "room-2")
    keyring.delete_password(secrets.SERVICE, location.PASSWORD)
    asked = other.run("database", "connect", url, "--json", stdin="s3nha-Forte\n")
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["password_in_keyring"] is True
    assert stored_password() == "s3nha-Forte"
    assert [c["name"] for c in other.ok("client", "list")] == ["Maria Silva"]
    assert "s3nha-Forte" not in other.everything_written()
    # Disconnecting forgets it: no other server is ever sent it.
    other.ok("database", "disconnect")
    assert stored_password() is None


def test_refused_connections_say_why_and_save_nothing(computer: Computer,
                                                      postgres: PostgresCluster) -> None:
    login = f"bia_{uuid.uuid4().hex[:8]}"
    url = postgres.password_login(login, "certa")
    wrong = url.replace(f"{login}@", f"{login}:errada@")
    said = computer.refused("database", "connect", wrong)
    assert "refused this computer's login: check the user and password" in said
    assert "errada" not in said
    said = computer.refused("database", "connect", url)  # no password, none on stdin
    assert said == f"The practice's server at {url.split('@')[1]} asks for {login}'s " \
        "password; nothing was saved."
    unknown = postgres.url("no_such_practice")
    said = computer.refused("database", "connect", unknown)
    assert said == f"The practice's server has no database 127.0.0.1:{postgres.port}/" \
        "no_such_practice: check its name."
    nobody = f"postgresql://postgres@127.0.0.1:{free_port()}/consultorio"
    said = computer.refused("database", "connect", nobody)
    assert said.startswith(f"The practice's server at 127.0.0.1:{nobody.rsplit(':', 1)[1]} "
                           "does not answer.")
    said = computer.refused("database", "connect", "mysql://ana@recepcao/consultorio")
    assert "the address starts with postgresql://" in said
    assert computer.saved_url() == ""
    assert stored_password() is None
    assert computer.ok("database", "show")["engine"] == "sqlite"
    # A database holding another program's tables does not become a practice.
    foreign = postgres.new_database()
    engine = create_engine(foreign)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE invoices (id integer)"))
    engine.dispose()
    said = computer.refused("database", "connect", foreign)
    assert "holds tables that are not Practice Desk's; it was left untouched" in said
    assert computer.saved_url() == ""


def _practice_in_a_file(computer: Computer) -> dict[str, Any]:
    computer.ok("settings", "set", "timezone", "America/Sao_Paulo")
    computer.ok("settings", "set", "hours", "mon-fri", "08:00-19:00")
    maria = computer.ok("client", "add", "--name", "Maria Silva", "--phone",
                        "(11) 98765-4321", "--email", "maria@example.com")["id"]
    joao = computer.ok("client", "add", "--name", "João Alves", "--phone", "21 99876-5432")["id"]
    service = computer.ok("service", "add", "--name", "Psicoterapia", "--duration", "50",
                          "--price", "200")["id"]
    weekly = computer.ok("book", "--client", str(maria), "--service", str(service),
                         "--start", "2026-11-23T10:00", "--repeat", "weekly", "--count", "4")
    single = computer.ok("book", "--client", str(joao), "--service", str(service),
                         "--start", "2026-11-24T15:00")["id"]
    computer.ok("confirm", str(weekly["ids"][0]))
    computer.ok("cancel", str(weekly["ids"][2]), "--reason", "Viagem", "--waive")
    moved = computer.ok("reschedule", str(single), "--start", "2026-11-25T16:00")["id"]
    return {"maria": maria, "session": weekly["ids"][0], "moved": moved,
            "sessions": computer.ok("list"), "clients": computer.ok("client", "list"),
            "history": computer.ok("show", str(weekly["ids"][0]))["history"]}


def test_move_to_copies_the_whole_practice_and_leaves_the_file_as_it_was(
        computer: Computer, postgres: PostgresCluster) -> None:
    before = _practice_in_a_file(computer)
    file = computer.folder / "practice.sqlite3"
    as_it_was = file.read_bytes()
    url = postgres.new_database()
    moved = computer.ok("database", "move-to", url)
    assert moved["file"] == str(file)
    assert moved["rows"]["appointment"] == len(before["sessions"])
    assert moved["rows"]["client"] == 2
    assert moved["total"] == sum(moved["rows"].values()) > 10
    assert computer.saved_url() == url
    assert file.read_bytes() == as_it_was
    # The same practice, now on the server: the same sessions, ids and history.
    assert computer.ok("database", "show")["engine"] == "postgresql"
    assert computer.ok("list") == before["sessions"]
    assert computer.ok("client", "list") == before["clients"]
    assert computer.ok("show", str(before["session"]))["history"] == before["history"]
    engine = create_engine(url)
    with engine.connect() as conn:
        counted = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                   for t in moved["rows"]}
    engine.dispose()
    assert counted == moved["rows"]
    # Id counters came along: a new session never takes an id handed out before.
    newest = computer.ok("book", "--client", str(before["maria"]), "--custom", "Avaliação",
                         "--duration", "50", "--start", "2026-11-26T09:00")["id"]
    assert newest > max(s["id"] for s in before["sessions"])
    words = computer.run("database", "show").stdout
    assert "Engine: PostgreSQL" in words
    assert file.read_bytes() == as_it_was


def test_move_to_a_database_that_is_not_empty_is_refused(
        computer: Computer, postgres: PostgresCluster) -> None:
    _practice_in_a_file(computer)
    file = computer.folder / "practice.sqlite3"
    as_it_was = file.read_bytes()
    taken = postgres.practice_database()  # a practice is already there
    said = computer.refused("database", "move-to", taken)
    assert said.startswith(f"The database 127.0.0.1:{postgres.port}/"
                           f"{taken.rsplit('/', 1)[1]} already holds a practice; nothing "
                           "was copied")
    assert computer.saved_url() == ""
    assert file.read_bytes() == as_it_was
    engine = create_engine(taken)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM client")).scalar() == 0
    engine.dispose()
    # Connected already: moving again is refused until this computer disconnects.
    empty = postgres.new_database()
    computer.ok("database", "move-to", empty)
    said = computer.refused("database", "move-to", postgres.new_database())
    assert "already opens the practice's server" in said and "disconnect" in said
