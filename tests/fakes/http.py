"""A small threaded HTTP server on loopback for the provider fakes.

Besides the provider's own rules (`handle`), a fake can misbehave the way real
networks do, once per queued item:
- `refuse_first`: answer (status, body) without taking the request (e.g. a 503);
- `after_taking`: take the request (handle() records it), then answer late
  (("late", seconds)), drop the connection without an answer (("drop",)), or
  answer something else (("answer", status, text), e.g. a gateway's 502 page), or
  (over TLS) send a broken TLS record and close (("bad_record",), what a
  TLS-inspecting proxy does when it gives up).
A request that breaks the provider's published contract is written to
`violations` and answered 400; leaving the `with` block then fails the test."""

from __future__ import annotations

import json
import os
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ContractViolation(AssertionError):
    """A request the real provider would refuse for its shape."""


class Raw:
    """An answer that is not JSON, or carries headers of its own (a push service's
    201 with its Location and no body): return it as handle()'s body."""

    def __init__(self, data: bytes = b"", kind: str = "text/plain",
                 headers: dict[str, str] | None = None) -> None:
        self.data, self.kind, self.headers = data, kind, headers or {}


class FakeServer:
    """Start with `with Fake() as fake:`; `fake.url` is its base address."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                with outer.lock:
                    outer.requests += 1
                    if outer.refuse_first:
                        status, body = outer.refuse_first.pop(0)
                        mishap: tuple[Any, ...] | None = None
                    else:
                        try:
                            status, body = outer.handle(self.path, dict(self.headers), raw)
                        except ContractViolation as exc:
                            outer.violations.append(str(exc))
                            status, body = 400, {"error": {"message": str(exc), "code": 100}}
                        taken = 200 <= status < 300
                        mishap = outer.after_taking.pop(0) \
                            if taken and outer.after_taking else None
                if mishap and mishap[0] == "late":
                    time.sleep(mishap[1])
                elif mishap and mishap[0] == "bad_record":
                    raw = socket.socket(fileno=os.dup(self.connection.fileno()))
                    raw.sendall(b"\x17\x03\x03\x00\x20" + os.urandom(32))
                    raw.close()
                    self.close_connection = True
                    return
                elif mishap and mishap[0] == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                elif mishap and mishap[0] == "answer":
                    status, data, kind = mishap[1], mishap[2].encode(), "text/html"
                    self._answer(status, data, kind)
                    return
                if isinstance(body, Raw):
                    self._answer(status, body.data, body.kind, body.headers)
                    return
                self._answer(status, json.dumps(body).encode(), "application/json")

            def do_GET(self) -> None:
                """A read: answered by handle_get(), or refused like the POSTs."""
                with outer.lock:
                    outer.requests += 1
                    if outer.refuse_first:
                        status, body = outer.refuse_first.pop(0)
                    else:
                        try:
                            status, body = outer.handle_get(self.path, dict(self.headers))
                        except ContractViolation as exc:
                            outer.violations.append(str(exc))
                            status, body = 400, {"error": {"message": str(exc), "code": 100}}
                self._answer(status, json.dumps(body).encode(), "application/json")

            def _answer(self, status: int, data: bytes, kind: str,
                        headers: dict[str, str] | None = None) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout under test)

            def log_message(self, *args: Any) -> None:
                pass

        self.lock = threading.Lock()
        self.requests = 0
        self.refuse_first: list[tuple[int, Any]] = []
        self.after_taking: list[tuple[Any, ...]] = []
        self.violations: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        raise NotImplementedError

    def handle_get(self, path: str, headers: dict[str, str]) -> tuple[int, Any]:
        """A GET (path with its query string); a fake that serves reads overrides it."""
        raise ContractViolation(f"GET {path}: this fake serves no reads")

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.violations and exc[0] is None:
            raise ContractViolation("requests the provider would refuse:\n" +
                                    "\n".join(self.violations))
