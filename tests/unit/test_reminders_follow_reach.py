"""Reminders follow the client's reach (app/services/client_reach.py): consent
granted or an address added after booking brings back the reminders skipped for
want of it, once, at their time; consent withdrawn skips the waiting ones at once,
with the reason, so the Lembretes tab never says "waiting" for a reminder that
cannot go."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from app.models.enums import Channel
from app.models.outbox import DeliveryAttempt, MessageKind, OutboxMessage
from app.services import clients, config, reminders, scheduling
from app.services.clock import FrozenClock
from app.services.events import Change
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from app.services.values import normalize_email
from tests.conftest import add_service, local


def _rows(p: Practice, appointment_id: int) -> list[OutboxMessage]:
    with p.db.read() as s:
        return list(s.exec(select(OutboxMessage).where(
            OutboxMessage.appointment_id == appointment_id,
            OutboxMessage.kind == MessageKind.REMINDER).order_by(col(OutboxMessage.id))))


def _attempts(p: Practice, message_id: int | None) -> list[tuple[str, str]]:
    with p.db.read() as s:
        return [(a.outcome, a.detail) for a in s.exec(select(DeliveryAttempt).where(
            DeliveryAttempt.message_id == message_id).order_by(col(DeliveryAttempt.id)))]


def _changes(p: Practice) -> list[Change]:
    seen: list[Change] = []
    p.bus.subscribe(seen.append)
    return seen


def _book(p: Practice, client_id: int, when: str, service: int) -> int:
    return scheduling.book(p, BookingRequest(client_id=client_id, start=local(when),
                                             service_id=service))


def test_consent_given_in_the_ficha_brings_back_every_upcoming_sessions_reminder(
        practice: Practice, clock: FrozenClock) -> None:
    config.set_value(practice, "reminders.default", "sms:1440")
    service = add_service(practice)
    c = clients.add(practice, name="Lurdes Souza", phone="+55 11 98765-4321").id
    first = _book(practice, c, "2027-03-15T10:00", service)
    second = _book(practice, c, "2027-03-22T10:00", service)
    gone = _book(practice, c, "2027-03-29T10:00", service)
    scheduling.cancel(practice, gone, reason="viagem")
    [skipped] = _rows(practice, first)
    assert skipped.state.value == "skipped" and skipped.recipient is None
    assert "has not agreed to messages by SMS" in (skipped.last_error or "")
    seen = _changes(practice)

    clients.update(practice, c, grant=[Channel.SMS])

    for session, day in ((first, "2027-03-14T10:00"), (second, "2027-03-21T10:00")):
        [row] = _rows(practice, session)  # the skipped row itself: no second one
        assert row.state.value == "pending" and row.last_error is None
        assert row.due_at == local(day) and row.recipient == "+5511987654321"
        assert _attempts(practice, row.id) == [
            ("replanned", "Planned again: Lurdes Souza can now be reached by SMS.")]
    [still] = _rows(practice, gone)  # a cancelled session's stays as it was
    assert still.state.value == "skipped" and _attempts(practice, still.id) == []
    # The agenda and the sessions' Lembretes tabs hear of it.
    assert seen and {first, second} <= set(seen[-1].appointments)
    assert c in seen[-1].clients
    # What the Lembretes tab reads: waiting, nothing said against it.
    [shown] = reminders.list_for(practice, first)
    assert shown.state == "pending" and shown.last_error is None

    # Granted again (already given): nothing changes, nothing is added.
    clients.update(practice, c, grant=[Channel.SMS])
    assert [len(_attempts(practice, r.id)) for r in _rows(practice, first)] == [1]


def test_a_reminder_whose_time_passed_goes_now_or_stays_skipped_near_the_session(
        practice: Practice, clock: FrozenClock) -> None:
    config.set_value(practice, "reminders.default", "email:1440,email:60")
    service = add_service(practice)
    c = clients.add(practice, name="Ana Lima", phone="+55 11 98765-4321").id
    session = _book(practice, c, "2027-03-15T10:00", service)
    clock.set(local("2027-03-15T08:00"))  # two hours before: the day-before one passed
    clients.update(practice, c, email="ana@example.com", grant=[Channel.EMAIL])
    by_lead = {r.minutes_before: r for r in _rows(practice, session)}
    day_before, hour_before = by_lead[1440], by_lead[60]
    assert day_before.state.value == "pending" and day_before.due_at == clock.now()
    assert "Its time had passed, so it goes now." in _attempts(practice, day_before.id)[0][1]
    assert hour_before.state.value == "pending"
    assert hour_before.due_at == local("2027-03-15T09:00")
    assert hour_before.recipient == normalize_email("ana@example.com")

    # Another session, consent withdrawn and given again ten minutes before it.
    later = _book(practice, c, "2027-03-16T10:00", service)
    clients.update(practice, c, revoke=[Channel.EMAIL])
    clock.set(local("2027-03-16T09:50"))
    clients.update(practice, c, grant=[Channel.EMAIL])
    for row in _rows(practice, later):
        assert row.state.value == "skipped"
        assert row.last_error == "Booked too close to the session for this reminder to help."


def test_an_address_added_brings_back_what_its_lack_skipped(
        practice: Practice, clock: FrozenClock) -> None:
    config.set_value(practice, "reminders.default", "email:1440")
    service = add_service(practice)
    c = clients.add(practice, name="Rita Alves", phone="+55 11 98765-4321").id
    session = _book(practice, c, "2027-03-15T10:00", service)
    [row] = _rows(practice, session)
    assert row.last_error == "Rita Alves has no e-mail address."
    # The address alone is not consent: it stays skipped, now for that reason.
    clients.update(practice, c, email="rita@example.com")
    [row] = _rows(practice, session)
    assert row.state.value == "skipped"
    clients.update(practice, c, grant=[Channel.EMAIL])
    [row] = _rows(practice, session)
    assert row.state.value == "pending" and row.due_at == local("2027-03-14T10:00")


def test_a_phone_saved_with_a_booking_brings_back_the_other_sessions(
        practice: Practice, clock: FrozenClock) -> None:
    config.set_value(practice, "reminders.default", "whatsapp:1440")
    service = add_service(practice)
    c = clients.add(practice, name="Bia Costa", phone="+55 11 98765-4321",
                    consent=[Channel.WHATSAPP]).id
    first = _book(practice, c, "2027-03-15T10:00", service)
    seen = _changes(practice)
    clients.update(practice, c, phone="")  # the number was wrong: taken out
    [row] = _rows(practice, first)
    assert row.state.value == "skipped" and row.last_error == "Bia Costa has no phone number."
    assert _attempts(practice, row.id)[-1] == ("skipped", row.last_error)
    assert first in seen[-1].appointments
    # The right number, typed in the booking form of the next session.
    second = scheduling.book(practice, BookingRequest(
        client_id=c, start=local("2027-03-22T10:00"), service_id=service,
        contact=clients.ClientDetails("Bia Costa", "+55 11 91234-5678")))
    assert {first, second} <= seen[-1].appointments
    [row] = _rows(practice, first)
    assert (row.state.value, row.recipient) == ("pending", "+5511912345678")
    assert [r.state.value for r in _rows(practice, second)] == ["pending"]
    # Consent withdrawn: both skipped at once, with the reason.
    clients.update(practice, c, revoke=[Channel.WHATSAPP])
    for session in (first, second):
        [row] = _rows(practice, session)
        assert row.state.value == "skipped"
        assert row.last_error == "Bia Costa has not agreed to messages by WhatsApp."


def test_never_a_second_reminder_for_one_already_added_again(
        practice: Practice, clock: FrozenClock) -> None:
    service = add_service(practice)
    c = clients.add(practice, name="Leo Dias", phone="+55 11 98765-4321").id
    session = _book(practice, c, "2027-03-15T10:00", service)
    # Added by hand twice while the client had not agreed: two skipped rows.
    reminders.add(practice, session, Channel.SMS, 120)
    reminders.add(practice, session, Channel.SMS, 120)
    clients.update(practice, c, grant=[Channel.SMS])
    states = sorted(r.state.value for r in _rows(practice, session))
    assert states == ["pending", "skipped"]
    # Withdrawn and given again: still one.
    clients.update(practice, c, revoke=[Channel.SMS])
    clients.update(practice, c, grant=[Channel.SMS])
    assert sorted(r.state.value for r in _rows(practice, session)) == ["pending", "skipped"]
    clock.advance(timedelta(days=200))
    assert reminders.list_for(practice, session)  # the session's tab still reads them


def test_consent_withdrawn_skips_what_waits_on_that_channel_only(
        practice: Practice, clock: FrozenClock) -> None:
    config.set_value(practice, "reminders.default", "sms:1440,email:1440")
    service = add_service(practice)
    c = clients.add(practice, name="Caio Reis", phone="+55 11 98765-4321",
                    email="caio@example.com", consent=[Channel.SMS, Channel.EMAIL]).id
    session = _book(practice, c, "2027-03-15T10:00", service)
    clients.update(practice, c, revoke=[Channel.SMS])
    by_channel = {r.channel: r for r in _rows(practice, session)}
    assert by_channel["sms"].state.value == "skipped"
    assert by_channel["sms"].last_error == "Caio Reis has not agreed to messages by SMS."
    assert by_channel["email"].state.value == "pending"
    # Removing the e-mail address skips the e-mail reminder, saying so.
    clients.update(practice, c, email="", revoke=[Channel.EMAIL])
    by_channel = {r.channel: r for r in _rows(practice, session)}
    assert by_channel["email"].state.value == "skipped"
    assert by_channel["email"].last_error == "Caio Reis has no e-mail address."
