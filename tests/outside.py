"""Text from people outside the practice, put in through the doors it comes in by
in production: a client's answer on the confirmation link as the relay hands it
over (sealed to the practice's key, applied by the same code the poller runs), a
WhatsApp message with its sender's profile name, an SMS, and a client's e-mail
taken from the mailbox."""

from __future__ import annotations

import base64
import itertools
import json
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

from nacl.public import PublicKey, SealedBox

from app.services import mail_inbound, relay_client
from app.services.events import Change
from app.services.practice import Practice

# Markup that would be large red text and a link if Qt read it as rich text.
MARKUP = ('<b style="font-size:40px;color:red">PAGAMENTO PENDENTE: ligue 0800</b>'
          '<a href="https://evil.example">clique</a>')
# What would drive a terminal: clear the screen, retitle the window (OSC, ended by
# BEL), and a bare carriage return that would overwrite the start of the line.
TERMINAL = "Oi\x1b[2J\x1b]0;pwned\x07 tudo bem?\rFALSO"

_event_ids = itertools.count(70_000)


def _sealed(p: Practice, data: dict[str, Any]) -> str:
    public = base64.b64decode(relay_client.keys(p))
    box = SealedBox(PublicKey(public)).encrypt(json.dumps(data, ensure_ascii=False).encode())
    return base64.b64encode(bytes(box)).decode()


def asks_to_cancel(p: Practice, appointment_id: int, reason: str) -> None:
    """The client pressed Cancelar on the link's page and wrote `reason`."""
    assert relay_client.apply_event(p, {
        "id": next(_event_ids), "kind": "cancel_requested", "appointment_id": appointment_id,
        "sealed": _sealed(p, {"reason": reason})})


def writes_on_whatsapp(p: Practice, text: str, profile: str,
                       phone: str = "5511955554444") -> None:
    """A message from `phone`, whose WhatsApp profile is named `profile`."""
    n = next(_event_ids)
    assert relay_client.apply_event(p, {"id": n, "kind": "whatsapp_message", "sealed": _sealed(
        p, {"metadata": {"display_phone_number": "551130001000"},
            "contacts": [{"profile": {"name": profile}, "wa_id": phone}],
            "message": {"from": phone, "id": f"wamid.{n}", "type": "text",
                        "timestamp": str(int(p.clock.now().timestamp())),
                        "text": {"body": text}}})})


def sends_sms(p: Practice, text: str, phone: str = "+5511944443333") -> None:
    n = next(_event_ids)
    assert relay_client.apply_event(p, {"id": n, "kind": "sms_message", "sealed": _sealed(
        p, {"From": phone, "To": "+551130001000", "Body": text, "MessageSid": f"SM{n}",
            "NumMedia": "0"})})


def sends_email(p: Practice, address: str, display_name: str, subject: str, body: str) -> None:
    """An e-mail from a client's address, as the mailbox reader takes it in."""
    message = EmailMessage()
    message["From"] = formataddr((display_name, address))
    message["To"] = "agenda@bemestar.example"
    message["Subject"] = subject
    message["Message-ID"] = f"<{next(_event_ids)}@mail.example>"
    message.set_content(body)
    touched: set[int] = set()
    with p.db.write() as s:  # as `mail_inbound.fetch` takes each message in
        taken = mail_inbound.take_in_mail(s, p, bytes(message), p.clock.now(), touched)
    assert taken == "message", taken
    p.bus.publish(Change.of(conversations=sorted(touched)))


def confirms(p: Practice, appointment_id: int) -> None:
    """The client pressed Confirmar on the link's page."""
    assert relay_client.apply_event(p, {
        "id": next(_event_ids), "kind": "confirmed", "appointment_id": appointment_id})
