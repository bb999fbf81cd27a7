"""The command line's start (issue 21): a command imports only what it runs, every
table module stands alone, and terminal output is escaped exactly as before."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from app.cli import _REORDERING, build_parser, terminal_safe

ROOT = Path(__file__).resolve().parents[2]


def _fresh(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return done.stdout


def test_building_the_parser_imports_no_command_s_services() -> None:
    """`practice list` must not pay for Conecta, slots, the sender, backups or the
    exporters (`export --format`'s choices come from app.services.export_formats)."""
    loaded = set(_fresh("import sys\nfrom app.cli import build_parser\nbuild_parser()\n"
                        "print('\\n'.join(sorted(sys.modules)))").split())
    for heavy in ("app.services.availability", "app.services.conversations",
                  "app.services.attendances", "app.services.outbox", "app.services.backups",
                  "app.services.importing.commit", "app.services.importing.judge",
                  "app.services.channels.whatsapp", "app.services.mail_inbound",
                  "app.services.exports", "app.services.scheduling",
                  "app.services.storage.connecting", "icalendar", "keyring",
                  "app.models.conecta", "app.models.outbox"):
        assert heavy not in loaded, heavy


def test_listing_sessions_loads_no_library_or_table_it_does_not_use(tmp_path: Path) -> None:
    """`practice list --json` runs, in a fresh process, without phone or e-mail
    validation, HTTP, the keyring, calendars, the exporters or the scheduling rules,
    and builds neither Conecta's nor the outbox's tables: each was most of a short
    command's time (issue 21). It still lists the practice's sessions."""
    home = tmp_path / "practice"
    env_code = (
        "import io, json, sys\n"
        "from app.cli import main\n"
        "def run(*argv):\n"
        "    out, sys.stdout = sys.stdout, io.StringIO()\n"
        "    try:\n"
        f"        status = main(['--data-dir', {str(home)!r}, *argv])\n"
        "        return status, sys.stdout.getvalue()\n"
        "    finally:\n"
        "        sys.stdout = out\n")
    book = _fresh(env_code + "print(run('demo', '--json')[0])\n")
    assert book.strip() == "0"
    out = _fresh(env_code + "status, text = run('list', '--json')\n"
                 "print(json.dumps({'status': status, 'sessions': len(json.loads(text)),\n"
                 "                  'modules': sorted(sys.modules)}))\n")
    found = json.loads(out)
    assert found["status"] == 0 and found["sessions"] > 0
    loaded = set(found["modules"])
    for unused in ("phonenumbers", "email_validator", "requests", "urllib3", "keyring",
                   "icalendar", "openpyxl", "app.services.exports", "app.services.scheduling",
                   "app.services.secrets", "app.services.channels.twilio_account",
                   "app.services.messages", "app.models.conecta", "app.models.outbox",
                   "app.models.push"):
        assert unused not in loaded, unused
    assert {"app.models.tables", "app.models.config_entry", "app.services.queries"} <= loaded


def test_names_moved_out_of_a_table_module_are_the_same_objects_where_they_were() -> None:
    """Conecta's kinds and the configuration's table have modules of their own (so
    they load without Conecta's or the outbox's tables); the old names still work."""
    import app.models
    from app.models import conecta, conecta_kinds, config_entry, outbox
    from app.services import export_formats, exports

    for name in ("Medium", "AttendanceStatus", "Direction", "EntryKind", "DeliveryState",
                 "CallOutcome", "NEEDS_PHONE", "NEEDS_EMAIL", "OPEN_STATUSES",
                 "BUILT_IN_TYPES", "DELIVERY_RANK"):
        assert getattr(conecta, name) is getattr(conecta_kinds, name), name
    assert outbox.ConfigEntry is config_entry.ConfigEntry is app.models.ConfigEntry
    assert exports.Format is export_formats.Format
    assert [f.value for f in export_formats.Format] == ["csv", "xlsx", "ics"]


def test_every_command_is_still_offered() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    names = set(sub.choices)  # type: ignore[arg-type]
    assert {"list", "book", "client", "conecta", "import", "export", "backup", "restore",
            "slots", "worker", "database", "relay", "push", "requests"} <= names
    help_text = parser.format_help()
    for name in names:
        assert name in help_text


@pytest.mark.parametrize("module", ["change_log", "conecta", "config_entry", "outbox", "push",
                                    "requests", "tables"])
def test_each_table_module_loads_alone_with_the_tables_its_keys_refer_to(module: str) -> None:
    """A table module imported alone brings the tables its foreign keys name, so the
    ORM can order a flush (sorting by foreign keys) with only the models a command
    uses."""
    out = _fresh(f"import app.models.{module}\n"
                 "from sqlmodel import SQLModel\n"
                 "from sqlalchemy.orm import configure_mappers\n"
                 "configure_mappers()\n"
                 "print(len(SQLModel.metadata.sorted_tables))\n")
    assert int(out) >= 1


def test_load_all_registers_every_table() -> None:
    out = _fresh("import app.models\nfrom sqlmodel import SQLModel\napp.models.load_all()\n"
                 "print(' '.join(sorted(SQLModel.metadata.tables)))")
    assert {"appointment", "outbox", "conversation_entry", "push_subscription",
            "client_request", "change_log", "channel_check", "config"} <= set(out.split())


def test_terminal_safe_escapes_exactly_control_and_reordering_characters() -> None:
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)

    def one_by_one(text: str) -> str:  # the definition: Unicode's Cc, and the reordering
        return "".join(
            ch if ch in "\n\t" or (unicodedata.category(ch) != "Cc" and ch not in _REORDERING)
            else f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"
            for ch in text)

    assert terminal_safe(every) == one_by_one(every)
    assert terminal_safe("Ana\x1b[31m\u202eX\n") == "Ana\\x1b[31m\\u202eX\n"
