"""E-mail over SMTP: multipart plain text and HTML, with an iCalendar part so the
client's calendar follows the session."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from app.i18n import _
from app.services.channels import ChannelError, NotConfigured, Outgoing, text

TIMEOUT = 20


def build(cfg: dict[str, str], msg: Outgoing) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = text.header_value(msg.subject)
    mail["From"] = formataddr((text.header_value(cfg["smtp.from_name"] or ""),
                               msg.sender or cfg["smtp.from"]))
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


def send(cfg: dict[str, str], password: str | None, msg: Outgoing) -> str:
    if not cfg["smtp.host"] or not cfg["smtp.from"]:
        raise NotConfigured(_("E-mail is not set up: fill in the SMTP server and the sender "
                              "address in Settings › Integrations."))
    mail = build(cfg, msg)
    host, port, security = cfg["smtp.host"], int(cfg["smtp.port"]), cfg["smtp.security"]
    try:
        if security == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT,
                                                    context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, port, timeout=TIMEOUT)
        with server:
            if security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if cfg["smtp.user"]:
                server.login(cfg["smtp.user"], password or "")
            server.send_message(mail)
    except smtplib.SMTPAuthenticationError:
        raise ChannelError(_("The e-mail server refused the user name or password: check "
                             "them in Settings › Integrations."), retry=False,
                           code="auth") from None
    except smtplib.SMTPRecipientsRefused:
        raise ChannelError(_("The e-mail server refused the address {to}: check the client's "
                             "e-mail.").format(to=msg.to), retry=False, code="recipient") from None
    except smtplib.SMTPResponseException as exc:
        transient = 400 <= exc.smtp_code < 500
        raise ChannelError(_("The e-mail server answered {code}.").format(code=exc.smtp_code),
                           retry=transient, code=str(exc.smtp_code)) from None
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        raise ChannelError(_("The e-mail server could not be reached ({kind}); it will be "
                             "tried again.").format(kind=type(exc).__name__), retry=True,
                           code="network") from None
    return str(mail["Message-ID"])
