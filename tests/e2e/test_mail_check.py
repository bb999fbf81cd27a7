"""Testar for e-mail, against the project's SMTP and IMAP servers on loopback over
TLS: the practice's address sends to itself, logging in; the submission server
delivers into the mailbox, where the message is found by its Message-ID. Each
failure is a sentence naming its cause, recorded as the channel's last check."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.services import channel_checks, config, secrets
from app.services.channels import mail_check
from app.services.channels.mail_check import MailCheckFailed
from app.services.practice import Practice
from tests.fakes import tls
from tests.fakes.imap import ImapServer, Mailbox
from tests.fakes.smtp import SmtpServer, free_port

ADDRESS = "contato@bemestar.example"
PASSWORD = "app-pass-2026"


@pytest.fixture
def trusted(monkeypatch: pytest.MonkeyPatch) -> tls.Certificate:
    """The loopback certificate trusted as a real provider's would be."""
    certificate = tls.loopback()
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
    return certificate


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox(user=ADDRESS, password=PASSWORD)


@pytest.fixture
def imap(trusted: tls.Certificate, mailbox: Mailbox) -> Iterator[ImapServer]:
    with ImapServer(mailbox, tls=trusted.server_context()) as server:
        yield server


@pytest.fixture
def smtp(trusted: tls.Certificate, mailbox: Mailbox) -> Iterator[SmtpServer]:
    with SmtpServer(users={ADDRESS: PASSWORD}, tls=trusted.server_context(),
                    deliver_to=mailbox) as server:
        yield server


def set_up(p: Practice, smtp_port: int, imap_port: int | None = None,
           password: str = PASSWORD, address: str = ADDRESS, **more: str) -> None:
    values = {"smtp.host": "127.0.0.1", "smtp.port": str(smtp_port),
              "smtp.security": "starttls", "smtp.user": address, "smtp.from": address}
    if imap_port is not None:
        values.update({"imap.host": "127.0.0.1", "imap.port": str(imap_port),
                       "imap.security": "ssl", "imap.user": address})
        secrets.store("imap.password", password)
    values.update(more)
    config.set_values(p, values)
    secrets.store("smtp.password", password)


def test_the_message_goes_out_and_arrives(practice: Practice, smtp: SmtpServer,
                                          imap: ImapServer) -> None:
    set_up(practice, smtp.port, imap.port)
    sent = mail_check.check_sending(practice)
    assert smtp.handler.logins == [ADDRESS]
    (received,) = smtp.received
    assert received.recipients == [ADDRESS] and received.sender == ADDRESS
    assert received.message["Message-ID"] == sent.message_id
    assert received.message["Subject"] == sent.subject
    arrived = mail_check.check_arrival(practice, sent, within=5, every=0.2)
    assert arrived.folder == "INBOX" and arrived.seconds < 5
    assert imap.box.logins == 1 and len(imap.box.mails) == 1
    checks = channel_checks.latest(practice)
    assert checks["email"].ok and checks["email"].said == \
        f"The server took a test message to {ADDRESS}."
    assert checks["imap"].ok and checks["imap"].said.startswith(
        "The test message arrived in the mailbox (INBOX)")


def test_each_test_message_is_told_apart(practice: Practice, smtp: SmtpServer,
                                         imap: ImapServer) -> None:
    """An earlier test's message in the mailbox does not count for this one."""
    set_up(practice, smtp.port, imap.port)
    mail_check.send_to_self(practice)
    smtp.handler.deliver_to = None  # this one is lost on the way
    second = mail_check.send_to_self(practice)
    with pytest.raises(MailCheckFailed) as caught:
        mail_check.check_arrival(practice, second, within=1, every=0.2)
    assert caught.value.code == "not_arrived"
    assert str(caught.value) == (
        f"The test message went out to {ADDRESS} but did not arrive in the mailbox "
        f"{ADDRESS} (INBOX) within 1 seconds: check that the mailbox is the sender "
        "address's own, and look for the message in the spam folder.")
    assert not channel_checks.latest(practice)["imap"].ok
    assert len(imap.box.mails) == 1


def test_a_wrong_password_says_the_servers_answer(practice: Practice,
                                                  smtp: SmtpServer) -> None:
    set_up(practice, smtp.port, password="my-usual-password")
    with pytest.raises(MailCheckFailed) as caught:
        mail_check.check_sending(practice)
    assert caught.value.code == "auth"
    assert str(caught.value) == (
        "The e-mail server refused the user name or password (535 5.7.8 Authentication "
        "credentials invalid): check them in Settings › Integrations.")
    # smtplib tries each login method the server offers (PLAIN, LOGIN) before giving up
    assert smtp.handler.refused_logins >= 1 and smtp.handler.logins == []
    assert smtp.received == []
    last = channel_checks.latest(practice)["email"]
    assert not last.ok and last.said == str(caught.value)


@pytest.mark.parametrize(("address", "words"), [
    ("clinica@gmail.com", "Gmail takes only an app password here: create one in your "
                          "Google Account › Security › 2-Step Verification › App passwords"),
    ("clinica@outlook.com", "Outlook takes only an app password here: create one in your "
                            "Microsoft account › Security › Advanced security options"),
    ("clinica@icloud.com", "iCloud Mail takes only an app-specific password here: create "
                           "one in your Apple Account › Sign-In and Security"),
])
def test_a_wrong_password_at_a_big_provider_names_its_app_password(
        practice: Practice, trusted: tls.Certificate, address: str, words: str) -> None:
    with SmtpServer(users={address: PASSWORD}, tls=trusted.server_context()) as smtp:
        set_up(practice, smtp.port, password="my-usual-password", address=address)
        with pytest.raises(MailCheckFailed) as caught:
            mail_check.check_sending(practice)
    assert caught.value.code == "auth"
    assert str(caught.value).startswith("The e-mail server refused the user name or password "
                                        "(535 5.7.8")
    assert words in str(caught.value)


def test_a_wrong_mailbox_password_says_the_servers_answer(practice: Practice, smtp: SmtpServer,
                                                          imap: ImapServer) -> None:
    set_up(practice, smtp.port, imap.port)
    sent = mail_check.check_sending(practice)
    secrets.store("imap.password", "wrong")
    with pytest.raises(MailCheckFailed) as caught:
        mail_check.check_arrival(practice, sent, within=1, every=0.2)
    assert (caught.value.code, str(caught.value)) == ("auth", (
        "The mail server refused the user or the password ([AUTHENTICATIONFAILED] Invalid "
        "credentials (Failure)): check them in Settings › Integrations."))
    assert imap.box.refused_logins == 1


def test_ssl_chosen_for_a_starttls_port_is_a_tls_failure(practice: Practice,
                                                         smtp: SmtpServer) -> None:
    set_up(practice, smtp.port, **{"smtp.security": "ssl"})
    with pytest.raises(MailCheckFailed) as caught:
        mail_check.check_sending(practice)
    assert caught.value.code == "tls"
    assert str(caught.value).startswith("A secure connection to the e-mail server failed (")
    assert str(caught.value).endswith("check that the port matches the security chosen in "
                                      "Settings › Integrations (SSL is usually 465, STARTTLS "
                                      "587).")


def test_a_certificate_that_is_not_trusted(practice: Practice, smtp: SmtpServer,
                                           imap: ImapServer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    set_up(practice, smtp.port, imap.port)
    sent = mail_check.send_to_self(practice)
    monkeypatch.delenv("SSL_CERT_FILE")  # the system's authorities only: ours is unknown
    with pytest.raises(MailCheckFailed) as caught:
        mail_check.check_sending(practice)
    assert caught.value.code == "certificate"
    assert str(caught.value).startswith("The e-mail server's certificate could not be verified")
    with pytest.raises(MailCheckFailed) as caught:
        mail_check.check_arrival(practice, sent, within=1)
    assert caught.value.code == "certificate"
    assert str(caught.value).startswith("The mail server's certificate could not be verified")


def test_nobody_listening_is_said_as_such(practice: Practice, trusted: tls.Certificate) -> None:
    port = free_port()
    set_up(practice, port, free_port())
    with pytest.raises(MailCheckFailed) as caught:
        mail_check.check_sending(practice)
    assert (caught.value.code, str(caught.value)) == ("network", (
        f"The e-mail server 127.0.0.1 could not be reached on port {port}: it refused the "
        "connection. Check the server and port in Settings › Integrations (587 for STARTTLS, "
        "465 for SSL)."))
    sent = mail_check.Sent(ADDRESS, "<x@bemestar.example>", "test")
    with pytest.raises(MailCheckFailed, match=r"The mail server 127\.0\.0\.1 could not be "
                       r"reached on port \d+: it refused the connection"):
        mail_check.check_arrival(practice, sent, within=1)


def test_an_imap_port_that_does_not_speak_tls(practice: Practice, smtp: SmtpServer,
                                              mailbox: Mailbox) -> None:
    with ImapServer(mailbox) as plain:
        set_up(practice, smtp.port, plain.port)
        sent = mail_check.send_to_self(practice)
        with pytest.raises(MailCheckFailed) as caught:
            mail_check.check_arrival(practice, sent, within=1)
    assert caught.value.code == "tls"
    assert "A secure connection to the mail server failed" in str(caught.value)


def test_starttls_to_the_mailbox(practice: Practice, smtp: SmtpServer, mailbox: Mailbox,
                                 trusted: tls.Certificate) -> None:
    with ImapServer(mailbox, starttls=trusted.server_context()) as imap:
        set_up(practice, smtp.port, imap.port, **{"imap.security": "starttls"})
        sent = mail_check.send_to_self(practice)
        assert mail_check.find_arrival(practice, sent, within=3, every=0.2).folder == "INBOX"
