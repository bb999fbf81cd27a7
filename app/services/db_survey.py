"""What a practice's SQLite file holds, read without changing it: whether SQLite
finds it sound, its schema objects and its schema revision. Standard library only,
so the window's start can begin reading the file (SQLite's quick check reads all
of it, letting go of Python's lock) while the libraries are still importing;
app.services.schema_check judges what was read."""

from __future__ import annotations

import re
import sqlite3
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# What urllib.request.pathname2url is on each system, without importing urllib.request
# (HTTP and e-mail modules, 16 ms at the window's start).
if sys.platform == "win32":
    from nturl2path import pathname2url
else:
    from urllib.parse import quote as pathname2url

Shape = frozenset[tuple[str, str, str, tuple[Any, ...]]]  # type, name, table, what it holds
# SQLite's own objects: the prefix, not LIKE 'sqlite_%' (whose '_' matches any character).
_OURS = "substr(name, 1, 7) != 'sqlite_'"
_KEYWORDS = re.compile(r"\b(CHECK|COLLATE|GENERATED|WITHOUT\s+ROWID|STRICT)\b", re.I)
_HEADER = b"SQLite format 3\x00"


def read_only_uri(path: Path, *, closed: bool = False) -> str:
    """A URI that opens `path` read-only whatever characters its name holds
    ('#' and '?' would otherwise end the file name). `closed`: a file nobody
    writes (a backup), read as it is — SQLite then leaves no -wal or -shm beside it;
    unless it has a write-ahead log beside it, whose pages count too."""
    immutable = closed and not path.with_name(path.name + "-wal").exists()
    return f"file:{pathname2url(str(path.resolve()))}?mode=ro" + ("&immutable=1" if immutable
                                                                   else "")


def shape(db: sqlite3.Connection) -> Shape:
    """Every schema object (SQLite's own aside) with what decides how it behaves: a
    table's columns (type, NOT NULL, default, key), foreign keys and constraint
    keywords; an index's uniqueness, condition and columns. The same names with
    another meaning (a UNIQUE index, a CHECK) are another shape."""
    out: set[tuple[str, str, str, tuple[Any, ...]]] = set()
    for kind, name, table, sql in db.execute(
            f"SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master WHERE {_OURS}"):
        detail: tuple[Any, ...] = ()
        if kind == "table":
            columns = tuple(sorted((str(r[1]), str(r[2]).upper(), int(r[3]), r[4], int(r[5]),
                                    int(r[6])) for r in db.execute(
                "SELECT * FROM pragma_table_xinfo(?)", (name,))))
            keys = tuple(sorted((str(r[2]), str(r[3]), str(r[4]), str(r[5]), str(r[6]))
                                for r in db.execute(
                "SELECT * FROM pragma_foreign_key_list(?)", (name,))))
            words = tuple(sorted(w.upper().split()[0] for w in _KEYWORDS.findall(str(sql))))
            detail = (columns, keys, words)
        elif kind == "index":
            listed = {str(r[1]): (int(r[2]), str(r[3]), int(r[4])) for r in db.execute(
                "SELECT * FROM pragma_index_list(?)", (table,))}
            cols = tuple(str(r[2]) for r in db.execute(
                "SELECT * FROM pragma_index_info(?)", (name,)))
            detail = (listed.get(str(name), ()), cols)
        out.add((str(kind), str(name), str(table), detail))
    return frozenset(out)


@dataclass(frozen=True)
class Survey:
    """A database file as read. `sqlite_file`: it starts with SQLite's header;
    `problems`: what SQLite's quick check said (["ok"] when sound); `objects`: its
    shape; `revisions`: the rows of its alembic_version table (none without one)."""

    sqlite_file: bool
    problems: tuple[str, ...] = ()
    objects: Shape = frozenset()
    revisions: tuple[str, ...] = ()


def survey(path: Path) -> Survey:
    """Read `path` as it is now (the quick check reads every page: ~40 ms for 35 MB).
    Raises OSError when the file cannot be read, sqlite3.DatabaseError when SQLite
    cannot read it as a database."""
    found, db, _version = _read(path)
    if db is not None:
        db.close()
    return found


def _read(path: Path) -> tuple[Survey, sqlite3.Connection | None, int]:
    """The survey, the read-only connection that made it (left open: see
    surveyed()) and SQLite's data_version on it before anything was read."""
    with path.open("rb") as fh:
        if fh.read(16) != _HEADER:
            return Survey(sqlite_file=False), None, 0
    db = sqlite3.connect(read_only_uri(path), uri=True, check_same_thread=False)
    try:
        version = int(db.execute("PRAGMA data_version").fetchone()[0])
        problems = tuple(str(r[0]) for r in db.execute("PRAGMA quick_check(5)"))
        if problems != ("ok",):
            return Survey(sqlite_file=True, problems=problems), db, version
        objects = shape(db)
        revisions = tuple(str(r[0]) for r in db.execute(
            "SELECT version_num FROM alembic_version")) \
            if ("table", "alembic_version", "alembic_version") in {o[:3] for o in objects} \
            else ()
    except BaseException:
        db.close()
        raise
    return (Survey(sqlite_file=True, problems=problems, objects=objects, revisions=revisions),
            db, version)


# ------------------------------------------------------------ read ahead

@dataclass
class _Ahead:
    stamp: tuple[Any, ...]
    thread: threading.Thread
    outcome: list[tuple[Survey, sqlite3.Connection | None, int] | BaseException]


_ahead: dict[Path, _Ahead] = {}
_ahead_lock = threading.Lock()


def _stamp(path: Path) -> tuple[Any, ...]:
    """What tells that the file was replaced (a restore renames another over it):
    its and its write-ahead log's inode, size and time. An empty log is no log
    (opening the file, even read-only, may leave one)."""
    out: list[Any] = []
    for part in (path, path.with_name(path.name + "-wal")):
        try:
            st = part.stat()
        except OSError:
            out.append(None)
        else:
            out.append((st.st_size, st.st_mtime_ns, st.st_ino) if st.st_size else None)
    return tuple(out)


def read_ahead(path: Path) -> threading.Thread | None:
    """Begin surveying `path` on a thread of its own (returned; None for a file
    that is missing or empty: a new practice). surveyed(path) takes the result if
    nothing wrote or replaced the file since."""
    try:
        if path.stat().st_size == 0:
            return None
    except OSError:
        return None
    outcome: list[tuple[Survey, sqlite3.Connection | None, int] | BaseException] = []

    def work() -> None:
        try:
            outcome.append(_read(path))
        except BaseException as exc:  # raised again by surveyed(), on its caller's thread
            outcome.append(exc)

    stamp = _stamp(path)  # before reading: a file replaced during the survey changes it
    thread = threading.Thread(target=work, name="survey-database", daemon=True)
    with _ahead_lock:
        _ahead[path] = _Ahead(stamp, thread, outcome)
    thread.start()
    return thread


def surveyed(path: Path) -> Survey:
    """The survey of `path`: the one read ahead when it still holds, otherwise read
    now. It holds when no connection has committed to the file since (SQLite's
    data_version on the connection that read it, which sees every other
    connection's commits: https://www.sqlite.org/pragma.html#pragma_data_version)
    and the file was not replaced. Raises as survey() does."""
    with _ahead_lock:
        ahead = _ahead.pop(path, None)
    if ahead is not None:
        ahead.thread.join()
        if ahead.outcome:
            read = ahead.outcome[0]
            if isinstance(read, BaseException):
                if ahead.stamp == _stamp(path):
                    raise read
            else:
                found, db, version = read
                try:
                    same = db is None or int(
                        db.execute("PRAGMA data_version").fetchone()[0]) == version
                except sqlite3.Error:
                    same = False
                finally:
                    if db is not None:
                        db.close()
                if same and ahead.stamp == _stamp(path):
                    return found
    return survey(path)
