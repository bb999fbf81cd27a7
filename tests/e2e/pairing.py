"""A real relay on loopback whose practices live in its database, and its
administrator's command (`practice-relay practice add|code|remove --json`), for
the tests of pairing by a code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.fakes.relay_server import RelayServer
from tests.fakes.tls import loopback

NO_PRACTICE = {"RELAY_LINK_SECRET": "", "RELAY_API_KEY": "", "RELAY_PUBLIC_KEY": ""}


def relay_with_no_practice(folder: Path, **overrides: object) -> RelayServer:
    """The relay as `docker compose up` starts it: RELAY_DATABASE_URL alone."""
    return RelayServer(folder, bare=True, **overrides)


def relay_admin(relay: RelayServer, *args: str) -> str:
    """`practice-relay ARGS` on the relay's database, as its administrator runs
    it; what it printed."""
    env = {**os.environ, "RELAY_DATABASE_URL": relay.settings.database_url}
    for name in NO_PRACTICE:
        env.pop(name, None)
    result = subprocess.run([sys.executable, "-m", "relay.server", *args], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def new_practice(relay: RelayServer, name: str = "Clínica Aurora") -> dict[str, str]:
    """{"id", "code", "expires"} of a practice added on the relay."""
    found = json.loads(relay_admin(relay, "practice", "add", "--name", name, "--json"))
    assert set(found) == {"id", "code", "expires"}
    return {k: str(v) for k, v in found.items()}


def new_code(relay: RelayServer, practice_id: str) -> str:
    """A new pairing code for the practice (the one before stops working)."""
    return str(json.loads(relay_admin(relay, "practice", "code", practice_id,
                                      "--json"))["code"])


@contextmanager
def other_web_server(tls: bool = False) -> Iterator[str]:
    """A web server on loopback that is not a relay (a folder's files); over
    HTTPS with a certificate nobody trusts when `tls`. Yields its address."""
    folder = Path(__file__).parent
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
    if tls:
        server.socket = loopback().server_context().wrap_socket(server.socket,
                                                                server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass
