"""`practice export`, `backup`, `restore` and `client export` / `erase` as scripts
run them: their JSON, the files they write, and exit 3 for a refused file."""

from __future__ import annotations

import json
from pathlib import Path

from icalendar import Calendar

from tests.e2e.test_cli import Practice, booked, cli  # noqa: F401  (fixtures)


def test_export_backup_restore_and_a_clients_data(cli: Practice,  # noqa: F811
                                                  booked: dict[str, int],  # noqa: F811
                                                  tmp_path: Path) -> None:
    ics = tmp_path / "agenda.ics"
    out = cli.ok("export", "--format", "ics", "--from", "2026-11-01", "--to", "2026-11-30",
                 str(ics))
    assert out == {"file": str(ics), "format": "ics", "sessions": 1}
    event = next(iter(Calendar.from_ical(ics.read_bytes()).walk("VEVENT")))
    assert str(event["uid"]) == f"appointment-{booked['session']}@practice-desk"
    csv = tmp_path / "s.csv"
    assert cli.ok("export", "--format", "csv", "--from", "2026-11-01", "--to", "2026-11-30",
                  str(csv))["sessions"] == 1
    assert "Maria Silva" in csv.read_text(encoding="utf-8-sig")

    copy = cli.ok("backup", str(tmp_path))
    assert copy["sessions"] == 1 and Path(copy["path"]).exists()
    cli.ok("cancel", str(booked["session"]), "--reason", "viagem")
    restored = cli.ok("restore", copy["path"])
    assert Path(restored["previous"]).exists()
    assert cli.ok("show", str(booked["session"]))["status"] == "scheduled"

    data = json.loads(cli.run("client", "export", str(booked["client"])).stdout)
    assert data["client"]["name"] == "Maria Silva"
    assert [s["id"] for s in data["sessions"]] == [booked["session"]]
    assert cli.ok("client", "erase", str(booked["client"])) == {
        "id": booked["client"], "erased": True}
    assert cli.ok("client", "show", str(booked["client"]))["phone"] is None
    assert cli.ok("show", str(booked["session"]))["status"] == "scheduled"
    assert "already erased" in cli.refused("client", "erase", str(booked["client"]))

    broken = tmp_path / "broken.sqlite3"
    broken.write_text("not a database")
    assert "not a Practice Desk database" in cli.refused("restore", str(broken))
