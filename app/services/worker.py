"""The background worker: APScheduler only ticks; the outbox rows hold the truth
(DESIGN.md rule 4). Jobs never touch Qt; what they change is announced on the
change bus like any other service call.

One computer of the practice sends (storage.sender): every worker tries to be
the sender every CLAIM_SECONDS, and only the one holding the lock dispatches
reminders, polls the relay, reads the mailbox and makes the daily copy. A
computer whose keyring lacks a secret the practice's channels need does not try:
it would find every message "not set up"."""

from __future__ import annotations

import logging
import threading
from contextlib import suppress

from apscheduler.schedulers.background import BackgroundScheduler

from app.services.errors import DatabaseUnavailable, PracticeError
from app.services.outbox import Dispatcher, Report
from app.services.practice import Practice

log = logging.getLogger(__name__)

TICK_SECONDS = 30
MAIL_SECONDS = 60
CLAIM_SECONDS = 15  # how often a worker that does not send tries to take over


class Worker:
    def __init__(self, p: Practice, tick_seconds: float | None = None) -> None:
        from app.services import this_computer
        from app.services.relay_client import Poller
        from app.services.storage.sender import SenderLock

        self.p = p
        self.dispatcher = Dispatcher(p)
        self.tick_seconds = tick_seconds or TICK_SECONDS
        self.scheduler: BackgroundScheduler | None = None
        self.poller: Poller | None = None
        self.sender = SenderLock(p.db, p.paths.root, this_computer.read(p.paths).shown_name)
        self.lacking: list[str] = []  # secrets this computer lacks to send
        self._lock = threading.Lock()  # one pass at a time, even if a tick runs long
        self._claim_lock = threading.Lock()
        self.tried = threading.Event()  # set once the first claim was tried
        # Set by stop(): a thread started before it (the catch-up after a claim, the
        # daily copy) that runs late neither sends nor takes the sender's part again.
        self._stopped = False
        self._mail_problem = ""

    @property
    def sending(self) -> bool:
        """Whether this worker is the practice's sender now (taking the part when
        it is free and this computer can send; checking it still holds it)."""
        from app.services import channel_setup

        if self._stopped:
            return False
        if self.p.db.moved():  # the practice is kept elsewhere now: whoever opens it sends
            if self.sender.held:
                log.warning("this computer now opens the practice elsewhere; it stops sending")
                self.sender.release()
            return False
        if not self.sender.held:
            try:
                self.lacking = channel_setup.secrets_missing_here(self.p)
            except Exception as exc:  # the database out of reach: not the sender now
                log.debug("the channels' set-up could not be read (%s)", type(exc).__name__)
                return False
            if self.lacking:
                return False
        return self.sender.hold()

    def claim(self) -> bool:
        """Become (or stay) the practice's sender when possible; start or stop the
        relay's poller with it. Returns whether this worker sends now."""
        from app.services.relay_client import Poller

        with self._claim_lock:
            now = self.sending
            if now and self.poller is None and self.scheduler is not None:
                self.poller = Poller(self.p)
                self.poller.start()  # waits quietly until the relay is set up
                threading.Thread(target=self._tick, name="dispatch-catch-up",
                                 daemon=True).start()
                threading.Thread(target=self.back_up, name="daily-copy", daemon=True).start()
            elif not now and self.poller is not None:
                log.warning("this computer no longer sends for the practice")
                self.poller.stop()
                self.poller = None
            self.tried.set()
            return now

    def run_once(self) -> Report:
        """Catch up and send what is due: the same pass at start-up and on every tick
        (on the sending computer only)."""
        if not self.sending:
            return Report()
        with self._lock:
            try:
                report = self.dispatcher.dispatch_due()
            except DatabaseUnavailable as exc:  # the server away: the next tick tries again
                log.warning("dispatch waits: %s", exc)
                return Report()
            except Exception:
                log.exception("dispatch pass failed")
                raise
            if report.sent or report.failed or report.unknown:
                log.info("dispatch: %s", report.as_json())
            return report

    def read_mail(self) -> int:
        """Clients' e-mail replies into Conecta, when a mailbox is set up."""
        from app.services import mail_inbound

        if not self.sending:
            return 0
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
        """Today's automatic copy of the database, once a day (the last 14 kept), and
        the change feed's old rows pruned — by the sending computer only."""
        from app.services import backups
        from app.services.storage import change_feed

        if not self.sending:
            return
        try:
            backups.daily(self.p)
        except DatabaseUnavailable as exc:  # the server away: tried again in an hour
            log.warning("daily backup waits: %s", exc)
        except Exception:  # a full disk must not stop reminders; said in the log
            log.exception("daily backup failed")
        try:
            change_feed.prune(self.p.db)
        except DatabaseUnavailable as exc:
            log.warning("pruning the change log waits: %s", exc)
        except Exception:  # tried again in an hour
            log.exception("pruning the change log failed")

    def _tick(self) -> None:
        with suppress(Exception):  # logged in run_once; the next tick tries again
            self.run_once()

    def start(self) -> None:
        self._stopped = False
        scheduler = BackgroundScheduler(daemon=True)
        scheduler.add_job(self._tick, "interval", seconds=self.tick_seconds, id="dispatch",
                          max_instances=1, coalesce=True)
        scheduler.add_job(self.read_mail, "interval", seconds=MAIL_SECONDS, id="mail",
                          max_instances=1, coalesce=True)
        # First run at once (today's copy if none yet), then hourly to catch the new day;
        # one job, so two copies of the same day are never written at the same time.
        scheduler.add_job(self.back_up, "interval", hours=1, id="backup", max_instances=1,
                          coalesce=True)
        scheduler.add_job(self.claim, "interval", seconds=CLAIM_SECONDS, id="sender",
                          max_instances=1, coalesce=True)
        scheduler.start()
        # The scheduler's own lines are kept out of the log (logs.QUIET): one of ours
        # says its jobs, and so its trigger plug-ins, are in place.
        log.info("scheduler started: %s", ", ".join(j.id for j in scheduler.get_jobs()))
        self.scheduler = scheduler
        # At once: the sender's catch-up (and today's copy) start when it is taken.
        threading.Thread(target=self.claim, name="sender-claim", daemon=True).start()

    def stop(self) -> None:
        """No pass, claim, mail reading or copy starts from now; the ones under way
        end before this returns, and the sender's part is let go."""
        self._stopped = True
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
            self.scheduler = None
        with self._lock:  # a pass begun before the stop (the catch-up) ends first
            pass
        with self._claim_lock:
            if self.poller is not None:
                self.poller.stop()
                self.poller = None
            self.sender.release()
