"""Getting data in and out without a window: `practice import`, `practice export`,
`practice backup` / `restore`, and a client's data on request (`practice client
export` / `erase`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Imported by app.cli while it builds its parser, so app.cli is complete by then.
from app.cli import EXIT_OK, EXIT_REFUSED, _emit, _Later, _usage
from app.i18n import _, format_number, ngettext
from app.models.enums import AppointmentStatus
from app.services.clock import from_environment
from app.services.errors import PracticeError
from app.services.export_formats import Format
from app.services.importing import columns
from app.services.importing.cells import folded
from app.services.paths import resolve
from app.services.practice import Practice

if TYPE_CHECKING:
    from app.services import backups, client_data, clients, exports, importing, values
    from app.services.importing import commit, judge
else:  # imported when one of these commands runs
    backups, client_data, clients, exports, importing, values, commit, judge = (
        _Later(f"app.services.{name}") for name in (
            "backups", "client_data", "clients", "exports", "importing", "values",
            "importing.commit", "importing.judge"))

Command = Callable[..., argparse.ArgumentParser]


def add_commands(sub: Any, cmd: Command, client_actions: Any) -> None:
    p = cmd("import", cmd_import, _("import sessions from a CSV or XLSX file (conflicts are "
            "skipped unless overridden)"))
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true",
                   help=_("judge every row and report, importing nothing"))
    p.add_argument("--override-conflicts", action="store_true",
                   help=_("import conflicting rows too (audited); copies of sessions already "
                        "in the agenda are still skipped"))
    p.add_argument("--column", action="append", default=[], metavar="FIELD=HEADER",
                   help="which column holds a field when its header is not recognised; "
                        "fields: " + ", ".join(f.value for f in columns.Field)
                        + "; HEADER is the column's header or its number (1 = first)")
    p.add_argument("--consent", default="", metavar="CHANNELS",
                   help=_("channels the clients this file creates agreed to: whatsapp,email,sms "
                        "(e-mail only where the row has an address)"))

    p = cmd("export", cmd_export, _("export sessions to CSV, XLSX or an .ics calendar"))
    p.add_argument("--format", choices=[f.value for f in Format], required=True)
    p.add_argument("--from", dest="start", required=True, metavar="DATE")
    p.add_argument("--to", dest="end", required=True, metavar="DATE")
    p.add_argument("--staff", type=int, metavar="ID", help=_("only this professional's sessions"))
    p.add_argument("--status", action="append", choices=[s.value for s in AppointmentStatus],
                   help=_("only sessions with this status (repeat for several)"))
    p.add_argument("file")

    p = cmd("backup", cmd_backup, _("copy the database to FILE (safe while the app runs)"))
    p.add_argument("file", help=_("a file, or a folder to put a dated copy in"))
    p = cmd("restore", cmd_restore, _("replace the data with a backup; the current database is "
            "kept in the backups folder first"))
    p.add_argument("file")

    p = cmd("export", cmd_client_export, _("everything about one client, as JSON (LGPD/GDPR)"),
            client_actions)
    p.add_argument("id", type=int)
    p.add_argument("--output", metavar="FILE", help=_("write to FILE instead of the screen"))
    p = cmd("erase", cmd_client_erase, _("anonymise a client, keeping the session records and "
            "totals (LGPD/GDPR)"), client_actions)
    p.add_argument("id", type=int)


def _mapping(sheet: importing.Sheet, guessed: columns.ColumnMap,
             specs: list[str]) -> columns.ColumnMap | str:
    mapping = dict(guessed)
    for spec in specs:
        name, sep, header = spec.partition("=")
        try:
            f = columns.Field(name.strip().lower())
        except ValueError:
            return _("unknown field '{name}' in --column").format(name=name)
        if not sep:
            return _("--column needs FIELD=HEADER")
        wanted = folded(header)
        index = next((i for i, h in enumerate(sheet.headers) if folded(h) == wanted), None)
        if index is None and header.strip().isdigit() and 0 < int(header) <= len(sheet.headers):
            index = int(header) - 1
        if index is None:
            return _("{file} has no column '{header}'").format(file=sheet.name, header=header)
        mapping = {k: v for k, v in mapping.items() if v != index}
        mapping[f] = index
        if f is columns.Field.DATETIME:
            mapping.pop(columns.Field.DATE, None)
            mapping.pop(columns.Field.TIME, None)
    return mapping


def cmd_import(p: Practice, args: argparse.Namespace) -> int:
    sheet, guessed = importing.open_sheet(args.file)
    mapping = _mapping(sheet, guessed, args.column)
    if isinstance(mapping, str):
        return _usage("import", mapping)
    rows = importing.rows_of(p, sheet, mapping)
    name, notes = sheet.name, sheet.notes
    del sheet  # 100,000 rows: keep only the parsed ones
    overrides = bool(args.override_conflicts)
    consent = clients.parse_channels(args.consent) if args.consent else ()
    report = importing.dry_run(p, name, rows, overrides) if args.dry_run else \
        importing.run(p, name, rows, overrides, consent=consent)
    report.warnings = notes

    def text() -> str:
        lines = [commit.summary(report), *(f"⚠ {note}" for note in report.warnings)]
        for r in report.rows:
            if r.status in (judge.RowStatus.OK, judge.RowStatus.IMPORTED) and not r.reason:
                continue
            status = f"{r.status.value} ({r.cause})" if r.cause else r.status.value
            lines.append(_("row {row}: {status} — {reason}").format(
                row=r.row, status=status, reason=r.reason))
        return "\n".join(lines)

    _emit(args, report.as_json(), text)
    return EXIT_OK


def cmd_export(p: Practice, args: argparse.Namespace) -> None:
    fmt = Format(args.format)
    rows = exports.sessions(p, values.parse_date(args.start), values.parse_date(args.end),
                            staff_id=args.staff,
                            statuses=[AppointmentStatus(s) for s in args.status or []])
    count = exports.write(p, fmt, args.file, rows)
    _emit(args, {"file": args.file, "format": fmt.value, "sessions": count},
          ngettext("{n} session exported to {file}.", "{n} sessions exported to {file}.",
                   count).format(n=format_number(count), file=args.file))


def cmd_backup(p: Practice, args: argparse.Namespace) -> None:
    info = backups.backup(p, args.file)
    _emit(args, info.as_json(), _("Backup written to {path} ({sessions} sessions, {clients} "
                                  "clients).").format(path=info.path,
                                                      sessions=format_number(info.sessions),
                                                      clients=format_number(info.clients)))


def cmd_restore(p: Practice, args: argparse.Namespace) -> None:
    info, aside = backups.restore(p, args.file)
    _emit(args, {**info.as_json(), "previous": str(aside)},
          _("Restored {path} ({sessions} sessions, {clients} clients). The database as it was "
            "is kept at {aside}.").format(path=info.path, sessions=format_number(info.sessions),
                                          clients=format_number(info.clients), aside=aside))


def restore_over_damaged(data_dir: str | None, args: argparse.Namespace) -> int:
    """`practice restore FILE` when the database cannot be opened: the copy proves
    itself and takes its place; the damaged file is kept in the backups folder."""
    paths = resolve(data_dir).ensure()
    try:
        info = backups.inspect_file(Path(args.file).expanduser())
        kept = backups.replace_damaged(paths, Path(args.file), from_environment().now())
    except PracticeError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_REFUSED
    _emit(args, {**info.as_json(), "previous": str(kept)},
          _("Restored {path} ({sessions} sessions, {clients} clients). The database as it was "
            "is kept at {aside}.").format(path=info.path, sessions=format_number(info.sessions),
                                          clients=format_number(info.clients), aside=kept))
    return EXIT_OK


def cmd_client_export(p: Practice, args: argparse.Namespace) -> None:
    if args.output:
        client_data.write_export(p, args.id, args.output)
        _emit(args, {"file": args.output, "client_id": args.id},
              _("Client #{id}'s data written to {file}.").format(id=args.id, file=args.output))
    else:
        sys.stdout.write(client_data.as_text(client_data.export(p, args.id)))


def cmd_client_erase(p: Practice, args: argparse.Namespace) -> None:
    client_data.erase(p, args.id)
    _emit(args, {"id": args.id, "erased": True},
          _("Client #{id} anonymised; their session records were kept.").format(id=args.id))
