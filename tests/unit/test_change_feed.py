"""The change feed, on both engines: what another computer (another open practice
on the same data) commits is announced here once, with its ids; this practice's
own changes are not announced back; a computer away longer than the log is kept
reloads everything; rows edited in forms carry a version."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import time as dt_time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from app.models.change_log import ChangeLogEntry
from app.models.tables import Appointment, Client
from app.services import attendances, clients, config, importing, scheduling, settings
from app.services.clock import FrozenClock
from app.services.events import Change
from app.services.practice import Practice, open_practice
from app.services.scheduling import BookingRequest
from app.services.storage import change_feed
from app.services.storage.change_feed import Watcher
from tests.conftest import add_client, add_service, local


@pytest.fixture
def other(practice: Practice, data_dir: Path, clock: FrozenClock) -> Iterator[Practice]:
    """The same practice opened again: another computer (or process) on its data."""
    p = open_practice(data_dir, clock=clock, actor="Recepção", logging_on=False)
    yield p
    p.close()


def watching(p: Practice) -> tuple[Watcher, list[Change]]:
    seen: list[Change] = []
    watcher = Watcher(p.db, seen.append)
    assert watcher.check() == Change()  # the first look takes the watermark
    return watcher, seen


def test_another_computers_changes_arrive_once_with_their_ids(
        practice: Practice, other: Practice) -> None:
    maria, service = add_client(practice), add_service(practice)
    watcher, seen = watching(practice)
    try:
        a = scheduling.book(other, BookingRequest(client_id=maria, start=local(
            "2026-11-23T10:00"), service_id=service))
        scheduling.confirm(other, a)
        clients.update(other, maria, notes="Prefere manhãs")
        change = watcher.check()
        # The booking also planned its reminders: outbox rows name the session too.
        assert change.appointments == {a} and change.clients == {maria}
        assert not change.settings and seen == [change]
        assert watcher.check() == Change()  # announced once
        settings.set_value(other, "name", "Consultório Bem-Estar")
        config.set_value(other, "reminders.default", "email:60")
        assert watcher.check() == Change(settings=True)
    finally:
        watcher.close()


def test_this_practices_own_changes_are_not_announced_back(practice: Practice) -> None:
    maria = add_client(practice)
    watcher, seen = watching(practice)
    try:
        clients.update(practice, maria, notes="Prefere manhãs")
        assert watcher.check() == Change() and seen == []
    finally:
        watcher.close()


def test_a_conversation_and_a_bulk_import_are_announced(
        practice: Practice, other: Practice, tmp_path: Path) -> None:
    add_service(practice)
    watcher, _seen = watching(practice)
    try:
        thread = attendances.start(other, medium="whatsapp", name="Carla",
                                   phone="+55 11 91234-5678")
        assert watcher.check().conversations == {thread}
        sheet = tmp_path / "agenda.csv"
        sheet.write_text("Nome;Telefone;E-mail;Serviço;Data;Hora\n"
                         "Pedro Souza;11 91111-2222;;Psicoterapia;23/11/2026;14:00\n",
                         encoding="utf-8")
        report = importing.import_file(other, sheet)
        assert report.imported == 1
        with practice.db.read() as s:
            session_id = s.exec(select(Appointment.id).order_by(
                Appointment.id.desc())).first()  # type: ignore[union-attr]
            client_id = s.exec(select(Client.id).where(Client.name == "Pedro Souza")).one()
        change = watcher.check()
        assert change.appointments == {session_id} and client_id in change.clients
    finally:
        watcher.close()


def test_a_computer_away_longer_than_the_log_reloads_everything(
        practice: Practice, other: Practice) -> None:
    maria = add_client(practice)
    watcher, _seen = watching(practice)
    try:
        clients.update(other, maria, notes="uma")
        clients.update(other, maria, notes="duas")
        # A week later the log's rows are pruned; this computer was away all along.
        with practice.db.read() as s:
            newest = s.exec(select(ChangeLogEntry.at).order_by(
                ChangeLogEntry.at.desc())).first()  # type: ignore[attr-defined]
        assert newest is not None
        assert change_feed.prune(other.db, newest + change_feed.KEEP + timedelta(seconds=1)) > 0
        clients.update(other, maria, notes="três")
        change = watcher.check()
        assert -1 in change.appointments and -1 in change.clients and change.settings
    finally:
        watcher.close()


def test_a_failed_transaction_leaves_nothing_in_the_log(practice: Practice) -> None:
    maria = add_client(practice)
    with practice.db.read() as s:
        before = len(s.exec(select(ChangeLogEntry.id)).all())
    with pytest.raises(RuntimeError), practice.db.write() as s:
        s.get(Client, maria).notes = "não fica"  # type: ignore[union-attr]
        s.flush()
        raise RuntimeError("a failure after the flush")
    with practice.db.read() as s:
        assert len(s.exec(select(ChangeLogEntry.id)).all()) == before
        assert s.get(Client, maria).notes == ""  # type: ignore[union-attr]


def test_each_change_raises_the_rows_version(practice: Practice) -> None:
    maria = add_client(practice)

    def version() -> int:
        with practice.db.read() as s:
            return s.get(Client, maria).version  # type: ignore[union-attr]

    assert version() == 1
    clients.update(practice, maria, notes="Prefere manhãs")
    clients.update(practice, maria, notes="Prefere tardes")
    assert version() == 3


def test_following_brings_a_change_without_being_asked(
        practice: Practice, other: Practice) -> None:
    """The window's way: a thread follows the feed (NOTIFY on the server,
    data_version on SQLite) and publishes what arrives."""
    maria = add_client(practice)
    arrived = threading.Event()
    got: list[Change] = []

    def publish(change: Change) -> None:
        got.append(change)
        arrived.set()

    watcher, stop = Watcher(practice.db, publish), threading.Event()
    follower = threading.Thread(target=watcher.follow, args=(stop,), daemon=True)
    follower.start()
    try:
        time.sleep(1.0)  # listening (and the watermark taken) before the change
        clients.update(other, maria, notes="Prefere manhãs")
        # Well under the server watcher's own look every SERVER_WAIT_S: the NOTIFY woke it.
        assert arrived.wait(change_feed.SERVER_WAIT_S / 2)
        assert got[0].clients == {maria}
    finally:
        stop.set()
        follower.join(timeout=10)
        watcher.close()


def test_a_restore_on_another_computer_reloads_everything_here(
        practice: Practice, other: Practice, tmp_path: Path) -> None:
    from app.services import backups

    maria = add_client(practice)
    copy = backups.backup(practice, tmp_path / "copy.sqlite3").path
    clients.update(practice, maria, notes="depois da cópia")
    watcher, _seen = watching(practice)
    try:
        backups.restore(other, copy)
        change = watcher.check()
        assert -1 in change.appointments and -1 in change.clients and change.settings
        assert clients.get(practice, maria).notes == ""  # the copy's data, here too
    finally:
        watcher.close()


def test_each_kind_of_row_announces_what_it_belongs_to(
        practice: Practice, other: Practice) -> None:
    """The feed knows a row by its table's name (it imports no table module): a
    thread's message, its tag and the message queued to send it announce the
    conversation; a client's cancellation request announces the session; the
    working hours and a channel's check announce the settings."""
    from app.models.conecta import (
        AttendanceTag,
        ConversationEntry,
        DeliveryState,
        Direction,
        EntryKind,
    )
    from app.models.outbox import ChannelCheck, MessageKind, OutboxMessage
    from app.models.requests import ClientRequest, RequestKind
    from app.models.tables import WorkingHours

    session = scheduling.book(practice, BookingRequest(
        client_id=add_client(practice), start=local("2026-11-23T10:00"),
        service_id=add_service(practice)))
    thread = attendances.start(practice, medium="whatsapp", name="Carla",
                               phone="+55 11 91234-5678")
    now = practice.clock.now()
    with practice.db.write() as s:
        entry = ConversationEntry(attendance_id=thread, direction=Direction.OUTBOUND,
                                  kind=EntryKind.TEXT, body="Olá", at=now,
                                  state=DeliveryState.QUEUED)
        s.add(entry)
        s.flush()
        entry_id = entry.id
    watcher, _seen = watching(practice)
    try:
        with other.db.write() as s:  # the sender's part: only the outbox row
            s.add(OutboxMessage(idempotency_key="feed-test", kind=MessageKind.CONVERSATION,
                                conversation_entry_id=entry_id, channel="whatsapp",
                                due_at=now, created_at=now, updated_at=now))
        assert watcher.check() == Change.of(conversations=[thread])
        with other.db.write() as s:
            s.add(AttendanceTag(attendance_id=thread, tag="retorno"))
        assert watcher.check() == Change.of(conversations=[thread])
        with other.db.write() as s:
            s.add(ClientRequest(appointment_id=session, kind=RequestKind.CANCEL,
                                reason="viagem", received_at=now))
        assert watcher.check() == Change.of(appointments=[session])
        with other.db.write() as s:
            s.add(WorkingHours(staff_id=None, weekday=5, start=dt_time(8), end=dt_time(12)))
        assert watcher.check() == Change(settings=True)
        with other.db.write() as s:
            s.add(ChannelCheck(channel="links", at=now, ok=True, said="ok"))
        assert watcher.check() == Change(settings=True)
    finally:
        watcher.close()


def test_the_tables_the_feed_names_exist() -> None:
    from sqlmodel import SQLModel

    import app.models

    app.models.load_all()
    tables = SQLModel.metadata.tables
    named = (change_feed.VERSIONED | set(change_feed._OWN_ID) | change_feed._OF_CONVERSATION
             | change_feed._SETTINGS | {"outbox", "client_request"})
    assert named <= set(tables)
    assert all("version" in tables[name].c for name in change_feed.VERSIONED)
