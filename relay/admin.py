"""`practice-relay practice …`: the relay's administrator adds, lists and removes
the practices it serves, and gives one a new pairing code. Each command opens
the database named by RELAY_DATABASE_URL (relay.sqlite3 in the working folder
when unset), as the running relay does; a relay already running sees the
change within a second (relay.server.Practices).

    practice-relay practice add --name NAME [--timezone TZ] [--json]
        prints the new practice's pairing code; --json: {"id", "code", "expires"}
        (expires: ISO 8601, UTC)
    practice-relay practice list [--json]
        id, name, time zone, where it came from, whether and when it was paired,
        and when a pending code expires; never a secret or a code
    practice-relay practice remove ID
        the practice, its waiting events, its links' answers and its session notes
    practice-relay practice code ID [--json]
        a new pairing code; the one before stops working

Exit status: 0 done; 1 no such practice (or one the environment configures), or
the database cannot be opened; 2 bad input (an empty name, an unknown time zone)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from relay.config import database_url
from relay.practices import NewCode, PracticeBook, PracticeError, checked_name, checked_zone
from relay.store import Store

DEFAULT_ZONE = "America/Sao_Paulo"


def add_commands(commands: Any) -> None:
    """Adds `practice` and its actions to the `practice-relay` parser's commands."""
    practice = commands.add_parser(
        "practice", help="add, list or remove the practices this relay serves, or give one "
                         "a new pairing code")
    actions = practice.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a practice and print its pairing code")
    add.add_argument("--name", required=True, help='as clients see it, e.g. "Clínica Aurora"')
    add.add_argument("--timezone", default=None,
                     help="the practice's time zone (default: RELAY_TIMEZONE, else "
                          f"{DEFAULT_ZONE})")
    add.add_argument("--json", action="store_true", help='print {"id", "code", "expires"}')
    listing = actions.add_parser("list", help="the practices, without secrets or codes")
    listing.add_argument("--json", action="store_true")
    remove = actions.add_parser("remove", help="remove a practice and everything it has here")
    remove.add_argument("id")
    code = actions.add_parser("code", help="a new pairing code (the one before stops working)")
    code.add_argument("id")
    code.add_argument("--json", action="store_true", help='print {"id", "code", "expires"}')


def run(args: argparse.Namespace) -> int:
    """Runs one `practice` action; its exit status."""
    os.umask(0o077)  # a database it creates is the relay's user's only
    try:
        if args.action == "add":  # bad input is said before the database is opened
            checked_name(args.name)
            checked_zone(args.timezone or os.environ.get("RELAY_TIMEZONE") or DEFAULT_ZONE)
        book = PracticeBook(Store(database_url(os.environ)).engine)
        return _act(book, args)
    except PracticeError as exc:
        print(str(exc), file=sys.stderr)
        return 2 if args.action == "add" else 1
    except SQLAlchemyError as exc:
        print(f"The relay's database cannot be opened or written ({type(exc).__name__}): "
              "check RELAY_DATABASE_URL and that the database server is running.",
              file=sys.stderr)
        return 1


def _act(book: PracticeBook, args: argparse.Namespace) -> int:
    if args.action == "add":
        zone = args.timezone or os.environ.get("RELAY_TIMEZONE") or DEFAULT_ZONE
        made = book.add(args.name, zone)
        if args.json:
            print(json.dumps(_code_json(made)))
        else:
            print(f"Practice {made.practice_id!r} added ({args.name.strip()}, {zone.strip()}).")
            _say_code(made)
    elif args.action == "code":
        made = book.new_code(args.id)
        if args.json:
            print(json.dumps(_code_json(made)))
        else:
            print(f"A new pairing code for practice {made.practice_id!r}; any code given "
                  "before for it no longer works.")
            _say_code(made)
    elif args.action == "remove":
        gone = book.remove(args.id)
        print(f"Removed practice {gone.id!r} ({gone.name}), with {gone.events} event(s) "
              f"waiting for its desktop, {gone.answers} link answer(s) and {gone.notes} "
              "session note(s).")
    else:
        _list(book, args.json)
    return 0


def _iso(instant: datetime | None) -> str | None:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ") if instant else None


def _code_json(made: NewCode) -> dict[str, str | None]:
    return {"id": made.practice_id, "code": made.code, "expires": _iso(made.expires)}


def _say_code(made: NewCode) -> None:
    where = os.environ.get("RELAY_PUBLIC_URL") or "https://THIS-RELAY"
    print(f"Pairing code: {made.code}")
    print(f"It works once, until {made.expires:%Y-%m-%d %H:%M} UTC. On the practice's "
          "computer, type it with the relay's address in Configurações › Integrações › "
          f"Links de confirmação, or run: practice relay pair {where} {made.code}")


def _list(book: PracticeBook, as_json: bool) -> None:
    entries = book.entries()
    if as_json:
        print(json.dumps([{"id": e.id, "name": e.name, "timezone": e.timezone,
                           "source": e.source, "paired": e.paired_at is not None,
                           "paired_at": _iso(e.paired_at),
                           "code_expires": _iso(e.code_expires)} for e in entries]))
        return
    if not entries:
        print("No practice yet: add one with `practice-relay practice add --name NAME`.")
        return
    now = datetime.now().astimezone()
    rows = [("ID", "NAME", "TIME ZONE", "PAIRED", "PENDING CODE")]
    for e in entries:
        if e.source != "cli":
            paired = "configured in " + ("the file" if e.source == "file" else "the environment")
        else:
            paired = f"{e.paired_at:%Y-%m-%d %H:%M} UTC" if e.paired_at else "not yet"
        if e.code_expires is None:
            pending = "-"
        elif e.code_expires <= now:
            pending = f"expired {e.code_expires:%Y-%m-%d %H:%M} UTC"
        else:
            pending = f"until {e.code_expires:%Y-%m-%d %H:%M} UTC"
        rows.append((e.id, e.name, e.timezone, paired, pending))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
