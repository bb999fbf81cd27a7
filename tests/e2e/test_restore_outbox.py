"""A restore never sends again what went out after the copy was made: the copy's
waiting messages take the fate the replaced data knew, and where that data cannot
be read, those that fell due since are `unknown`, for a person."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from app.models.enums import Channel
from app.services import backups, clients, config, dashboard, outbox, reminders, scheduling, secrets
from app.services.clock import FrozenClock
from app.services.paths import DataPaths
from app.services.practice import Practice, open_practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local
from tests.fakes.whatsapp import FakeWhatsApp


@pytest.fixture
def wa(practice: Practice) -> Iterator[FakeWhatsApp]:
    with FakeWhatsApp() as fake:
        config.set_values(practice, {
            "whatsapp.api_base": fake.url, "whatsapp.phone_number_id":
            fake.rules.phone_number_id, "whatsapp.template": "lembrete_sessao",
            "whatsapp.params": "first_name,date,time", "reminders.default": "whatsapp:1440"})
        secrets.store("whatsapp.token", fake.rules.token)
        yield fake


def book(p: Practice, start: str, n: int = 0) -> int:
    c = clients.add(p, name=f"Maria Silva {n}", phone=f"+55 11 9876{n:05d}",
                    consent=[Channel.WHATSAPP]).id
    return scheduling.book(p, BookingRequest(client_id=c, start=local(start),
                                             service_id=add_service(p)))


def state(p: Practice, appointment_id: int) -> str:
    [m] = reminders.list_for(p, appointment_id)
    return m.state


def test_a_reminder_sent_after_the_copy_is_not_sent_again(
        practice: Practice, clock: FrozenClock, wa: FakeWhatsApp, tmp_path: Path) -> None:
    """The handed case: pending in the copy, sent since, the copy restored."""
    sent, later = book(practice, "2026-11-23T10:00"), book(practice, "2026-11-27T10:00", 1)
    copy = backups.backup(practice, tmp_path / "before.sqlite3").path
    clock.set(local("2026-11-22T10:00"))
    assert outbox.Dispatcher(practice).dispatch_due().sent == 1
    backups.restore(practice, copy)
    assert (state(practice, sent), state(practice, later)) == ("sent", "pending")
    [m] = reminders.list_for(practice, sent)
    assert m.provider_message_id == wa.sent[0].id
    clock.set(local("2026-11-26T10:00"))  # the later one falls due: it goes, once
    assert outbox.Dispatcher(practice).dispatch_due().sent == 1
    assert [s.id for s in wa.sent] == sorted({s.id for s in wa.sent}) and len(wa.sent) == 2


def test_over_a_damaged_database_what_fell_due_since_the_copy_is_for_a_person(
        practice: Practice, clock: FrozenClock, wa: FakeWhatsApp, tmp_path: Path) -> None:
    due, later = book(practice, "2026-11-23T10:00"), book(practice, "2026-11-27T10:00", 1)
    copy = backups.backup(practice, tmp_path / "before.sqlite3").path
    clock.set(local("2026-11-22T10:00"))
    outbox.Dispatcher(practice).dispatch_due()
    root = practice.paths.root
    practice.close()
    data = bytearray((root / "practice.sqlite3").read_bytes())
    data[:100] = b"\x00" * 100  # nothing of it can be read
    (root / "practice.sqlite3").write_bytes(bytes(data))
    backups.replace_damaged(DataPaths(root), copy, clock.now())
    p = open_practice(root, clock=clock, logging_on=False)
    try:
        assert (state(p, due), state(p, later)) == ("unknown", "pending")
        [decision] = dashboard.load(p).decisions
        assert decision.appointment_id == due and (decision.last_error or "").startswith(
            "Restored from a copy made before this message's fate was known")
        clock.set(local("2026-11-22T12:00"))
        assert outbox.Dispatcher(p).dispatch_due().sent == 0
        assert len(wa.sent) == 1
        clock.set(local("2026-11-26T10:00") + timedelta(minutes=1))
        assert outbox.Dispatcher(p).dispatch_due().sent == 1
    finally:
        p.close()
