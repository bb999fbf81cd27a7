"""A client's phone turning reminders on from a link's page brings back the push
reminders that were skipped because it had not (the page promises "Reminders of
your sessions will arrive on this phone"), and turning them off skips those
waiting: end to end through the real relay, its poller and a fake push service
(the fixtures of tests/e2e/test_push.py)."""

from __future__ import annotations

import requests
from sqlmodel import col, select

from app.models.enums import Channel
from app.models.outbox import DeliveryAttempt, MessageKind, OutboxMessage
from app.services import config, outbox, push_keys, reminders, scheduling
from app.services.clock import FrozenClock
from app.services.events import Change
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local
from tests.e2e.test_push import Wired, poll, wired  # noqa: F401  (the fixture)


def _push_rows(p: Practice, appointment_id: int) -> list[OutboxMessage]:
    with p.db.read() as s:
        return list(s.exec(select(OutboxMessage).where(
            OutboxMessage.appointment_id == appointment_id, OutboxMessage.channel == "push",
            OutboxMessage.kind == MessageKind.REMINDER).order_by(col(OutboxMessage.id))))


def test_the_phone_turned_on_brings_back_the_push_reminders_and_they_arrive(
        practice: Practice, clock: FrozenClock, wired: Wired) -> None:  # noqa: F811
    push_keys.turn_on(practice)
    wired.push.expected_key = config.get(practice, "push.public_key")
    # Planned before the phone was turned on: skipped, saying why.
    config.set_value(practice, "reminders.default", "push:1440")
    later = scheduling.book(practice, BookingRequest(
        client_id=wired.client_id, start=local("2027-03-22T10:00"),
        service_id=add_service(practice, name="Retorno")))
    reminders.add(practice, wired.session, Channel.PUSH, 1440)
    for session in (wired.session, later):
        [row] = _push_rows(practice, session)
        assert row.state.value == "skipped"
        assert "has not turned on reminders on their phone" in (row.last_error or "")
    seen: list[Change] = []
    practice.bus.subscribe(seen.append)

    browser = wired.push.subscribe()
    assert wired.subscribe(browser).status_code == 204
    poll(practice)

    assert any({wired.session, later} <= c.appointments for c in seen)
    for session, due in ((wired.session, "2027-03-14T10:00"), (later, "2027-03-21T10:00")):
        [row] = _push_rows(practice, session)  # the same row: no duplicate
        assert row.state.value == "pending" and row.due_at == local(due)
        with practice.db.read() as s:
            [attempt] = s.exec(select(DeliveryAttempt).where(
                DeliveryAttempt.message_id == row.id)).all()
        assert attempt.outcome == "replanned"
        assert attempt.detail == ("Planned again: Maria Silva can now be reached by "
                                  "notification on the phone.")
    clock.set(local("2027-03-14T10:00"))
    assert outbox.Dispatcher(practice).dispatch_due().sent == 1
    [delivered] = wired.push.delivered
    assert "10:00" in delivered.payload["body"]

    # The client turns them off from the page: the one still waiting is skipped now.
    stop = requests.post(f"{wired.relay.url}/c/{wired.token}/push/stop",
                         data={"endpoint": browser.endpoint}, timeout=5)
    assert stop.status_code == 204
    poll(practice)
    [row] = _push_rows(practice, later)
    assert row.state.value == "skipped"
    assert row.last_error == ("Maria Silva has not turned on reminders on their phone (the "
                              "link's page offers it).")
    [sent] = _push_rows(practice, wired.session)
    assert sent.state.value == "sent"  # what went stays as it was
    # And on again: back once more, still one row.
    wired.subscribe(browser)
    poll(practice)
    assert [r.state.value for r in _push_rows(practice, later)] == ["pending"]


def test_a_new_phone_brings_back_what_the_lost_one_could_not_take(
        practice: Practice, clock: FrozenClock, wired: Wired) -> None:  # noqa: F811
    push_keys.turn_on(practice)
    old = wired.push.subscribe()
    wired.subscribe(old)
    poll(practice)
    old.gone = True  # the site's data was cleared: the push service says 410
    reminders.add(practice, wired.session, Channel.PUSH, 1440)
    later = scheduling.book(practice, BookingRequest(
        client_id=wired.client_id, start=local("2027-03-22T10:00"),
        service_id=add_service(practice, name="Retorno")))
    reminders.add(practice, later, Channel.PUSH, 1440)
    clock.set(local("2027-03-14T10:00"))
    assert outbox.Dispatcher(practice).dispatch_due().failed == 1  # the phone is dropped
    clock.set(local("2027-03-21T10:00"))
    assert outbox.Dispatcher(practice).dispatch_due().skipped == 1  # no phone left
    [row] = _push_rows(practice, later)
    assert "no longer accepts notifications" in (row.last_error or "")
    clock.set(local("2027-03-21T12:00"))  # the client opens the link and turns it on again
    new = wired.push.subscribe()
    wired.subscribe(new)
    poll(practice)
    [row] = _push_rows(practice, later)
    assert row.state.value == "pending" and row.due_at == clock.now()  # its time passed
    assert outbox.Dispatcher(practice).dispatch_due().sent == 1
    assert [d.browser for d in wired.push.delivered] == [new.id]

