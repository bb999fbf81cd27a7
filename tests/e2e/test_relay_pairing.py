"""Pairing a desktop with a relay by a code: `practice-relay practice add` (the
real command, in its own process) prints a code, the desktop posts it with its
public key to the real relay on loopback and gets the practice's API key and
link secret, once. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from nacl.public import PrivateKey, SealedBox
from sqlalchemy import text

from relay.config import ConfigError
from relay.practices import CODE_ALPHABET, PracticeBook, normalized_code
from relay.practices import new_code as make
from relay.store import Store
from relay.tokens import mint
from tests.e2e.test_relay_many_practices import SECRETS, practices_file
from tests.fakes.postgres import PostgresCluster
from tests.fakes.relay_server import API_KEY, RelayServer
from tests.fakes.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty relay database's URL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'relay.sqlite3'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.new_database()


@pytest.fixture
def relay(tmp_path: Path, database: str) -> Iterator[RelayServer]:
    """A relay started with RELAY_DATABASE_URL alone: no practice yet."""
    with RelayServer(tmp_path / "relay", bare=True, env={"RELAY_DATABASE_URL": database},
                     pair_per_ip_per_minute=1000, pair_failures_per_minute=1000) as server:
        yield server


def relay_env(database: str, **more: str) -> dict[str, str]:
    """The environment of a relay command: this one's, without any RELAY_ setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAY_")}
    return {**env, "PYTHONPATH": str(ROOT), "RELAY_DATABASE_URL": database, **more}


def command(database: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`practice-relay ARGS…` run as the administrator runs it."""
    return subprocess.run([sys.executable, "-m", "relay.server", *args], capture_output=True,
                          text=True, timeout=60, env=relay_env(database, **env))


def added(database: str, name: str = "Clínica Aurora", *more: str) -> dict[str, str]:
    result = command(database, "practice", "add", "--name", name, *more, "--json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def new_code(database: str, practice_id: str) -> str:
    result = command(database, "practice", "code", practice_id, "--json")
    assert result.returncode == 0, result.stderr
    return str(json.loads(result.stdout)["code"])


def listed(database: str) -> list[dict[str, object]]:
    result = command(database, "practice", "list", "--json")
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout))


def public_key(key: PrivateKey) -> str:
    return base64.b64encode(bytes(key.public_key)).decode()


def pair(url: str, code: str, key: str | None = None,
         **headers: str) -> requests.Response:
    return requests.post(f"{url}/api/v1/pair", timeout=10, headers=headers, json={
        "code": code, "public_key": key or public_key(PrivateKey.generate())})


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def session_link(secret: str, appointment_id: int, hours_ahead: float = 48) -> str:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours_ahead)
    return mint(secret.encode(), appointment_id, start)


def until(check: object, seconds: float = 5) -> None:
    """Waits for `check()` to hold: another relay process sees a change within a
    second."""
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the change was not seen in time"
        time.sleep(0.1)


def test_a_practice_added_while_the_relay_runs_pairs_and_polls(relay: RelayServer,
                                                              database: str) -> None:
    assert requests.get(f"{relay.url}/healthz", timeout=5).json() == {"status": "ok"}
    made = added(database)
    # The contract: exactly these three, a code grouped for reading aloud, a UTC instant.
    assert set(made) == {"id", "code", "expires"} and made["id"] == "clinica-aurora"
    assert CODE.fullmatch(made["code"])
    expires = datetime.fromisoformat(made["expires"])
    assert made["expires"].endswith("Z") and expires.tzinfo is not None
    assert timedelta(hours=23, minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=24)
    desktop = PrivateKey.generate()
    # Typed as a person reads it out: lower case, spaces for dashes.
    typed = made["code"].lower().replace("-", " ")
    answer = pair(relay.url, typed, public_key(desktop))
    assert answer.status_code == 200, answer.text
    got = answer.json()
    assert set(got) == {"practice_id", "api_key", "link_secret"}
    assert got["practice_id"] == "clinica-aurora"
    assert len(got["api_key"]) >= 43 and len(got["link_secret"]) >= 43
    assert got["api_key"] != got["link_secret"]
    assert answer.headers["Cache-Control"] == "no-store"
    # Once: the same code again is unknown, whatever key comes with it.
    assert pair(relay.url, made["code"], public_key(desktop)).status_code == 404
    r = requests.get(f"{relay.url}/api/v1/events", headers=bearer(got["api_key"]), timeout=5)
    assert r.status_code == 200 and r.json()["events"] == []
    # Links signed with the new secret open the practice's page; what the client
    # writes is sealed to the desktop's key.
    token = session_link(got["link_secret"], 31)
    page = requests.get(f"{relay.url}/c/{token}", headers={"Accept-Language": "pt-BR"},
                        timeout=5)
    assert page.status_code == 200 and "Clínica Aurora" in page.text
    requests.post(f"{relay.url}/c/{token}", data={"action": "cancel", "reason": "Viagem"},
                  timeout=5)
    [event] = requests.get(f"{relay.url}/api/v1/events", headers=bearer(got["api_key"]),
                           timeout=5).json()["events"]
    assert (event["kind"], event["appointment_id"]) == ("cancel_requested", 31)
    opened = SealedBox(desktop).decrypt(base64.b64decode(event["sealed"]))
    assert json.loads(opened) == {"reason": "Viagem"}
    # Neither the API key nor the code is kept as such.
    with Store(database).engine.connect() as conn:
        stored = [tuple(str(v) for v in row) for row in conn.execute(
            text("SELECT * FROM relay_practice"))]
    flat = " ".join(" ".join(row) for row in stored)
    assert got["api_key"] not in flat and str(normalized_code(made["code"])) not in flat
    assert made["code"] not in flat


def test_wrong_expired_replaced_and_malformed_codes(relay: RelayServer, database: str) -> None:
    made = added(database)
    wrong = "".join(reversed(made["code"]))  # a code of the right shape that is no code
    assert set(pair(relay.url, wrong).json()) == {"error"}
    for code in (wrong, "hello", made["code"] + "X", "0000-0000-0000-0000-0000"):
        r = pair(relay.url, code)
        assert r.status_code == 404 and "unknown, already used or expired" in r.json()["error"]
    # A key that cannot seal is refused, and the code is not used up by it.
    for key in (base64.b64encode(bytes(32)).decode(), "not base64!",
                base64.b64encode(b"k" * 31).decode()):
        r = pair(relay.url, made["code"], key)
        assert r.status_code == 422 and "public_key" in r.json()["error"]
    for body in ({"code": made["code"]}, {"code": 7, "public_key": "x"}, [], "text"):
        r = requests.post(f"{relay.url}/api/v1/pair", json=body, timeout=5)
        assert r.status_code == 422, body
    # Only this path is open without a key: its neighbours still want one.
    for path in ("/api/v1/pair/", "/api/v1/pairs", "/api/v1/events"):
        assert requests.post(f"{relay.url}{path}", json={}, timeout=5).status_code == 401
    # A new code replaces the one before.
    newer = new_code(database, made["id"])
    assert pair(relay.url, made["code"]).status_code == 404
    # An expired code (written as a day and an hour ago) is refused too.
    book = PracticeBook(Store(database).engine)
    old = book.new_code(made["id"], now=datetime.now(UTC) - timedelta(hours=25))
    assert pair(relay.url, newer).status_code == 404  # replaced by the old one
    assert pair(relay.url, old.code).status_code == 404
    [entry] = listed(database)
    assert entry["paired"] is False and str(entry["code_expires"]) < made["expires"]
    fresh = new_code(database, made["id"])
    assert pair(relay.url, fresh).status_code == 200
    [entry] = listed(database)
    assert entry["paired"] is True and entry["code_expires"] is None


def test_pairing_again_rotates_and_links_already_sent_keep_working(
        relay: RelayServer, database: str, tmp_path: Path) -> None:
    made = added(database)
    first = pair(relay.url, made["code"]).json()
    future = session_link(first["link_secret"], 41)  # sent before pairing again
    past = session_link(first["link_secret"], 42, hours_ahead=-1)
    # Another relay process on the same database (behind a load balancer).
    with RelayServer(tmp_path / "other", bare=True,
                     env={"RELAY_DATABASE_URL": database}) as other:
        assert requests.get(f"{other.url}/api/v1/events", headers=bearer(first["api_key"]),
                            timeout=5).status_code == 200
        desktop = PrivateKey.generate()
        second = pair(relay.url, new_code(database, made["id"]), public_key(desktop)).json()
        assert second["practice_id"] == made["id"]
        assert second["api_key"] != first["api_key"]
        assert second["link_secret"] != first["link_secret"]
        for server in (relay, other):
            until(lambda s=server: requests.get(  # type: ignore[misc]
                f"{s.url}/api/v1/events", headers=bearer(first["api_key"]),
                timeout=5).status_code == 401)
            r = requests.get(f"{server.url}/api/v1/events", headers=bearer(second["api_key"]),
                             timeout=5)
            assert r.status_code == 200
        # The link sent before still opens its page and takes the answer, which
        # goes to the desktop holding the new key, sealed to its new public key.
        page = requests.get(f"{other.url}/c/{future}", timeout=5,
                            headers={"Accept-Language": "en"})
        assert page.status_code == 200 and ">Confirm<" in page.text
        r = requests.post(f"{other.url}/c/{future}", data={"action": "cancel", "reason": "Gripe"},
                          headers={"Accept-Language": "en"}, timeout=5)
        assert r.status_code == 200
        [event] = requests.get(f"{relay.url}/api/v1/events", headers=bearer(second["api_key"]),
                               timeout=5).json()["events"]
        assert event["appointment_id"] == 41
        assert json.loads(SealedBox(desktop).decrypt(base64.b64decode(event["sealed"]))) == {
            "reason": "Gripe"}
        # One whose session has passed is the expired page, as any link is.
        assert requests.get(f"{relay.url}/c/{past}", timeout=5).status_code == 410
        newer = session_link(second["link_secret"], 43)
        assert requests.get(f"{relay.url}/c/{newer}", timeout=5).status_code == 200
        # The previous secret opens only links whose session is near: one that
        # leaked cannot mint a link for a session years away.
        far = session_link(first["link_secret"], 44, hours_ahead=24 * 400)
        assert requests.get(f"{relay.url}/c/{far}", timeout=5).status_code == 404
        assert requests.post(f"{relay.url}/c/{far}", data={"action": "cancel"},
                             timeout=5).status_code == 404
        near = session_link(first["link_secret"], 45, hours_ahead=24 * 50)
        assert requests.get(f"{relay.url}/c/{near}", timeout=5).status_code == 200
        # Only the secret just before is kept: pairing once more retires the first.
        third = pair(relay.url, new_code(database, made["id"])).json()
        assert third["api_key"] != second["api_key"]
        until(lambda: requests.get(f"{other.url}/c/{future}", timeout=5).status_code == 404)
        assert requests.get(f"{other.url}/c/{newer}", timeout=5).status_code == 200


def test_too_many_attempts_are_refused_with_retry_after(tmp_path: Path) -> None:
    from relay.guard import networks

    with RelayServer(tmp_path, bare=True, pair_per_ip_per_minute=3, pair_failures_per_minute=5,
                     trusted_proxies=networks("127.0.0.1")) as relay:
        url = relay.settings.database_url
        # From one address: the fourth attempt in a minute waits.
        codes = [pair(relay.url, "0000-0000-0000-0000-0000",
                      **{"X-Forwarded-For": "198.51.100.7"}).status_code for _ in range(4)]
        assert codes == [404, 404, 404, 429]
        r = pair(relay.url, "0000-0000-0000-0000-0000", **{"X-Forwarded-For": "198.51.100.7"})
        assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= 61
        # From many addresses (a botnet): failures from all of them together are capped,
        # so even a right code waits.
        made = added(url)
        codes = [pair(relay.url, "1111-1111-1111-1111-1111",
                      **{"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(3)]
        assert codes == [404, 404, 429]  # five failures in the minute: three before these
        r = pair(relay.url, made["code"], **{"X-Forwarded-For": "192.0.2.200"})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
        assert listed(url)[0]["paired"] is False


def start_relay(folder: Path, database: str, *args: str) -> tuple[subprocess.Popen[bytes],
                                                                   str, Path]:
    """The real `practice-relay` process with RELAY_DATABASE_URL alone."""
    folder.mkdir(parents=True, exist_ok=True)
    port, log = free_port(), folder / "relay.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "relay.server", *args, "--port",
                                    str(port)], env=relay_env(database), stdout=out,
                                   stderr=subprocess.STDOUT, cwd=folder)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if requests.get(f"{url}/healthz", timeout=1).ok:
                return process, url, log
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the relay did not start:\n{log.read_text()}")
        time.sleep(0.1)


def test_a_relay_with_only_its_database_says_how_to_begin_and_logs_no_code(
        tmp_path: Path, database: str) -> None:
    process, url, log = start_relay(tmp_path, database, "serve")
    try:
        made = added(database)
        wrong = pair(url, "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ")
        got = pair(url, made["code"].lower()).json()
        again = pair(url, made["code"])
        malformed = requests.post(f"{url}/api/v1/pair", json={"code": made["code"]}, timeout=5)
        bad_key = pair(url, new_code(database, made["id"]), base64.b64encode(bytes(32)).decode())
        assert [wrong.status_code, again.status_code, malformed.status_code,
                bad_key.status_code] == [404, 404, 422, 422]
        assert requests.get(f"{url}/api/v1/events", headers=bearer(got["api_key"]),
                            timeout=5).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
    text = log.read_text()
    assert "serves no practice yet: add one with `practice-relay practice add" in text
    attempts = [line for line in text.splitlines() if "Pairing attempt from 127.0.0.1" in line]
    assert len(attempts) == 5, text
    assert "practice 'clinica-aurora' paired (200)" in text
    assert text.count("an unknown or already used code (404)") == 2
    assert "not a code and a public key (422)" in text and "not a usable Curve25519" in text
    code = str(normalized_code(made["code"]))
    for secret in (made["code"], made["code"].lower(), code, got["api_key"],
                   got["link_secret"]):
        assert secret not in text
    assert "Traceback" not in text


def test_the_practices_file_and_the_environment_are_imported(tmp_path: Path,
                                                             database: str) -> None:
    keys = {name: public_key(PrivateKey.generate()) for name in SECRETS}
    path = practices_file(tmp_path, keys)
    book = PracticeBook(Store(database).engine)
    env = {"RELAY_DATABASE_URL": database, "RELAY_PRACTICES_FILE": str(path)}
    with RelayServer(tmp_path / "one", bare=True, env=env) as relay:
        r = requests.get(f"{relay.url}/api/v1/events", timeout=5,
                         headers=bearer(SECRETS["bem-estar"][1]))
        assert r.status_code == 200
        token = mint(SECRETS["aurora"][0].encode(), 5, datetime(2027, 3, 15, 13, tzinfo=UTC))
        assert "Clínica Aurora" in requests.get(f"{relay.url}/c/{token}", timeout=5).text
    version = book.version()
    assert {(p["id"], p["source"], p["paired"]) for p in listed(database)} == {
        ("aurora", "file", True), ("bem-estar", "file", True)}
    # Started again with the same file: nothing changes.
    with RelayServer(tmp_path / "two", bare=True, env=env):
        assert book.version() == version
    # A practice renamed, another dropped from the file: so on the next start.
    path.write_text(path.read_text().replace('name = "Clínica Aurora"',
                                             'name = "Clínica Aurora Centro"')
                    .split('[[practice]]\nid = "bem-estar"')[0], encoding="utf-8")
    with RelayServer(tmp_path / "three", bare=True, env=env) as relay:
        assert book.version() != version
        assert "Clínica Aurora Centro" in requests.get(f"{relay.url}/c/{token}",
                                                       timeout=5).text
        assert requests.get(f"{relay.url}/api/v1/events", timeout=5, headers=bearer(
            SECRETS["bem-estar"][1])).status_code == 401
    assert [p["id"] for p in listed(database)] == ["aurora"]
    # Its secrets are the file's: no code for it, and the command says why.
    result = command(database, "practice", "code", "aurora")
    assert result.returncode == 1 and "RELAY_PRACTICES_FILE" in result.stderr
    # A practice added by the command line owns its id: a file naming it stops start-up.
    made = added(database, "Bem-Estar")
    assert made["id"] == "bem-estar"
    path.write_text(practices_file(tmp_path, keys).read_text(), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"practice 'bem-estar'.*another id"):
        RelayServer(tmp_path / "four", bare=True, env=env)
    # The single-practice variables: imported as practice "default", key kept as a digest.
    with RelayServer(tmp_path / "five", env={"RELAY_DATABASE_URL": database}) as relay:
        assert requests.get(f"{relay.url}/api/v1/events", headers=bearer(API_KEY),
                            timeout=5).status_code == 200
    assert ("default", "env") in {(p["id"], p["source"]) for p in listed(database)}
    with book.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM relay_practice")).all()
    assert not any(API_KEY in str(value) for row in rows for value in row)


def test_list_remove_and_bad_input_at_the_command_line(relay: RelayServer,
                                                      database: str) -> None:
    aurora = added(database)
    other = added(database, "Consultório Bem-Estar", "--timezone", "Europe/Lisbon")
    assert other["id"] == "consultorio-bem-estar"
    got = pair(relay.url, aurora["code"]).json()
    token = session_link(got["link_secret"], 51)
    requests.post(f"{relay.url}/c/{token}", data={"action": "confirm"}, timeout=5)
    assert requests.post(f"{relay.url}/api/v1/sessions", headers=bearer(got["api_key"]), json={
        "sessions": [{"appointment_id": 52, "state": "cancelled"}]}, timeout=5).status_code == 200
    entries = {str(p["id"]): p for p in listed(database)}
    assert entries["clinica-aurora"]["paired"] is True and entries["clinica-aurora"][
        "code_expires"] is None
    assert entries["consultorio-bem-estar"] == {
        "id": "consultorio-bem-estar", "name": "Consultório Bem-Estar",
        "timezone": "Europe/Lisbon", "source": "cli", "paired": False, "paired_at": None,
        "code_expires": other["expires"]}
    shown = command(database, "practice", "list")
    assert shown.returncode == 0 and "not yet" in shown.stdout and "until" in shown.stdout
    for secret in (aurora["code"], other["code"], got["api_key"], got["link_secret"]):
        assert secret not in shown.stdout and secret not in json.dumps(listed(database))
    # Bad input: a sentence, a non-zero status, nothing added.
    for args, message in ((("--name", "  "), "needs a name"),
                          (("--name", "X", "--timezone", "Mars/Base"), "is not a time zone"),
                          (("--name", "Linha\nquebrada"), "on one line")):
        result = command(database, "practice", "add", *args)
        assert result.returncode == 2 and message in result.stderr, result.stderr
    assert len(listed(database)) == 2
    for action in ("remove", "code"):
        result = command(database, "practice", action, "nobody")
        assert result.returncode == 1
        assert "No practice has the id 'nobody'" in result.stderr
    # Removing: everything of the practice goes, and the running relay stops serving it.
    result = command(database, "practice", "remove", "clinica-aurora")
    assert result.returncode == 0
    assert result.stdout.strip() == ("Removed practice 'clinica-aurora' (Clínica Aurora), with "
                                     "1 event(s) waiting for its desktop, 1 link answer(s) and "
                                     "1 session note(s).")
    until(lambda: requests.get(f"{relay.url}/api/v1/events", headers=bearer(got["api_key"]),
                               timeout=5).status_code == 401)
    assert requests.get(f"{relay.url}/c/{token}", timeout=5).status_code == 404
    assert [p["id"] for p in listed(database)] == ["consultorio-bem-estar"]
    store = Store(database)
    assert store.after("clinica-aurora", 0) == [] and store.outcome("clinica-aurora", 51) is None
    assert store.session("clinica-aurora", 52) is None
    # Its id is never another's: a practice added with the same name gets a new
    # one, so an answer still in flight for the removed practice reaches nobody.
    again = added(database)
    assert again["id"] == "clinica-aurora-2"
    for action in ("remove", "code"):
        result = command(database, "practice", action, "clinica-aurora")
        assert result.returncode == 1 and "No practice has the id" in result.stderr


def test_codes_are_long_random_and_forgiving_to_type() -> None:
    codes = {make() for _ in range(200)}
    assert len(codes) == 200 and all(CODE.fullmatch(c) for c in codes)
    assert len(CODE_ALPHABET) ** 20 >= 2**100 and not set("ILOU") & set(CODE_ALPHABET)
    code = "7K3Q-MPX9-TV2A-0B1C-DEFG"
    for typed in ("7k3q mpx9 tv2a 0b1c defg", "7K3QMPX9TV2A0B1CDEFG", " 7k3q-mpx9-tv2a-ob1c-defg ",
                  "7K3Q-MPX9-TV2A-0BIC-DEFG", "7K3Q-MPX9-TV2A-0BlC-DEFG"):
        assert normalized_code(typed) == code.replace("-", ""), typed
    for bad in ("", "7K3Q-MPX9-TV2A-0B1C", "7K3Q-MPX9-TV2A-0B1C-DEFU", "7K3Q-MPX9-TV2A-0B1C-DEF!"):
        assert normalized_code(bad) is None


def test_a_database_from_the_first_pairing_relay_is_brought_up_to_date(
        tmp_path: Path, database: str) -> None:
    """A relay database whose practices' table lacks the columns added since (the
    accounts of template webhooks, removal) is brought up to date on start, and
    its paired practice keeps working."""
    from sqlalchemy import create_engine, text

    made = added(database)
    got = pair_directly(database, made["code"])
    engine = create_engine(database)
    with engine.begin() as conn:
        for column in ("whatsapp_business_account_ids", "removed_at"):
            conn.execute(text(f"ALTER TABLE relay_practice DROP COLUMN {column}"))
    engine.dispose()
    with RelayServer(tmp_path / "again", bare=True, env={"RELAY_DATABASE_URL": database}) as relay:
        r = requests.get(f"{relay.url}/api/v1/events", headers=bearer(got.api_key), timeout=5)
        assert r.status_code == 200
        assert requests.get(f"{relay.url}/c/{session_link(got.link_secret, 7)}",
                            timeout=5).status_code == 200
    assert [p["id"] for p in listed(database)] == [made["id"]]


def pair_directly(database: str, code: str) -> Any:
    """Pairs through the relay's own store, as its route does."""
    from relay.practices import PracticeBook

    store = Store(database)
    return PracticeBook(store.engine).pair(code, bytes(PrivateKey.generate().public_key)).paired
