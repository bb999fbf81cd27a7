"""Renders every main screen with the demo practice, in Portuguese and English, to
docs/screenshots/<language>-<screen>.png (`make screenshots`). The clock is frozen,
so the pictures are the same from one run to the next."""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QCoreApplication, QDate, QSettings, QTime  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget  # noqa: E402

from app import i18n  # noqa: E402
from app.i18n import _  # noqa: E402
from app.services import availability, backups, config, demo, queries, settings  # noqa: E402
from app.services.clock import FrozenClock  # noqa: E402
from app.services.practice import open_practice  # noqa: E402
from app.ui.main_window import PAGES, MainWindow  # noqa: E402
from app.ui.recovery_dialog import RecoveryDialog  # noqa: E402

ZONE = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 11, 18, 10, 40, tzinfo=ZONE)
OUT = ROOT / "docs" / "screenshots"


def settle(app: QApplication, window: MainWindow, rounds: int = 12) -> None:
    """Let background loads and the forms' short check timers finish."""
    for _round in range(rounds):
        window.tasks.wait()
        QTest.qWait(40)


def main() -> None:
    app = QApplication(sys.argv)
    QCoreApplication.setOrganizationName("PracticeDeskScreenshots")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        practice = open_practice(Path(tmp) / "data", clock=FrozenClock(NOW), actor="Dra. Ana",
                                 logging_on=False)
        settings.set_value(practice, "timezone", "America/Sao_Paulo")
        config.set_values(practice, {"reminders.default": "whatsapp:1440,email:60",
                                     "whatsapp.template": "lembrete_sessao"})
        demo.fill(practice)
        conecta_sample(practice)
        backup_sample(practice)
        for language in ("pt_BR", "en"):
            i18n.set_language(language)
            QSettings().setValue("agenda/view", "week")
            QSettings().setValue("window/page", "agenda")
            window = MainWindow(practice, ZONE)
            window.resize(1366, 768)  # a laptop's screen, the size most practices have
            window.show()
            settle(app, window)
            shoot(app, window, language)
            window.close()
        practice.close()


def shoot(app: QApplication, w: MainWindow, language: str) -> None:
    def save(name: str, widget: QWidget | None = None) -> None:
        settle(app, w)
        (widget or w).grab().save(str(OUT / f"{language}-{name}.png"))

    def page(name: str) -> None:
        w.nav.setCurrentRow(PAGES.index(name))

    w.agenda.scroll_to_morning()
    save("agenda-week")
    w.agenda.set_mode("day")
    combo = w.agenda.service_combo
    combo.setCurrentIndex(combo.findText("Psicoterapia individual"))
    save("agenda-day-availability")
    w.agenda.service_combo.setCurrentIndex(0)
    w.agenda.set_mode("month")
    save("agenda-month")
    w.agenda.set_mode("week")

    upcoming = [v for v in queries.list_appointments(w.practice, start=NOW.date())
                if v.status.value == "scheduled" and v.series_id]
    panel = w.open_appointment(upcoming[0].id)
    panel.resize(640, 680)
    settle(app, w)
    save("session-panel", panel)
    panel.tabs.setCurrentIndex(1)
    save("session-history", panel)
    panel.tabs.setCurrentIndex(2)
    save("session-reminders", panel)
    panel.reschedule()
    settle(app, w)
    dialog = panel.dialog
    assert dialog is not None
    dialog.time.setTime(QTime(16, 0))
    settle(app, w)
    app.processEvents()
    save("reschedule", dialog)
    dialog.reject()
    panel.close()

    form = w.new_session(None)
    settle(app, w)
    if form.matches:
        form.choose_client(form.matches[-1])
    # The first free hour next Tuesday; a weekly series from there meets some busy weeks.
    free = availability.free_slots(w.practice, date(2026, 11, 24), step_minutes=60)
    form.date.setDate(QDate(2026, 11, 24))
    form.time.setTime(QTime(free[0].hour, free[0].minute))
    form.repeat.setCurrentIndex(1)
    form.count.setValue(6)
    settle(app, w, 20)
    save("new-session", form)
    form.reject()

    # A new client typed with a phone already on file: the existing record is offered.
    known = queries.show(w.practice, upcoming[0].id)
    form = w.new_session(None)
    settle(app, w)
    form.new_client.setChecked(True)
    form.name.setText(known.client_name.split()[0])
    form.phone.setText(w.phone(known.client_phone))
    form.date.setDate(QDate(2026, 11, 24))
    form.time.setTime(QTime(free[0].hour, free[0].minute))
    settle(app, w, 20)
    save("new-session-known-client", form)
    form.reject()

    recovery = RecoveryDialog(w.practice.paths, _(
        "{problem} It was left untouched: restore one of the copies in {backups}.").format(
        problem=_("{path} holds something Practice Desk did not put there ({detail}).")
        .format(path=w.practice.paths.database, detail="trigger forget"),
        backups=w.practice.paths.backups))
    recovery.show()
    settle(app, w)
    save("recovery", recovery)
    recovery.reject()

    wizard = w.agenda.open_import()
    wizard.open_file(str(import_sample(w.practice, upcoming[0])))
    settle(app, w)
    save("import-columns", wizard)
    wizard.forward()
    settle(app, w)
    wizard.table.setCurrentIndex(wizard.model.index(1, 3))  # a conflict, its reason in full
    save("import-review", wizard)
    wizard.reject()

    export = w.agenda.open_export()
    settle(app, w)
    save("export", export)
    export.reject()

    # The set-up assistant, as an empty practice opens it: its first and hours steps.
    w.open_first_run()
    settle(app, w)
    wizard = w.first_run
    save("first-run-practice", wizard)
    wizard.next()
    wizard.next()
    save("first-run-hours", wizard)
    wizard.saved = True  # closed without skipping: the demo practice is not touched
    wizard.done(0)

    page("dashboard")
    save("dashboard")
    page("sessions")
    settle(app, w)
    save("sessions")
    page("clients")
    save("clients")
    client_id = upcoming[0].client_id
    file = w.clients.open_client(client_id)
    file.tabs.setCurrentIndex(1)
    save("client-sessions")
    page("settings")
    save("settings")
    w.settings_page.tabs.setCurrentIndex(2)  # the professionals, and the reception
    settle(app, w)
    save("settings-people")
    w.settings_page.show_tab("notifications")
    save("settings-notifications")
    notifications = w.settings_page.notifications
    notifications.findChild(QScrollArea).ensureWidgetVisible(notifications.calls.fallback)
    settle(app, w)
    save("settings-notifications-calls")
    w.settings_page.show_tab("integrations")
    save("settings-integrations")
    integrations = w.settings_page.integrations
    integrations.area.verticalScrollBar().setValue(integrations.voice.y())
    settle(app, w)
    save("settings-integrations-calls")
    w.settings_page.tabs.setCurrentWidget(w.settings_page.conecta)
    settle(app, w)
    save("settings-conecta")
    w.settings_page.tabs.setCurrentWidget(w.settings_page.backups)
    settle(app, w)
    w.settings_page.backups.table.selectRow(0)
    save("settings-backups")
    w.settings_page.show_tab("database")
    settle(app, w)
    save("settings-database")
    from app.services.errors import DatabaseUnavailable
    from app.ui.server_wait import ServerWait

    waiting = ServerWait(None, str(DatabaseUnavailable(_(
        "The practice's server at {where} does not answer. Nothing was lost: check that the "
        "server's computer is on and on the network; an open window reconnects by itself.")
        .format(where="recepcao.local/consultorio"))))
    waiting.timer.stop()  # a picture: no attempt is made
    waiting.show()
    settle(app, w)
    save("server-wait", waiting)
    waiting.close()
    page("conecta")
    settle(app, w)
    w.conecta.choose(next(c.id for c in w.conecta.cards if c.medium.value == "whatsapp"))
    settle(app, w)
    save("conecta")


def backup_sample(practice: Any) -> None:
    """A week of daily copies, one made by hand, one kept by an update."""
    folder = practice.paths.backups
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for back in range(6):
        day = NOW - timedelta(days=back)
        made.append((folder / f"daily-{day:%Y-%m-%d}.sqlite3", day.replace(hour=10, minute=2)))
    made.append((folder / "practice-2026-11-17-1830.sqlite3",
                 NOW.replace(day=17, hour=18, minute=30)))
    made.append((folder / "before-upgrade-0004-2026-11-16-100114.sqlite3",
                 NOW.replace(day=16, hour=13, minute=1)))
    for path, when in made:
        backups.backup(practice, path)
        os.utime(path, (when.timestamp(), when.timestamp()))


def import_sample(practice: Any, busy: Any) -> Path:
    """A spreadsheet as a practice moving in would bring: a few weeks of sessions,
    one on top of a session already booked, two with mistakes."""
    path = Path(tempfile.gettempdir()) / "agenda-consultorio.csv"
    people = [("Renata Prado", "(11) 97111-2233", "renata@example.com"),
              ("Otávio Mendes", "(11) 96222-3344", ""),
              ("Lúcia Barros", "(21) 98333-4455", "lucia.barros@example.com"),
              ("Sérgio Tavares", "(11) 95444-5566", "")]
    lines = ["Nome;Telefone;E-mail;Serviço;Data;Hora;Duração;Profissional;Observações"]
    for week in range(3):
        for i, (name, phone, email) in enumerate(people):
            day = date(2026, 11, 30) + timedelta(days=7 * week + i)
            lines.append(f"{name};{phone};{email};Psicoterapia individual;"
                         f"{day.strftime('%d/%m/%Y')};{8 + i}h;50;;")
    start = busy.start.astimezone(ZONE)
    lines.insert(2, f"Renata Prado;(11) 97111-2233;;Psicoterapia individual;"
                    f"{start.strftime('%d/%m/%Y')};{start.strftime('%H:%M')};50;"
                    f"{busy.staff_name};encaixe")
    lines.insert(5, "Paulo Nunes;1234;;Psicoterapia individual;03/12/2026;15h;50;;")
    lines.insert(8, "Marta Reis;(11) 93555-1212;marta@;Avaliação;31/11/2026;10:00;;;")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def conecta_sample(practice: Any) -> None:
    """A few attendances on each channel, one with a WhatsApp reply waiting."""
    from datetime import timedelta

    from app.models.conecta import (
        Attendance,
        ConversationEntry,
        DeliveryState,
        Direction,
        EntryKind,
    )
    from app.services import attendances, conversations

    config.set_values(practice, {"conecta.originators.whatsapp": "+551130001000",
                                 "conecta.originators.voip": "+551130001000",
                                 "conecta.originators.email": "contato@bemestar.example",
                                 "conecta.types": "Financeiro,Avaliação"})
    conversations.save_template(practice, name="lembrete_retorno", language="pt_BR",
                                body="Olá {{1}}, faz {{2}} semanas da sua última sessão. "
                                     "Quer agendar o retorno?",
                                labels=["Primeiro nome", "Semanas"])
    t = conversations.save_template(practice, name="boas_vindas", language="pt_BR",
                                    body="Olá {{1}}! Aqui é do consultório. Podemos ajudar?",
                                    labels=["Nome"])
    a = attendances.start(practice, medium="whatsapp", name="Maria Silva",
                          phone="11987654321", originator="+551130001000",
                          tags=["remarcação"])
    queued = conversations.send_template(practice, a, t, ["Maria"])
    with practice.db.write() as s:
        sent = s.get(ConversationEntry, queued.entry_id)
        assert sent is not None
        # As if it went out this morning and was read: the client answered it.
        sent.at, sent.state = practice.clock.now() - timedelta(hours=2), DeliveryState.READ
        sent.provider_id = "wamid.sample"
        s.add(ConversationEntry(attendance_id=a, direction=Direction.INBOUND,
                                kind=EntryKind.TEXT, author="Maria Silva",
                                body="Oi! Consigo remarcar a sessão de quinta para sexta?",
                                at=practice.clock.now() - timedelta(minutes=20),
                                state=DeliveryState.RECEIVED))
        card = s.get(Attendance, a)
        assert card is not None
        card.last_activity_at, card.unread = practice.clock.now() - timedelta(minutes=20), 1
    attendances.start(practice, medium="email", name="João Pereira",
                      email="joao@example.com", type="Financeiro", status="pending",
                      tags=["recibo"])
    b = attendances.start(practice, medium="voip", name="Ana Costa", phone="11912345678",
                          type="commercial")
    attendances.log_call(practice, b, direction="in", seconds=240, outcome="answered",
                         notes="Pediu valores do pacote mensal")
    attendances.start(practice, medium="sms", name="Carlos Lima", phone="21998765432",
                      status="finished")


def relay_pages() -> None:
    """The client's link page as a phone shows it, in both languages (needs chromium)."""
    import shutil
    import subprocess
    from datetime import UTC

    import requests

    from relay.tokens import mint
    from tests.fakes.relay_server import API_KEY, LINK_SECRET, RelayServer

    if not shutil.which("chromium"):
        print("chromium not found: the relay's pages were not rendered")
        return
    with tempfile.TemporaryDirectory() as tmp, RelayServer(Path(tmp)) as relay:
        token = mint(LINK_SECRET.encode(), 7, datetime(2027, 3, 15, 13, tzinfo=UTC))
        # Phone notifications on: the page carries their part (its script shows it where
        # the browser can subscribe; this headless one cannot, so the picture has none).
        from app.services.push_keys import new_pair

        requests.put(f"{relay.url}/api/v1/push-key", timeout=10,
                     headers={"Authorization": f"Bearer {API_KEY}"},
                     json={"public_key": new_pair()[1]}).raise_for_status()
        for lang, name in (("pt-BR", "pt_BR"), ("en-US", "en")):
            subprocess.run(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
                            "--hide-scrollbars", f"--accept-lang={lang}", "--window-size=390,720",
                            "--disable-background-networking", f"--user-data-dir={tmp}/{name}",
                            f"--screenshot={OUT / f'{name}-relay-link.png'}",
                            f"{relay.url}/c/{token}"], capture_output=True, timeout=60, check=True)
        # The same link once the session was moved: the new time, and no button.
        requests.post(f"{relay.url}/api/v1/sessions", timeout=10,
                      headers={"Authorization": f"Bearer {API_KEY}"},
                      json={"sessions": [{"appointment_id": 7, "state": "moved",
                                          "start": "2027-03-16T17:00:00+00:00"}]}
                      ).raise_for_status()
        for lang, name in (("pt-BR", "pt_BR"), ("en-US", "en")):
            subprocess.run(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
                            "--hide-scrollbars", f"--accept-lang={lang}", "--window-size=390,720",
                            "--disable-background-networking",
                            f"--user-data-dir={tmp}/{name}-moved",
                            f"--screenshot={OUT / f'{name}-relay-moved.png'}",
                            f"{relay.url}/c/{token}"], capture_output=True, timeout=60, check=True)


def client_emails() -> None:
    """The e-mails a client receives, at a phone's and a computer's width, in both
    languages (needs chromium): docs/screenshots/<language>-email-<kind>-<width>.png."""
    import shutil
    import subprocess

    from app.models.outbox import MessageKind
    from app.services import messages

    if not shutil.which("chromium"):
        print("chromium not found: the e-mails were not rendered")
        return
    start = datetime(2026, 11, 23, 10, tzinfo=ZONE)
    with tempfile.TemporaryDirectory() as tmp:
        for language in ("pt_BR", "en"):
            with i18n.speaking(language):
                facts = messages.SessionFacts(
                    appointment_id=7, name="Maria Silva", first_name="Maria",
                    service="Psicoterapia individual", professional="Dra. Ana Souza",
                    practice="Consultório Bem-Estar", start=start,
                    end=start + timedelta(minutes=50), link="https://relay.example/c/…",
                    address="Rua das Flores, 120, sala 3 — São Paulo",
                    policy=messages.policy_line(24 * 60, 10000, "BRL"))
                for kind in (MessageKind.REMINDER, MessageKind.CONFIRMATION,
                             MessageKind.RESCHEDULE, MessageKind.CANCELLATION):
                    text = messages.render(messages.default_text(kind), facts)
                    page = Path(tmp) / f"{language}-{kind.value}.html"
                    page.write_text(messages.html_email(kind, facts, text), encoding="utf-8")
                    widths = (375, 800) if kind is MessageKind.REMINDER else (375,)
                    for width in widths:
                        name = f"{language}-email-{kind.value}-{width}.png"
                        subprocess.run(
                            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
                             "--hide-scrollbars", f"--window-size={width},760",
                             "--disable-background-networking",
                             f"--user-data-dir={tmp}/profile", f"--screenshot={OUT / name}",
                             page.as_uri()], capture_output=True, timeout=60, check=True)


if __name__ == "__main__":
    main()
    relay_pages()
    client_emails()
