"""E-mail over SMTP: multipart plain text and HTML, with an iCalendar part so the
client's calendar follows the session."""

from __future__ import annotations

import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING

from app.i18n import _
from app.models.enums import Channel
from app.services import channel_setup
from app.services.channels import ChannelError, NotConfigured, OutcomeUnknown, Outgoing, text
from app.services.channels.mail_providers import app_password_hint
from app.services.values import login_in_clear

if TYPE_CHECKING:
    from typing_extensions import Buffer

TIMEOUT = 20


class _Watched(smtplib.SMTP):
    """Notes when the message's closing dot left: from then until the server's
    reply the server may have taken the message (RFC 5321 §4.1.1.4; RFC 1047, the
    duplicate message problem), so a lost reply is an unknown outcome."""

    dot_sent = False

    def send(self, s: Buffer | str) -> None:
        super().send(s)
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.dot_sent = True


class _WatchedSSL(_Watched, smtplib.SMTP_SSL):
    pass


def build(cfg: dict[str, str], msg: Outgoing) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = text.header_value(msg.subject)
    # An Address, not a formatted string: the header is then quoted and encoded as a
    # whole (a comma, colon or accent in the practice's name stays in the name).
    mail["From"] = Address(display_name=text.header_value(cfg["smtp.from_name"] or ""),
                           addr_spec=msg.sender or cfg["smtp.from"])
    mail["To"] = msg.to
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = msg.message_id or make_msgid(domain=cfg["smtp.from"].split("@")[-1])
    if msg.in_reply_to:
        mail["In-Reply-To"] = text.header_value(msg.in_reply_to)
    if msg.references:
        mail["References"] = _references(msg.references)
    mail.set_content(msg.text)
    if msg.html:
        mail.add_alternative(msg.html, subtype="html")
    if msg.calendar:
        mail.add_attachment(msg.calendar, maintype="text", subtype="calendar",
                            filename="invite.ics", params={"method": msg.calendar_method})
    return mail


def _references(ids: tuple[str, ...], limit: int = 900) -> str:
    """The thread's ids (they came in other people's mail), one line each; when
    they are too many for a header, the first and the newest ones (RFC 5322 §3.6.4)."""
    clean = [one for one in map(text.one_line, ids) if one]
    first, rest = clean[:1], clean[1:]
    newest: list[str] = []
    for one in reversed(rest):
        if len(" ".join([*first, one, *newest])) > limit:
            break
        newest.insert(0, one)
    return " ".join([*first, *newest])


def _transient(code: int) -> bool:
    """RFC 5321 §4.2.1: 4yz replies are transient failures, 5yz permanent."""
    return 400 <= code < 500


def _said(answer: bytes | str) -> str:
    """What the server said, as one short line of plain text."""
    raw = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else answer
    return text.shorten(text.one_line(raw), 200)


def _not_offered(problem: str, security: str) -> str:
    """The server lacks what the settings ask of it (Python's SMTPNotSupportedError)."""
    if "STARTTLS" in problem.upper():
        return _("The e-mail server does not offer STARTTLS on this port: choose SSL (usually "
                 "port 465) in Settings › Integrations, or ask the provider which to use.")
    if security == "none":
        return _("The mail server does not accept a login on an unencrypted connection: "
                 "choose STARTTLS or SSL in Settings › Integrations.")
    return _("The e-mail server does not accept a login: leave the user empty, or check the "
             "server and port in Settings › Integrations.")


def send(cfg: dict[str, str], password: str | None, msg: Outgoing) -> str:
    unset = channel_setup.missing(Channel.EMAIL, cfg, password is not None)
    if unset:  # the same words the dispatcher skips with
        raise NotConfigured(unset)
    in_clear = login_in_clear(cfg, "smtp")
    if in_clear:  # saved before this was refused: the password stays here
        raise ChannelError(in_clear, retry=False, code="insecure")
    mail = build(cfg, msg)
    host, port, security = cfg["smtp.host"], int(cfg["smtp.port"]), cfg["smtp.security"]
    server: _Watched | None = None
    try:
        if security == "ssl":
            server = _WatchedSSL(host, port, timeout=TIMEOUT,
                                 context=ssl.create_default_context())
        else:
            server = _Watched(host, port, timeout=TIMEOUT)
        if security == "starttls":
            server.starttls(context=ssl.create_default_context())
        if cfg["smtp.user"]:
            server.login(cfg["smtp.user"], password or "")
        server.send_message(mail)
    except smtplib.SMTPDataError as exc:
        _close(server)
        if not 200 <= exc.smtp_code < 300:
            raise _refusal(exc, msg, security, cfg) from None
        # RFC 5321 §4.2.1: 2yz is success; smtplib wants 250 exactly, but the server
        # took the message.
    except OSError as exc:  # smtplib's and ssl's errors are OSErrors too
        _close(server)
        if server is not None and server.dot_sent and \
                not isinstance(exc, smtplib.SMTPResponseException):
            raise OutcomeUnknown(_(
                "The e-mail server did not answer after the message was handed over ({why}), "
                "so it may or may not have been sent.").format(
                why=_said(str(exc)) or type(exc).__name__),
                "timeout" if "timed out" in str(exc) else "dropped") from None
        raise _refusal(exc, msg, security, cfg) from None
    else:
        # Taken (250 after the data): whatever happens at QUIT, the message was sent.
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            _close(server)
    return str(mail["Message-ID"])


def _close(server: smtplib.SMTP | None) -> None:
    if server is not None:
        server.close()


def _wants_login(exc: OSError) -> bool:
    """530 (RFC 4954 §6, authentication required) at MAIL, or a recipient refused
    because the server relays only for users who logged in ("Relay access denied",
    "relaying denied"): the client's address is not at fault, the settings are."""
    if isinstance(exc, smtplib.SMTPSenderRefused):
        said = [(exc.smtp_code, exc.smtp_error)]
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        said = list(exc.recipients.values())
    else:
        return False
    return any(code == 530 or b"relay" in (text if isinstance(text, bytes) else
                                           str(text).encode()).lower()
               for code, text in said)


def _refusal(exc: OSError, msg: Outgoing, security: str,
             cfg: dict[str, str] | None = None) -> ChannelError:
    """A failure that came before the server took the message, in plain words.
    cfg: the settings used, to name the server and, when the password was
    refused, the app password a big provider wants."""
    cfg = cfg or {}
    host, port = cfg.get("smtp.host", ""), cfg.get("smtp.port", "")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        refused = _("The e-mail server refused the user name or password ({answer}): check "
                    "them in Settings › Integrations.").format(
            answer=_said(f"{exc.smtp_code} {_said(exc.smtp_error)}"))
        hint = app_password_hint(cfg.get("smtp.user", ""), host, cfg.get("smtp.from", ""))
        return ChannelError(f"{refused} {hint}" if hint else refused, retry=False,
                            code="auth")
    if isinstance(exc, smtplib.SMTPNotSupportedError) and "SMTPUTF8" in str(exc):
        # RFC 6531: an address with letters beyond ASCII needs the server's SMTPUTF8.
        return ChannelError(_("The address {to} has letters the e-mail server cannot carry "
                              "(it lacks SMTPUTF8): ask the client for another address, or "
                              "use a server that offers it.").format(to=msg.to),
                            retry=False, code="smtputf8")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return ChannelError(_not_offered(str(exc), security), retry=False,
                            code="not_supported")
    if _wants_login(exc):
        return ChannelError(_("The e-mail server only sends mail for those who log in: fill "
                              "in the user and password in Settings › Integrations."),
                            retry=False, code="login_required")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return ChannelError(_("The e-mail server refused the sender address {sender} ({code}): "
                              "use the account's own address in Settings › Integrations.")
                            .format(sender=exc.sender, code=exc.smtp_code),
                            retry=_transient(exc.smtp_code), code=str(exc.smtp_code))
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _said in exc.recipients.values()]
        if codes and all(_transient(code) for code in codes):
            return ChannelError(_("The e-mail server cannot take mail for {to} just now "
                                  "({code}).").format(to=msg.to, code=codes[0]), retry=True,
                                code=str(codes[0]))
        return ChannelError(_("The e-mail server refused the address {to}: check the client's "
                              "e-mail.").format(to=msg.to), retry=False, code="recipient")
    if isinstance(exc, smtplib.SMTPResponseException):
        if _transient(exc.smtp_code):
            return ChannelError(_("The e-mail server is busy ({code}).")
                                .format(code=exc.smtp_code), retry=True,
                                code=str(exc.smtp_code))
        return ChannelError(_("The e-mail server refused the message ({code}: {detail}).")
                            .format(code=exc.smtp_code, detail=_said(exc.smtp_error)),
                            retry=False, code=str(exc.smtp_code))
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ChannelError(_("The e-mail server's certificate could not be verified ({reason}): "
                              "check the server's name in Settings › Integrations.").format(
            reason=exc.verify_message or exc.reason), retry=False, code="certificate")
    if isinstance(exc, ssl.SSLError):
        return ChannelError(_("A secure connection to the e-mail server failed ({reason}): "
                              "check that the port matches the security chosen in Settings › "
                              "Integrations (SSL is usually 465, STARTTLS 587).").format(
            reason=exc.reason or type(exc).__name__), retry=False, code="tls")
    if isinstance(exc, smtplib.SMTPException) and \
            not isinstance(exc, smtplib.SMTPServerDisconnected):
        # e.g. no login method both sides know
        return ChannelError(_("The e-mail server cannot be used as set up ({problem}): check "
                              "Settings › Integrations.").format(problem=_said(str(exc))),
                            retry=False, code="configuration")
    if isinstance(exc, ConnectionRefusedError) and host:
        return ChannelError(_("The e-mail server {host} could not be reached on port {port}: "
                              "it refused the connection. Check the server and port in "
                              "Settings › Integrations (587 for STARTTLS, 465 for SSL).")
                            .format(host=host, port=port), retry=True, code="network")
    if isinstance(exc, TimeoutError) and host:
        return ChannelError(_("The e-mail server {host} could not be reached on port {port}: "
                              "it did not answer within {seconds} seconds. Check the server "
                              "and port in Settings › Integrations, and the network.")
                            .format(host=host, port=port, seconds=TIMEOUT), retry=True,
                            code="network")
    return ChannelError(_("The e-mail server could not be reached ({kind}).")
                        .format(kind=type(exc).__name__), retry=True, code="network")
