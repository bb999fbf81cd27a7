"""Getting data in and out without a window: `practice import`, `practice export`,
`practice backup` / `restore`, and a client's data on request (`practice client
export` / `erase`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

# Imported by app.cli while it builds its parser, so app.cli is complete by then.
from app.cli import EXIT_OK, _emit, _usage
from app.i18n import _
from app.services import importing
from app.services.importing import columns
from app.services.importing.cells import folded
from app.services.importing.commit import summary
from app.services.importing.judge import RowStatus
from app.services.practice import Practice

Command = Callable[..., argparse.ArgumentParser]


def add_commands(sub: Any, cmd: Command) -> None:
    p = cmd("import", cmd_import, "import sessions from a CSV or XLSX file (conflicts are "
            "skipped unless overridden)")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true",
                   help="judge every row and report, importing nothing")
    p.add_argument("--override-conflicts", action="store_true",
                   help="import conflicting rows too (audited); copies of sessions already "
                        "in the agenda are still skipped")
    p.add_argument("--column", action="append", default=[], metavar="FIELD=HEADER",
                   help="which column holds a field when its header is not recognised; "
                        "fields: " + ", ".join(f.value for f in columns.Field)
                        + "; HEADER is the column's header or its number (1 = first)")


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
    name = sheet.name
    del sheet  # 100,000 rows: keep only the parsed ones
    overrides = bool(args.override_conflicts)
    report = importing.dry_run(p, name, rows, overrides) if args.dry_run else \
        importing.run(p, name, rows, overrides)

    def text() -> str:
        lines = [summary(report)]
        for r in report.rows:
            if r.status in (RowStatus.OK, RowStatus.IMPORTED) and not r.reason:
                continue
            status = f"{r.status.value} ({r.cause})" if r.cause else r.status.value
            lines.append(_("row {row}: {status} — {reason}").format(
                row=r.row, status=status, reason=r.reason))
        return "\n".join(lines)

    _emit(args, report.as_json(), text)
    return EXIT_OK



