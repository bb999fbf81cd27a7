"""The window's start reads its database ahead, while the libraries import
(app.launch, app.services.db_survey). What was read ahead is used only while it
still says the truth: a commit or a file put in its place since is read again, so
a database damaged or added to after the read is still refused, and one mended
after it is opened."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from app.launch import read_ahead, window_folder
from app.services import db_survey
from app.services.errors import DatabaseDamaged
from app.services.practice import open_practice


def a_practice(root: Path) -> Path:
    open_practice(root, logging_on=False).close()
    return root / "practice.sqlite3"


def add_table(path: Path, name: str) -> None:
    db = sqlite3.connect(path)
    db.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, note TEXT)")
    db.commit()
    db.close()


def read(path: Path) -> None:
    thread = db_survey.read_ahead(path)
    assert thread is not None
    thread.join()


def test_a_sound_practice_read_ahead_opens_with_its_sessions(tmp_path: Path) -> None:
    path = a_practice(tmp_path)
    read(path)
    p = open_practice(tmp_path, logging_on=False)
    try:
        assert p.db.revision
    finally:
        p.close()


def test_a_table_added_after_the_read_ahead_is_still_refused(tmp_path: Path) -> None:
    path = a_practice(tmp_path)
    read(path)  # read sound
    add_table(path, "intruder")
    with pytest.raises(DatabaseDamaged, match="intruder"):
        open_practice(tmp_path, logging_on=False)


def test_a_table_removed_after_the_read_ahead_lets_the_practice_open(tmp_path: Path) -> None:
    path = a_practice(tmp_path)
    add_table(path, "intruder")
    read(path)  # read with the stranger's table
    db = sqlite3.connect(path)
    db.execute("DROP TABLE intruder")
    db.commit()
    db.close()
    open_practice(tmp_path, logging_on=False).close()


def test_a_file_put_in_its_place_after_the_read_ahead_is_the_one_judged(
        tmp_path: Path) -> None:
    path = a_practice(tmp_path / "p")
    foreign = tmp_path / "foreign.sqlite3"
    db = sqlite3.connect(foreign)
    db.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
    db.commit()
    db.close()
    read(path)
    for part in path.parent.glob("practice.sqlite3-*"):
        part.unlink()
    shutil.copyfile(foreign, path.with_name("incoming"))
    path.with_name("incoming").replace(path)
    with pytest.raises(DatabaseDamaged, match="not a Practice Desk database"):
        open_practice(tmp_path / "p", logging_on=False)


def test_a_damaged_file_read_ahead_is_said_as_before(tmp_path: Path) -> None:
    path = a_practice(tmp_path)
    size = path.stat().st_size
    with path.open("r+b") as fh:  # the header kept, every page after it overwritten
        fh.seek(100)
        fh.write(b"\xff" * (size - 100))
    read(path)
    with pytest.raises(DatabaseDamaged, match="damaged"):
        open_practice(tmp_path, logging_on=False)


def test_nothing_is_read_ahead_for_a_new_practice(tmp_path: Path) -> None:
    assert db_survey.read_ahead(tmp_path / "practice.sqlite3") is None
    (tmp_path / "practice.sqlite3").touch()
    assert db_survey.read_ahead(tmp_path / "practice.sqlite3") is None
    open_practice(tmp_path, logging_on=False).close()


@pytest.mark.parametrize(("argv", "expected"), [
    ([], (True, None)),
    (["--data-dir", "/tmp/x y"], (True, "/tmp/x y")),
    (["--data-dir=/tmp/x"], (True, "/tmp/x")),
    (["list"], (False, None)),
    (["--data-dir", "/tmp/x", "list"], (False, None)),
    (["--data-dir"], (False, None)),
    (["--json"], (False, None)),
    (["--version"], (False, None)),
    (["--data-dir", "--json"], (False, None)),
    (["-h"], (False, None)),
])
def test_only_a_command_line_that_opens_the_window_reads_ahead(
        argv: list[str], expected: tuple[bool, str | None]) -> None:
    assert window_folder(argv) == expected


def test_the_window_s_command_line_reads_its_own_folder_s_database(tmp_path: Path,
                                                                   monkeypatch) -> None:
    path = a_practice(tmp_path)
    monkeypatch.setenv("PRACTICE_HOME", str(tmp_path))
    read_ahead([])
    ahead = db_survey._ahead.get(path)  # what was started, for which file
    assert ahead is not None
    ahead.thread.join()
    open_practice(None, logging_on=False).close()
    assert path not in db_survey._ahead  # taken by the opening, once
    read_ahead(["list"])
    assert path not in db_survey._ahead
