"""`practice import` as scripts run it: the report's JSON keys, row numbers as the
spreadsheet shows them, --dry-run writing nothing, --override-conflicts, and exit
status 0 for a processed file and 3 for an unusable one."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_cli import Practice, booked, cli  # noqa: F401  (fixtures)

CSV = ("Nome;Telefone;E-mail;Serviço;Data;Hora\r\n"
       "Ana Lima;11 93333-4444;ana@example.com;Psicoterapia;23/11/2026;10:30\r\n"  # collides
       "\r\n"
       "Bia Souza;123;;Psicoterapia;24/11/2026;10:00\r\n"  # invalid phone
       "Carla Dias;11 95555-6666;;Psicoterapia;24/11/2026;11:00\r\n")


def write(tmp_path: Path) -> Path:
    f = tmp_path / "agenda.csv"
    f.write_bytes(CSV.encode("cp1252"))
    return f


def test_dry_run_reports_every_row_and_writes_nothing(cli: Practice, booked: dict[str, int],  # noqa: F811
                                                      tmp_path: Path) -> None:
    report = cli.ok("import", str(write(tmp_path)), "--dry-run")
    assert report["imported"] == 0 and report["skipped"] == 2
    assert [{k: r[k] for k in ("row", "status", "appointment_id")} for r in report["rows"]] == [
        {"row": 2, "status": "conflict", "appointment_id": booked["session"]},
        {"row": 4, "status": "invalid", "appointment_id": None},
        {"row": 5, "status": "ok", "appointment_id": None}]
    assert report["rows"][1]["reason"].startswith("Telefone: '123'")
    assert len(cli.ok("list", "--from", "2026-11-01", "--to", "2026-12-31")) == 1


def test_import_skips_conflicts_and_override_takes_them(cli: Practice,  # noqa: F811
                                                       booked: dict[str, int],  # noqa: F811
                                                       tmp_path: Path) -> None:
    f = write(tmp_path)
    report = cli.ok("import", str(f))
    assert (report["imported"], report["skipped"]) == (1, 2)
    statuses = [(r["row"], r["status"]) for r in report["rows"]]
    assert statuses == [(2, "skipped"), (4, "skipped"), (5, "imported")]
    carla = report["rows"][2]["appointment_id"]
    shown = cli.ok("show", str(carla))
    assert shown["source"] == "import" and shown["client"]["name"] == "Carla Dias"
    assert shown["history"][0]["actor"] == "import"
    assert shown["history"][0]["changes"]["file"] == "agenda.csv"

    forced = cli.ok("import", str(f), "--override-conflicts")
    assert [(r["row"], r["status"]) for r in forced["rows"]] == [
        (2, "imported"), (4, "skipped"), (5, "skipped")]
    assert forced["rows"][2]["reason"] == f"Already in the agenda as session #{carla}."


def test_text_output_names_the_rows_left_out(cli: Practice, booked: dict[str, int],  # noqa: F811
                                             tmp_path: Path) -> None:
    result = cli.run("import", str(write(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert "agenda.csv: sessions imported: 1; rows skipped: 2." in result.stdout
    assert "row 4: skipped (invalid) — Telefone: '123'" in result.stdout


def test_an_unusable_file_exits_3_with_a_sentence(cli: Practice, tmp_path: Path) -> None:  # noqa: F811
    missing = cli.refused("import", str(tmp_path / "nope.csv"))
    assert "There is no file" in missing
    f = tmp_path / "other.csv"
    f.write_text("foo;bar\n1;2\n")
    assert "has no column for: Name, Phone, Date, Time" in cli.refused("import", str(f))
    result = cli.run("import", str(f), "--json")
    assert result.returncode == 3 and "Traceback" not in result.stderr


def test_columns_can_be_named_when_headers_are_not_recognised(cli: Practice,  # noqa: F811
                                                              tmp_path: Path) -> None:
    cli.ok("service", "add", "--name", "Psicoterapia", "--duration", "50")
    f = tmp_path / "odd.csv"
    f.write_text("Quem,Contato,Quando\nAna Lima,11 93333-4444,2026-11-23 10:00\n")
    report = cli.ok("import", str(f), "--column", "name=Quem", "--column", "phone=2",
                    "--column", "datetime=quando")
    assert report["imported"] == 1
    assert cli.run("import", str(f), "--column", "nonsense=Quem").returncode == 2
    data = json.loads(cli.run("import", str(f), "--json", "--column", "name=Quem",
                              "--column", "phone=2", "--column", "datetime=3").stdout)
    assert data["rows"][0]["status"] == "skipped"


def test_the_clients_an_import_creates_agree_as_told(cli: Practice,  # noqa: F811
                                                      booked: dict[str, int],  # noqa: F811
                                                      tmp_path: Path) -> None:
    f = write(tmp_path)
    report = cli.ok("import", str(f), "--override-conflicts", "--consent", "whatsapp,email")
    created = {cli.ok("show", str(r["appointment_id"]))["client"]["id"]
               for r in report["rows"] if r["status"] == "imported"}
    consents = {c["name"]: {k for k, v in c["consent"].items() if v}
                for c in (cli.ok("client", "show", str(i)) for i in created)}
    # E-mail only where the row had an address.
    assert consents == {"Ana Lima": {"whatsapp", "email"}, "Carla Dias": {"whatsapp"}}
    assert "Unknown channel 'fax'" in cli.refused("import", str(f), "--consent", "fax")
