"""The delivery guarantee for calls: a `practice worker` killed (SIGKILL) while
Twilio holds its Create Call request leaves the reminder `sending`; the next
worker, once the lease has run out, makes it `unknown` for a person to decide.
The client's phone rang once, never twice: a call is never placed again on its
own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.models.enums import Channel
from app.services import clients, config, relay_client, reminders, scheduling, secrets, settings
from app.services.clock import FrozenClock
from app.services.practice import open_practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local
from tests.fakes.relay_server import API_KEY, LINK_SECRET, RelayServer
from tests.fakes.twilio import FakeTwilio


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[tuple[Path, FakeTwilio]]:
    folder = tmp_path / "practice"
    p = open_practice(folder, clock=FrozenClock(local("2027-03-10T09:00")), actor="t",
                      logging_on=False)
    public = relay_client.keys(p)
    with FakeTwilio() as tw, RelayServer(tmp_path / "relay", public_key=public, env={
            "RELAY_TWILIO_ACCOUNT_SID": tw.account.sid,
            "RELAY_TWILIO_AUTH_TOKEN": tw.account.token}) as relay:
        settings.set_value(p, "timezone", "America/Sao_Paulo")
        settings.set_value(p, "hours", "mon-fri 07:00-21:00")
        config.set_values(p, {"sms.api_base": tw.url, "sms.account_sid": tw.account.sid,
                              "sms.from": "+15005550006", "relay.url": relay.url,
                              "reminders.default": "voice:120"})
        secrets.store("sms.auth_token", tw.account.token)
        secrets.store("relay.api_key", API_KEY)
        secrets.store("relay.link_secret", LINK_SECRET)
        c = clients.add(p, name="Maria Silva", phone="+55 11 98765-4321",
                        consent=[Channel.VOICE]).id
        scheduling.book(p, BookingRequest(client_id=c, start=local("2027-03-15T10:00"),
                                          service_id=add_service(p)))
        p.close()
        yield folder, tw


def worker(folder: Path, at: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PRACTICE_NOW": at, "LANGUAGE": "en"}
    return subprocess.Popen([sys.executable, "-m", "app", "worker", "--once", "--data-dir",
                             str(folder)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def states(folder: Path) -> list[str]:
    p = open_practice(folder, logging_on=False)
    try:
        return [m.state for m in reminders.list_outbox(p)]
    finally:
        p.close()


def test_a_worker_killed_mid_call_never_rings_twice(folder: tuple[Path, FakeTwilio]) -> None:
    data, tw = folder
    tw.after_taking.append(("late", 20))  # Twilio takes the call, then holds its answer
    killed = worker(data, "2027-03-15T11:00:00+00:00")  # 08:00 in São Paulo: due
    deadline = time.monotonic() + 30
    while not tw.calls and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(tw.calls) == 1, "the worker placed the call"
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert states(data) == ["sending"]  # the claim was committed before Twilio was asked
    # A worker before the lease runs out leaves it alone; one after makes it `unknown`.
    for at in ("2027-03-15T11:01:00+00:00", "2027-03-15T11:10:00+00:00",
               "2027-03-15T11:20:00+00:00"):
        again = worker(data, at)
        assert again.wait(60) == 0
    assert states(data) == ["unknown"]
    assert len(tw.calls) == 1  # the client's phone rang once
