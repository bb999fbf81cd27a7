"""Whether a database file is exactly one of ours: sound, at a revision this
version knows, with the tables, indexes and columns that revision has and
nothing else (no table, view or trigger someone added). Used for a backup about
to be restored and for the database found at start-up."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from app.i18n import _
from app.services import migrate
from app.services.db_survey import Shape, shape, surveyed
from app.services.db_survey import read_only_uri as read_only_uri
from app.services.errors import InvalidInput

HEAD_SHAPE = Path(__file__).with_name("schema_head.json")  # reference(HEAD), shipped


def _frozen(value: Any) -> Any:
    """JSON's lists back into the tuples a shape holds."""
    return tuple(_frozen(v) for v in value) if isinstance(value, list) else value


def write_head() -> None:
    """Rewrite schema_head.json after a migration (a test says when it is due)."""
    items = ",\n".join(json.dumps(item) for item in sorted(_build(migrate.HEAD), key=repr))
    HEAD_SHAPE.write_text(f'{{"revision": "{migrate.HEAD}", "shape": [\n{items}\n]}}\n',
                          encoding="utf-8")


@cache
def reference(revision: str) -> Shape:
    """The shape our migrations give a new database at `revision`. This version's
    own is read from schema_head.json (no Alembic at start-up)."""
    if revision == migrate.HEAD and HEAD_SHAPE.exists():
        data = json.loads(HEAD_SHAPE.read_text(encoding="utf-8"))
        if data.get("revision") == revision:
            return frozenset(_frozen(item) for item in data["shape"])
    return _build(revision)


def _build(revision: str) -> Shape:
    from alembic import command

    from app.services.database import make_engine

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reference.sqlite3"
        engine = make_engine(path)
        try:
            cfg = migrate.alembic_config()
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
        finally:
            engine.dispose()
        db = sqlite3.connect(path)
        try:
            return shape(db)
        finally:
            db.close()


def check(path: Path, label: str | None = None) -> str:
    """The file's schema revision, once it has proved sound and exactly ours.
    Raises InvalidInput with one sentence naming `label` (default: the path)."""
    name = label or str(path)
    try:
        with path.open("rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise InvalidInput(_("{path} is not a Practice Desk database; nothing was "
                                     "changed.").format(path=name))
    except OSError as exc:
        raise InvalidInput(_("{path} cannot be read: {problem}").format(
            path=name, problem=exc.strerror or exc)) from None
    try:
        db = sqlite3.connect(read_only_uri(path, closed=True), uri=True)
        try:
            problems = [r[0] for r in db.execute("PRAGMA integrity_check(5)")]
            if problems != ["ok"]:
                raise InvalidInput(_("{path} is damaged ({problem}); nothing was changed.")
                                   .format(path=name, problem="; ".join(problems)))
            found = shape(db)
            has_version = any(k == "table" and n == "alembic_version" for k, n, _t, _c in found)
            rows = db.execute("SELECT version_num FROM alembic_version").fetchall() \
                if has_version else []
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(_("{path} is damaged ({problem}); nothing was changed.").format(
            path=name, problem=exc)) from None
    if len(rows) != 1:
        raise InvalidInput(_("{path} is not a Practice Desk database (it names no schema "
                             "version); nothing was changed.").format(path=name))
    revision = str(rows[0][0])
    if not migrate.known(revision):
        raise InvalidInput(_("{path} was written by a newer version of Practice Desk; "
                             "nothing was changed.").format(path=name))
    expected = reference(revision)
    if found != expected:
        extra = sorted(f"{k} {n}" for k, n, _t, _c in found - expected)
        missing = sorted(f"{k} {n}" for k, n, _t, _c in expected - found)
        detail = ", ".join([*(f"+{x}" for x in extra), *(f"-{x}" for x in missing)][:6])
        raise InvalidInput(_("{path} is not a Practice Desk database as this version wrote "
                             "it ({detail}); nothing was changed.").format(
            path=name, detail=detail))
    return revision


def stored_language(path: Path) -> str | None:
    """The language the practice chose, read from a database that may be damaged
    (the recovery window speaks it); None when it cannot be read."""
    return _stored_setting(path, "language")


def stored_timezone(path: Path) -> str | None:
    """The practice's time zone (a tz database name), read from a database that may
    be damaged (the recovery window shows its copies' times in it, as the
    settings' backups list does); None when it cannot be read."""
    return _stored_setting(path, "timezone")


def _stored_setting(path: Path, column: str) -> str | None:
    try:
        db = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            row = db.execute(f"SELECT {column} FROM practice_settings LIMIT 1").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return str(row[0]) if row and row[0] else None


def check_found(path: Path) -> None:
    """The database found in the data folder at start-up: sound (a quick check)
    and holding only what our schema does — no table, view or trigger someone
    added. A database at this version's revision is compared by name without
    starting Alembic; an older one gets the whole check before it is upgraded; a
    newer one is left to the upgrade, which refuses it. The file is read by
    db_survey (the window's start reads it ahead). Raises InvalidInput."""
    if not path.exists() or path.stat().st_size == 0:
        return  # a new practice
    try:
        found = surveyed(path)
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(_("{path} is damaged ({problem}).").format(
            path=path, problem=exc)) from None
    if not found.sqlite_file:
        raise InvalidInput(_("{path} is not a Practice Desk database.").format(path=path))
    if found.problems != ("ok",):
        raise InvalidInput(_("{path} is damaged ({problem}).").format(
            path=path, problem="; ".join(found.problems)))
    objects = found.objects
    names = {(k, n) for k, n, _t, _d in objects}
    if not names:
        return  # created, nothing in it yet
    if len(found.revisions) != 1:
        raise InvalidInput(_("{path} is not a Practice Desk database (it names no schema "
                             "version).").format(path=path))
    revision = found.revisions[0]
    if revision == migrate.HEAD:
        expected = reference(revision)
        extra = sorted(f"{k} {n}" for k, n, _t, _d in objects - expected)
        missing = sorted(f"{k} {n}" for k, n, _t, _d in expected - objects
                         if (k, n) not in names)
        if extra:
            raise InvalidInput(_("{path} holds something Practice Desk did not put there "
                                 "({detail}).").format(path=path, detail=", ".join(extra[:5])))
        if missing:
            raise InvalidInput(_("{path} lacks parts of a Practice Desk database ({detail}).")
                               .format(path=path, detail=", ".join(missing[:5])))
    elif migrate.known(revision):
        check(path)


if __name__ == "__main__":
    write_head()
