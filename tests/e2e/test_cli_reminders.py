"""The reminder commands as scripts use them: config, secret, reminders, outbox, worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fakes.smtp import SmtpServer


def run(folder: Path, *args: str, stdin: str | None = None,
        now: str = "2026-11-20T12:00:00Z") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRACTICE_NOW": now, "LANGUAGE": "en"}
    return subprocess.run([sys.executable, "-m", "app", *args, "--data-dir", str(folder)],
                          input=stdin, env=env, capture_output=True, text=True, timeout=120)


def ok(folder: Path, *args: str, **kw: str) -> object:
    result = run(folder, *args, "--json", **kw)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_reminders_from_the_command_line(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    with SmtpServer() as smtp:
        for key, value in (("smtp.host", "127.0.0.1"), ("smtp.port", str(smtp.port)),
                           ("smtp.security", "none"), ("smtp.from", "agenda@example.com"),
                           ("reminders.default", "email:60,whatsapp:1440")):
            ok(folder, "config", "set", key, value)
        assert run(folder, "config", "set", "smtp.security", "tls").returncode == 3
        assert run(folder, "config", "set", "reminders.default", "fax:10").returncode == 3
        stored = ok(folder, "secret", "set", "smtp.password", stdin="hunter2-secret\n")
        assert stored == {"name": "smtp.password", "stored": True}
        shown = ok(folder, "config", "show")
        assert shown["smtp.port"] == str(smtp.port)
        assert shown["secrets"]["smtp.password"] is True
        assert "hunter2-secret" not in json.dumps(shown)
        ok(folder, "settings", "set", "timezone", "America/Sao_Paulo")
        client = ok(folder, "client", "add", "--name", "Maria Silva", "--phone",
                    "11987654321", "--email", "maria@example.com", "--consent", "email")
        session = ok(folder, "book", "--client", str(client["id"]), "--custom", "Sessão",
                     "--duration", "50", "--start", "2026-11-23T10:00")
        planned = ok(folder, "reminders", str(session["id"]))
        assert [(m["channel"], m["state"], m["send_at"]) for m in planned] == [
            ("whatsapp", "skipped", "2026-11-22T10:00:00-03:00"),
            ("email", "pending", "2026-11-23T09:00:00-03:00")]
        assert "has not agreed" in planned[0]["last_error"]
        report = ok(folder, "worker", "--once", now="2026-11-23T12:05:00Z")
        assert report["sent"] == 1
        assert len(smtp.received) == 1
        sent = ok(folder, "outbox", "--state", "sent")
        assert [m["id"] for m in sent] == [planned[1]["id"]]
        assert sent[0]["provider_message_id"].startswith("<outbox-")
        assert run(folder, "secret", "set", "smtp.password", stdin="").returncode == 3
        assert run(folder, "reminders", "999").returncode == 3


def test_a_call_and_a_phone_notification_from_the_command_line(tmp_path: Path) -> None:
    """reminders ID --add CHANNEL:MINUTES, voice and push among the channels; one wrong
    reminder among several adds none; consent to a call is given like the others."""
    folder = tmp_path / "p"
    ok(folder, "settings", "set", "timezone", "America/Sao_Paulo")
    ok(folder, "config", "set", "reminders.default", "voice:120,push:1440")
    assert ok(folder, "config", "show")["reminders.default"] == "voice:120,push:1440"
    client = ok(folder, "client", "add", "--name", "Maria Silva", "--phone", "11987654321",
                "--consent", "voice")
    shown = ok(folder, "client", "show", str(client["id"]))
    assert shown["consent"]["voice"] is not None and shown["consent"]["push"] is None
    refused = run(folder, "client", "add", "--name", "João", "--phone", "11987654322",
                  "--consent", "push")
    assert refused.returncode == 3 and "turned on by the client" in refused.stderr
    session = ok(folder, "book", "--client", str(client["id"]), "--custom", "Sessão",
                 "--duration", "50", "--start", "2026-11-23T10:00")
    planned = ok(folder, "reminders", str(session["id"]))
    assert [(m["channel"], m["state"]) for m in planned] == [
        ("push", "skipped"), ("voice", "pending")]
    assert "Phone calls are not set up" in planned[1]["blocked"]
    wrong = run(folder, "reminders", str(session["id"]), "--add", "voice:60",
                "--add", "fax:30")
    assert wrong.returncode == 3 and "fax:30" in wrong.stderr
    added = ok(folder, "reminders", str(session["id"]), "--add", "voice:60",
               "--text", "Traga os exames")
    assert [(m["channel"], m["minutes_before"], m["custom_text"]) for m in added][-1] == (
        "voice", 60, "Traga os exames")
    assert len(added) == 3
