"""The outbox's pace against a rate-limited WhatsApp (the fake answers 130429 above
its limit, as Meta does): it learns the pace from the refusals, loses and repeats
nothing, and a booking made meanwhile never waits for it — neither while it waits
out a pause nor while a provider takes its time to answer."""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections import Counter
from datetime import timedelta
from itertools import pairwise

import pytest

from app.models.enums import Channel
from app.services import clients, config, outbox, pacing, reminders, scheduling, secrets
from app.services.channels import Outgoing
from app.services.clock import FrozenClock
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import local
from tests.fakes.whatsapp import FakeWhatsApp, Rules


def wire(p: Practice, wa: FakeWhatsApp) -> None:
    config.set_values(p, {"whatsapp.api_base": wa.url,
                          "whatsapp.phone_number_id": wa.rules.phone_number_id,
                          "whatsapp.template": "lembrete_sessao",
                          "whatsapp.params": "first_name,date,time",
                          "reminders.default": "whatsapp:1440"})
    secrets.store("whatsapp.token", wa.rules.token)


def due_reminders(p: Practice, clock: FrozenClock, count: int) -> None:
    people = [clients.add(p, name=f"Cliente {i}", phone=f"+55119{70000000 + i}",
                          consent=[Channel.WHATSAPP]).id for i in range(count)]
    for i, person in enumerate(people):
        scheduling.book(p, BookingRequest(
            client_id=person, start=local("2026-11-24T08:00") + timedelta(minutes=5 * i),
            custom_service_name="Sessão", duration_minutes=5), override=True)
    clock.set(local("2026-11-24T07:00"))  # every reminder is due


def hold_the_database(p: Practice, seconds: float) -> None:
    """Another writer (a receptionist's save, a slow disk) takes the database for
    `seconds`, from another thread; returns once it holds it."""
    held = threading.Event()

    def hold() -> None:
        with p.db.write() as s:
            s.connection()  # the write lock is taken here (BEGIN IMMEDIATE)
            held.set()
            time.sleep(seconds)

    threading.Thread(target=hold).start()
    held.wait(5)


class FrontDesk:
    """Books a session from another thread, as the window does, and says whether it
    was saved within `patience` seconds."""

    def __init__(self, p: Practice) -> None:
        self.p = p
        self.client = clients.add(p, name="Joana Recepção", phone="+5511988887777").id
        self.booked: list[int] = []
        self.problems: list[str] = []
        self.tries = 0

    def book_now(self, patience: float = 3.0) -> bool:
        start = local("2026-12-07T08:00") + timedelta(minutes=60 * self.tries)
        self.tries += 1

        def work() -> None:
            try:
                self.booked.append(scheduling.book(self.p, BookingRequest(
                    client_id=self.client, start=start, custom_service_name="Sessão",
                    duration_minutes=50), override=True))
            except Exception as exc:  # said in the assertion, not swallowed
                self.problems.append(f"{type(exc).__name__}: {exc}")

        before = len(self.booked)
        t = threading.Thread(target=work)
        t.start()
        t.join(patience)
        return len(self.booked) > before


def test_a_booking_is_saved_while_the_outbox_waits_for_a_rate_limited_provider(
        practice: Practice, clock: FrozenClock) -> None:
    with FakeWhatsApp(Rules(rate_limit=2)) as wa:
        wire(practice, wa)
        due_reminders(practice, clock, 6)
        desk = FrontDesk(practice)
        during_waits: list[bool] = []

        def sleep(seconds: float) -> None:
            # While the outbox waits for the provider's pace, a receptionist books.
            during_waits.append(desk.book_now())
            time.sleep(seconds)

        report = outbox.Dispatcher(practice, sleep=sleep).dispatch_due()
    assert report.sent == 6 and 130429 in wa.refused
    assert during_waits and all(during_waits), desk.problems
    assert len(desk.booked) == len(during_waits) and not desk.problems
    assert len(wa.sent) == 6 and len({s.to for s in wa.sent}) == 6  # each once


def test_a_booking_is_saved_while_the_provider_takes_its_time_to_answer(
        practice: Practice, clock: FrozenClock) -> None:
    with FakeWhatsApp(Rules(delay=1.5)) as wa:
        wire(practice, wa)
        due_reminders(practice, clock, 1)
        desk = FrontDesk(practice)
        seen: list[tuple[bool, int]] = []

        def receptionist() -> None:
            wa.arrived.wait(10)  # the outbox is inside its call to Meta
            saved = desk.book_now(patience=1.0)
            seen.append((saved, len(wa.sent)))

        t = threading.Thread(target=receptionist)
        t.start()
        report = outbox.Dispatcher(practice).dispatch_due()
        t.join(10)
    assert report.sent == 1
    # Saved while Meta had not yet answered: no transaction was open around the call.
    assert seen == [(True, 0)], desk.problems


def test_the_outbox_learns_the_providers_pace_and_keeps_to_it(
        practice: Practice, clock: FrozenClock) -> None:
    with FakeWhatsApp(Rules(rate_limit=4)) as wa:
        wire(practice, wa)
        due_reminders(practice, clock, 14)
        dispatcher = outbox.Dispatcher(practice)
        report = dispatcher.dispatch_due()
    assert report.sent == 14
    # One refusal teaches it (the first second's burst); after that it keeps under.
    assert wa.refused.count(130429) == 1
    assert (dispatcher.pacer.of("whatsapp").rate(time.monotonic()) or 99) <= 4
    assert Counter(s.to for s in wa.sent).most_common(1)[0][1] == 1
    assert all(m.state == "sent" and m.attempts == 1
               for m in reminders.list_outbox(practice, limit=50))


def test_the_pace_is_kept_between_calls_to_meta_when_a_claim_waits_for_the_database(
        practice: Practice, clock: FrozenClock) -> None:
    # Meta counts its second by when messages arrive. Every third wait, another
    # writer (a receptionist's save, a slow disk) holds the database a fifth of a
    # second, so that message's claim, and its call, go late: the next ones must
    # keep their distance from that call, not from when its turn began.
    with FakeWhatsApp(Rules(rate_limit=4)) as wa:
        wire(practice, wa)
        due_reminders(practice, clock, 14)
        waits = 0

        def sleep(seconds: float) -> None:
            nonlocal waits
            time.sleep(seconds)
            waits += 1
            if waits % 3 == 0:
                hold_the_database(practice, 0.2)

        report = outbox.Dispatcher(practice, sleep=sleep).dispatch_due()
    assert report.sent == 14 and waits >= 9
    assert wa.refused.count(130429) == 1, wa.refused  # the first burst's, only
    assert len({s.to for s in wa.sent}) == 14


def test_a_learned_pace_is_kept_whole_though_each_claim_takes_its_time(
        practice: Practice, clock: FrozenClock) -> None:
    # Under a pace taught by a refusal (20/s, no room for a second token), each
    # claim here waits 30 ms or more for another writer (a loaded machine makes
    # some wait longer). The calls keep the pace's gap: never closer, and not that
    # gap plus the claim's time.
    with FakeWhatsApp(Rules(rate_limit=20)) as wa:
        wire(practice, wa)
        due_reminders(practice, clock, 60)
        calls: list[float] = []

        def send(cfg: dict[str, str], secret: str | None, out: Outgoing) -> str:
            calls.append(time.monotonic())
            return outbox.SENDERS["whatsapp"](cfg, secret, out)

        def sleep(seconds: float) -> None:
            time.sleep(seconds)
            hold_the_database(practice, CLAIM)

        dispatcher = outbox.Dispatcher(practice, senders={**outbox.SENDERS, "whatsapp": send},
                                       sleep=sleep)
        report = dispatcher.dispatch_due()
    assert report.sent == 60 and wa.refused.count(130429) == 1
    pace = dispatcher.pacer.of("whatsapp").rate(time.monotonic())
    assert pace is not None and pace < 20
    paced = calls[-30:]  # well after the refusal and its pause
    gaps = [b - a for a, b in pairwise(paced)]
    assert min(gaps) >= 1 / pace - 0.002
    # The claim added to each gap would make every gap CLAIM longer at the least;
    # a loaded machine makes some turns late on its own, so the median, judged
    # against half of that.
    assert statistics.median(gaps) <= 1 / pace + CLAIM / 2, [round(g, 4) for g in gaps]


CLAIM = 0.03  # seconds another writer holds the database before each claim


def test_at_metas_published_throughput_nothing_is_refused(
        practice: Practice, clock: FrozenClock) -> None:
    # Meta's default: 80 messages a second per business number, 130429 above it.
    with FakeWhatsApp(Rules(rate_limit=80)) as wa:
        wire(practice, wa)
        due_reminders(practice, clock, 100)
        report = outbox.Dispatcher(practice).dispatch_due()
    assert report.sent == 100 and wa.refused == [] and len(wa.sent) == 100


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_whatsapp_goes_at_its_pace_with_the_margins_room_and_no_more() -> None:
    ticks = Ticks()
    pacer = pacing.Pacer(clock=ticks)
    waits = [pacer.turn("whatsapp") for _ in range(5)]
    gap = 1 / (80 * pacing.MARGIN)
    # Two may go at once (80/s paced at 77.6/s leaves room for two), then one a gap.
    assert [round(w / gap, 6) for w in waits] == [0, 0, 1, 2, 3]
    # E-mail, SMS, calls and push have no published limit to keep to (Twilio queues).
    assert [pacer.turn("sms") for _ in range(3)] == [0, 0, 0]


@pytest.mark.parametrize("composing", [0.6, 0.95, 1.0, 1.05, 2.0])
def test_no_second_holds_more_than_the_limit_and_a_late_turn_is_not_lost(
        composing: float) -> None:
    """A sender whose messages take about `composing` gaps each, varying as a busy
    machine's do: no one-second window holds 80 (Meta's limit), and it sends at
    95 % or more of what the pace or the machine allows, whichever is slower."""
    ticks = Ticks()
    pacer = pacing.Pacer(clock=ticks)
    gap = 1 / (80 * pacing.MARGIN)
    rng = random.Random(7)
    sent = []
    for _ in range(4000):
        ticks.now += pacer.turn("whatsapp")
        sent.append(ticks.now)
        ticks.now += max(0.0, rng.gauss(composing * gap, 0.3 * gap))
    first = 0
    for i, moment in enumerate(sent):
        while moment - sent[first] >= 1.0:
            first += 1
        assert i - first + 1 < 80
    rate = (len(sent) - 1) / (sent[-1] - sent[0])
    assert rate >= 0.95 * min(80 * pacing.MARGIN, 1 / (composing * gap))


def test_a_refusal_sets_the_pace_to_what_the_provider_took_and_it_recovers() -> None:
    ticks = Ticks()
    pacer = pacing.Pacer(clock=ticks)
    for _ in range(10):  # ten taken within the last second
        ticks.now += 0.05
        pacer.turn("sms")
        pacer.took("sms")
    ticks.now += 0.01
    assert pacer.refused("sms") == 10 * pacing.MARGIN
    assert pacer.turn("sms") > 0  # it waits its turn now
    sms = pacer.of("sms")
    assert sms.rate(ticks.now + 59) == 10 * pacing.MARGIN  # kept a minute
    assert sms.rate(ticks.now + 60 + 600) > 10 * 2  # then grows, with no ceiling
    # WhatsApp grows back only up to Meta's published throughput.
    pacer.refused("whatsapp")
    whatsapp = pacer.of("whatsapp")
    assert whatsapp.rate(ticks.now) == 0.5 * 80 * pacing.MARGIN  # nothing taken: half
    assert whatsapp.rate(ticks.now + 3600) == 80 * pacing.MARGIN
    # Refusals with nothing taken lately halve the pace, never below the slowest.
    for _ in range(40):
        ticks.now += 5
        pacer.refused("whatsapp")
    assert whatsapp.rate(ticks.now) == pacing.SLOWEST
