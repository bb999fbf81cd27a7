"""The desktop's side of the relay: the sealing key pair, confirmation links minted
offline, and the poller that takes clients' answers in.

Each relay event is applied once (its id is recorded in the same unit of work as
its effect) and acknowledged afterwards, so a crash between the two only means
the event comes again and is recognised. The desktop asks for every event it has
not acknowledged, never for "ids above the last one seen": with several relay
processes an event can commit after one with a higher id, and would be skipped.
- `confirmed` confirms the session, in the client's name;
- `cancel_requested` changes nothing in the session: it becomes a request for the
  professional's decision;
- an answer for a session that is no longer scheduled or confirmed is kept as a
  notice and shown, not applied;
- WhatsApp and SMS messages and delivery statuses go to Conecta's threads;
- Meta's template webhooks mark the template (paused, rejected, recategorised...);
- a client's phone turning reminders on or off adds or drops it (push_events)."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox
from sqlmodel import Session, col, select

from app.i18n import _
from app.models.config_entry import ConfigEntry
from app.models.enums import CancelledBy, ChargeDecision
from app.models.relay_records import RelayEvent
from app.models.requests import ClientRequest, RequestKind, RequestState
from app.models.tables import Appointment, AuditEvent
from app.services import (
    audit,
    client_answers,
    config,
    inbound,
    link_notices,
    push_events,
    scheduling,
    secrets,
    voice_calls,
    whatsapp_templates,
)
from app.services.errors import DatabaseUnavailable, InvalidInput, NotFound, PracticeError
from app.services.events import Change
from app.services.inbound import Touched
from app.services.practice import Practice
from app.services.values import web_address
from relay.tokens import check_secret, mint

log = logging.getLogger(__name__)
POLL_WAIT = 25  # seconds the relay may hold a poll open


class RelayNotConfigured(PracticeError):
    pass


# ---------------------------------------------------------------- keys and links

def keys(p: Practice) -> str:
    """The practice's public sealing key (base64), creating the pair the first time;
    the private half stays in the keyring."""
    stored = secrets.load("relay.private_key")
    if stored is None:
        private = PrivateKey.generate()
        secrets.store("relay.private_key", base64.b64encode(bytes(private)).decode())
    else:
        private = PrivateKey(base64.b64decode(stored))
    return base64.b64encode(bytes(private.public_key)).decode()


def _link_secret() -> bytes:
    value = secrets.load("relay.link_secret")
    if value is None:
        raise RelayNotConfigured(_("The relay's link secret is not set: run `practice secret "
                                   "set relay.link_secret` or fill it in Settings › "
                                   "Integrations."))
    try:
        return check_secret(value)
    except ValueError:
        raise RelayNotConfigured(_("The relay's link secret is too short: use at least 32 "
                                   "characters.")) from None


def token_for(s: Session, appointment_id: int) -> str:
    a = s.get(Appointment, appointment_id)
    if a is None:
        raise NotFound(_("There is no session with id {id}.").format(id=appointment_id))
    return mint(_link_secret(), appointment_id, a.start)


def link(p: Practice, appointment_id: int) -> str:
    base = config.get(p, "relay.url")
    if not base:
        raise RelayNotConfigured(_("The relay's address is not set: `practice config set "
                                   "relay.url https://...`."))
    with p.db.read() as s:
        return f"{base}/c/{token_for(s, appointment_id)}"


# ---------------------------------------------------------------- taking events in

@dataclass(frozen=True)
class PollResult:
    applied: int  # events that changed something here
    seen: int  # events taken in and acknowledged (applied or recognised)
    failed: int = 0  # events that could not be applied: not acknowledged, come again


def _check_answer(response: requests.Response) -> None:
    """A relay that answers no (a wrong key, a wrong address) will not change its
    mind: said at once in words. A relay away or busy (5xx) is tried again."""
    if response.status_code in (401, 403):
        raise RelayNotConfigured(_("The relay refused the API key: check it in Settings › "
                                   "Integrations."))
    if response.status_code in (404, 405):
        raise RelayNotConfigured(_("The relay's address answers, but not as a Practice Desk "
                                   "relay ({code}): check it in Settings › Integrations.")
                                 .format(code=response.status_code))
    response.raise_for_status()


ACK_AT_ONCE = 1000


class Poller:
    def __init__(self, p: Practice) -> None:
        self.p = p
        self.connected: bool | None = None  # None: not tried yet
        self.problem: str | None = None  # what keeps events waiting on the relay, in words
        # This computer cannot ask at all (no keyring for the relay's key): not the
        # relay's fault, and not said as if the relay were down.
        self.paused_by: str | None = None
        self._kept_taken = False
        self._stop = threading.Event()
        self._changed = threading.Event()  # sessions changed: tell the relay now
        self._unsubscribe: Callable[[], None] | None = None
        self._thread: threading.Thread | None = None

    def _settings(self) -> tuple[str, str]:
        # The keyring is asked only once the relay has an address: a practice that
        # never set one up has nothing to say about this computer's keyring.
        url = config.get(self.p, "relay.url")
        key = secrets.load("relay.api_key") if url else None
        if not url or not key:
            raise RelayNotConfigured(_("The relay is not set up."))
        try:
            # A setting saved before plain HTTP was refused: never send the key in clear.
            return web_address(url), key
        except InvalidInput as exc:
            raise RelayNotConfigured(str(exc)) from None

    def poll_once(self, wait: float = 0) -> PollResult:
        url, key = self._settings()
        if not self._kept_taken:
            take_in_kept(self.p)
            self._kept_taken = True
        link_notices.push(self.p, url, key)  # first: a moved session's page must say so
        # after=0: every event not yet acknowledged, oldest first, a page at a time.
        response = requests.get(f"{url}/api/v1/events", params={"after": 0, "wait": wait},
                                headers={"Authorization": f"Bearer {key}"}, timeout=wait + 15)
        _check_answer(response)
        self.connected = True  # the relay answered
        self.paused_by = None
        body = response.json()
        relay = str(body.get("relay") or "")  # its database's name; "" from older relays
        if _another_relay(self.p, relay):
            # A relay on a new database (or a new relay) knows nothing of the sessions
            # whose links are out: it hears what each one is now, before any answer.
            link_notices.push(self.p, url, key)
        applied, done, failed = 0, [], 0
        self.problem = None
        for event in body.get("events", []):
            # An event that cannot be applied is not acknowledged: it comes again.
            try:
                applied += apply_event(self.p, event, relay)
            except Unreadable as exc:  # stays on the relay until the key is put right
                if self.problem != str(exc):
                    log.warning("relay events wait: %s", exc)
                self.problem = str(exc)
            except PracticeError as exc:  # e.g. the database busy
                log.warning("relay event %s waits: %s", event.get("id"), exc)
            except Exception:
                log.exception("relay event %s could not be applied", event.get("id"))
            else:
                done.append(int(event["id"]))
                continue
            failed += 1
        for first in range(0, len(done), ACK_AT_ONCE):  # the relay takes 1,000 at a time
            requests.post(f"{url}/api/v1/events/ack",
                          json={"ids": done[first:first + ACK_AT_ONCE]},
                          headers={"Authorization": f"Bearer {key}"}, timeout=15
                          ).raise_for_status()
        return PollResult(applied, len(done), failed)

    def run(self) -> None:
        """Long-poll until stopped, reconnecting with backoff; the relay being away
        is a quiet state, not an error."""
        backoff = 1.0
        while not self._stop.is_set():
            try:
                result = self.poll_once(wait=POLL_WAIT)
                if result.failed:
                    # Those events come back at once: wait before asking again.
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, 60)
                else:
                    backoff = 1.0
            except RelayNotConfigured:
                self.connected, self.paused_by = None, None
                self._stop.wait(30)
            except DatabaseUnavailable as exc:
                # The practice's data out of reach (its server away): the change feed
                # says so in the window; the poll waits for it.
                log.debug("relay poll waits for the database (%s)", exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 60)
            except secrets.SecretsUnavailable as exc:
                # no keyring holding the relay's key: a state to report, not a crash
                if self.connected is not False:
                    log.warning("relay paused: %s", exc)
                self.connected, self.paused_by = False, str(exc)
                self._stop.wait(60)
            except (requests.RequestException, ValueError) as exc:
                if self.connected is not False:
                    log.info("relay unreachable (%s); will retry", type(exc).__name__)
                self.connected = False
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 60)
            except Exception:
                log.exception("relay poll failed")
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 60)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="relay-poller", daemon=True)
        self._thread.start()
        # A moved or cancelled session's link must say so at once, not after the
        # long poll in progress ends: changes to sessions wake a pusher of their own.
        self._unsubscribe = self.p.bus.subscribe(
            lambda change: self._changed.set() if change.appointments else None)
        threading.Thread(target=self._push_on_change, name="relay-notes",
                         daemon=True).start()

    def _push_on_change(self) -> None:
        while not self._stop.is_set():
            if not self._changed.wait(timeout=30):
                continue
            self._changed.clear()
            try:
                url, key = self._settings()
                link_notices.push(self.p, url, key)
            except (RelayNotConfigured, secrets.SecretsUnavailable, DatabaseUnavailable,
                    requests.RequestException) as exc:
                log.debug("session notes wait for the next poll (%s)", type(exc).__name__)
            except Exception:
                log.exception("telling the relay of moved sessions failed")

    def stop(self) -> None:
        self._stop.set()
        self._changed.set()
        if self._unsubscribe is not None:
            self._unsubscribe()


class Unreadable(PracticeError):
    """A sealed event this computer cannot open: the keyring lacks the practice's
    private key, or the relay seals to another key. The event stays on the relay."""


def _unseal(sealed_b64: str | None) -> dict[str, Any]:
    """The sealed part of an event; {} when there is none. Raises Unreadable."""
    if not sealed_b64:
        return {}
    private = secrets.load("relay.private_key")
    try:
        if private is None:
            raise CryptoError("no private key")
        data = SealedBox(PrivateKey(base64.b64decode(private))).decrypt(
            base64.b64decode(sealed_b64))
        value = json.loads(data)
    except (CryptoError, ValueError):
        raise Unreadable(_("Clients' messages on the relay cannot be read with this "
                           "computer's key: set the relay's RELAY_PUBLIC_KEY to the key "
                           "`practice relay keys` prints here, or bring the practice's key "
                           "to this computer's keyring.")) from None
    return value if isinstance(value, dict) else {}


RELAY_NAME = "relay.instance"  # the name of the relay's database the desktop last saw


def _another_relay(p: Practice, relay: str) -> bool:
    """True (and the relay's notes queued for every session still to come) the first
    time this relay database answers."""
    with p.db.read() as s:
        seen = s.get(ConfigEntry, RELAY_NAME)
        if seen is not None and seen.value == relay:
            return False
    with p.db.write() as s:
        seen = s.get(ConfigEntry, RELAY_NAME)
        if seen is not None and seen.value == relay:
            return False
        if seen is None:
            s.add(ConfigEntry(key=RELAY_NAME, value=relay))
        else:
            seen.value = relay
        link_notices.resync(s, p.clock.now(), [])
    log.info("a relay database not seen before answers: telling it of every session")
    return True


def apply_event(p: Practice, event: dict[str, Any], relay: str = "") -> bool:
    """Apply one relay event once: `relay` names the relay's database, `event["id"]`
    the event in it. True when it changed something here."""
    event_id, kind = int(event["id"]), str(event["kind"])
    appointment_id = event.get("appointment_id")
    now = p.clock.now()
    touched = Touched()
    touched_clients: set[int] = set()
    marked = False
    call: dict[str, Any] = {}  # a call's progress (voice_calls), for after the commit
    machine = False
    with p.db.write() as s:
        if s.get(RelayEvent, (relay, event_id)) is not None:
            return False  # seen before: the acknowledgement was lost
        record = RelayEvent(relay=relay, id=event_id, kind=kind, appointment_id=appointment_id,
                            received_at=now)
        s.add(record)
        if kind in inbound.KINDS:
            # Applied in this unit of work, like the answers: once, whatever the retries.
            record.outcome = inbound.take_in(s, p, kind, _unseal(event.get("sealed")), touched)
        elif kind in voice_calls.KINDS:  # Twilio reports a reminder call's progress
            call = _unseal(event.get("sealed"))
            record.outcome = voice_calls.take_in(s, p, call, touched)
            machine = record.outcome == voice_calls.MACHINE
        elif kind == whatsapp_templates.EVENT_KIND:  # Meta marked one of the templates
            record.outcome = whatsapp_templates.take_webhook(s, p, _unseal(event.get("sealed")))
            marked = record.outcome == "marked"
        elif kind in push_events.KINDS:  # a client's phone turned reminders on or off
            record.outcome, client_id = push_events.take_in(
                s, p, kind, appointment_id, _unseal(event.get("sealed")), touched.appointments)
            touched_clients.update([client_id] if client_id else [])
        else:
            a = s.get(Appointment, appointment_id) if appointment_id else None
            if a is None:
                record.outcome = "unknown session"
                return False
            reason, via = "", "link"
            if kind == client_answers.CANCEL_REQUESTED:
                try:
                    sealed = _unseal(event.get("sealed"))
                    reason, via = str(sealed.get("reason", "")), _via(sealed)
                except Unreadable:  # the request counts; only its words are lost
                    reason = _("(the client's reason could not be read on this computer)")
            elif kind == client_answers.CONFIRMED and event.get("sealed"):
                with contextlib.suppress(Unreadable):  # a key pressed on a call says so
                    via = _via(_unseal(event.get("sealed")))
            record.outcome = client_answers.apply(s, p, a, kind, reason, via=via,
                                                  made_for=_instant(event.get("session_start")))
            touched.appointments.add(a.id or 0)
    p.bus.publish(Change.of(appointments=touched.appointments, clients=touched_clients,
                            conversations=touched.conversations, settings=marked))
    if machine:  # outside the unit of work: Twilio is called
        voice_calls.leave_message(p, call)
    return True


def _via(sealed: dict[str, Any]) -> str:
    """How a client's answer came: "phone" (a key pressed on a reminder call), else
    "link"."""
    return "phone" if sealed.get("via") == "phone" else "link"


def _instant(value: object) -> datetime | None:
    """An ISO instant from the relay, or None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


KEPT = "kept for the inbox"  # how WhatsApp events were recorded before Conecta took them


def take_in_kept(p: Practice) -> int:
    """WhatsApp events taken in before Conecta existed were kept sealed; they go
    to their cards now, once. Returns how many."""
    with p.db.read() as s:
        ids = [(r.relay, r.id) for r in s.exec(select(RelayEvent).where(
            RelayEvent.outcome == KEPT))]
    touched = Touched()
    for key in ids:
        with p.db.write() as s:
            row = s.get(RelayEvent, key)
            if row is None or row.outcome != KEPT:
                continue
            sealed = base64.b64encode(row.sealed).decode() if row.sealed else None
            try:
                data = _unseal(sealed)
            except Unreadable:
                continue  # kept for a start when the key is back
            row.outcome = inbound.take_in(s, p, row.kind, data, touched)
    p.bus.publish(Change.of(appointments=touched.appointments,
                            conversations=touched.conversations))
    return len(ids)


# ---------------------------------------------------------------- the professional decides

@dataclass(frozen=True)
class RequestView:
    id: int
    kind: str
    appointment_id: int
    reason: str
    received_at: str
    state: str
    via: str = "link"  # how the client asked: "link", "phone" (a call's keypad), "whatsapp"

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "kind": self.kind, "appointment_id": self.appointment_id,
                "reason": self.reason, "received_at": self.received_at, "state": self.state,
                "via": self.via}


def pending_requests(p: Practice) -> list[RequestView]:
    with p.db.read() as s:
        rows = s.exec(select(ClientRequest).where(ClientRequest.state == RequestState.PENDING)
                      .order_by(col(ClientRequest.received_at)))
        return [RequestView(r.id or 0, r.kind.value, r.appointment_id, r.reason,
                            r.received_at.isoformat(), r.state.value,
                            _asked_via(s, r.appointment_id)) for r in rows]


def _asked_via(s: Session, appointment_id: int) -> str:
    """How the client last asked to cancel this session (its audit event says)."""
    found = s.exec(select(AuditEvent.changes).where(
        AuditEvent.entity == "appointment", AuditEvent.entity_id == appointment_id,
        AuditEvent.action == "cancel_requested").order_by(col(AuditEvent.id).desc())).first()
    try:
        via = json.loads(found).get("via") if found else None
    except (ValueError, AttributeError):
        via = None
    return via if via in ("link", "phone", "whatsapp") else "link"


DECISIONS = ("charge", "waive", "keep", "reschedule", "dismiss")


def resolve(p: Practice, request_id: int, decision: str, new_start: Any = None,
            override: bool = False) -> int | None:
    """Charge (cancel, fee per policy), waive (cancel, no fee), reschedule (to
    new_start), keep (nothing changes) — or dismiss a notice. Returns the new
    session's id after a reschedule."""
    if decision not in DECISIONS:
        raise InvalidInput(_("Decide with one of: {choices}.").format(
            choices=", ".join(DECISIONS)))
    with p.db.read() as s:
        row = s.get(ClientRequest, request_id)
        if row is None or row.state is not RequestState.PENDING:
            raise NotFound(_("There is no pending request with id {id}.").format(id=request_id))
        appointment_id, reason, kind = row.appointment_id, row.reason, row.kind
        via = _asked_via(s, appointment_id)
    if (kind is RequestKind.NOTICE) != (decision == "dismiss"):
        raise InvalidInput(_("A notice can only be dismissed; a cancellation request needs a "
                             "decision: charge, waive, reschedule or keep."))
    new_id = None
    # The reason is the client's own words; the history says it came from them.
    why = reason.strip() if reason and reason.strip() else {
        "phone": _("The client asked to cancel by phone."),
        "whatsapp": _("The client asked to cancel on WhatsApp.")}.get(
        via, _("The client asked to cancel through the link."))
    if decision == "charge":
        scheduling.cancel(p, appointment_id, reason=why, charge=ChargeDecision.CHARGE,
                          by=CancelledBy.CLIENT)
    elif decision == "waive":
        scheduling.cancel(p, appointment_id, reason=why, charge=ChargeDecision.WAIVE,
                          by=CancelledBy.CLIENT)
    elif decision == "reschedule":
        if new_start is None:
            raise InvalidInput(_("Rescheduling needs the new date and time."))
        new_id = scheduling.reschedule(p, appointment_id, new_start,
                                       override=override)[appointment_id]
    now = p.clock.now()
    with p.db.write() as s:
        row = s.get(ClientRequest, request_id)
        assert row is not None
        row.state, row.decision = RequestState.RESOLVED, decision
        row.decided_by, row.decided_at = p.actor, now
        audit.record(s, at=now, actor=p.actor, entity="appointment", entity_id=appointment_id,
                     action="request_decided", changes={"decision": decision,
                                                         "request": request_id})
    p.bus.publish(Change.of(appointments=[appointment_id, *([new_id] if new_id else [])]))
    return new_id
