"""Confirmation links: the relay's confirm throughput, and a tap's way to an open agenda.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_links.py \
        [--posts 1000] [--rounds 5] [--taps 100] [--smoke]

1. The relay alone (uvicorn, its own process, SQLite): POST /c/{token} confirm, a
   new token (a new session) each time, from 4 concurrent clients, each on its own
   kept-alive connection. Floor: a FastAPI hello-world (POST /c/{token} answering a
   small JSON), in its own process under the same uvicorn settings the relay runs
   with (relay.serving.server_config), driven by the same 4 clients. Rounds of
   `--posts` requests alternate, ours then floor; printed: requests/s (median and
   range over the rounds), p50/p95/p99 latency over every request, and the ratio of
   the throughputs. Goal (issue 21): ratio ≥ 0.5, p99 < 50 ms.
2. Click to agenda: the window open on a week, its worker long-polling the relay;
   each tap is a POST confirm, timed until the agenda draws that session as
   confirmed. p50 and p95 over `--taps` taps.

--smoke: 20 posts a round, 2 rounds, 3 taps; nothing about time is asserted.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import itertools
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from measure import Figure, alternate, parser, ratio  # noqa: E402
from nacl.public import PrivateKey  # noqa: E402

from relay.server import new_secret  # noqa: E402
from relay.tokens import mint  # noqa: E402
from tests.fakes.smtp import free_port  # noqa: E402

# The relay refuses secrets that look written by hand: random ones, new each run.
LINK_SECRET = new_secret()
API_KEY = new_secret()
CLIENTS = 4
GOAL_RATIO = 0.5
GOAL_P99_MS = 50.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def relay_env(folder: Path, public_key: str) -> dict[str, str]:
    return {**os.environ, "RELAY_DATABASE_URL": f"sqlite:///{folder / 'relay.sqlite3'}",
            "RELAY_LINK_SECRET": LINK_SECRET, "RELAY_API_KEY": API_KEY,
            "RELAY_PUBLIC_KEY": public_key, "RELAY_PER_IP_PER_MINUTE": "1000000",
            "PYTHONPATH": str(ROOT)}


def start(command: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """A server process on a free loopback port, once it answers GET /healthz."""
    port = free_port()
    process = subprocess.Popen([*command, "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    for _ in range(400):
        if process.poll() is not None:
            raise RuntimeError(f"{command} stopped: "
                               f"{process.stderr.read().decode() if process.stderr else ''}")
        try:
            requests.get(f"{url}/healthz", timeout=1)
            return process, url
        except requests.RequestException:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{command} did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ends a server; killed if it is still waiting for a long poll to end after a
    second (uvicorn lets open requests finish, and the desktop's poll waits 25 s)."""
    process.terminate()
    try:
        process.wait(timeout=1)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_relay(folder: Path, public_key: str) -> tuple[subprocess.Popen[bytes], str]:
    return start([sys.executable, "-m", "relay.server"], relay_env(folder, public_key))


def start_floor(folder: Path, public_key: str) -> tuple[subprocess.Popen[bytes], str]:
    return start([sys.executable, __file__, "--serve-floor"], relay_env(folder, public_key))


def serve_floor(port: int) -> None:
    """The floor: FastAPI's hello-world, served as relay.server.main serves the relay
    (its settings, its uvicorn configuration, logging and open-file limit)."""
    import logging

    import uvicorn
    from fastapi import FastAPI

    from relay.config import from_environment
    from relay.serving import raise_open_file_limit, server_config

    settings = from_environment()
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/c/{token}")
    async def hello(token: str) -> dict[str, str]:
        return {"hello": "world"}

    logging.basicConfig(level=logging.INFO)
    raise_open_file_limit(settings.max_connections + 256)
    uvicorn.Server(server_config(app, settings, "127.0.0.1", port)).run()


def load(url: str, tokens: Iterator[str], posts: int, latencies: list[float],
         expect: bytes, client: str = "requests") -> float:
    """Seconds `CLIENTS` clients took to POST a confirm to `posts` tokens together,
    each on its own kept-alive connection; each request's milliseconds are added to
    `latencies`. Every answer must be a 200 holding `expect`. `client`: "requests"
    (a requests.Session each, as a desktop or a script would), or "raw" (http.client,
    a lighter client: less of the machine's time goes to the load itself)."""
    mine = [next(tokens) for _ in range(posts)]
    shares = [mine[i::CLIENTS] for i in range(CLIENTS)]
    failures: list[str] = []
    ready = threading.Barrier(CLIENTS + 1)
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    def with_requests(share: list[str]) -> list[float]:
        taken = []
        with requests.Session() as session:
            session.get(f"{url}/healthz", timeout=10)  # the connection, before timing
            ready.wait()
            for token in share:
                t0 = time.perf_counter()
                answer = session.post(f"{url}/c/{token}", data="action=confirm",
                                      headers=form, timeout=10)
                taken.append((time.perf_counter() - t0) * 1000)
                if answer.status_code != 200 or expect not in answer.content:
                    failures.append(f"{answer.status_code} {answer.content[:200]!r}")
        return taken

    def with_http_client(share: list[str]) -> list[float]:
        host, port = url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.connect()
        ready.wait()
        taken = []
        try:
            for token in share:
                t0 = time.perf_counter()
                conn.request("POST", f"/c/{token}", body="action=confirm", headers=form)
                answer = conn.getresponse()
                body = answer.read()
                taken.append((time.perf_counter() - t0) * 1000)
                if answer.status != 200 or expect not in body:
                    failures.append(f"{answer.status} {body[:200]!r}")
        finally:
            conn.close()
        return taken

    run = with_requests if client == "requests" else with_http_client

    def one(share: list[str]) -> None:
        latencies.extend(run(share))

    threads = [threading.Thread(target=one, args=(s,)) for s in shares]
    for t in threads:
        t.start()
    ready.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    took = time.perf_counter() - t0
    if failures:
        raise AssertionError(f"{len(failures)} answers were not a confirmation: {failures[0]}")
    return took


def relay_against_floor(posts: int, rounds: int, client: str = "requests") -> None:
    key = base64.b64encode(bytes(PrivateKey.generate().public_key)).decode()
    start_of_sessions = datetime.now(UTC) + timedelta(days=30)
    ids = itertools.count(1)
    tokens = (mint(LINK_SECRET.encode(), next(ids), start_of_sessions) for _ in itertools.count())
    ours_ms: list[float] = []
    floor_ms: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        relay, relay_url = start_relay(Path(tmp), key)
        floor, floor_url = start_floor(Path(tmp) / "floor", key)
        try:
            warm = max(CLIENTS, posts // 10)  # imports, first pages, the database's pages
            load(relay_url, tokens, warm, [], b"<html", client)
            load(floor_url, tokens, warm, [], b"hello", client)
            ours, base = alternate(
                lambda: load(relay_url, tokens, posts, ours_ms, b"<html", client),
                lambda: load(floor_url, tokens, posts, floor_ms, b"hello", client), rounds)
        finally:
            for process in (relay, floor):
                stop(process)

    def line(name: str, figure: Figure, ms: list[float]) -> str:
        rates = sorted(posts / s for s in figure.samples)
        return (f"  {name:<44} {posts / figure.median:7.0f} req/s ({rates[0]:.0f}–{rates[-1]:.0f})"
                f"   p50 {pct(ms, 50):5.1f}  p95 {pct(ms, 95):5.1f}  p99 {pct(ms, 99):5.1f} ms")

    print(f"relay POST /c/{{token}} confirm, {CLIENTS} concurrent {client} clients, {rounds} "
          f"rounds of {posts} alternately (median, min–max over rounds):")
    print(line("ours: the relay (SQLite)", ours, ours_ms))
    print(line("floor: FastAPI hello-world, same uvicorn", base, floor_ms))
    # Same number of requests a round: throughput ratio = floor's seconds / ours.
    print(f"  ratio ours/floor throughput: {ratio(base, ours)}")
    print(f"  goal: ratio ≥ {GOAL_RATIO}, p99 < {GOAL_P99_MS:.0f} ms")
def click_to_agenda(taps: int) -> None:
    import keyring
    from keyrings.alt.file import PlaintextKeyring
    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtWidgets import QApplication

    from app.services import clients, config, relay_client, scheduling, secrets, settings
    from app.services.clock import FrozenClock
    from app.services.practice import open_practice
    from app.services.scheduling import BookingRequest
    from app.ui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        # A throw-away plain file, named on purpose as the tests do (app.services.secrets).
        os.environ["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
        backend = PlaintextKeyring()
        backend.file_path = str(Path(tmp) / "keyring.cfg")
        keyring.set_keyring(backend)
        QCoreApplication.setOrganizationName("PracticeDeskBench")
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        QSettings().setValue("agenda/view", "week")
        QSettings().setValue("window/page", "agenda")
        p = open_practice(Path(tmp) / "p", clock=FrozenClock(datetime(2027, 3, 1, tzinfo=UTC)),
                          logging_on=False)
        settings.set_value(p, "timezone", "America/Sao_Paulo")
        settings.set_value(p, "hours", "mon-sun 07:00-22:00")
        process, url = start_relay(Path(tmp), relay_client.keys(p))
        try:
            config.set_value(p, "relay.url", url)
            secrets.store("relay.api_key", API_KEY)
            secrets.store("relay.link_secret", LINK_SECRET)
            client = clients.add(p, name="Maria Silva", phone="+5511987654321").id
            monday = datetime(2027, 3, 15, 10, tzinfo=UTC)
            ids = [scheduling.book(p, BookingRequest(
                client_id=client, start=monday + timedelta(days=i % 7, minutes=60 * (i // 7)),
                custom_service_name="Sessão", duration_minutes=30), override=True)
                for i in range(taps)]
            links = [relay_client.link(p, i) for i in ids]
            w = MainWindow(p, settings.get(p).zone, background_worker=True)
            w.resize(1280, 800)
            w.show()
            w.agenda.jump(date(2027, 3, 15))
            grid = w.agenda.grid
            while len(grid.sessions()) < taps:
                app.processEvents()
                time.sleep(0.001)
            time.sleep(1)  # the poller is now waiting on the relay, as all day
            http = requests.Session()
            latencies = []
            for appointment_id, link in zip(ids, links, strict=True):
                t0 = time.perf_counter()
                http.post(link, data={"action": "confirm"}, timeout=10)
                while not any(v.id == appointment_id and v.status.value == "confirmed"
                              for v in grid.sessions()):
                    app.processEvents()
                    time.sleep(0.001)
                grid.repaint()
                latencies.append((time.perf_counter() - t0) * 1000)
            w.quit()
        finally:
            stop(process)
        p.close()
    print(f"click to agenda ({taps} taps): p50 {pct(latencies, 50):.0f} ms, "
          f"p95 {pct(latencies, 95):.0f} ms, max {max(latencies):.0f} ms")


def main() -> None:
    args_parser = parser(__doc__)
    args_parser.add_argument("--posts", type=int, default=1000, help="requests a round")
    args_parser.add_argument("--rounds", type=int, default=5, help="rounds of each")
    args_parser.add_argument("--taps", type=int, default=100, help="taps timed to the agenda "
                             "(0: the relay alone)")
    args_parser.add_argument("--client", choices=("requests", "raw"), default="requests",
                             help="the load's HTTP client: requests (as the figures in "
                                  "issue 21), or http.client, lighter")
    args_parser.add_argument("--serve-floor", action="store_true", help=argparse.SUPPRESS)
    args_parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = args_parser.parse_args()
    if args.serve_floor:
        serve_floor(args.port)
        return
    if args.smoke:
        args.posts, args.rounds, args.taps = 20, 2, 3
    relay_against_floor(args.posts, args.rounds, args.client)
    if args.taps:
        click_to_agenda(args.taps)


if __name__ == "__main__":
    main()
