"""What clients send and what providers report, as the relay hands it over
(already unsealed): WhatsApp and SMS messages land in the open attendance for
that number, or in a new card marked Pendente; delivery statuses move a sent
message forward (sent → delivered → read) or mark it failed; a quick-reply
Confirmar on a reminder confirms the session as the link does.

Everything here runs inside the poller's unit of work, so an event is applied
exactly once together with its record."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import phonenumbers
from sqlmodel import Session, col, select

from app.i18n import _
from app.models.conecta import (
    DELIVERY_RANK,
    WINDOW_CLOSED_CODE,
    Attendance,
    AttendanceStatus,
    ConversationEntry,
    DeliveryState,
    Direction,
    EntryKind,
    Medium,
)
from app.models.outbox import OutboxMessage
from app.models.tables import Appointment, Client
from app.services import audit, client_answers, phones
from app.services.practice import Practice
from app.services.values import spelled_with_letters

log = logging.getLogger(__name__)

KINDS = frozenset({"whatsapp_message", "whatsapp_status", "sms_message", "sms_status"})
# A reminder's buttons, as their words or payloads come back (accents, case and
# punctuation aside). Whole phrases only: "Não confirmo" is not a confirmation.
CONFIRM_WORDS = frozenset({"confirmar", "confirm", "confirmo", "confirmado", "confirmada",
                           "sim", "yes", "sim confirmo", "confirmar presenca",
                           "confirmar sessao", "confirmar agendamento"})
CANCEL_WORDS = frozenset({"cancelar", "cancel", "desmarcar", "nao posso", "nao posso ir",
                          "cancelar sessao", "cancelar agendamento"})


@dataclass
class Touched:
    appointments: set[int] = field(default_factory=set)
    conversations: set[int] = field(default_factory=set)


def take_in(s: Session, p: Practice, kind: str, data: dict[str, Any], touched: Touched) -> str:
    """Returns a word for the relay event's record."""
    if not data:
        return "unreadable"  # sealed to another key, or the key is missing
    handler = {"whatsapp_message": _whatsapp_message, "whatsapp_status": _whatsapp_status,
               "sms_message": _sms_message, "sms_status": _sms_status}[kind]
    return handler(s, p, data, touched)


# ---------------------------------------------------------------- finding the card

def _e164(raw: str | None) -> str | None:
    if not raw or spelled_with_letters(raw):  # never read as a keypad's digits
        return None
    text = raw if raw.startswith("+") else f"+{raw}"
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _card_for(s: Session, medium: Medium, phone: str, name: str, originator: str,
              now: datetime) -> Attendance:
    """The open attendance on this channel for this number, or a new card waiting
    for someone (Pendente), linked to the client with that phone."""
    if medium is Medium.SMS:
        # An SMS from a Brazilian mobile without its ninth digit is answered with it:
        # the eight-digit form cannot receive SMS (it is WhatsApp that keeps it).
        phone = phones.key(phone)
    row = s.exec(select(Attendance).where(
        Attendance.medium == medium, phones.matches(Attendance.phone, phone),
        col(Attendance.status).in_([AttendanceStatus.IN_PROGRESS, AttendanceStatus.PENDING]))
        .order_by(col(Attendance.last_activity_at).desc())).first()
    if row is not None:
        # The same line, perhaps written without the ninth digit: answers go to the
        # number as the provider last named it, so they reach the same chat.
        row.phone = phone
        return row
    client = s.exec(select(Client).where(phones.matches(Client.phone, phone),
                                         col(Client.active))
                    .order_by(col(Client.id))).first()
    row = Attendance(medium=medium, name=(client.name if client else "") or name or phone,
                     phone=phone, status=AttendanceStatus.PENDING, type="support",
                     originator=originator, client_id=client.id if client else None,
                     created_by=audit.CLIENT, created_at=now, last_activity_at=now)
    s.add(row)
    s.flush()
    audit.record(s, at=now, actor=audit.CLIENT, entity="attendance", entity_id=row.id,
                 action="attendance_started", changes={"medium": medium.value,
                                                       "status": row.status.value,
                                                       "client_id": row.client_id})
    return row


def _received(s: Session, card: Attendance, entry: ConversationEntry, touched: Touched) -> None:
    s.add(entry)
    card.unread += 1
    card.last_activity_at = max(card.last_activity_at, entry.at)
    touched.conversations.add(card.id or 0)


def _timestamp(raw: Any, now: datetime) -> datetime:
    try:
        at = datetime.fromtimestamp(int(raw), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return now
    return min(at, now)  # a phone's clock ahead of ours must not stretch the window


def _known(s: Session, provider_id: str | None) -> bool:
    return bool(provider_id) and s.exec(select(ConversationEntry.id).where(
        ConversationEntry.provider_id == provider_id)).first() is not None


# ---------------------------------------------------------------- WhatsApp

def _whatsapp_message(s: Session, p: Practice, data: dict[str, Any], touched: Touched) -> str:
    message = data.get("message") or {}
    phone = _e164(str(message.get("from", "")))
    wamid = str(message.get("id", "")) or None
    if phone is None:
        return "no sender"
    if _known(s, wamid):
        return "seen before"
    now = p.clock.now()
    contacts = data.get("contacts") or []
    profile = next((c.get("profile", {}).get("name", "") for c in contacts
                    if isinstance(c, dict)), "")
    ours = _e164(str((data.get("metadata") or {}).get("display_phone_number", ""))) or ""
    card = _card_for(s, Medium.WHATSAPP, phone, profile, ours, now)
    kind, body, tapped = _whatsapp_body(message)
    context = (message.get("context") or {}).get("id")
    entry = ConversationEntry(attendance_id=card.id or 0, direction=Direction.INBOUND,
                              kind=kind, body=body, author=card.name,
                              at=_timestamp(message.get("timestamp"), now),
                              state=DeliveryState.RECEIVED, provider_id=wamid,
                              reply_to=str(context) if context else None)
    _received(s, card, entry, touched)
    if kind is EntryKind.REPLY_BUTTON and context:
        return _quick_reply(s, p, str(context), tapped, touched) or "message"
    return "message"


def _whatsapp_body(message: dict[str, Any]) -> tuple[EntryKind, str, str]:
    """(kind, text shown in the thread, the tapped button's words)."""
    kind = message.get("type")
    if kind == "text":
        return EntryKind.TEXT, str((message.get("text") or {}).get("body", "")), ""
    if kind == "button":  # a template's quick-reply button
        button = message.get("button") or {}
        text = str(button.get("text") or button.get("payload") or "")
        return EntryKind.REPLY_BUTTON, text, f"{text}\n{button.get('payload', '')}"
    if kind == "interactive":
        inter = message.get("interactive") or {}
        reply = inter.get("button_reply") or inter.get("list_reply") or {}
        text = str(reply.get("title", ""))
        return EntryKind.REPLY_BUTTON, text, f"{text}\n{reply.get('id', '')}"
    if kind == "reaction":
        return EntryKind.TEXT, str((message.get("reaction") or {}).get("emoji", "")), ""
    if kind in ("image", "video", "audio", "document", "sticker"):
        media = message.get(kind) or {}
        label = {"image": _("Picture"), "video": _("Video"), "audio": _("Audio message"),
                 "document": _("Document"), "sticker": _("Sticker")}[kind]
        caption = str(media.get("caption") or media.get("filename") or "")
        return EntryKind.MEDIA, f"[{label}] {caption}".strip(), ""
    label = _("Location") if kind == "location" else \
        _("Message of a kind the app does not show")
    return EntryKind.MEDIA, f"[{label}]", ""


def _phrase(text: str) -> str:
    """'Não posso!' -> 'nao posso'; 'CANCELAR_SESSAO' -> 'cancelar sessao'."""
    plain = unicodedata.normalize("NFKD", text.replace("_", " ").casefold())
    letters = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s]", " ", letters).split())


def _quick_reply(s: Session, p: Practice, context: str, tapped: str, touched: Touched
                 ) -> str | None:
    """A tap on a reminder template's Confirmar (or Cancelar) answers that
    reminder's session, found by the message the tap replies to."""
    said = {_phrase(one) for one in tapped.split("\n")} - {""}
    answers = {client_answers.CONFIRMED for one in said if one in CONFIRM_WORDS} | \
        {client_answers.CANCEL_REQUESTED for one in said if one in CANCEL_WORDS}
    if len(answers) != 1:  # neither, or the words and the payload disagree
        return None
    [answer] = answers
    reminder = s.exec(select(OutboxMessage).where(
        OutboxMessage.provider_message_id == context)).first()
    a = s.get(Appointment, reminder.appointment_id) if reminder and reminder.appointment_id \
        else None
    if a is None:
        return None
    touched.appointments.add(a.id or 0)
    outcome = client_answers.apply(s, p, a, answer, via="whatsapp")
    return f"quick reply: {outcome}"


def _advance(entry: ConversationEntry, state: DeliveryState, error: str | None,
             code: str | None) -> bool:
    if state is DeliveryState.FAILED:
        entry.state, entry.error, entry.error_code = state, error, code
        return True
    if entry.state is DeliveryState.FAILED:
        return False
    if DELIVERY_RANK.get(state, 0) > DELIVERY_RANK.get(entry.state, 0):
        entry.state = state
        return True
    return False


def _whatsapp_status(s: Session, p: Practice, data: dict[str, Any], touched: Touched) -> str:
    status = data.get("status") or {}
    state = {"sent": DeliveryState.SENT, "delivered": DeliveryState.DELIVERED,
             "read": DeliveryState.READ, "failed": DeliveryState.FAILED}.get(
        str(status.get("status")))
    entry = s.exec(select(ConversationEntry).where(
        ConversationEntry.provider_id == str(status.get("id", "")),
        ConversationEntry.direction == Direction.OUTBOUND)).first()
    if state is None or entry is None:
        return "status for a message not in Conecta"
    errors = status.get("errors") or [{}]
    code = str(errors[0].get("code", "")) or None
    detail = str(errors[0].get("message") or errors[0].get("title") or "") or None
    if state is DeliveryState.FAILED and code == WINDOW_CLOSED_CODE:
        detail = _("More than 24 hours have passed since the client's last message, so "
                   "WhatsApp only accepts an approved template.")
        card = s.get(Attendance, entry.attendance_id)
        if card is not None:
            card.window_refused_at = _timestamp(status.get("timestamp"), p.clock.now())
    if _advance(entry, state, detail, code):
        touched.conversations.add(entry.attendance_id)
    return f"status {state.value}"


# ---------------------------------------------------------------- SMS (Twilio's form fields)

def _sms_message(s: Session, p: Practice, data: dict[str, Any], touched: Touched) -> str:
    phone = _e164(str(data.get("From", "")))
    sid = str(data.get("MessageSid") or data.get("SmsSid") or "") or None
    if phone is None:
        return "no sender"
    if _known(s, sid):
        return "seen before"
    now = p.clock.now()
    card = _card_for(s, Medium.SMS, phone, "", _e164(str(data.get("To", ""))) or "", now)
    body = str(data.get("Body", ""))
    media = str(data.get("NumMedia") or "0") != "0"
    if media:
        picture = _("Picture")
        body = f"[{picture}] {body}".strip()
    _received(s, card, ConversationEntry(
        attendance_id=card.id or 0, direction=Direction.INBOUND,
        kind=EntryKind.MEDIA if media else EntryKind.TEXT, body=body, author=card.name,
        at=now, state=DeliveryState.RECEIVED, provider_id=sid), touched)
    return "message"


def _sms_status(s: Session, p: Practice, data: dict[str, Any], touched: Touched) -> str:
    state = {"sent": DeliveryState.SENT, "delivered": DeliveryState.DELIVERED,
             "read": DeliveryState.READ, "undelivered": DeliveryState.FAILED,
             "failed": DeliveryState.FAILED}.get(str(data.get("MessageStatus", "")))
    entry = s.exec(select(ConversationEntry).where(
        ConversationEntry.provider_id == str(data.get("MessageSid", "")),
        ConversationEntry.direction == Direction.OUTBOUND)).first()
    if state is None or entry is None:
        return "status for a message not in Conecta"
    code = str(data.get("ErrorCode") or "") or None
    detail = _("The SMS could not be delivered (Twilio error {code}).").format(
        code=code or "?") if state is DeliveryState.FAILED else None
    if _advance(entry, state, detail, code):
        touched.conversations.add(entry.attendance_id)
    return f"status {state.value}"
