"""`practice conecta …`: the attendance inbox without a window — the board, a card's
thread, starting and editing attendances, sending (WhatsApp's rules apply), the
call log, and the setup (types, originators, WhatsApp templates)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app import i18n

# Imported by app.cli while it builds its parser, so app.cli is complete by then.
from app.cli import EXIT_OK, EXIT_REFUSED, _emit, _Later, continued
from app.i18n import _
from app.models.conecta_kinds import (
    AttendanceStatus,
    CallOutcome,
    DeliveryState,
    Direction,
    Medium,
)
from app.services.errors import FieldInvalid, NotFound
from app.services.practice import Practice

if TYPE_CHECKING:
    from app.services import attendances, conecta_setup, conversations, settings, values
else:  # imported when a conecta command runs
    attendances, conecta_setup, conversations, settings, values = (
        _Later(f"app.services.{name}") for name in (
            "attendances", "conecta_setup", "conversations", "settings", "values"))

Command = Callable[..., argparse.ArgumentParser]

MEDIA = [m.value for m in Medium]
STATUSES = [s.value for s in AttendanceStatus]


def add_commands(sub: Any, cmd: Command) -> None:
    cn = sub.add_parser("conecta", help=_("the attendance inbox (WhatsApp, SMS, e-mail, VoIP)")
                        ).add_subparsers(dest="action", metavar="ACTION", required=True)
    p = cmd("list", cmd_list, _("attendances, most recent first, with filters"), cn)
    p.add_argument("--channel", choices=MEDIA)
    p.add_argument("--status", choices=STATUSES)
    p.add_argument("--type", metavar="TYPE")
    p.add_argument("--tag", metavar="TAG")
    p.add_argument("--originator", metavar="NUMBER_OR_ADDRESS")
    p.add_argument("--search", default="", metavar="TEXT", help=_("name, phone or e-mail"))
    p = cmd("show", cmd_show, _("one attendance with its thread and WhatsApp window"), cn)
    p.add_argument("id", type=int)
    p = cmd("start", cmd_start, _("start an attendance (Iniciar atendimento)"), cn)
    p.add_argument("--channel", choices=MEDIA, required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--phone", default="", help=_("required for sms, whatsapp and voip"))
    p.add_argument("--email", default="", help=_("required for email"))
    p.add_argument("--status", choices=STATUSES, default=AttendanceStatus.IN_PROGRESS.value)
    p.add_argument("--type", default="support", help=_("support, after_sales, commercial or "
                                                      "one of the practice's own"))
    p.add_argument("--originator", default="", metavar="NUMBER_OR_ADDRESS",
                   help=_("which of the practice's numbers or addresses (Originado por)"))
    p.add_argument("--tag", action="append", default=[], metavar="TAG")
    p.add_argument("--notes", default="")
    _client_options(p, "link this client (default: the one whose phone or e-mail matches)")
    p = cmd("update", cmd_update, _("change an attendance's status, type, tags, notes or client"),
            cn)
    p.add_argument("id", type=int)
    p.add_argument("--status", choices=STATUSES)
    p.add_argument("--type")
    p.add_argument("--tags", metavar="A,B", help=_("replaces the tags (empty: none)"))
    p.add_argument("--notes")
    p.add_argument("--name")
    _client_options(p, "link this client")
    p = cmd("send", cmd_send, _("send a message now (exit 3 if refused or it failed)"), cn)
    p.add_argument("id", type=int)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--text", help=_("free text (WhatsApp: only within the 24-hour window)"))
    what.add_argument("--template", metavar="NAME", help=_("an approved WhatsApp template"))
    p.add_argument("--language", help=_("the template's language, when several share a name"))
    p.add_argument("--param", action="append", default=[], metavar="VALUE",
                   help=_("the template's parameters, in order"))
    p.add_argument("--subject", help=_("e-mail: the subject of the first message"))
    p = cmd("call", cmd_call, _("log a phone call made or taken outside the app"), cn)
    p.add_argument("id", type=int)
    p.add_argument("--direction", choices=["out", "in"], default="out")
    p.add_argument("--outcome", choices=[o.value for o in CallOutcome], required=True)
    p.add_argument("--minutes", type=float, default=0)
    p.add_argument("--notes", default="")

    cmd("fetch-mail", cmd_fetch_mail, _("read clients' e-mail replies from the mailbox now "
        "(exit 3 if it cannot be read)"), cn)

    ty = cn.add_parser("type", help=_("attendance types")).add_subparsers(
        dest="what", metavar="ACTION", required=True)
    cmd("list", cmd_type_list, _("the attendance types on offer"), ty)
    p = cmd("add", cmd_type_add, _("add one of the practice's own types"), ty)
    p.add_argument("name")
    p = cmd("remove", cmd_type_remove, _("stop offering one of the practice's own types"), ty)
    p.add_argument("name")

    og = cn.add_parser("originator", help=_("the practice's numbers and addresses per channel")
                       ).add_subparsers(dest="what", metavar="ACTION", required=True)
    cmd("list", cmd_originator_list, _("numbers and addresses per channel"), og)
    p = cmd("set", cmd_originator_set, _("replace a channel's numbers or addresses"), og)
    p.add_argument("channel", choices=MEDIA)
    p.add_argument("values", nargs="*", metavar="VALUE", help=_("none: back to the default"))

    tp = cn.add_parser("template", help=_("approved WhatsApp templates")).add_subparsers(
        dest="what", metavar="ACTION", required=True)
    cmd("list", cmd_template_list, _("registered templates"), tp)
    p = cmd("add", cmd_template_add, _("register a template as Meta approved it"), tp)
    p.add_argument("--name", required=True, help=_("its name at Meta, e.g. lembrete_sessao"))
    p.add_argument("--language", default="pt_BR")
    p.add_argument("--body", required=True, help=_("its text, with {{1}}, {{2}}..."))
    p.add_argument("--param-label", action="append", default=[], metavar="LABEL",
                   help=_("what each parameter is, in order"))
    p = cmd("remove", cmd_template_remove, _("stop offering a template"), tp)
    p.add_argument("id", type=int)


def _client_options(p: argparse.ArgumentParser, help_text: str) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--client", type=int, metavar="ID", help=help_text)
    group.add_argument("--no-client", action="store_true", help=_("link no client"))


def _client_choice(args: argparse.Namespace) -> dict[str, Any]:
    if args.no_client:
        return {"client_id": None}
    if args.client is not None:
        return {"client_id": args.client}
    return {}


def _card_line(c: attendances.Card, country: str) -> str:
    contact = c.email if c.medium is Medium.EMAIL else values.format_phone(c.phone, country)
    unread = f" ({c.unread})" if c.unread else ""
    return (f"#{c.id}  {attendances.status_label(c.status):<12} "
            f"{attendances.medium_label(c.medium):<8} {c.name}{unread} · {contact} · "
            f"{attendances.type_label(c.type)}" + (f" · {', '.join(c.tags)}" if c.tags else "")
            + (f"\n      {c.preview}" if c.preview else ""))


# ---------------------------------------------------------------- the inbox

def cmd_list(p: Practice, args: argparse.Namespace) -> None:
    f = attendances.Filter(medium=Medium(args.channel) if args.channel else None,
                           status=AttendanceStatus(args.status) if args.status else None,
                           type=args.type, tag=args.tag, originator=args.originator,
                           text=args.search)
    found = attendances.cards(p, f)
    country = settings.get(p).country
    _emit(args, [c.as_json() for c in found],
          lambda: "\n".join(_card_line(c, country) for c in found) or
          _("No attendances match."))


def cmd_show(p: Practice, args: argparse.Namespace) -> None:
    d = conversations.detail(p, args.id)
    practice = settings.get(p)
    zone = practice.zone  # the practice's clock, as the window shows it

    def text() -> str:
        lines = [_card_line(d.card, practice.country)]
        if d.client_name:
            lines.append(_("Client: {name}").format(name=d.client_name))
        if d.window is not None:
            lines.append(conversations.window_explanation(d.window) if not d.window.open else
                         _("24-hour window open until {when}.").format(
                             when=i18n.format_datetime(d.window.closes_at.astimezone(zone))
                             if d.window.closes_at else "?"))
        for e in d.entries:
            arrow = "→" if e.direction is Direction.OUTBOUND else "←"
            state = "" if e.state is DeliveryState.RECEIVED else \
                f" [{attendances.delivery_label(e.state)}]"
            when = i18n.format_datetime(e.at.astimezone(zone))
            lines.append(f"{arrow} {when} {e.author}{state}: "
                         f"{continued(e.body)}" + (f" ({e.error})" if e.error else ""))
        return "\n".join(lines)

    _emit(args, d.as_json(), text)


def cmd_start(p: Practice, args: argparse.Namespace) -> None:
    new_id = attendances.start(
        p, medium=args.channel, name=args.name, phone=args.phone, email=args.email,
        status=args.status, type=args.type, originator=args.originator, tags=args.tag,
        notes=args.notes, **_client_choice(args))
    c = attendances.card(p, new_id)
    _emit(args, c.as_json(), lambda: _("Attendance #{id} started.").format(id=new_id)
          + (" " + _("Linked to client #{id}.").format(id=c.client_id) if c.client_id else ""))


def cmd_update(p: Practice, args: argparse.Namespace) -> None:
    changes: dict[str, Any] = {k: getattr(args, k) for k in ("status", "type", "notes", "name")
                               if getattr(args, k) is not None}
    if args.tags is not None:
        changes["tags"] = [t.strip() for t in args.tags.split(",") if t.strip()]
    changes.update(_client_choice(args))
    attendances.update(p, args.id, **changes)
    c = attendances.card(p, args.id)
    _emit(args, c.as_json(), lambda: _card_line(c, settings.get(p).country))


def _template_id(p: Practice, name: str, language: str | None) -> int:
    found = [t for t in conversations.templates(p)
             if t.name == name and (language is None or t.language == language)]
    if not found:
        raise FieldInvalid("template", _("No registered template is called '{name}'; see "
                                         "`practice conecta template list`.").format(name=name))
    if len(found) > 1:
        raise FieldInvalid("template", _("'{name}' exists in several languages: choose one "
                                         "with --language.").format(name=name))
    return found[0].id


def cmd_send(p: Practice, args: argparse.Namespace) -> int:
    if args.template is not None:
        queued = conversations.send_template(
            p, args.id, _template_id(p, args.template, args.language), args.param)
    else:
        queued = conversations.send_text(p, args.id, args.text, args.subject)
    conversations.deliver(p, queued)
    entry = next(e for e in conversations.detail(p, args.id).entries
                 if e.id == queued.entry_id)
    _emit(args, entry.as_json(), lambda: _said_of(entry))
    return EXIT_REFUSED if entry.state is DeliveryState.FAILED else EXIT_OK


def _said_of(entry: conversations.Entry) -> str:
    """What became of a message just sent, without inviting a second send when its
    fate is unknown or it waits for another try."""
    if entry.state is DeliveryState.FAILED:
        return _("Not sent: {error}").format(error=entry.error or entry.state.value)
    if entry.state is not DeliveryState.QUEUED:
        return _("Sent.")
    if entry.error:  # its fate is unknown: the Painel asks a person
        return _("Not known whether it was sent: {error}").format(error=entry.error)
    return _("Queued: it will be tried again shortly.")


def cmd_call(p: Practice, args: argparse.Namespace) -> None:
    direction = Direction.OUTBOUND if args.direction == "out" else Direction.INBOUND
    entry_id = attendances.log_call(p, args.id, direction=direction,
                                    seconds=round(args.minutes * 60), outcome=args.outcome,
                                    notes=args.notes)
    _emit(args, {"entry_id": entry_id}, _("Call logged."))


def cmd_fetch_mail(p: Practice, args: argparse.Namespace) -> None:
    from app.services import mail_inbound

    report = mail_inbound.fetch(p)
    _emit(args, report.as_json(), _("Read. {n} client replies put in Conecta.").format(
        n=report.taken))


# ---------------------------------------------------------------- setup

def cmd_type_list(p: Practice, args: argparse.Namespace) -> None:
    kinds = attendances.types(p)
    _emit(args, [{"key": k, "label": attendances.type_label(k)} for k in kinds],
          lambda: "\n".join(f"{k}\t{attendances.type_label(k)}" for k in kinds))


def cmd_type_add(p: Practice, args: argparse.Namespace) -> None:
    own = conecta_setup.set_own_types(p, [*conecta_setup.load(p).own_types, args.name])
    _emit(args, list(own), _("Attendance type added."))


def cmd_type_remove(p: Practice, args: argparse.Namespace) -> None:
    own = conecta_setup.load(p).own_types
    if args.name not in own:
        raise NotFound(_("'{name}' is not one of the practice's own types.").format(
            name=args.name))
    saved = conecta_setup.set_own_types(p, [t for t in own if t != args.name])
    _emit(args, list(saved), _("Attendance type removed; attendances that use it keep it."))


def cmd_originator_list(p: Practice, args: argparse.Namespace) -> None:
    offered = {m.value: attendances.originators(p, m) for m in Medium}
    _emit(args, offered, lambda: "\n".join(
        f"{attendances.medium_label(m)}: {', '.join(v) or '—'}" for m, v in offered.items()))


def cmd_originator_set(p: Practice, args: argparse.Namespace) -> None:
    medium = Medium(args.channel)
    saved = conecta_setup.set_originators(p, {medium: args.values})[medium]
    _emit(args, list(saved), _("Numbers and addresses saved."))


def cmd_template_list(p: Practice, args: argparse.Namespace) -> None:
    found = conversations.templates(p)
    _emit(args, [t.as_json() for t in found], lambda: "\n".join(
        f"#{t.id}  {t.name} ({t.language}): {continued(t.body)}" for t in found)
        or _("No templates registered."))


def cmd_template_add(p: Practice, args: argparse.Namespace) -> None:
    new_id = conversations.save_template(p, name=args.name, language=args.language,
                                         body=args.body, labels=args.param_label)
    _emit(args, {"id": new_id}, _("Template saved."))


def cmd_template_remove(p: Practice, args: argparse.Namespace) -> None:
    conversations.remove_template(p, args.id)
    _emit(args, {"id": args.id}, _("Template removed; messages already sent with it keep it."))
