"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives. Like
most servers, it offers no AUTH on an unencrypted connection (aiosmtpd's
auth_require_tls), and it can refuse senders, recipients and messages with the
reply codes real servers use (RFC 5321 §4.2).

As a provider's submission server: `users` (address → password) makes it ask
for a login before MAIL (530) and refuse a wrong one as real servers do
(535 5.7.8); `tls` offers STARTTLS (RFC 3207), or with `implicit_tls` speaks TLS
from the first byte (RFC 8314, port 465); `deliver_to` puts the mail for that
mailbox's user into the fake IMAP mailbox, as a provider delivers it."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
from dataclasses import dataclass
from email.message import Message
from typing import TYPE_CHECKING, Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

if TYPE_CHECKING:
    from tests.fakes.imap import Mailbox


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message


class _Handler:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse: set[str] = set()  # 550: no such user
        self.greylist: set[str] = set()  # 450: try again later
        self.refuse_senders: set[str] = set()  # 553: not allowed to send as
        self.reject_data: str | None = None  # e.g. "554 5.7.1 Message refused as spam"
        self.login_required = False  # 530 at MAIL, as servers that send only for users
        self.relay_denied = False  # 554 at RCPT for other domains, as Postfix says it
        # After taking a message: answer only after this many seconds, or drop the
        # connection without answering; and what to say to QUIT.
        self.answer_after = 0.0
        self.drop_after_data = False
        self.quit_reply: str | None = None
        self.users: dict[str, str] = {}  # address → password, for AUTH
        self.logins: list[str] = []  # the users who logged in
        self.refused_logins = 0
        self.deliver_to: Mailbox | None = None

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                     auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            user, password = auth_data.login.decode(), auth_data.password.decode()
            if self.users.get(user) == password:
                self.logins.append(user)
                return AuthResult(success=True)
        self.refused_logins += 1
        return AuthResult(success=False, handled=False)

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        return self.quit_reply or "221 Bye"

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          mail_options: Any) -> str:
        if self.login_required:
            return "530 5.7.0 Authentication required"
        if address in self.refuse_senders:
            return "553 5.7.1 Sender address rejected: not owned by user"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        if self.relay_denied:
            return f"554 5.7.1 <{address}>: Relay access denied"
        if address in self.greylist:
            return "450 4.2.0 Greylisted, please try again later"
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reject_data:
            return self.reject_data
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      email.message_from_bytes(envelope.content,
                                                             policy=email.policy.default)))
        box = self.deliver_to
        if box is not None and box.user.lower() in (r.lower() for r in envelope.rcpt_tos):
            box.deliver(envelope.original_content or envelope.content)
        if self.drop_after_data:
            server.transport.abort()
        if self.answer_after:
            await asyncio.sleep(self.answer_after)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpServer:
    def __init__(self, smtputf8: bool = True, *, users: dict[str, str] | None = None,
                 tls: ssl.SSLContext | None = None, implicit_tls: bool = False,
                 deliver_to: Mailbox | None = None) -> None:
        """smtputf8: whether the server offers SMTPUTF8 (RFC 6531); users: address →
        password, a login wanted before MAIL; tls: a server context, for STARTTLS or
        (implicit_tls) TLS from the start; deliver_to: the fake IMAP mailbox that
        receives the mail for its user."""
        self.handler = _Handler()
        self.handler.users = dict(users or {})
        self.handler.deliver_to = deliver_to
        self.port = free_port()
        options: dict[str, Any] = {}
        if users:
            options.update(authenticator=self.handler.authenticate, auth_required=True,
                           auth_require_tls=not implicit_tls)
        if tls is not None and implicit_tls:
            options["ssl_context"] = tls
        elif tls is not None:
            options["tls_context"] = tls
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     enable_SMTPUTF8=smtputf8, **options)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def settings_for(server: SmtpServer, sender: str = "agenda@bemestar.example") -> dict[str, str]:
    """The practice's e-mail settings for sending through `server`."""
    return {"smtp.host": "127.0.0.1", "smtp.port": str(server.port), "smtp.security": "none",
            "smtp.from": sender}
