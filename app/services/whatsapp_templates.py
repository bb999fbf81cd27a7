"""WhatsApp templates as Meta knows them: read from the WhatsApp Business Account
(Atualizar), marked when Meta pauses, rejects, disables or recategorises one (the
message_template_status_update and template_category_update webhooks, through the
relay), and offered to the reminder's template choice and Conecta's composer.

A template can be sent while Meta has it APPROVED; one typed here by hand (no
status) is taken as approved, and Meta says otherwise when it is sent.
Meta: https://developers.facebook.com/docs/whatsapp/business-management-api/message-templates/
and the webhooks' references (message_template_status_update, template_category_update)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from app.i18n import _, ngettext
from app.models.conecta import MessageTemplate
from app.services import audit, config
from app.services.channels import graph
from app.services.channels.graph import GraphRefused
from app.services.errors import FieldInvalid
from app.services.events import Change
from app.services.practice import Practice
from app.services.whatsapp_number import token

EVENT_KIND = "whatsapp_template"  # the relay's event for both template webhooks
SENDABLE = frozenset({"", "APPROVED"})
DELETED = "DELETED"  # ours: no longer among the account's templates
PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")
# Meta's status events that set the status as named; the others say what they mean.
STATUS_EVENTS = {"APPROVED", "REJECTED", "PENDING", "PAUSED", "DISABLED", "IN_APPEAL",
                 "PENDING_DELETION", "ARCHIVED", "LIMIT_EXCEEDED", "DELETED"}
BACK_TO_APPROVED = {"REINSTATED", "UNARCHIVED"}


@dataclass(frozen=True)
class Version:
    """One language of a template."""

    id: int
    language: str
    category: str  # UTILITY, MARKETING, AUTHENTICATION; "" when typed here
    status: str  # Meta's; "" when typed here
    reason: str  # why it cannot be sent now, in words; "" when it can
    moved_from: str  # the category Meta moved it from; ""


@dataclass(frozen=True)
class Choice:
    """A template by name, with each language Meta has it in."""

    name: str
    body: str  # of its first language, with {{1}}, {{2}}...
    parameters: int  # how many {{n}} its body has
    button_url: str  # its URL button's address ("" when none)
    versions: tuple[Version, ...]
    from_meta: bool

    @property
    def category(self) -> str:
        return next((v.category for v in self.versions if v.category), "")

    @property
    def usable(self) -> bool:
        return any(not v.reason for v in self.versions)

    @property
    def reason(self) -> str:
        """Why none of its languages can be sent ("" when one can)."""
        return "" if self.usable else self.versions[0].reason

    @property
    def link_button(self) -> bool:
        """Its URL button ends in {{1}}: the app puts the confirmation link's token there."""
        return bool(graph.DYNAMIC_URL.search(self.button_url))

    def languages(self) -> list[str]:
        """The languages it can be sent in now."""
        return [v.language for v in self.versions if not v.reason]


@dataclass(frozen=True)
class Refreshed:
    read: int  # templates (one per language) read from Meta
    usable: int  # of them, approved
    gone: int  # known here, no longer at Meta


def category_words(category: str) -> str:
    return {"UTILITY": _("utility"), "MARKETING": _("marketing"),
            "AUTHENTICATION": _("authentication")}.get(category.upper(), category.lower())


def why_not(name: str, language: str, status: str, reason: str) -> str:
    """Why a template in this status cannot be sent, in words; "" when it can."""
    if status in SENDABLE:
        return ""
    if status == "PAUSED":
        return _("Meta paused the template {name} ({language}) for low quality (clients "
                 "blocked or reported it): it cannot be sent until Meta reinstates it.").format(
            name=name, language=language)
    if status == "DISABLED":
        return _("Meta disabled the template {name} ({language}): create another in WhatsApp "
                 "Manager and choose it.").format(name=name, language=language)
    if status == "REJECTED":
        return _("Meta rejected the template {name} ({language}; {reason}): correct it in "
                 "WhatsApp Manager and submit it again.").format(
            name=name, language=language, reason=reason or "—")
    if status == DELETED:
        return _("The template {name} ({language}) is no longer in the WhatsApp Business "
                 "Account: choose another.").format(name=name, language=language)
    return _("The template {name} ({language}) is not approved by Meta ({status}): it can "
             "be chosen once Meta approves it.").format(name=name, language=language,
                                                        status=status)


def _version(row: MessageTemplate) -> Version:
    return Version(row.id or 0, row.language, row.category, row.status,
                   why_not(row.name, row.language, row.status, row.status_reason),
                   row.previous_category)


def _url_button(buttons: str) -> str:
    try:
        given = json.loads(buttons) if buttons else []
    except ValueError:
        return ""
    return next((str(b.get("url", "")) for b in given if isinstance(b, dict) and
                 str(b.get("type", "")).upper() == "URL"), "") if isinstance(given, list) \
        else ""


def choices(p: Practice) -> list[Choice]:
    """Every template offered here, by name; the practice's own languages first."""
    with p.db.read() as s:
        rows = list(s.exec(select(MessageTemplate).where(col(MessageTemplate.active))
                           .order_by(MessageTemplate.name, MessageTemplate.language)))
        languages = [c for c in config.read_all(s)["whatsapp.language"].split(",") if c]
    by_name: dict[str, list[MessageTemplate]] = {}
    for row in rows:
        by_name.setdefault(row.name, []).append(row)
    out = []
    for name, group in by_name.items():
        group.sort(key=lambda r: (languages.index(r.language) if r.language in languages
                                  else len(languages), r.language))
        first = group[0]
        out.append(Choice(name, first.body, parameter_count(first.body),
                          _url_button(first.buttons), tuple(_version(r) for r in group),
                          any(r.meta_id for r in group)))
    return out


def parameter_count(body: str) -> int:
    return max((int(n) for n in PLACEHOLDER.findall(body)), default=0)


def field_words(field: str) -> str:
    return {"first_name": _("first name"), "name": _("full name"), "date": _("date"),
            "time": _("time"), "weekday": _("weekday"), "professional": _("professional"),
            "practice": _("practice"), "service": _("service")}.get(field, field)


def explain(choice: Choice, fields: list[str], button_on: bool) -> list[str]:
    """What the reminder picker says of a template: its category, which of its
    parameters the app fills from the session (fields: whatsapp.params, in order),
    whether its button carries the confirmation link, and why it cannot be sent."""
    lines = []
    category = choice.category
    if category:
        line = _("Category: {category} (Meta prices utility and marketing messages "
                 "differently).").format(category=category_words(category))
        moved = next((v.moved_from for v in choice.versions if v.moved_from), "")
        if moved:
            line += " " + _("Meta moved it from {old} to {new}.").format(
                old=category_words(moved), new=category_words(category))
        lines.append(line)
    filled = [f"{{{{{i}}}}} = {field_words(f)}"
              for i, f in enumerate(fields[:choice.parameters], start=1)]
    if choice.parameters:
        lines.append(_("The app fills {fields}.").format(fields=", ".join(filled) or "—"))
    if len(fields) < choice.parameters:
        lines.append(ngettext("The template has {n} parameter; the fields chosen below fill "
                              "{m}: add fields, or Meta refuses the message.",
                              "The template has {n} parameters; the fields chosen below fill "
                              "{m}: add fields, or Meta refuses the message.",
                              choice.parameters).format(n=choice.parameters, m=len(fields)))
    elif len(fields) > choice.parameters:
        lines.append(ngettext("The template has {n} parameter; the fields chosen below fill "
                              "{m}: remove fields, or Meta refuses the message.",
                              "The template has {n} parameters; the fields chosen below fill "
                              "{m}: remove fields, or Meta refuses the message.",
                              choice.parameters).format(n=choice.parameters, m=len(fields)))
    if choice.link_button:
        lines.append(_("Its button carries the confirmation link.") if button_on else
                     _("Its button expects the confirmation link: tick the option below."))
    elif choice.button_url:
        lines.append(_("Its button opens a fixed address, not the confirmation link."))
    elif button_on:
        lines.append(_("It has no URL button, so the confirmation link cannot go with it: "
                       "untick the option below."))
    if choice.reason:
        lines.append(choice.reason)
    else:
        lines += [v.reason for v in choice.versions if v.reason]
    return lines


def refresh(p: Practice) -> Refreshed:
    """Atualizar: reads every template of the WhatsApp Business Account from Meta
    into the app's templates (matching Meta's id, else the name and language of one
    typed by hand). One no longer at Meta is marked DELETED. Raises GraphRefused or
    SecretsUnavailable; nothing changes then."""
    cfg = config.get_all(p)
    account = cfg["whatsapp.business_account_id"]
    if not account:
        raise GraphRefused(_("Fill in the WhatsApp Business Account's id: the Meta app's "
                             "WhatsApp › API Setup page shows it under WhatsApp Business "
                             "Account ID."), "ids")
    found = graph.read_templates(cfg["whatsapp.api_base"], token(), account)
    now = p.clock.now()
    with p.db.write() as s:
        rows = list(s.exec(select(MessageTemplate)))
        by_meta = {r.meta_id: r for r in rows if r.meta_id}
        typed = {(r.name, r.language): r for r in rows if r.active and not r.meta_id}
        seen: set[str] = set()
        for t in found:
            row = by_meta.get(t.id) or typed.pop((t.name, t.language), None) or \
                MessageTemplate(name=t.name, language=t.language)
            seen.add(t.id)
            if row.status != t.status:
                row.status_reason = ""  # a webhook's reason belongs to its status
            if t.previous_category:
                row.previous_category = t.previous_category
            elif row.meta_id and row.category and row.category != t.category:
                row.previous_category = row.category
            row.meta_id, row.name, row.language = t.id, t.name, t.language
            row.category, row.status, row.body = t.category, t.status, t.body
            row.buttons, row.active, row.read_at = graph.buttons_json(t.buttons), True, now
            s.add(row)
        gone = 0
        for row in rows:
            if row.meta_id and row.meta_id not in seen and row.status != DELETED:
                row.status, row.status_reason = DELETED, ""
                gone += 1
        usable = sum(1 for t in found if t.status in SENDABLE)
        audit.record(s, at=now, actor=p.actor, entity="message_template", entity_id=None,
                     action="templates_read", changes={"read": len(found), "usable": usable,
                                                       "gone": gone})
    p.bus.publish(Change.of(settings=True))
    return Refreshed(len(found), usable, gone)


def refreshed_words(r: Refreshed) -> str:
    return ngettext("{n} template read from Meta, {usable} of them approved.",
                    "{n} templates read from Meta, {usable} of them approved.",
                    r.read).format(n=r.read, usable=r.usable)


# ---------------------------------------------------------------- can it be sent?

def problem(s: Session, name: str, language: str) -> str | None:
    """Why the template cannot be sent in this language now (a sentence), or None —
    also when it is not known here (typed by hand: Meta judges when it is sent)."""
    row = s.exec(select(MessageTemplate).where(
        MessageTemplate.name == name, MessageTemplate.language == language,
        col(MessageTemplate.active))).first()
    if row is None:
        return None
    return why_not(row.name, row.language, row.status, row.status_reason) or None


def reminder_problem(p: Practice, cfg: dict[str, str] | None = None) -> str | None:
    """Why the reminders' template (whatsapp.template, in its first language) cannot
    be sent now, or None."""
    cfg = cfg if cfg is not None else config.get_all(p)
    name = cfg["whatsapp.template"]
    language = next((c for c in cfg["whatsapp.language"].split(",") if c), "pt_BR")
    if not name:
        return None
    with p.db.read() as s:
        return problem(s, name, language)


def check_choice(p: Practice, name: str, languages: str) -> None:
    """Refuses (FieldInvalid "whatsapp.template") a template for reminders that Meta
    will not send in its first language now."""
    first = next((c.strip() for c in languages.split(",") if c.strip()), "pt_BR")
    if not name.strip():
        return
    with p.db.read() as s:
        found = problem(s, name.strip(), first)
    if found:
        raise FieldInvalid("whatsapp.template", found)


# ---------------------------------------------------------------- Meta's webhooks

def take_webhook(s: Session, p: Practice, data: dict[str, Any]) -> str:
    """One template webhook as the relay sealed it: {"account", "field", "value"}.
    message_template_status_update sets the status (and Meta's reason);
    template_category_update, once the change is made, the category and the one it
    had. Returns a word for the relay event's record."""
    value = graph.obj(data.get("value"))
    own = config.read_all(s)["whatsapp.business_account_id"]
    if own and str(data.get("account", "")) not in ("", own):
        return "another account"
    meta_id = str(value.get("message_template_id", ""))
    name = str(value.get("message_template_name", ""))
    language = str(value.get("message_template_language", ""))
    row = s.exec(select(MessageTemplate).where(MessageTemplate.meta_id == meta_id)).first() \
        if meta_id else None
    if row is None:
        row = s.exec(select(MessageTemplate).where(
            MessageTemplate.name == name, MessageTemplate.language == language,
            col(MessageTemplate.active))).first()
    if row is None:
        return "unknown template"  # the next Atualizar reads it
    field = data.get("field")
    changes: dict[str, Any] = {"name": row.name, "language": row.language}
    if field == "message_template_status_update":
        event = str(value.get("event", "")).upper()
        reason = str(value.get("reason") or "")
        status = "APPROVED" if event in BACK_TO_APPROVED else event
        if status not in STATUS_EVENTS:
            return "noted"  # FLAGGED, LOCKED...: nothing that changes sending
        changes["status"] = [row.status, status]
        row.status, row.status_reason = status, "" if reason.upper() == "NONE" else reason
    elif field == "template_category_update":
        new, old = str(value.get("new_category", "")).upper(), \
            str(value.get("previous_category", "")).upper()
        if not old or not new:
            return "noted"  # a change announced, not made yet
        changes["category"] = [old, new]
        row.previous_category, row.category = old, new
    else:
        return "noted"
    s.add(row)
    audit.record(s, at=p.clock.now(), actor="Meta", entity="message_template",
                 entity_id=row.id, action="template_marked", changes=changes)
    return "marked"
