"""A fake Web Push service (RFC 8030) on loopback, with browsers that subscribe to it.

A test makes a `Browser` (`push.subscribe()`): a P-256 key pair and a 16-byte
auth secret of its own, as a browser's PushManager makes them, and an endpoint
on this service. What the practice POSTs to an endpoint is checked as a push
service checks it, and DECRYPTED with that browser's private key:
- `Authorization: vapid t=<JWT>, k=<key>` (RFC 8292 §3): `k` the practice's
  public key (`expected_key`, when the test sets it), the JWT's header ES256,
  its signature valid for `k`, `aud` the endpoint's origin, `exp` in the future
  and within 24 hours (§2), `sub` a mailto: or an http(s) URL (§2.1);
- `TTL` a number of seconds (RFC 8030 §5.2), `Urgency` one of its four words
  (§5.3) when present, `Content-Encoding: aes128gcm` (RFC 8291 §4);
- the body decrypts (RFC 8188 with RFC 8291's key derivation).
A request off these rules is a contract violation (answered 400, failing the
test). A delivered message is kept in `delivered` with its decrypted payload
and answered 201 with its Location. A browser that unsubscribed (`gone`) is
answered 410, an unknown endpoint 404, as autopush and FCM do; `answers`
queues other statuses for a browser (429 with Retry-After, 503, 500).
Sources: https://www.rfc-editor.org/rfc/rfc8030, rfc8291, rfc8292,
https://autopush.readthedocs.io/en/latest/http.html#error-codes."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.fakes.http import ContractViolation, FakeServer, Raw

URGENCIES = ("very-low", "low", "normal", "high")


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """One subscription, as PushSubscription.toJSON() gives it, with its secrets."""

    id: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    gone: bool = False
    answers: list[int] = field(default_factory=list)  # statuses to answer first

    @property
    def p256dh(self) -> str:
        return b64url(self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    def as_json(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


@dataclass
class Delivered:
    browser: str  # the Browser's id
    payload: dict[str, Any]  # the decrypted JSON
    ttl: int
    urgency: str | None
    claims: dict[str, Any]  # the VAPID JWT's


class FakePushService(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.browsers: dict[str, Browser] = {}
        self.delivered: list[Delivered] = []
        self.expected_key: str | None = None  # the practice's VAPID public key
        self.arrived = threading.Event()  # a message was taken (set before answering)
        self.delay = 0.0  # seconds to hold each taken message before answering

    def subscribe(self) -> Browser:
        ident = b64url(os.urandom(12))
        browser = Browser(ident, f"{self.url}/wpush/v2/{ident}",
                          ec.generate_private_key(ec.SECP256R1()), os.urandom(16))
        self.browsers[ident] = browser
        return browser

    def texts(self, browser: Browser | None = None) -> list[str]:
        """The bodies of the notifications delivered (to `browser`)."""
        return [d.payload.get("body", "") for d in self.delivered
                if browser is None or d.browser == browser.id]

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        h = {k.lower(): v for k, v in headers.items()}
        ident = path.removeprefix("/wpush/v2/")
        browser = self.browsers.get(ident) if path.startswith("/wpush/v2/") else None
        if browser is None:
            return 404, {"code": 404, "errno": 102, "error": "Not Found",
                         "message": "Request did not validate invalid token"}
        claims = self._check_vapid(h.get("authorization", ""), browser)
        ttl = h.get("ttl", "")
        if not ttl.isdigit():
            raise ContractViolation(f"TTL must be a number of seconds, not {ttl!r}")
        urgency = h.get("urgency")
        if urgency is not None and urgency not in URGENCIES:
            raise ContractViolation(f"Urgency {urgency!r} is not one of {URGENCIES}")
        if h.get("content-encoding") != "aes128gcm":
            raise ContractViolation("Content-Encoding must be aes128gcm (RFC 8291 §4)")
        if browser.answers:
            status = browser.answers.pop(0)
            extra = {"Retry-After": "1"} if status == 429 else {}
            return status, Raw(json.dumps({"code": status, "errno": 999,
                                           "error": "refused"}).encode(),
                               "application/json", extra)
        if browser.gone:
            return 410, {"code": 410, "errno": 106, "error": "Gone",
                         "message": "Request did not validate No Subscription found"}
        try:
            plain = http_ece.decrypt(raw, private_key=browser.private_key,
                                     auth_secret=browser.auth_secret, version="aes128gcm")
            payload = json.loads(plain)
        except Exception as exc:
            raise ContractViolation(f"the body does not decrypt for this browser: {exc!r}"
                                    ) from None
        self.delivered.append(Delivered(browser.id, payload, int(ttl), urgency, claims))
        self.arrived.set()
        if self.delay:
            time.sleep(self.delay)
        number = len(self.delivered)
        return 201, Raw(headers={"Location": f"{self.url}/m/{browser.id}/{number}"})

    def _check_vapid(self, authorization: str, browser: Browser) -> dict[str, Any]:
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise ContractViolation(f"Authorization must be 'vapid t=..., k=...', not "
                                    f"{authorization[:40]!r}")
        parts = dict(p.strip().split("=", 1) for p in rest.split(",") if "=" in p)
        token, key = parts.get("t", ""), parts.get("k", "")
        if self.expected_key is not None and key != self.expected_key:
            raise ContractViolation("k is not the practice's VAPID public key")
        try:
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                                  unb64url(key))
            head_b64, claims_b64, signature_b64 = token.split(".")
            head = json.loads(unb64url(head_b64))
            claims = json.loads(unb64url(claims_b64))
            signature = unb64url(signature_b64)
        except (ValueError, TypeError) as exc:
            raise ContractViolation(f"the VAPID token is malformed: {exc!r}") from None
        if head.get("alg") != "ES256" or len(signature) != 64:
            raise ContractViolation(f"the VAPID JWT must be ES256 (RFC 8292 §2), not {head}")
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                   int.from_bytes(signature[32:], "big"))
        try:
            public.verify(der, f"{head_b64}.{claims_b64}".encode(),
                          ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise ContractViolation("the VAPID signature does not verify with k") from None
        origin = urlsplit(browser.endpoint)
        if claims.get("aud") != f"{origin.scheme}://{origin.netloc}":
            raise ContractViolation(f"aud {claims.get('aud')!r} is not the endpoint's origin")
        exp = claims.get("exp")
        if not isinstance(exp, int) or not time.time() < exp <= time.time() + 24 * 3600:
            raise ContractViolation(f"exp {exp!r} is not within the next 24 hours")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.startswith(("mailto:", "https://",
                                                           "http://")):
            raise ContractViolation(f"sub {sub!r} is not a mailto: or a URL")
        return dict(claims)
