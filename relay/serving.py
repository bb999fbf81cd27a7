"""How uvicorn runs the relay on the open internet: a connection that has not
sent its request's head within a few seconds is closed (uvicorn itself waits
for ever), the number of open connections is capped by closing the oldest one
still sending its head, forwarded addresses are left to the relay's own rule
(RELAY_TRUSTED_PROXIES), and the body limit and timeout are the relay's
middleware's (relay.guard)."""

from __future__ import annotations

import asyncio
import logging
import resource
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from relay.config import RelaySettings

log = logging.getLogger("relay")


class _GuardedH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's head."""

    head_timeout = 10.0
    max_connections = 256

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_timer: asyncio.TimerHandle | None = None
        self._opened = asyncio.get_running_loop().time()
        super().connection_made(transport)
        self._watch()
        open_ = [c for c in self.connections if not c.transport.is_closing()]
        if len(open_) > self.max_connections:
            waiting = sorted((c for c in open_ if isinstance(c, _GuardedH11)
                              and c is not self and c._reading_head()),
                             key=lambda c: c._opened)
            victim = waiting[0] if waiting else self
            log.info("Too many open connections: one still sending its request was closed.")
            victim.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)

    def _reading_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

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
            log.info("A client sent its request's head too slowly; the connection was closed.")
            self.transport.close()


def protocol(settings: RelaySettings) -> type[H11Protocol]:
    """The protocol class for these settings' limits."""
    return type("RelayH11", (_GuardedH11,), {"head_timeout": settings.head_timeout,
                                              "max_connections": settings.max_connections})


def server_config(app: Any, settings: RelaySettings, host: str, port: int,
                  **extra: Any) -> uvicorn.Config:
    """The uvicorn configuration the relay runs with (also in the tests)."""
    return uvicorn.Config(
        app, host=host, port=port, http=protocol(settings),
        proxy_headers=False,  # relay.guard decides whose X-Forwarded-For is believed
        timeout_keep_alive=5,
        # Connections are capped above (closed ones may linger a moment in
        # uvicorn's count); this caps requests being worked on.
        limit_concurrency=2 * settings.max_connections,
        h11_max_incomplete_event_size=16 * 1024,  # a request's head
        access_log=False, **extra)


def raise_open_file_limit(wanted: int) -> None:
    """Lets the process hold `wanted` connections and its own files, as far as
    the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    goal = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < goal:
        resource.setrlimit(resource.RLIMIT_NOFILE, (goal, hard))
