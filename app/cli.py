"""The `practice` command: opens the window, or runs one subcommand over the same
services. Exit status: 0 done, 2 bad usage, 3 refused by a rule, 1 unexpected."""

from __future__ import annotations

import argparse
import importlib
import logging
import re
import sys
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from app import __version__, i18n
from app.i18n import _, format_number
from app.models.enums import (
    AppointmentStatus,
    CancelledBy,
    ChargeDecision,
    RepeatFrequency,
    SeriesScope,
)
from app.services.clock import from_environment
from app.services.errors import BookingConflict, DatabaseDamaged, PracticeError
from app.services.practice import Practice, open_practice


class _Later:
    """A module imported when a command first uses it, not when the command line
    starts: one command needs a few services, and importing them all (with their
    tables, HTTP clients and calendars) was most of a short command's time."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


if TYPE_CHECKING:
    from app.services import (
        availability,
        catalog,
        clients,
        config,
        history,
        json_text,
        people,
        queries,
        reminders,
        scheduling,
        secrets,
        settings,
        values,
    )
else:
    (availability, catalog, clients, config, history, json_text, people, queries, reminders,
     scheduling, secrets, settings, values) = (_Later(f"app.services.{name}") for name in (
        "availability", "catalog", "clients", "config", "history", "json_text", "people",
        "queries", "reminders", "scheduling", "secrets", "settings", "values"))

log = logging.getLogger("app.cli")

EXIT_OK, EXIT_UNEXPECTED, EXIT_USAGE, EXIT_REFUSED = 0, 1, 2, 3


def _common() -> argparse.ArgumentParser:
    # Accepted before or after the subcommand; SUPPRESS keeps a value given
    # before the subcommand from being reset by the subparser's default.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS,
                        help=_("folder holding the database, logs and backups "
                             "(default: $PRACTICE_HOME, else the user data folder)"))
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help=_("machine-readable output on stdout"))
    common.add_argument("--as", dest="actor", metavar="NAME", default=argparse.SUPPRESS,
                        help=_("act as this person of the practice (a professional or "
                               "reception): the audit trail names them and their role "
                               "decides what they read (default: the login name)"))
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(prog="practice", parents=[common],
                                     description=_("Practice Desk: agenda, reminders and inbox."))
    parser.add_argument("--version", action="version", version=f"practice {__version__}",
                        help=_("show the version and exit"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def cmd(name: str, fn: Callable[[Practice, argparse.Namespace], Any], help_text: str,
            parent: Any = sub) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, parents=[common], help=help_text,
                                                       description=help_text)
        p.set_defaults(func=fn)
        return p

    cmd("demo", cmd_demo, _("fill an empty database with a demo practice"))

    st = sub.add_parser("settings", help=_("practice settings")).add_subparsers(
        dest="action", metavar="ACTION", required=True)
    p = cmd("set", cmd_settings_set, _("change a setting: ") + ", ".join(settings.KEYS), st)
    p.add_argument("key")
    p.add_argument("value", nargs="+")
    cmd("show", cmd_settings_show, _("show the settings"), st)

    cl = sub.add_parser("client", help=_("clients")).add_subparsers(
        dest="action", metavar="ACTION", required=True)
    p = cmd("add", cmd_client_add, _("add a client"), cl)
    p.add_argument("--name", required=True)
    p.add_argument("--phone", required=True)
    p.add_argument("--email")
    p.add_argument("--consent", default="", metavar="CHANNELS",
                   help=_("channels the client agreed to: whatsapp,email,sms,voice"))
    p.add_argument("--preferred", metavar="CHANNEL")
    p.add_argument("--notes", default="")
    p.add_argument("--language", default="", metavar="LANG",
                   help=_("of the client's messages: pt_BR or en (default: the practice's)"))
    p = cmd("stats", cmd_client_stats, _("a client's figures"), cl)
    p.add_argument("id", type=int)
    p = cmd("show", cmd_client_show, _("a client's details"), cl)
    p.add_argument("id", type=int)
    p = cmd("list", cmd_client_list, _("clients, optionally matching a search"), cl)
    p.add_argument("--search", default="")

    sv = sub.add_parser("service", help=_("services")).add_subparsers(
        dest="action", metavar="ACTION", required=True)
    p = cmd("add", cmd_service_add, _("add a service"), sv)
    p.add_argument("--name", required=True)
    p.add_argument("--duration", type=int, required=True, metavar="MIN")
    p.add_argument("--price", default="0")
    p.add_argument("--buffer", type=int, default=0, metavar="MIN",
                   help=_("free minutes kept after each session"))
    p.add_argument("--buffer-before", type=int, default=0, metavar="MIN",
                   help=_("free minutes kept before each session"))
    p.add_argument("--min-notice", type=int, default=0, metavar="MIN")
    p.add_argument("--days", metavar="DAYS", help=_("bookable weekdays, e.g. mon-fri or tue,thu"))
    p.add_argument("--hours", metavar="HH:MM-HH:MM", help=_("bookable hours"))
    p.add_argument("--max-per-day", type=int)
    cmd("list", cmd_service_list, _("list services"), sv)

    sf = sub.add_parser("staff", help=_("professionals")).add_subparsers(
        dest="action", metavar="ACTION", required=True)
    p = cmd("add", cmd_staff_add, _("add a professional"), sf)
    p.add_argument("--name", required=True)
    p.add_argument("--color")
    cmd("list", cmd_staff_list, _("list professionals"), sf)

    p = cmd("book", cmd_book, _("book a session (or a recurring series)"))
    p.add_argument("--client", type=int, required=True, metavar="ID")
    p.add_argument("--start", required=True, metavar="ISO",
                   help=_("e.g. 2026-11-23T14:00 (practice's time zone unless an offset is given)"))
    what = p.add_mutually_exclusive_group()
    what.add_argument("--service", type=int, metavar="ID")
    what.add_argument("--custom", metavar="NAME", help=_("a service name not in the catalogue"))
    p.add_argument("--duration", type=int, metavar="MIN")
    p.add_argument("--staff", type=int, metavar="ID")
    p.add_argument("--price")
    p.add_argument("--notes", default="")
    p.add_argument("--repeat", choices=[f.value for f in RepeatFrequency])
    p.add_argument("--interval", type=int, default=1, metavar="N",
                   help=_("every N weeks (weekly) or N months (monthly)"))
    end = p.add_mutually_exclusive_group()
    end.add_argument("--count", type=int, metavar="N")
    end.add_argument("--until", metavar="DATE")
    p.add_argument("--all-or-nothing", action="store_true",
                   help=_("for a series: book nothing if any session conflicts"))
    p.add_argument("--override", action="store_true", help=_("book despite conflicts (audited)"))

    p = cmd("confirm", cmd_confirm, _("confirm a session"))
    p.add_argument("id", type=int)
    p = cmd("cancel", cmd_cancel, _("cancel a session (kept, with its reason)"))
    p.add_argument("id", type=int)
    p.add_argument("--reason", required=True)
    p.add_argument("--notify", action="store_true", help=_("tell the client"))
    charge = p.add_mutually_exclusive_group()
    charge.add_argument("--charge", action="store_true",
                        help=_("charge per the cancellation policy (the default)"))
    charge.add_argument("--waive", action="store_true", help=_("charge nothing"))
    p.add_argument("--scope", choices=[s.value for s in SeriesScope], default="this")
    p.add_argument("--by", choices=[b.value for b in CancelledBy], default="client",
                   help=_("who called it off (the practice: never charged)"))
    p = cmd("reschedule", cmd_reschedule, _("move a session to a new time"))
    p.add_argument("id", type=int)
    p.add_argument("--start", required=True, metavar="ISO")
    p.add_argument("--staff", type=int, metavar="ID")
    p.add_argument("--duration", type=int, metavar="MIN")
    p.add_argument("--scope", choices=[s.value for s in SeriesScope], default="this")
    p.add_argument("--override", action="store_true")
    p = cmd("complete", cmd_complete, _("mark a session completed"))
    p.add_argument("id", type=int)
    p.add_argument("--price", help=_("the actual price, if different"))
    p.add_argument("--notes", help=_("internal notes"))
    p = cmd("no-show", cmd_no_show, _("mark that the client did not come"))
    p.add_argument("id", type=int)
    p = cmd("undo", cmd_undo, _("undo a confirmation, or today's completion or no-show"))
    p.add_argument("id", type=int)

    p = cmd("show", cmd_show, _("one session with its history"))
    p.add_argument("id", type=int)
    p = cmd("list", cmd_list, _("sessions ordered by start"))
    p.add_argument("--from", dest="date_from", metavar="DATE")
    p.add_argument("--to", dest="date_to", metavar="DATE")
    p.add_argument("--status", action="append", choices=[s.value for s in AppointmentStatus])
    p.add_argument("--client", type=int, metavar="ID")
    p.add_argument("--staff", type=int, metavar="ID")
    cf = sub.add_parser("config", help=_("integrations and notification settings")).add_subparsers(
        dest="action", metavar="ACTION", required=True)
    p = cmd("set", cmd_config_set, _("change a configuration key"), cf)
    p.add_argument("key")
    p.add_argument("value", nargs="?", default="")
    cmd("show", cmd_config_show, _("show the configuration (secrets only as set/not set)"), cf)

    sc = sub.add_parser("secret", help=_("secrets kept in the system keyring")).add_subparsers(
        dest="action", metavar="ACTION", required=True)
    p = cmd("set", cmd_secret_set, _("store a secret read from standard input"), sc)
    p.add_argument("name")

    p = cmd("reminders", cmd_reminders, _("a session's reminders and notices"))
    p.add_argument("id", type=int)
    p.add_argument("--add", action="append", default=[], metavar="CHANNEL:MINUTES",
                   help=_("add a reminder, e.g. voice:120 (channels: whatsapp, email, sms, "
                          "voice, push)"))
    p.add_argument("--text", default="", help=_("the added reminder's own text"))
    p = cmd("outbox", cmd_outbox, _("outgoing messages and their state"))
    p.add_argument("--state", action="append",
                   choices=["pending", "sending", "sent", "failed", "skipped", "cancelled",
                            "unknown"])
    p = cmd("worker", cmd_worker, _("send reminders in the background, without a window"))
    p.add_argument("--once", action="store_true", help=_("one pass (catch-up, due messages)"))

    rl = sub.add_parser("relay", help=_("the relay where clients' links land")).add_subparsers(
        dest="action", metavar="ACTION", required=True)
    cmd("keys", cmd_relay_keys, _("create the sealing key pair once and print the public key"),
        rl)
    p = cmd("pair", cmd_relay_pair, _("pair with a relay by the code its administrator gave, "
                                      "and check the connection"), rl)
    p.add_argument("url", metavar="URL", help=_("the relay's address, e.g. "
                                                "https://relay.example.com"))
    p.add_argument("code", metavar="CODE", nargs="+",
                   help=_("the pairing code from `practice-relay practice add`"))
    cmd("twilio", cmd_relay_twilio, _("give the relay the SMS settings' Twilio account, so "
                                      "clients' key presses on calls and SMS replies reach "
                                      "the practice"), rl)
    ph = sub.add_parser("push", help=_("reminders by notification on clients' phones")
                        ).add_subparsers(dest="action", metavar="ACTION", required=True)
    cmd("on", cmd_push_on, _("make the practice's notification key (once) and give it to "
                             "the relay"), ph)
    cmd("check", cmd_push_check, _("check the notification key and that the relay offers "
                                   "it"), ph)
    cmd("off", cmd_push_off, _("stop offering notifications (the key is kept)"), ph)
    p = cmd("link", cmd_link, _("a session's confirmation link"))
    p.add_argument("id", type=int)
    rq = sub.add_parser("requests", help=_("clients' cancellation requests"))
    rq.set_defaults(func=cmd_requests)
    rq.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    rq.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS)
    rqs = rq.add_subparsers(dest="action", metavar="ACTION")
    p = cmd("resolve", cmd_requests_resolve, _("decide on a request"), rqs)
    p.add_argument("id", type=int)
    decision = p.add_mutually_exclusive_group(required=True)
    decision.add_argument("--charge", action="store_true", help=_("cancel, charging per policy"))
    decision.add_argument("--waive", action="store_true", help=_("cancel without a fee"))
    decision.add_argument("--keep", action="store_true", help=_("keep the session as it is"))
    decision.add_argument("--reschedule", metavar="ISO", help=_("move the session"))
    decision.add_argument("--dismiss", action="store_true", help=_("close a notice"))

    from app.cli_conecta import add_commands
    from app.cli_data import add_commands as add_data_commands
    from app.cli_database import add_commands as add_database_commands

    add_commands(sub, cmd)
    add_data_commands(sub, cmd, cl)
    add_database_commands(sub, cmd)

    p = cmd("slots", cmd_slots, _("free start times on a day"))
    p.add_argument("--date", required=True)
    p.add_argument("--service", type=int, metavar="ID")
    p.add_argument("--staff", type=int, metavar="ID")
    p.add_argument("--duration", type=int, metavar="MIN")
    p.add_argument("--step", type=int, metavar="MIN")  # availability.DEFAULT_STEP
    return parser


# ---------------------------------------------------------------- output

def terminal_safe(text: str) -> str:
    """Text from outside for a terminal: control characters (an escape sequence in
    a client's name would drive the terminal) shown as \\xNN, and the characters
    that reorder or hide the text around them (a right-to-left override; see
    app.models.shown_text) as \\uNNNN, instead of obeying them."""
    return _UNSAFE.sub(_escaped, text)


def _escaped(m: re.Match[str]) -> str:
    ch = m.group()
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


_REORDERING = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                        "\u200b\u2060\ufeff")
# Unicode's control characters (category Cc: U+0000-U+001F and U+007F-U+009F) but
# line feed and tab, and the reordering ones: one pass of the regex engine over a
# listing instead of a Python step per character.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + "".join(sorted(_REORDERING)) + "]")


def continued(text: str) -> str:
    """Free text inside a line of a listing: its own line breaks indented, so a
    client's message cannot write a line that looks like the listing's own."""
    return text.replace("\n", "\n      ")


class _Neutralised:
    """A terminal stream that shows control characters instead of obeying them:
    names, notes and messages from outside reach stdout and stderr through it."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        return int(self.stream.write(terminal_safe(text)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _emit(args: argparse.Namespace, data: Any, text: str | Callable[[], str]) -> None:
    if getattr(args, "json", False):
        sys.stdout.write(json_text.dumps(data) + "\n")
    else:
        sys.stdout.write((text() if callable(text) else text) + "\n")


def _zone(p: Practice) -> Any:
    return settings.get(p).zone


def _line(v: queries.AppointmentView) -> str:
    """One session for people (the JSON keeps the codes): its status in words."""
    return (f"#{v.id:<6} {i18n.format_datetime(v.start)}–{i18n.format_time(v.end)}  "
            f"{scheduling.status_label(v.status):<12} {v.client_name} · {v.service_name} · "
            f"{v.staff_name}")


# ---------------------------------------------------------------- commands

def cmd_demo(p: Practice, args: argparse.Namespace) -> None:
    from app.services import demo

    summary = demo.fill(p)
    _emit(args, summary, lambda: _("Demo practice created: {clients} clients, {sessions} sessions.")
          .format(clients=format_number(summary["clients"]),
                  sessions=format_number(summary["appointments"])))


def cmd_settings_set(p: Practice, args: argparse.Namespace) -> None:
    view = settings.set_value(p, args.key, " ".join(args.value))
    _emit(args, view.as_json(), _("Saved."))


def cmd_settings_show(p: Practice, args: argparse.Namespace) -> None:
    view = settings.get(p)
    _emit(args, view.as_json(),
          lambda: "\n".join(f"{k}: {v}" for k, v in view.as_json().items()))


def cmd_client_add(p: Practice, args: argparse.Namespace) -> None:
    view = clients.add(p, name=args.name, phone=args.phone, email=args.email,
                       consent=clients.parse_channels(args.consent),
                       preferred_channel=args.preferred, notes=args.notes,
                       language=args.language)
    # Families share a phone: a match is said, never refused.
    same = clients.similar(p, phone=view.phone, email=view.email, exclude=view.id)
    _emit(args, {"id": view.id, "warnings": [x.as_json() for x in same]}, str(view.id))
    if not getattr(args, "json", False):
        for x in same:
            line = (_("Same phone as client #{id} ({name}).") if x.kind == "same_phone" else
                    _("Same e-mail as client #{id} ({name}).")).format(
                id=x.client.id, name=x.client.name)
            sys.stderr.write(terminal_safe(line) + "\n")


def cmd_client_stats(p: Practice, args: argparse.Namespace) -> None:
    st = clients.stats(p, args.id)
    _emit(args, st.as_json(), lambda: "\n".join(f"{k}: {v}" for k, v in st.as_json().items()))


def cmd_client_show(p: Practice, args: argparse.Namespace) -> None:
    view = clients.get(p, args.id)
    _emit(args, view.as_json(), lambda: "\n".join(f"{k}: {v}" for k, v in view.as_json().items()))


def cmd_client_list(p: Practice, args: argparse.Namespace) -> None:
    rows = clients.search(p, args.search, limit=100_000)
    _emit(args, [c.as_json() for c in rows],
          lambda: "\n".join(f"#{c.id:<6} {c.name}  {c.phone or ''}  {c.email or ''}" for c in rows))


def cmd_service_add(p: Practice, args: argparse.Namespace) -> None:
    view = catalog.add_service(
        p, name=args.name, duration_minutes=args.duration,
        price_cents=values.parse_money(args.price),
        buffer_before_minutes=args.buffer_before, buffer_after_minutes=args.buffer,
        min_notice_minutes=args.min_notice, bookable_days=args.days, bookable_hours=args.hours,
        max_per_day=args.max_per_day)
    _emit(args, {"id": view.id}, str(view.id))


def cmd_service_list(p: Practice, args: argparse.Namespace) -> None:
    rows = catalog.list_services(p)
    _emit(args, [r.as_json() for r in rows],
          lambda: "\n".join(f"#{r.id:<4} {r.name} ({r.duration_minutes} min)" for r in rows))


def cmd_staff_add(p: Practice, args: argparse.Namespace) -> None:
    view = catalog.add_staff(p, name=args.name, color=args.color)
    _emit(args, {"id": view.id}, str(view.id))


def cmd_staff_list(p: Practice, args: argparse.Namespace) -> None:
    rows = catalog.list_staff(p)
    _emit(args, [r.as_json() for r in rows],
          lambda: "\n".join(f"#{r.id:<4} {r.name}" for r in rows))


def cmd_book(p: Practice, args: argparse.Namespace) -> int:
    if args.service is None and not args.custom:
        return _usage("book", _("give --service ID or --custom NAME"))
    if args.repeat and args.count is None and args.until is None:
        return _usage("book", _("--repeat needs --count N or --until DATE"))
    if not args.repeat and (args.count is not None or args.until is not None):
        return _usage("book", _("--count and --until go with --repeat"))
    req = scheduling.BookingRequest(
        client_id=args.client, start=values.parse_start(args.start, _zone(p)),
        service_id=args.service,
        custom_service_name=args.custom, duration_minutes=args.duration, staff_id=args.staff,
        notes=args.notes, price_cents=values.parse_money(args.price) if args.price else None)
    if not args.repeat:
        new_id = scheduling.book(p, req, override=args.override)
        _emit(args, {"id": new_id}, str(new_id))
        return EXIT_OK
    repeat = scheduling.Repeat(RepeatFrequency(args.repeat), count=args.count,
                               until=values.parse_date(args.until) if args.until else None,
                               interval=args.interval)
    result = scheduling.book_series(p, req, repeat, override=args.override,
                                    all_or_nothing=args.all_or_nothing)
    data = {"ids": result.ids, "series_id": result.series_id,
            "conflicts": [{"start": c.start.isoformat(), "reason": c.reason,
                           "rules": [x.rule for x in c.conflicts]} for c in result.conflicts]}
    zone = _zone(p)

    def text() -> str:
        lines = [_("Booked {n} sessions: {ids}").format(
            n=len(result.ids), ids=" ".join(map(str, result.ids)))]
        lines += [_("Not booked {when}: {reason}").format(
            when=i18n.format_datetime(c.start.astimezone(zone)), reason=c.reason)
            for c in result.conflicts]
        return "\n".join(lines)

    _emit(args, data, text)
    if not result.ids:
        sys.stderr.write(_("No session of the series could be booked.") + "\n")
        return EXIT_REFUSED
    return EXIT_OK


def _usage(command: str, message: str) -> int:
    sys.stderr.write(f"practice {command}: error: {message}\n")
    return EXIT_USAGE


def cmd_confirm(p: Practice, args: argparse.Namespace) -> None:
    scheduling.confirm(p, args.id)
    _emit(args, {"id": args.id, "status": "confirmed"}, _("Session #{id} confirmed.")
          .format(id=args.id))


def cmd_cancel(p: Practice, args: argparse.Namespace) -> None:
    decision = ChargeDecision.WAIVE if args.waive else ChargeDecision.CHARGE
    ids = scheduling.cancel(p, args.id, reason=args.reason, notify=args.notify, charge=decision,
                            scope=SeriesScope(args.scope), by=CancelledBy(args.by))
    views = [queries.show(p, i) for i in ids]
    _emit(args, {"id": args.id, "ids": ids, "status": "cancelled",
                 "cancellation_fee": views[0].as_json()["cancellation_fee"],
                 "cancelled_by": args.by},
          _("Cancelled: {ids}.").format(ids=", ".join(f"#{i}" for i in ids)))


def cmd_reschedule(p: Practice, args: argparse.Namespace) -> None:
    mapping = scheduling.reschedule(p, args.id, values.parse_start(args.start, _zone(p)),
                                    scope=SeriesScope(args.scope), staff_id=args.staff,
                                    duration_minutes=args.duration, override=args.override)
    data: dict[str, Any] = {"id": mapping[args.id], "original": args.id}
    if len(mapping) > 1:
        data["moved"] = [{"original": k, "id": v} for k, v in mapping.items()]
    _emit(args, data, _("Session #{old} moved; the new session is #{new}.")
          .format(old=args.id, new=mapping[args.id]))


def cmd_complete(p: Practice, args: argparse.Namespace) -> None:
    scheduling.complete(p, args.id,
                        actual_price_cents=values.parse_money(args.price) if args.price else None,
                        internal_notes=args.notes)
    _emit(args, {"id": args.id, "status": "completed"},
          _("Session #{id} completed.").format(id=args.id))


def cmd_no_show(p: Practice, args: argparse.Namespace) -> None:
    scheduling.no_show(p, args.id)
    _emit(args, {"id": args.id, "status": "no_show"},
          _("Session #{id} marked as a no-show.").format(id=args.id))


def cmd_undo(p: Practice, args: argparse.Namespace) -> None:
    if queries.show(p, args.id).status is AppointmentStatus.CONFIRMED:
        scheduling.unconfirm(p, args.id)
        status = AppointmentStatus.SCHEDULED
    else:
        status = scheduling.undo_outcome(p, args.id)
    _emit(args, {"id": args.id, "status": status.value},
          _("Session #{id} is {status} again.").format(
              id=args.id, status=scheduling.status_word(status)))


def cmd_show(p: Practice, args: argparse.Namespace) -> None:
    view = queries.show(p, args.id)

    def text() -> str:
        lines = [_line(view)]
        if view.cancellation_reason:
            lines.append(_("Reason: {reason}").format(
                reason=continued(view.cancellation_reason)))
        current = settings.get(p)
        for h in history.readable(view.history):  # the same as the History tab
            lines.append(f"  {i18n.format_datetime(h.at.astimezone(view.start.tzinfo))} "
                         f"{continued(history.sentence(h, current.zone, current.currency))}")
        return "\n".join(lines)

    _emit(args, view.as_json(), text)


def cmd_list(p: Practice, args: argparse.Namespace) -> None:
    rows = queries.list_appointments(
        p, start=values.parse_date(args.date_from) if args.date_from else None,
        end=values.parse_date(args.date_to) if args.date_to else None,
        statuses=[AppointmentStatus(s) for s in args.status] if args.status else None,
        client_id=args.client, staff_id=args.staff)
    _emit(args, [r.as_json(with_history=False) for r in rows],
          lambda: "\n".join(_line(r) for r in rows))


def cmd_slots(p: Practice, args: argparse.Namespace) -> None:
    slots = availability.free_slots(p, values.parse_date(args.date), service_id=args.service,
                                    staff_id=args.staff, duration_minutes=args.duration,
                                    step_minutes=args.step if args.step is not None
                                    else availability.DEFAULT_STEP)
    _emit(args, [s.isoformat() for s in slots],
          lambda: " ".join(i18n.format_time(s) for s in slots) or _("No free time that day."))


def cmd_config_set(p: Practice, args: argparse.Namespace) -> None:
    value = config.set_value(p, args.key, args.value)
    _emit(args, {"key": args.key, "value": value}, _("Saved."))


def cmd_config_show(p: Practice, args: argparse.Namespace) -> None:
    data: dict[str, Any] = dict(config.get_all(p))
    try:
        data["secrets"] = {name: secrets.is_set(name) for name in secrets.NAMES}
    except secrets.SecretsUnavailable as exc:
        data["secrets"] = str(exc)
    _emit(args, data, lambda: _config_lines(data))


def _config_lines(data: dict[str, Any]) -> str:
    """One setting a line; each secret only as set or not, never its value."""
    lines = [f"{k}: {v}" for k, v in data.items() if k != "secrets"]
    held = data["secrets"]
    if isinstance(held, dict):
        lines += [f"{name}: " + (_("(set, in the keyring)") if is_set else _("(not set)"))
                  for name, is_set in held.items()]
    else:
        lines.append(str(held))
    return "\n".join(lines)


def cmd_secret_set(p: Practice, args: argparse.Namespace) -> None:
    secrets.store(args.name, sys.stdin.read())
    _emit(args, {"name": args.name, "stored": True},
          _("Stored in the system keyring: {name}.").format(name=args.name))


def _message_line(m: reminders.MessageView, zone: Any) -> str:
    when = i18n.format_datetime(m.due_at.astimezone(zone))
    what = f"{m.channel} {m.minutes_before} min" if m.kind == "reminder" else m.kind
    tail = f" — {m.last_error}" if m.last_error else ""
    return f"#{m.id:<6} {when:<22} {what:<20} {m.state:<10}{tail}"


def cmd_reminders(p: Practice, args: argparse.Namespace) -> None:
    # Every one read before any is added: a wrong one adds none.
    wanted = [r for text in args.add for r in config.parse_reminders(text)]
    for channel, minutes in wanted:
        reminders.add(p, args.id, channel, minutes, args.text)
    rows, zone = reminders.list_for(p, args.id), _zone(p)
    _emit(args, [m.as_json() for m in rows],
          lambda: "\n".join(_message_line(m, zone) for m in rows))


def cmd_outbox(p: Practice, args: argparse.Namespace) -> None:
    from app.models.outbox import MessageState

    rows = reminders.list_outbox(p, [MessageState(s) for s in args.state] if args.state
                                 else None)
    zone = _zone(p)
    _emit(args, [m.as_json() for m in rows],
          lambda: "\n".join(_message_line(m, zone) for m in rows))


def cmd_relay_keys(p: Practice, args: argparse.Namespace) -> None:
    from app.services import relay_client

    public = relay_client.keys(p)
    _emit(args, {"public_key": public},
          _("Set RELAY_PUBLIC_KEY on the relay to:") + f"\n{public}")


def cmd_relay_pair(p: Practice, args: argparse.Namespace) -> int:
    from app.services import relay_pairing

    try:
        found = relay_pairing.pair(p, args.url, " ".join(args.code))
    except PracticeError as exc:  # a sentence on stderr, exit 3, as every refusal
        problem = exc.problem if isinstance(exc, relay_pairing.PairingFailed) else \
            "keyring" if isinstance(exc, secrets.SecretsUnavailable) else "input"
        if getattr(args, "json", False):
            sys.stdout.write(json_text.dumps({"paired": False, "error": str(exc),
                                              "problem": problem}) + "\n")
        sys.stderr.write(f"{exc}\n")
        return EXIT_REFUSED
    zone = _zone(p)

    def text() -> str:
        lines = [_("Paired with the relay at {relay} (practice {id}).").format(
                     relay=found.relay, id=found.practice_id),
                 _("Connection: the relay answers and accepts this computer's key.")]
        if found.sample is None:
            lines.append(_("No session is scheduled ahead, so there is no link to try yet."))
        else:
            lines.append(_("Link to try (session #{id}, {when}):").format(
                id=found.sample.appointment_id,
                when=i18n.format_datetime(found.sample.start.astimezone(zone))))
            lines.append(found.sample.url)
        if found.twilio:
            lines.append(found.twilio)
        return "\n".join(lines)

    _emit(args, {"paired": True, **found.as_json()}, text)
    return EXIT_OK


def cmd_relay_twilio(p: Practice, args: argparse.Namespace) -> int:
    from app.services import config, relay_twilio

    try:
        said = relay_twilio.share(p)
    except PracticeError as exc:  # a sentence on stderr, exit 3, as every refusal
        if getattr(args, "json", False):
            sys.stdout.write(json_text.dumps({"shared": False, "error": str(exc)}) + "\n")
        sys.stderr.write(f"{exc}\n")
        return EXIT_REFUSED
    _emit(args, {"shared": True, "relay": config.get(p, "relay.url"),
                 "account_sid": config.get(p, "sms.account_sid").strip(), "said": said}, said)
    return EXIT_OK


def cmd_push_on(p: Practice, args: argparse.Namespace) -> None:
    from app.services import config, push_keys

    said = push_keys.turn_on(p)
    _emit(args, {"on": True, "public_key": config.get(p, "push.public_key"), "said": said},
          said)


def cmd_push_off(p: Practice, args: argparse.Namespace) -> None:
    from app.services import push_keys

    said = push_keys.turn_off(p)
    _emit(args, {"on": False, "said": said}, said)


def cmd_push_check(p: Practice, args: argparse.Namespace) -> None:
    from app.services import push_keys

    said = push_keys.check(p)
    _emit(args, {"ok": True, "said": said}, said)


def cmd_link(p: Practice, args: argparse.Namespace) -> None:
    from app.services import relay_client

    url = relay_client.link(p, args.id)
    _emit(args, {"id": args.id, "url": url}, url)


def cmd_requests(p: Practice, args: argparse.Namespace) -> None:
    from app.services import relay_client

    rows = relay_client.pending_requests(p)
    _emit(args, [r.as_json() for r in rows], lambda: "\n".join(
        f"#{r.id:<5} {r.kind:<7} session #{r.appointment_id}  {continued(r.reason)}"
        for r in rows)
        or _("No requests waiting."))


def cmd_requests_resolve(p: Practice, args: argparse.Namespace) -> None:
    from app.services import relay_client

    decision = next(d for d in ("charge", "waive", "keep", "dismiss") if getattr(args, d)) \
        if not args.reschedule else "reschedule"
    start = values.parse_start(args.reschedule, _zone(p)) if args.reschedule else None
    new_id = relay_client.resolve(p, args.id, decision, start)
    data: dict[str, Any] = {"id": args.id, "decision": decision}
    if new_id is not None:
        data["new_appointment_id"] = new_id
    _emit(args, data, _("Decided: {decision}.").format(decision=decision))


def _sender_elsewhere(w: Any) -> str:
    """Why this worker does not send now, in one sentence."""
    if w.lacking:
        return _("This computer's keyring lacks {names}: the computer where the channels "
                 "were set up sends for the practice.").format(names=", ".join(w.lacking))
    who = w.sender.who()
    name = who.computer if who is not None and who.computer else _("another computer")
    return _("{computer} sends for the practice; this one takes over if it stops.").format(
        computer=name)


def cmd_worker(p: Practice, args: argparse.Namespace) -> int:
    from app.services.outbox import Report
    from app.services.worker import Worker

    w = Worker(p)
    if args.once:
        from app.services.relay_client import Poller, RelayNotConfigured

        try:
            if not w.sending:  # one computer sends for the practice: another does
                elsewhere = _sender_elsewhere(w)
                _emit(args, {**Report().as_json(), "sent_elsewhere": elsewhere},
                      elsewhere)
                return EXIT_OK
            with suppress(RelayNotConfigured, OSError):
                Poller(p).poll_once(wait=0)  # take clients' answers in first
            w.read_mail()  # clients' e-mail replies, when a mailbox is set up
            report = w.run_once()
        finally:
            w.stop()
        _emit(args, report.as_json(), lambda: ", ".join(
            f"{k}: {v}" for k, v in report.as_json().items()))
        return EXIT_OK
    import signal
    import threading

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_a: stop.set())
    w.start()
    w.tried.wait(30)  # whether this computer sends is known once it has tried
    said = None
    try:
        while True:
            sending = w.sender.held
            if sending != said:  # said again whenever this computer takes or leaves the part
                sys.stderr.write((_("Sending reminders; stop with Ctrl+C.") if sending else
                                  _sender_elsewhere(w)) + "\n")
                said = sending
            if stop.wait(1):
                break
    except KeyboardInterrupt:
        pass
    finally:
        w.stop()
    return EXIT_OK


# ---------------------------------------------------------------- entry point

def main(argv: Sequence[str] | None = None) -> int:
    from app import cli_words
    from app.launch import window_folder

    raw = list(sys.argv[1:] if argv is None else argv)
    opens, folder = window_folder(raw)
    if opens:  # the window: no command to parse (every command's module left unread)
        from app.ui.app import run_window

        return run_window(folder)
    # Help and usage errors come before any practice is open: the system's language.
    i18n.set_language(None)
    cli_words.install()
    parser = build_parser()
    # Arguments that are not valid UTF-8 arrive with lone surrogates; they become
    # replacement characters instead of failing wherever they are written.
    args = parser.parse_args([a.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                              for a in raw])
    data_dir = getattr(args, "data_dir", None)
    if args.command is None:
        from app.ui.app import run_window

        return run_window(data_dir)
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Neutralised(sys.stdout), _Neutralised(sys.stderr)
    try:
        return _run(args, data_dir)
    finally:
        sys.stdout, sys.stderr = streams


def _run(args: argparse.Namespace, data_dir: str | None) -> int:
    """A subcommand on the practice: its exit status (0, 1, 2, 3)."""
    standalone = getattr(args, "standalone", None)
    if standalone is not None:  # `practice database …`: before any practice is open
        return int(standalone(data_dir, args))
    try:
        practice = open_practice(data_dir, clock=from_environment())
    except DatabaseDamaged as exc:
        if args.command == "restore":  # the way back from a damaged database
            from app.cli_data import restore_over_damaged

            return restore_over_damaged(data_dir, args)
        sys.stderr.write(f"{exc}\n")
        return EXIT_REFUSED
    except PracticeError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_REFUSED
    except OSError as exc:  # e.g. a data folder that cannot be created
        sys.stderr.write(_("Cannot open the data folder: {problem}").format(
            problem=exc.strerror or exc) + "\n")
        return EXIT_UNEXPECTED
    try:
        i18n.set_language(settings.get(practice).language or None)
        named = getattr(args, "actor", None)
        # Only a person of the practice, with their role; unnamed, whoever this
        # computer said uses it (the window's choice), as the window acts.
        person = people.named(practice, named) if named is not None \
            else people.of_this_computer(practice)
        if person is not None:
            practice = practice.acting_as_person(person)
        result = args.func(practice, args)
        return result if isinstance(result, int) else EXIT_OK
    except BookingConflict as exc:
        if getattr(args, "json", False):
            sys.stdout.write(json_text.dumps({"error": str(exc), "conflicts": [
                {"rule": c.rule, "message": c.message, "appointment_id": c.appointment_id}
                for c in exc.conflicts]}) + "\n")
        sys.stderr.write(f"{exc}\n")
        return EXIT_REFUSED
    except PracticeError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_REFUSED
    except BrokenPipeError:  # the reader (e.g. `head`) stopped listening: not an error
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:
        log.exception("unexpected error in %s", args.command)
        sys.stderr.write(_("Unexpected error: {kind}. Details are in {path}.")
                         .format(kind=type(exc).__name__, path=practice.paths.logs) + "\n")
        return EXIT_UNEXPECTED
    finally:
        practice.close()


if __name__ == "__main__":
    sys.exit(main())
