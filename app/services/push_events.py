"""A client's phone turning reminders on or off, as the relay hands it over.

The link's page (relay.push) posts the phone's subscription; the relay seals it
and queues an event for the session the link names:
- `push_subscription`, sealed {"endpoint", "p256dh", "auth"}: the session's client
  gets that phone (push_devices.add, which dates the client's consent to push on
  the first one);
- `push_stop`, sealed {"endpoint"}: that phone is dropped; with no phone left,
  the client's consent to push is withdrawn (the client said stop, from the
  phone that gave it).
Each is applied inside the poller's unit of work (relay_client.apply_event), so
it happens once. A subscription that is not well formed (relay.push's rules,
checked again here: the relay is not trusted with the database) changes nothing."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from app.models.push import PushSubscription
from app.models.tables import Appointment, Client
from app.services import audit, client_reach, push_devices
from app.services.practice import Practice
from app.services.values import on_this_computer
from relay.push import STOPPED, SUBSCRIBED, endpoint_problem, subscription_problem

KINDS = (SUBSCRIBED, STOPPED)


def _loopback(endpoint: str) -> bool:
    """An http endpoint is taken only on this computer (the tests' push service)."""
    from urllib.parse import urlsplit

    try:
        host = urlsplit(endpoint).hostname or ""
    except ValueError:
        return False
    return on_this_computer(host)


def take_in(s: Session, p: Practice, kind: str, appointment_id: int | None,
            data: dict[str, Any], touched: set[int] | None = None) -> tuple[str, int | None]:
    """Applies one event; returns (outcome for the event's record, the client
    changed or None). A phone that makes the client reachable brings back their
    push reminders skipped for want of one; the last phone stopped skips those
    waiting (client_reach). touched: gets the sessions whose reminders changed."""
    touched = set() if touched is None else touched
    a = s.get(Appointment, appointment_id) if appointment_id else None
    client = s.get(Client, a.client_id) if a is not None else None
    if client is None or client.id is None:
        return "unknown session", None
    if not client.active:  # erased or archived: no phone is added for them
        return "client inactive", None
    endpoint = data.get("endpoint")
    now = p.clock.now()
    if not isinstance(endpoint, str):
        return "malformed", None
    if kind == SUBSCRIBED:
        p256dh, auth = data.get("p256dh"), data.get("auth")
        if not isinstance(p256dh, str) or not isinstance(auth, str) or subscription_problem(
                endpoint, p256dh, auth, loopback=_loopback(endpoint)):
            return "malformed", None
        first = client.push_consent_at is None
        before = client_reach.reach_of(s, client)
        push_devices.add(s, client, endpoint, p256dh, auth, now)
        touched.update(client_reach.follow(s, now, client, before))
        audit.record(s, at=now, actor=audit.CLIENT, entity="client", entity_id=client.id,
                     action="push_subscribed",
                     changes={"push_consent_at": [None, now.isoformat()]} if first else {})
        return "push subscribed", client.id
    if endpoint_problem(endpoint, loopback=_loopback(endpoint)):
        return "malformed", None
    found = s.exec(select(PushSubscription).where(
        PushSubscription.client_id == client.id,
        PushSubscription.endpoint == endpoint)).first()
    if found is None or found.dropped_at is not None:
        return "push already stopped", None
    before = client_reach.reach_of(s, client)
    push_devices.drop(s, found, now, "stopped by the client")
    s.flush()
    changes: dict[str, Any] = {}
    if not push_devices.live(s, client.id) and client.push_consent_at is not None:
        changes["push_consent_at"] = [client.push_consent_at.isoformat(), None]
        client.push_consent_at = None
        s.add(client)
    touched.update(client_reach.follow(s, now, client, before))
    audit.record(s, at=now, actor=audit.CLIENT, entity="client", entity_id=client.id,
                 action="push_stopped", changes=changes)
    return "push stopped", client.id
