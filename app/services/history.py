"""The audit trail of a session as sentences a person reads (the Histórico tab)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.i18n import _, format_datetime, format_money, from_english
from app.services.audit import CLIENT, IMPORT, SYSTEM
from app.services.queries import HistoryEntry
from app.services.reminders import channel_name


def _who(actor: str) -> str:
    return {CLIENT: _("The client"), SYSTEM: _("The system"), IMPORT: _("The import")}.get(
        actor, actor)


def _when(iso: object, zone: ZoneInfo) -> str:
    return format_datetime(datetime.fromisoformat(str(iso)).astimezone(zone))


def _dicts(value: object) -> list[dict[str, object]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


SAME_MOMENT = timedelta(seconds=5)  # one decision's two writes, seconds apart at most


def readable(entries: Sequence[HistoryEntry]) -> list[HistoryEntry]:
    """The entries a person reads, oldest first: the record of a decision to cancel
    at a client's request is left out when the cancellation it made is the entry
    just before it, by the same person moments earlier, already saying the client
    called it off."""
    out: list[HistoryEntry] = []
    for entry in entries:
        before = out[-1] if out else None
        if entry.action == "request_decided" and before is not None and \
                before.action == "cancel" and before.changes.get("by") == "client" and \
                before.actor == entry.actor and abs(entry.at - before.at) <= SAME_MOMENT:
            continue
        out.append(entry)
    return out


def sentence(entry: HistoryEntry, zone: ZoneInfo, currency: str) -> str:
    who, c = _who(entry.actor), entry.changes
    if entry.action == "created":
        if "rescheduled_from" in c:
            text = _("{who} moved session #{id} here.").format(who=who, id=c["rescheduled_from"])
        elif c.get("source") == "recurrence":
            text = _("{who} booked this session as part of a series.").format(who=who)
        else:
            text = _("{who} booked the session for {when}.").format(
                who=who, when=_when(c.get("start"), zone))
        if c.get("override"):
            text += " " + _("Booked despite: {rules}.").format(  # one full stop at the end
                rules="; ".join(str(o.get("message")).rstrip(". ") for o in _dicts(c["override"])))
        return text
    if entry.action == "confirm":
        if entry.actor == CLIENT and c.get("via") == "phone":
            return _("The client confirmed the session by phone (a key pressed on the "
                     "reminder call).")
        if entry.actor == CLIENT:
            return _("The client confirmed the session through the link.")
        return _("{who} confirmed the session.").format(who=who)
    if entry.action == "cancel":
        text = _("{who} cancelled the session: “{reason}”.").format(
            who=who, reason=from_english(str(c.get("reason") or "")))
        if c.get("by") == "practice":
            text += " " + _("Called off by the practice: no fee for the client.")
        elif c.get("by") == "client":
            text += " " + _("Called off by the client.")
        fee = int(str(c.get("cancellation_fee_cents") or 0))
        if fee:
            text += " " + _("Late cancellation fee: {fee}.").format(fee=format_money(fee, currency))
        elif c.get("charge_decision") == "waive":
            text += " " + _("No fee charged.")
        told = c.get("notice_channel")
        if told:
            text += " " + _("The client is told by {channel}.").format(
                channel=channel_name(str(told)))
        elif c.get("notify") and "notice_channel" in c:
            text += " " + _("No channel could reach the client: see the Reminders tab.")
        elif c.get("notify"):  # written before the channel was recorded
            text += " " + _("The client is to be told.")
        return text
    if entry.action == "reschedule":
        moved = c.get("start")
        old, new = moved if isinstance(moved, list) else (None, None)
        return _("{who} moved the session from {old} to {new} (session #{id}).").format(
            who=who, old=_when(old, zone), new=_when(new, zone), id=c.get("rescheduled_to"))
    if entry.action == "complete":
        text = _("{who} marked the session completed.").format(who=who)
        price = c.get("actual_price_cents")
        if isinstance(price, list) and price[1] is not None:
            text += " " + _("Charged {price}.").format(price=format_money(int(price[1]), currency))
        return text
    if entry.action == "no_show":
        return _("{who} recorded that the client did not come.").format(who=who)
    if entry.action == "unconfirm":
        return _("{who} undid the confirmation: the session is scheduled again.").format(who=who)
    if entry.action == "undo":
        from app.models.enums import AppointmentStatus
        from app.services.scheduling import status_word

        statuses = c.get("status")
        back = status_word(AppointmentStatus(statuses[1])) if isinstance(statuses, list) else ""
        if c.get("undoes") == "no_show":
            return _("{who} undid the no-show: the session is {status} again.").format(
                who=who, status=back)
        return _("{who} undid the completion: the session is {status} again.").format(
            who=who, status=back)
    if entry.action == "cancel_requested":
        reason = str(c.get("reason") or "").strip()
        if c.get("via") == "phone" and not reason:
            return _("The client asked to cancel by phone (a key pressed on the reminder "
                     "call).")
        return (_("The client asked to cancel through the link: “{reason}”.").format(reason=reason)
                if reason else _("The client asked to cancel through the link."))
    if entry.action == "request_decided":
        return {
            "charge": _("{who} cancelled at the client's request and charged per the policy."),
            "waive": _("{who} cancelled at the client's request without a fee."),
            "reschedule": _("{who} rescheduled at the client's request."),
            "keep": _("{who} kept the session despite the client's request to cancel."),
            "dismiss": _("{who} read the client's notice."),
        }.get(str(c.get("decision")), _("{who} answered the client's request.")).format(who=who)
    # An action without its own sentence still reads as words, never as a code.
    return _("{who} changed the session.").format(who=who)
