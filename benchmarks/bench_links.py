"""Confirmation links: the relay's speed, and a tap's way to an open agenda.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_links.py [--posts 1000] [--taps 100]

1. The relay alone (uvicorn, its own process, SQLite): POST /c/{token} confirm with
   a new token each time, sequentially and from 4 concurrent clients: latency
   percentiles and requests/s. Floor: GET /healthz in the same run.
2. Click to agenda: the window open on a week, its worker long-polling the relay;
   each tap is a POST confirm, timed until the agenda draws that session as
   confirmed. p50 and p95 over `--taps` taps.
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nacl.public import PrivateKey  # noqa: E402

from relay.tokens import mint  # noqa: E402
from tests.fakes.smtp import free_port  # noqa: E402

LINK_SECRET = "bench-link-secret-" + "x" * 30
API_KEY = "bench-api-key-" + "y" * 30


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def start_relay(folder: Path, public_key: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "RELAY_DATABASE_URL": f"sqlite:///{folder / 'relay.sqlite3'}",
           "RELAY_LINK_SECRET": LINK_SECRET, "RELAY_API_KEY": API_KEY,
           "RELAY_PUBLIC_KEY": public_key, "RELAY_PER_IP_PER_MINUTE": "1000000",
           "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "relay.server", "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(f"{url}/healthz", timeout=1)
            return process, url
        except requests.RequestException:
            time.sleep(0.05)
    raise RuntimeError("the relay did not start")


def relay_alone(posts: int) -> None:
    key = base64.b64encode(bytes(PrivateKey.generate().public_key)).decode()
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_relay(Path(tmp), key)
        try:
            session = requests.Session()
            start = datetime.now(UTC) + timedelta(days=30)
            tokens = [mint(LINK_SECRET.encode(), i + 1, start) for i in range(posts * 2)]

            def post(token: str) -> float:
                t0 = time.perf_counter()
                r = session.post(f"{url}/c/{token}", data={"action": "confirm"}, timeout=10)
                assert r.status_code == 200
                return (time.perf_counter() - t0) * 1000

            floor = []
            for _ in range(posts):
                t0 = time.perf_counter()
                session.get(f"{url}/healthz", timeout=10)
                floor.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            sequential = [post(t) for t in tokens[:posts]]
            seq_rate = posts / (time.perf_counter() - t0)
            t0 = time.perf_counter()
            with ThreadPoolExecutor(4) as pool:
                concurrent = list(pool.map(post, tokens[posts:]))
            conc_rate = posts / (time.perf_counter() - t0)
        finally:
            process.terminate()
            process.wait()
    print(f"relay, POST confirm ({posts} each)        p50      p95      p99     req/s")
    print(f"  sequential                      {pct(sequential, 50):7.1f}  "
          f"{pct(sequential, 95):7.1f}  {pct(sequential, 99):7.1f}  {seq_rate:8.0f}")
    print(f"  4 concurrent clients            {pct(concurrent, 50):7.1f}  "
          f"{pct(concurrent, 95):7.1f}  {pct(concurrent, 99):7.1f}  {conc_rate:8.0f}")
    print(f"  floor: GET /healthz             {pct(floor, 50):7.1f}  {pct(floor, 95):7.1f}  "
          f"{pct(floor, 99):7.1f}   (ms)")


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
            process.terminate()
            process.wait()
        p.close()
    print(f"click to agenda ({taps} taps): p50 {pct(latencies, 50):.0f} ms, "
          f"p95 {pct(latencies, 95):.0f} ms, max {max(latencies):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--taps", type=int, default=100)
    args = parser.parse_args()
    relay_alone(args.posts)
    click_to_agenda(args.taps)


if __name__ == "__main__":
    main()
