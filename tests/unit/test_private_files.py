"""Health data at rest is its owner's only: the data folder and everything the app
creates in it are 0700/0600 whatever the umask, exports saved elsewhere are 0600,
and a folder left open to others is tightened at start-up and said in the log."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services import backups, client_data, exports, scheduling
from app.services.clock import FrozenClock
from app.services.practice import open_practice
from app.services.scheduling import BookingRequest
from app.services.storage.sender import SenderLock
from tests.conftest import NOW, add_client, add_service, local

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes")


@pytest.fixture(autouse=True)
def _loose_umask() -> Iterator[None]:
    before = os.umask(0o022)  # as most desktops have it: files 0644, folders 0755
    yield
    os.umask(before)


@pytest.fixture
def _log_released() -> Iterator[None]:
    root = logging.getLogger()
    handlers = list(root.handlers)
    yield
    for handler in set(root.handlers) - set(handlers):
        root.removeHandler(handler)
        handler.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_everything_the_app_writes_is_its_owners_only(tmp_path: Path,
                                                      _log_released: None) -> None:
    root, elsewhere = tmp_path / "data", tmp_path / "Documents"
    elsewhere.mkdir()
    p = open_practice(root, clock=FrozenClock(NOW), actor="t", logging_on=True)
    try:
        client = add_client(p)
        scheduling.book(p, BookingRequest(client_id=client, start=local("2026-11-23T10:00"),
                                          service_id=add_service(p)))
        backups.backup(p, p.paths.backups)
        backups.backup(p, elsewhere / "copia.sqlite3")
        for fmt in exports.Format:
            exports.write(p, fmt, elsewhere / f"agenda.{fmt.value}",
                          exports.sessions(p, local("2026-11-01T00:00").date(),
                                           local("2026-11-30T00:00").date()))
        client_data.write_export(p, client, elsewhere / "maria.json")
        logging.getLogger("test").warning("a line in the log")
        sender = SenderLock(p.db, p.paths.root, "recepcao")  # as the worker takes it
        assert sender.hold() and (p.paths.root / "sender.lock").exists()
        sender.release()
        live = [f for f in root.rglob("*") if f.is_file()]  # -wal and -shm while open
        assert any(f.name.endswith("-wal") for f in live)
        assert [(f.name, oct(mode(f))) for f in live if mode(f) != 0o600] == []
    finally:
        p.close()
    made = sorted(root.rglob("*"))
    assert {f.name for f in made} >= {"practice.sqlite3", "logs", "practice.log", "backups"}
    assert [(f, oct(mode(f))) for f in [root, *made] if f.is_dir() and mode(f) != 0o700] == []
    assert [(f, oct(mode(f))) for f in made if f.is_file() and mode(f) != 0o600] == []
    saved = sorted(elsewhere.iterdir())
    assert len(saved) == 5 and all(mode(f) == 0o600 for f in saved), [
        (f.name, oct(mode(f))) for f in saved]


def test_a_data_folder_open_to_others_is_tightened_and_said_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "data"
    open_practice(root, logging_on=False).close()
    root.chmod(0o755)
    (root / "practice.sqlite3").chmod(0o644)
    with caplog.at_level(logging.WARNING):
        open_practice(root, logging_on=False).close()
        open_practice(root, logging_on=False).close()
    assert (oct(mode(root)), oct(mode(root / "practice.sqlite3"))) == ("0o700", "0o600")
    said = [r.getMessage() for r in caplog.records if "other accounts" in r.getMessage()]
    assert said == [f"{root} could be read by other accounts on this computer; it is now "
                    "the owner's only"]


def test_the_log_shows_control_characters_instead_of_keeping_them(tmp_path: Path) -> None:
    """An exception can quote what a stranger wrote; the log is read in terminals."""
    import logging

    from app.services.logs import setup_logging

    path = setup_logging(tmp_path / "logs")
    try:
        logging.getLogger("practice.test").error("Refused %r and %s", "x", "Ana\x1b[2J\u202e\x07")
        for handler in logging.getLogger().handlers:
            handler.flush()
        written = path.read_bytes()
        assert b"\x1b" not in written and "\u202e".encode() not in written
        assert b"Ana\\x1b[2J\\u202e\\x07" in written
    finally:
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "baseFilename", None) == str(path):
                logging.getLogger().removeHandler(handler)
                handler.close()


def test_a_plain_text_keyring_is_never_picked_for_us(monkeypatch: pytest.MonkeyPatch) -> None:
    """keyrings.alt keeps secrets in a readable file: keyring picks it when nothing
    better is installed; the app refuses it unless it was chosen on purpose."""
    import keyring

    from app.services import secrets

    backend = keyring.get_keyring()
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    with pytest.raises(secrets.SecretsUnavailable, match="No system keyring"):
        secrets.store("relay.api_key", "a-secret-that-must-not-be-written")
    kept = Path(backend.file_path)
    assert not kept.exists() or "a-secret" not in kept.read_text()
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    secrets.store("relay.api_key", "chosen-on-purpose")  # the tests' own choice
    assert secrets.load("relay.api_key") == "chosen-on-purpose"


def test_the_scheduler_writes_only_its_warnings(tmp_path: Path) -> None:
    """A day of the window open wrote a line every half minute ("job executed")."""
    import logging

    from app.services.logs import setup_logging

    path = setup_logging(tmp_path / "logs")
    try:
        logging.getLogger("apscheduler.executors.default").info("Job executed successfully")
        logging.getLogger("apscheduler.scheduler").warning("Run time of job was missed")
        logging.getLogger("practice.test").info("window open")
        for handler in logging.getLogger().handlers:
            handler.flush()
        written = path.read_text(encoding="utf-8")
        assert "missed" in written and "window open" in written
        assert "executed" not in written
    finally:
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "baseFilename", None) == str(path):
                logging.getLogger().removeHandler(handler)
                handler.close()
