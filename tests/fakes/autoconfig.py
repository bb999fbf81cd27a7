"""The places Thunderbird (and the app) read mail settings from, on loopback:
a domain's own autoconfig server (https://autoconfig.{domain}/mail/config-v1.1.xml
?emailaddress=…, and https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml)
and Mozilla's ISPDB (https://autoconfig.thunderbird.net/v1.1/{domain}), each a
path of one HTTPS server. Answers as those do: the clientConfig file with
Content-Type text/xml, 404 for a domain it does not know. It checks the
emailaddress a domain's server is given, and records every request."""

from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from app.services.channels.mail_discovery import Sources


def client_config(domain: str, *, name: str = "", smtp: tuple[str, int, str] | None = None,
                  imap: tuple[str, int, str] | None = None,
                  username: str = "%EMAILADDRESS%", extra: str = "") -> bytes:
    """A clientConfig file (https://wiki.mozilla.org/Thunderbird:Autoconfiguration:
    ConfigFileFormat) as providers publish it: (hostname, port, socketType) per server,
    with a POP3 server first, as many files have one."""
    def server(tag: str, kind: str, spec: tuple[str, int, str]) -> str:
        host, port, socket_type = spec
        return (f'<{tag} type="{kind}"><hostname>{escape(host)}</hostname><port>{port}</port>'
                f"<socketType>{socket_type}</socketType>"
                f"<authentication>password-cleartext</authentication>"
                f"<username>{username}</username></{tag}>")

    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<clientConfig version="1.1">'
             f'<emailProvider id="{escape(domain)}"><domain>{escape(domain)}</domain>'
             f"<displayName>{escape(name or domain)}</displayName>"
             f"<displayShortName>{escape(name or domain)}</displayShortName>",
             server("incomingServer", "pop3", (f"pop.{domain}", 995, "SSL"))]
    if imap:
        parts.append(server("incomingServer", "imap", imap))
    if smtp:
        parts.append(server("outgoingServer", "smtp", smtp))
    parts.append(f"{extra}</emailProvider></clientConfig>")
    return "".join(parts).encode()


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]


@dataclass
class Autoconfig:
    """What each source holds, by domain."""

    domain_files: dict[str, bytes] = field(default_factory=dict)  # autoconfig.{domain}
    well_known: dict[str, bytes] = field(default_factory=dict)  # {domain}/.well-known
    ispdb: dict[str, bytes] = field(default_factory=dict)
    slow: dict[str, float] = field(default_factory=dict)  # a path → seconds before answering
    requests: list[Request] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


class AutoconfigServer:
    def __init__(self, tls: ssl.SSLContext) -> None:
        self.data = Autoconfig()
        data = self.data

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                data.requests.append(Request(parts.path, query))
                delay = data.slow.get(parts.path, 0.0)
                if delay:
                    time.sleep(delay)
                segments = parts.path.strip("/").split("/")
                body: bytes | None = None
                if segments[:1] == ["autoconfig"] and segments[2:] == ["mail",
                                                                    "config-v1.1.xml"]:
                    domain = segments[1]
                    address = query.get("emailaddress", [""])[0]
                    if not address.endswith("@" + domain):
                        data.violations.append(f"autoconfig.{domain} asked for {address!r}")
                    body = data.domain_files.get(domain)
                elif segments[1:] == [".well-known", "autoconfig", "mail", "config-v1.1.xml"]:
                    body = data.well_known.get(segments[0])
                elif segments[:2] == ["ispdb", "v1.1"] and len(segments) == 3:
                    body = data.ispdb.get(segments[2])
                if body is None:
                    self._answer(404, b"<html><body>404 Not Found</body></html>", "text/html")
                else:
                    self._answer(200, body, "text/xml")

            def _answer(self, status: int, body: bytes, kind: str) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (its time limit, under test)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def sources(self, **kw: Any) -> Sources:
        """Discovery's sources, pointed here (and at a resolver, ports… given in kw)."""
        args: dict[str, Any] = {
            "domain_urls": (f"{self.url}/autoconfig/{{domain}}/mail/config-v1.1.xml"
                            "?emailaddress={address}",
                            f"{self.url}/{{domain}}/.well-known/autoconfig/mail/"
                            "config-v1.1.xml"),
            "ispdb_url": f"{self.url}/ispdb/v1.1/{{domain}}",
            "step_timeout": 3.0, "within": 20.0}
        args.update(kw)
        return Sources(**args)

    def asked(self) -> list[str]:
        return [r.path for r in self.data.requests]

    def __enter__(self) -> AutoconfigServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.data.violations and exc[0] is None:
            raise AssertionError("requests a real autoconfig server would not get:\n" +
                                 "\n".join(self.data.violations))
