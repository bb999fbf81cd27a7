"""Walks each step of the three help pages (seeds 000, 001 and 002) in the window, as
a person would, in Portuguese and in English, at a laptop's 1366×768, and saves a
picture of each step to docs/screenshots/walkthrough/<language>-<seed>-<nn>-<step>.png
(`make screenshots`; docs/WALKTHROUGH.md shows them in order). The clock is frozen and
the practice is the demo, so the pictures are the same from one run to the next.
Exits non-zero when the app logged an error along the way."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QCoreApplication, QPoint, QSettings  # noqa: E402
from PySide6.QtGui import QPainter, QPixmap  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QWidget  # noqa: E402

from app import i18n  # noqa: E402
from app.models.enums import AppointmentStatus  # noqa: E402
from app.services import catalog, config, demo, queries, settings  # noqa: E402
from app.services.clock import FrozenClock  # noqa: E402
from app.services.practice import Practice, open_practice  # noqa: E402
from app.ui.main_window import MainWindow  # noqa: E402

ZONE = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 11, 18, 10, 40, tzinfo=ZONE)
OUT = ROOT / "docs" / "screenshots" / "walkthrough"


class Errors(logging.Handler):
    """Every ERROR the app logs during the walk: the walk fails on any."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(self.format(record))


def use_a_private_keyring(folder: Path) -> None:
    """The relay's sealing key lives in the keyring: a file one, for this walk only."""
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    os.environ["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"  # on purpose
    backend = PlaintextKeyring()
    backend.file_path = str(folder / "keyring.cfg")
    keyring.set_keyring(backend)


class Walk:
    def __init__(self, app: QApplication, w: MainWindow, language: str) -> None:
        self.app, self.w, self.language = app, w, language
        self.out = OUT  # where the pictures go

    def settle(self, rounds: int = 12) -> None:
        for _round in range(rounds):
            self.w.tasks.wait()
            QTest.qWait(40)

    def save(self, name: str, widget: QWidget | None = None,
             on_top: QWidget | None = None) -> None:
        """The window (or one dialog), with a popup such as an open menu drawn where
        it shows: a popup is a window of its own and a grab leaves it out."""
        self.settle()
        target = widget or self.w
        picture: QPixmap = target.grab()
        if on_top is not None and on_top.isVisible():
            painter = QPainter(picture)
            painter.drawPixmap(target.mapFromGlobal(on_top.mapToGlobal(QPoint(0, 0))),
                               on_top.grab())
            painter.end()
        picture.save(str(self.out / f"{self.language}-{name}.png"))


def open_window(practice: Practice, language: str) -> MainWindow:
    """The window in `language`, on the agenda, at a laptop's 1366×768, as Dra. Ana."""
    i18n.set_language(language)
    QSettings().setValue("window/page", "agenda")
    window = MainWindow(practice, ZONE)
    window.resize(1366, 768)
    window.set_user("Dra. Ana Souza")
    window.show()
    return window


def upcoming(p: Practice, status: AppointmentStatus, days: int = 3) -> list[Any]:
    """Sessions of the coming days with a status, soonest first."""
    found = [v for v in queries.list_appointments(p, start=NOW.date())
             if v.status is status and v.start > NOW and (v.start - NOW).days < days]
    return sorted(found, key=lambda v: v.start)


def seed_000(walk: Walk) -> None:
    """Confirming a session from the Agenda Geral and the Ficha do Cliente; the
    client's own confirmation and cancellation from the link, and the choice."""
    w, p = walk.w, walk.w.practice
    w.show_page("agenda")
    w.agenda.set_mode("week")
    w.agenda.scroll_to_morning()
    target = upcoming(p, AppointmentStatus.SCHEDULED)[0]
    walk.save("000-01-agenda")
    panel = w.open_appointment(target.id)
    panel.resize(640, 680)
    walk.save("000-02-session", panel)
    menu = panel.status_button.menu()
    assert isinstance(menu, QMenu)
    menu.popup(panel.status_button.mapToGlobal(QPoint(0, panel.status_button.height())))
    walk.save("000-03-confirm-appointment", panel, on_top=menu)
    menu.hide()
    panel.confirm()
    walk.save("000-04-confirmed", panel)
    panel.close()
    walk.save("000-05-agenda-confirmed")

    other = upcoming(p, AppointmentStatus.SCHEDULED)[0]
    file = w.clients.open_client(other.client_id)
    file.tabs.setCurrentIndex(1)
    walk.save("000-06-client-file-sessions")

    w.show_page("settings")
    w.settings_page.show_tab("notifications")
    walk.save("000-07-confirm-button-in-reminders")

    # The client taps Confirmar in a reminder; another asks to cancel.
    from app.services import relay_client
    from tests import outside

    relay_client.apply_event(p, {"id": 90_001, "kind": "confirmed", "appointment_id":
                                 upcoming(p, AppointmentStatus.SCHEDULED, days=7)[0].id})
    # Late, within the practice's notice: the professional chooses whether to charge.
    late = upcoming(p, AppointmentStatus.CONFIRMED, days=1)[0]
    outside.asks_to_cancel(p, late.id, "Vou viajar a trabalho hoje à tarde.")
    w.show_page("dashboard")
    walk.save("000-08-painel-client-answers")
    rows = [r for r in w.dashboard.decisions_card.findChildren(QWidget)
            if hasattr(r, "ask_to_charge") and getattr(r, "fee", "")]
    if rows:
        box = rows[0].ask_to_charge(w.dashboard, "")  # type: ignore[attr-defined]
        walk.save("000-09-charge-asks-first", box)
        box.done(QMessageBox.StandardButton.Cancel)


def seed_001(walk: Walk) -> None:
    """Conecta: a new attendance, its card, the first message by an approved
    template, and free text once the client answered."""
    w = walk.w
    w.show_page("conecta")
    walk.save("001-01-conecta")
    dialog = w.conecta.new_attendance()
    dialog.medium.setCurrentIndex(max(0, dialog.medium.findData("whatsapp")))
    dialog.name.setText("Helena Duarte")
    dialog.phone.setText("(11) 97654-3210")
    dialog.tags.setText("primeiro contato")
    walk.save("001-02-new-attendance", dialog)
    dialog.start_button.click()
    walk.settle(20)
    walk.save("001-03-card-first-message-by-template")
    answered = next(c.id for c in w.conecta.cards if c.name == "Maria Silva")
    w.conecta.choose(answered)
    walk.save("001-04-window-open-free-text")
    w.conecta.list_button.click()
    walk.save("001-05-list")
    w.conecta.board_button.click()


def seed_002(walk: Walk) -> None:
    """Every action of an appointment, the list, history, reminders, availability,
    import and export."""
    w, p = walk.w, walk.w.practice
    w.show_page("sessions")
    walk.save("002-01-sessions")
    target = upcoming(p, AppointmentStatus.SCHEDULED, days=7)[-1]
    panel = w.open_appointment(target.id)
    panel.resize(640, 680)
    walk.save("002-02-appointment", panel)

    def dialog_of(action: Callable[[], None], name: str) -> None:
        action()
        walk.settle()
        dialog = panel.dialog
        assert dialog is not None
        if hasattr(dialog, "reason"):
            dialog.reason.setText("Cliente com febre")
        walk.save(name, dialog)
        dialog.reject()

    dialog_of(panel.cancel, "002-03-cancel")
    dialog_of(panel.reschedule, "002-04-reschedule")
    panel.tabs.setCurrentIndex(1)
    walk.save("002-05-history", panel)
    panel.tabs.setCurrentIndex(2)
    walk.save("002-06-reminders", panel)
    panel.close()

    past = [v for v in queries.list_appointments(p, start=NOW.date().replace(day=1))
            if v.end < NOW and v.status in (AppointmentStatus.SCHEDULED,
                                            AppointmentStatus.CONFIRMED)]
    if past:
        done = w.open_appointment(past[-1].id)
        done.resize(640, 680)
        walk.settle()
        done.complete()
        walk.settle()
        assert done.dialog is not None
        walk.save("002-07-complete", done.dialog)
        done.dialog.reject()
        done.close()

    w.show_page("agenda")
    w.agenda.set_mode("day")
    combo = w.agenda.service_combo
    therapy = next((s.name for s in catalog.list_services(p)), "")
    combo.setCurrentIndex(max(0, combo.findText(therapy)))
    walk.save("002-08-availability")
    combo.setCurrentIndex(0)
    w.agenda.set_mode("week")
    wizard = w.agenda.open_import()
    walk.save("002-09-import", wizard)
    wizard.reject()
    export = w.agenda.open_export()
    walk.save("002-10-export", export)
    export.reject()


def main() -> int:
    app = QApplication(sys.argv)
    QCoreApplication.setOrganizationName("PracticeDeskWalkthrough")
    OUT.mkdir(parents=True, exist_ok=True)
    errors = Errors()
    logging.getLogger().addHandler(errors)
    with tempfile.TemporaryDirectory() as tmp:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        use_a_private_keyring(Path(tmp))
        for language in ("pt_BR", "en"):
            # A practice of its own per language: the steps change what they touch.
            practice = open_practice(Path(tmp) / language, clock=FrozenClock(NOW),
                                     actor="Dra. Ana Souza", logging_on=False)
            settings.set_value(practice, "timezone", "America/Sao_Paulo")
            config.set_values(practice, {"reminders.default": "whatsapp:1440,email:60",
                                         "whatsapp.template": "lembrete_sessao"})
            demo.fill(practice)
            from scripts.screenshots import conecta_sample

            conecta_sample(practice)
            QSettings().setValue("agenda/view", "week")
            window = open_window(practice, language)
            walk = Walk(app, window, language)
            walk.settle()
            for seed in (seed_000, seed_001, seed_002):
                seed(walk)
            window.close()
            window.tasks.wait()
            practice.close()
    for line in errors.seen:
        print(line, file=sys.stderr)
    return 1 if errors.seen else 0


if __name__ == "__main__":
    sys.exit(main())
