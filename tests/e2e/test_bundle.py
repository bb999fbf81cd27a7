"""The installable bundle: built with the same script as `make package`, then
started as a user would start it — the window headless, commands from a
terminal, the Linux installer into a scratch prefix. Slow (about two minutes
to build), and run by `make test` all the same."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import __version__

pytestmark = [pytest.mark.slow,
              pytest.mark.xdist_group("bundle"),  # one worker, one build (make test: loadgroup)
              pytest.mark.skipif(sys.platform != "linux", reason="the Linux recipe")]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("bundle")
    built = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "build.py"), "--dist", str(work / "dist"),
         "--work", str(work / "build"), "--no-archive"],
        capture_output=True, text=True, timeout=1200)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return work / "dist" / "practice-desk"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A user's environment: no display, a home of its own, and none of the test
    run's keyring settings (the bundle carries only the system backends)."""
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("PYTHON_KEYRING", "KEYRING_", "PRACTICE_", "LANG", "LC_"))}
    home = tmp_path / "home"
    home.mkdir()
    return {**keep, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"), "QT_QPA_PLATFORM": "offscreen",
            "LANG": "en_US.UTF-8", "PRACTICE_NOW": "2026-11-20T12:00:00Z"}


def run(program: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(program), *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_the_bundle_answers_its_version(bundle: Path, env: dict[str, str]) -> None:
    answer = run(bundle / "practice", "--version", env=env)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout == f"practice {__version__}\n"


@pytest.fixture
def started(bundle: Path, env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen([str(bundle / "practice"), "--data-dir", str(tmp_path / "data")],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    yield process
    if process.poll() is None:
        process.kill()
        process.wait(10)


def test_the_bundle_opens_its_window_headless_and_quits_cleanly(
        started: subprocess.Popen[str], tmp_path: Path) -> None:
    log = tmp_path / "data" / "logs" / "practice.log"
    deadline = time.monotonic() + 90
    while "window open" not in (log.read_text() if log.exists() else ""):
        assert started.poll() is None, started.communicate()[0]
        assert time.monotonic() < deadline, "the window never opened"
        time.sleep(0.2)
    backups = tmp_path / "data" / "backups"
    while not list(backups.glob("daily-*.sqlite3")):  # the worker's first round
        assert started.poll() is None, started.communicate()[0]
        assert time.monotonic() < deadline, "the worker never made the daily copy"
        time.sleep(0.2)
    started.send_signal(signal.SIGTERM)  # a logout
    output = started.communicate(timeout=60)[0]
    text = log.read_text()
    assert started.returncode == 0, output + text
    assert f"window open: Practice Desk {__version__}, en, " in text
    assert "on offscreen, icon drawn" in text  # Qt's SVG plug-in travelled too
    assert "upgraded from None to" in text  # the migrations travelled with it
    # So did APScheduler's plug-ins (its jobs are listed by their next run).
    assert re.search(r"scheduler started: .*\bdispatch\b", text)
    assert "ERROR" not in text and "Traceback" not in text + output
    assert text.rstrip().endswith("window closed")
    assert list((tmp_path / "data" / "backups").glob("daily-*.sqlite3"))


def test_the_bundle_runs_commands_in_both_languages(bundle: Path, env: dict[str, str],
                                                    tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    assert run(bundle / "practice", *data, "demo", env=env).returncode == 0
    english = run(bundle / "practice", *data, "list", "--from", "2026-11-23",
                  "--to", "2026-11-24", env=env)
    portuguese = run(bundle / "practice", *data, "list", "--from", "2026-11-23",
                     "--to", "2026-11-24", env={**env, "LANG": "pt_BR.UTF-8"})
    assert english.returncode == portuguese.returncode == 0, english.stderr + portuguese.stderr
    assert "11/23/26, " in english.stdout  # Babel's data for both languages is inside
    assert "23/11/2026 " in portuguese.stdout
    refused = run(bundle / "practice", *data, "show", "99999",
                  env={**env, "LANG": "pt_BR.UTF-8"})
    assert refused.returncode == 3
    assert refused.stderr.strip() and refused.stderr != run(
        bundle / "practice", *data, "show", "99999", env=env).stderr  # translated

    out = tmp_path / "agenda.xlsx"
    exported = run(bundle / "practice", *data, "export", "--format", "xlsx", "--from",
                   "2026-11-01", "--to", "2026-12-01", str(out), env=env)
    assert exported.returncode == 0, exported.stderr
    import openpyxl

    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None and sheet.max_row > 10


def test_install_sh_puts_the_app_in_the_menu_and_takes_it_away(
        bundle: Path, env: dict[str, str], tmp_path: Path) -> None:
    prefix = tmp_path / "prefix"
    installed = subprocess.run(["sh", str(bundle / "install.sh")], capture_output=True,
                               text=True, env={**env, "PREFIX": str(prefix)}, timeout=300)
    assert installed.returncode == 0, installed.stderr
    command = prefix / "bin" / "practice"
    assert run(command, "--version", env=env).stdout == f"practice {__version__}\n"
    entry = (prefix / "share" / "applications" / "practice-desk.desktop").read_text()
    program = prefix / "lib" / "practice-desk" / "practice"
    assert f'Exec="{program}"' in entry and f"TryExec={program}" in entry
    assert "Icon=practice-desk" in entry
    icons = prefix / "share" / "icons" / "hicolor"
    assert (icons / "48x48" / "apps" / "practice-desk.png").read_bytes()[:4] == b"\x89PNG"
    assert (icons / "scalable" / "apps" / "practice-desk.svg").exists()
    assert not (prefix / "lib" / "practice-desk" / "install.sh").exists()

    removed = subprocess.run(["sh", str(bundle / "install.sh"), "uninstall"],
                             capture_output=True, text=True,
                             env={**env, "PREFIX": str(prefix)}, timeout=60)
    assert removed.returncode == 0, removed.stderr
    assert not command.exists() and not program.exists()
    assert not list(prefix.rglob("practice-desk*"))
