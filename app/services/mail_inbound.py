"""Clients' e-mail replies into Conecta: the practice's mailbox is read over IMAP
and each new message from a client lands in its card. A reply is matched by the
Message-IDs it answers (In-Reply-To, References), else by the sender's open
e-mail attendance, else a new Pendente card is started when the sender is a
client. Other mail is left alone for the practice's mail program.

Exactly once: the last UID read is saved in the same transaction as the message,
and a Message-ID already in a thread is never taken twice."""

from __future__ import annotations

import email
import imaplib
import logging
import re
import ssl
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from sqlmodel import Session, col, select

from app.i18n import _
from app.models.conecta import (
    OPEN_STATUSES,
    Attendance,
    AttendanceStatus,
    ConversationEntry,
    DeliveryState,
    Direction,
    EntryKind,
    Medium,
)
from app.models.config_entry import ConfigEntry
from app.models.tables import Client
from app.services import attendances, audit, config, secrets
from app.services.errors import InvalidInput, PracticeError
from app.services.events import Change
from app.services.practice import Practice
from app.services.values import login_in_clear, normalize_email

log = logging.getLogger(__name__)

TIMEOUT = 20
STATE_KEY = "state.imap"  # "UIDVALIDITY:LAST_UID", beside the configuration
MAX_BODY = 20_000
QUOTE_START = re.compile(r"^(On .+ wrote:|Em .+ escreveu:|-----Original Message-----|"
                         r"-----Mensagem original-----|De: .+|From: .+)$", re.I)


class MailNotConfigured(PracticeError):
    pass


class MailUnavailable(PracticeError):
    """The mailbox could not be read now (network, login); the next pass tries again."""


@dataclass
class MailReport:
    taken: int = 0  # messages put in cards
    left: int = 0  # mail that is not a client's: left for the mail program

    def as_json(self) -> dict[str, int]:
        return {"taken": self.taken, "left": self.left}


# ---------------------------------------------------------------- one message

def _text_of(message: EmailMessage) -> str:
    """The reply itself: the plain-text part without the quoted thread below it."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = str(part.get_content())
    if part.get_content_type() == "text/html":
        text = re.sub(r"<(br|/p|/div)[^>]*>", "\n", text, flags=re.I)
        text = re.sub(r"<[^>]+>", "", text)
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if QUOTE_START.match(line.strip()) or line.startswith(">"):
            break
        lines.append(line.rstrip())
    return "\n".join(lines).strip()[:MAX_BODY]


def _thread_of(s: Session, message: EmailMessage) -> Attendance | None:
    named = re.findall(r"<[^<>\s]+>", f"{message['In-Reply-To'] or ''} "
                                       f"{message['References'] or ''}")
    if not named:
        return None
    entry = s.exec(select(ConversationEntry).where(col(ConversationEntry.provider_id).in_(named))
                   .order_by(col(ConversationEntry.id).desc())).first()
    return s.get(Attendance, entry.attendance_id) if entry else None


def take_in_mail(s: Session, p: Practice, raw: bytes, now: datetime,
                 touched: set[int]) -> str:
    """Returns what became of the message: message, seen before, not a client's."""
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    message_id = (message["Message-ID"] or "").strip() or None
    if message_id and s.exec(select(ConversationEntry.id).where(
            ConversationEntry.provider_id == message_id)).first() is not None:
        return "seen before"
    name, address = parseaddr(str(message["From"] or ""))
    try:
        address = normalize_email(address)
    except InvalidInput:
        return "no sender"
    card = _thread_of(s, message)
    if card is not None and card.status not in OPEN_STATUSES:
        # The client wrote again on a finished thread: it needs someone again.
        card = attendances.open_for(s, Medium.EMAIL, None, card.email) or _reopen(s, card, now)
    if card is None:
        card = attendances.open_for(s, Medium.EMAIL, None, address)
    if card is None:
        client = s.exec(select(Client).where(Client.email == address, col(Client.active))
                        .order_by(col(Client.id))).first()
        if client is None:
            return "not a client's"
        card = _new_card(s, p, message, client, name or client.name, address, now)
    try:
        sent_at = parsedate_to_datetime(str(message["Date"]))
        at = min(sent_at, now) if sent_at.tzinfo else now
    except (TypeError, ValueError):
        at = now
    subject = str(message["Subject"] or "").strip() or None
    s.add(ConversationEntry(attendance_id=card.id or 0, direction=Direction.INBOUND,
                            kind=EntryKind.TEXT, body=_text_of(message), subject=subject,
                            author=card.name, at=at, state=DeliveryState.RECEIVED,
                            provider_id=message_id))
    card.unread += 1
    card.last_activity_at = max(card.last_activity_at, at)
    if not card.subject and subject:
        card.subject = subject
    touched.add(card.id or 0)
    return "message"


def _reopen(s: Session, card: Attendance, now: datetime) -> Attendance:
    audit.record(s, at=now, actor=audit.CLIENT, entity="attendance", entity_id=card.id,
                 action="attendance_changed",
                 changes={"status": [card.status.value, AttendanceStatus.PENDING.value]})
    card.status = AttendanceStatus.PENDING
    return card


def _new_card(s: Session, p: Practice, message: EmailMessage, client: Client, name: str,
              address: str, now: datetime) -> Attendance:
    ours = {a.casefold() for a in attendances.originators(p, Medium.EMAIL)}
    to = [a for _n, a in getaddresses([str(message["To"] or ""), str(message["Cc"] or "")])
          if a.casefold() in ours]
    card = Attendance(medium=Medium.EMAIL, name=client.name or name, email=address,
                      status=AttendanceStatus.PENDING, type="support",
                      originator=to[0] if to else "", client_id=client.id,
                      created_by=audit.CLIENT, created_at=now, last_activity_at=now)
    s.add(card)
    s.flush()
    audit.record(s, at=now, actor=audit.CLIENT, entity="attendance", entity_id=card.id,
                 action="attendance_started", changes={"medium": "email",
                                                       "status": card.status.value,
                                                       "client_id": client.id})
    return card


# ---------------------------------------------------------------- the mailbox

def _state(s: Session) -> tuple[int, int] | None:
    row = s.get(ConfigEntry, STATE_KEY)
    if row is None or ":" not in row.value:
        return None
    validity, last = row.value.split(":", 1)
    return int(validity), int(last)


def _save_state(s: Session, validity: int, last: int) -> None:
    row = s.get(ConfigEntry, STATE_KEY)
    if row is None:
        s.add(ConfigEntry(key=STATE_KEY, value=f"{validity}:{last}"))
    else:
        row.value = f"{validity}:{last}"


def _connect(cfg: dict[str, str]) -> imaplib.IMAP4:
    host, port, security = cfg["imap.host"], int(cfg["imap.port"]), cfg["imap.security"]
    if security == "ssl":
        return imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(),
                                 timeout=TIMEOUT)
    imap = imaplib.IMAP4(host, port, timeout=TIMEOUT)
    if security == "starttls":
        imap.starttls(ssl.create_default_context())
    return imap


def fetch(p: Practice) -> MailReport:
    """Reads the mail that arrived since the last pass. The first pass only notes
    where the mailbox stands: older mail is history, not new replies."""
    cfg = config.get_all(p)
    if not cfg["imap.host"] or not cfg["imap.user"]:
        raise MailNotConfigured(_("The mailbox for e-mail replies is not set up: fill in "
                                  "the IMAP server and user in Settings › Integrations."))
    in_clear = login_in_clear(cfg, "imap")
    if in_clear:  # saved before this was refused: the password stays here
        raise MailUnavailable(in_clear)
    password = secrets.load("imap.password") or ""
    report, touched = MailReport(), set[int]()
    try:
        imap = _connect(cfg)
    except ssl.SSLError as exc:
        raise MailUnavailable(_("A secure connection to the mail server failed ({reason}): "
                                "check that the port matches the security chosen in Settings "
                                "› Integrations (SSL is usually 993).").format(
            reason=exc.reason or type(exc).__name__)) from None
    except imaplib.IMAP4.error as exc:
        if "STARTTLS" in str(exc).upper():
            raise MailUnavailable(_("The mail server does not offer STARTTLS on this port: "
                                    "choose SSL (usually port 993) in Settings › "
                                    "Integrations.")) from None
        raise MailUnavailable(_("Cannot reach the mail server {host}: {problem}").format(
            host=cfg["imap.host"], problem=exc)) from None
    except OSError as exc:
        raise MailUnavailable(_("Cannot reach the mail server {host}: {problem}").format(
            host=cfg["imap.host"], problem=exc.strerror or exc)) from None
    try:
        if "LOGINDISABLED" in imap.capabilities:
            # RFC 3501 §6.2.3: the server takes no LOGIN before the connection is encrypted.
            raise MailUnavailable(_("The mail server does not accept a login on an "
                                    "unencrypted connection: choose STARTTLS or SSL in "
                                    "Settings › Integrations."))
        try:
            imap.login(cfg["imap.user"], password)
        except imaplib.IMAP4.error:
            raise MailUnavailable(_("The mail server refused the user or the password: "
                                    "check them in Settings › Integrations.")) from None
        typ, _data = imap.select(cfg["imap.folder"] or "INBOX")
        if typ != "OK":
            raise MailUnavailable(_("The mail folder {folder} does not exist.").format(
                folder=cfg["imap.folder"]))
        validity = int((imap.response("UIDVALIDITY")[1] or [b"0"])[0] or 0)
        with p.db.read() as s:
            state = _state(s)
        typ, data = imap.uid("SEARCH", "ALL" if state is None or state[0] != validity
                             else f"UID {state[1] + 1}:*")
        uids = sorted(int(u) for u in (data[0] or b"").split())
        if state is None or state[0] != validity:
            with p.db.write() as s:  # a new mailbox (or renumbered): start from here
                _save_state(s, validity, max(uids, default=0))
            return report
        for uid in (u for u in uids if u > state[1]):
            typ, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
            raw = next((part[1] for part in data if isinstance(part, tuple)), None)
            with p.db.write() as s:
                outcome = take_in_mail(s, p, raw, p.clock.now(), touched) if raw else "empty"
                _save_state(s, validity, uid)
            if outcome == "message":
                report.taken += 1
                imap.uid("STORE", str(uid), "+FLAGS", "(\\Seen)")
            else:
                report.left += 1
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailUnavailable(_("Reading the mailbox failed: {problem}").format(
            problem=exc)) from None
    finally:
        with suppress(OSError, imaplib.IMAP4.error):
            imap.logout()
        if touched:
            p.bus.publish(Change.of(conversations=sorted(touched)))
    return report
