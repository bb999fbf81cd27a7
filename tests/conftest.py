"""Shared fixtures: a real practice database in a temporary folder, a frozen clock,
and builders for clients, services and bookings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["LANGUAGE"] = "en"  # messages asserted in English unless a test switches

from app import i18n
from app.models.enums import Channel
from app.services import catalog, clients, settings, this_computer
from app.services.clock import FrozenClock
from app.services.paths import DataPaths
from app.services.practice import Practice, open_practice
from tests.fakes.postgres import PostgresCluster


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first: run in parallel, a two-minute build that starts last
    would keep the whole run waiting for it."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


# Friday 20 November 2026, 09:00 in São Paulo (UTC-3, no daylight saving).
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    keyring_file = tmp_path_factory.mktemp("keyring") / "keyring.cfg"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("KEYRING_PROPERTY_FILE_PATH", str(keyring_file))
    # keyring picks its backend once per process: point it at this test's file too,
    # so this process and the commands it starts share one keyring.
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    backend = PlaintextKeyring()
    backend.file_path = str(keyring_file)
    keyring.set_keyring(backend)
    monkeypatch.delenv("PRACTICE_HOME", raising=False)
    monkeypatch.delenv("PRACTICE_NOW", raising=False)
    monkeypatch.delenv("PRACTICE_DATABASE_URL", raising=False)
    i18n.set_language("en")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "practice"


@pytest.fixture
def engine() -> str:
    """Where the `practice` fixture keeps its data: the SQLite file, unless a folder's
    conftest runs its tests on the practice's server too (tests/unit)."""
    return "sqlite"


@pytest.fixture
def practice(data_dir: Path, clock: FrozenClock, engine: str, request: pytest.FixtureRequest
             ) -> Iterator[Practice]:
    if engine == "postgresql":
        # As `practice database connect` leaves it: this folder's computer opens the
        # server; a practice opened from another folder is another practice.
        server: PostgresCluster = request.getfixturevalue("postgres")
        this_computer.save(DataPaths(data_dir), database_url=server.practice_database())
    p = open_practice(data_dir, clock=clock, actor="Dra. Ana", logging_on=False)
    settings.set_value(p, "timezone", "America/Sao_Paulo")
    settings.set_value(p, "country", "BR")
    # Tests read what clients are sent in English; a Brazilian practice that chose no
    # language writes Portuguese (tests/e2e/test_client_language.py).
    settings.set_value(p, "language", "en")
    settings.set_value(p, "hours", "mon-fri 08:00-19:00")
    yield p
    p.close()


# Every channel a practice may record a client's agreement to (push is the client's
# own phone's to turn on, push_devices).
AGREED = (Channel.WHATSAPP, Channel.EMAIL, Channel.SMS, Channel.VOICE)


def add_client(p: Practice, name: str = "Maria Silva", phone: str = "+55 11 98765-4321",
               email: str | None = "maria@example.com") -> int:
    return clients.add(p, name=name, phone=phone, email=email).id


def add_service(p: Practice, **kw: object) -> int:
    args: dict[str, object] = {"name": "Psicoterapia", "duration_minutes": 50,
                               "price_cents": 20000}
    args.update(kw)
    return catalog.add_service(p, **args).id  # type: ignore[arg-type]


def local(text: str, zone: str = "America/Sao_Paulo") -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """One PostgreSQL server per test process; each test takes a new database."""
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()
