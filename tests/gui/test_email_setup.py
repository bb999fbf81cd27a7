"""Configurações › Integrações › E-mail, as a practice sets it up: it types its
address and presses Find settings; the servers come from a fake autoconfig server
on loopback (the domain's own file, or Mozilla's ISPDB) and fill both the sending
and the mailbox boxes, with the source said; it types the password and presses
Test, which sends to its own address through a real SMTP server on loopback
(STARTTLS, a login) and finds the message in a real IMAP mailbox (SSL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.services import channel_checks, config, secrets
from app.services.practice import Practice
from app.ui.main_window import PAGES, MainWindow
from tests.fakes import tls
from tests.fakes.autoconfig import AutoconfigServer, client_config
from tests.fakes.imap import ImapServer, Mailbox
from tests.fakes.nameserver import NameServer
from tests.fakes.smtp import SmtpServer

ADDRESS = "contato@bemestar.example"
PASSWORD = "app-pass-2026"


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[AutoconfigServer, SmtpServer,
                                                              ImapServer, NameServer]]:
    certificate = tls.loopback()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate.cert))
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
    mailbox = Mailbox(user=ADDRESS, password=PASSWORD)
    with AutoconfigServer(certificate.server_context()) as web, \
            SmtpServer(users={ADDRESS: PASSWORD}, tls=certificate.server_context(),
                       deliver_to=mailbox) as smtp, \
            ImapServer(mailbox, tls=certificate.server_context()) as imap, \
            NameServer() as names:
        web.data.domain_files["bemestar.example"] = client_config(
            "bemestar.example", name="Bem-Estar", smtp=("127.0.0.1", smtp.port, "STARTTLS"),
            imap=("127.0.0.1", imap.port, "SSL"))
        web.data.ispdb["gmail.com"] = client_config(
            "gmail.com", name="Google Mail", smtp=("smtp.gmail.com", 465, "SSL"),
            imap=("imap.gmail.com", 993, "SSL"))
        yield web, smtp, imap, names


def open_integrations(qtbot: QtBot, w: MainWindow, servers: Any) -> Any:
    w.nav.setCurrentRow(PAGES.index("settings"))
    page = w.settings_page
    page.tabs.setCurrentIndex(page.tabs.indexOf(page.integrations))
    tab = page.integrations
    qtbot.waitUntil(lambda: tab.loaded, timeout=3000)
    w.tasks.wait()
    # Find settings asks the fakes, and DNS only the loopback name server.
    web, _smtp, _imap, names = servers
    tab.email.sources = web.sources(resolver=names.resolver(), smtp_ports=(), imap_ports=())
    return tab


def field(box: Any, key: str) -> Any:
    return next(widget for k, _label, widget in box.fields if k == key)


def test_from_the_address_to_a_working_test(qtbot: QtBot, window: MainWindow,
                                            practice: Practice, servers: Any) -> None:
    _web, smtp, imap, _names = servers
    tab = open_integrations(qtbot, window, servers)
    box = tab.email
    qtbot.keyClicks(box.address, ADDRESS)
    qtbot.mouseClick(box.find_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.found.text().startswith("Found"), timeout=10_000)
    assert box.found.text() == (
        "Found in your domain's settings (127.0.0.1). The mailbox for clients' replies is "
        "filled in too. Check the fields, type the password and press Test.")
    assert field(box, "smtp.host").text() == "127.0.0.1"
    assert field(box, "smtp.port").text() == str(smtp.port)
    assert field(box, "smtp.security").currentData() == "starttls"
    assert field(box, "smtp.user").text() == ADDRESS
    assert field(tab.mailbox, "imap.port").text() == str(imap.port)
    assert field(tab.mailbox, "imap.security").currentData() == "ssl"
    assert field(tab.mailbox, "imap.user").text() == ADDRESS
    assert "Gmail, Outlook and iCloud" in box.password_hint.text()
    assert config.get(practice, "smtp.host") == ""  # nothing saved before Save or Test

    qtbot.keyClicks(box.secret, "my-usual-password")
    qtbot.mouseClick(box.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.result.text().startswith("⚠"), timeout=10_000)
    assert box.result.text() == (
        "⚠ The e-mail server refused the user name or password (535 5.7.8 Authentication "
        "credentials invalid): check them in Settings › Integrations.")
    assert smtp.received == [] and not channel_checks.latest(practice)["email"].ok

    qtbot.keyClicks(box.secret, PASSWORD)
    qtbot.mouseClick(box.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.result.text().startswith("E-mail works"), timeout=15_000)
    assert box.result.text().startswith("E-mail works: the test message was sent and arrived "
                                        "in the mailbox after ")
    (received,) = smtp.received
    assert received.recipients == [ADDRESS] and smtp.handler.logins[-1] == ADDRESS
    assert len(imap.box.mails) == 1 and imap.box.logins == 1
    assert secrets.load("smtp.password") == PASSWORD == secrets.load("imap.password")
    cfg = config.get_all(practice)
    assert (cfg["smtp.from"], cfg["smtp.port"], cfg["imap.port"]) == (
        ADDRESS, str(smtp.port), str(imap.port))
    checks = channel_checks.latest(practice)
    assert checks["email"].ok and checks["imap"].ok
    assert box.secret.text() == "" and PASSWORD not in box.result.text()

    # The mailbox box reads with the password it was given beside the sending one.
    qtbot.mouseClick(tab.mailbox.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.mailbox.result.text().startswith("Read."), timeout=10_000)
    assert channel_checks.latest(practice)["imap"].said == \
        "Read. 0 client replies put in Conecta."


def test_a_provider_from_mozillas_database(qtbot: QtBot, window: MainWindow,
                                           practice: Practice, servers: Any) -> None:
    tab = open_integrations(qtbot, window, servers)
    box = tab.email
    qtbot.keyClicks(box.address, "clinica@gmail.com")
    qtbot.keyClick(box.address, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: box.found.text().startswith("Found"), timeout=10_000)
    assert box.found.text().startswith("Found in Mozilla's database of providers: Google "
                                       "Mail.")
    assert (field(box, "smtp.host").text(), field(box, "smtp.port").text()) == (
        "smtp.gmail.com", "465")
    assert field(box, "smtp.security").currentData() == "ssl"
    assert box.password_hint.text().startswith("With two-step verification on, Gmail takes "
                                               "only an app password here")
    assert field(tab.mailbox, "imap.host").text() == "imap.gmail.com"


def test_an_address_that_is_not_one(qtbot: QtBot, window: MainWindow, practice: Practice,
                                    servers: Any) -> None:
    web, _smtp, _imap, _names = servers
    tab = open_integrations(qtbot, window, servers)
    box = tab.email
    qtbot.keyClicks(box.address, "contato.bemestar.example")
    qtbot.mouseClick(box.find_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.found.text().startswith("⚠"), timeout=5000)
    assert box.found.text() == "⚠ 'contato.bemestar.example' is not a valid e-mail address."
    assert box.find_button.isEnabled() and field(box, "smtp.host").text() == ""
    assert web.asked() == []


def test_guessed_servers_are_said_to_be_guesses(qtbot: QtBot, window: MainWindow,
                                                practice: Practice, servers: Any) -> None:
    """Nothing published for the domain: smtp.{domain} answers on the submission
    port and is proposed as a guess; imap.{domain}'s certificate is not for that
    name, so no mailbox is proposed, and the form says both."""
    web, smtp, imap, names = servers
    tab = open_integrations(qtbot, window, servers)
    names.add("smtp.outra.example", "A", "127.0.0.1")
    names.add("imap.outra.example", "A", "127.0.0.1")
    tab.email.sources = web.sources(resolver=names.resolver(),
                                    smtp_ports=((smtp.port, "starttls"),),
                                    imap_ports=((imap.port, "ssl"),))
    box = tab.email
    qtbot.keyClicks(box.address, "contato@outra.example")
    qtbot.mouseClick(box.find_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.found.text().startswith("Guessed"), timeout=10_000)
    assert box.found.text() == (
        "Guessed from common server names (smtp.outra.example) — check them. No mailbox "
        "(IMAP) was found: fill in the box below for clients' replies to reach Conecta. "
        "Check the fields, type the password and press Test.")
    assert (field(box, "smtp.host").text(), field(box, "smtp.port").text()) == (
        "smtp.outra.example", str(smtp.port))
    assert field(tab.mailbox, "imap.host").text() == ""
