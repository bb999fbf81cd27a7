"""Reminders by phone call, the part the desktop and the relay share (standard
library only, like relay.tokens): the TwiML a call follows and the signed address
of the relay's keypad route.

The desktop places the call with inline TwiML (Twilio's Create Call `Twiml`): the
reminder's words inside a `<Gather numDigits="1">` whose action is the relay's
`POST /webhooks/voice/{token}`, then a `<Redirect>` to the same address for a
client who pressed nothing (a Gather that times out falls through to the next
verb: https://www.twilio.com/docs/voice/twiml/gather). The relay keeps nothing
of the call; to say the words again it reads them from its own address's query,
where the desktop put them with an HMAC made with the practice's link secret, so
the relay speaks only what the desktop wrote (and X-Twilio-Signature, computed
over the whole address, says Twilio called it).

TwiML is built with xml.etree: the practice's words and names are text nodes,
escaped by the library, never pasted into markup."""

from __future__ import annotations

import base64
import hashlib
import hmac
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import quote, urlencode

ROUTE = "/webhooks/voice/"  # + the session's link token
STATUS_ROUTE = "/webhooks/voice/status"
MAX_TWIML = 4000  # Twilio's limit on Create Call's Twiml (the spec's CreateCall)
GATHER_SECONDS = 6  # how long the keypad waits after the words end
# The languages calls are spoken in (Twilio's <Say language>), and the voice
# used when the practice's own voice speaks another language.
LANGUAGES = ("pt-BR", "en-US")
DEFAULT_VOICE = {"pt-BR": "Polly.Camila", "en-US": "Polly.Joanna"}
MAC_BYTES = 16

# What the relay says after the keypad, in each language.
WORDS: dict[str, dict[str, str]] = {
    "pt-BR": {
        "confirmed": "Obrigado! Sua sessão está confirmada. Até lá!",
        "already_confirmed": "Sua sessão já estava confirmada. Até lá!",
        "cancel_requested": "Recebemos seu pedido de cancelamento. O consultório vai "
                            "entrar em contato com você.",
        "already_cancel": "Seu pedido de cancelamento já tinha sido recebido. O "
                          "consultório vai entrar em contato com você.",
        "goodbye": "Obrigado. Até logo.",
        "sorry": "Desculpe, este lembrete não vale mais. Por favor, fale com o consultório.",
        "changed": "Esta sessão mudou. Por favor, fale com o consultório.",
    },
    "en-US": {
        "confirmed": "Thank you! Your session is confirmed. See you then!",
        "already_confirmed": "Your session was already confirmed. See you then!",
        "cancel_requested": "We have your request to cancel. The practice will get in "
                            "touch with you.",
        "already_cancel": "We already had your request to cancel. The practice will get "
                          "in touch with you.",
        "goodbye": "Thank you. Goodbye.",
        "sorry": "Sorry, this reminder is no longer valid. Please contact the practice.",
        "changed": "This session has changed. Please contact the practice.",
    },
}


def language_of(code: str) -> str:
    """A call's language from a client's ("pt_BR", "en", "en-US"): Portuguese
    unless it is English."""
    return "en-US" if code.replace("_", "-").lower().startswith("en") else "pt-BR"


@dataclass(frozen=True)
class Spoken:
    """What a call says and how: `text` the whole message with its keypad line,
    `language` one of LANGUAGES, `voice` a Twilio voice name, `round` 1 the first
    time the words are said, 2 when repeated."""

    text: str
    language: str
    voice: str
    round: int = 1


def _mac(secret: bytes, token: str, spoken: Spoken) -> str:
    body = "\0".join(("voice", token, spoken.language, spoken.voice, spoken.text))
    digest = hmac.new(secret, body.encode("utf-8"), hashlib.sha256).digest()[:MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def action_url(relay_url: str, secret: bytes, token: str, spoken: Spoken) -> str:
    """The relay's keypad address for a call about the session of `token`:
    {relay}/webhooks/voice/{token}?l=…&v=…&t=…&r=…&h=… (h: the HMAC of the rest
    but the round)."""
    query = urlencode({"l": spoken.language, "v": spoken.voice, "t": spoken.text,
                       "r": str(spoken.round), "h": _mac(secret, token, spoken)},
                      quote_via=quote)
    return f"{relay_url.rstrip('/')}{ROUTE}{token}?{query}"


def read_query(secrets: list[bytes], token: str, query: dict[str, str]) -> Spoken | None:
    """What the desktop asked the relay to say, when one of `secrets` signed it;
    None for a query off its shape or signed otherwise."""
    language, voice, text = query.get("l", ""), query.get("v", ""), query.get("t", "")
    if language not in LANGUAGES or not text or len(text) > MAX_TWIML or \
            not 0 < len(voice) <= 64:
        return None
    spoken = Spoken(text, language, voice, 2 if query.get("r") == "2" else 1)
    given = query.get("h", "")
    if any(hmac.compare_digest(given.encode("ascii", "replace"),
                               _mac(secret, token, spoken).encode()) for secret in secrets):
        return spoken
    return None


def _say(parent: ET.Element, text: str, language: str, voice: str) -> None:
    ET.SubElement(parent, "Say", {"language": language, "voice": voice}).text = text


def _document(root: ET.Element) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="unicode")


def keypad(spoken: Spoken, action: str) -> str:
    """The words, listening for one key while they are said and for
    GATHER_SECONDS after; nothing pressed goes to `action` too (without Digits)."""
    root = ET.Element("Response")
    gather = ET.SubElement(root, "Gather", {"input": "dtmf", "numDigits": "1",
                                            "timeout": str(GATHER_SECONDS),
                                            "action": action, "method": "POST"})
    _say(gather, spoken.text, spoken.language, spoken.voice)
    ET.SubElement(root, "Redirect", {"method": "POST"}).text = action
    return _document(root)


def say_and_hang_up(text: str, language: str, voice: str) -> str:
    """Words said once, then the call ends."""
    root = ET.Element("Response")
    _say(root, text, language, voice)
    ET.SubElement(root, "Hangup")
    return _document(root)


def empty() -> str:
    """A TwiML answer that does nothing (for Twilio's status callbacks)."""
    return _document(ET.Element("Response"))
