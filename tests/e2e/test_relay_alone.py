"""The relay as a server installs it: the `practice-relay` distribution alone
(relay/pyproject.toml), from the repository's files into a fresh virtualenv that
has neither Qt nor the desktop app, then started by hand and exactly as its
systemd unit (packaging/relay/practice-relay.service) starts it. Slow: the
virtualenv's packages come from the package index (pip's cache makes repeats fast)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from nacl.public import PrivateKey

from relay.tokens import mint
from tests.fakes.relay_server import API_KEY, LINK_SECRET
from tests.fakes.smtp import free_port
from tests.systemd_unit import exec_start, read_environment_file, read_unit, service_environment

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("relay-alone")]

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "packaging" / "relay" / "practice-relay.service"
ENV_EXAMPLE = ROOT / "packaging" / "relay" / "practice-relay.env.example"
# The paths of a server's install, as the unit and its README name them.
INSTALL = "/opt/practice-relay"
ENV_FILE = "/etc/practice-relay/relay.env"
STATE = "/var/lib/practice-relay"


def outside_env(**extra: str) -> dict[str, str]:
    """The test run's environment without what would let a child find the
    repository's code or this virtualenv's packages."""
    keep = {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")}
    return {**keep, "PYTHONNOUSERSITE": "1", **extra}


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv holding `pip install './relay[postgres]'` and nothing else, made
    from a copy of relay/ (pip builds in the source folder; the repository's stays
    as it is)."""
    work = tmp_path_factory.mktemp("relay-alone")
    source = work / "source" / "relay"
    shutil.copytree(ROOT / "relay", source,
                    ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    venv = work / "venv"
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], cwd=work,
                          env=outside_env(), capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", f"{source}[postgres]"],
        cwd=work, env=outside_env(), capture_output=True, text=True, timeout=1200)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    return venv


def python_in(venv: Path, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=cwd,
                          env=outside_env(), capture_output=True, text=True, timeout=120)


def practice_settings() -> dict[str, str]:
    """One practice's settings, as tests/fakes/relay_server.py gives them."""
    key = base64.b64encode(bytes(PrivateKey.generate().public_key)).decode()
    return {"RELAY_LINK_SECRET": LINK_SECRET, "RELAY_API_KEY": API_KEY,
            "RELAY_PUBLIC_KEY": key, "RELAY_PRACTICE_NAME": "Consultório Bem-Estar",
            "RELAY_TIMEZONE": "America/Sao_Paulo"}


def wait_for_health(url: str, process: subprocess.Popen[bytes], log: Path) -> requests.Response:
    deadline = time.monotonic() + 30
    while True:
        try:
            answer = requests.get(f"{url}/healthz", timeout=2)
            if answer.ok:
                return answer
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the relay did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)


def stop_as_systemd(process: subprocess.Popen[bytes], log: Path, within: float) -> None:
    """SIGTERM, as `systemctl stop` sends, then the time TimeoutStopSec= allows: the
    relay finishes its requests and ends cleanly as systemd counts it (exit status 0,
    or SIGTERM itself: uvicorn raises it again once it has shut down, and
    systemd.service(5) counts a SIGTERM death as success)."""
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=within) in (0, -signal.SIGTERM)
    said = log.read_text(errors="replace")
    assert "Application shutdown complete." in said and "Finished server process" in said
    assert "Traceback" not in said and "ERROR" not in said


@pytest.fixture
def stopped() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a test started, killed if it failed before stopping them."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_the_relay_installs_and_serves_without_qt_or_the_desktop_app(
        venv: Path, tmp_path: Path, stopped: list[subprocess.Popen[bytes]]) -> None:
    for module in ("PySide6", "app"):
        tried = python_in(venv, f"import {module}", tmp_path)
        assert tried.returncode == 1, f"{module} is importable in the relay's virtualenv"
        assert f"No module named '{module}'" in tried.stderr
    found = python_in(venv, "import json, relay, relay.server, psycopg; "
                            "print(json.dumps([relay.__file__, relay.__version__]))", tmp_path)
    assert found.returncode == 0, found.stderr
    where, version = json.loads(found.stdout)
    assert Path(where).is_relative_to(venv) and version
    listed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=json"],
                            env=outside_env(), capture_output=True, text=True, timeout=120)
    names = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert "practice-relay" in names and "psycopg" in names
    assert not {n for n in names if n.startswith(("pyside6", "shiboken6", "practice-desk"))}

    port = free_port()
    log = tmp_path / "relay.log"
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path),
                   "RELAY_DATABASE_URL": f"sqlite:///{tmp_path / 'relay.sqlite3'}",
                   **practice_settings()}
    with log.open("wb") as out:
        process = subprocess.Popen([str(venv / "bin" / "practice-relay"), "--host", "127.0.0.1",
                                    "--port", str(port)], cwd=tmp_path, env=environment,
                                   stdout=out, stderr=subprocess.STDOUT)
    stopped.append(process)
    url = f"http://127.0.0.1:{port}"
    assert wait_for_health(url, process, log).json() == {"status": "ok"}

    # A link's page, in the words the relay's own catalogue carries.
    token = mint(LINK_SECRET.encode(), 7, datetime.now(UTC) + timedelta(days=2))
    portuguese = requests.get(f"{url}/c/{token}", headers={"Accept-Language": "pt-BR"},
                              timeout=10)
    assert portuguese.status_code == 200
    assert "Consultório Bem-Estar" in portuguese.text
    assert ">Confirmar</button>" in portuguese.text and "Sua sessão" in portuguese.text
    english = requests.get(f"{url}/c/{token}", headers={"Accept-Language": "en"}, timeout=10)
    assert ">Confirm</button>" in english.text and "Your session" in english.text
    forged = requests.get(f"{url}/c/{token[:-2]}xx", timeout=10)
    assert forged.status_code == 404 and "Este link não é válido." in forged.text

    stop_as_systemd(process, log, within=30)


def test_the_relay_starts_and_stops_as_its_systemd_unit_says(
        venv: Path, tmp_path: Path, stopped: list[subprocess.Popen[bytes]]) -> None:
    """Only where things are differs from a server: the virtualenv stands for
    /opt/practice-relay, a file of the test's for /etc/practice-relay/relay.env, and
    a folder for /var/lib/practice-relay (which systemd makes for StateDirectory=)."""
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    env_file = tmp_path / "relay.env"
    port = free_port()
    # The example settings file, completed as its comments say, plus one practice.
    example = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert STATE in example
    lines = [example.replace(STATE, str(state)), f"PORT={port}"]
    lines += [f'{name}="{value}"' for name, value in practice_settings().items()]
    env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env_file.chmod(0o600)

    text = UNIT.read_text(encoding="utf-8")
    for path in (INSTALL, ENV_FILE, STATE):
        assert path in text, path
    unit = read_unit(text.replace(INSTALL, str(venv)).replace(ENV_FILE, str(env_file))
                     .replace(STATE, str(state)))
    environment = service_environment(unit)
    environment["STATE_DIRECTORY"] = str(state)  # systemd's, for StateDirectory=
    command = exec_start(unit, environment)
    assert command == [str(venv / "bin" / "practice-relay"), "--host", "127.0.0.1",
                       "--port", str(port)]
    assert read_environment_file(env_file.read_text())["RELAY_DATABASE_URL"] == \
        f"sqlite:///{state}/relay.sqlite3"

    log = tmp_path / "relay.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=unit.value("Service", "WorkingDirectory"),
                                   env=environment, umask=int(unit.value("Service", "UMask")
                                                              or "022", 8),
                                   stdout=out, stderr=subprocess.STDOUT)
    stopped.append(process)
    url = f"http://127.0.0.1:{port}"
    assert wait_for_health(url, process, log).json() == {"status": "ok"}
    database = state / "relay.sqlite3"
    assert database.exists() and database.stat().st_mode & 0o077 == 0

    # systemd stops a service with SIGTERM and waits TimeoutStopSec= before SIGKILL.
    stop_within = float((unit.value("Service", "TimeoutStopSec") or "90s").removesuffix("s"))
    stop_as_systemd(process, log, within=stop_within)
