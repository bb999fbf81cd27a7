"""The service-level tests run on both engines: every test that opens the
`practice` fixture runs once on the SQLite file and once on a PostgreSQL server
started by the tests, unless it is about the SQLite file itself."""

from __future__ import annotations

import pytest


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "practice" in metafunc.fixturenames and \
            metafunc.definition.get_closest_marker("sqlite_only") is None:
        metafunc.parametrize("engine", ["sqlite", "postgresql"])
