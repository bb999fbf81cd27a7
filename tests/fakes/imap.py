"""A small IMAP4rev1 server on loopback holding one mailbox, for the practice's
replies: what `imaplib` uses to read new mail by UID (CAPABILITY, LOGIN, SELECT,
UID SEARCH, UID FETCH with BODY.PEEK[], UID STORE, NOOP, LOGOUT). Answers as real
servers do, including `NO [AUTHENTICATIONFAILED]` for a wrong password and the
last message for a `UID n:*` range past the end. UID SEARCH also takes
`HEADER name "value"` and `SUBJECT "value"` (RFC 3501 §6.4.4: a substring, case
ignored). With `tls` it speaks TLS from the first byte (port 993), with `starttls`
it offers STARTTLS (RFC 3501 §6.2.1)."""

from __future__ import annotations

import email
import email.policy
import re
import shlex
import socketserver
import ssl
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Mail:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


@dataclass
class Mailbox:
    user: str = "agenda@bemestar.example"
    password: str = "imap-secret-123"
    uidvalidity: int = 7
    mails: list[Mail] = field(default_factory=list)
    next_uid: int = 1
    logins: int = 0
    refused_logins: int = 0
    login_disabled: bool = False  # RFC 3501: no LOGIN before the connection is encrypted
    lock: threading.Lock = field(default_factory=threading.Lock)

    def deliver(self, raw: bytes) -> int:
        with self.lock:
            uid = self.next_uid
            self.next_uid += 1
            self.mails.append(Mail(uid, raw))
            return uid

    def seen(self) -> list[int]:
        return [m.uid for m in self.mails if "\\Seen" in m.flags]


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def finish(self) -> None:
        super().finish()
        if isinstance(self.connection, ssl.SSLSocket):  # after STARTTLS: ours to close
            self.connection.close()

    def send(self, line: str | bytes) -> None:
        self.wfile.write(line if isinstance(line, bytes) else line.encode() + b"\r\n")

    def handle(self) -> None:
        box = self.server.box
        caps = "IMAP4rev1 LOGINDISABLED" if box.login_disabled else "IMAP4rev1"
        if self.server.starttls is not None:
            caps += " STARTTLS"
        self.send(f"* OK [CAPABILITY {caps}] fake mail server ready")
        authed = False
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            tag, _sep, rest = raw.decode().rstrip("\r\n").partition(" ")
            command, _sep, args = rest.partition(" ")
            command = command.upper()
            if command == "CAPABILITY":
                self.send(f"* CAPABILITY {caps} UIDPLUS")
                self.send(f"{tag} OK CAPABILITY completed")
            elif command == "STARTTLS" and self.server.starttls is not None:
                self.send(f"{tag} OK Begin TLS negotiation now")
                self.wfile.flush()
                self.connection = self.server.starttls.wrap_socket(self.connection,
                                                                   server_side=True)
                self.rfile = self.connection.makefile("rb")
                self.wfile = socketserver._SocketWriter(self.connection)  # type: ignore
                caps = caps.replace(" STARTTLS", "")
            elif command == "LOGIN" and box.login_disabled:
                self.send(f"{tag} BAD LOGIN is disabled on an unencrypted connection")
            elif command == "LOGIN":
                user, password = shlex.split(args)
                if (user, password) != (box.user, box.password):
                    box.refused_logins += 1
                    self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)")
                    continue
                box.logins += 1
                authed = True
                self.send(f"{tag} OK LOGIN completed")
            elif command == "LOGOUT":
                self.send("* BYE logging out")
                self.send(f"{tag} OK LOGOUT completed")
                return
            elif command == "NOOP":
                self.send(f"{tag} OK NOOP completed")
            elif not authed:
                self.send(f"{tag} BAD not authenticated")
            elif command in ("SELECT", "EXAMINE"):
                with box.lock:
                    self.send(f"* {len(box.mails)} EXISTS")
                    self.send("* 0 RECENT")
                    self.send(f"* OK [UIDVALIDITY {box.uidvalidity}] UIDs valid")
                    self.send(f"* OK [UIDNEXT {box.next_uid}] predicted next UID")
                    self.send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)")
                self.send(f"{tag} OK [READ-WRITE] SELECT completed")
            elif command == "UID":
                self.uid(tag, args, box)
            else:
                self.send(f"{tag} BAD unknown command {command}")

    def uid(self, tag: str, args: str, box: Mailbox) -> None:
        sub, _sep, rest = args.partition(" ")
        sub = sub.upper()
        with box.lock:
            mails = list(box.mails)
        if sub == "SEARCH":
            m = re.search(r"UID (\d+):(\*|\d+)", rest, re.I)
            words = shlex.split(rest)
            if words[:1] and words[0].upper() in ("HEADER", "SUBJECT"):
                name, value = (words[1], words[2]) if words[0].upper() == "HEADER" \
                    else ("Subject", words[1])
                chosen = [x.uid for x in mails if value.lower() in str(
                    email.message_from_bytes(x.raw, policy=email.policy.default)
                    .get(name, "")).lower()]
            elif m is None:
                chosen = [x.uid for x in mails]
            else:
                low = int(m.group(1))
                high = max((x.uid for x in mails), default=0) if m.group(2) == "*" \
                    else int(m.group(2))
                low, high = min(low, high), max(low, high)  # n:* past the end: the last one
                chosen = [x.uid for x in mails if low <= x.uid <= high]
            self.send("* SEARCH" + "".join(f" {u}" for u in chosen))
            self.send(f"{tag} OK SEARCH completed")
        elif sub == "FETCH":
            uid_text, _sep, what = rest.partition(" ")
            for seq, mail in enumerate(mails, start=1):
                if str(mail.uid) != uid_text:
                    continue
                if "PEEK" not in what.upper():
                    mail.flags.add("\\Seen")
                self.send(f"* {seq} FETCH (UID {mail.uid} BODY[] {{{len(mail.raw)}}}"
                          .encode() + b"\r\n" + mail.raw + b")\r\n")
            self.send(f"{tag} OK FETCH completed")
        elif sub == "STORE":
            uid_text, _sep, what = rest.partition(" ")
            for seq, mail in enumerate(mails, start=1):
                if str(mail.uid) == uid_text and "\\SEEN" in what.upper():
                    mail.flags.add("\\Seen")
                    self.send(f"* {seq} FETCH (UID {mail.uid} FLAGS (\\Seen))")
            self.send(f"{tag} OK STORE completed")
        else:
            self.send(f"{tag} BAD unknown UID command")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, box: Mailbox, tls: ssl.SSLContext | None,
                 starttls: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.box, self.tls, self.starttls = box, tls, starttls

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        try:  # the handshake in the connection's own thread
            wrapped = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # a client that does not speak TLS, or does not trust us
        with wrapped:
            super().finish_request(wrapped, client_address)


class ImapServer:
    def __init__(self, box: Mailbox | None = None, *, tls: ssl.SSLContext | None = None,
                 starttls: ssl.SSLContext | None = None) -> None:
        """tls: a server context, TLS from the first byte; starttls: one offered
        with STARTTLS."""
        self.box = box or Mailbox()
        self._server = _Server(self.box, tls, starttls)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ImapServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
