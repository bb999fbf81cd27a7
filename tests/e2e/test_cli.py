"""The `practice` command run as a process, the way scripts use it: its JSON,
its exit status (0 done, 2 usage, 3 refused, 1 unexpected) and its refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

NOW = "2026-11-20T12:00:00Z"  # Friday 09:00 in São Paulo


class Practice:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def run(self, *args: str, now: str = NOW, env: dict[str, str] | None = None,
            data_dir: bool = True) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "PRACTICE_NOW": now, "LANGUAGE": "en", **(env or {})}
        extra = ["--data-dir", str(self.folder)] if data_dir else []
        return subprocess.run([sys.executable, "-m", "app", *args, *extra], env=full_env,
                              capture_output=True, text=True, timeout=120)

    def ok(self, *args: str, **kw: Any) -> Any:
        result = self.run(*args, "--json", **kw)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def refused(self, *args: str, code: int = 3) -> str:
        result = self.run(*args)
        assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        return result.stderr


@pytest.fixture
def cli(tmp_path: Path) -> Practice:
    p = Practice(tmp_path / "data")
    p.ok("settings", "set", "timezone", "America/Sao_Paulo")
    p.ok("settings", "set", "country", "BR")
    p.ok("settings", "set", "hours", "mon-fri", "08:00-19:00")
    return p


@pytest.fixture
def booked(cli: Practice) -> dict[str, int]:
    client = cli.ok("client", "add", "--name", "Maria Silva", "--phone", "(11) 98765-4321",
                    "--email", "maria@example.com", "--consent", "whatsapp,email")["id"]
    other = cli.ok("client", "add", "--name", "João Alves", "--phone", "21 99876-5432",
                   "--language", "en")["id"]
    assert cli.ok("client", "show", str(other))["language"] == "en"
    service = cli.ok("service", "add", "--name", "Psicoterapia", "--duration", "50",
                     "--price", "200", "--buffer", "10")["id"]
    session = cli.ok("book", "--client", str(client), "--service", str(service),
                     "--start", "2026-11-23T10:00")["id"]
    return {"client": client, "other": other, "service": service, "session": session}


def test_version() -> None:
    result = subprocess.run([sys.executable, "-m", "app", "--version"], capture_output=True,
                            text=True, check=True)
    from app import __version__
    assert result.stdout.strip() == f"practice {__version__}"


def test_demo_then_list_shows_every_status(tmp_path: Path) -> None:
    p = Practice(tmp_path / "demo")
    summary = p.ok("demo", now="2026-11-21T12:00:00Z")
    assert summary["clients"] == 40
    sessions = p.ok("list")
    assert len(sessions) == summary["appointments"] > 200
    assert {s["status"] for s in sessions} == {"scheduled", "confirmed", "completed",
                                               "cancelled", "rescheduled", "no_show"}
    assert all("history" not in s for s in sessions)
    assert [s["start"] for s in sessions] == sorted(s["start"] for s in sessions)
    moved = next(s for s in sessions if s["status"] == "rescheduled")
    detail = p.ok("show", str(moved["id"]))
    assert [h["action"] for h in detail["history"]][-1] == "reschedule"
    assert p.ok("show", str(detail["rescheduled_to"]))["rescheduled_from"] == moved["id"]
    assert "already has clients" in p.refused("demo")


def test_show_has_the_documented_shape(cli: Practice, booked: dict[str, int]) -> None:
    shown = cli.ok("show", str(booked["session"]))
    for key in ("id", "status", "start", "end", "duration_minutes", "client", "service",
                "staff", "source", "rescheduled_from", "rescheduled_to",
                "cancellation_reason", "history"):
        assert key in shown
    assert shown["start"] == "2026-11-23T10:00:00-03:00"  # a bare start is local time
    assert shown["end"] == "2026-11-23T10:50:00-03:00"
    assert shown["client"] == {"id": booked["client"], "name": "Maria Silva",
                               "phone": "+5511987654321", "email": "maria@example.com"}
    assert (shown["service"], shown["source"], shown["status"]) == \
        ("Psicoterapia", "manual", "scheduled")
    assert shown["history"][0]["action"] == "created"
    assert set(shown["history"][0]) == {"at", "actor", "action", "changes"}


def test_a_conflict_is_refused_and_changes_nothing(cli: Practice,
                                                   booked: dict[str, int]) -> None:
    before = cli.ok("list")
    result = cli.run("book", "--client", str(booked["other"]), "--service",
                     str(booked["service"]), "--start", "2026-11-23T10:30")
    assert result.returncode == 3
    assert f"session #{booked['session']}" in result.stderr and "busy" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert cli.ok("list") == before
    forced = cli.ok("book", "--client", str(booked["other"]), "--service",
                    str(booked["service"]), "--start", "2026-11-23T10:30", "--override")
    history = cli.ok("show", str(forced["id"]))["history"]
    assert history[0]["changes"]["override"][0]["rule"] == "staff_busy"


def test_the_life_of_a_session(cli: Practice, booked: dict[str, int]) -> None:
    sid = str(booked["session"])
    assert cli.ok("confirm", sid)["status"] == "confirmed"
    # A confirmation recorded by mistake goes back, and comes again.
    assert cli.ok("undo", sid) == {"id": booked["session"], "status": "scheduled"}
    assert cli.ok("confirm", sid)["status"] == "confirmed"
    # A move to the very same time is no move.
    assert "already at" in cli.refused("reschedule", sid, "--start", "2026-11-23T10:00")
    assert cli.ok("show", sid)["status"] == "confirmed"
    moved = cli.ok("reschedule", sid, "--start", "2026-11-24T15:00")
    assert moved == {"id": moved["id"], "original": booked["session"]}
    new = str(moved["id"])
    assert cli.ok("show", sid)["status"] == "rescheduled"
    assert cli.ok("show", new)["start"] == "2026-11-24T15:00:00-03:00"
    cli.ok("complete", new, "--price", "180", "--notes", "boa sessão",
           now="2026-11-24T19:00:00Z")
    done = cli.ok("show", new)
    assert (done["status"], done["actual_price"], done["internal_notes"]) == \
        ("completed", 180.0, "boa sessão")
    stats = cli.ok("client", "stats", str(booked["client"]))
    assert (stats["sessions"], stats["completed"], stats["no_show_rate"]) == (1, 1, 0.0)


def test_cancel_and_no_show(cli: Practice, booked: dict[str, int]) -> None:
    later = cli.ok("book", "--client", str(booked["client"]), "--custom", "Supervisão",
                   "--duration", "90", "--start", "2026-11-25T14:00")["id"]
    cli.refused("cancel", str(later), code=2)  # --reason is required
    out = cli.ok("cancel", str(later), "--reason", "Viagem", "--notify", "--waive")
    assert out["status"] == "cancelled"
    shown = cli.ok("show", str(later))
    assert (shown["cancellation_reason"], shown["charge_decision"]) == ("Viagem", "waive")
    assert (out["cancelled_by"], shown["cancelled_by"]) == ("client", "client")
    cli.ok("settings", "set", "cancel_fee", "80")
    soon = cli.ok("book", "--client", str(booked["client"]), "--custom", "Supervisão",
                  "--duration", "60", "--start", "2026-11-20T15:00")["id"]  # hours away
    out = cli.ok("cancel", str(soon), "--reason", "Agenda da profissional", "--by", "practice")
    assert (out["cancelled_by"], out["cancellation_fee"]) == ("practice", 0)
    assert "cannot be confirmed" in cli.refused("confirm", str(later))
    assert "once it has begun" in cli.refused("no-show", str(booked["session"]))
    cli.ok("no-show", str(booked["session"]), now="2026-11-23T14:00:00Z")
    assert cli.ok("client", "stats", str(booked["client"]))["no_shows"] == 1
    # A no-show recorded by mistake is undone the same day, and only then.
    assert cli.ok("undo", str(booked["session"]), now="2026-11-23T15:00:00Z") == {
        "id": booked["session"], "status": "scheduled"}
    cli.ok("no-show", str(booked["session"]), now="2026-11-23T15:05:00Z")
    refusal = cli.run("undo", str(booked["session"]), now="2026-11-24T12:00:00Z")
    assert refusal.returncode == 3 and "only be undone on the day" in refusal.stderr
    assert cli.ok("show", str(booked["session"]))["status"] == "no_show"


def test_series_reports_its_conflicts(cli: Practice, booked: dict[str, int]) -> None:
    out = cli.ok("book", "--client", str(booked["other"]), "--service", str(booked["service"]),
                 "--start", "2026-11-16T10:00", "--repeat", "weekly", "--count", "3",
                 now="2026-11-10T12:00:00Z")
    assert len(out["ids"]) == 2
    assert [c["start"] for c in out["conflicts"]] == ["2026-11-23T10:00:00-03:00"]
    assert "busy" in out["conflicts"][0]["reason"]
    monthly = cli.ok("book", "--client", str(booked["client"]), "--service",
                     str(booked["service"]), "--start", "2026-12-08T09:00", "--repeat",
                     "monthly", "--until", "2027-02-28")
    starts = [cli.ok("show", str(i))["start"][:10] for i in monthly["ids"]]
    assert starts == ["2026-12-08", "2027-01-12", "2027-02-09"]


def test_list_filters_and_slots(cli: Practice, booked: dict[str, int]) -> None:
    cli.ok("book", "--client", str(booked["other"]), "--service", str(booked["service"]),
           "--start", "2026-11-24T09:00")
    assert [s["id"] for s in cli.ok("list", "--from", "2026-11-23", "--to", "2026-11-23")] == \
        [booked["session"]]
    assert len(cli.ok("list", "--client", str(booked["other"]))) == 1
    assert cli.ok("list", "--status", "completed") == []
    slots = cli.ok("slots", "--date", "2026-11-23", "--service", str(booked["service"]))
    assert "2026-11-23T09:00:00-03:00" in slots
    assert "2026-11-23T10:00:00-03:00" not in slots and "2026-11-23T10:30:00-03:00" not in slots
    assert "2026-11-23T11:00:00-03:00" in slots


@pytest.mark.parametrize(("args", "message"), [
    (["client", "add", "--name", "X", "--phone", "123"], "not a valid phone number"),
    (["client", "add", "--name", "X", "--phone", "11987654321", "--email", "x@"],
     "not a valid e-mail"),
    (["client", "add", "--name", "X", "--phone", "11987654321", "--language", "fr"],
     "Language must be one of"),
    (["show", "999"], "no session with id 999"),
    (["confirm", "999"], "no session with id 999"),
    (["book", "--client", "999", "--custom", "X", "--duration", "50", "--start",
      "2026-11-23T10:00"], "no client with id 999"),
    (["book", "--client", "1", "--custom", "X", "--duration", "50", "--start",
      "2026-02-30T10:00"], "not a real date"),
    (["list", "--from", "2026-13-01"], "not a real date"),
    (["settings", "set", "timezone", "Nowhere/City"], "not a time zone"),
])
def test_refusals_exit_3_with_one_sentence(cli: Practice, args: list[str], message: str) -> None:
    before = cli.ok("client", "list")
    stderr = cli.refused(*args)
    assert message in stderr
    assert cli.ok("client", "list") == before


@pytest.mark.parametrize("args", [
    ["book", "--client", "1", "--start", "2026-11-23T10:00"],          # no service
    ["book", "--client", "1", "--custom", "X", "--start", "2026-11-23T10:00", "--repeat",
     "weekly"],                                                          # no end
    ["cancel", "1"],
    ["frobnicate"],
    ["list", "--status", "maybe"],
])
def test_bad_usage_exits_2(cli: Practice, args: list[str]) -> None:
    cli.refused(*args, code=2)


def test_data_folder_from_option_or_environment(tmp_path: Path) -> None:
    home = tmp_path / "home"
    p = Practice(home)
    result = p.run("client", "add", "--name", "A", "--phone", "11987654321", "--json",
                   data_dir=False, env={"PRACTICE_HOME": str(home)})
    assert result.returncode == 0, result.stderr
    assert (home / "practice.sqlite3").exists()
    assert (home / "logs" / "practice.log").exists()
    # --data-dir also works before the subcommand
    result = subprocess.run([sys.executable, "-m", "app", "--data-dir", str(home), "client",
                             "list", "--json"], capture_output=True, text=True, check=True)
    assert [c["name"] for c in json.loads(result.stdout)] == ["A"]


def test_a_damaged_database_is_a_clear_refusal(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "practice.sqlite3").write_bytes(b"not a database at all")
    stderr = Practice(folder).refused("list")
    assert "is not a Practice Desk database" in stderr and "backups" in stderr
    assert (folder / "practice.sqlite3").read_bytes() == b"not a database at all"


def test_messages_follow_the_practice_language(cli: Practice) -> None:
    cli.ok("settings", "set", "language", "pt_BR")
    assert "não é um telefone válido" in cli.refused("client", "add", "--name", "X",
                                                      "--phone", "123")


def test_client_add_warns_of_the_same_phone_or_email_and_still_adds(cli: Practice) -> None:
    first = cli.ok("client", "add", "--name", "Ana Teste", "--phone", "(11) 98765-4321",
                   "--email", "ana@example.com")
    assert first["warnings"] == []
    sister = cli.ok("client", "add", "--name", "Bia Teste", "--phone", "(11) 8765-4321")
    assert sister["warnings"] == [{"kind": "same_phone", "client_id": first["id"]}]
    other = cli.ok("client", "add", "--name", "Outra", "--phone", "(21) 99999-0000",
                   "--email", "ANA@example.com")
    assert other["warnings"] == [{"kind": "same_email", "client_id": first["id"]}]
    plain = cli.run("client", "add", "--name", "Cris\x1b[2J", "--phone", "(11) 98765-4321")
    assert plain.returncode == 0 and plain.stdout.strip().isdigit()
    assert f"Same phone as client #{first['id']} (Ana Teste)." in plain.stderr


def test_text_from_outside_never_drives_the_terminal(cli: Practice) -> None:
    hostile = "Evil\x1b[2J\x1b[31mRED\x07\x9b31m\u202e"
    made = cli.ok("client", "add", "--name", hostile, "--phone", "(41) 98765-4322")
    plain = cli.run("client", "list")
    # What would drive the terminal or reorder the line is not part of the name.
    assert plain.returncode == 0 and "Evil[2J[31mRED31m" in plain.stdout
    assert not any(ch in plain.stdout for ch in "\x1b\x07\x9b\u202e")
    listed = cli.run("client", "list", "--json")
    assert "\x1b" not in listed.stdout and "\x9b" not in listed.stdout
    assert json.loads(listed.stdout)[0]["name"] == "Evil[2J[31mRED31m"
    refused = cli.run("book", "--client", str(made["id"]), "--start", "2026-11-22T23:00",
                      "--custom", "Sessão\x1b[1m", "--duration", "50")
    assert refused.returncode == 3 and "\x1b" not in refused.stderr
    # An argument that is not UTF-8 is kept as a replacement character, not a crash.
    odd = cli.run("client", "add", "--name", "Ana \udc9b", "--phone", "(41) 98765-4323")
    assert odd.returncode == 0, odd.stderr


def test_text_output_speaks_the_practices_language(cli: Practice,
                                                   booked: dict[str, int]) -> None:
    """The JSON keeps its codes; what a person reads is in words, Portuguese included."""
    session = str(booked["session"])
    cli.ok("confirm", session)
    env = {"LANGUAGE": "pt_BR"}
    shown = cli.run("show", session, env=env).stdout
    assert "Confirmado" in shown and "confirmou a sessão" in shown
    assert " confirm\n" not in shown and "confirmed " not in shown
    listed = cli.run("list", env=env).stdout
    assert "Confirmado" in listed and "confirmed" not in listed
    assert cli.ok("show", session)["status"] == "confirmed"  # the contract is unchanged


def test_help_and_usage_errors_speak_the_systems_language(tmp_path: Path) -> None:
    """Before any practice is open, the command line speaks the system's language:
    argparse's own words and every command's help, in Portuguese, no English left."""
    p = Practice(tmp_path / "data")
    pt = {"LANGUAGE": "pt_BR", "LANG": "pt_BR.UTF-8"}
    shown = p.run("cancel", "--help", env=pt).stdout
    assert shown.startswith("uso: practice cancel")
    for words in ("argumentos posicionais:", "opções:", "mostrar esta ajuda e sair",
                  "cancelar uma sessão", "quem cancelou"):
        assert words in shown, words
    for english in ("usage:", "options:", "show this help", "cancel a session", "tell the"):
        assert english not in shown, english
    refused = p.run("cancel", env=pt)
    assert refused.returncode == 2
    assert "erro: os seguintes argumentos são obrigatórios: id, --reason" in refused.stderr
    top = p.run("--help", env=pt).stdout
    assert "agendar uma sessão" in top and "book a session" not in top
    assert p.run("cancel", "--help").stdout.startswith("usage: practice cancel")  # English
