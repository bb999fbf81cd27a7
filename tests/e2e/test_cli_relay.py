"""The relay commands as scripts use them: relay keys, link, requests, resolve."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import requests

from tests.fakes.relay_server import API_KEY, LINK_SECRET, RelayServer


def run(folder: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRACTICE_NOW": "2026-11-20T12:00:00Z", "LANGUAGE": "en"}
    return subprocess.run([sys.executable, "-m", "app", *args, "--data-dir", str(folder)],
                          input=stdin, env=env, capture_output=True, text=True, timeout=120)


def ok(folder: Path, *args: str, stdin: str | None = None) -> object:
    result = run(folder, *args, "--json", stdin=stdin)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_relay_commands(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    keys = ok(folder, "relay", "keys")
    assert ok(folder, "relay", "keys") == keys  # made once
    assert run(folder, "link", "1").returncode == 3  # not set up yet: refused, clearly
    with RelayServer(tmp_path / "relay", public_key=keys["public_key"]) as relay:
        ok(folder, "config", "set", "relay.url", relay.url)
        ok(folder, "secret", "set", "relay.api_key", stdin=API_KEY)
        ok(folder, "secret", "set", "relay.link_secret", stdin=LINK_SECRET)
        ok(folder, "settings", "set", "timezone", "America/Sao_Paulo")
        client = ok(folder, "client", "add", "--name", "Maria Silva", "--phone", "11987654321")
        a = ok(folder, "book", "--client", str(client["id"]), "--custom", "Sessão",
               "--duration", "50", "--start", "2027-03-15T10:00")["id"]
        b = ok(folder, "book", "--client", str(client["id"]), "--custom", "Sessão",
               "--duration", "50", "--start", "2027-03-16T10:00")["id"]
        link_a, link_b = ok(folder, "link", str(a)), ok(folder, "link", str(b))
        assert link_a["url"].startswith(f"{relay.url}/c/")
        requests.post(link_a["url"], data={"action": "confirm"}, timeout=5)
        requests.post(link_b["url"], data={"action": "cancel", "reason": "Viagem"}, timeout=5)
        ok(folder, "worker", "--once")  # takes the answers in
        assert ok(folder, "show", str(a))["status"] == "confirmed"
        assert ok(folder, "show", str(b))["status"] == "scheduled"
        pending = ok(folder, "requests")
        assert [(r["appointment_id"], r["reason"]) for r in pending] == [(b, "Viagem")]
        assert set(pending[0]) == {"id", "appointment_id", "reason", "received_at", "kind",
                                   "state", "via"}
        assert pending[0]["via"] == "link"  # how the client asked (a call's keypad: phone)
        assert run(folder, "requests", "resolve", str(pending[0]["id"])).returncode == 2
        moved = ok(folder, "requests", "resolve", str(pending[0]["id"]), "--reschedule",
                   "2027-03-17T15:00")
        assert moved["decision"] == "reschedule"
        assert ok(folder, "show", str(moved["new_appointment_id"]))["start"].startswith(
            "2027-03-17T15:00")
        assert ok(folder, "requests") == []
