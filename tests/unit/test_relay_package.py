"""The relay's own distribution (relay/pyproject.toml) asks for exactly what the
relay's code imports, and the desktop's distribution, which includes the relay
too, asks for all of it. tests/e2e/test_relay_alone.py installs it for real."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from tests.unit.test_layers import imported_modules, top

ROOT = Path(__file__).resolve().parents[2]
RELAY = tomllib.loads((ROOT / "relay" / "pyproject.toml").read_text(encoding="utf-8"))
DESKTOP = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# The distribution each third-party module the relay imports comes from.
DISTRIBUTION = {"fastapi": "fastapi", "starlette": "starlette", "pydantic": "pydantic",
                "uvicorn": "uvicorn", "h11": "h11", "sqlalchemy": "sqlalchemy",
                "nacl": "pynacl", "babel": "babel"}
# Needed without an import of their own: FastAPI parses forms with python-multipart
# (the link's page, Twilio's webhooks); zoneinfo reads tzdata where the system has no
# time zones (a slim container).
USED_WITHOUT_IMPORT = {"python-multipart", "tzdata"}


def names(requirements: list[str]) -> set[str]:
    """Distribution names, normalised as PEP 503 does."""
    out = set()
    for requirement in requirements:
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        assert match, requirement
        out.add(re.sub(r"[-_.]+", "-", match.group(0)).lower())
    return out


def third_party_imports() -> set[str]:
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    return {top(n) for found in imported_modules(ROOT / "relay").values() for n in found
            if top(n) not in stdlib and top(n) != "relay"}


def test_the_relay_asks_for_what_it_imports_and_nothing_else() -> None:
    imported = third_party_imports()
    unknown = imported - set(DISTRIBUTION)
    assert unknown == set(), "add their distributions to relay/pyproject.toml"
    wanted = {DISTRIBUTION[m] for m in imported} | USED_WITHOUT_IMPORT
    assert names(RELAY["project"]["dependencies"]) == wanted
    # PostgreSQL's driver is asked for by the relay's database URL
    # (postgresql+psycopg://), not imported: an extra, as the container installs it.
    assert names(RELAY["project"]["optional-dependencies"]["postgres"]) == {"psycopg"}


def test_the_desktop_distribution_still_runs_the_relay() -> None:
    """`pip install -e .` (make run, make test) installs the relay's package and
    command with the desktop: it asks for everything the relay does."""
    assert names(RELAY["project"]["dependencies"]) - {"starlette", "pydantic", "h11"} <= \
        names(DESKTOP["project"]["dependencies"])
    # FastAPI brings Starlette and Pydantic, uvicorn brings h11: installed either way.
    assert {"fastapi", "uvicorn"} <= names(DESKTOP["project"]["dependencies"])
    assert DESKTOP["project"]["optional-dependencies"]["postgres"] == \
        RELAY["project"]["optional-dependencies"]["postgres"]
    assert DESKTOP["project"]["scripts"]["practice-relay"] == \
        RELAY["project"]["scripts"]["practice-relay"] == "relay.server:main"
    assert RELAY["project"]["requires-python"] == DESKTOP["project"]["requires-python"]


def test_both_distributions_carry_the_relays_catalogue() -> None:
    catalogues = {p.relative_to(ROOT / "relay") for p in (ROOT / "relay" / "locale").rglob("*.po")}
    assert Path("locale/pt_BR/LC_MESSAGES/relay.po") in catalogues
    for data in (RELAY["tool"]["setuptools"]["package-data"]["relay"],
                 DESKTOP["tool"]["setuptools"]["package-data"]["relay"]):
        shipped = {p.relative_to(ROOT / "relay") for pattern in data
                   for p in (ROOT / "relay").glob(pattern)}
        assert shipped == catalogues
    # Built from relay/ itself: the package is that folder, nothing above it.
    assert RELAY["tool"]["setuptools"]["packages"] == ["relay"]
    assert RELAY["tool"]["setuptools"]["package-dir"] == {"relay": "."}
