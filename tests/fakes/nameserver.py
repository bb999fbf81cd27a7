"""A tiny authoritative DNS server on loopback (UDP), answering from a table of
records built with dnspython: NXDOMAIN for a name it has nothing for, an empty
answer (NOERROR) for a name that has other kinds of records (RFC 2308)."""

from __future__ import annotations

import socket
import threading

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.rrset


class NameServer:
    def __init__(self, records: dict[tuple[str, str], list[str]] | None = None) -> None:
        """records: (name, type) → the records' text, e.g.
        ("_submission._tcp.bemestar.example", "SRV") → ["0 1 587 smtp.bemestar.example."]."""
        self.records: dict[tuple[str, str], list[str]] = {}
        for (name, kind), texts in (records or {}).items():
            self.add(name, kind, *texts)
        self.asked: list[tuple[str, str]] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def add(self, name: str, kind: str, *texts: str) -> None:
        key = (dns.name.from_text(name).to_text().lower(), kind.upper())
        self.records.setdefault(key, []).extend(texts)

    def resolver(self, lifetime: float = 2.0) -> dns.resolver.Resolver:
        """A resolver that asks this server only."""
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = self.port
        resolver.lifetime = lifetime
        return resolver

    def _answer(self, wire: bytes) -> bytes:
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        name = question.name.to_text().lower()
        kind = dns.rdatatype.to_text(question.rdtype)
        self.asked.append((name.rstrip("."), kind))
        texts = self.records.get((name, kind))
        if texts:
            response.answer.append(dns.rrset.from_text_list(
                question.name, 300, dns.rdataclass.IN, question.rdtype, texts))
        elif not any(n == name for n, _kind in self.records):
            response.set_rcode(dns.rcode.NXDOMAIN)
        return response.to_wire()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                wire, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.sock.sendto(self._answer(wire), peer)

    def __enter__(self) -> NameServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()
