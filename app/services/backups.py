"""Copies of the practice's database: on request, once a day automatically (the
last 14 kept), and restoring one. Every copy uses SQLite's online backup, so it
is consistent while the window or the worker is writing. A restore checks the
file first and keeps the current database aside before replacing it."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlmodel import Session

from app.i18n import _
from app.services import link_notices, migrate, schema_check, settings
from app.services.database import copy_database, make_engine, server_error
from app.services.errors import InvalidInput
from app.services.events import Change
from app.services.paths import DataPaths
from app.services.practice import Practice
from app.services.storage import change_feed, copying, engines

log = logging.getLogger(__name__)

KEEP_DAILY = 14
class CopyKind(StrEnum):
    DAILY = "daily"  # the worker's automatic copy
    MANUAL = "manual"  # "Back up now", or `practice backup` into the folder
    BEFORE_RESTORE = "before-restore"  # the database as it was before a restore
    BEFORE_UPGRADE = "before-upgrade"  # the database as it was before a schema upgrade
    DAMAGED = "damaged"  # a database found damaged at start-up, set aside for a copy
    # (migrate.py names its copies "before-upgrade-…" itself: it cannot import this module)


DAILY_PREFIX = f"{CopyKind.DAILY}-"


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    sessions: int
    clients: int

    def as_json(self) -> dict[str, object]:
        return {"path": str(self.path), "size": self.size, "sessions": self.sessions,
                "clients": self.clients}


def _stamp(p: Practice) -> datetime:
    return p.clock.now().astimezone(ZoneInfo(settings.get(p).timezone))


def backup(p: Practice, target: str | Path) -> BackupInfo:
    """A copy of the database at `target` (a folder gets a dated file name)."""
    path = Path(target).expanduser()
    if path.is_dir():
        path = path / f"practice-{_stamp(p):%Y-%m-%d-%H%M}.sqlite3"
    if path.resolve() == p.paths.database.resolve():
        raise InvalidInput(_("A backup cannot be written over the database itself."))
    # Named for this writer: the window and `practice worker` may both copy at once.
    partial = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        if p.db.on_server:  # one snapshot of the server, into a file like any other
            try:
                copying.server_to_file(p.db.engine, partial)
            except DBAPIError as exc:  # the server away mid-copy: said, nothing kept
                raise server_error(exc, p.db.where) from None
        else:
            _copy_out(p.paths.database, partial)
        partial.replace(path)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):  # tidying up must not hide why it failed
            partial.unlink(missing_ok=True)
        raise InvalidInput(_("{path} cannot be written: {problem}").format(
            path=path, problem=getattr(exc, "strerror", None) or exc)) from None
    return inspect_file(path)


def daily(p: Practice) -> Path | None:
    """Today's automatic copy, made once a day; only the last KEEP_DAILY stay."""
    folder = p.paths.backups
    folder.mkdir(parents=True, exist_ok=True)
    today = folder / f"{DAILY_PREFIX}{_stamp(p):%Y-%m-%d}.sqlite3"
    made = None
    if not today.exists():
        made = backup(p, today).path
        log.info("daily backup written to %s", made)
    for old in sorted(folder.glob(f"{DAILY_PREFIX}*.sqlite3"))[:-KEEP_DAILY]:
        old.unlink(missing_ok=True)
    return made


def list_daily(p: Practice) -> list[Path]:
    return sorted(p.paths.backups.glob(f"{DAILY_PREFIX}*.sqlite3"), reverse=True)


@dataclass(frozen=True)
class Copy:
    """A copy in the data folder's backups, as the Backups tab lists it."""
    path: Path
    kind: CopyKind
    taken: datetime  # when it was written (the file's time, UTC)
    size: int


def _kind(name: str) -> CopyKind:
    for kind in (CopyKind.DAILY, CopyKind.BEFORE_RESTORE, CopyKind.BEFORE_UPGRADE,
                 CopyKind.DAMAGED):
        if name.startswith(f"{kind}-"):
            return kind
    return CopyKind.MANUAL


def taken(path: Path) -> datetime:
    """When a copy was written: its file's time, in UTC."""
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def copies(p: Practice) -> list[Copy]:
    """Every finished copy in the backups folder, newest first (a copy still being
    written has a .part name and is not listed)."""
    return copies_in(p.paths.backups)


def copies_in(folder: Path) -> list[Copy]:
    """`copies` for a data folder whose database cannot be opened."""
    found = []
    for path in folder.glob("*.sqlite3"):
        try:
            found.append(Copy(path, _kind(path.name), taken(path), path.stat().st_size))
        except OSError:  # pruned between listing and reading: not there any more
            continue
    return sorted(found, key=lambda c: (c.taken, c.path.name), reverse=True)


def inspect_file(path: Path) -> BackupInfo:
    """What a backup holds, once it has proved to be a sound Practice Desk database
    (schema_check.check); raises InvalidInput with one sentence otherwise."""
    if not path.is_file():
        raise InvalidInput(_("There is no file {path}.").format(path=path))
    schema_check.check(path)
    try:
        db = sqlite3.connect(schema_check.read_only_uri(path, closed=True), uri=True)
        try:
            sessions = db.execute("SELECT count(*) FROM appointment").fetchone()[0]
            clients = db.execute("SELECT count(*) FROM client").fetchone()[0]
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(_("{path} is damaged ({problem}); nothing was changed.").format(
            path=path, problem=exc)) from None
    return BackupInfo(path, path.stat().st_size, int(sessions), int(clients))


def restore(p: Practice, source: str | Path) -> tuple[BackupInfo, Path]:
    """Replace the practice's data with a backup. Returns what was restored and
    where the database as it was has been kept.

    The file is copied beside the database and proved there — sound, exactly one of
    our schemas, upgraded to this version's — and only then copied in, in one
    transaction of SQLite's backup API (other connections see the old data or the
    new). Ids stay above every id the current database handed out, so a link or a
    message made after the backup never names a session booked after the restore.
    Raises InvalidInput; on any refusal or failure the current database is left
    exactly as it was."""
    src = Path(source).expanduser()
    info = inspect_file(src)
    try:
        if p.db.on_server:
            aside = _restore_on_server(p, src)
        else:
            with _proved(src, p.paths, p.clock.now(), current_readable=True,
                         live=p.paths.database) as staged:
                aside = _aside(p)
                _copy_out(p.paths.database, aside)
                p.db.dispose()
                copy_database(staged, p.paths.database)
    except (OSError, sqlite3.Error, SQLAlchemyError, RuntimeError) as exc:
        log.warning("restore from %s failed: %r", src, exc)
        raise InvalidInput(_("{path} could not be restored ({problem}); nothing was "
                             "changed.").format(path=src, problem=exc)) from None
    log.info("database restored from %s; the previous one is kept at %s", src, aside)
    with p.db.write() as s:  # every other window, process and computer reloads
        change_feed.note_everything(s)
    p.bus.publish(Change.of(settings=True, appointments=[-1], clients=[-1]))
    return info, aside


def _restore_on_server(p: Practice, src: Path) -> Path:
    """`restore` on the practice's server: in one transaction holding the
    practice's write lock (every other computer's change waits), the data as it
    is goes aside into this computer's backups, the backup is proved against it
    as against a local file, then replaces every row; the transaction commits
    only when all of it read back right."""
    aside = _aside(p)
    with engines.writer(p.db.engine).connect() as conn, conn.begin():
        copying.snapshot_to_file(conn, aside)
        with _proved(src, p.paths, p.clock.now(), current_readable=True,
                     live=aside) as staged:
            copying.rows_from_file(staged, conn, replace=True)
    return aside


def _copy_out(source: Path, target: Path) -> None:
    """A copy that stands alone: one file, in rollback-journal mode, so opening it
    later (a check, a USB stick) leaves no -wal or -shm beside it."""
    copy_database(source, target)
    db = sqlite3.connect(target)
    try:
        db.execute("PRAGMA journal_mode=DELETE")
    finally:
        db.close()


@contextlib.contextmanager
def _proved(source: Path, paths: DataPaths, now: datetime, *,
            current_readable: bool, live: Path) -> Iterator[Path]:
    """A copy of `source` beside the data, proved and made ready to take the data's
    place: sound and exactly one of our schemas, upgraded to this version's, its id
    counters raised to what the current database handed out, and the relay's notes
    queued for every session still to come ('gone' for those the current data has
    and the copy has not). `current_readable`: False for a damaged database, whose
    ids and sessions are read as far as they can be. Removed when the block ends."""
    staged = paths.root / f".restore-{uuid.uuid4().hex[:12]}.sqlite3"
    try:
        copy_database(source, staged)
        schema_check.check(staged, label=str(source))  # the copy, as it will be used
        engine = make_engine(staged)
        try:
            migrate.upgrade(engine, staged, paths.backups, keep_copy=False)
        finally:
            engine.dispose()
        try:  # after the upgrade: before 0007 the tables have no counters to raise
            _carry_id_floors(live, staged)
            vanished = _vanished(live, staged, now)
            sent_since = _outbox_outcomes(live)
        except sqlite3.DatabaseError as exc:
            if current_readable:
                raise
            log.warning("the damaged database's ids could not be read (%s)", exc)
            vanished, sent_since = [], None
            # The next best floors: every readable copy kept of this practice.
            for kept in sorted(paths.backups.glob("*.sqlite3")):
                with contextlib.suppress(sqlite3.DatabaseError, OSError):
                    _carry_id_floors(kept, staged)
        _settle_outbox(staged, sent_since, now)
        engine = make_engine(staged)
        try:
            with Session(engine) as s, s.begin():
                link_notices.resync(s, now, vanished)
        finally:
            engine.dispose()
        schema_check.check(staged, label=str(source))
        yield staged
    finally:
        for leftover in (staged, *(staged.with_name(staged.name + x) for x in ("-wal", "-shm"))):
            with contextlib.suppress(OSError):
                leftover.unlink(missing_ok=True)


def _vanished(live: Path, staged: Path, now: datetime) -> list[int]:
    """Sessions still to come in the current data that the restored data lacks."""
    stamp = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    ids: list[set[int]] = []
    for path in (live, staged):
        db = sqlite3.connect(schema_check.read_only_uri(path), uri=True)
        try:
            ids.append({int(r[0]) for r in db.execute(
                "SELECT id FROM appointment WHERE start > ?", (stamp,))})
        finally:
            db.close()
    return sorted(ids[0] - ids[1])


# (state, provider id, sent at, attempts, last error) of each outbox row, by key
Outcomes = dict[str, tuple[str, str | None, str | None, int, str | None]]
WAITING = ("pending", "sending")


def _outbox_outcomes(live: Path) -> Outcomes | None:
    """What became of each message in the current data; None when there is none."""
    if not live.exists():
        return None
    db = sqlite3.connect(schema_check.read_only_uri(live), uri=True)
    try:
        return {str(r[0]): (str(r[1]), r[2], r[3], int(r[4] or 0), r[5]) for r in db.execute(
            "SELECT idempotency_key, state, provider_message_id, sent_at, attempts, "
            "last_error FROM outbox")}
    finally:
        db.close()


def _settle_outbox(staged: Path, live: Outcomes | None, now: datetime) -> None:
    """A restored copy must not send again what went out after it was made: each of
    its waiting messages takes the fate the current data knew (sent, failed, given
    up...); one whose fate cannot be known (a damaged database, a message the
    current data lacks) and that fell due since is `unknown`, for a person.
    Messages still to come stay waiting."""
    stamp = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    lost = _("Restored from a copy made before this message's fate was known, so it may "
             "or may not have been sent. Check with the client, then resend it or mark it "
             "as sent.")
    db = sqlite3.connect(staged)
    try:
        with db:
            rows = db.execute("SELECT id, idempotency_key, due_at, conversation_entry_id "
                              "FROM outbox WHERE state IN (?, ?)", WAITING).fetchall()
            for message_id, key, due_at, entry_id in rows:
                known = live.get(key) if live is not None else None
                if known is not None and known[0] == "pending":
                    continue  # waiting there too: it goes when due, once
                if known is None and str(due_at) > stamp:
                    continue  # still to come: nothing can have sent it
                state, provider_id, sent_at, attempts, error = known or \
                    ("unknown", None, None, 0, lost)
                if state == "sending":  # it was going out when the copy was replaced
                    state, error = "unknown", lost
                db.execute("UPDATE outbox SET state = ?, provider_message_id = ?, "
                           "sent_at = ?, attempts = max(attempts, ?), last_error = ?, "
                           "updated_at = ? WHERE id = ?",
                           (state, provider_id, sent_at, attempts, error, stamp, message_id))
                db.execute("INSERT INTO delivery_attempt (message_id, at, outcome, detail) "
                           "VALUES (?, ?, 'restored', ?)", (message_id, stamp, error or state))
                if entry_id is not None:
                    entry_state = {"sent": "sent", "failed": "failed"}.get(state, "queued")
                    db.execute("UPDATE conversation_entry SET state = ?, provider_id = "
                               "coalesce(?, provider_id), error = ? WHERE id = ?",
                               (entry_state, provider_id,
                                None if state == "sent" else error, entry_id))
    finally:
        db.close()


def _aside(p: Practice) -> Path:
    """A new name for the database as it was: two restores in one second keep both."""
    stem = f"{CopyKind.BEFORE_RESTORE}-{_stamp(p):%Y-%m-%d-%H%M%S}"
    path, n = p.paths.backups / f"{stem}.sqlite3", 1
    while path.exists():
        n += 1
        path = p.paths.backups / f"{stem}-{n}.sqlite3"
    return path


def _carry_id_floors(live: Path, staged: Path) -> None:
    """Raise the staged file's id counters (sqlite_sequence) to at least what the
    current database reached, table by table."""
    floors: dict[str, int] = {}
    if live.exists():
        current = sqlite3.connect(schema_check.read_only_uri(live), uri=True)
        try:
            tables = {r[0] for r in current.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "sqlite_sequence" in tables:
                floors.update((str(n), int(v)) for n, v in current.execute(
                    "SELECT name, seq FROM sqlite_sequence"))
            for table in tables - {"sqlite_sequence", "relay_event", "alembic_version"}:
                columns = {r[1] for r in current.execute(
                    "SELECT * FROM pragma_table_info(?)", (table,))}
                if "id" in columns:
                    top = current.execute(f'SELECT max(id) FROM "{table}"').fetchone()[0]
                    floors[table] = max(floors.get(table, 0), int(top or 0))
        finally:
            current.close()
    db = sqlite3.connect(staged)
    try:
        with db:
            counted = {r[0] for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE "
                "'%AUTOINCREMENT%'")}
            for table in sorted(counted & floors.keys()):
                seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name = ?",
                                 (table,)).fetchone()
                if seq is None:
                    db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                               (table, floors[table]))
                elif int(seq[0]) < floors[table]:
                    db.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = ?",
                               (floors[table], table))
    finally:
        db.close()


def replace_damaged(paths: DataPaths, source: Path, now: datetime | None = None) -> Path:
    """Put a copy in place of a database that could not be opened (damaged, or not
    ours): the copy proves itself first, the damaged file and its journal are kept
    in the backups folder, never deleted. Returns where the damaged file went.
    Raises InvalidInput (nothing moved) when the copy is not sound."""
    source = Path(source).expanduser()
    schema_check.check(source)
    # Named in local time, as the other copies are.
    stamp = (now or datetime.now(UTC)).astimezone().strftime("%Y-%m-%d-%H%M%S")
    kept, n = paths.backups / f"{CopyKind.DAMAGED}-{stamp}.sqlite3", 1
    while kept.exists():
        n += 1
        kept = paths.backups / f"{CopyKind.DAMAGED}-{stamp}-{n}.sqlite3"
    try:
        with _proved(source, paths, now or datetime.now(UTC), current_readable=False,
                     live=paths.database) as staged:
            paths.backups.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                part = paths.database.with_name(paths.database.name + suffix)
                if part.exists():
                    part.replace(kept.with_name(kept.name + suffix))
            staged.replace(paths.database)
    except (OSError, sqlite3.Error, SQLAlchemyError, RuntimeError) as exc:
        raise InvalidInput(_("{path} could not be restored ({problem}); nothing was "
                             "changed.").format(path=source, problem=exc)) from None
    log.warning("the damaged database was kept as %s and replaced by %s", kept, source)
    return kept
