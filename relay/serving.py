"""How uvicorn runs the relay on the open internet: a connection that has not
sent its request's head within a few seconds is closed (uvicorn itself waits
for ever), the number of open connections is capped by closing the oldest one
still sending its head, forwarded addresses are left to the relay's own rule
(RELAY_TRUSTED_PROXIES), and the body limit and timeout are the relay's
middleware's (relay.guard)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import resource
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from relay.config import RelaySettings
from relay.guard import SECURITY_HEADERS, Network, bucket, throttle, trusted_peer

log = logging.getLogger("relay")


GONE = "relay.client_gone"  # in a request's scope: an asyncio.Event set when it leaves


class _GuardedH11(H11Protocol):
    """uvicorn's h11 protocol with deadlines for each request's head and for a
    client that stops reading its answer, bounds on pipelined requests, and caps
    on connections (per address, and in all)."""

    head_timeout = 10.0
    write_timeout = 10.0
    max_connections = 256
    max_per_address = 32
    max_pipelined = 64 * 1024  # bytes of further requests waiting their turn
    trusted: tuple[Network, ...] = ()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_timer: asyncio.TimerHandle | None = None
        self._write_timer: asyncio.TimerHandle | None = None
        self._paused_at: float | None = None
        self._paused_total = 0.0
        # Set when the client is gone; a long-poll looks at it (GONE in its scope):
        # Starlette's is_disconnected cannot see through the middleware.
        self._gone = asyncio.Event()
        self._opened = asyncio.get_running_loop().time()
        super().connection_made(transport)
        self._watch()
        open_ = [c for c in self.connections
                 if isinstance(c, _GuardedH11) and not c.transport.is_closing()]
        peer = self.client[0] if self.client else ""
        if peer and not _ipaddress_loopback(peer) and not trusted_peer(peer, self.trusted):
            mine = [c for c in open_ if c.client and bucket(c.client[0]) == bucket(peer)]
            if len(mine) > self.max_per_address:
                log.info("One address opened more connections than it may; new ones "
                           "were refused.")
                self._refuse(self)
                return
        if len(open_) > self.max_connections:
            waiting = sorted((c for c in open_ if c is not self and c._waiting_on_client()),
                             key=lambda c: c._opened)
            if waiting:
                log.info("Too many open connections: the oldest ones still sending their "
                           "requests were closed.")
                self._refuse(waiting[0])
            else:
                log.info("Too many open connections: new ones were refused.")
                self._refuse(self)

    def _refuse(self, connection: _GuardedH11) -> None:
        # Out of uvicorn's count at once: its connection_lost comes a loop turn later,
        # and a flood of them counted meanwhile would make it answer 503 to everyone.
        connection.transport.close()
        self.connections.discard(connection)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.scope is not None:
            self.scope.setdefault(GONE, self._gone)
        if not self.transport.is_closing() and \
                len(self.conn.trailing_data[0]) > self.max_pipelined:
            # h11 keeps every request received ahead of its turn: a client sending
            # them faster than it reads the answers would grow it without end.
            log.info("A client sent requests far ahead of reading the answers; the "
                       "connection was closed.")
            self.transport.abort()
            return
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._paused_at is None and not self.conn.trailing_data[0]:
            self._paused_total = 0.0  # all answered and taken: a fresh start
        self._watch()

    # Time spent unable to write, added up until the connection is idle again: a
    # client that reads a little now and then (restarting any single deadline)
    # still runs out of it.
    def pause_writing(self) -> None:
        super().pause_writing()
        self._paused_at = self.loop.time()
        if self._write_timer is None:
            left = max(0.0, self.write_timeout - self._paused_total)
            self._write_timer = self.loop.call_later(left, self._not_reading)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._paused_at is not None:
            self._paused_total += self.loop.time() - self._paused_at
            self._paused_at = None
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None

    def send_400_response(self, msg: str) -> None:
        # uvicorn's own refusal of a malformed request, with the relay's headers.
        event = h11.Response(status_code=400, reason=b"Bad Request", headers=[
            (b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close"),
            *SECURITY_HEADERS])
        for part in (event, h11.Data(data=msg.encode("ascii")), h11.EndOfMessage()):
            self.transport.write(self.conn.send(part) or b"")
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._gone.set()
        for timer in (self._head_timer, self._write_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._write_timer = None
        super().connection_lost(exc)

    def _reading_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _waiting_on_client(self) -> bool:
        """Still sending its request's head or body: the first to close when full."""
        return self._reading_head() or self.conn.their_state is h11.SEND_BODY

    def _watch(self) -> None:
        if self._reading_head():
            if self._head_timer is None and not self.transport.is_closing():
                self._head_timer = self.loop.call_later(self.head_timeout, self._too_slow)
        elif self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _too_slow(self) -> None:
        self._head_timer = None
        if self._reading_head() and not self.transport.is_closing():
            log.info("A client sent its request's head too slowly; the connection was "
                       "closed.")
            self.transport.close()

    def _not_reading(self) -> None:
        # Even when already closing: close() waits for the unread answers to be
        # taken, which is what this client does not do.
        self._write_timer = None
        log.info("A client stopped reading its answer; the connection was closed.")
        self.transport.abort()


def _ipaddress_loopback(address: str) -> bool:
    """A peer on this machine: the proxy in front, never a stranger."""
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def protocol(settings: RelaySettings) -> type[H11Protocol]:
    """The protocol class for these settings' limits."""
    return type("RelayH11", (_GuardedH11,), {
        "head_timeout": settings.head_timeout, "write_timeout": settings.body_timeout,
        "max_connections": settings.max_connections,
        "max_per_address": max(8, settings.max_connections // 8),
        "trusted": settings.trusted_proxies})


def server_config(app: Any, settings: RelaySettings, host: str, port: int,
                  **extra: Any) -> uvicorn.Config:
    """The uvicorn configuration the relay runs with (also in the tests)."""
    config = uvicorn.Config(
        app, host=host, port=port, http=protocol(settings),
        proxy_headers=False,  # relay.guard decides whose X-Forwarded-For is believed
        timeout_keep_alive=5,
        # Connections are capped above; this backstop caps requests being worked
        # on, with room for those of connections just closed, whose tasks take a
        # turn or two of the loop to end (a flood closes many at once).
        limit_concurrency=4 * settings.max_connections,
        ws="none",  # no WebSocket: an upgrade is an ordinary request, through the guard
        # On every answer, those uvicorn gives by itself (a 503 when too busy) too.
        headers=[(k.decode(), v.decode()) for k, v in SECURITY_HEADERS],
        h11_max_incomplete_event_size=16 * 1024,  # a request's head
        access_log=False, **extra)
    # The relay's lines, uvicorn's (configured by the line above) and the form
    # parser's: each kind at most once a minute.
    throttle("relay", "relay.pairing.malformed", "uvicorn.error", "python_multipart",
             "python_multipart.multipart", "multipart.multipart")
    return config


def raise_open_file_limit(wanted: int) -> None:
    """Lets the process hold `wanted` connections and its own files, as far as
    the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    goal = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < goal:
        resource.setrlimit(resource.RLIMIT_NOFILE, (goal, hard))
