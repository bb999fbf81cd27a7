"""The background worker: APScheduler only ticks; the outbox rows hold the truth
(DESIGN.md rule 4). Jobs never touch Qt; what they change is announced on the
change bus like any other service call."""

from __future__ import annotations

import logging
import threading
from contextlib import suppress
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from app.services.errors import PracticeError
from app.services.outbox import Dispatcher, Report
from app.services.practice import Practice

log = logging.getLogger(__name__)

TICK_SECONDS = 30
MAIL_SECONDS = 60


class Worker:
    def __init__(self, p: Practice, tick_seconds: float | None = None) -> None:
        self.p = p
        self.dispatcher = Dispatcher(p)
        self.tick_seconds = tick_seconds or TICK_SECONDS
        self.scheduler: BackgroundScheduler | None = None
        from app.services.relay_client import Poller

        self.poller = Poller(p)
        self._lock = threading.Lock()  # one pass at a time, even if a tick runs long
        self._mail_problem = ""

    def run_once(self) -> Report:
        """Catch up and send what is due: the same pass at start-up and on every tick."""
        with self._lock:
            try:
                report = self.dispatcher.dispatch_due()
            except Exception:
                log.exception("dispatch pass failed")
                raise
            if report.sent or report.failed or report.unknown:
                log.info("dispatch: %s", report.as_json())
            return report

    def read_mail(self) -> int:
        """Clients' e-mail replies into Conecta, when a mailbox is set up."""
        from app.services import mail_inbound

        try:
            taken = mail_inbound.fetch(self.p).taken
        except mail_inbound.MailNotConfigured:
            return 0
        except PracticeError as exc:  # unreachable or refused: said once, tried again
            if str(exc) != self._mail_problem:
                log.warning("mailbox: %s", exc)
            self._mail_problem = str(exc)
            return 0
        except Exception:
            log.exception("reading the mailbox failed")
            return 0
        self._mail_problem = ""
        return taken

    def back_up(self) -> None:
        """Today's automatic copy of the database, once a day (the last 14 kept)."""
        from app.services import backups

        try:
            backups.daily(self.p)
        except Exception:  # a full disk must not stop reminders; said in the log
            log.exception("daily backup failed")

    def _tick(self) -> None:
        with suppress(Exception):  # logged in run_once; the next tick tries again
            self.run_once()

    def start(self) -> None:
        scheduler = BackgroundScheduler(daemon=True)
        scheduler.add_job(self._tick, "interval", seconds=self.tick_seconds, id="dispatch",
                          max_instances=1, coalesce=True)
        scheduler.add_job(self.read_mail, "interval", seconds=MAIL_SECONDS, id="mail",
                          max_instances=1, coalesce=True)
        # First run at once (today's copy if none yet), then hourly to catch the new day;
        # one job, so two copies of the same day are never written at the same time.
        scheduler.add_job(self.back_up, "interval", hours=1, id="backup", max_instances=1,
                          coalesce=True, next_run_time=datetime.now(UTC))
        scheduler.start()
        # The scheduler's own lines are kept out of the log (logs.QUIET): one of ours
        # says its jobs, and so its trigger plug-ins, are in place.
        log.info("scheduler started: %s", ", ".join(j.id for j in scheduler.get_jobs()))
        self.scheduler = scheduler
        threading.Thread(target=self._tick, name="dispatch-catch-up", daemon=True).start()
        self.poller.start()  # waits quietly until the relay is set up

    def stop(self) -> None:
        self.poller.stop()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
            self.scheduler = None
