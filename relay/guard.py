"""What the relay does to every request before a route sees it: finds the
client's address (believing X-Forwarded-For only from trusted proxies), reads
the body whole within a byte limit and a time limit, whatever the request says
of its own length, and answers 413 or 408 on its own. A plain ASGI middleware:
the routes then parse bodies that can be no larger than the limit."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

log = logging.getLogger("relay")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(spec: str) -> tuple[Network, ...]:
    """RELAY_TRUSTED_PROXIES: addresses or networks, comma-separated
    ("127.0.0.1, 10.0.0.0/8"). ValueError names the entry that is neither."""
    found = []
    for part in (p.strip() for p in spec.split(",")):
        if part:
            try:
                found.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(part) from None
    return tuple(found)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.9:443
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_address(peer: str, forwarded_for: Iterable[str],
                   trusted: tuple[Network, ...]) -> str:
    """The address a request came from. A peer that is a trusted proxy speaks
    for the client: X-Forwarded-For is read from the right, skipping trusted
    proxies, and the first address no proxy of ours added is the client's
    (anything to its left was written by the client and proves nothing). From
    anyone else the header is ignored."""
    if not trusted_peer(peer, trusted):
        return peer
    hops = [h for value in forwarded_for for h in value.split(",") if h.strip()]
    for hop in reversed(hops):
        if not trusted_peer(hop, trusted):
            addr = _address(hop)
            # Garbled by someone: do not guess past it.
            return str(addr) if addr is not None else peer
    return peer


def trusted_peer(address: str, trusted: tuple[Network, ...]) -> bool:
    addr = _address(address)
    return addr is not None and any(addr in net for net in trusted)


def bucket(address: str) -> str:
    """The rate limiter's key for an address: an IPv6 client owns a whole /64,
    so counting its addresses one by one would count nothing."""
    addr = _address(address)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{addr}/64", strict=False))
    return address


# Every answer (uvicorn adds them to each, its own included; relay.serving): the
# client's page runs no inline script and no script from elsewhere (only the
# relay's own /push.js and its service worker /sw.js, relay.push), loads nothing
# from elsewhere, posts only to the relay and cannot be framed; nothing is cached
# (pages name a token, answers a client's events).
SECURITY_HEADERS = (
    (b"content-security-policy",
     b"default-src 'none'; script-src 'self'; worker-src 'self'; connect-src 'self'; "
     b"manifest-src 'self'; "
     b"style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
     b"frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"strict-transport-security", b"max-age=31536000"),
)


class ThrottledLog(logging.Filter):
    """A log line of each kind (its message template) at most once a minute: a
    stranger's flood of refused requests must not become a flood of log lines.
    Errors always pass."""

    def __init__(self, every: float = 60.0) -> None:
        super().__init__()
        self.every = every
        self._last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            return True
        now = time.monotonic()
        key = str(record.msg)
        if now - self._last.get(key, -self.every) < self.every:
            return False
        self._last[key] = now
        return True


def throttle(*names: str) -> None:
    """Puts a ThrottledLog on each named logger, once."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ThrottledLog) for f in logger.filters):
            logger.addFilter(ThrottledLog())


class Guard:
    """ASGI middleware: the request's client address, its whole body within
    `max_body` bytes read within `body_timeout` seconds, or a refusal.
    `keyed(authorization)` says whether a
    request to /api/ carries a key the relay knows: one that does not is
    refused before its body is waited for, except on `open_paths` (exactly
    those paths: pairing, which is how a desktop gets its key). uvicorn adds the
    security headers to every answer (relay.serving)."""

    def __init__(self, app: App, max_body: int, body_timeout: float,
                 trusted: tuple[Network, ...],
                 keyed: Callable[[str | None], bool] = lambda _a: True,
                 open_paths: frozenset[str] = frozenset()) -> None:
        self.app, self.max_body, self.body_timeout, self.trusted = \
            app, max_body, body_timeout, trusted
        self.keyed = keyed
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self._find_client(scope)
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        path = scope.get("path", "")
        if path.startswith("/api/") and path not in self.open_paths and not self.keyed(
                headers.get(b"authorization", b"").decode("latin-1") or None):
            await _refuse(send, 401, b'{"error":"unauthorized"}', b"application/json")
            return
        if path.startswith(("/c/", "/c%")) and b"%" in scope.get("raw_path", b""):
            # A token is written in plain characters only: a percent-encoded
            # spelling of it is another address for the same link.
            await _refuse(send, 404, b"Not found")
            return
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _refuse(send, 413, b"Request body too large")
            return
        try:
            async with asyncio.timeout(self.body_timeout):
                body = await self._read(receive)
        except TimeoutError:
            log.info("A client sent its request too slowly; it was answered 408.")
            await _refuse(send, 408, b"Request body not received in time")
            return
        if body is None:
            await _refuse(send, 413, b"Request body too large")
            return
        if isinstance(body, _Gone):
            log.info("A client went away before sending its whole request.")
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _find_client(self, scope: Scope) -> None:
        client = scope.get("client")
        if not client:
            return
        forwarded = [v.decode("latin-1") for k, v in scope.get("headers", [])
                     if k.lower() == b"x-forwarded-for"]
        if not trusted_peer(client[0], self.trusted):
            if forwarded and _nearby(client[0]):
                # A proxy on this machine or network that is not listed: every
                # client then counts as the proxy, in one rate-limit bucket.
                log.warning("Requests from %s carry X-Forwarded-For, but "
                            "RELAY_TRUSTED_PROXIES does not list it: if it is the proxy "
                            "in front of the relay, list it, or all clients share one "
                            "rate limit.", client[0])
            return
        found = client_address(client[0], forwarded, self.trusted)
        if found != client[0]:
            scope["client"] = (found, 0)
        elif not forwarded:
            log.warning("A request from a trusted proxy (RELAY_TRUSTED_PROXIES) carried "
                        "no X-Forwarded-For: set the proxy to send it, or all clients "
                        "share one rate limit.")

    async def _read(self, receive: Receive) -> bytes | _Gone | None:
        """The whole body; None past the limit; _Gone if the client left."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return _Gone()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _nearby(address: str) -> bool:
    addr = _address(address)
    return addr is not None and (addr.is_loopback or addr.is_private)


class _Gone:
    pass


async def _refuse(send: Send, status: int, text: bytes,
                  kind: bytes = b"text/plain; charset=utf-8") -> None:
    # Connection: close, so the server stops reading what the client goes on sending.
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind),
                            (b"content-length", str(len(text)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": text})
