"""The real relay, run by uvicorn on a loopback port in a background thread."""

from __future__ import annotations

import base64
import socket
import threading
import time
from pathlib import Path

import uvicorn
from nacl.public import PrivateKey

from relay.config import RelaySettings, from_environment
from relay.server import guarded
from relay.serving import server_config

# Fixed, so a failing test can be replayed; random-looking, as the relay insists.
LINK_SECRET = "q7Lx2VfT9cRk0sPzW4mNbH8jYd3uGe6A1oKiXw5Cl"
API_KEY = "Zp4Hs8Qn1TfW6yRk3Lb0Mv9Xc2Jd7Gu5AeKoEi"
APP_SECRET = "5d8f2b9e1c4a7f3d6b0e8a2c5f9d1b4e"  # Meta's are 32 hex characters
VERIFY_TOKEN = "verify-me-Tq8zK2rW"


class RelayServer:
    """`bare`: the relay's database alone names its practices (no single-practice
    variables, no Meta settings), as a relay set up by `practice-relay practice
    add` runs."""

    def __init__(self, folder: Path, public_key: str | None = None,
                 env: dict[str, str] | None = None, bare: bool = False,
                 **overrides: object) -> None:
        self.private_key = PrivateKey.generate()
        folder.mkdir(parents=True, exist_ok=True)
        given = {"RELAY_LINK_SECRET": LINK_SECRET, "RELAY_API_KEY": API_KEY,
                 "RELAY_PUBLIC_KEY": public_key or
                 base64.b64encode(bytes(self.private_key.public_key)).decode(),
                 "RELAY_PRACTICE_NAME": "Consultório Bem-Estar",
                 "RELAY_WHATSAPP_APP_SECRET": APP_SECRET,
                 "RELAY_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN}
        env = {"RELAY_DATABASE_URL": f"sqlite:///{folder / 'relay.sqlite3'}",
               **({} if bare else given), **(env or {})}
        settings = from_environment(env)
        self.settings = RelaySettings(**{**settings.__dict__, **overrides})  # type: ignore[arg-type]
        self.db_file = folder / "relay.sqlite3"
        # The port is bound here and handed to uvicorn: a port only looked up free
        # could be taken by another test's server before uvicorn binds it.
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = int(self.socket.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(server_config(
            guarded(self.settings), self.settings, "127.0.0.1", self.port,
            log_level="warning", timeout_graceful_shutdown=1))
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> RelayServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the relay did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()

    def bytes_at_rest(self) -> bytes:
        """What the relay's database holds on disk."""
        files = [self.db_file, self.db_file.with_name(self.db_file.name + "-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists())
