"""Testar for e-mail: the practice's address sends a message to itself (logging in
as set up), and, with the reply mailbox set, the message is looked for in that
mailbox over IMAP until it arrives or a time limit passes. Each step says its
failure in a sentence naming the cause (the server's answer, classified with the
codes of channels.email: auth, certificate, tls, network, not_supported,
insecure, configuration; and not_arrived) and is recorded through
channel_checks.checked: "email" for sending, "imap" for the mailbox.

IMAP: RFC 3501 (LOGIN §6.2.3, SELECT §6.3.1, NOOP §6.1.2 to hear of new mail,
UID SEARCH HEADER §6.4.4 to find the message by its Message-ID)."""

from __future__ import annotations

import imaplib
import secrets as random
import ssl
import time
from contextlib import suppress
from dataclasses import dataclass
from email.utils import make_msgid

from app.i18n import _
from app.services import channel_checks, config, secrets
from app.services.channels import ChannelError, Outgoing, email
from app.services.channels.mail_providers import app_password_hint
from app.services.errors import PracticeError
from app.services.practice import Practice
from app.services.values import login_in_clear

TIMEOUT = 20  # seconds for one connection step, as channels.email
ARRIVAL = 60.0  # seconds the message is looked for in the mailbox


class MailCheckFailed(PracticeError):
    """A step of the e-mail test failed; code: as ChannelError's for e-mail, or
    "not_arrived"."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Sent:
    to: str  # the practice's own address
    message_id: str  # "<…@domain>", unique to this test
    subject: str


@dataclass(frozen=True)
class Arrived:
    seconds: float  # from the search's start to the message being found
    folder: str


def mailbox_set(cfg: dict[str, str]) -> bool:
    """Whether the reply mailbox (IMAP) is filled in enough to look in it."""
    return bool(cfg["imap.host"] and cfg["imap.user"])


# ---------------------------------------------------------------- sending

def send_to_self(p: Practice) -> Sent:
    """Sends one test message from the practice's address to itself, logging in
    as set up. Raises MailCheckFailed."""
    cfg = config.get_all(p)
    to = cfg["smtp.from"]
    if not to:
        raise MailCheckFailed(_("Fill in the practice's e-mail address (the sender "
                                "address) first: the test message goes to it."), "not_configured")
    try:
        password = secrets.load("smtp.password")
    except secrets.SecretsUnavailable as exc:
        raise MailCheckFailed(str(exc), "keyring") from None
    code = random.token_hex(4)
    message_id = make_msgid(idstring=f"practice-desk-test-{code}", domain=to.rsplit("@", 1)[1])
    subject = _("Practice Desk: e-mail test {code}").format(code=code)
    body = _("Practice Desk sent this message to check the practice's e-mail settings. "
             "You can delete it.")
    try:
        email.send(cfg, password, Outgoing(to=to, subject=subject, text=body,
                                           message_id=message_id))
    except ChannelError as exc:
        raise MailCheckFailed(str(exc), exc.code or "configuration") from None
    return Sent(to, message_id, subject)


def check_sending(p: Practice) -> Sent:
    """send_to_self, recorded as the "email" channel's check."""
    return channel_checks.checked(
        p, "email", lambda: send_to_self(p),
        lambda sent: _("The server took a test message to {to}.").format(to=sent.to))


# ---------------------------------------------------------------- the mailbox

def _answer(exc: BaseException) -> str:
    """What an IMAP server said (imaplib's errors carry its bytes), as one line."""
    said = exc.args[0] if exc.args else ""
    said = said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)
    return " ".join(said.split())[:200]


def _connect(cfg: dict[str, str]) -> imaplib.IMAP4:
    host, port, security = cfg["imap.host"], cfg["imap.port"], cfg["imap.security"]
    try:
        if security == "ssl":
            return imaplib.IMAP4_SSL(host, int(port), ssl_context=ssl.create_default_context(),
                                     timeout=TIMEOUT)
        imap = imaplib.IMAP4(host, int(port), timeout=TIMEOUT)
        if security == "starttls":
            try:
                imap.starttls(ssl.create_default_context())
            except BaseException:
                with suppress(OSError, imaplib.IMAP4.error):
                    imap.shutdown()
                raise
        return imap
    except ssl.SSLCertVerificationError as exc:
        raise MailCheckFailed(_("The mail server's certificate could not be verified "
                                "({reason}): check the server's name in Settings › "
                                "Integrations.").format(
            reason=exc.verify_message or exc.reason), "certificate") from None
    except ssl.SSLError as exc:
        raise MailCheckFailed(_("A secure connection to the mail server failed ({reason}): "
                                "check that the port matches the security chosen in Settings "
                                "› Integrations (SSL is usually 993).").format(
            reason=exc.reason or type(exc).__name__), "tls") from None
    except ConnectionRefusedError:
        raise MailCheckFailed(_("The mail server {host} could not be reached on port {port}: "
                                "it refused the connection. Check the server and port in "
                                "Settings › Integrations (993 for SSL, 143 for STARTTLS).")
                              .format(host=host, port=port), "network") from None
    except TimeoutError:
        raise MailCheckFailed(_("The mail server {host} could not be reached on port {port}: "
                                "it did not answer within {seconds} seconds. Check the server "
                                "and port in Settings › Integrations, and the network.")
                              .format(host=host, port=port, seconds=TIMEOUT), "network") \
            from None
    except imaplib.IMAP4.error as exc:
        if "STARTTLS" in str(exc).upper():
            raise MailCheckFailed(_("The mail server does not offer STARTTLS on this port: "
                                    "choose SSL (usually port 993) in Settings › "
                                    "Integrations."), "not_supported") from None
        raise MailCheckFailed(_("Cannot reach the mail server {host}: {problem}").format(
            host=host, problem=_answer(exc)), "configuration") from None
    except OSError as exc:
        raise MailCheckFailed(_("Cannot reach the mail server {host}: {problem}").format(
            host=host, problem=exc.strerror or type(exc).__name__), "network") from None


def _log_in(imap: imaplib.IMAP4, cfg: dict[str, str], password: str) -> None:
    if "LOGINDISABLED" in imap.capabilities:
        # RFC 3501 §6.2.3: the server takes no LOGIN before the connection is encrypted.
        raise MailCheckFailed(_("The mail server does not accept a login on an unencrypted "
                                "connection: choose STARTTLS or SSL in Settings › "
                                "Integrations."), "insecure")
    try:
        imap.login(cfg["imap.user"], password)
    except imaplib.IMAP4.error as exc:
        refused = _("The mail server refused the user or the password ({answer}): check them "
                    "in Settings › Integrations.").format(answer=_answer(exc))
        hint = app_password_hint(cfg["imap.user"], cfg["imap.host"])
        raise MailCheckFailed(f"{refused} {hint}" if hint else refused, "auth") from None


def _quoted(value: str) -> str:
    """An IMAP quoted string (RFC 3501 §4.3)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def find_arrival(p: Practice, sent: Sent, within: float = ARRIVAL,
                 every: float = 2.0) -> Arrived:
    """Looks in the reply mailbox for the message `sent`, by its Message-ID, every
    `every` seconds for at most `within` seconds. Raises MailCheckFailed."""
    cfg = config.get_all(p)
    if not mailbox_set(cfg):
        raise MailCheckFailed(_("The mailbox for e-mail replies is not set up: fill in the "
                                "IMAP server and user in Settings › Integrations."),
                              "not_configured")
    in_clear = login_in_clear(cfg, "imap")
    if in_clear:
        raise MailCheckFailed(in_clear, "insecure")
    try:
        password = secrets.load("imap.password") or ""
    except secrets.SecretsUnavailable as exc:
        raise MailCheckFailed(str(exc), "keyring") from None
    folder = cfg["imap.folder"] or "INBOX"
    started = time.monotonic()
    imap = _connect(cfg)
    try:
        _log_in(imap, cfg, password)
        typ, _data = imap.select(folder, readonly=True)
        if typ != "OK":
            raise MailCheckFailed(_("The mail folder {folder} does not exist.").format(
                folder=folder), "configuration")
        while True:
            typ, data = imap.uid("SEARCH", "HEADER", "Message-ID", _quoted(sent.message_id))
            if typ == "OK" and data and (data[0] or b"").split():
                return Arrived(time.monotonic() - started, folder)
            if time.monotonic() - started + every > within:
                break
            time.sleep(every)
            imap.noop()  # RFC 3501 §6.1.2: the server tells of mail that came meanwhile
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailCheckFailed(_("Reading the mailbox failed: {problem}").format(
            problem=_answer(exc) or type(exc).__name__), "network") from None
    finally:
        with suppress(OSError, imaplib.IMAP4.error):
            imap.logout()
    raise MailCheckFailed(_("The test message went out to {to} but did not arrive in the "
                            "mailbox {user} ({folder}) within {seconds} seconds: check that "
                            "the mailbox is the sender address's own, and look for the "
                            "message in the spam folder.").format(
        to=sent.to, user=cfg["imap.user"], folder=folder, seconds=round(within)),
        "not_arrived")


def check_arrival(p: Practice, sent: Sent, within: float = ARRIVAL,
                  every: float = 2.0) -> Arrived:
    """find_arrival, recorded as the "imap" channel's check."""
    return channel_checks.checked(
        p, "imap", lambda: find_arrival(p, sent, within, every),
        lambda arrived: _("The test message arrived in the mailbox ({folder}) after {seconds} "
                          "seconds.").format(folder=arrived.folder,
                                             seconds=max(1, round(arrived.seconds))))
