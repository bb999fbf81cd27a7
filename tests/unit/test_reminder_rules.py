"""Reminder rules without providers: the keyring must exist, reminders across a
daylight-saving change go at the exact lead time, and configuration is checked."""

from __future__ import annotations

from datetime import UTC, datetime

import keyring
import pytest
from keyring.backends import fail

from app.models.enums import Channel
from app.services import clients, config, reminders, scheduling, secrets, settings
from app.services.clock import FrozenClock
from app.services.errors import InvalidInput
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local


def test_without_a_keyring_the_app_says_how_to_fix_it() -> None:
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(secrets.SecretsUnavailable, match="Install and unlock one"):
        secrets.store("smtp.password", "x")
    with pytest.raises(secrets.SecretsUnavailable):
        secrets.load("smtp.password")


def test_secret_names_and_values_are_checked() -> None:
    with pytest.raises(InvalidInput, match="Unknown secret"):
        secrets.store("smtp.passwd", "x")
    with pytest.raises(InvalidInput, match="empty"):
        secrets.store("smtp.password", "  \n")
    secrets.store("smtp.password", " s3cret \n")
    assert secrets.load("smtp.password") == "s3cret"


def test_reminder_across_a_dst_change_keeps_its_exact_lead(practice: Practice,
                                                           clock: FrozenClock) -> None:
    settings.set_value(practice, "timezone", "America/New_York")
    settings.set_value(practice, "hours", "mon-sun 08:00-19:00")
    config.set_value(practice, "reminders.default", "email:1440")
    clock.set(datetime(2026, 3, 1, tzinfo=UTC))
    c = clients.add(practice, name="Ann Lee", phone="+1 212 555 0123", email="ann@example.com",
                    consent=[Channel.EMAIL]).id
    # Monday 9 March 10:00 EDT; the clocks went forward on Sunday the 8th at 02:00.
    a = scheduling.book(practice, BookingRequest(
        client_id=c, start=local("2026-03-09T10:00", "America/New_York"),
        service_id=add_service(practice)))
    [m] = reminders.list_for(practice, a)
    assert m.due_at.astimezone(UTC) == datetime(2026, 3, 8, 14, tzinfo=UTC)  # exactly 24 h
    assert m.due_at.strftime("%H:%M %z") == "10:00 -0400"


def test_reminder_settings_are_checked(practice: Practice) -> None:
    for key, value in (("reminders.default", "fax:60"), ("reminders.default", "email:2"),
                       ("smtp.port", "99999"), ("whatsapp.api_base", "ftp://x"),
                       ("whatsapp.params", "first_name,shoe_size"), ("smtp.from", "agenda@")):
        with pytest.raises(InvalidInput):
            config.set_value(practice, key, value)
    assert config.get(practice, "reminders.default") == ""
    assert config.set_value(practice, "reminders.default", " WhatsApp:1440 , email:60 ") == \
        "whatsapp:1440,email:60"
    with pytest.raises(InvalidInput, match="between 5 minutes and 14 days"):
        reminders.add(practice, 1, Channel.EMAIL, 3)


@pytest.mark.parametrize("key", ["relay.url", "whatsapp.api_base", "sms.api_base"])
def test_addresses_that_would_carry_keys_in_clear_or_break_links_are_refused(
        practice: Practice, key: str) -> None:
    before = config.get(practice, key)
    for value, message in (("http://relay.example.com", "unencrypted"),
                           ("HTTP://10.0.0.5:8080/", "unencrypted"),
                           ("http://127.0.0.1.example.com", "unencrypted"),
                           ("https://relay.example.com/?practice=1", "query or a fragment"),
                           ("https://relay.example.com#top", "query or a fragment"),
                           ("https://relay.example.com/?", "query or a fragment"),
                           ("https://admin:pw@relay.example.com", "user name"),
                           ("https://relay.example.com:http", "not a web address"),
                           ("ftp://relay.example.com", "not a web address"),
                           ("relay example com", "not a web address")):
        with pytest.raises(InvalidInput, match=message):
            config.set_value(practice, key, value)
        assert config.get(practice, key) == before
    for value in ("http://127.0.0.1:8080", "http://localhost:9000/", "http://[::1]:8080",
                  "https://relay.example.com/practice/"):
        assert config.set_value(practice, key, value) == value.rstrip("/")
    # Typed as people type addresses, without the scheme: an https one.
    assert config.set_value(practice, key, " relay.example.com/ ") == "https://relay.example.com"


def test_no_reminder_is_added_to_a_session_that_cannot_use_it(
        practice: Practice, clock: FrozenClock) -> None:
    from sqlmodel import func, select

    from app.models.outbox import OutboxMessage

    c = clients.add(practice, name="Maria Silva", phone="+55 11 98765-4321",
                    consent=[Channel.WHATSAPP]).id
    service = add_service(practice)
    cancelled, soon = (scheduling.book(practice, BookingRequest(
        client_id=c, start=local(start), service_id=service))
        for start in ("2026-11-23T10:00", "2026-11-20T14:00"))
    scheduling.cancel(practice, cancelled, reason="Viagem")

    def count() -> int:
        with practice.db.read() as s:
            return int(s.scalar(select(func.count()).select_from(OutboxMessage)) or 0)

    before = count()
    with pytest.raises(InvalidInput, match="is cancelled: no reminder is sent"):
        reminders.add(practice, cancelled, Channel.WHATSAPP, 60)
    # An hour before a session 1 h 50 min away: already late, so it goes now.
    clock.set(local("2026-11-20T12:10"))
    late = reminders.add(practice, soon, Channel.WHATSAPP, 180)
    assert late.state == "pending" and late.due_at == local("2026-11-20T12:10")
    clock.set(local("2026-11-20T14:05"))
    with pytest.raises(InvalidInput, match="already begun"):
        reminders.add(practice, soon, Channel.WHATSAPP, 60)
    assert count() == before + 1


def test_the_same_reminder_twice_is_refused_and_may_come_back_once_removed(
        practice: Practice) -> None:
    c = clients.add(practice, name="Maria Silva", phone="+55 11 98765-4321",
                    consent=[Channel.WHATSAPP]).id
    session = scheduling.book(practice, BookingRequest(
        client_id=c, start=local("2026-12-02T13:00"), service_id=add_service(practice)))
    first = reminders.add(practice, session, Channel.WHATSAPP, 24 * 60)
    with pytest.raises(InvalidInput, match="already has this reminder: WhatsApp, 1 day before"):
        reminders.add(practice, session, Channel.WHATSAPP, 24 * 60)
    # Another lead time, or another channel, is another reminder.
    reminders.add(practice, session, Channel.WHATSAPP, 2 * 60)
    reminders.remove(practice, first.id)
    again = reminders.add(practice, session, Channel.WHATSAPP, 24 * 60)
    live = [m for m in reminders.list_for(practice, session)
            if m.state == "pending" and m.minutes_before == 24 * 60 and m.channel == "whatsapp"]
    assert [m.id for m in live] == [again.id]
