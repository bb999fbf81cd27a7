"""The phones of a client that agreed to notifications (Web Push subscriptions):
added when the client subscribes on the link's page, dropped when the push
service says the subscription is gone (RFC 8030 §7.3: 404 or 410), when the
client's consent is withdrawn, or when the client is erased. A dropped one is
kept with when and why; only live ones are sent to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from app.models.push import PushSubscription
from app.models.tables import Client
from app.services.practice import Practice

# The push services browsers use put no such bound in a spec; Chrome's and
# Mozilla's endpoints are under 300 characters. Longer is not a subscription.
MAX_ENDPOINT = 2048


def live(s: Session, client_id: int) -> list[PushSubscription]:
    """The client's subscriptions not dropped, the newest first."""
    return list(s.exec(select(PushSubscription).where(
        PushSubscription.client_id == client_id,
        col(PushSubscription.dropped_at).is_(None))
        .order_by(col(PushSubscription.id).desc())))


def add(s: Session, client: Client, endpoint: str, p256dh: str, auth: str,
        now: datetime) -> PushSubscription:
    """A phone's subscription for `client`, inside the caller's unit of work; the
    same endpoint again replaces its keys (a browser renews them). Records the
    client's consent to push with `now` when it was not given."""
    assert client.id is not None
    found = s.exec(select(PushSubscription).where(
        PushSubscription.client_id == client.id,
        PushSubscription.endpoint == endpoint)).first()
    if found is None:
        found = PushSubscription(client_id=client.id, endpoint=endpoint, p256dh=p256dh,
                                 auth=auth, created_at=now)
    else:
        found.p256dh, found.auth = p256dh, auth
        found.dropped_at, found.dropped_reason = None, ""
    s.add(found)
    if client.push_consent_at is None:
        client.push_consent_at = now
    s.flush()
    return found


def drop(s: Session, subscription: PushSubscription, now: datetime, reason: str) -> None:
    """Stops sending to one phone (kept, with when and why)."""
    if subscription.dropped_at is None:
        subscription.dropped_at, subscription.dropped_reason = now, reason
        s.add(subscription)


def drop_all(s: Session, client_id: int, now: datetime, reason: str) -> int:
    """Stops sending to every phone of the client; returns how many were live."""
    found = live(s, client_id)
    for subscription in found:
        drop(s, subscription, now, reason)
    return len(found)


@dataclass(frozen=True)
class Phone:
    """One of a client's phones, as the window shows it (plain values)."""

    id: int
    push_service: str  # the endpoint's host (e.g. fcm.googleapis.com), never the URL
    created_at: datetime  # UTC
    last_sent_at: datetime | None  # UTC
    dropped_at: datetime | None  # UTC; None while live
    dropped_reason: str


def phones(p: Practice, client_id: int) -> list[Phone]:
    """The client's phones, live ones first, then the dropped (newest first): for
    the Ficha do Cliente. The endpoint itself (a capability to notify the phone)
    is not handed out."""
    with p.db.read() as s:
        rows = s.exec(select(PushSubscription).where(
            PushSubscription.client_id == client_id)
            .order_by(col(PushSubscription.id).desc())).all()
        found = [Phone(r.id or 0, urlsplit(r.endpoint).hostname or "", r.created_at,
                       r.last_sent_at, r.dropped_at, r.dropped_reason) for r in rows]
    return sorted(found, key=lambda ph: ph.dropped_at is not None)
