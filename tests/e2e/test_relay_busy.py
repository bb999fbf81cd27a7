"""The relay when many clients tap at once: every answer lands once, on SQLite
(write-ahead log, writers taking turns, relay.store) and PostgreSQL alike; what
the desktop takes is on the disk before it takes it."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from relay.practices import PracticeBook
from relay.store import Store
from relay.tokens import mint
from tests.fakes.postgres import PostgresCluster
from tests.fakes.relay_server import API_KEY, LINK_SECRET, RelayServer

AUTH = {"Authorization": f"Bearer {API_KEY}"}
ENGLISH = {"Accept-Language": "en"}
MANY = 10_000  # requests a minute from the tests' one address


@pytest.fixture(scope="module")
def relay_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def relay(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RelayServer]:
    if request.param == "sqlite":
        with RelayServer(tmp_path, per_ip_per_minute=MANY) as server:
            yield server
        return
    cluster: PostgresCluster = request.getfixturevalue("relay_cluster")
    with RelayServer(tmp_path, database_url=cluster.new_database(),
                     per_ip_per_minute=MANY) as server:
        yield server


def link(appointment_id: int) -> str:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    return mint(LINK_SECRET.encode(), appointment_id, start)


def all_events(url: str) -> list[dict]:
    found: list[dict] = []
    after = 0
    while True:
        r = requests.get(f"{url}/api/v1/events", params={"after": after}, headers=AUTH,
                         timeout=30)
        r.raise_for_status()
        page = r.json()["events"]
        if not page:
            return found
        found += page
        after = page[-1]["id"]


def together(work: Callable[[int], None], count: int) -> None:
    """Runs work(0) … work(count - 1) in threads started at the same moment."""
    start = threading.Barrier(count)

    def run(n: int) -> None:
        start.wait()
        work(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_many_clients_confirming_at_once_each_land_once(relay: RelayServer) -> None:
    """Eight phones at once, each confirming its own sessions, and all eight
    tapping one shared session too: every session confirmed once, one event each,
    the shared one's first tap "confirmed" and the others "already confirmed"."""
    shared = 900
    # One link for all eight: links minted a second apart name another start, which
    # the relay rightly takes for another session.
    shared_link = link(shared)
    headlines: dict[int, list[str]] = {}
    shared_heard: list[str] = []

    def phone(n: int) -> None:
        with requests.Session() as http:
            for session in range(n * 25 + 1, n * 25 + 26):
                r = http.post(f"{relay.url}/c/{link(session)}", data={"action": "confirm"},
                              headers=ENGLISH, timeout=30)
                headlines.setdefault(r.status_code, []).append(r.text)
                if session == n * 25 + 12:
                    tap = http.post(f"{relay.url}/c/{shared_link}",
                                    data={"action": "confirm"}, headers=ENGLISH, timeout=30)
                    assert tap.status_code == 200
                    shared_heard.append("already" if "already confirmed" in tap.text
                                        else "first")

    together(phone, 8)
    assert list(headlines) == [200] and len(headlines[200]) == 200
    assert all("Your session is confirmed" in text for text in headlines[200])
    assert sorted(shared_heard) == ["already"] * 7 + ["first"]
    got = all_events(relay.url)
    assert sorted(e["appointment_id"] for e in got) == [*range(1, 201), shared]
    assert {e["kind"] for e in got} == {"confirmed"}
    assert len({e["id"] for e in got}) == 201


def test_two_relays_on_one_sqlite_file_take_every_answer(tmp_path: Path) -> None:
    """Two relay processes sharing the database (each with its own connections
    and its own turn-taking): the answers sent to either all land, once."""
    with RelayServer(tmp_path, per_ip_per_minute=MANY) as one, \
            RelayServer(tmp_path, per_ip_per_minute=MANY) as other:
        assert one.db_file == other.db_file

        def phone(n: int) -> None:
            url = (one, other)[n % 2].url
            with requests.Session() as http:
                for session in range(n * 30 + 1, n * 30 + 31):
                    r = http.post(f"{url}/c/{link(session)}", data={"action": "confirm"},
                                  headers=ENGLISH, timeout=30)
                    assert r.status_code == 200 and "Your session is confirmed" in r.text

        together(phone, 6)
        seen = all_events(other.url)
        assert sorted(e["appointment_id"] for e in seen) == list(range(1, 181))
        assert all_events(one.url) == seen


def test_the_relay_keeps_a_write_ahead_log(tmp_path: Path) -> None:
    """SQLite in WAL mode (a reader never waits for a confirm being written),
    committing with synchronous=NORMAL on every connection the relay opens."""
    with RelayServer(tmp_path) as relay:
        requests.post(f"{relay.url}/c/{link(5)}", data={"action": "confirm"}, timeout=10)
        assert relay.db_file.with_name("relay.sqlite3-wal").exists()
        outside = sqlite3.connect(relay.db_file)
        try:
            assert outside.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        finally:
            outside.close()
        store = Store(relay.settings.database_url)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert store.outcome("default", 5) == "confirm"


@pytest.fixture
def syncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files fsync'ed from now on, by name."""
    done: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        done.append(os.path.basename(os.readlink(f"/proc/self/fd/{fd}")))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return done


def test_answers_are_on_the_disk_before_the_desktop_takes_them(
        tmp_path: Path, syncs: list[str]) -> None:
    """synchronous=NORMAL leaves a commit to the next checkpoint; an event the
    desktop takes must not be lost to a power cut after it (its id would be
    handed out again, and skipped by the desktop), so the log is synced first.
    An empty poll syncs nothing."""
    with RelayServer(tmp_path) as relay:
        syncs.clear()  # the practice its settings name, imported on start
        assert all_events(relay.url) == [] and syncs == []
        requests.post(f"{relay.url}/c/{link(7)}", data={"action": "confirm"}, timeout=10)
        [event] = all_events(relay.url)
        assert event["appointment_id"] == 7
        assert "relay.sqlite3-wal" in syncs
        syncs.clear()
        notes = {"sessions": [{"appointment_id": 8, "state": "cancelled"}]}
        assert requests.post(f"{relay.url}/api/v1/sessions", json=notes, headers=AUTH,
                             timeout=10).status_code == 200
        assert syncs == ["relay.sqlite3-wal"]


def test_a_practice_added_is_on_the_disk_at_once(tmp_path: Path, syncs: list[str]) -> None:
    """A pairing code printed, a practice paired: synced when written."""
    store = Store(f"sqlite:///{tmp_path / 'relay.sqlite3'}")
    code = PracticeBook(store.engine).add("Clínica Aurora", "America/Sao_Paulo")
    assert code.practice_id and syncs == ["relay.sqlite3-wal"]
