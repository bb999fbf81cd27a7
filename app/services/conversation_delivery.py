"""How the outbox sends a message written in Conecta, and how the result comes
back to the thread. The outbox calls these; it knows nothing else of Conecta."""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import Session, col, select

from app.i18n import _
from app.models.conecta import (
    WINDOW_CLOSED_CODE,
    Attendance,
    ConversationEntry,
    DeliveryState,
    EntryKind,
    Medium,
)
from app.models.outbox import OutboxMessage
from app.services.channels import Outgoing


def message_id(entry_id: int, sender: str) -> str:
    """Our own Message-ID for an e-mail, so replies can name it."""
    domain = sender.rsplit("@", 1)[-1] if "@" in sender else "practice-desk"
    return f"<conecta-{entry_id}@{domain}>"


def compose(s: Session, msg: OutboxMessage, cfg: dict[str, str]
            ) -> tuple[Outgoing | None, str | None]:
    entry = s.get(ConversationEntry, msg.conversation_entry_id) \
        if msg.conversation_entry_id else None
    attendance = s.get(Attendance, entry.attendance_id) if entry else None
    if entry is None or attendance is None:
        return None, _("The conversation message no longer exists.")
    if attendance.medium is Medium.WHATSAPP:
        to = attendance.phone or ""
        if entry.kind is EntryKind.TEMPLATE:
            return Outgoing(to=to, template=entry.template, language=entry.template_language
                            or "pt_BR", parameters=json.loads(entry.template_params or "[]")
                            ), None
        return Outgoing(to=to, text=entry.body), None
    if attendance.medium is Medium.SMS:
        relay = cfg["relay.url"]
        return Outgoing(to=attendance.phone or "", text=entry.body,
                        sender=attendance.originator or None,
                        status_callback=f"{relay}/webhooks/sms" if relay else None), None
    if attendance.medium is Medium.EMAIL:
        earlier = _thread_ids(s, attendance.id or 0, entry.id or 0)
        sender = attendance.originator or cfg["smtp.from"]
        return Outgoing(to=attendance.email or "", subject=entry.subject or attendance.subject,
                        text=entry.body, message_id=entry.provider_id or message_id(
                            entry.id or 0, sender),
                        sender=attendance.originator or None,
                        in_reply_to=earlier[-1] if earlier else None,
                        references=tuple(earlier)), None
    return None, _("Calls are not sent from the app.")


def _thread_ids(s: Session, attendance_id: int, before_entry: int) -> list[str]:
    """The Message-IDs of the thread's earlier e-mails, oldest first (References)."""
    rows = s.exec(select(ConversationEntry.provider_id).where(
        ConversationEntry.attendance_id == attendance_id,
        col(ConversationEntry.id) < before_entry,
        col(ConversationEntry.provider_id).is_not(None),
        ConversationEntry.kind == EntryKind.TEXT).order_by(col(ConversationEntry.id)))
    return [r for r in rows if r and r.startswith("<")]


def attendance_of(s: Session, msg: OutboxMessage) -> int | None:
    entry = s.get(ConversationEntry, msg.conversation_entry_id) \
        if msg.conversation_entry_id else None
    return entry.attendance_id if entry else None


def record(s: Session, msg: OutboxMessage, now: datetime, *, provider_id: str | None = None,
           error: str | None = None, code: str | None = None, unknown: bool = False) -> None:
    """Mirror the outbox's final word on the thread's message. unknown: the provider
    may or may not have it; the message stays `queued` with the reason, and the
    Painel asks a person."""
    entry = s.get(ConversationEntry, msg.conversation_entry_id) \
        if msg.conversation_entry_id else None
    if entry is None:
        return
    if error is None:
        entry.state, entry.provider_id = DeliveryState.SENT, provider_id
        entry.error = entry.error_code = None
    elif unknown:
        entry.state, entry.error, entry.error_code = DeliveryState.QUEUED, error, "unknown"
    else:
        entry.state, entry.error, entry.error_code = DeliveryState.FAILED, error, code
        attendance = s.get(Attendance, entry.attendance_id)
        if code == WINDOW_CLOSED_CODE and attendance is not None:
            attendance.window_refused_at = now  # Meta says the window is closed


WAITING_CODE = "waiting"  # the entry's error code while something outside holds it back


def waiting(s: Session, msg: OutboxMessage, reason: str) -> None:
    """The message could not be tried (the keyring cannot be read): it stays queued,
    and the thread says why, until it goes or fails."""
    entry = s.get(ConversationEntry, msg.conversation_entry_id) \
        if msg.conversation_entry_id else None
    if entry is not None and entry.state is DeliveryState.QUEUED:
        entry.error, entry.error_code = reason, WAITING_CODE
