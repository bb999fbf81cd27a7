"""Pairing this computer with a relay by a code, and checking the connection.

The person who runs the relay creates the practice there (`practice-relay practice
add --name NAME`) and reads out a pairing code; the practice types the relay's
address and the code here. Pairing sends the code with this computer's public
sealing key and gets back, once, the practice's API key and link secret, which go
to the keyring. Pairing again with a new code rotates them: the new secrets
replace the old here, and the relay keeps accepting the old link secret for the
links already sent, until their sessions pass.

The relay's side of the contract (relay/server.py):
  POST {relay}/api/v1/pair  {"code", "public_key" (base64 Curve25519)}
  → 200 {"practice_id", "api_key", "link_secret"}, once;
    404 an unknown, used or expired code; 422 a bad body or key;
    429 too many attempts, with Retry-After (RFC 9110 §10.2.3: seconds or a date).
  GET /healthz → 200 {"status": "ok"}
  GET /api/v1/events?wait=0 with "Authorization: Bearer KEY" → 200 {"events": [...]}
    (reads what waits without taking it: events go only when acknowledged)
  GET /c/{token} → the client's page; a GET never changes anything on the relay.

Everything is checked before anything is stored: the relay is reached and is a
Practice Desk relay, the code is taken, the new key is accepted, and a link minted
with the new secret is recognised. Only then are the secrets written to the
keyring and the address to the configuration; a failure on the way stores nothing
(a code already spent on the relay is said to be spent)."""

from __future__ import annotations

import base64
import logging
import math
import re
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from nacl.public import PrivateKey
from sqlmodel import col, select

from app import i18n
from app.i18n import _, ngettext
from app.models.enums import AppointmentStatus
from app.models.tables import Appointment
from app.services import channel_checks, config, secrets, settings
from app.services.errors import InvalidInput, PracticeError
from app.services.practice import Practice
from app.services.values import web_address
from relay.tokens import check_secret, mint

log = logging.getLogger(__name__)

TIMEOUT = 15  # seconds for each request to the relay
CHANNEL = "links"  # how channel_checks names the confirmation links
SECRET_NAMES = ("relay.private_key", "relay.link_secret", "relay.api_key")
# What a pairing code may be made of once spaces and dashes are taken out.
_CODE = re.compile(r"[A-Z0-9]{6,64}")


class PairingFailed(PracticeError):
    """A pairing or a check that did not work, with one sentence saying what to
    change. `problem` names the cause for scripts: "unreachable", "certificate",
    "not_a_relay", "code", "too_many", "key_refused", "link_refused", "relay_error"."""

    def __init__(self, message: str, problem: str) -> None:
        super().__init__(message)
        self.problem = problem


class RelayUnreachable(PairingFailed):
    """Nothing answered at the address (or not in time): nothing was refused."""


@dataclass(frozen=True)
class SampleLink:
    appointment_id: int
    start: datetime  # the session's start, UTC
    url: str  # the client's page for that session; opening it changes nothing

    def as_json(self) -> dict[str, object]:
        return {"appointment_id": self.appointment_id, "start": self.start.isoformat(),
                "url": self.url}


@dataclass(frozen=True)
class Connection:
    """What a pairing or a check found: the relay answers (/healthz), accepts this
    computer's API key (an events call), and recognises its links (the sample)."""

    relay: str  # the relay's address, as stored
    practice_id: str  # the practice's id on the relay ("" when not known)
    sample: SampleLink | None  # a link for the next session; None when none is ahead
    said: str  # one or two sentences for the person, in the current language
    # What became of giving the relay the Twilio account (relay_twilio) after a
    # pairing: a sentence, "" when Twilio is not set up or on a check.
    twilio: str = ""

    def as_json(self) -> dict[str, object]:
        return {"relay": self.relay, "practice_id": self.practice_id,
                "healthz": True, "events": True,
                "sample_link": self.sample.as_json() if self.sample else None,
                "said": self.said}


@dataclass(frozen=True)
class PairingState:
    """Whether this computer is paired, for the window: read from the
    configuration and the keyring (whether each secret is set, never its value)."""

    relay: str  # "" when no address is set
    practice_id: str
    paired: bool | None  # None: the keyring cannot be read
    last_check: channel_checks.Check | None


# ---------------------------------------------------------------- what people type

def canonical_code(text: str) -> str:
    """A pairing code as the relay knows it, from what a person typed: any case,
    spaces and dashes (its groups, read aloud) ignored. InvalidInput when what is
    left cannot be a code."""
    code = re.sub(r"[\s\-‐-―−]+", "", text).upper()
    if not code:
        raise InvalidInput(_("Type the pairing code the person who runs the relay gave you."))
    if not _CODE.fullmatch(code):
        typed = text.strip()
        typed = typed if len(typed) <= 40 else typed[:39] + "…"  # a paste gone wrong
        raise InvalidInput(_("'{code}' is not a pairing code: it has only letters and digits, "
                             "in groups separated by dashes.").format(code=typed))
    return code


def relay_address(text: str) -> str:
    """The relay's address as stored: https:// (http:// only on this computer),
    without a trailing slash. InvalidInput says what to change."""
    if not text.strip():
        raise InvalidInput(_("Type the relay's address, e.g. https://relay.example.com."))
    return web_address(text)


# ---------------------------------------------------------------- pairing

def pair(p: Practice, url: str, code: str) -> Connection:
    """Pairs this computer with the relay at `url` by `code` and checks the
    connection; recorded as the links' check (channel_checks). Returns what was
    found. Raises InvalidInput (a malformed address or code: nothing tried),
    RelayUnreachable, PairingFailed, or secrets.SecretsUnavailable; on any of them
    nothing was stored."""
    address, canonical = relay_address(url), canonical_code(code)
    return channel_checks.checked(p, CHANNEL, lambda: _pair(p, address, canonical),
                                  lambda found: found.said)


def _pair(p: Practice, url: str, code: str) -> Connection:
    # The keyring first: a code spent on the relay with nowhere to keep its
    # answer would be lost. The sealing key pair is kept when there is one: a
    # new pair would leave events already sealed to the old key unreadable.
    before = {name: secrets.load(name) for name in SECRET_NAMES}
    stored_key = before["relay.private_key"]
    private = PrivateKey(base64.b64decode(stored_key)) if stored_key else \
        PrivateKey.generate()
    public = base64.b64encode(bytes(private.public_key)).decode()
    _healthz(url)
    answer = _ask_to_pair(url, code, public)
    practice_id, api_key, link_secret = answer
    _events(url, api_key, paired=True)
    sample = _sample(p, url, link_secret.encode(), paired=True)
    _store(p, url, practice_id, api_key, link_secret,
           None if stored_key else base64.b64encode(bytes(private)).decode(), before)
    log.info("paired with the relay at %s as practice %s", url, practice_id)
    said = _("Paired with the relay at {relay} as practice {id}: it answers and accepts "
             "this computer's key.").format(relay=url, id=practice_id)
    twilio = _share_twilio(p)
    return Connection(url, practice_id, sample,
                      " ".join(s for s in [said, _sample_said(p, sample), twilio] if s), twilio)


def _share_twilio(p: Practice) -> str:
    """With Twilio already set up, the new pairing gives the relay its account
    (relay_twilio): what came of it in a sentence, "" when there was nothing to
    give. A refusal does not undo the pairing: it is said, and recorded as the
    calls' check."""
    from app.services import relay_twilio

    try:
        return relay_twilio.share_if_ready(p) or ""
    except PracticeError as exc:
        return str(exc)


def _ask_to_pair(url: str, code: str, public: str) -> tuple[str, str, str]:
    """(practice id, API key, link secret) from the relay, or PairingFailed."""
    response = _request("POST", f"{url}/api/v1/pair", url,
                        json={"code": code, "public_key": public})
    status = response.status_code
    if status == 404:
        raise PairingFailed(_("The relay does not know this code, or it was already used or "
                              "has expired (codes work once, for 24 hours): check it, or ask "
                              "the person who runs the relay for a new one."), "code")
    if status == 429:
        minutes = max(1, math.ceil(_retry_after(response) / 60))
        raise PairingFailed(ngettext(
            "The relay refuses more pairing attempts for now: try again in {n} minute.",
            "The relay refuses more pairing attempts for now: try again in {n} minutes.",
            minutes).format(n=minutes), "too_many")
    if status == 422:
        raise PairingFailed(_("The relay did not accept the code as sent: check that it is "
                              "typed as it was given, or ask for a new one."), "code")
    if status in (401, 405):
        # An older relay: /api/ asks for a key, or the route is not there.
        raise PairingFailed(_("The relay at {relay} does not pair by code: it needs updating, "
                              "or the address is not a Practice Desk relay's.").format(
            relay=url), "not_a_relay")
    _not_an_error(response, url)
    try:
        body = response.json()
        practice_id = str(body["practice_id"])
        api_key, link_secret = str(body["api_key"]), str(body["link_secret"])
        check_secret(link_secret)
    except (ValueError, KeyError, TypeError):
        raise _not_a_relay(url) from None
    if not practice_id or not api_key.strip():
        raise _not_a_relay(url)
    return practice_id, api_key, link_secret


def _store(p: Practice, url: str, practice_id: str, api_key: str, link_secret: str,
           new_private: str | None, before: dict[str, str | None]) -> None:
    """The new secrets to the keyring and the address to the configuration, or,
    if any of it fails, everything as it was."""
    try:
        if new_private is not None:
            secrets.store("relay.private_key", new_private)
        secrets.store("relay.link_secret", link_secret)
        secrets.store("relay.api_key", api_key)
        config.set_values(p, {"relay.url": url, "relay.practice_id": practice_id})
    except Exception:
        for name, value in before.items():
            try:
                if value is None:
                    secrets.forget(name)
                else:
                    secrets.store(name, value)
            except PracticeError:
                log.warning("the keyring could not be put back as it was: %s", name)
        raise


# ---------------------------------------------------------------- checking

def check(p: Practice) -> Connection:
    """Testar on a paired practice: the relay answers, accepts the stored API key
    and recognises a link for the next session; recorded as the links' check.
    Raises PairingFailed (RelayUnreachable), InvalidInput when this computer is
    not paired, or secrets.SecretsUnavailable."""
    return channel_checks.checked(p, CHANNEL, lambda: _check(p), lambda found: found.said)


def _check(p: Practice) -> Connection:
    cfg = config.get_all(p)
    url = cfg["relay.url"]
    key, link_secret = (secrets.load("relay.api_key"), secrets.load("relay.link_secret")) \
        if url else (None, None)  # no address: no keyring asked
    if not url or not key or not link_secret:
        raise InvalidInput(_("This computer is not paired with a relay: type the relay's "
                             "address and the pairing code, then Connect."))
    url = web_address(url)
    _healthz(url)
    _events(url, key, paired=False)
    sample = _sample(p, url, check_secret(link_secret), paired=False)
    said = _("The relay at {relay} answers and accepts this computer's key.").format(relay=url)
    return Connection(url, cfg["relay.practice_id"], sample,
                      " ".join([said, _sample_said(p, sample)]))


def state(p: Practice) -> PairingState:
    """Whether this computer is paired, and the links' last check."""
    cfg = config.get_all(p)
    try:
        paired: bool | None = bool(cfg["relay.url"]) and secrets.is_set("relay.api_key") and \
            secrets.is_set("relay.link_secret")
    except secrets.SecretsUnavailable:
        paired = None
    return PairingState(cfg["relay.url"], cfg["relay.practice_id"], paired,
                        channel_checks.latest(p).get(CHANNEL))


def _healthz(url: str) -> None:
    response = _request("GET", f"{url}/healthz", url)
    if response.status_code != 200:
        raise _not_a_relay(url)
    try:
        ok = response.json() == {"status": "ok"}
    except ValueError:
        ok = False
    if not ok:
        raise _not_a_relay(url)


def _events(url: str, key: str, *, paired: bool) -> None:
    """An authenticated call that takes nothing: the events waiting, unacknowledged."""
    response = _request("GET", f"{url}/api/v1/events", url, params={"wait": 0},
                        headers={"Authorization": f"Bearer {key}"})
    if response.status_code in (401, 403):
        if paired:
            raise PairingFailed(_("The relay took the code but then refused the key it gave "
                                  "(nothing was stored): the address may lead to more than one "
                                  "relay. Ask the person who runs it to check, and for a new "
                                  "code."), "key_refused")
        raise PairingFailed(_("The relay refused this computer's key: the practice may have "
                              "been removed or paired from another computer. Ask the person "
                              "who runs the relay for a new code and connect again."),
                            "key_refused")
    if response.status_code == 429:
        minutes = max(1, math.ceil(_retry_after(response) / 60))
        raise PairingFailed(ngettext(
            "The relay asks this computer to slow down: try again in {n} minute.",
            "The relay asks this computer to slow down: try again in {n} minutes.",
            minutes).format(n=minutes), "too_many")
    _not_an_error(response, url)
    try:
        ok = isinstance(response.json().get("events"), list)
    except (ValueError, AttributeError):
        ok = False
    if not ok:
        raise _not_a_relay(url)


def _next_session(p: Practice) -> tuple[int, datetime] | None:
    """The next scheduled or confirmed session from now: (id, start in UTC)."""
    with p.db.read() as s:
        row = s.exec(select(Appointment.id, Appointment.start).where(
            col(Appointment.status).in_([AppointmentStatus.SCHEDULED,
                                         AppointmentStatus.CONFIRMED]),
            col(Appointment.start) > p.clock.now())
            .order_by(col(Appointment.start), col(Appointment.id)).limit(1)).first()
    if row is None or row[0] is None:
        return None
    return row[0], row[1].astimezone(UTC)


def _sample(p: Practice, url: str, link_secret: bytes, *, paired: bool) -> SampleLink | None:
    """A link for the next session, minted with `link_secret` and opened once on
    the relay (a GET changes nothing there): the relay must know the practice it
    names. None when no session is ahead: no session is invented for it."""
    found = _next_session(p)
    if found is None:
        return None
    appointment_id, start = found
    link = SampleLink(appointment_id, start,
                      f"{url}/c/{mint(link_secret, appointment_id, start)}")
    response = _request("GET", link.url, url)
    # 200: the page; 410: a session whose time has passed on the relay's clock —
    # either way the relay recognised whose link it is.
    if response.status_code in (200, 410):
        return link
    if response.status_code == 404:
        if paired:
            raise PairingFailed(_("The relay took the code but does not recognise the links "
                                  "made with what it gave (nothing was stored): ask the person "
                                  "who runs it to check, and for a new code."), "link_refused")
        raise PairingFailed(_("The relay does not recognise this computer's links: the "
                              "practice may have been paired again from another computer. "
                              "Ask the person who runs the relay for a new code and connect "
                              "again."), "link_refused")
    _not_an_error(response, url)
    return link


def _sample_said(p: Practice, sample: SampleLink | None) -> str:
    if sample is None:
        return _("No session is scheduled ahead, so there is no link to try yet.")
    when = i18n.format_datetime(sample.start.astimezone(settings.get(p).zone))
    return _("Open the link for session #{id} ({when}) to see the page the client sees."
             ).format(id=sample.appointment_id, when=when)


# ---------------------------------------------------------------- the relay's answers

def _request(method: str, target: str, url: str, **kw: Any) -> requests.Response:
    """One request to the relay, never following a redirect (a secret goes only
    to the address typed). RelayUnreachable or PairingFailed in words."""
    try:
        response = requests.request(method, target, timeout=TIMEOUT, allow_redirects=False,
                                    **kw)
    except requests.exceptions.SSLError as exc:
        raise PairingFailed(_certificate_said(exc, url), "certificate") from None
    except (requests.ConnectionError, requests.Timeout):
        raise RelayUnreachable(_("Nothing answers at {relay}: check the address, and that the "
                                 "relay is running and reachable from this computer.").format(
            relay=url), "unreachable") from None
    except requests.RequestException as exc:
        raise RelayUnreachable(_("The relay at {relay} could not be reached ({kind}).").format(
            relay=url, kind=type(exc).__name__), "unreachable") from None
    if response.is_redirect:
        raise PairingFailed(_("{relay} sends elsewhere instead of answering: type the relay's "
                              "own address (https://, as the person who runs it gave it).")
                            .format(relay=url), "not_a_relay")
    return response


def _certificate_said(exc: requests.exceptions.SSLError, url: str) -> str:
    found: BaseException | None = exc
    seen = 0
    while found is not None and seen < 10:  # requests wraps urllib3's, which wraps ssl's
        if isinstance(found, ssl.SSLCertVerificationError):
            reason = found.verify_message or found.reason or "?"
            return _("The certificate of {relay} could not be verified ({reason}): the "
                     "address must be the relay's own name, with a valid HTTPS certificate. "
                     "Ask the person who runs the relay.").format(relay=url, reason=reason)
        inner = found.args[0] if found.args and isinstance(found.args[0], BaseException) \
            else None
        found = getattr(found, "reason", None) if inner is None else inner
        if not isinstance(found, BaseException):
            found = None
        seen += 1
    return _("A secure connection to {relay} failed: check that the address is the relay's, "
             "with https:// and the right port.").format(relay=url)


def _retry_after(response: requests.Response) -> float:
    """Seconds to wait, from Retry-After (seconds or an HTTP date); 60 when absent."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return 60.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _not_an_error(response: requests.Response, url: str) -> None:
    status = response.status_code
    if status >= 500:
        raise PairingFailed(_("The relay at {relay} is having trouble ({code}): try again in a "
                              "few minutes; if it lasts, tell the person who runs it.").format(
            relay=url, code=status), "relay_error")
    if status != 200:
        raise _not_a_relay(url, status)


def _not_a_relay(url: str, status: int | None = None) -> PairingFailed:
    if status is None:
        return PairingFailed(_("{relay} answers, but not as a Practice Desk relay: check the "
                               "address the person who runs the relay gave you.").format(
            relay=url), "not_a_relay")
    return PairingFailed(_("{relay} answers, but not as a Practice Desk relay ({code}): check "
                           "the address the person who runs the relay gave you.").format(
        relay=url, code=status), "not_a_relay")
