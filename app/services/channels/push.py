"""Notifications on the client's phones (Web Push), through pywebpush and py_vapid.

Each of the client's live subscriptions gets one POST to its push service
(RFC 8030 §5): the payload encrypted for that browser with `aes128gcm`
(RFC 8291, RFC 8188), signed for the practice with VAPID (RFC 8292: an ES256 JWT
whose `aud` is the endpoint's origin, `exp` within 24 hours, `sub` a mailto: or
the relay's address), with `TTL` (how long the push service keeps it for a phone
that is off) and `Urgency: high` (RFC 8030 §5.3). The message is sent when at
least one phone's push service took it (201).

What each push service said decides the rest:
- 404 or 410 (RFC 8030 §7.3: the subscription expired or was withdrawn): that
  phone is gone. The outbox drops it (push_outbox) — this module never touches
  the database — and when no phone took the message it fails with "the client's
  phone no longer accepts notifications" (code GONE);
- 429 (RFC 8030 §8.4): slow down; 503: try again; another 5xx, a timeout or a
  dropped connection after the request was written: the push service may have
  it (unknown, never sent again on its own, as the other channels);
- 400, 401, 403 (a VAPID key the push service refuses), 413: failed.

The secret is the VAPID private key: the base64url of the 32-byte P-256 scalar
(app.services.push_keys)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from app.i18n import _
from app.models.enums import Channel
from app.services import channel_setup
from app.services.channels import (
    ChannelError,
    NotConfigured,
    OutcomeUnknown,
    Outgoing,
    PushDevice,
    http,
)

TIMEOUT = 20
PROVIDER = "the push service"
GONE = "push_gone"  # the code of a message no phone took because none is left
DEFAULT_TTL, MIN_TTL, MAX_TTL = 12 * 3600, 60, 4 * 7 * 24 * 3600  # seconds (FCM keeps 4 weeks)
JWT_LIFETIME = 12 * 3600  # RFC 8292 §2: at most 24 hours
# RFC 8291 §4: a push message is one 4096-byte record: 3993 bytes of text at most.
MAX_PAYLOAD = 3993


class Sent(str):
    """The provider id of a push message some phone took (its first push message
    resource, RFC 8030 §5), with the subscriptions that took it and those gone."""

    accepted: tuple[int, ...] = ()
    gone: tuple[int, ...] = ()


class PushFailed(ChannelError):
    """No phone took the message; `gone` names the subscriptions to drop."""

    def __init__(self, message: str, *, retry: bool, code: str | None,
                 slow_down: bool = False, gone: tuple[int, ...] = ()) -> None:
        super().__init__(message, retry=retry, code=code, slow_down=slow_down)
        self.gone = gone


class PushUnknown(OutcomeUnknown):
    """A phone's push service may have the message; `gone` as PushFailed's."""

    def __init__(self, message: str, code: str, gone: tuple[int, ...] = ()) -> None:
        super().__init__(message, code)
        self.gone = gone


def gone_of(outcome: object) -> tuple[int, ...]:
    """The subscriptions a send found gone (a Sent, PushFailed or PushUnknown)."""
    found = getattr(outcome, "gone", ())
    return tuple(found) if isinstance(found, tuple) else ()


@dataclass
class _Tally:
    accepted: list[tuple[int, str]] = field(default_factory=list)  # (subscription, id)
    gone: list[int] = field(default_factory=list)
    unknown: list[ChannelError] = field(default_factory=list)
    slow: list[ChannelError] = field(default_factory=list)
    again: list[ChannelError] = field(default_factory=list)
    refused: list[ChannelError] = field(default_factory=list)


def send(cfg: dict[str, str], secret: str | None, msg: Outgoing) -> str:
    """Sends `msg.text` (the JSON the service worker reads, push_message) to each
    of `msg.devices`; returns a Sent (str) or raises PushFailed / PushUnknown /
    NotConfigured as the module's docstring says."""
    unset = channel_setup.missing(Channel.PUSH, cfg, secret is not None)
    if unset:
        raise NotConfigured(unset)
    assert secret is not None
    vapid = _vapid(secret)
    payload = msg.text.encode("utf-8")
    if len(payload) > MAX_PAYLOAD:
        raise PushFailed(_("The notification is too long for a phone (at most {n} bytes): "
                           "shorten the push reminder's text.").format(n=MAX_PAYLOAD),
                         retry=False, code="413")
    if not msg.devices:
        raise PushFailed(_no_phone(), retry=False, code=GONE)
    ttl, sub = _ttl(msg.text), _subject(cfg)
    tally = _Tally()
    for device in msg.devices:
        _one(device, payload, vapid, ttl, sub, tally)
    gone = tuple(tally.gone)
    if tally.accepted:
        sent = Sent(tally.accepted[0][1])
        sent.accepted, sent.gone = tuple(i for i, _id in tally.accepted), gone
        return sent
    if tally.unknown:
        first = tally.unknown[0]
        raise PushUnknown(str(first), first.code or "unknown", gone)
    for found in (tally.slow, tally.again):
        if found:
            raise PushFailed(str(found[0]), retry=True, code=found[0].code,
                             slow_down=found[0].slow_down, gone=gone)
    if tally.refused:
        raise PushFailed(str(tally.refused[0]), retry=False, code=tally.refused[0].code,
                         gone=gone)
    raise PushFailed(_no_phone(), retry=False, code=GONE, gone=gone)


def _no_phone() -> str:
    return _("The client's phone no longer accepts notifications (the subscription ended "
             "or was withdrawn): another channel is needed until they turn reminders on "
             "again from a link.")


def _one(device: PushDevice, payload: bytes, vapid: object, ttl: int, sub: str,
         tally: _Tally) -> None:
    from pywebpush import WebPusher, WebPushException

    parts = urlsplit(device.endpoint)
    audience = f"{parts.scheme}://{parts.netloc}"
    try:
        body = WebPusher({"endpoint": device.endpoint,
                          "keys": {"p256dh": device.p256dh, "auth": device.auth}}
                         ).encode(payload, "aes128gcm")["body"]
        signed = vapid.sign({"aud": audience, "sub": sub,  # type: ignore[attr-defined]
                             "exp": int(time.time()) + JWT_LIFETIME})
    except (WebPushException, ValueError, TypeError):
        # Keys no browser gives (the relay and the desktop check their shape).
        tally.gone.append(device.id)
        return
    headers = {"TTL": str(ttl), "Urgency": "high", "Content-Encoding": "aes128gcm",
               "Content-Type": "application/octet-stream",
               "Authorization": signed["Authorization"]}
    try:
        response = http.post(PROVIDER, device.endpoint, data=body, headers=headers,
                             timeout=TIMEOUT, allow_redirects=False)
    except OutcomeUnknown as exc:
        tally.unknown.append(exc)
        return
    except ChannelError as exc:
        (tally.again if exc.retry else tally.refused).append(exc)
        return
    status = response.status_code
    if 200 <= status < 300:
        # RFC 8030 §5: 201 Created, the push message's resource in Location.
        tally.accepted.append((device.id, response.headers.get("Location")
                               or f"push:{device.id}"))
    elif status in (404, 410):
        tally.gone.append(device.id)
    elif status == 429:
        tally.slow.append(ChannelError(_("The push service asked to slow down; the "
                                         "notification waits a little."), retry=True,
                                       code="429", slow_down=True))
    elif status == 503:
        tally.again.append(ChannelError(_("The push service had a temporary problem "
                                          "({code}).").format(code=status), retry=True,
                                        code=str(status)))
    elif status >= 500:
        tally.unknown.append(http.may_have_acted(PROVIDER, status))
    elif status in (401, 403):
        tally.refused.append(ChannelError(_(
            "The push service refused the practice's notification key ({code}): turn "
            "notifications on again in Settings › Integrations.").format(code=status),
            retry=False, code=str(status)))
    else:
        tally.refused.append(ChannelError(_(
            "The push service refused the notification ({code}).").format(code=status),
            retry=False, code=str(status)))


def _vapid(secret: str) -> object:
    from py_vapid import Vapid

    try:
        vapid = Vapid.from_raw(secret.strip().encode())
    except (ValueError, TypeError):
        raise NotConfigured(_("The practice's notification key in the keyring is damaged: "
                              "turn notifications on again in Settings › Integrations.")
                            ) from None
    # `sub` may be the relay's address, which py_vapid's own check would refuse
    # for a port or a path; RFC 8292 §2.1 asks only for a contact URI.
    vapid.conf = {"no-strict": True}
    return vapid


def _subject(cfg: dict[str, str]) -> str:
    """RFC 8292 §2.1: how the push service can reach the sender: the practice's
    e-mail address when it has one, else its relay's address."""
    sender = cfg.get("smtp.from", "").strip()
    if "@" in sender and " " not in sender and "<" not in sender:
        return f"mailto:{sender}"
    return cfg["relay.url"]


def _ttl(text: str) -> int:
    """Seconds the push service keeps the message for a phone that is off: until
    the session starts (the payload's `expires`), within MIN_TTL..MAX_TTL."""
    try:
        expires = datetime.fromisoformat(str(json.loads(text).get("expires", "")))
    except (ValueError, AttributeError, TypeError):
        return DEFAULT_TTL
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    left = int((expires - datetime.now(UTC)).total_seconds())
    return max(MIN_TTL, min(MAX_TTL, left))
