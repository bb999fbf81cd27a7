"""`practice --as NAME` as scripts use it: only a person of the practice may be
named (case and spaces do not matter), anyone else is refused with who may be;
the person's role decides what they read and write. Without --as the command
acts as it always did."""

from __future__ import annotations

import getpass
from pathlib import Path

from app.services import this_computer
from app.services.paths import DataPaths
from tests.e2e.test_cli import Practice as Command

AFTER = "2026-11-23T19:00:00Z"  # Monday 16:00 in São Paulo, after the session


def test_as_names_a_person_whose_role_decides_what_they_read(tmp_path: Path) -> None:
    cli = Command(tmp_path / "data")
    cli.ok("settings", "set", "timezone", "America/Sao_Paulo")
    ana = cli.ok("staff", "add", "--name", "Ana Lima")["id"]
    bruno = cli.ok("staff", "add", "--name", "Bruno Reis")["id"]
    cli.ok("config", "set", "team.reception", "Carla")
    client = cli.ok("client", "add", "--name", "Maria Silva", "--phone", "(11) 98765-4321")["id"]
    other = cli.ok("client", "add", "--name", "João Alves", "--phone", "21 99876-5432")["id"]
    sid = str(cli.ok("book", "--client", str(client), "--custom", "Psicoterapia",
                     "--duration", "50", "--staff", str(ana),
                     "--start", "2026-11-23T10:00")["id"])
    his = str(cli.ok("book", "--client", str(other), "--custom", "Psicoterapia",
                     "--duration", "50", "--staff", str(bruno),
                     "--start", "2026-11-23T11:00")["id"])

    # Anyone else is refused, as every refusal: exit 3, one sentence naming who may be.
    said = cli.refused("show", sid, "--as", "Dra. Ana")
    assert said.strip() == (
        "“Dra. Ana” is not one of this practice's people; name one of: Professional — "
        "professional; Ana Lima — professional; Bruno Reis — professional; "
        "Carla — reception.")
    # Reception may not write the notes: refused, and the session is as it was.
    result = cli.run("complete", sid, "--notes", "anotado na recepção", "--as", "carla",
                     now=AFTER)
    assert result.returncode == 3 and result.stderr.strip() == (
        "Internal notes are the professionals' own: Carla (reception) cannot write them. "
        "Nothing was changed.")
    assert cli.ok("show", sid)["status"] == "scheduled"

    # The professional, named as people type, completes with her notes, in her name.
    cli.ok("complete", sid, "--notes", "Boa evolução", "--as", "  ana   LIMA ", now=AFTER)
    mine = cli.ok("show", sid, "--as", "Ana Lima")
    assert (mine["internal_notes"], mine["internal_notes_withheld"]) == ("Boa evolução", False)
    assert mine["history"][-1]["actor"] == "Ana Lima"
    assert mine["history"][-1]["changes"]["internal_notes"] == ["", "Boa evolução"]

    # Reception reads the session, not the notes, nor their old → new in the history.
    seen = cli.ok("show", sid, "--as", "Carla")
    assert (seen["internal_notes"], seen["internal_notes_withheld"]) == ("", True)
    assert "Boa evolução" not in str(seen)
    assert seen["history"][-1]["changes"] == {"status": ["scheduled", "completed"],
                                              "internal_notes_withheld": True}
    listed = {s["id"]: s for s in cli.ok("list", "--as", "Carla")}
    assert listed[int(sid)]["internal_notes"] == "" and listed[int(sid)][
        "internal_notes_withheld"]
    # Bruno: not his client. Ana may not write on his.
    assert cli.ok("show", sid, "--as", "Bruno Reis")["internal_notes_withheld"]
    result = cli.run("complete", his, "--notes", "x", "--as", "Ana Lima", now=AFTER)
    assert result.returncode == 3 and "only on their own clients' sessions" in result.stderr
    # A client's data (LGPD) asked for by reception: without the notes.
    exported = cli.run("client", "export", str(client), "--as", "Carla")
    assert exported.returncode == 0 and "Boa evolução" not in exported.stdout
    assert '"internal_notes_withheld": true' in exported.stdout

    # Without --as, on a computer that has not said who uses it: the login's name, and
    # no internal notes — as its window would act.
    plain = cli.ok("show", sid)
    assert plain["internal_notes"] == "" and plain["internal_notes_withheld"]
    cli.ok("confirm", his)
    assert cli.ok("show", his)["history"][-1]["actor"] == getpass.getuser()
    # The computer said Ana Lima uses it (its window asked): commands act as her.
    this_computer.save(DataPaths(tmp_path / "data"), person="Ana Lima")
    mine = cli.ok("show", sid)
    assert (mine["internal_notes"], mine["internal_notes_withheld"]) == ("Boa evolução", False)
    later = str(cli.ok("book", "--client", str(client), "--custom", "Psicoterapia",
                       "--duration", "50", "--staff", str(ana),
                       "--start", "2026-11-30T10:00")["id"])
    assert cli.ok("show", later)["history"][-1]["actor"] == "Ana Lima"
