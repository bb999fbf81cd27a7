"""Sets a practice up to reach its clients from Configurações › Integrações, as a
person would, in Portuguese and in English, at 1366×768, and saves a picture of
each step (a wrong value caught, then the right one) to
docs/screenshots/integrations/<language>-<nn>-<step>.png (`make screenshots`;
docs/WALKTHROUGH.md shows them). The services are stand-ins on this computer: the
real relay (its practice added as its administrator adds one), and the project's
fakes of the Graph API, Twilio, an SMTP server, an IMAP mailbox and a provider's
autoconfig file. Exits non-zero when the app logged an error along the way."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QCoreApplication, QPoint, QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget  # noqa: E402

from app.services import config, demo, secrets, settings  # noqa: E402
from app.services.clock import FrozenClock  # noqa: E402
from app.services.practice import open_practice  # noqa: E402
from app.ui.integrations.tab import IntegrationsTab  # noqa: E402
from scripts.walkthrough import (  # noqa: E402
    NOW,
    Errors,
    Walk,
    open_window,
    use_a_private_keyring,
)
from tests.e2e.pairing import new_practice, relay_with_no_practice  # noqa: E402
from tests.fakes import tls  # noqa: E402
from tests.fakes.autoconfig import AutoconfigServer, client_config  # noqa: E402
from tests.fakes.imap import ImapServer, Mailbox  # noqa: E402
from tests.fakes.nameserver import NameServer  # noqa: E402
from tests.fakes.smtp import SmtpServer  # noqa: E402
from tests.fakes.twilio import FakeTwilio  # noqa: E402
from tests.fakes.whatsapp import FakeWhatsApp  # noqa: E402

OUT = ROOT / "docs" / "screenshots" / "integrations"
ADDRESS, PASSWORD = "contato@bemestar.example", "app-pass-2026"


class Steps(Walk):
    def until(self, ready: Callable[[], bool], seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while not ready():
            if time.monotonic() > deadline:
                raise SystemExit(f"{self.language}: a step did not finish in time")
            self.settle(2)

    def type(self, field: QLineEdit, text: str) -> None:
        field.clear()
        QTest.keyClicks(field, text)

    def click(self, button: QWidget) -> None:
        QTest.mouseClick(button, Qt.MouseButton.LeftButton,
                         pos=QPoint(min(30, button.width() // 2), button.height() // 2))

    def shot(self, name: str, tab: IntegrationsTab, box: QWidget | None = None) -> None:
        self.settle()
        if box is None:
            tab.area.verticalScrollBar().setValue(0)
        else:
            tab.area.verticalScrollBar().setValue(box.y())
        self.save(name)


def walk_integrations(steps: Steps, servers: dict[str, object], relay_url: str,
                      code: str) -> None:
    w = steps.w
    w.show_page("settings")
    w.settings_page.show_tab("integrations")
    tab = w.settings_page.integrations
    steps.until(lambda: tab.loaded and tab.overview.rows["links"].state.text() != "")
    steps.shot("01-overview", tab)

    links = tab.links
    steps.type(links.address, relay_url)
    steps.type(links.code, "ABCD-EFGH-JKMN-PQRS-TVWX")
    steps.click(links.connect_button)
    steps.until(lambda: links.result.text().startswith("⚠"))
    steps.shot("02-links-wrong-code", tab, links)
    steps.type(links.code, code)
    steps.click(links.connect_button)
    steps.until(lambda: links.code.text() == "" and not links.result.text().startswith(
        ("⚠", "…")) and links.test_button.isEnabled())
    steps.shot("03-links-paired", tab, links)

    wa: FakeWhatsApp = servers["whatsapp"]  # type: ignore[assignment]
    box = tab.whatsapp
    if not box.api_base.isVisible():
        steps.click(box.advanced)
    steps.type(box.api_base, wa.url)
    steps.type(box.phone_id, wa.rules.phone_number_id)
    steps.type(box.account_id, wa.rules.business_account_id)
    steps.type(box.secret, "EAAG-an-old-token")
    steps.click(box.connect_button)
    steps.until(lambda: box.number.text().startswith("⚠"))
    steps.shot("04-whatsapp-wrong-token", tab, box)
    steps.type(box.secret, wa.rules.token)
    steps.click(box.connect_button)
    steps.until(lambda: box.number.text() != "" and not box.number.text().startswith("⚠")
                and box.connect_button.isEnabled())
    steps.shot("05-whatsapp-connected", tab, box)

    mail = tab.email
    web: AutoconfigServer = servers["autoconfig"]  # type: ignore[assignment]
    names: NameServer = servers["names"]  # type: ignore[assignment]
    mail.sources = web.sources(resolver=names.resolver(), smtp_ports=(), imap_ports=())
    steps.type(mail.address, ADDRESS)
    steps.click(mail.find_button)
    steps.until(lambda: mail.found.text() != "" and mail.find_button.isEnabled())
    steps.shot("06-email-found", tab, mail)
    steps.type(mail.secret, "a-wrong-password")
    steps.click(mail.test_button)
    steps.until(lambda: mail.result.text().startswith("⚠"))
    steps.shot("07-email-wrong-password", tab, mail)
    steps.type(mail.secret, PASSWORD)
    steps.click(mail.test_button)
    steps.until(lambda: mail.result.text().startswith(("E-mail works", "O e-mail funciona")),
                seconds=60)
    steps.shot("08-email-tested", tab, mail)

    tw: FakeTwilio = servers["twilio"]  # type: ignore[assignment]
    sms = tab.sms
    if not sms.api_base.isVisible():
        steps.click(sms.advanced)
    steps.type(sms.api_base, tw.url)
    steps.type(sms.sid, tw.account.sid)
    steps.type(sms.secret, "0" * 32)
    steps.click(sms.check_button)
    steps.until(lambda: sms.found.text().startswith("⚠") and sms.check_button.isEnabled())
    steps.shot("09-sms-wrong-token", tab, sms)
    steps.type(sms.secret, tw.account.token)
    steps.click(sms.check_button)
    steps.until(lambda: sms.sender.count() > 0 and not sms.found.text().startswith("⚠"))
    steps.click(sms.save_button)
    steps.until(lambda: bool(config.get(w.practice, "sms.from")))
    steps.shot("10-sms-account", tab, sms)

    steps.settle()
    tab.reload_overview()
    steps.until(lambda: tab.overview.rows["sms"].go.text() != "")
    steps.shot("11-overview-template-missing", tab)
    # The overview's button for WhatsApp opens Notificações, where the template is
    # chosen among those read from Meta.
    steps.click(tab.overview.rows["whatsapp"].go)
    notifications = w.settings_page.notifications
    steps.until(lambda: notifications.isVisible() and notifications.wa_picker.count() > 1)
    picker = notifications.wa_picker
    chosen = next(i for i in range(picker.count()) if "lembrete_sessao" in picker.itemText(i))
    picker.setCurrentIndex(chosen)
    picker.activated.emit(chosen)
    steps.settle()
    steps.save("12-reminder-template")
    steps.click(notifications.save_button)
    steps.until(lambda: config.get(w.practice, "whatsapp.template") == "lembrete_sessao")
    w.settings_page.show_tab("integrations")
    steps.until(lambda: tab.overview.rows["whatsapp"].step.text() in (
        "Nothing to do.", "Nada a fazer."))
    steps.shot("13-overview-ready", tab)


def main() -> int:
    app = QApplication(sys.argv)
    QCoreApplication.setOrganizationName("PracticeDeskIntegrations")
    OUT.mkdir(parents=True, exist_ok=True)
    errors = Errors()
    logging.getLogger().addHandler(errors)
    certificate = tls.loopback()
    os.environ["REQUESTS_CA_BUNDLE"] = os.environ["SSL_CERT_FILE"] = str(certificate.cert)
    with tempfile.TemporaryDirectory() as tmp:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        use_a_private_keyring(Path(tmp))
        for language in ("pt_BR", "en"):
            mailbox = Mailbox(user=ADDRESS, password=PASSWORD)
            with relay_with_no_practice(Path(tmp) / f"relay-{language}") as relay, \
                    FakeWhatsApp() as wa, FakeTwilio() as tw, \
                    AutoconfigServer(certificate.server_context()) as web, \
                    SmtpServer(users={ADDRESS: PASSWORD}, tls=certificate.server_context(),
                               deliver_to=mailbox) as smtp, \
                    ImapServer(mailbox, tls=certificate.server_context()) as imap, \
                    NameServer() as names:
                web.data.domain_files["bemestar.example"] = client_config(
                    "bemestar.example", name="Bem-Estar",
                    smtp=("127.0.0.1", smtp.port, "STARTTLS"),
                    imap=("127.0.0.1", imap.port, "SSL"))
                code = new_practice(relay, "Consultório Bem-Estar")["code"]
                practice = open_practice(Path(tmp) / language, clock=FrozenClock(NOW),
                                         actor="Dra. Ana Souza", logging_on=False)
                settings.set_value(practice, "timezone", "America/Sao_Paulo")
                config.set_values(practice, {"reminders.default": "whatsapp:1440,email:60"})
                demo.fill(practice)
                for name in ("whatsapp.token", "smtp.password", "sms.auth_token",
                             "relay.api_key", "relay.link_secret", "imap.password"):
                    secrets.forget(name)  # each language's practice starts with none
                window = open_window(practice, language)
                steps = Steps(app, window, language)
                steps.out = OUT
                steps.settle()
                walk_integrations(steps, {"whatsapp": wa, "twilio": tw, "autoconfig": web,
                                          "names": names}, relay.url, code)
                window.close()
                window.tasks.wait()
                practice.close()
    for line in errors.seen:
        print(line, file=sys.stderr)
    return 1 if errors.seen else 0


if __name__ == "__main__":
    sys.exit(main())
